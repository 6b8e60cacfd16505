"""Baseline for bench_set_slot.py: raw ZODB commits in their own process, no kernel.

    python bench/support/_zodb_commit_loop.py DIR

Opens a FileStorage (with a blob directory, like the kernel's image) in DIR,
holding one persistent object shaped like a UvmObject (a Persistent with a
PersistentMapping ``slots``). Then, for each line ``N`` read from stdin, makes
N transactions, each setting ``slots["counter"]`` to a new value (the one
record a kernel ``set_slot`` writes: the slot mapping), with
``transaction.commit()`` each time; it answers one line: the seconds the N
commits took. EOF closes the storage and exits.
"""

import sys
import time
from pathlib import Path

import persistent
import transaction
import ZODB
import ZODB.FileStorage
from persistent.mapping import PersistentMapping


class Thing(persistent.Persistent):
    def __init__(self) -> None:
        self.slots = PersistentMapping()


def main(directory: str) -> None:
    path = Path(directory) / "baseline.fs"
    storage = ZODB.FileStorage.FileStorage(str(path), blob_dir=str(path.with_suffix(".blobs")))
    db = ZODB.DB(storage)
    tm = transaction.TransactionManager(explicit=True)
    conn = db.open(tm)
    tm.begin()
    root = conn.root()
    root["thing"] = thing = Thing()
    tm.commit()
    value = 0
    print("ready", flush=True)
    for line in sys.stdin:
        n = int(line)
        perf = time.perf_counter
        t0 = perf()
        for _ in range(n):
            value += 1
            tm.begin()
            thing.slots["counter"] = value
            tm.commit()
        print(f"{perf() - t0:.9f}", flush=True)
    tm.begin()
    conn.close()
    db.close()


if __name__ == "__main__":
    main(sys.argv[1])
