"""``puter.bat``, the Windows launcher: what can be checked without Windows.

Three layers:

* **The file itself** (always): CRLF line endings and the ``.gitattributes`` rule
  that keeps them; every ``goto``/``call`` has its label; every failure reaches
  ``pause``; exit codes are tested with ``if errorlevel``, never ``&&``/``||``.
* **What it calls** (always): every ``"%VPY%" ...`` line is parsed out of the file
  and run here, with the file's own arguments (variables filled in), against the
  real scripts: the watchdog's ``run``/``status``/``stop`` with a real kernel, the
  chat client's ``--ping`` with and without one, pip's and venv's flags, the small
  ``-c`` helpers. A new invocation in the file fails the test until it is checked.
* **The batch logic under Wine's cmd** (when ``wine`` is installed; skipped with the
  reason otherwise): ``puter.bat`` runs for real in ``wine cmd``, with a stub for
  Python. The stub is setuptools' Windows launcher (``cli-64.exe``, a real PE
  program that passes exit codes through) running ``cmd /c stub.cmd``, a batch
  file this test writes per scenario: it logs each call and answers with the exit
  codes the scenario lists. Wine cannot run a Windows Python, and the exit code
  of a Linux program started from Wine is lost, hence the stub.

Not tested here (no Windows): real ``py``/``python.exe``, pip installing torch,
``nvidia-smi`` itself, windows and their titles, ``pause`` waiting for a key
(Wine returns at once without a console), Ctrl+C/CTRL_BREAK delivery.
"""

from __future__ import annotations

import fnmatch
import importlib.metadata
import importlib.util
import json
import os
import platform
import re
import shlex
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

from support import ROOT, KernelProcess, free_port, kernel_env

BAT = ROOT / "puter.bat"
WATCHDOG = ROOT / "min_watchdog_service.py"


# --- reading puter.bat --------------------------------------------------------------------------


def bat_text() -> str:
    return BAT.read_bytes().decode("ascii")


def code_lines() -> list[str]:
    """The lines cmd executes: no comments, no blank lines."""
    lines = []
    for line in bat_text().split("\r\n"):
        stripped = line.strip()
        lowered = stripped.lower()
        if not stripped or lowered == "rem" or lowered.startswith("rem ") or stripped.startswith("::"):
            continue
        lines.append(stripped)
    return lines


def labels() -> list[str]:
    return [line[1:].split()[0].lower() for line in code_lines() if line.startswith(":") and not line.startswith("::")]


def blocks() -> dict[str, list[str]]:
    """Label -> the lines from it to the next label (the flow falls through into the next block)."""
    result: dict[str, list[str]] = {"(top)": []}
    current = "(top)"
    for line in code_lines():
        if line.startswith(":"):
            current = line[1:].split()[0].lower()
            result[current] = []
        else:
            result[current].append(line)
    return result


GOTO = re.compile(r"\b(goto|call)\s+:?([A-Za-z_][\w]*)", re.IGNORECASE)


def python_invocations() -> list[tuple[str, ...]]:
    """The arguments after every ``"%VPY%"`` (up to a redirection or the end of a ``for /f`` command)."""
    found = []
    for line in code_lines():
        for match in re.finditer(r'(?<!exist )"%VPY%"', line):  # not "if exist "%VPY%""
            rest = re.split(r"`|\s\d?\^?>", line[match.end():])[0]
            found.append(tuple(shlex.split(rest)))
    return found


def kind_of(args: tuple[str, ...]) -> str:
    """What an invocation is, for the checks below; unknown ones make the test fail."""
    if args[:1] == ("min_watchdog_service.py",) and len(args) > 1:
        return "watchdog " + args[1]
    if args == ("chat_client.py", "--ping", "--timeout", "2"):
        return "ping"
    if args == ("chat_client.py",):
        return "chat"
    if args == ("chat_client.py", "--web%WEB_ARGS%"):
        return "web"
    if args == ("batos.py", "models", "fetch"):
        return "fetch"
    if args[:3] == ("-m", "pip", "install"):
        return "pip"
    if args[:1] == ("-c",):
        code = args[1]
        for needle, kind in (("time.monotonic", "clock"), ("json.load", "endpoint"), ("collections.deque", "tail")):
            if needle in code:
                return kind
    return "unknown: " + shlex.join(args)


def fill(args: tuple[str, ...], **values: str) -> list[str]:
    """The invocation with puter.bat's %VARIABLES% given values."""
    def one(arg: str) -> str:
        return re.sub(r"%(\w+)%", lambda m: values[m.group(1)], arg)
    return [one(a) for a in args]


def invocations_of(kind: str) -> list[tuple[str, ...]]:
    return [args for args in python_invocations() if kind_of(args) == kind]


def setting(name: str) -> str:
    """The value of ``set "NAME=value"`` in puter.bat."""
    for line in code_lines():
        match = re.fullmatch(rf'set "{name}=(.*)"', line)
        if match:
            return match.group(1)
    raise AssertionError(f"puter.bat sets no {name}")


# --- the file itself -------------------------------------------------------------------------------


def test_the_file_has_crlf_line_endings_and_git_keeps_them():
    """cmd.exe finds labels by reading the file in blocks; with bare LFs, goto can miss a label."""
    data = BAT.read_bytes()
    assert data.endswith(b"\r\n")
    assert data.count(b"\n") == data.count(b"\r\n"), "a line ends in a bare LF"
    assert b"\r\r" not in data
    rules = [line.split() for line in (ROOT / ".gitattributes").read_text().splitlines() if line.strip() and not line.startswith("#")]
    matching = [attrs for pattern, *attrs in rules if fnmatch.fnmatch("puter.bat", pattern)]
    assert any("eol=crlf" in attrs for attrs in matching), ".gitattributes must give puter.bat eol=crlf"


