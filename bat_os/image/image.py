"""The living image: open the ZODB FileStorage, awaken it, run transactions on its connection.

Only the event-loop thread touches the connection this module opens.

Awakening runs the ordered migrations (:data:`bat_os.image.migrations.MIGRATIONS`)
whose version is above the image's ``batos_schema_version``, each in its own
transaction that also records the new version, so each migration runs exactly
once. Migration 1 is the first awakening: it incarnates the primordial objects
(see :mod:`bat_os.image.primordial`). An upgraded kernel appends steps; an
older image is brought forward step by step.

The database finds classes through :func:`bat_os.image.legacy.find_class`, so
an image written when the classes lived elsewhere still opens.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any, Callable, Sequence

import transaction
import zc.lockfile
import ZODB
import ZODB.FileStorage
from ZODB.POSException import POSError
from ZODB.utils import z64

from bat_os.errors import ImageError, NotFound
from bat_os.image import legacy, packing, transact
from bat_os.image.migrations import Migration, MigrationContext, default_migrations
from bat_os.image.objects import hex_to_oid

logger = logging.getLogger(__name__)

SCHEMA_KEY = "batos_schema_version"
#: Objects each connection keeps in memory. ZODB's default (400) ghosts the knowledge catalog's
#: index buckets after every transaction, and a search at 30k chunks reloaded ~370 objects (~23 ms).
CACHE_SIZE = 20_000
MIGRATION_LOG_KEY = "batos_migrations"
_MISSING = object()


class ImageDB(ZODB.DB):
    """ZODB's database, finding classes where they live now (old images name old paths)."""

    def classFactory(self, connection: Any, modulename: str, globalname: str) -> Any:  # noqa: N802 - ZODB's name
        return legacy.find_class(modulename, globalname)


class Image:
    """An opened image: storage, database, one connection with its own transaction manager."""

    def __init__(self, path: Path, blob_dir: Path | None = None, *, read_only: bool = False, cache_size: int = CACHE_SIZE) -> None:
        self.path = Path(path)
        self.blob_dir = Path(blob_dir) if blob_dir else self.path.with_name(self.path.stem + ".blobs")
        self.path.parent.mkdir(parents=True, exist_ok=True)
        # A pack cut short (kill -9) is put right before FileStorage opens the file (bat_os.image.packing).
        self.pack_recovery = None if read_only else packing.recover_interrupted_pack(self.path)
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
            self.db = ImageDB(self.storage, cache_size=cache_size)
            self.tm = transaction.TransactionManager(explicit=True)
            self.connection = self.db.open(self.tm)
            self.session = transact.Session(self.tm, self.storage)
            self._spare: list[tuple[Any, Any]] = []  # see acquire()
            self.session.run(self.connection.root, write=False)  # reads the root record: fails here if it is damaged
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
        migrations = sorted(migrations or default_migrations(), key=lambda m: m.version)
        context = context or MigrationContext(codex_path=None)
        ran: list[str] = []
        for migration in migrations:
            if self.session.run(lambda: self._migrate(migration, context), note=f"migration {migration.version}: {migration.name}"):
                ran.append(migration.name)
        return ran

    def _migrate(self, migration: Migration, context: MigrationContext) -> bool:
        root = self.connection.root()
        if migration.version <= int(root.get(SCHEMA_KEY, 0)):
            return False
        logger.info("migration %d: %s", migration.version, migration.name)
        migration.apply(root, context)
        log = root.get(MIGRATION_LOG_KEY)
        if log is None:
            from persistent.list import PersistentList

            log = root[MIGRATION_LOG_KEY] = PersistentList()
        log.append({"version": migration.version, "name": migration.name, "at": context.now()})
        root[SCHEMA_KEY] = migration.version
        return True

    # --- transactions -------------------------------------------------------------
    def run(self, work: Callable[[], Any], *, retries: int = 3, note: str | None = None) -> Any:
        """Run ``work`` in one transaction on this connection and commit; abort on error.

        Transient errors (ConflictError and friends) abort and retry up to
        ``retries`` times, then become :class:`~bat_os.errors.Busy`
        (see :mod:`bat_os.image.transact`). Anything else aborts and propagates.
        """
        return self.session.run(work, retries=retries, note=note)

    def read(self, work: Callable[[], Any]) -> Any:
        """Run ``work`` against a current view of the image and change nothing."""
        return self.session.run(work, write=False)

    # --- connections for work that awaits -----------------------------------------------
    def acquire(self) -> tuple[Any, Any]:
        """A (transaction manager, connection) pair of its own, for work that awaits.

        Pairs are kept open and reused (opening and closing a connection per
        call costs more than the call); a transaction's begin brings a reused one up
        to date. Give it back with :meth:`release`, with no transaction open.
        """
        if self._spare:
            return self._spare.pop()
        tm = transaction.TransactionManager(explicit=True)
        return tm, self.db.open(tm)

    def release(self, pair: tuple[Any, Any]) -> None:
        tm, conn = pair
        transact.abandon(tm)
        if len(self._spare) < 8:
            self._spare.append(pair)
        else:
            transact.close(tm, conn)

    # --- objects ---------------------------------------------------------------------
    def resolve(self, target: Any) -> Any:
        """A root name (``"genesis_obj"``) or hex object id (``"0x07"``) -> the object."""
        if not isinstance(target, str) or not target:
            raise NotFound(f"target must be a root name or hex object id, not {target!r}")
        if target[:2] in ("0x", "0X"):
            try:
                oid = hex_to_oid(target)
                obj = self.connection.get(oid)
                obj._p_activate()
            except (ValueError, POSError, KeyError) as exc:
                raise NotFound(f"no object with id {target}") from exc
            return obj
        found = _MISSING if target.startswith("batos_") else self._root().data.get(target, _MISSING)
        if found is _MISSING:
            raise NotFound(f"no root object named {target!r}")
        return found

    def _root(self) -> Any:
        """The root mapping itself (``connection.root()`` wraps it in a new object per call; a request's
        resolve need not, and reads it through ``UserDict.data``: one dict lookup, not two Python calls)."""
        return self.connection.get(z64)

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

    def last_transaction(self) -> str:
        """The id of the last transaction the storage wrote (hex): it changes with every commit that wrote."""
        return self.storage.lastTransaction().hex()

    def close(self) -> None:
        """Abort anything open and close the connection, database and storage."""
        try:
            # DB.close() aborts every connection's transaction manager, which in
            # explicit mode needs an open (empty) transaction to abort.
            self.session.abandon()
            transact.close(self.tm, self.connection)
            for tm, conn in self._spare:
                transact.close(tm, conn)
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
    if isinstance(exc, zc.lockfile.LockError):
        return f"image {path} is in use by another process (its .lock is held); stop that kernel first"
    return (
        f"image {path} cannot be opened ({type(exc).__name__}: {exc}). The file looks corrupt or is not a "
        "FileStorage; it has not been touched. Restore it from a backup or move it aside."
    )
