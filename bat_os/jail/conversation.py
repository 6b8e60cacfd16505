"""One run's conversation with a child, from the kernel's side: what is sent, what is served, how it ended.

:func:`receiver_snapshot` (the receiver's small data slots, sent with the request), :func:`converse`
(serve the child's ``get_slot`` / ``set_slot`` / ``send`` by calling the :class:`~.interface.Host`
on the event-loop thread, until its final frame), :func:`conclude` (the final frame as the
run's value or error), :func:`died_without_answer` (an exit status as an error) and
:func:`assess` (what a probe found to hold).
"""

from __future__ import annotations

import asyncio
import functools
import inspect
import logging
import os
import signal
from dataclasses import asdict
from typing import Any, Awaitable, Callable

import ormsgpack

from bat_os.errors import JailCrash, JailError, JailMemory, JailTimeout, MethodRaised

from .channel import Channel, pack
from .contract import EXIT_CPU, EXIT_SETUP_FAILED, FINAL_OPS, HOST_OPS
from .interface import Host, JailLimits
from .template import Template

logger = logging.getLogger(__name__)

SNAPSHOT_VALUE_BYTES = 4 * 1024  # a slot's packed value, at most, to travel in the snapshot
SNAPSHOT_TOTAL_BYTES = 64 * 1024  # all of the snapshot's values, packed, at most


Pause = Callable[[], Callable[[], None]]  # stop a run's wall clock; call what it answers to start it again


async def converse(channel: Channel, host: Host | None, limits: JailLimits, template: Template, pid: int,
                   pause: Pause | None = None) -> dict:
    """Serve the child's requests until its final frame, which is returned (result, raised, memory, cpu, probe).
    ``pause``: the run's wall clock stops while a host answer is awaited (the run waits; it does not run)."""
    calls = 0
    while True:
        message = await channel.recv()
        if message is None:
            raise died_without_answer(await template.exit_status(pid), limits)
        op = message.get("op")
        if op in HOST_OPS and host is not None:
            calls += 1
            if calls > limits.max_host_calls + 1000:  # it ignores the refusals: stop it
                raise MethodRaised("HostCallLimit", f"more than {limits.max_host_calls} calls to the kernel")
            if calls > limits.max_host_calls:
                reply = pack({"error": ["HostCallLimit", f"more than {limits.max_host_calls} calls to the kernel in one run"]})
            else:
                reply = serve_request(host, op, message)
                if not isinstance(reply, bytes):  # a system method waiting on a generated one it sent, a capability
                    resume = pause() if pause is not None else None
                    try:
                        reply = await reply
                    finally:
                        if resume is not None:
                            resume()
            channel.send(reply)
        elif op in FINAL_OPS:
            if op == "result" and calls > limits.max_host_calls:
                message = {**message, "op": "raised", "type": "HostCallLimit",
                           "message": f"more than {limits.max_host_calls} calls to the kernel in one run"}
            return message
        else:
            raise JailCrash(f"protocol violation: unexpected message {op!r} from the jailed process")


def timeout_pause(scope: asyncio.Timeout) -> Pause:
    """Pause an ``asyncio.timeout`` scope (a fresh child's wall clock): it resumes with the time it had left."""
    def pause() -> Callable[[], None]:
        loop, when = asyncio.get_running_loop(), scope.when()
        left = None if when is None else when - loop.time()
        scope.reschedule(None)
        return lambda: scope.reschedule(None if left is None else loop.time() + left)
    return pause


def deadline_pause(deadlines: dict, channel: Channel, watch: Callable[[Channel, float], None]) -> Pause:
    """Pause a reusable child's deadline (kept in ``deadlines``, armed again by ``watch``) the same way."""
    def pause() -> Callable[[], None]:
        loop, deadline = asyncio.get_running_loop(), deadlines.pop(channel, None)
        if deadline is None:
            return lambda: None
        left = deadline - loop.time()
        return lambda: watch(channel, loop.time() + left)
    return pause


