"""The one transaction helper: begin, run, commit or abort, retry what is transient (a real FileStorage)."""

from __future__ import annotations

import asyncio

import pytest
import transaction
import ZODB
import ZODB.FileStorage
from persistent.mapping import PersistentMapping
from transaction.interfaces import NoTransaction
from ZODB.POSException import ConflictError

from bat_os.errors import Busy
from bat_os.image import transact


@pytest.fixture
def db(tmp_path):
    db = ZODB.DB(ZODB.FileStorage.FileStorage(str(tmp_path / "t.fs")))
    yield db
    db.close()


@pytest.fixture
def pair(db):
    tm = transaction.TransactionManager(explicit=True)
    conn = db.open(tm)
    yield tm, conn
    tm.begin()
    conn.close()


def test_run_commits_and_a_read_changes_nothing(pair):
    tm, conn = pair
    assert transact.run(tm, lambda: conn.root().__setitem__("a", 1) or "done", note="set a") == "done"
    assert transact.run(tm, lambda: conn.root()["a"], write=False) == 1
    transact.run(tm, lambda: conn.root().__setitem__("a", 2), write=False)  # a read: aborted
    assert transact.run(tm, lambda: conn.root()["a"], write=False) == 1
    with pytest.raises(NoTransaction):  # nothing was left open
        tm.get()


def test_after_commit_hears_of_commits_that_wrote_and_of_no_other(db, pair):
    tm, conn = pair
    heard: list = []
    transact.AFTER_COMMIT.append(heard.append)
    try:
        size = db.storage.getSize()
        transact.run(tm, lambda: conn.root()["a"] if "a" in conn.root() else None, note="a write that wrote nothing")
        assert heard == [] and db.storage.getSize() == size  # nothing written, nothing told
        transact.run(tm, lambda: conn.root().__setitem__("a", 1), note="set a")
        assert heard == ["set a"] and db.storage.getSize() > size
    finally:
        transact.AFTER_COMMIT.remove(heard.append)


def test_an_error_aborts_and_propagates_unchanged(pair):
    tm, conn = pair

    def work():
        conn.root()["b"] = 1
        raise KeyError("no")

    with pytest.raises(KeyError):
        transact.run(tm, work, retries=5)
    assert transact.run(tm, lambda: "b" in conn.root(), write=False) is False


def test_a_conflict_is_retried_then_becomes_busy(db, pair):
    tm, conn = pair
    transact.run(tm, lambda: conn.root().__setitem__("box", PersistentMapping()))
    calls = []

    def work(always):
        def write():
            calls.append(1)
            conn.root()["box"]["n"] = len(calls)
            if always or len(calls) == 1:  # another connection commits the same object meanwhile
                _other_commits_box(db)
            return len(calls)
        return write

    def _other_commits_box(db):
        other_tm = transaction.TransactionManager(explicit=True)
        other = db.open(other_tm)
        other_tm.begin()
        other.root()["box"]["n"] = -1
        other_tm.commit()
        other_tm.begin()
        other.close()

    assert transact.run(tm, work(False), retries=2) == 2
    calls.clear()
    with pytest.raises(Busy, match="gave up after 2 conflicting retries") as raised:
        transact.run(tm, work(True), retries=2)
    assert len(calls) == 3 and isinstance(raised.value.__cause__, ConflictError)


def test_the_async_form_awaits_inside_one_transaction(db, pair):
    tm, conn = pair
    seen = []

    async def work():
        conn.root()["c"] = 1
        await asyncio.sleep(0)
        seen.append(conn.root()["c"])
        if len(seen) == 1:
            raise ConflictError("a conflict while it awaited")
        return "ok"

    assert asyncio.run(transact.run_async(tm, work, retries=1)) == "ok"
    assert seen == [1, 1]
    assert transact.run(tm, lambda: conn.root()["c"], write=False) == 1
    with pytest.raises(Busy):
        seen.clear()
        asyncio.run(transact.run_async(tm, lambda: _always_conflicts(), retries=0))


async def _always_conflicts():
    raise ConflictError("always")


