"""One run in a child: :class:`Run` (the channel, the slot cache, the write-back list), the final frame.

:func:`serve_run` runs a method and turns every outcome into a final frame
(``result``, ``raised``, ``memory``); :func:`timed_run` does it under the run's CPU
timer (``cpu`` past the limit). Fresh and reusable children both run through here.
"""

from __future__ import annotations

import os
import traceback

import ormsgpack
from RestrictedPython import safe_builtins

from ..contract import EXIT_PROTOCOL
from .frames import pack, read_frame, write_all
from .namespace import Printed, compiled, method_globals
from .plain import Proxy, ValueTooLarge, from_plain, result_form, to_plain
from .timer import TIMER, CpuLimit

MAX_MESSAGE = 2000  # characters of an exception's message sent to the kernel


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
        self.printed = Printed()
        self.snapshot = snapshot if type(snapshot) is dict and snapshot else None

    # the channel
    def call(self, message: dict) -> object:
        timer = TIMER
        timer.critical += 1  # a CpuLimit waits until the frame exchange is whole
        try:
            write_all(self.fd, pack(message))
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

    def capability(self, name: str, args: list, kwargs: dict) -> object:
        """``personas.ask(...)``, ``memory.search(...)``: asked of the kernel, which grants, counts and answers."""
        self.flush()
        plain_args, _ = self._plain_packed(list(args), "the arguments")
        plain_kwargs, _ = self._plain_packed(dict(kwargs), "the arguments")
        return from_plain(self.call({"op": "capability", "name": name, "args": plain_args, "kwargs": plain_kwargs}), self)

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
            namespace = method_globals(self.read_slot, self.printed, self.capability)
            exec(code, namespace)  # noqa: S102 - RestrictedPython code in the jailed child
            function = namespace.get(selector)
            if not callable(function):
                raise TypeError(f"the source does not define a function named {selector!r}")
            self.functions[key] = function
        return self.functions[key]


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
            plain, _ = run._plain_packed(result_form(value), "the result")
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