def test_the_file_is_plain_ascii():
    bat_text()  # cmd reads the file in the console's code page: anything else is mojibake or worse


def test_every_goto_and_call_has_its_label_and_labels_are_unique():
    known = labels()
    assert len(known) == len(set(known)), f"duplicate labels: {sorted(l for l in known if known.count(l) > 1)}"
    targets = {m.group(2).lower() for line in code_lines() for m in GOTO.finditer(line)}
    assert targets, "no goto found: is the parser broken?"
    missing = targets - set(known) - {"eof"}
    assert not missing, f"goto/call without a label: {sorted(missing)}"


def _ends(block: list[str]) -> bool:
    """Does the block end the flow itself (an unconditional goto or exit) rather than fall through?"""
    if not block:
        return False
    last = block[-1].lower()
    return last.startswith("goto ") or last.startswith("exit")


def _reaches_pause(start: str, table: dict[str, list[str]], order: list[str]) -> bool:
    """Follow the unconditional flow (fall-through and plain gotos; calls return) from a label."""
    seen = set()
    label = start
    while label not in seen:
        seen.add(label)
        block = table[label]
        for line in block:
            lowered = line.lower()
            if lowered == "pause":
                return True
            if lowered.startswith("exit"):
                return False
            if lowered.startswith("goto "):
                label = lowered.split()[1].lstrip(":")
                break
        else:
            if label == order[-1]:
                return False
            label = order[order.index(label) + 1]  # falls through
    return False


def test_every_failure_reaches_pause():
    """Each block that reports an ERROR must, by its own flow, reach pause before exiting:
    a double-clicked window that closes at once shows nothing."""
    table = blocks()
    order = list(table)
    failures = [label for label, block in table.items() if any(line.lower().startswith("echo [bat os] error") for line in block)]
    assert len(failures) >= 12, failures  # the parser found the failure blocks
    assert not [label for label in failures if not _reaches_pause(label, table, order)]


def test_only_the_failure_exit_is_nonzero_apart_from_the_status_answers():
    """exit /b 1 comes after pause; the other non-zero exits are ``status`` answers, not failures."""
    exits = {}
    for label, block in blocks().items():
        for line in block:
            if line.lower().startswith("exit"):
                exits.setdefault(line.lower(), set()).add(label)
    assert exits.pop("exit /b 1") == {"fail"}
    assert exits.pop("exit /b %errorlevel%") == {"cmd_status", "open_web"}  # the inspector's own exit code
    assert exits.pop("exit /b 3") == {"status_not_set_up"}  # "not running", as the watchdog's status says
    assert set(exits) == {"exit /b 0"}
    assert blocks()["fail"][-3:] == ["pause", "endlocal", "exit /b 1"]


def test_exit_codes_are_tested_with_if_errorlevel_not_and_or():
    """Wine's cmd runs both sides of && and || whatever the exit code; a line of its own is clear anywhere."""
    assert not [line for line in code_lines() if "&&" in line or "||" in line]


def test_the_wait_is_bounded_by_a_setting_not_a_fixed_sleep():
    assert setting("WAIT_SECONDS") == "120"  # as run.sh
    assert 'if defined BATOS_WAIT_SECONDS set "WAIT_SECONDS=%BATOS_WAIT_SECONDS%"' in code_lines()
    assert "if %WAITED% GEQ %WAIT_SECONDS% goto :kernel_timeout" in code_lines()
    assert not [line for line in code_lines() if line.lower().startswith("timeout ")]  # needs a keyboard


def test_the_watchdog_and_the_chat_start_in_their_own_titled_windows():
    starts = [line for line in code_lines() if line.lower().startswith("start ")]
    assert starts == [
        'start "BAT OS watchdog" /min "%VPY%" min_watchdog_service.py run --state-file "%STATE_FILE%" --log-file "%WATCHDOG_LOG%"',
        'start "BAT OS chat" "%VPY%" chat_client.py',
    ]
    assert setting("STATE_FILE") == r"%HERE%data\watchdog.json"
    assert setting("WATCHDOG_LOG") == r"%HERE%logs\watchdog.log"


# --- what it calls ---------------------------------------------------------------------------------


def test_every_python_invocation_is_one_this_file_checks():
    kinds = [kind_of(args) for args in python_invocations()]
    assert not [k for k in kinds if k.startswith("unknown")], kinds
    assert set(kinds) == {"watchdog status", "watchdog stop", "watchdog run", "ping", "chat", "web", "pip", "clock", "endpoint", "tail",
                          "fetch"}
    assert len(invocations_of("watchdog run")) == 1 and len(invocations_of("ping")) == 2


def test_the_scripts_it_calls_exist():
    for args in python_invocations():
        if args[0].endswith(".py"):
            assert (ROOT / args[0]).is_file(), args[0]
    for name in ("requirements.txt", "constraints.txt", "min_watchdog_service.py", "chat_client.py"):
        assert f'if not exist "{name}" goto :missing_files' in code_lines()
        assert (ROOT / name).is_file()


def test_the_watchdog_offers_run_status_and_stop():
    result = subprocess.run([sys.executable, str(WATCHDOG), "--help"], capture_output=True, text=True, timeout=60, env=kernel_env())
    assert result.returncode == 0, result.stderr
    usage = " ".join(result.stdout.split())
    assert "{run,status,stop}" in usage
    for flag in {a for args in python_invocations() if kind_of(args).startswith("watchdog") for a in args if a.startswith("-")}:
        assert re.search(rf"(?<![\w-]){re.escape(flag)}(?![\w-])", usage), flag