def died_without_answer(status: dict | None, limits: JailLimits) -> JailError:
    """How a child that closed its channel without a final frame ended (its exit status, if the template told)."""
    if status is None:
        return JailCrash("the jailed process closed its channel without an answer")
    number = status.get("signal")
    if number == signal.SIGXCPU:
        return JailTimeout(f"past the CPU-time limit of {limits.cpu_seconds}s")
    if number is not None:
        name = signal.Signals(number).name if number in signal.Signals._value2member_map_ else str(number)
        return JailCrash(f"the jailed process died of {name}")
    code = status.get("code")
    if code == EXIT_CPU:
        return JailTimeout(f"past the CPU-time limit of {limits.cpu_seconds}s (the method would not stop)")
    if code == EXIT_SETUP_FAILED:
        return JailCrash("the jail could not be set up for this run (see the jail worker's log)")
    return JailCrash(f"the jailed process exited with code {code} without an answer")


def serve_request(host: Host, op: str, message: dict) -> bytes | Awaitable[bytes]:
    """Answer one request of the child by calling the host; every outcome is a reply frame (or an awaitable of
    one, when the host's ``send`` answers an awaitable)."""
    if op == "case":  # a run of cases: the next begins (a host without cases has nothing to do)
        index = message.get("index")
        if type(index) is not int:
            raise JailCrash("protocol violation: case without an index")
        begin = getattr(host, "begin_case", None)
        if begin is not None:
            begin(index)
        return pack({"ok": None})
    if op == "capability":  # personas.ask, memory.search: the host grants, counts and answers (awaited)
        name, args, kwargs = message.get("name"), message.get("args") or [], message.get("kwargs") or {}
        if not isinstance(name, str) or not isinstance(args, list) or not isinstance(kwargs, dict):
            raise JailCrash("protocol violation: capability without a name and arguments")
        offer = getattr(host, "capability", None)
        if offer is None:
            return pack({"error": ["PermissionError", f"{name}: this run has no capabilities"]})
        return _awaited(offer(name, args, kwargs), op, "", name)
    ref, name = message.get("ref"), message.get("name" if op != "send" else "selector")
    if not isinstance(ref, str) or not isinstance(name, str):
        raise JailCrash(f"protocol violation: {op} without a ref and a name")
    try:
        if op == "get_slot":
            try:
                kind, payload = host.get_slot(ref, name)
            except (KeyError, AttributeError):
                return pack({"error": ["AttributeError", f"object {ref} has no slot {name!r}"]})
            return pack({"ok": [kind, payload]})
        if op == "set_slot":
            host.set_slot(ref, name, message.get("value"))
            return pack({"ok": None})
        args, kwargs = message.get("args") or [], message.get("kwargs") or {}
        if not isinstance(args, list) or not isinstance(kwargs, dict):
            raise JailCrash("protocol violation: send with malformed arguments")
        answer = host.send(ref, name, args, kwargs)
        return _awaited(answer, op, ref, name) if inspect.isawaitable(answer) else pack({"ok": answer})
    except JailCrash:
        raise
    except Exception as exc:  # noqa: BLE001 - the method gets the error as an exception of the same name
        return _raised(exc, op, ref, name)


async def _awaited(answer: Awaitable[Any], op: str, ref: str, name: str) -> bytes:
    try:
        return pack({"ok": await answer})
    except JailCrash:
        raise
    except Exception as exc:  # noqa: BLE001 - as serve_request's
        return _raised(exc, op, ref, name)


def _raised(exc: Exception, op: str, ref: str, name: str) -> bytes:
    logger.debug("host %s %s.%s raised %s: %s", op, ref, name, type(exc).__name__, exc)
    if isinstance(exc, MethodRaised):  # a generated method the system method sent raised: the same exception
        return pack({"error": [exc.error_type, exc.message[:2000]]})
    return pack({"error": [type(exc).__name__, str(exc)[:2000]]})


