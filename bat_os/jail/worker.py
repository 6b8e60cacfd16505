"""The jail's worker: a warm template process that forks jailed children.

Started by :mod:`bat_os.jail.runner` as ``python -I -S -B jail_worker.py --control-fd N
--workdir DIR --path SITE...`` with an empty environment. It imports only the
standard library, RestrictedPython and ormsgpack (never ``bat_os``), then
preloads the modules methods may import, so nothing is read from disk later.

Layers, outermost first (each one detected, none assumed; see ``protections``):

* template, once: a fresh network namespace (no interfaces but ``lo``),
  ``no_new_privs``, Landlock with no rules (no file access at all, no TCP,
  no signals or abstract sockets outside the sandbox), cwd an empty directory
  that the kernel removes once the template is in it (nothing can be created there).
* child (a fork of the template): every fd closed but the run socket; root
  dropped to ``nobody``; rlimits CPU, AS, FSIZE=0, NOFILE (no new fd at all),
  CORE=0, NPROC=0; a seccomp filter refusing fork/exec, sockets, opening or
  changing files, sending signals, ptrace, namespaces and limits (a deny list:
  ``setitimer``, ``rt_sigaction``, ``rt_sigreturn`` and ``getrandom``, which
  the per-run CPU timer and reseeding need, stay allowed). Two kinds:

  - *fresh* (``{"op": "run"}`` first): serves one run and exits, so no run
    can leave state for the next. Trials of new code run here.
  - *reusable* (``{"op": "serve"}`` first): locked down the same way, with
    the same limits, then serves run after run over its socket until the
    kernel closes it or it retires. Installed methods run here.
* the code itself: compiled by RestrictedPython, run with guarded builtins,
  guarded attribute access and an importer limited to ``ALLOWED_MODULES``.
* per run, in both kinds: a CPU timer (``ITIMER_PROF``, exactly
  ``cpu_seconds`` of the run's own CPU time) raises :class:`CpuLimit` in the
  method; a method that swallows it is ended ``CPU_GRACE`` seconds later
  (exit ``EXIT_CPU``). ``RLIMIT_CPU`` stays as the uncatchable backstop for
  code stuck in C, where no Python signal handler runs (fresh: ``ceil(cpu)``;
  reusable: ``ceil(cpu) + WARM_CPU_RESERVE`` over the child's life, and the
  child retires once it has used the reserve, so every run keeps at least
  ``ceil(cpu)`` and at most ``ceil(cpu) + WARM_CPU_RESERVE`` seconds before
  the kernel's SIGXCPU).

A reusable child, per run: new globals, a new ``Run`` (proxies, slot cache,
print buffer, nesting depth), functions made anew from code objects cached
by the sha256 of the source (code objects are immutable); ``random`` reseeded
from the OS and ``decimal``'s contexts restored after every run. It retires
(answers with ``"retire": true`` and exits) after a CPU timeout, a
``MemoryError``, once it has used ``WARM_CPU_RESERVE`` of CPU or its peak
RSS grew by more than ``WARM_RSS_GROWTH`` (so the next run's headroom under
``RLIMIT_AS`` stays within that of a fresh child). The kernel retires it
after ``Jail.warm_calls`` runs, a wall-clock timeout, a crash or anything
else that leaves the channel in doubt.

What can pass from one run to the next in a reusable child (the same image's
installed methods; nothing reaches the kernel or outside the child, and no
limit is loosened): the ``re`` module's compiled-pattern cache and other
caches that only make things faster (observable as timing only); interned
strings; the heap's layout (fragmentation: at most ``WARM_RSS_GROWTH`` of
headroom); CPU already used (at most ``WARM_CPU_RESERVE``, see above). What cannot: the
method's globals, functions, classes and instances (new per run); module
attributes (read-only views, ``import`` of private submodules refused, and
mutable containers held by modules or by their classes are handed out as
read-only views: ``MappingProxyType``, ``tuple``, ``frozenset``, ``bytes``);
``random``'s state (reseeded); ``decimal``'s current and template contexts
(restored); ABC registries (``register`` is refused on abstract base classes);
signal handlers, limits, fds and credentials (nothing in a method can reach
them, and seccomp refuses the syscalls).

What a method sees:

* ``self`` and every ``{"$oid": ref}`` are proxies: ``obj.x`` asks the kernel
  (``get_slot``); data comes back as a copy, a system method as a callable
  that runs in the kernel (``send``), a generated method as a callable run
  here, in the same child (nested no deeper than ``max_depth``).
  ``obj.x = v`` is written through at once (``set_slot``). The receiver
  crosses as ``{"$oid": "self"}``.
* Mutating a list or dict read from a slot reaches the image: each one read
  is remembered with a snapshot and, if changed, written back with
  ``set_slot`` before every system-method call and at the end of the run
  (also when the method raised; the kernel's transaction decides). Reading
  the same slot twice gives the same object until a system method is
  called. ``self._p_changed = True`` is accepted and does nothing.
* ``print`` is collected (``printed`` works as in RestrictedPython); the
  first 64 KiB of a run's output go to the kernel, which logs it at DEBUG.
* ``import`` of ``ALLOWED_MODULES`` and their submodules only, bound as
  read-only views without ``HIDDEN`` attributes or modules outside the list.
* Results and values sent are plain data: None, bool, int (64-bit), float,
  str, bytes, list/tuple, dict with str keys, proxies. Anything else is a
  ``TypeError``; over ``max_result_bytes``, ``ResultTooLarge`` (a result) or
  ``ValueTooLarge`` (a value sent). Kernel errors arrive as exceptions of
  the same name (builtin ones as themselves), so a method may catch them.

Frames on both sockets are a 4-byte big-endian length and an ormsgpack map.

Control socket (kernel <-> template)::

    kernel   -> {"op": "fork", "id": 7}        with the run socket attached (SCM_RIGHTS)
    kernel   -> {"op": "kill", "pid": 1234}
    template -> {"op": "hello", "pid": 99, "layers": {...}}
    template -> {"op": "forked", "id": 7, "pid": 1234} | {"op": "fork_failed", "id": 7, "error": "..."}
    template -> {"op": "exited", "pid": 1234, "code": 0} | {"op": "exited", "pid": 1234, "signal": 9}

Run socket (kernel <-> one child)::

    kernel -> {"op": "run", "source": ..., "selector": ..., "args": [...], "kwargs": {...}, "limits": {...},
               "snapshot": {"name": value, ...}}      (optional: some of the receiver's own data slots)
              {"op": "probe", "limits": {...}}          (start-up self-test: what holds here)
              {"op": "serve", "limits": {...}}          (first frame of a reusable child; then "run" after "run")
    child  -> {"op": "ready", "pid": 1234}              (a reusable child, locked down and waiting)
    child  -> {"op": "get_slot", "ref": "self", "name": "x"}
              {"op": "set_slot", "ref": "self", "name": "x", "value": ...}
              {"op": "send", "ref": "0x1a", "selector": "s", "args": [...], "kwargs": {...}}
    kernel -> {"ok": value} | {"error": ["KeyError", "message"]}
    child  -> {"op": "result", "value": ..., "printed": "..."}
              {"op": "raised", "type": "ValueError", "message": "...", "traceback": "...", "printed": "..."}
              {"op": "memory", "message": "..."}
              {"op": "cpu", "message": "...", "printed": "..."}
              {"op": "probe", "report": {...}}
           a reusable child's final frame carries "retire": true when it exits after it.

The ``snapshot`` stands in for ``get_slot("self", name)`` of the names it
holds, until the run calls a system method or writes to an object other than
``"self"`` (either may change the receiver behind the snapshot's back); reads
of anything else still go to the kernel, and writes always do.
"""

