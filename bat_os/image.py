"""The living image: open the ZODB FileStorage, awaken it, migrate it, run transactions.

Only the event-loop thread touches the connection this module opens.

Awakening runs the ordered :data:`MIGRATIONS` whose version is above the
image's ``batos_schema_version``, each in its own transaction that also
records the new version, so each migration runs exactly once. Migration 1 is
the first awakening: it incarnates the primordial objects (see
:mod:`bat_os.primordial`). An upgraded kernel appends steps; an older image
is brought forward step by step.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Sequence

import transaction
import ZODB
import ZODB.FileStorage
from transaction.interfaces import NoTransaction, TransientError
from ZODB.POSException import POSError

from .errors import Busy, ImageError, NotFound
from .objects import hex_to_oid

logger = logging.getLogger(__name__)

SCHEMA_KEY = "batos_schema_version"
#: Objects each connection keeps in memory. ZODB's default (400) ghosts the knowledge catalog's
#: index buckets after every transaction, and a search at 30k chunks reloaded ~370 objects (~23 ms).
CACHE_SIZE = 20_000
MIGRATION_LOG_KEY = "batos_migrations"


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    apply: Callable[[Any, "MigrationContext"], None]  # (root, context)


@dataclass(frozen=True)
class MigrationContext:
    codex_path: Path | None
    now: Callable[[], float] = time.time


def _default_migrations() -> list[Migration]:
    from . import catalog, chronicle, model_store, primordial

    return [
        Migration(1, "incarnate the primordial objects", primordial.incarnate),
        Migration(2, "a registry of cognitive cycles", primordial.add_cycle_registry),
        Migration(3, "a store for persona models and adapters", model_store.ensure_store),
        Migration(4, "semantic memory: metadata index, embeddings, change log", catalog.upgrade_catalog),
        Migration(5, "the chronicle of backups and restores", chronicle.ensure_chronicle),
    ]


class Image:
    """An opened image: storage, database, one connection with its own transaction manager."""

    def __init__(self, path: Path, blob_dir: Path | None = None, *, read_only: bool = False, cache_size: int = CACHE_SIZE) -> None:
        self.path = Path(path)
        self.blob_dir = Path(blob_dir) if blob_dir else self.path.with_name(self.path.stem + ".blobs")
        self.path.parent.mkdir(parents=True, exist_ok=True)
        size_before = self.path.stat().st_size if self.path.exists() else 0
        try:
            self.storage = ZODB.FileStorage.FileStorage(
                str(self.path), blob_dir=str(self.blob_dir), read_only=read_only
            )
        except Exception as exc:  # translated once, here: the image is unusable
            _collect_leaked_files(exc)
            raise ImageError(_explain_open_failure(self.path, exc)) from exc
        size_after = self.path.stat().st_size if self.path.exists() else 0
        if size_after < size_before:
            logger.warning(
                "image %s ended in an incomplete transaction; FileStorage dropped its last %d bytes "
                "(nothing that was committed is lost)",
                self.path,
                size_before - size_after,
            )
        try:
            self.db = ZODB.DB(self.storage, cache_size=cache_size)
            self.tm = transaction.TransactionManager(explicit=True)
            self.connection = self.db.open(self.tm)
            self._spare: list[tuple[Any, Any]] = []  # see acquire()
            self.tm.begin()
            self.connection.root()  # reads the root record: fails here if it is damaged
            self.tm.abort()
        except Exception as exc:
            self.storage.close()
            raise ImageError(f"image {self.path} opened but its root cannot be read: {exc}") from exc

    # --- schema and migrations -------------------------------------------------
    @property
    def schema_version(self) -> int:
        return int(self.connection.root().get(SCHEMA_KEY, 0))

    def awaken(self, migrations: Sequence[Migration] | None = None, context: MigrationContext | None = None) -> list[str]:
        """Run every migration above the image's version, once each, in order.

        Returns the names of the migrations that ran (empty when resuming).
        """
        migrations = sorted(migrations or _default_migrations(), key=lambda m: m.version)
        context = context or MigrationContext(codex_path=None)
        ran: list[str] = []
        for migration in migrations:
            self.tm.begin()
            root = self.connection.root()
            current = int(root.get(SCHEMA_KEY, 0))
            if migration.version <= current:
                self.tm.abort()
                continue
            logger.info("migration %d: %s", migration.version, migration.name)
            try:
                migration.apply(root, context)
                log = root.get(MIGRATION_LOG_KEY)
                if log is None:
                    from persistent.list import PersistentList

                    log = root[MIGRATION_LOG_KEY] = PersistentList()
                log.append({"version": migration.version, "name": migration.name, "at": context.now()})
                root[SCHEMA_KEY] = migration.version
                self.tm.get().note(f"migration {migration.version}: {migration.name}")
                self.tm.commit()
            except Exception:
                self.tm.abort()
                raise
            ran.append(migration.name)
        return ran

    # --- transactions -------------------------------------------------------------
    def run(self, work: Callable[[], Any], *, retries: int = 3, note: str | None = None) -> Any:
        """Run ``work`` in one transaction and commit; abort on error.

        Transient errors (ConflictError and friends) abort and retry up to
        ``retries`` times, then become :class:`Busy`. Anything else aborts
        and propagates.
        """
        attempt = 0
        while True:
            self.tm.begin()
            try:
                result = work()
                if note:
                    self.tm.get().note(note)
                self.tm.commit()
                return result
            except TransientError as exc:
                self.tm.abort()
                attempt += 1
                if attempt > retries:
                    raise Busy(f"gave up after {retries} conflicting retries: {exc}") from exc
                logger.info("transient error (%s); retry %d of %d", type(exc).__name__, attempt, retries)
            except BaseException:
                self.tm.abort()
                raise

    def read(self, work: Callable[[], Any]) -> Any:
        """Run ``work`` against a fresh view of the image and change nothing."""
        self.tm.begin()
        try:
            return work()
        finally:
            self.tm.abort()

    # --- connections for work that awaits -----------------------------------------------
    def acquire(self) -> tuple[Any, Any]:
        """A (transaction manager, connection) pair of its own, for work that awaits.

        Pairs are kept open and reused (opening and closing a connection per
        call costs more than the call); ``tm.begin()`` brings a reused one up
        to date. Give it back with :meth:`release`, with no transaction open.
        """
        if self._spare:
            return self._spare.pop()
        tm = transaction.TransactionManager(explicit=True)
        return tm, self.db.open(tm)

    def release(self, pair: tuple[Any, Any]) -> None:
        tm, conn = pair
        try:
            tm.abort()
        except NoTransaction:
            pass
        if len(self._spare) < 8:
            self._spare.append(pair)
        else:
            tm.begin()
            conn.close()

    # --- objects ---------------------------------------------------------------------
    def resolve(self, target: Any) -> Any:
        """A root name (``"genesis_obj"``) or hex object id (``"0x07"``) -> the object."""
        if not isinstance(target, str) or not target:
            raise NotFound(f"target must be a root name or hex object id, not {target!r}")
        root = self.connection.root()
        if target.lower().startswith("0x"):
            try:
                oid = hex_to_oid(target)
                obj = self.connection.get(oid)
                obj._p_activate()
            except (ValueError, POSError, KeyError) as exc:
                raise NotFound(f"no object with id {target}") from exc
            return obj
        if target.startswith("batos_") or target not in root:
            raise NotFound(f"no root object named {target!r}")
        return root[target]

    def root_name_of(self, obj: Any) -> str | None:
        root = self.connection.root()
        for name in root.keys():
            if root[name] is obj:
                return name
        return None

    def object_count(self) -> int:
        return len(self.storage)

    def size_bytes(self) -> int:
        return self.storage.getSize()

    def close(self) -> None:
        """Abort anything open and close the connection, database and storage."""
        try:
            try:
                self.tm.abort()
            except NoTransaction:
                pass
            # DB.close() aborts every connection's transaction manager, which in
            # explicit mode needs an open (empty) transaction to abort.
            self.tm.begin()
            self.connection.close()
            for tm, conn in self._spare:
                tm.begin()
                conn.close()
            self._spare.clear()
        finally:
            self.db.close()  # closes the storage too


def _collect_leaked_files(exc: BaseException) -> None:
    """A FileStorage whose __init__ failed leaves its .lock/.tmp files open; close them now.

    The half-built storage lives on in the failure's traceback (its frame's locals) for as long
    as the error is kept, so those locals are cleared (the lines stay) before collecting.
    """
    import gc
    import traceback
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ResourceWarning)
        traceback.clear_frames(exc.__traceback__)
        gc.collect()


def _explain_open_failure(path: Path, exc: Exception) -> str:
    name = type(exc).__name__
    if name == "LockError":
        return f"image {path} is in use by another process (its .lock is held); stop that kernel first"
    return (
        f"image {path} cannot be opened ({name}: {exc}). The file looks corrupt or is not a "
        "FileStorage; it has not been touched. Restore it from a backup or move it aside."
    )
