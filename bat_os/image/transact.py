"""Every transaction in the kernel: begin, run, commit (or abort), retry what is transient.

The one place that opens and ends transactions, after ZODB's own
``transact`` and ``TransactionManager.attempts()``::

    run(tm, work, retries=3)              sync:  begin, work(), commit; abort on error
    await run_async(tm, work, retries=3)  async: the same around ``await work()``
    run(tm, work, write=False)            a read: begin, work(), abort (changes nothing)
    Session(tm, storage).run(work, ...)   the same, a clean transaction kept open between calls (below)
    Attempt(tm).begin() ... .end()        one attempt begun now and ended later (a jailed
                                          run that finds midway that it needs the image)
    abandon(tm)                           abort whatever is open (a pooled connection's return)
    close(tm, conn)                       close a connection (explicit managers need a begin)

Retry is decided by type, never by message: a
``transaction.interfaces.TransientError`` (``ZODB.POSException.ConflictError``,
a stale snapshot) aborts and runs ``work`` again, up to ``retries`` more
times; then it becomes :class:`~bat_os.errors.Busy` (``from`` the last one).
Anything else aborts and propagates unchanged. ``work`` must therefore be
safe to run again: it reads what it needs inside the transaction.

Transaction managers are explicit (``TransactionManager(explicit=True)``):
nothing happens outside a ``begin``. Only the event-loop thread calls these.
"""

from __future__ import annotations

import contextlib
import logging
from typing import Any, Awaitable, Callable, Iterator, TypeVar

from transaction.interfaces import NoTransaction, TransientError

from bat_os.errors import Busy

logger = logging.getLogger(__name__)

T = TypeVar("T")


class Attempt:
    """One attempt at a transaction begun now and ended later: :meth:`begin`, then :meth:`end`
    (commit, or abort for a read) or :meth:`abort`. A failed commit aborts before it raises."""

    def __init__(self, tm: Any, *, write: bool = True, note: str | None = None) -> None:
        self.tm = tm
        self.write = write
        self.note = note
        self.open = False

    def begin(self) -> "Attempt":
        self.tm.begin()
        self.open = True
        return self

    def end(self) -> None:
        """Commit what was done (a read: abort); a commit that fails aborts and raises."""
        self.open = False
        try:
            _end(self.tm, self.write, self.note)
        except BaseException:
            self.tm.abort()
            raise

    def abort(self) -> None:
        if self.open:
            self.open = False
            self.tm.abort()


class Session:
    """The transactions of one connection that only this thread uses (the image's own), run as :func:`run` does,
    except that a transaction nothing joined (no object written: the common read-only request) is kept open for
    the next call instead of being ended and begun again. Both cost the request path ~7 µs of the kernel's ~30
    (ZODB's begin, abort and commit each walk the synchronizers), and an empty one changes nothing.

    A kept transaction is used again only while its view is current: while the storage's last transaction is
    the one it was begun after (another connection's commit, a cycle's install say, ends it: the next call
    begins afresh and sees it), and for at most ``reuse`` calls, so the connection's cache is still trimmed
    at transaction ends (ZODB does it then). :meth:`abandon` aborts it."""

    def __init__(self, tm: Any, storage: Any, *, reuse: int = 256) -> None:
        self.tm = tm
        self.storage = storage
        self.reuse = reuse
        self._kept_after: bytes | None = None  # the storage's last transaction when the kept one began
        self._uses = 0

    def run(self, work: Callable[[], T], *, retries: int = 0, write: bool = True, note: str | None = None) -> T:
        tried = 0
        while True:
            after = self._begin()
            try:
                result = work()
                if not self._keep(after):
                    _end(self.tm, write, note)
                return result
            except TransientError as exc:
                self.tm.abort()
                tried = _retry_or_give_up(exc, tried, retries, note)
            except BaseException:
                self.tm.abort()
                raise

    @contextlib.contextmanager
    def held(self) -> Iterator[None]:
        """A transaction held open for a block and aborted at its end (tools and tests that read across awaits,
        or stand in for a request): ``with image.session.held(): ...``. A kept one is aborted first."""
        self.abandon()
        self.tm.begin()
        try:
            yield
        finally:
            self.tm.abort()

    def abandon(self) -> None:
        """Abort the kept transaction, if there is one (before the connection closes)."""
        if self._kept_after is not None:
            self._kept_after = None
            self.tm.abort()

    def _begin(self) -> bytes:
        last = self.storage.lastTransaction()
        if self._kept_after is not None:
            if self._kept_after == last and self._uses < self.reuse:
                self._uses += 1
                self._kept_after = None  # in use: kept again only if it stays clean
                return last
            self._kept_after = None
            self.tm.abort()
        self.tm.begin()
        self._uses = 0
        return last

    def _keep(self, after: bytes) -> bool:
        txn = self.tm.get()
        if txn._resources or txn._before_commit or txn._after_commit:  # something to commit, or to abort
            return False
        self._kept_after = after
        return True