from __future__ import annotations

import abc
import ast
import ctypes
import decimal
import errno
import functools
import gc
import hashlib
import linecache
import operator
import os
import platform
import random
import resource
import select
import signal
import socket
import string
import struct
import sys
import time
import traceback
import types
import warnings

if __name__ == "__main__":  # started with -S: the kernel names where the two dependencies live
    _extra = [sys.argv[i + 1] for i, a in enumerate(sys.argv[:-1]) if a == "--path"]
    sys.path.extend(_extra)

import ormsgpack  # noqa: E402
from RestrictedPython import PrintCollector, compile_restricted, safe_builtins  # noqa: E402
from RestrictedPython.Guards import (  # noqa: E402
    full_write_guard,
    guarded_iter_unpack_sequence,
    guarded_unpack_sequence,
)
from RestrictedPython.transformer import (  # noqa: E402
    INSPECT_ATTRIBUTES,
    RestrictingNodeTransformer,
    copy_locations,
)

#: What ``import`` may name inside a method (and their submodules).
ALLOWED_MODULES = frozenset({
    "math", "json", "re", "datetime", "random", "itertools", "collections", "statistics",
    "string", "textwrap", "time", "functools", "operator", "decimal", "fractions",
})
#: Module attributes that would walk around the attribute guard.
HIDDEN = {"operator": frozenset({"attrgetter", "methodcaller"}), "string": frozenset({"Formatter"})}
#: Loaded in the template so children never touch the disk (codecs and lazy imports included).
PRELOAD = sorted(ALLOWED_MODULES) + [
    "collections.abc", "json.decoder", "json.encoder", "json.scanner", "_strptime", "unicodedata",
    "encodings.idna", "encodings.ascii", "encodings.latin_1", "encodings.utf_16", "encodings.utf_32",
    "encodings.utf_8_sig", "encodings.cp1252", "encodings.unicode_escape", "encodings.raw_unicode_escape",
]
FORBIDDEN_ATTRIBUTES = INSPECT_ATTRIBUTES | {"mro", "format", "format_map"}
GENERATED_MODULE = "bat_os_generated"
MAX_PRINTED = 64 * 1024
MAX_MESSAGE = 2000
MAX_NESTING = 100
RUN_FD = 3
NOBODY = 65534
EXIT_SETUP_FAILED = 70
EXIT_PROTOCOL = 71
EXIT_CPU = 72  # the method swallowed CpuLimit and ran on past CPU_GRACE
CPU_GRACE = 0.25  # seconds of CPU a method gets to unwind after CpuLimit
WARM_CPU_RESERVE = 1  # whole seconds of CPU a reusable child may use over its life beyond one run's limit
WARM_RSS_GROWTH = 32 * 2**20  # a reusable child retires once its peak RSS grew by this much
CODE_CACHE_SIZE = 256  # compiled sources kept by a reusable child

_HEADER = struct.Struct(">I")


# --- frames -----------------------------------------------------------------
def pack(message: dict) -> bytes:
    body = ormsgpack.packb(message)
    return _HEADER.pack(len(body)) + body


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]


_READ = 64 * 1024
_pending = bytearray()  # bytes read past the end of the last frame (none in a strict request/answer exchange)


def read_frame(fd: int) -> dict:
    """The next frame from ``fd``: usually one ``read`` for a whole small frame."""
    buffer = _pending
    while len(buffer) < 4:
        _fill(fd, buffer, _READ)
    (size,) = _HEADER.unpack_from(buffer)
    while len(buffer) < 4 + size:
        _fill(fd, buffer, max(_READ, 4 + size - len(buffer)))
    with memoryview(buffer) as view:
        message = ormsgpack.unpackb(view[4:4 + size])
    del buffer[:4 + size]
    return message


def _fill(fd: int, buffer: bytearray, count: int) -> None:
    chunk = os.read(fd, count)
    if not chunk:
        raise EOFError("the kernel closed the run socket")
    buffer += chunk


# --- OS layers (Linux; each returns whether it took hold) -----------------------
_libc = ctypes.CDLL(None, use_errno=True)
if sys.platform.startswith("linux"):
    _libc.syscall.restype = ctypes.c_long
    _libc.prctl.restype = ctypes.c_int

PR_SET_PDEATHSIG, PR_SET_NO_NEW_PRIVS, PR_SET_SECCOMP, SECCOMP_MODE_FILTER = 1, 38, 22, 2
CLONE_NEWUSER, CLONE_NEWNET = 0x10000000, 0x40000000
_LANDLOCK_CREATE_RULESET, _LANDLOCK_RESTRICT_SELF = 444, 446  # the same number on every architecture


def _prctl(option: int, arg: int) -> bool:
    if not sys.platform.startswith("linux"):
        return False
    return _libc.prctl(option, ctypes.c_ulong(arg), ctypes.c_ulong(0), ctypes.c_ulong(0), ctypes.c_ulong(0)) == 0


def enter_network_namespace() -> bool:
    """A new, empty network namespace (root: directly; otherwise inside a new user namespace)."""
    if not sys.platform.startswith("linux"):
        return False
    flags = CLONE_NEWNET if os.geteuid() == 0 else CLONE_NEWUSER | CLONE_NEWNET
    if _libc.unshare(ctypes.c_int(flags)) != 0:
        return False
    try:
        return [name for _, name in socket.if_nameindex()] == ["lo"]
    except OSError:
        return False


