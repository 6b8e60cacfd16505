#!/usr/bin/env bash
# BAT OS launcher for Linux and macOS.
#
#   ./run.sh            set up (first time) and start the kernel
#   ./run.sh test       set up (first time) and run the test suite
#   ./run.sh bench      set up and run the benchmarks under bench/
#   ./run.sh setup      set up only
#
# Anything after the command is passed on (to batos.py, pytest or the benchmarks).
#
# Set-up creates .venv/ beside this script, installs torch first (the CPU build
# where no NVIDIA GPU is present, unless told otherwise), then the rest under a
# constraints file that holds the same torch pin. A stamp of the requirement
# files' hash makes a second run skip the install when nothing changed.
#
# Environment:
#   BATOS_PYTHON        interpreter used to create the venv (default: python3; 3.11+)
#   BATOS_VENV          venv directory (default: .venv beside this script)
#   BATOS_TORCH_INDEX   pip index URL for torch (e.g. a CUDA or CPU wheel index)
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cd "$here"

cmd="${1:-start}"
[ $# -gt 0 ] && shift

python="${BATOS_PYTHON:-python3}"
venv="${BATOS_VENV:-$here/.venv}"

say() { printf 'run.sh: %s\n' "$*" >&2; }

requirements_for() {
  case "$1" in
    test|bench) echo "requirements-dev.txt" ;;
    *) echo "requirements.txt" ;;
  esac
}

setup() {
  local reqs="$1"
  if ! command -v "$python" >/dev/null 2>&1; then
    say "no '$python' on PATH: install Python 3.10+ or set BATOS_PYTHON"
    exit 1
  fi
  if ! "$python" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)'; then
    say "Python 3.11 or newer is needed ('$python' is $("$python" -V 2>&1))"
    exit 1
  fi
  if [ ! -x "$venv/bin/python" ]; then
    say "creating virtual environment in $venv"
    "$python" -m venv "$venv"
  fi
  local vpy="$venv/bin/python"
  local stamp="$venv/.batos-installed-$reqs"
  local want
  want="$(cat requirements.txt requirements-dev.txt constraints.txt "$0" | "$vpy" -c 'import hashlib,sys; print(hashlib.sha256(sys.stdin.buffer.read()).hexdigest())')"
  local dev_stamp="$venv/.batos-installed-requirements-dev.txt"  # a superset of requirements.txt
  for s in "$stamp" "$dev_stamp"; do
    if [ -f "$s" ] && [ "$(cat "$s")" = "$want" ]; then
      return 0
    fi
  done
  say "installing dependencies ($reqs); the first time takes a few minutes"
  export PIP_DISABLE_PIP_VERSION_CHECK=1
  local torch_pin
  torch_pin="$(grep -E '^torch==' constraints.txt)"
  if ! "$vpy" -c "import torch, sys; sys.exit(0 if torch.__version__.split('+')[0] == '${torch_pin#torch==}' else 1)" 2>/dev/null; then
    if [ -n "${BATOS_TORCH_INDEX:-}" ]; then
      say "installing $torch_pin from $BATOS_TORCH_INDEX"
      "$vpy" -m pip install --index-url "$BATOS_TORCH_INDEX" "$torch_pin"
    elif command -v nvidia-smi >/dev/null 2>&1 && nvidia-smi -L >/dev/null 2>&1; then
      say "NVIDIA GPU found: installing the CUDA build of $torch_pin"
      "$vpy" -m pip install "$torch_pin"
    else
      say "no NVIDIA GPU: installing $torch_pin (set BATOS_TORCH_INDEX to choose a CPU-only wheel index)"
      "$vpy" -m pip install --prefer-binary "$torch_pin"
    fi
  fi
  "$vpy" -m pip install --prefer-binary -c constraints.txt -r "$reqs"
  echo "$want" > "$stamp"
}

case "$cmd" in
  setup)
    setup requirements-dev.txt
    ;;
  start)
    setup "$(requirements_for start)"
    exec "$venv/bin/python" batos.py "$@"
    ;;
  test)
    setup "$(requirements_for test)"
    export HF_HUB_OFFLINE=1 HF_HUB_DISABLE_PROGRESS_BARS=1 TOKENIZERS_PARALLELISM=false
    exec "$venv/bin/python" -m pytest "$@"
    ;;
  bench)
    setup "$(requirements_for bench)"
    status=0
    for b in bench/bench_*.py; do
      say "benchmark: $b"
      "$venv/bin/python" "$b" "$@" || status=1
    done
    exit $status
    ;;
  -h|--help|help)
    sed -n '2,20p' "$0" | sed 's/^# \{0,1\}//'
    ;;
  *)
    # Anything else is a batos.py sub-command or flag: ./run.sh --image x.fs
    setup "$(requirements_for start)"
    exec "$venv/bin/python" batos.py "$cmd" "$@"
    ;;
esac