@functools.lru_cache(maxsize=64)
def limits_dict(limits: JailLimits) -> dict[str, Any]:
    """``asdict(limits)``, once per limits (it is packed into every request; never changed)."""
    return asdict(limits)


def frame_limit(limits: JailLimits) -> int:
    return limits.max_result_bytes + 64 * 1024


def conclude(final: dict, limits: JailLimits) -> Any:
    """The child's final frame as the run's value or error."""
    op = final.get("op")
    if op == "probe":
        return final.get("report", {})
    _log_printed(final)
    if op == "result":
        return final.get("value")
    if op == "raised":
        raise MethodRaised(str(final.get("type")), str(final.get("message")), str(final.get("traceback", "")))
    if op == "memory":
        raise JailMemory(f"past the memory limit of {limits.memory_bytes} bytes ({final.get('message')} in the method)")
    if op == "cpu":
        raise JailTimeout(f"past the CPU-time limit of {limits.cpu_seconds}s")
    raise JailCrash(f"protocol violation: unexpected message {op!r} from the jailed process")


def receiver_snapshot(host: Host | None) -> dict[str, Any] | None:
    """The receiver's small own data slots, from a host that offers them (see :class:`~.interface.SnapshotHost`)."""
    offer = getattr(host, "snapshot", None)
    if offer is None:
        return None
    try:
        slots = offer("self")
    except Exception as exc:  # noqa: BLE001 - a cache: the run asks the host instead
        logger.debug("host snapshot failed: %s: %s", type(exc).__name__, exc)
        return None
    if not isinstance(slots, dict):
        return None
    snapshot: dict[str, Any] = {}
    total = 0
    for name, value in slots.items():
        if not isinstance(name, str) or name.startswith("_"):
            continue
        kind = type(value)
        if value is None or kind is bool or kind is float:
            size = 9
        elif kind is str and len(value) <= 1000:  # at most 4 bytes a character: no need to pack it to know
            size = 5 + 4 * len(value)
        else:
            try:
                size = len(ormsgpack.packb(value))
            except (TypeError, ValueError, OverflowError):  # ormsgpack.MsgpackEncodeError is a TypeError
                continue
        if size > SNAPSHOT_VALUE_BYTES or total + size > SNAPSHOT_TOTAL_BYTES:
            continue
        total += size
        snapshot[name] = value
    return snapshot


def _log_printed(message: dict) -> None:
    printed = message.get("printed")
    if printed:
        logger.debug("jailed method printed: %s", str(printed)[:2000])


def assess(layers: dict, report: dict, workdir: str | None) -> dict[str, bool | str]:
    """What holds here: the template's layers (its ``hello``) and a probing child's report, as ``Jail.protections()``."""
    fork = report.get("fork")
    if fork == "EPERM" and report.get("seccomp"):
        no_children: bool | str = "seccomp"
    elif fork == "EAGAIN" and report.get("rlimit_nproc"):
        no_children = "rlimit_nproc"
    else:
        no_children = False
    empty_cwd = report.get("cwd") == "removed" and not os.path.exists(workdir or "")
    return {
        "separate_process": True,
        "rlimit_cpu": bool(report.get("rlimit_cpu")),
        "rlimit_as": bool(report.get("rlimit_as")),
        "rlimit_fsize_zero": bool(report.get("rlimit_fsize_zero")),
        "rlimit_nofile": bool(report.get("rlimit_nofile")),
        "no_child_processes": no_children,
        "network_namespace": bool(layers.get("network_namespace")),
        "sockets_refused": report.get("socket") not in (None, "allowed"),
        "empty_cwd": bool(empty_cwd),
        "landlock": bool(layers.get("landlock_abi")) and report.get("read_file") == "EACCES",
        "seccomp": bool(report.get("seccomp")),
        "drop_root": "nobody" if report.get("drop_root") else False,
        "clean_environment": True,
        "restricted_python": True,
    }