def landlock_restrict() -> int:
    """Deny every file access, TCP bind/connect and outside signals. Returns the ABI used (0: none)."""
    if not sys.platform.startswith("linux"):
        return 0
    abi = _libc.syscall(ctypes.c_long(_LANDLOCK_CREATE_RULESET), None, ctypes.c_size_t(0), ctypes.c_uint32(1))
    if abi < 1:
        return 0
    fs = (1 << 13) - 1  # ABI 1: execute, read/write files, read dirs, remove and make anything
    fs |= (1 << 13) if abi >= 2 else 0  # REFER
    fs |= (1 << 14) if abi >= 3 else 0  # TRUNCATE
    fs |= (1 << 15) if abi >= 5 else 0  # IOCTL_DEV
    net = 0b11 if abi >= 4 else 0  # BIND_TCP, CONNECT_TCP
    scoped = 0b11 if abi >= 6 else 0  # ABSTRACT_UNIX_SOCKET, SIGNAL
    size = 24 if abi >= 6 else 16 if abi >= 4 else 8
    attr = ctypes.create_string_buffer(struct.pack("=QQQ", fs, net, scoped)[:size], size)
    fd = _libc.syscall(ctypes.c_long(_LANDLOCK_CREATE_RULESET), attr, ctypes.c_size_t(size), ctypes.c_uint32(0))
    if fd < 0:
        return 0
    try:
        if _libc.syscall(ctypes.c_long(_LANDLOCK_RESTRICT_SELF), ctypes.c_int(fd), ctypes.c_uint32(0)) != 0:
            return 0
    finally:
        os.close(fd)
    return abi


# Syscalls a method never needs. x86_64 numbers, then the generic table (aarch64, riscv64).
_DENY_NAMES = (
    "fork vfork clone clone3 execve execveat "
    "kill tkill tgkill rt_sigqueueinfo rt_tgsigqueueinfo pidfd_open pidfd_send_signal pidfd_getfd "
    "ptrace process_vm_readv process_vm_writev kcmp perf_event_open bpf userfaultfd "
    "socket socketpair connect bind listen accept accept4 "
    "open creat openat openat2 open_by_handle_at name_to_handle_at mknod mknodat memfd_create "
    "unlink unlinkat rename renameat renameat2 mkdir mkdirat rmdir link linkat symlink symlinkat "
    "chmod fchmod fchmodat chown fchown lchown fchownat truncate ftruncate utime utimes utimensat futimesat "
    "chdir fchdir chroot mount umount2 pivot_root fsopen fsmount open_tree move_mount fspick mount_setattr "
    "setuid setgid setreuid setregid setresuid setresgid setgroups setfsuid setfsgid capset "
    "setrlimit prlimit64 unshare setns personality prctl io_uring_setup io_uring_enter io_uring_register "
    "keyctl add_key request_key kexec_load kexec_file_load init_module finit_module delete_module "
    "reboot swapon swapoff acct iopl ioperm quotactl uselib"
).split()
_X86_64 = dict(
    fork=57, vfork=58, clone=56, clone3=435, execve=59, execveat=322, kill=62, tkill=200, tgkill=234,
    rt_sigqueueinfo=129, rt_tgsigqueueinfo=297, pidfd_open=434, pidfd_send_signal=424, pidfd_getfd=438,
    ptrace=101, process_vm_readv=310, process_vm_writev=311, kcmp=312, perf_event_open=298, bpf=321,
    userfaultfd=323, socket=41, socketpair=53, connect=42, bind=49, listen=50, accept=43, accept4=288,
    open=2, creat=85, openat=257, openat2=437, open_by_handle_at=304, name_to_handle_at=303, mknod=133,
    mknodat=259, memfd_create=319, unlink=87, unlinkat=263, rename=82, renameat=264, renameat2=316,
    mkdir=83, mkdirat=258, rmdir=84, link=86, linkat=265, symlink=88, symlinkat=266, chmod=90, fchmod=91,
    fchmodat=268, chown=92, fchown=93, lchown=94, fchownat=260, truncate=76, ftruncate=77, utime=132,
    utimes=235, utimensat=280, futimesat=261, chdir=80, fchdir=81, chroot=161, mount=165, umount2=166,
    pivot_root=155, fsopen=430, fsmount=432, open_tree=428, move_mount=429, fspick=433, mount_setattr=442,
    setuid=105, setgid=106, setreuid=113, setregid=114, setresuid=117, setresgid=119, setgroups=116,
    setfsuid=122, setfsgid=123, capset=126, setrlimit=160, prlimit64=302, unshare=272, setns=308,
    personality=135, prctl=157, io_uring_setup=425, io_uring_enter=426, io_uring_register=427, keyctl=250,
    add_key=248, request_key=249, kexec_load=246, kexec_file_load=320, init_module=175, finit_module=313,
    delete_module=176, reboot=169, swapon=167, swapoff=168, acct=163, iopl=172, ioperm=173, quotactl=179,
    uselib=134,
)
_GENERIC = dict(
    clone=220, clone3=435, execve=221, execveat=281, kill=129, tkill=130, tgkill=131, rt_sigqueueinfo=138,
    rt_tgsigqueueinfo=240, pidfd_open=434, pidfd_send_signal=424, pidfd_getfd=438, ptrace=117,
    process_vm_readv=270, process_vm_writev=271, kcmp=272, perf_event_open=241, bpf=280, userfaultfd=282,
    socket=198, socketpair=199, connect=203, bind=200, listen=201, accept=202, accept4=242, openat=56,
    openat2=437, open_by_handle_at=265, name_to_handle_at=264, mknodat=33, memfd_create=279, unlinkat=35,
    renameat=38, renameat2=276, mkdirat=34, linkat=37, symlinkat=36, fchmod=52, fchmodat=53, fchown=55,
    fchownat=54, truncate=45, ftruncate=46, utimensat=88, chdir=49, fchdir=50, chroot=51, mount=40,
    umount2=39, pivot_root=41, fsopen=430, fsmount=432, open_tree=428, move_mount=429, fspick=433,
    mount_setattr=442, setuid=146, setgid=144, setreuid=145, setregid=143, setresuid=147, setresgid=149,
    setgroups=159, setfsuid=151, setfsgid=152, capset=91, setrlimit=164, prlimit64=261, unshare=97,
    setns=268, personality=92, prctl=167, io_uring_setup=425, io_uring_enter=426, io_uring_register=427,
    keyctl=219, add_key=217, request_key=218, kexec_load=104, kexec_file_load=294, init_module=105,
    finit_module=273, delete_module=106, reboot=142, swapon=224, swapoff=225, acct=89, quotactl=60,
)
#: machine -> (AUDIT_ARCH_*, syscall table, lowest number of a foreign ABI to refuse or None)
_SECCOMP_ARCHES = {"x86_64": (0xC000003E, _X86_64, 0x40000000), "aarch64": (0xC00000B7, _GENERIC, None)}


