"""The template: the warm process that forks the jailed children, one per fork request, and reports their exits.

Once, in :meth:`Template.prepare`: the modules methods may import are loaded
(``PRELOAD``: children never read the disk), then the template's own layers go on
(network namespace, ``no_new_privs``, Landlock) and the seccomp program is built.
Each child (:meth:`Template.child`) closes every fd but its run socket, drops root,
sets its rlimits, installs seccomp and then serves a probe, one run (fresh) or run
after run (reusable, :func:`~.warm.serve_warm`).
"""

from __future__ import annotations

import gc
import os
import platform
import select
import signal
import socket
import sys
import time
import traceback
import warnings
from typing import Collection

import ormsgpack

from ..contract import ALLOWED_MODULES, EXIT_SETUP_FAILED, HARMLESS_SUBMODULES, HEADER
from .frames import pack, read_frame, write_all
from .layers import (
    PR_SET_NO_NEW_PRIVS,
    PR_SET_PDEATHSIG,
    RUN_FD,
    drop_root,
    enter_network_namespace,
    install_seccomp,
    landlock_restrict,
    prctl,
    probe_files,
    probe_processes_and_network,
    seccomp_program,
    set_limits,
    vm_size,
)
from .cases import serve_cases
from .run import timed_run
from .timer import TIMER
from .warm import WARM_CPU_RESERVE, serve_warm

#: Loaded in the template so children never touch the disk (codecs and lazy imports included).
PRELOAD = sorted(ALLOWED_MODULES) + list(HARMLESS_SUBMODULES) + [
    "_strptime", "unicodedata",
    "encodings.idna", "encodings.ascii", "encodings.latin_1", "encodings.utf_16", "encodings.utf_32",
    "encodings.utf_8_sig", "encodings.cp1252", "encodings.unicode_escape", "encodings.raw_unicode_escape",
]