def test_an_attempt_begun_now_and_ended_later(db, pair):
    tm, conn = pair
    attempt = transact.Attempt(tm, note="later").begin()
    conn.root()["d"] = 4
    attempt.end()
    assert transact.run(tm, lambda: conn.root()["d"], write=False) == 4
    attempt = transact.Attempt(tm).begin()
    conn.root()["d"] = 5
    attempt.abort()
    attempt.abort()  # twice is nothing
    assert transact.run(tm, lambda: conn.root()["d"], write=False) == 4


def test_a_failed_commit_aborts_before_it_raises(db, pair):
    tm, conn = pair
    transact.run(tm, lambda: conn.root().__setitem__("box", PersistentMapping()))
    attempt = transact.Attempt(tm).begin()
    conn.root()["box"]["x"] = 1
    _other = transaction.TransactionManager(explicit=True)
    other = db.open(_other)
    _other.begin()
    other.root()["box"]["x"] = 2
    _other.commit()
    with pytest.raises(ConflictError):
        attempt.end()
    tm.begin()  # the manager is clean: a new transaction starts
    assert conn.root()["box"]["x"] == 2
    tm.abort()
    _other.begin()
    other.close()


def test_only_transact_begins_or_commits_transactions():
    """Every transaction in the kernel goes through bat_os.image.transact (no hand-written begin/commit/abort)."""
    import re
    from pathlib import Path

    import bat_os

    package = Path(bat_os.__file__).resolve().parent
    manager_call = re.compile(r"\b(?:\w*tm\w*|transaction(?:\.get\(\))?)\.(?:begin|commit|abort)\(")
    offenders = []
    for path in sorted(package.rglob("*.py")):
        if path.name == "transact.py" or "console" in path.parts:
            continue
        for lineno, line in enumerate(path.read_text().splitlines(), 1):
            if manager_call.search(line):
                offenders.append(f"{path.relative_to(package)}:{lineno}: {line.strip()}")
    assert offenders == []


# --- Session: a clean transaction kept open between calls -------------------------------------------------------


def test_a_session_keeps_a_clean_transaction_open_and_ends_it_on_a_write(db, pair):
    tm, conn = pair
    session = transact.Session(tm, db.storage)
    session.run(lambda: conn.root().__setitem__("a", 1), note="set a")
    with pytest.raises(NoTransaction):  # a write is committed and ended, as run() does
        tm.get()
    assert session.run(lambda: conn.root()["a"], write=False) == 1
    kept = tm.get()  # nothing joined: kept open
    assert session.run(lambda: conn.root()["a"]) == 1  # a write that wrote nothing uses it too
    assert tm.get() is kept
    size = db.storage.getSize()
    session.run(lambda: conn.root().__setitem__("a", 2), note="set a again")
    assert db.storage.getSize() > size  # the kept transaction, written in, was committed
    with pytest.raises(NoTransaction):
        tm.get()
    session.run(lambda: conn.root().__setitem__("b", 1), write=False)  # a read that changed something: aborted
    assert "b" not in conn.root()
    with pytest.raises(NoTransaction):
        tm.get()


def test_a_kept_transaction_ends_when_another_connection_commits(db, pair):
    tm, conn = pair
    session = transact.Session(tm, db.storage)
    session.run(lambda: conn.root().__setitem__("a", 1))
    assert session.run(lambda: conn.root()["a"], write=False) == 1
    other_tm = transaction.TransactionManager(explicit=True)
    other = db.open(other_tm)
    try:
        transact.run(other_tm, lambda: other.root().__setitem__("a", 2))
    finally:
        transact.close(other_tm, other)
    assert session.run(lambda: conn.root()["a"], write=False) == 2  # not the kept snapshot's 1
    session.abandon()


def test_a_kept_transaction_is_used_at_most_reuse_times_and_an_error_ends_it(db, pair):
    tm, conn = pair
    session = transact.Session(tm, db.storage, reuse=3)
    seen = [session.run(lambda: tm.get(), write=False) for _ in range(9)]
    assert [len({id(t) for t in seen[i:i + 4]}) for i in (0, 4)] == [1, 1] and seen[3] is not seen[4]
    with pytest.raises(ZeroDivisionError):
        session.run(lambda: 1 / 0, write=False)
    with pytest.raises(NoTransaction):
        tm.get()
    session.run(lambda: None, write=False)
    session.abandon()
    with pytest.raises(NoTransaction):
        tm.get()