def seccomp_program() -> bytes | None:
    """A classic-BPF seccomp filter: EPERM for every denied syscall, kill on a foreign ABI."""
    arch = _SECCOMP_ARCHES.get(platform.machine())
    if arch is None or not sys.platform.startswith("linux"):
        return None
    audit_arch, table, foreign = arch
    numbers = sorted({table[name] for name in _DENY_NAMES if name in table})
    ld, jeq, jge, ret = 0x20, 0x15, 0x35, 0x06
    allow, deny, kill = 0x7FFF0000, 0x00050000 | errno.EPERM, 0x80000000
    insns = [(ld, 0, 0, 4), (jeq, 1, 0, audit_arch), (ret, 0, 0, kill), (ld, 0, 0, 0)]
    tail = len(numbers) + 1  # instructions between a check and the shared "deny"
    if foreign is not None:
        insns.append((jge, tail, 0, foreign))
    for i, number in enumerate(numbers):
        insns.append((jeq, len(numbers) - i, 0, number))
    insns += [(ret, 0, 0, allow), (ret, 0, 0, deny)]
    return b"".join(struct.pack("=HBBI", *insn) for insn in insns)


def install_seccomp(program: bytes | None) -> bool:
    if program is None:
        return False
    count = len(program) // 8
    buffer = ctypes.create_string_buffer(program, len(program))

    class _Prog(ctypes.Structure):
        _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.c_void_p)]

    prog = _Prog(count, ctypes.cast(buffer, ctypes.c_void_p))
    return _libc.prctl(PR_SET_SECCOMP, ctypes.c_ulong(SECCOMP_MODE_FILTER), ctypes.byref(prog),
                       ctypes.c_ulong(0), ctypes.c_ulong(0)) == 0


def drop_root() -> bool:
    """As root: become ``nobody`` with no groups (so NPROC counts, and files and processes are not ours)."""
    if os.geteuid() != 0:
        return False
    os.setgroups([])
    os.setresgid(NOBODY, NOBODY, NOBODY)
    os.setresuid(NOBODY, NOBODY, NOBODY)
    return os.geteuid() == NOBODY


def _limit(which: int, value: int) -> bool:
    try:
        resource.setrlimit(which, (value, value))
        return True
    except (ValueError, OSError):
        return False


