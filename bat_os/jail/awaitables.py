"""Two asyncio helpers of the jail: :class:`Gate` (runs in flight) and :class:`Pending` (a run's awaitable)."""

from __future__ import annotations

import asyncio
import collections
from typing import Any, Callable, Generator


class Gate:
    """A counting semaphore that can also be taken without awaiting (:meth:`try_acquire`); first come, first served."""

    def __init__(self, slots: int) -> None:
        self._free = slots
        self._waiters: collections.deque[asyncio.Future[None]] = collections.deque()

    def try_acquire(self) -> bool:
        if self._free > 0 and not self._waiters:
            self._free -= 1
            return True
        return False

    async def acquire(self) -> None:
        if self.try_acquire():
            return
        waiter = asyncio.get_running_loop().create_future()
        self._waiters.append(waiter)
        try:
            await waiter
        except asyncio.CancelledError:
            if waiter.done() and not waiter.cancelled():  # handed the slot, then cancelled: pass it on
                self.release()
            raise

    def release(self) -> None:
        while self._waiters:
            waiter = self._waiters.popleft()
            if not waiter.done():
                waiter.set_result(None)
                return
        self._free += 1


class Pending:
    """An awaitable whose coroutine is made when it is awaited (so one never awaited leaves no warning)."""

    __slots__ = ("_function", "_args", "_awaited")

    def __init__(self, function: Callable[..., Any], *args: Any) -> None:
        self._function = function
        self._args = args
        self._awaited = False

    def __await__(self) -> Generator[Any, None, Any]:
        if self._awaited:
            raise RuntimeError("a jailed run can be awaited only once")
        self._awaited = True
        return self._function(*self._args).__await__()