def run_py(args: list[str], cwd: Path, timeout: float = 60, **env: str) -> subprocess.CompletedProcess:
    script = args[0]
    command = [sys.executable, str(ROOT / script), *args[1:]] if script.endswith(".py") else [sys.executable, *args]
    return subprocess.run(command, cwd=cwd, env=kernel_env(**env), capture_output=True, text=True, timeout=timeout, stdin=subprocess.DEVNULL)


def wait_status(status_args: list[str], cwd: Path, want: int, timeout: float = 60) -> list[int]:
    """Ask ``status`` as puter.bat's wait loop does until it answers ``want``; returns the answers seen."""
    seen: list[int] = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        code = run_py(status_args, cwd).returncode
        if not seen or seen[-1] != code:
            seen.append(code)
        if code == want:
            return seen
        time.sleep(0.3)
    raise AssertionError(f"status never answered {want}; it answered {seen}")


def test_the_watchdog_commands_as_puter_bat_runs_them(tmp_path):
    """run, status, stop, the ping, the chat and the helpers, with puter.bat's own arguments,
    in a folder laid out as puter.bat's (data/, logs/). --image and --endpoint are added to
    ``run`` only to keep the test off the repository's data/ and the default port."""
    values = {"STATE_FILE": str(tmp_path / "data" / "watchdog.json"), "WATCHDOG_LOG": str(tmp_path / "logs" / "watchdog.log")}
    status = fill(invocations_of("watchdog status")[0], **values)
    stop = fill(invocations_of("watchdog stop")[0], **values)
    run = fill(invocations_of("watchdog run")[0], **values)
    endpoint = f"tcp://127.0.0.1:{free_port()}"

    assert run_py(status, tmp_path).returncode == 3  # nothing runs yet
    assert run_py(stop, tmp_path).returncode == 0  # stopping nothing is fine
    watchdog = subprocess.Popen(
        [sys.executable, str(ROOT / run[0]), *run[1:], "--image", str(tmp_path / "data" / "live_image.fs"), "--endpoint", endpoint],
        cwd=tmp_path, env=kernel_env(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
    )
    try:
        seen = wait_status(status, tmp_path, want=0)
        assert set(seen) <= {3, 1, 0}, seen  # not running yet / starting / running: never "gave up"

        # The endpoint helper reads it from the state file; the ping and the chat use it.
        found = run_py(fill(invocations_of("endpoint")[0], **values), tmp_path)
        assert found.returncode == 0 and found.stdout.strip() == endpoint, found
        ping = invocations_of("ping")[0]
        assert run_py(list(ping), tmp_path, BATOS_ENDPOINT=endpoint).returncode == 0
        chat = run_py(list(invocations_of("chat")[0]), tmp_path, BATOS_ENDPOINT=endpoint)
        assert chat.returncode == 0 and "BAT OS console" in chat.stdout, chat  # stdin at its end: the session ends

        tail = run_py(fill(invocations_of("tail")[0], **values), tmp_path)
        assert tail.returncode == 0 and "watchdog pid" in tail.stdout, tail
        assert len(tail.stdout.splitlines()) <= 20
        clock = run_py(list(invocations_of("clock")[0]), tmp_path)
        assert abs(int(clock.stdout) - time.monotonic()) < 5  # CLOCK_MONOTONIC: one clock for all processes

        stopped = run_py(stop, tmp_path)
        assert stopped.returncode == 0, stopped
        assert watchdog.wait(30) == 0
        assert run_py(status, tmp_path).returncode == 3
        assert run_py(list(ping), tmp_path, BATOS_ENDPOINT=endpoint).returncode == 1  # no kernel: no pong
    finally:
        if watchdog.poll() is None:
            watchdog.kill()
            watchdog.wait(10)


def test_a_watchdog_that_gave_up_answers_status_4_until_stopped(tmp_path):
    """What puter.bat fails fast on (and stops before starting afresh): an image that cannot be opened."""
    values = {"STATE_FILE": str(tmp_path / "data" / "watchdog.json"), "WATCHDOG_LOG": str(tmp_path / "logs" / "watchdog.log")}
    status = fill(invocations_of("watchdog status")[0], **values)
    run = fill(invocations_of("watchdog run")[0], **values)
    image = tmp_path / "data" / "live_image.fs"
    image.parent.mkdir()
    image.write_bytes(b"this is not a FileStorage" * 10)
    watchdog = subprocess.Popen(
        [sys.executable, str(ROOT / run[0]), *run[1:], "--image", str(image), "--endpoint", f"tcp://127.0.0.1:{free_port()}"],
        cwd=tmp_path, env=kernel_env(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
    )
    try:
        seen = wait_status(status, tmp_path, want=4)
        assert set(seen) <= {3, 1, 4}, seen
        tail = run_py(fill(invocations_of("tail")[0], **values), tmp_path)
        assert "giving up (exit code 3)" in tail.stdout, tail.stdout
        assert run_py(fill(invocations_of("watchdog stop")[0], **values), tmp_path).returncode == 0
        watchdog.wait(30)
        assert run_py(status, tmp_path).returncode == 3
    finally:
        if watchdog.poll() is None:
            watchdog.kill()
            watchdog.wait(10)


def test_the_ping_answers_0_with_a_kernel_and_1_without(tmp_path):
    ping = list(invocations_of("ping")[0])
    kernel = KernelProcess(tmp_path).start()
    try:
        assert run_py(ping, tmp_path, BATOS_ENDPOINT=kernel.endpoint).returncode == 0
    finally:
        kernel.stop()
    nobody = run_py(ping, tmp_path, BATOS_ENDPOINT=f"tcp://127.0.0.1:{free_port()}")
    assert nobody.returncode == 1, nobody  # not 64 (usage) or 2: the flags parsed, nobody answered


def test_the_web_inspector_as_puter_bat_runs_it(tmp_path):
    """``puter.bat web --help``: the arguments after ``web`` reach ``chat_client.py --web`` (here, its own help)."""
    (args,) = invocations_of("web")
    shown = run_py(" ".join(fill(args, WEB_ARGS=" --help")).split(), tmp_path)  # cmd splits the line after filling it in
    assert shown.returncode == 0 and "--no-browser" in shown.stdout and "--port" in shown.stdout, shown


def test_the_fetch_as_puter_bat_runs_it(tmp_path):
    """Fetching the embedded model into the cache: quick when it is there (the suite's own fetch put it there)."""
    from gguf_support import cache, real_gguf

    real_gguf("qwen2.5-coder-0.5b")
    (args,) = invocations_of("fetch")
    done = run_py(list(args), tmp_path, timeout=600, BATOS_CACHE_DIR=str(cache()), BATOS_EMBEDDED_MODEL="qwen2.5-coder-0.5b")
    assert done.returncode == 0 and done.stdout.startswith("qwen2.5-coder-0.5b\t"), done.stderr


def test_pip_and_venv_accept_the_flags_puter_bat_gives_them():
    help_text = subprocess.run([sys.executable, "-m", "pip", "install", "--help"], capture_output=True, text=True, timeout=120).stdout
    pips = invocations_of("pip")
    assert len(pips) == 4
    for args in pips:
        for flag in (a for a in args[3:] if a.startswith("-")):
            assert re.search(rf"(^|[\s,]){re.escape(flag)}([\s,=]|$)", help_text, re.MULTILINE), flag
    assert subprocess.run([sys.executable, "-m", "venv", "--help"], capture_output=True, timeout=60).returncode == 0
    assert 'set "TORCH_CUDA_INDEX=https://download.pytorch.org/whl/cu128"' in code_lines()


def test_the_torch_pin_is_the_one_in_constraints_and_requirements():
    """puter.bat takes the line of constraints.txt that starts with torch== (findstr /b), defaulting to its own."""
    pins = [line for line in (ROOT / "constraints.txt").read_text().splitlines() if line.startswith("torch==")]
    assert pins == [setting("TORCH_PIN")]
    assert pins[0] in (ROOT / "requirements.txt").read_text().splitlines()


def test_the_python_version_check_passes_here():
    check = setting("PYCHECK")
    assert subprocess.run([sys.executable, "-c", check], timeout=60).returncode == 0


def _distribution_closure(requirements: Path) -> set[str]:
    """Every distribution that ``pip install -r requirements`` brings, as installed here (Windows markers)."""
    from packaging.requirements import Requirement
    from packaging.utils import canonicalize_name

    windows = {"sys_platform": "win32", "platform_system": "Windows", "os_name": "nt", "extra": ""}
    todo = [line.split("#")[0].strip() for line in requirements.read_text().splitlines()]
    todo = [Requirement(line) for line in todo if line and not line.startswith("-")]
    seen: set[str] = set()
    while todo:
        requirement = todo.pop()
        name = canonicalize_name(requirement.name)
        if name in seen or (requirement.marker is not None and not requirement.marker.evaluate(windows)):
            continue
        seen.add(name)
        try:
            todo.extend(Requirement(r) for r in importlib.metadata.requires(requirement.name) or [])
        except importlib.metadata.PackageNotFoundError:
            pass  # a Windows-only dependency, not installed on this machine
    return seen


def test_what_status_and_stop_import_is_installed_by_requirements_txt(tmp_path):
    """puter.bat installs requirements.txt only (not requirements-dev.txt): the watchdog's
    status and stop must not need anything else (psutil, for one, tells a live watchdog)."""
    from packaging.utils import canonicalize_name

    state = tmp_path / "watchdog.json"
    state.write_text(json.dumps({"pid": os.getpid(), "state": "running", "endpoint": f"tcp://127.0.0.1:{free_port()}"}))
    probe = (
        "import runpy, sys, json\n"
        f"sys.argv = [{str(WATCHDOG)!r}, 'status', '--state-file', {str(state)!r}]\n"
        "try:\n    runpy.run_path(sys.argv[0], run_name='__main__')\nexcept SystemExit:\n    pass\n"
        "print(json.dumps(sorted({m.split('.')[0] for m in sys.modules})))\n"
    )
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=60, cwd=tmp_path, env=kernel_env())
    modules = json.loads(result.stdout.splitlines()[-1])
    assert "psutil" in modules  # the probe reached the liveness check
    owners = importlib.metadata.packages_distributions()
    needed = {canonicalize_name(d) for m in modules for d in owners.get(m, [])}
    missing = needed - _distribution_closure(ROOT / "requirements.txt") - {"pip", "setuptools"}
    assert not missing, f"status imports {sorted(missing)}, which requirements.txt does not install"


# --- the batch logic, under Wine's cmd -------------------------------------------------------------

LAUNCHER = Path(importlib.util.find_spec("setuptools").origin).parent / "cli-64.exe" if importlib.util.find_spec("setuptools") else None

# Which stub answer a call gets: the first needle found in its arguments decides.
RULES = [
    ("nvidia-smi", "nvidia"), ("time.monotonic", "clock"), ("json.load", "endpoint"), ("collections.deque", "tail"),
    ("-m venv", "venv"), ("-m pip", "pip"), ("sys.version_info", "pycheck"),
    ("min_watchdog_service.py status", "status"), ("min_watchdog_service.py stop", "stop"),
    ("min_watchdog_service.py run", "run"), ("--ping", "ping"), ("--web", "web"), ("chat_client.py", "chat"), ("models fetch", "fetch"),
]
STUB_ENDPOINT = "tcp://127.0.0.1:7777"


def winpath(path: Path) -> str:
    return "Z:" + str(path).replace("/", "\\")


def _skip_or_fail(reason: str) -> None:
    """Skip the Wine tests with ``reason``; fail them instead under BATOS_REQUIRE_WINE=1 (CI: .ci/run)."""
    if os.environ.get("BATOS_REQUIRE_WINE") == "1":
        pytest.fail(f"BATOS_REQUIRE_WINE=1 but {reason}", pytrace=False)
    pytest.skip(reason)


def _fixed_address_space() -> list[str]:
    """``setarch ARCH -R``, to put before ``wine`` so that every Wine process starts with address-space
    randomization off; ``[]`` where this system refuses it (a seccomp filter may forbid the personality).

    Without it, any Wine process start may fail at random, about one in a thousand or two here: Debian's wine64
    has no preloader to keep free the addresses Windows needs, and the kernel puts the loader's heap (brk) anywhere
    in the GiB above the loader (0x7d000000), which holds 0x7ffe0000, where every Windows process maps its shared
    user data; when the heap lies there the new process dies while it starts ("failed to map the shared user
    data: c0000018"). Were that process the stub's ``cmd``, the stub Python (setuptools' launcher)
    says "failed to create process." on stderr and exits 0, which puter.bat reads as a success: a ping that
    never ran makes "the kernel answers", a status that never ran says "running". With randomization off, every
    Wine process has the same layout, its heap 48 MiB below that address.
    """
    setarch = shutil.which("setarch")
    if setarch is None:
        return []
    command = [setarch, platform.machine(), "-R"]
    try:
        allowed = subprocess.run([*command, "true"], capture_output=True, timeout=60).returncode == 0
    except (OSError, subprocess.SubprocessError):
        allowed = False
    return command if allowed else []


@dataclass(frozen=True)
class Wine:
    command: list[str]  # what starts wine: "wine", with setarch -R before it where the system allows
    env: dict[str, str]


@pytest.fixture(scope="session")
def wine(tmp_path_factory):
    """A Wine prefix of our own; skips (with the reason) where Wine or the launcher is missing, and fails instead
    under BATOS_REQUIRE_WINE=1 (CI)."""
    if shutil.which("wine") is None:
        _skip_or_fail("wine is not installed (Debian: apt-get install --no-install-recommends wine)")
    if LAUNCHER is None or not LAUNCHER.is_file():
        _skip_or_fail("setuptools' cli-64.exe (the stub's Windows launcher) is not installed")
    prefix = tmp_path_factory.mktemp("wineprefix")
    env = {k: v for k, v in os.environ.items() if not k.startswith("BATOS_")}
    env.update(WINEPREFIX=str(prefix), WINEDEBUG="-all")
    env.pop("DISPLAY", None)
    command = [*_fixed_address_space(), "wine"]  # the prefix's own processes (wineboot, services) too
    try:
        hello = subprocess.run([*command, "cmd", "/c", "echo", "hello"], env=env, capture_output=True, text=True, timeout=180)
    except subprocess.TimeoutExpired:
        _skip_or_fail("wine cmd did not start within 180 s")
    if "hello" not in hello.stdout:
        _skip_or_fail(f"wine cmd does not work here: {hello.stderr[-500:]}")
    yield Wine(command, env)
    subprocess.run(["wineserver", "-k"], env=env, capture_output=True, timeout=60)


class Puter:
    """A folder holding puter.bat, stub files for what it checks exists, and a stub Python."""

    def __init__(self, root: Path, wine: Wine) -> None:
        self.root = root
        self.wine = wine.command
        self.env = dict(wine.env)
        shutil.copy(BAT, root / "puter.bat")
        for name in ("requirements.txt", "constraints.txt"):
            shutil.copy(ROOT / name, root / name)
        for name in ("min_watchdog_service.py", "chat_client.py"):
            (root / name).write_text("# only its existence matters here\n")
        self.answers: dict[str, list[int]] = {}
        self.clock_step = 1
        self.endpoint = STUB_ENDPOINT

    def stub_program(self, folder: Path, name: str) -> None:
        """``name.exe`` in ``folder`` that runs stub.cmd with its arguments and returns its exit code."""
        folder.mkdir(parents=True, exist_ok=True)
        shutil.copy(LAUNCHER, folder / f"{name}.exe")
        (folder / f"{name}-script.py").write_text(f"#!C:\\windows\\system32\\cmd.exe /c {winpath(self.root / 'stub.cmd')}\n")

    def with_venv(self) -> "Puter":
        """As after a first run: .venv with the stub Python, and the install stamps."""
        self.stub_program(self.root / ".venv" / "Scripts", "python")
        shutil.copy(ROOT / "requirements.txt", self.root / ".venv" / "batos-installed-requirements.txt")
        shutil.copy(ROOT / "constraints.txt", self.root / ".venv" / "batos-installed-constraints.txt")
        return self

    def write_stub(self) -> None:
        here = winpath(self.root)
        lines = [
            "@echo off",
            "setlocal",
            "rem Written by tests/test_puter.py: logs each call, answers with the scenario's exit codes.",
            "set ARGS=%*",
            'set "ARGS=%ARGS:"=%"',
            'set "ARGS=%ARGS:>=GT%"',
            "set KIND=other",
        ]
        for needle, kind in RULES:
            lines.append(f'if "%KIND%"=="other" if not "%ARGS:{needle}=%"=="%ARGS%" set KIND={kind}')
        # One call at a time appends to calls.log: the watchdog ("run") and the chat are started with "start" and
        # run beside puter.bat's next calls, and Wine's cmd opens a ">>" file without sharing it for writing, so a
        # second writer's ">>" fails ("Sharing violation.", no exit code) and its line would be lost. The lock is a
        # folder (mkdir fails while it exists, and a successful one leaves the exit code as it was: hence :unset).
        lines += [
            ":log",
            "call :unset",
            f'mkdir "{here}\\calls.lock" 2>nul',
            "if errorlevel 1 goto :log",
            f'>>"{here}\\calls.log" echo %KIND%^|%BATOS_ENDPOINT%^|%ARGS%',
            f'rmdir "{here}\\calls.lock"',
            "goto :%KIND%",
            ":clock",
            "call :count clock",
            f"set /a T=1000000+N*{self.clock_step}",
            "echo %T%",
            "exit /b 0",
            ":endpoint",
            f"echo {self.endpoint}",
            "exit /b 0",
            ":tail",
            "echo STUB LOG: giving up (exit code 3): the image cannot be opened",
            "exit /b 0",
            ":venv",
            f'mkdir "{here}\\.venv\\Scripts" 2>nul',
            f'copy /y "{winpath(LAUNCHER)}" "{here}\\.venv\\Scripts\\python.exe" >nul',
            f'>"{here}\\.venv\\Scripts\\python-script.py" echo #!C:\\windows\\system32\\cmd.exe /c {here}\\stub.cmd',
            "exit /b 0",
            ":run",  # what the watchdog does first: write its state file and its log
            f'mkdir "{here}\\data" "{here}\\logs" 2>nul',
            f'>"{here}\\data\\watchdog.json" echo {{}}',
            f'>"{here}\\logs\\watchdog.log" echo watchdog started',
            "exit /b 0",
            ":status",
            "echo STUB STATUS",
            *self._answer("status"),
        ]
        for kind in ("nvidia", "pip", "pycheck", "stop", "ping", "chat", "web", "fetch", "other"):
            lines += [f":{kind}", *self._answer(kind)]
        lines += [
            ":unset",
            "exit /b 0",
            ":count",
            "set N=0",
            f'if exist "{here}\\count_%1.txt" set /p N=<"{here}\\count_%1.txt"',
            "set /a N=N+1",
            f'>"{here}\\count_%1.txt" echo %N%',
            "exit /b 0",
        ]
        (self.root / "stub.cmd").write_bytes(("\r\n".join(lines) + "\r\n").encode("ascii"))

    def _answer(self, kind: str) -> list[str]:
        """The scenario's exit codes for this kind of call, one per call; the last one repeats."""
        codes = self.answers.get(kind, [0])
        lines = [f"call :count {kind}"]
        lines += [f"if %N% EQU {i + 1} exit /b {code}" for i, code in enumerate(codes[:-1])]
        return lines + [f"exit /b {codes[-1]}"]

    def run(self, *args: str, timeout: float = 180, **env: str) -> tuple[int, str]:
        self.write_stub()
        result = subprocess.run(
            [*self.wine, "cmd", "/c", winpath(self.root / "puter.bat"), *args], cwd=self.root, env={**self.env, **env},
            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=timeout,
        )
        return result.returncode, result.stdout.decode("utf-8", "replace").replace("\r\n", "\n")

    def calls(self, wait_for: str | None = None, timeout: float = 20) -> list[tuple[str, str, str]]:
        """(kind, BATOS_ENDPOINT, arguments) of each stub call; waits for a call started with ``start``."""
        log = self.root / "calls.log"
        deadline = time.monotonic() + timeout
        while True:
            text = log.read_bytes().decode("ascii", "replace") if log.exists() else ""
            calls = [tuple(line.split("|", 2)) for line in text.splitlines() if line.strip()]
            if wait_for is None or any(c[0] == wait_for for c in calls) or time.monotonic() > deadline:
                return calls  # type: ignore[return-value]
            time.sleep(0.1)


@pytest.fixture
def puter(wine, tmp_path):
    return Puter(tmp_path, wine)


def kinds(calls) -> list[str]:
    return [c[0] for c in calls]


def test_wine_first_double_click_starts_the_watchdog_waits_then_opens_the_chat(puter):
    puter.with_venv()
    puter.answers = {"status": [3, 1], "ping": [1, 1, 0]}  # none runs; no kernel; then starting; answers on the 2nd wait round
    code, out = puter.run()
    assert code == 0, out
    calls = puter.calls(wait_for="chat")
    seq = kinds(calls)
    assert seq[:3] == ["fetch", "status", "ping"], seq  # the embedded model; is a watchdog running? a kernel without one?
    runs = [c for c in calls if c[0] == "run"]
    assert len(runs) == 1 and runs[0][2].endswith(
        rf"min_watchdog_service.py run --state-file {winpath(puter.root)}\data\watchdog.json --log-file {winpath(puter.root)}\logs\watchdog.log"
    ), runs
    assert seq.count("ping") == 3 and seq[-1] == "chat"
    assert seq.index("chat") > seq.index("run")
    # Once the watchdog's state file is there, the ping and the chat use its endpoint.
    assert [c[1] for c in calls if c[0] in ("ping", "chat")][-2:] == [STUB_ENDPOINT, STUB_ENDPOINT]
    assert "Press any key" not in out


def test_wine_the_embedded_model_is_fetched_skipped_or_its_failure_said(puter):
    puter.with_venv()
    puter.answers = {"status": [3, 1], "ping": [1, 0], "fetch": [1]}
    code, out = puter.run()
    assert code == 0, out  # a failed fetch is said, and the start goes on
    assert "Could not fetch the embedded model" in out and "BATOS_EMBEDDED_MODEL=0" in out
    assert kinds(puter.calls(wait_for="chat"))[0] == "fetch"
    (puter.root / "calls.log").unlink()
    for count in puter.root.glob("count_*.txt"):
        count.unlink()
    puter.answers = {"status": [3, 1], "ping": [1, 0]}
    code, out = puter.run(BATOS_EMBEDDED_MODEL="0")
    assert code == 0, out
    assert "fetch" not in kinds(puter.calls(wait_for="chat")) and "Could not fetch" not in out


def test_wine_a_second_double_click_starts_no_second_watchdog(puter):
    puter.with_venv()
    (puter.root / "data").mkdir()
    (puter.root / "data" / "watchdog.json").write_text("{}")
    puter.answers = {"status": [0], "ping": [0]}
    code, out = puter.run()
    assert code == 0, out
    calls = puter.calls(wait_for="chat")
    assert "run" not in kinds(calls), kinds(calls)
    assert kinds(calls)[-1] == "chat" and calls[-1][1] == STUB_ENDPOINT
    assert "already" in out


def test_wine_a_watchdog_that_gives_up_while_waiting_fails_at_once_with_its_log(puter):
    puter.with_venv()
    puter.answers = {"status": [3, 1, 4], "ping": [1]}
    code, out = puter.run()
    assert code == 1, out
    seq = kinds(puter.calls())
    assert "chat" not in seq and seq.count("status") == 4, " ".join(seq) + "\n" + out  # the 4th prints what it says
    assert "the watchdog gave up" in out and "STUB STATUS" in out and "STUB LOG: giving up (exit code 3)" in out
    assert "Press any key" in out


def test_wine_a_watchdog_whose_window_closed_is_noticed_after_the_grace(puter):
    puter.with_venv()
    puter.answers = {"status": [3], "ping": [1]}
    puter.clock_step = 10  # each look at the clock: 10 s later
    code, out = puter.run()
    assert code == 1, out
    assert "the watchdog stopped (its window closed)" in out and "Press any key" in out
    assert 2 <= kinds(puter.calls()).count("status") <= 5  # START_GRACE is 30 s, not WAIT_SECONDS (120)


def test_wine_a_watchdog_seen_then_gone_fails_at_once(puter):
    puter.with_venv()
    puter.answers = {"status": [3, 1, 3], "ping": [1]}
    code, out = puter.run()
    assert code == 1 and "its window closed" in out, out
    assert kinds(puter.calls()).count("status") == 3


def test_wine_the_wait_ends_after_batos_wait_seconds(puter):
    puter.with_venv()
    puter.answers = {"status": [3, 1], "ping": [1]}
    puter.clock_step = 10
    code, out = puter.run(BATOS_WAIT_SECONDS="60")
    assert code == 1, out
    assert "did not answer within 60 s" in out and "STUB LOG" in out and "Press any key" in out
    assert "chat" not in kinds(puter.calls())
    assert 3 <= kinds(puter.calls()).count("ping") <= 8


def test_wine_a_bad_batos_wait_seconds_is_refused(puter):
    puter.with_venv()
    code, out = puter.run(BATOS_WAIT_SECONDS="soon")
    assert code == 1 and 'BATOS_WAIT_SECONDS must be a whole number of seconds, 1 or more, not "soon"' in out, out
    assert "Press any key" in out and puter.calls() == []


def test_wine_a_watchdog_that_had_given_up_is_stopped_and_started_afresh(puter):
    puter.with_venv()
    puter.answers = {"status": [4, 4, 1], "ping": [0]}
    code, out = puter.run()
    assert code == 0, out
    seq = kinds(puter.calls(wait_for="chat"))
    assert seq.index("stop") < seq.index("run"), seq
    assert "A watchdog had given up" in out and "STUB STATUS" in out


def test_wine_a_watchdog_that_will_not_stop_is_a_failure(puter):
    puter.with_venv()
    puter.answers = {"status": [4], "stop": [1]}
    code, out = puter.run()
    assert code == 1 and "the watchdog did not stop" in out and "Press any key" in out, out
    assert "run" not in kinds(puter.calls())


def test_wine_a_status_that_fails_is_shown(puter):
    puter.with_venv()
    puter.answers = {"status": [2]}
    code, out = puter.run()
    assert code == 1 and '"min_watchdog_service.py status" failed (exit code 2)' in out and "Press any key" in out, out


def test_wine_a_kernel_without_a_watchdog_gets_the_chat(puter):
    puter.with_venv()
    puter.answers = {"status": [3], "ping": [0]}
    code, out = puter.run()
    assert code == 0 and "without a watchdog" in out, out
    assert "run" not in kinds(puter.calls(wait_for="chat"))


@pytest.mark.parametrize("answer", [0, 1, 3, 4])
def test_wine_puter_status_answers_with_the_watchdogs_exit_code(puter, answer):
    puter.with_venv()
    puter.answers = {"status": [answer]}
    code, out = puter.run("status")
    assert code == answer and "STUB STATUS" in out and "Press any key" not in out, out


def test_wine_puter_stop_and_its_failure(puter):
    puter.with_venv()
    code, out = puter.run("stop")
    assert code == 0 and kinds(puter.calls()) == ["stop"], out
    puter.answers = {"stop": [1]}
    code, out = puter.run("stop")
    assert code == 1 and "Press any key" in out, out


def test_wine_status_and_stop_before_any_set_up(puter):
    assert puter.run("status")[0] == 3
    assert puter.run("stop")[0] == 0
    code, out = puter.run("launch")
    assert code == 1 and 'unknown argument "launch"' in out and "Press any key" in out
    code, out = puter.run("help")
    assert code == 0 and "Usage: puter.bat [status | stop | web [ARGS]]" in out and "Press any key" not in out, out


def test_wine_puter_web_opens_the_inspector_on_the_watchdogs_kernel_with_its_arguments(puter):
    """No model fetch, no watchdog started: the inspector, given the arguments after "web" and the endpoint
    of the watchdog's state file; its exit code is puter.bat's, with no pause (it runs in a console)."""
    puter.with_venv()
    (puter.root / "data").mkdir()
    (puter.root / "data" / "watchdog.json").write_text("{}")
    code, out = puter.run("web", "--port", "0", "--no-browser")
    assert code == 0, out
    calls = puter.calls()
    assert kinds(calls) == ["endpoint", "web"], calls
    assert calls[-1][2].endswith("chat_client.py --web --port 0 --no-browser") and calls[-1][1] == STUB_ENDPOINT, calls
    assert "Opening the web inspector" in out and "Press any key" not in out
    (puter.root / "calls.log").unlink()
    puter.answers = {"web": [64]}
    code, out = puter.run("web", "--bind", "0.0.0.0")
    assert code == 64 and "Press any key" not in out, out
    assert puter.calls()[-1][2].endswith("chat_client.py --web --bind 0.0.0.0")


def test_wine_puter_web_sets_up_first(puter):
    puter.with_venv()
    (puter.root / ".venv" / "batos-installed-requirements.txt").unlink()  # requirements changed: install
    code, out = puter.run("web")
    assert code == 0, out
    calls = puter.calls()
    assert kinds(calls) == ["pip", "pip", "web"], calls
    assert calls[-1][2].endswith("chat_client.py --web"), calls
    assert (puter.root / ".venv" / "batos-installed-requirements.txt").is_file()


def test_wine_first_run_creates_the_venv_and_installs_the_cpu_build(puter):
    puter.stub_program(puter.root, "py")  # "py -3.11" is found in the current folder
    code, out = puter.run()
    assert code == 0, out
    calls = puter.calls(wait_for="chat")
    pips = [c[2].split("python-script.py ", 1)[1] for c in calls if c[0] == "pip"]
    assert pips == ["-m pip install --prefer-binary torch==2.13.0", "-m pip install --prefer-binary -c constraints.txt -r requirements.txt"]
    venv = [c[2] for c in calls if c[0] == "venv"]
    assert len(venv) == 1 and "-3.11 -m venv" in venv[0]
    assert (puter.root / ".venv" / "batos-installed-requirements.txt").read_bytes() == (ROOT / "requirements.txt").read_bytes()
    # The second start installs nothing and needs no system Python.
    (puter.root / "calls.log").unlink()
    (puter.root / "py.exe").unlink()
    code, out = puter.run()
    assert code == 0, out
    assert not {"pip", "venv", "pycheck"} & set(kinds(puter.calls(wait_for="chat")))


def test_wine_with_an_nvidia_gpu_the_cuda_build_is_installed(puter):
    puter.with_venv()
    (puter.root / ".venv" / "batos-installed-requirements.txt").unlink()  # requirements changed: install
    puter.stub_program(puter.root, "nvidia-smi")
    code, out = puter.run()
    assert code == 0, out
    pips = [c[2].split("python-script.py ", 1)[1] for c in puter.calls(wait_for="chat") if c[0] == "pip"]
    assert pips[0] == "-m pip install --index-url https://download.pytorch.org/whl/cu128 torch==2.13.0", pips
    assert "NVIDIA GPU found" in out


def test_wine_when_the_cuda_build_fails_the_cpu_build_is_installed(puter):
    puter.with_venv()
    (puter.root / ".venv" / "batos-installed-constraints.txt").unlink()
    puter.stub_program(puter.root, "nvidia-smi")
    puter.answers = {"pip": [1, 0]}
    code, out = puter.run()
    assert code == 0, out
    pips = [c[2].split("python-script.py ", 1)[1] for c in puter.calls(wait_for="chat") if c[0] == "pip"]
    assert [p.split()[3] for p in pips] == ["--index-url", "--prefer-binary", "--prefer-binary"], pips
    assert "installing the CPU build instead" in out


def test_wine_batos_torch_index_is_used_without_asking_nvidia_smi(puter):
    puter.with_venv()
    (puter.root / ".venv" / "batos-installed-requirements.txt").unlink()
    puter.stub_program(puter.root, "nvidia-smi")
    code, out = puter.run(BATOS_TORCH_INDEX="https://example.invalid/whl/cpu")
    assert code == 0, out
    calls = puter.calls(wait_for="chat")
    assert "nvidia" not in kinds(calls)
    assert [c[2].split("python-script.py ", 1)[1] for c in calls if c[0] == "pip"][0] == (
        "-m pip install --index-url https://example.invalid/whl/cpu torch==2.13.0"
    )


def test_wine_a_failed_install_is_shown_and_not_stamped(puter):
    puter.with_venv()
    (puter.root / ".venv" / "batos-installed-requirements.txt").unlink()
    puter.answers = {"pip": [0, 1]}
    code, out = puter.run()
    assert code == 1 and "installing requirements.txt failed" in out and "Press any key" in out, out
    assert not (puter.root / ".venv" / "batos-installed-requirements.txt").exists()


def test_wine_no_python_at_all_is_explained(puter):
    code, out = puter.run()
    assert code == 1 and "Python 3.11 or newer was not found" in out and "Press any key" in out, out


def test_wine_missing_files_are_explained(puter):
    (puter.root / "chat_client.py").unlink()
    code, out = puter.run()
    assert code == 1 and "is missing next to puter.bat" in out and "Press any key" in out, out