def cpu_whole_seconds(limits: dict) -> int:
    return max(1, int(-(-float(limits["cpu_seconds"]) // 1)))  # whole seconds, rounded up


def set_limits(limits: dict, baseline_vm: int, cpu_reserve: int = 0) -> dict[str, bool]:
    """The child's rlimits; ``cpu_reserve``: extra whole seconds of RLIMIT_CPU for a reusable child."""
    cpu = cpu_whole_seconds(limits) + cpu_reserve
    done = {
        "rlimit_core": _limit(resource.RLIMIT_CORE, 0),
        "rlimit_fsize_zero": _limit(resource.RLIMIT_FSIZE, 0),
        "rlimit_as": _limit(resource.RLIMIT_AS, baseline_vm + int(limits["memory_bytes"])),
        "rlimit_nproc": _limit(resource.RLIMIT_NPROC, 0),
        "rlimit_nofile": _limit(resource.RLIMIT_NOFILE, RUN_FD + 1),  # no new fd of any kind
    }
    try:  # soft limit: SIGXCPU; one more second and the hard limit kills
        resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 1))
        done["rlimit_cpu"] = True
    except (ValueError, OSError):
        done["rlimit_cpu"] = False
    return done


# --- plain data ---------------------------------------------------------------
class ValueTooLarge(ValueError):
    """A value over ``max_result_bytes``."""


class Proxy:
    """An object of the image, seen from inside a method. Every attribute is a slot asked of the kernel."""

    __slots__ = ("_ref", "_run")

    def __init__(self, ref: str, run: "Run") -> None:
        object.__setattr__(self, "_ref", ref)
        object.__setattr__(self, "_run", run)

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError("slots are set with 'obj.name = value'")

    def __guarded_setattr__(self, name: str, value: object) -> None:  # RestrictedPython's write guard calls this
        self._run.write_slot(self, name, value)

    def __guarded_delattr__(self, name: str) -> None:
        raise AttributeError("a method cannot remove slots")

    def __repr__(self) -> str:
        return f"<object {self._ref}>"

    def __eq__(self, other: object) -> bool:
        return type(other) is Proxy and other._ref == self._ref

    def __hash__(self) -> int:
        return hash(("Proxy", self._ref))


def to_plain(value: object, depth: int = 0) -> object:
    """``value`` as msgpack-ready plain data (proxies become ``{"$oid": ref}``); TypeError otherwise."""
    if depth > MAX_NESTING:
        raise ValueError(f"data nested deeper than {MAX_NESTING} levels")
    kind = type(value)
    if value is None or kind in (bool, float, str, bytes):
        return value
    if kind is int:
        if not -(2**63) <= value < 2**64:
            raise TypeError("not plain data: int out of the 64-bit range")
        return value
    if kind is Proxy:
        return {"$oid": value._ref}
    if kind in (list, tuple):
        return [to_plain(item, depth + 1) for item in value]
    if kind is dict:
        plain = {}
        for key, item in value.items():
            if type(key) is not str:
                raise TypeError(f"not plain data: dict key of type {type(key).__name__}")
            plain[key] = to_plain(item, depth + 1)
        return plain
    if kind is bytearray:
        return bytes(value)
    raise TypeError(f"not plain data: {kind.__name__}")


def from_plain(data: object, run: "Run") -> object:
    """The kernel's plain data with every reference (a map with a str ``"$oid"``) made a proxy.

    References may carry descriptive keys (``type``, ``name``); they go back as ``{"$oid"}`` only.
    """
    if type(data) is list:
        return [from_plain(item, run) for item in data]
    if type(data) is dict:
        if type(data.get("$oid")) is str:
            return run.proxy(data["$oid"])
        return {key: from_plain(item, run) for key, item in data.items()}
    return data


# --- the guarded namespace ------------------------------------------------------
class Policy(RestrictingNodeTransformer):
    """RestrictedPython's policy, plus ``self._p_changed = v`` (as the guardian allows it).

    The ZODB idiom becomes ``_write_(self)._p_changed = v``, which the proxy
    ignores: mutations of values read from slots are written back anyway.
    """

    def visit_Attribute(self, node: ast.Attribute) -> ast.AST:
        if not (isinstance(node.ctx, ast.Store) and node.attr == "_p_changed"
                and isinstance(node.value, ast.Name) and node.value.id == "self"):
            return super().visit_Attribute(node)
        node.value = ast.Call(func=ast.Name("_write_", ast.Load()), args=[node.value], keywords=[])
        copy_locations(node.value, node)
        return node


def _allowed_module(module: types.ModuleType) -> bool:
    name = getattr(module, "__name__", "")
    return name.partition(".")[0] in ALLOWED_MODULES and sys.modules.get(name) is module


class ModuleView:
    """What ``import json`` binds: the module's public, allowed attributes only."""

    __slots__ = ("_module",)

    def __init__(self, module: types.ModuleType) -> None:
        object.__setattr__(self, "_module", module)
        if module.__name__ in ModuleState.WATCHED:
            ModuleState.touched.add(module.__name__)

    def __getattr__(self, name: str) -> object:
        return module_attribute(self._module, name)

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError("modules are read-only in methods")

    def __repr__(self) -> str:
        return f"<module {self._module.__name__}>"


def module_view(module: types.ModuleType) -> ModuleView:
    if not _allowed_module(module):
        raise AttributeError(f"module {getattr(module, '__name__', '?')!r} is not available in methods")
    return ModuleView(module)


def module_attribute(module: types.ModuleType, name: str) -> object:
    top = module.__name__.partition(".")[0]
    if not _allowed_module(module) or name.startswith("_") or name in HIDDEN.get(top, ()):
        raise AttributeError(f"{module.__name__}.{name} is not available in methods")
    try:
        value = getattr(module, name)
    except AttributeError:
        raise AttributeError(f"module {module.__name__!r} has no attribute {name!r}") from None
    return module_view(value) if isinstance(value, types.ModuleType) else read_only(value)


def read_only(value: object) -> object:
    """A library's mutable container as a read-only view (modules are shared by every run of a reusable child)."""
    kind = type(value)
    if kind is dict:
        return types.MappingProxyType(value)
    if kind is list:
        return tuple(value)
    if kind is set:
        return frozenset(value)
    if kind is bytearray:
        return bytes(value)
    return value


def guarded_import(name: str, globals: object = None, locals: object = None, fromlist: object = (), level: int = 0) -> ModuleView:
    if level != 0 or type(name) is not str:
        raise ImportError("relative imports are not allowed in methods")
    if (name.partition(".")[0] not in ALLOWED_MODULES or name not in sys.modules
            or any(part.startswith("_") for part in name.split("."))):
        raise ImportError(f"import of {name!r} is not allowed; methods may import: {', '.join(sorted(ALLOWED_MODULES))}")
    return ModuleView(sys.modules[name] if fromlist else sys.modules[name.partition(".")[0]])


def _is_formatter(ob: object) -> bool:
    return isinstance(ob, string.Formatter) or (isinstance(ob, type) and issubclass(ob, string.Formatter))


_INPLACE = {
    "+=": operator.iadd, "-=": operator.isub, "*=": operator.imul, "/=": operator.itruediv,
    "%=": operator.imod, "**=": operator.ipow, "<<=": operator.ilshift, ">>=": operator.irshift,
    "|=": operator.ior, "^=": operator.ixor, "&=": operator.iand, "//=": operator.ifloordiv,
    "@=": operator.imatmul,
}


def _inplacevar(op: str, x: object, y: object) -> object:
    return _INPLACE[op](x, y)


def _apply(function, *args, **kwargs):  # noqa: ANN001, ANN002, ANN003, ANN202
    return function(*args, **kwargs)


def _getiter(ob: object) -> object:
    return ob


def _getitem(ob, index):  # noqa: ANN001, ANN202
    return ob[index]


def _write(ob: object) -> object:
    """Writes: lists, dicts, proxies (-> set_slot) and instances of classes the method defined."""
    if not isinstance(ob, type) and getattr(type(ob), "__module__", None) == GENERATED_MODULE:
        return ob
    return full_write_guard(ob)


_EXTRA_BUILTINS = {
    "sorted": sorted, "min": min, "max": max, "sum": sum, "enumerate": enumerate, "zip": zip, "range": range,
    "len": len, "abs": abs, "round": round, "any": any, "all": all, "map": map, "filter": filter,
    "reversed": reversed, "list": list, "dict": dict, "set": set, "frozenset": frozenset, "tuple": tuple,
    "str": str, "int": int, "float": float, "bool": bool, "bytes": bytes, "isinstance": isinstance,
    "iter": iter, "next": next, "__import__": guarded_import,
}
_BUILTINS = {name: value for name, value in safe_builtins.items() if not name.startswith("_") or name == "__build_class__"}
_BUILTINS.update(_EXTRA_BUILTINS)


class _Printed:
    """All text a run prints, bounded."""

    def __init__(self) -> None:
        self.parts: list[str] = []
        self.size = 0

    def write(self, text: str) -> None:
        if self.size < MAX_PRINTED:
            self.parts.append(text[: MAX_PRINTED - self.size])
            self.size += len(self.parts[-1])

    def text(self) -> str:
        return "".join(self.parts)


# --- one run ------------------------------------------------------------------
class HostError(Exception):
    """Base of the errors the kernel answered with (named after the kernel's exception)."""


_REMOTE_ERRORS: dict[str, type] = {}


def remote_error(kind: str, message: str) -> BaseException:
    builtin = safe_builtins.get(kind)
    if isinstance(builtin, type) and issubclass(builtin, Exception):
        return builtin(message)
    if kind not in _REMOTE_ERRORS:
        _REMOTE_ERRORS[kind] = type(kind if kind.isidentifier() else "HostError", (HostError,), {"__module__": "host"})
    return _REMOTE_ERRORS[kind](message)


class Run:
    """The state of one run in a child: the channel, the slot cache, the write-back list.

    Values read from slots are copies. Lists and dicts read are remembered
    with a snapshot; before every system-method call and at the end of the
    run, each one that changed is written back with ``set_slot``. Reading the
    same slot twice gives the same object until a system method is called
    (it may change slots: the next read asks again). ``obj.x = v`` is written
    through at once and ``v`` is remembered in place of earlier copies.

    ``snapshot`` (from the kernel, optional) answers reads of the receiver's
    slots it holds without a round trip, as ``get_slot("self", name)`` would;
    it is dropped at the first system-method call or write to another object.
    """

    def __init__(self, fd: int, limits: dict, snapshot: dict | None = None) -> None:
        self.fd = fd
        self.limits = limits
        self.depth = 0
        self.proxies: dict[str, Proxy] = {}
        self.cache: dict[tuple[str, str], object] = {}
        self.tracked: list[list] = []  # [key, value, packed snapshot]
        self.functions: dict[tuple[str, str], object] = {}
        self.printed = _Printed()
        self.snapshot = snapshot if type(snapshot) is dict and snapshot else None

    # the channel
    def call(self, message: dict) -> object:
        timer = TIMER
        timer.critical += 1  # a CpuLimit waits until the frame exchange is whole
        try:
            _write_all(self.fd, pack(message))
            reply = read_frame(self.fd)
        finally:
            timer.critical -= 1
        if timer.pending and not timer.critical:
            timer.pending = False
            raise CpuLimit(timer.message())
        if "error" in reply:
            kind, text = reply["error"]
            raise remote_error(str(kind), str(text))
        return reply.get("ok")

    def proxy(self, ref: str) -> Proxy:
        if ref not in self.proxies:
            self.proxies[ref] = Proxy(ref, self)
        return self.proxies[ref]

    def _plain_packed(self, value: object, what: str) -> tuple[object, bytes]:
        plain = to_plain(value)
        packed = ormsgpack.packb(plain)
        if len(packed) > self.limits["max_result_bytes"]:
            raise ValueTooLarge(f"{what} is {len(packed)} bytes, over the limit of {self.limits['max_result_bytes']}")
        return plain, packed

    # slots
    def read_slot(self, proxy: Proxy, name: str) -> object:
        if type(name) is not str or name.startswith("_"):
            raise AttributeError(f"attribute {name!r} is not accessible")
        key = (proxy._ref, name)
        if key in self.cache:
            return self.cache[key]
        if self.snapshot is not None and proxy._ref == "self" and name in self.snapshot:
            kind, payload = "value", self.snapshot.pop(name)
        else:
            kind, payload = self.call({"op": "get_slot", "ref": proxy._ref, "name": name})
        if kind == "value":
            value = from_plain(payload, self)
            if type(value) in (list, dict):  # snapshot as it would be written back (references normalised)
                self.tracked.append([key, value, ormsgpack.packb(to_plain(value))])
        elif kind == "method":
            value = self._system_method(proxy, name)
        elif kind == "generated":
            value = self._generated_method(proxy, name, payload["source"])
        else:
            raise TypeError(f"the kernel answered an unknown slot kind {kind!r}")
        self.cache[key] = value
        return value

    def write_slot(self, proxy: Proxy, name: str, value: object) -> None:
        if name == "_p_changed":
            return  # see Policy
        if type(name) is not str or name.startswith("_"):
            raise AttributeError(f"slot name {name!r} is not allowed")
        key = (proxy._ref, name)
        plain, packed = self._plain_packed(value, f"the value for slot {name!r}")
        self._writing(proxy._ref, name)
        self.call({"op": "set_slot", "ref": proxy._ref, "name": name, "value": plain})
        self.tracked = [entry for entry in self.tracked if entry[0] != key]
        if type(value) in (list, dict):
            self.tracked.append([key, value, packed])
        self.cache[key] = value

    def flush(self) -> None:
        """Write back every remembered list or dict that was mutated in place."""
        for entry in self.tracked:
            key, value, snapshot = entry
            plain, packed = self._plain_packed(value, f"the value of slot {key[1]!r}")
            if packed != snapshot:
                self._writing(key[0], key[1])
                self.call({"op": "set_slot", "ref": key[0], "name": key[1], "value": plain})
                entry[2] = packed

    def _writing(self, ref: str, name: str) -> None:
        """Keep the kernel's snapshot true: another ref may name the receiver too."""
        if self.snapshot is not None:
            if ref == "self":
                self.snapshot.pop(name, None)
            else:
                self.snapshot = None

    # methods
    def _system_method(self, proxy: Proxy, selector: str):  # noqa: ANN202
        def system_method(*args, **kwargs):  # noqa: ANN002, ANN003, ANN202
            self.flush()
            plain_args, _ = self._plain_packed(list(args), "the arguments")
            plain_kwargs, _ = self._plain_packed(dict(kwargs), "the arguments")
            try:
                result = self.call({"op": "send", "ref": proxy._ref, "selector": selector,
                                    "args": plain_args, "kwargs": plain_kwargs})
            finally:
                self.cache.clear()  # the system method may have changed slots
                self.snapshot = None
            return from_plain(result, self)

        return system_method

    def _generated_method(self, proxy: Proxy, selector: str, source: str):  # noqa: ANN202
        def generated_method(*args, **kwargs):  # noqa: ANN002, ANN003, ANN202
            return self.invoke(proxy, selector, source, list(args), kwargs)

        return generated_method

    def invoke(self, receiver: Proxy, selector: str, source: str, args: list, kwargs: dict) -> object:
        if self.depth >= self.limits["max_depth"]:
            raise RecursionError(f"method calls nested deeper than {self.limits['max_depth']}")
        function = self.compile(selector, source)
        self.depth += 1
        try:
            return function(receiver, *args, **kwargs)
        finally:
            self.depth -= 1

    def compile(self, selector: str, source: str):  # noqa: ANN201
        key = (selector, source)
        if key not in self.functions:
            code = compiled(selector, source)
            namespace = self.namespace()
            exec(code, namespace)  # noqa: S102 - RestrictedPython code in the jailed child
            function = namespace.get(selector)
            if not callable(function):
                raise TypeError(f"the source does not define a function named {selector!r}")
            self.functions[key] = function
        return self.functions[key]

    def namespace(self) -> dict:
        run = self

        def guarded_getattr(ob: object, name: str, default: object = None) -> object:
            if type(name) is not str:
                raise TypeError("attribute names must be str")
            if type(ob) is Proxy:
                return run.read_slot(ob, name)
            if name.startswith("_") or name in FORBIDDEN_ATTRIBUTES and not (name == "format" and _allowed_format(ob)):
                raise AttributeError(f"attribute {name!r} is not accessible in methods")
            if isinstance(ob, types.ModuleType):
                return module_attribute(ob, name)
            if type(ob) is ModuleView:
                return module_attribute(object.__getattribute__(ob, "_module"), name)
            if _is_formatter(ob):
                raise AttributeError("string.Formatter is not available in methods")
            if name == "register" and isinstance(ob, abc.ABCMeta):  # a method's own ABC would reach its bases' caches
                raise AttributeError("registering with abstract base classes is not available in methods")
            library_class = isinstance(ob, type) and getattr(ob, "__module__", None) != GENERATED_MODULE
            try:
                value = getattr(ob, name)
            except AttributeError as exc:  # a fresh error: the original carries the object (.obj)
                raise AttributeError(str(exc)) from None
            if isinstance(value, types.ModuleType):
                return module_view(value)
            return read_only(value) if library_class else value

        return {
            "__builtins__": _BUILTINS,
            "__name__": GENERATED_MODULE,
            "__metaclass__": type,
            "_getattr_": guarded_getattr,
            "_getitem_": _getitem,
            "_getiter_": _getiter,
            "_write_": _write,
            "_inplacevar_": _inplacevar,
            "_apply_": _apply,
            "_unpack_sequence_": guarded_unpack_sequence,
            "_iter_unpack_sequence_": guarded_iter_unpack_sequence,
            "_print_": functools.partial(RunPrint, run.printed),
        }


_CODE: dict[tuple[str, str], types.CodeType] = {}  # (selector, sha256 of the source) -> code, oldest first


def compiled(selector: str, source: str) -> types.CodeType:
    """RestrictedPython's code for ``source``, kept by a reusable child (code objects are immutable)."""
    digest = hashlib.sha256(source.encode("utf-8", "surrogatepass")).hexdigest()
    key = (selector, digest)
    code = _CODE.get(key)
    if code is None:
        filename = f"<method {selector} {digest[:10]}>"
        code = compile_restricted(source, filename, "exec", policy=Policy)
        linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
        if len(_CODE) >= CODE_CACHE_SIZE:
            old_selector, old_digest = next(iter(_CODE))
            del _CODE[old_selector, old_digest]
            linecache.cache.pop(f"<method {old_selector} {old_digest[:10]}>", None)
        _CODE[key] = code
    return code


class RunPrint(PrintCollector):
    """``print`` in a method: RestrictedPython's collector (``printed``), and the run's output too."""

    def __init__(self, printed: "_Printed", _getattr_: object = None) -> None:
        super().__init__(_getattr_)
        self.printed = printed

    def write(self, text: str) -> None:
        if len(self.txt) < 10_000:
            self.txt.append(text)
        self.printed.write(text)


def _allowed_format(ob: object) -> bool:
    """``format`` is refused on strings and formatters (attribute walking); other objects keep theirs."""
    return not (isinstance(ob, str) or (isinstance(ob, type) and issubclass(ob, str)) or _is_formatter(ob))


def _method_traceback(exc: BaseException) -> str:
    frames = [f for f in traceback.extract_tb(exc.__traceback__) if f.filename.startswith("<method ")]
    return "".join(traceback.format_list(frames))[-MAX_MESSAGE * 4:]


def _describe(exc: BaseException) -> str:
    try:
        return str(exc)[:MAX_MESSAGE]
    except Exception:  # noqa: BLE001 - a method's own exception class may fail to print
        return "<unprintable>"


def serve_run(request: dict, fd: int) -> dict:
    """Run the method and return the final frame. Every exception becomes a frame."""
    run = Run(fd, request["limits"], request.get("snapshot"))
    answer: dict = {}
    out_of_memory = False
    try:
        args = from_plain(request.get("args") or [], run)
        kwargs = from_plain(request.get("kwargs") or {}, run)
        try:
            value = run.invoke(run.proxy("self"), request["selector"], request["source"], args, kwargs)
        except BaseException:
            _flush_after_failure(run)
            raise
        run.flush()
        try:
            plain, _ = run._plain_packed(value, "the result")
        except ValueTooLarge as exc:
            answer = {"op": "raised", "type": "ResultTooLarge", "message": str(exc), "traceback": ""}
        except (TypeError, ValueError) as exc:
            answer = {"op": "raised", "type": type(exc).__name__, "message": f"result is {exc}", "traceback": ""}
        else:
            answer = {"op": "result", "value": plain}
    except MemoryError:
        out_of_memory = True  # build nothing here: the frames holding the memory are still alive
    except (EOFError, OSError) as exc:
        if isinstance(exc, (EOFError, BrokenPipeError, ConnectionError)):
            os._exit(EXIT_PROTOCOL)  # the kernel hung up: nobody to answer
        answer = _raised(exc)
    except BaseException as exc:  # noqa: BLE001 - whatever the method raised goes back as data
        answer = _raised(exc)
    if out_of_memory:
        answer = {"op": "memory", "message": "MemoryError"}
    answer["printed"] = run.printed.text()
    return answer


def _raised(exc: BaseException) -> dict:
    return {"op": "raised", "type": type(exc).__name__, "message": _describe(exc), "traceback": _method_traceback(exc)}


def _flush_after_failure(run: Run) -> None:
    """Mutations made before a method raised still reach the host (the kernel's transaction decides).

    A failure to flush is dropped on purpose: the method's own exception is
    the one reported.
    """
    try:
        run.flush()
    except (EOFError, BrokenPipeError, ConnectionError):
        raise
    except Exception:  # noqa: BLE001 - see the docstring
        pass


# --- CPU time per run ---------------------------------------------------------------
class CpuLimit(BaseException):
    """The run used up its CPU time (raised in the method by the run's timer; not catchable as Exception)."""


class CpuTimer:
    """``ITIMER_PROF`` for one run: ``cpu_seconds`` of its own CPU time, then :class:`CpuLimit`.

    The handler runs between bytecodes of the main thread. Inside a frame
    exchange with the kernel (``critical``) the exception waits for the end
    of the exchange, so the channel never carries half a frame. A method that
    swallows the exception is ended ``CPU_GRACE`` seconds of CPU later (the
    child exits with ``EXIT_CPU``). A signal of an earlier run that arrives
    late is recognised by the CPU time actually used and ignored.
    """

    def __init__(self) -> None:
        self.armed = False
        self.fired = False
        self.pending = False
        self.critical = 0
        self.limit = 0.0
        self.started = 0.0

    def install(self) -> None:
        signal.signal(signal.SIGPROF, self._expired)

    def start(self, seconds: float) -> None:
        self.fired = self.pending = False
        self.critical = 0
        self.limit = seconds
        self.started = time.process_time()
        self.armed = True
        signal.setitimer(signal.ITIMER_PROF, seconds)

    def stop(self) -> bool:
        """Disarm; True when the run went past its limit (the timer ran out, handled or not yet)."""
        self.armed = False
        left, _ = signal.setitimer(signal.ITIMER_PROF, 0)
        return self.fired or left <= 0

    def message(self) -> str:
        return f"past the CPU-time limit of {self.limit:g}s"

    def _expired(self, signum: int, frame: object) -> None:
        if not self.armed or time.process_time() - self.started < self.limit - 0.001:
            return  # stale: a signal of an earlier run, or none of this run's business
        if self.fired:
            os._exit(EXIT_CPU)  # the method swallowed the first one
        self.fired = True
        signal.setitimer(signal.ITIMER_PROF, CPU_GRACE)
        if self.critical:
            self.pending = True
            return
        raise CpuLimit(self.message())


TIMER = CpuTimer()


def timed_run(request: dict, fd: int) -> dict:
    """:func:`serve_run` under the run's CPU timer: past the limit, the answer is ``cpu`` whatever the method did."""
    answer: dict = {}
    try:
        TIMER.start(float(request["limits"]["cpu_seconds"]))
        try:
            answer = serve_run(request, fd)
        finally:
            over = TIMER.stop()
    except CpuLimit:  # raised between the method's end and the timer's stop
        over = TIMER.stop() or True
    if over:
        answer = {"op": "cpu", "message": TIMER.message(), "printed": answer.get("printed", "")}
    return answer


# --- a reusable child ---------------------------------------------------------------------
def _usage() -> tuple[float, int]:
    """CPU seconds used so far and peak RSS in bytes (one syscall)."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime, usage.ru_maxrss * 1024


class ModuleState:
    """What a run may change in the allowed modules, put back after every run of a reusable child.

    ``random``'s state (also drawn on by ``statistics``) and ``decimal``'s template
    contexts can only be reached through a :class:`ModuleView` of their module,
    which notes it in ``touched``; only those are put back (reseeding costs
    ~20 us). The current ``decimal`` context (Decimal arithmetic sets its flags)
    is replaced after every run.
    """

    WATCHED = frozenset({"random", "decimal", "statistics"})  # statistics draws from random's generator
    TEMPLATES = ("DefaultContext", "BasicContext", "ExtendedContext")
    touched: set[str] = set()

    def __init__(self) -> None:
        self.contexts = {name: getattr(decimal, name).copy() for name in self.TEMPLATES}
        self.states = {name: repr(context) for name, context in self.contexts.items()}

    def reset(self) -> None:
        touched = ModuleState.touched
        if "random" in touched or "statistics" in touched:
            random.seed()  # from the OS (getrandom), as at fork in a fresh child
        if "decimal" in touched:
            for name in self.TEMPLATES:
                context = getattr(decimal, name)
                if repr(context) != self.states[name]:
                    pristine = self.contexts[name]
                    for attr in ("prec", "rounding", "Emin", "Emax", "capitals", "clamp"):
                        setattr(context, attr, getattr(pristine, attr))
                    context.flags = dict(pristine.flags)
                    context.traps = dict(pristine.traps)
        touched.clear()
        decimal.setcontext(decimal.Context())  # a copy of the (pristine) DefaultContext


def serve_warm(fd: int, first: dict) -> int:
    """A reusable child: run after run until the kernel closes the socket or the child retires."""
    static = first["limits"]
    rss_budget = min(WARM_RSS_GROWTH, int(static["memory_bytes"]) // 4)
    state = ModuleState()
    state.reset()
    rss_start = _usage()[1]
    _write_all(fd, pack({"op": "ready", "pid": os.getpid()}))
    while True:
        try:
            request = read_frame(fd)
        except EOFError:
            return 0
        limits = request.get("limits") or {}
        if (request.get("op") != "run" or limits.get("memory_bytes") != static["memory_bytes"]
                or cpu_whole_seconds(limits) > cpu_whole_seconds(static)):
            return EXIT_PROTOCOL  # the kernel keeps a reusable child to runs of the limits it was made with
        answer = timed_run(request, fd)
        cpu_used, rss = _usage()
        retire = answer["op"] not in ("result", "raised") or cpu_used >= WARM_CPU_RESERVE or rss - rss_start > rss_budget
        if retire:
            answer["retire"] = True
        _write_all(fd, pack(answer))
        if retire:
            return 0
        state.reset()  # after the answer: off the caller's clock


# --- the child ------------------------------------------------------------------
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

    def prepare(self, kernel_pid: int) -> None:
        _prctl(PR_SET_PDEATHSIG, signal.SIGKILL)  # the kernel gone -> the template gone
        if os.getppid() != kernel_pid:
            raise SystemExit("the kernel is already gone")
        os.chdir(self.workdir)
        self.devnull = os.open(os.devnull, os.O_RDWR)
        for name in PRELOAD:
            __import__(name)
        time.localtime()  # the C library reads the zone file now, while it can
        sys.path[:] = [p for p in sys.path if p not in sys.argv]  # site-packages out of reach
        self.layers["network_namespace"] = enter_network_namespace()
        self.baseline_vm = _vm_size()
        self.seccomp = seccomp_program()
        self.layers["no_new_privs"] = _prctl(PR_SET_NO_NEW_PRIVS, 1)
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
                (size,) = _HEADER.unpack(buffer[:4])
                if len(buffer) < 4 + size:
                    break
                message, buffer = ormsgpack.unpackb(buffer[4:4 + size]), buffer[4 + size:]
                if message.get("op") == "fork" and fds:
                    self.fork(message["id"], fds.pop(0))
                elif message.get("op") == "fork":
                    self.send({"op": "fork_failed", "id": message.get("id"), "error": "no run socket came with the request"})
                elif message.get("op") == "kill" and message.get("pid") in self.children:
                    os.kill(message["pid"], signal.SIGKILL)
        for pid in self.children:  # the kernel closed the channel: nothing may outlive it
            os.kill(pid, signal.SIGKILL)

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
        _prctl(PR_SET_PDEATHSIG, signal.SIGKILL)  # after drop_root: a change of credentials clears it
        if os.getppid() != self.pid:
            return EXIT_SETUP_FAILED  # the template is already gone
        probing = request.get("op") == "probe"
        if probing:
            report.update(_probe_files())
        reusable = request.get("op") == "serve"
        report.update(set_limits(request["limits"], self.baseline_vm, WARM_CPU_RESERVE if reusable else 0))
        TIMER.install()
        report["seccomp"] = install_seccomp(self.seccomp)
        if probing:
            report.update(_probe_processes_and_network())
            _write_all(RUN_FD, pack({"op": "probe", "report": report}))
            return 0
        if reusable:
            return serve_warm(RUN_FD, request)
        _write_all(RUN_FD, pack(timed_run(request, RUN_FD)))
        return 0


def _vm_size() -> int:
    try:
        with open("/proc/self/statm", "rb") as statm:
            return int(statm.read().split()[0]) * resource.getpagesize()
    except (OSError, ValueError, IndexError):
        return 64 * 2**20


def _errno_name(exc: OSError) -> str:
    return errno.errorcode.get(exc.errno or 0, str(exc.errno))


def _probe_files() -> dict:
    """Trusted self-test, before the fd limit: can a jailed child read or write files?"""
    report = {}
    readable = "/etc/passwd" if os.path.exists("/etc/passwd") else sys.executable  # world-readable
    try:
        with open(readable, "rb") as f:
            f.read(1)
        report["read_file"] = "allowed"
    except OSError as exc:
        report["read_file"] = _errno_name(exc)
    try:
        with open("probe.txt", "wb") as f:
            f.write(b"x")
        os.unlink("probe.txt")
        report["write_cwd"] = "allowed"
    except OSError as exc:
        report["write_cwd"] = _errno_name(exc)
    try:
        report["cwd"] = os.getcwd()
    except FileNotFoundError:
        report["cwd"] = "removed"  # what the kernel does once the template is in it
    return report


def _probe_processes_and_network() -> dict:
    """Trusted self-test, fully jailed: can a child fork or open a socket?"""
    report = {}
    try:
        pid = os.fork()
        if pid == 0:
            os._exit(0)
        os.waitpid(pid, 0)
        report["fork"] = "allowed"
    except OSError as exc:
        report["fork"] = _errno_name(exc)
    try:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.close()
        report["socket"] = "allowed"
    except OSError as exc:
        report["socket"] = _errno_name(exc)
    return report


def main(argv: list[str]) -> int:
    options = dict(zip(argv[1::2], argv[2::2]))
    template = Template(int(options["--control-fd"]), options["--workdir"])
    template.prepare(int(options["--kernel-pid"]))
    template.serve()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
