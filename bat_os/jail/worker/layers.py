"""The OS layers of the jail (Linux; each returns whether it took hold, none is assumed), and the probes.

The template calls :func:`enter_network_namespace`, ``prctl(PR_SET_NO_NEW_PRIVS)`` and
:func:`landlock_restrict` once, and builds the seccomp program (:func:`seccomp_program`)
while it can still read ``/proc``; each child calls :func:`drop_root`, :func:`set_limits`
and :func:`install_seccomp`. The probes are the trusted self-test a probing child runs
(:meth:`bat_os.jail.runner.Jail.start` reads its report: what actually holds here).
"""

from __future__ import annotations

import ctypes
import errno
import os
import platform
import resource
import socket
import struct
import sys

from ..contract import whole_cpu_seconds

RUN_FD = 3  # a child's run socket, its only fd past stdin, stdout (/dev/null) and stderr
NOBODY = 65534

_libc = ctypes.CDLL(None, use_errno=True)
if sys.platform.startswith("linux"):
    _libc.syscall.restype = ctypes.c_long
    _libc.prctl.restype = ctypes.c_int

PR_SET_PDEATHSIG, PR_SET_NO_NEW_PRIVS, PR_SET_SECCOMP, SECCOMP_MODE_FILTER = 1, 38, 22, 2
CLONE_NEWUSER, CLONE_NEWNET = 0x10000000, 0x40000000
_LANDLOCK_CREATE_RULESET, _LANDLOCK_RESTRICT_SELF = 444, 446  # the same number on every architecture


def prctl(option: int, arg: int) -> bool:
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


def set_limits(limits: dict, baseline_vm: int, cpu_reserve: int = 0) -> dict[str, bool]:
    """The child's rlimits; ``cpu_reserve``: extra whole seconds of RLIMIT_CPU for a reusable child."""
    cpu = whole_cpu_seconds(float(limits["cpu_seconds"])) + cpu_reserve
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


def vm_size() -> int:
    try:
        with open("/proc/self/statm", "rb") as statm:
            return int(statm.read().split()[0]) * resource.getpagesize()
    except (OSError, ValueError, IndexError):
        return 64 * 2**20


def _errno_name(exc: OSError) -> str:
    return errno.errorcode.get(exc.errno or 0, str(exc.errno))


def probe_files() -> dict:
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


def probe_processes_and_network() -> dict:
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