def run(tm: Any, work: Callable[[], T], *, retries: int = 0, write: bool = True, note: str | None = None) -> T:
    """``work()`` in one transaction of ``tm``; transient failures retried ``retries`` times."""
    tried = 0
    while True:  # written out, not through Attempt: this is every request's path
        tm.begin()
        try:
            result = work()
            _end(tm, write, note)
            return result
        except TransientError as exc:
            tm.abort()
            tried = _retry_or_give_up(exc, tried, retries, note)
        except BaseException:
            tm.abort()  # also after a failed commit: the manager is left clean
            raise


async def run_async(
    tm: Any, work: Callable[[], Awaitable[T]], *, retries: int = 0, write: bool = True, note: str | None = None,
) -> T:
    """``await work()`` in one transaction of ``tm`` (its own connection: other requests run meanwhile)."""
    tried = 0
    while True:
        tm.begin()
        try:
            result = await work()
            _end(tm, write, note)
            return result
        except TransientError as exc:
            tm.abort()
            tried = _retry_or_give_up(exc, tried, retries, note)
        except BaseException:
            tm.abort()
            raise


#: Called with the note after every commit made here that wrote something (the kernel's event stream; a
#: transaction no object joined writes nothing to the storage); errors are logged, not raised.
AFTER_COMMIT: list[Callable[[str | None], None]] = []


def _end(tm: Any, write: bool, note: str | None) -> None:
    """End the attempt that just ran: commit it (with its note), or abort it (a read)."""
    if not write:
        tm.abort()
        return
    txn = tm.get()
    wrote = bool(getattr(txn, "_resources", True))  # the data managers that joined: none, nothing is written
    if note and wrote:
        txn.note(note)
    tm.commit()
    if not wrote:
        return
    for hook in AFTER_COMMIT:
        try:
            hook(note)
        except Exception:  # noqa: BLE001 - what reports a commit must not undo the report of it
            logger.exception("an after-commit hook failed")


def _retry_or_give_up(exc: TransientError, tried: int, retries: int, note: str | None) -> int:
    tried += 1
    if tried > retries:
        raise Busy(f"gave up after {retries} conflicting retries: {exc}") from exc
    logger.info("transient error (%s)%s; retry %d of %d", type(exc).__name__, f" in {note}" if note else "", tried, retries)
    return tried


def abandon(tm: Any) -> None:
    """Abort whatever transaction ``tm`` has open; none open is fine."""
    try:
        tm.abort()
    except NoTransaction:
        pass


def close(tm: Any, connection: Any) -> None:
    """Abandon ``tm``'s transaction and close ``connection`` (in explicit mode a connection, and
    ``DB.close()``, need an open, empty transaction to abort, so one is begun for that)."""
    abandon(tm)
    tm.begin()
    connection.close()