class Template:
    """The warm process. One per Jail; forks the children (fresh or reusable) and reports their exits."""

    def __init__(self, control_fd: int, workdir: str) -> None:
        self.control = socket.socket(fileno=control_fd)
        self.workdir = workdir
        self.pid = os.getpid()
        self.children: set[int] = set()
        self.layers: dict[str, object] = {}
        self.baseline_vm = 0
        self.seccomp = None

    def prepare(self, kernel_pid: int, paths: Collection[str] = ()) -> None:
        """Preload, then lock the template down; ``paths``: what the bootstrap put on ``sys.path``."""
        prctl(PR_SET_PDEATHSIG, signal.SIGKILL)  # the kernel gone -> the template gone
        if os.getppid() != kernel_pid:
            raise SystemExit("the kernel is already gone")
        os.chdir(self.workdir)
        self.devnull = os.open(os.devnull, os.O_RDWR)
        for name in PRELOAD:
            __import__(name)
        time.localtime()  # the C library reads the zone file now, while it can
        sys.path[:] = [p for p in sys.path if p not in paths]  # site-packages and the project out of reach
        self.layers["network_namespace"] = enter_network_namespace()
        self.baseline_vm = vm_size()
        self.seccomp = seccomp_program()
        self.layers["no_new_privs"] = prctl(PR_SET_NO_NEW_PRIVS, 1)
        self.layers["landlock_abi"] = landlock_restrict()
        self.layers["seccomp_available"] = self.seccomp is not None
        self.layers["euid"] = os.geteuid()
        self.layers["platform"] = f"{sys.platform} {platform.machine()} Python {platform.python_version()}"
        self.wake_r, self.wake_w = os.pipe()
        os.set_blocking(self.wake_w, False)
        signal.set_wakeup_fd(self.wake_w)
        signal.signal(signal.SIGCHLD, lambda *_: None)
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        warnings.simplefilter("ignore")  # RestrictedPython's and the methods' warnings are nobody's log lines
        gc.collect()
        gc.freeze()  # children share these pages instead of copying them when the collector runs

    def send(self, message: dict) -> None:
        self.control.sendall(pack(message))

    def serve(self) -> None:
        """Fork and kill children as the kernel asks, until it closes the channel; then kill what is left. A channel
        reset or broken (the kernel stopping while a child runs, or killed) is the same end as a close: quietly."""
        try:
            self._serve()
        except ConnectionError:  # BrokenPipeError, ConnectionResetError: the kernel is gone
            pass
        for pid in self.children:  # the kernel closed the channel: nothing may outlive it
            os.kill(pid, signal.SIGKILL)

    def _serve(self) -> None:
        self.send({"op": "hello", "pid": os.getpid(), "layers": self.layers})
        buffer, fds = b"", []
        while True:
            ready, _, _ = select.select([self.control, self.wake_r], [], [])
            if self.wake_r in ready:
                os.read(self.wake_r, 4096)
                self.reap()
            if self.control not in ready:
                continue
            data, new_fds, _, _ = socket.recv_fds(self.control, 65536, 8)
            fds.extend(new_fds)
            if not data:
                break
            buffer += data
            while len(buffer) >= 4:
                (size,) = HEADER.unpack(buffer[:4])
                if len(buffer) < 4 + size:
                    break
                message, buffer = ormsgpack.unpackb(buffer[4:4 + size]), buffer[4 + size:]
                if message.get("op") == "fork" and fds:
                    self.fork(message["id"], fds.pop(0))
                elif message.get("op") == "fork":
                    self.send({"op": "fork_failed", "id": message.get("id"), "error": "no run socket came with the request"})
                elif message.get("op") == "kill" and message.get("pid") in self.children:
                    os.kill(message["pid"], signal.SIGKILL)

    def reap(self) -> None:
        while self.children:
            try:
                pid, status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                return
            if pid == 0:
                return
            self.children.discard(pid)
            if os.WIFSIGNALED(status):
                self.send({"op": "exited", "pid": pid, "signal": os.WTERMSIG(status)})
            else:
                self.send({"op": "exited", "pid": pid, "code": os.waitstatus_to_exitcode(status)})

    def fork(self, run_id: int, run_fd: int) -> None:
        try:
            pid = os.fork()
        except OSError as exc:
            os.close(run_fd)
            self.send({"op": "fork_failed", "id": run_id, "error": str(exc)})
            return
        if pid == 0:
            code = EXIT_SETUP_FAILED
            try:
                code = self.child(run_fd)
            except BaseException:  # noqa: BLE001 - the jail's own failure: to the kernel's log, then out
                traceback.print_exc()
            finally:
                os._exit(code)
        os.close(run_fd)
        self.children.add(pid)
        self.send({"op": "forked", "id": run_id, "pid": pid})

    def child(self, run_fd: int) -> int:
        """In the forked child: shut every door, then run. Never returns into the template's loop."""
        signal.set_wakeup_fd(-1)
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)
        self.control.detach()  # its fd is closed below; the object must not close a reused number
        os.dup2(self.devnull, 0)
        os.dup2(self.devnull, 1)
        if run_fd != RUN_FD:
            os.dup2(run_fd, RUN_FD)
        os.closerange(RUN_FD + 1, max(os.sysconf("SC_OPEN_MAX"), 1 << 16))
        request = read_frame(RUN_FD)
        report: dict[str, object] = {"drop_root": drop_root(), "uid": os.getuid()}
        prctl(PR_SET_PDEATHSIG, signal.SIGKILL)  # after drop_root: a change of credentials clears it
        if os.getppid() != self.pid:
            return EXIT_SETUP_FAILED  # the template is already gone
        probing = request.get("op") == "probe"
        if probing:
            report.update(probe_files())
        reusable = request.get("op") == "serve"
        report.update(set_limits(request["limits"], self.baseline_vm, WARM_CPU_RESERVE if reusable else 0))
        TIMER.install()
        report["seccomp"] = install_seccomp(self.seccomp)
        if probing:
            report.update(probe_processes_and_network())
            write_all(RUN_FD, pack({"op": "probe", "report": report}))
            return 0
        if reusable:
            return serve_warm(RUN_FD, request)
        write_all(RUN_FD, pack(serve_cases(request, RUN_FD) if "cases" in request else timed_run(request, RUN_FD)))
        return 0


def main(argv: list[str], paths: Collection[str] = ()) -> int:
    """``argv``: ``--control-fd N --workdir DIR --kernel-pid P --path SITE...``; ``paths``: see :meth:`Template.prepare`."""
    options = dict(zip(argv[1::2], argv[2::2]))
    template = Template(int(options["--control-fd"]), options["--workdir"])
    template.prepare(int(options["--kernel-pid"]), list(paths))
    template.serve()
    return 0
