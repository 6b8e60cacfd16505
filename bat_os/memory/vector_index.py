"""An in-memory cosine-similarity index over L2-normalised float32 embeddings.

The knowledge catalog owns the embeddings (in ZODB) and feeds them here; this
module knows nothing of ZODB. All vectors live in ONE contiguous ``float32``
matrix, so a query is a single matrix-vector product over the live rows
instead of a decode per chunk::

    index = VectorIndex(384)
    index.add([7, 9], embeddings)            # (2, 384); rows are normalised here
    index.search(query, top_k=5)             # [(9, 0.83), (7, 0.41)], best first
    index.search(query, 5, allowed={7})      # only among those ids (a metadata filter)
    index.remove([7])                        # 1: how many were present

Layout (``n`` live rows, ``capacity`` allocated)::

    _matrix  (capacity, dimension) float32   rows [0, n) are live, the rest is spare
    _ids     (capacity,) int64               _ids[row] is the id stored in that row
    _rows    dict id -> row                  the inverse of _ids[:n]

Appends grow the capacity geometrically (doubling), so adding one vector at a
time is amortised O(dimension). Removal moves the last live row into the hole
(swap-with-last): O(dimension) per id, the live rows stay contiguous, and row
order is therefore not insertion order.

Cosine similarity is the dot product, because every stored row has unit
length (or is all zeros: a zero vector stays zero and scores 0 against
everything). A query is normalised the same way.

Not thread-safe: the owner serialises calls (searches may run concurrently
with each other, never with ``add``/``remove``/``clear``).
"""

from __future__ import annotations

import operator
import sys
from collections.abc import Collection, Iterable, Sequence

import numpy as np

__all__ = ["VectorIndex"]

# Rough cost of one ``_rows`` entry: a dict slot plus two int objects. Used by
# ``nbytes``, which is an estimate for the dict (exact for the arrays).
_DICT_ENTRY_BYTES = 2 * 8 + 2 * 32
_INT64 = np.iinfo(np.int64)
# Below this a float32 norm may have lost its squares to underflow; recomputed in float64.
_TINY_NORM = 1e-18


class VectorIndex:
    """Ids and their unit vectors in one contiguous matrix; top-k by cosine."""

    def __init__(self, dimension: int, *, initial_capacity: int = 1024) -> None:
        dimension = _as_int(dimension, "dimension")
        initial_capacity = _as_int(initial_capacity, "initial_capacity")
        if dimension < 1:
            raise ValueError(f"dimension must be >= 1, got {dimension}")
        if initial_capacity < 1:
            raise ValueError(f"initial_capacity must be >= 1, got {initial_capacity}")
        self.dimension = dimension
        self.generation = 0  # set by the owner: which catalog state this index reflects
        self._initial_capacity = initial_capacity
        self._allocate(initial_capacity)

    def _allocate(self, capacity: int) -> None:
        self._matrix = np.zeros((capacity, self.dimension), dtype=np.float32)
        self._ids = np.zeros(capacity, dtype=np.int64)
        self._rows: dict[int, int] = {}
        self._size = 0

    def __len__(self) -> int:
        return self._size

    def __contains__(self, id_: object) -> bool:
        return id_ in self._rows

    @property
    def capacity(self) -> int:
        """Rows allocated (live + spare)."""
        return self._matrix.shape[0]

    # -- writing -----------------------------------------------------------

    def add(self, ids: Sequence[int], vectors: np.ndarray) -> None:
        """Store ``vectors[i]`` under ``ids[i]``; an id already present is replaced.

        ``vectors`` is a floating ``(len(ids), dimension)`` array (``float32``
        preferred; other float widths are converted). Rows are normalised
        here; an all-zero row stays zero. Everything is validated before the
        index changes, so a rejected call leaves it as it was.
        """
        id_list = _as_id_array(ids).tolist()
        matrix = self._check_vectors(vectors, "vectors", ndim=2)
        if matrix.shape[0] != len(id_list):
            raise ValueError(f"got {len(id_list)} ids but {matrix.shape[0]} vectors")
        if len(set(id_list)) != len(id_list):
            raise ValueError("ids within one add() call must be unique")
        if not id_list:
            return
        matrix = _normalised(matrix)

        replaced = [n for n, i in enumerate(id_list) if i in self._rows]
        if not replaced:  # the common case: all new, no boolean-mask copies
            new_ids, new_vectors = id_list, matrix
        else:
            self._matrix[[self._rows[id_list[n]] for n in replaced]] = matrix[replaced]
            fresh = np.ones(len(id_list), dtype=bool)
            fresh[replaced] = False
            new_ids = [i for i, keep in zip(id_list, fresh.tolist()) if keep]
            new_vectors = matrix[fresh]
        if new_ids:
            start, stop = self._size, self._size + len(new_ids)
            self._reserve(stop)
            self._matrix[start:stop] = new_vectors
            self._ids[start:stop] = new_ids
            self._rows.update(zip(new_ids, range(start, stop)))
            self._size = stop

    def _reserve(self, needed: int) -> None:
        """Make room for ``needed`` live rows, at least doubling when it grows."""
        capacity = self.capacity
        if needed <= capacity:
            return
        new_capacity = max(needed, 2 * capacity)
        matrix = np.zeros((new_capacity, self.dimension), dtype=np.float32)
        matrix[: self._size] = self._matrix[: self._size]
        ids = np.zeros(new_capacity, dtype=np.int64)
        ids[: self._size] = self._ids[: self._size]
        self._matrix, self._ids = matrix, ids

    def remove(self, ids: Iterable[int]) -> int:
        """Drop these ids; returns how many were present (unknown ids are ignored)."""
        removed = 0
        for id_ in _as_id_array(ids).tolist():
            row = self._rows.pop(id_, None)
            if row is None:
                continue
            last = self._size - 1
            if row != last:  # move the last live row into the hole
                moved = int(self._ids[last])
                self._matrix[row] = self._matrix[last]
                self._ids[row] = moved
                self._rows[moved] = row
            self._matrix[last] = 0.0
            self._size = last
            removed += 1
        return removed

    def clear(self) -> None:
        """Forget everything, give the memory back, and reset ``generation`` to 0."""
        self._allocate(self._initial_capacity)
        self.generation = 0

    # -- reading -----------------------------------------------------------

    def search(
        self, query: np.ndarray, top_k: int, allowed: Collection[int] | None = None
    ) -> list[tuple[int, float]]:
        """The ``top_k`` ids most similar to ``query``, best first, as ``(id, cosine)``.

        ``query`` has shape ``(dimension,)`` or ``(1, dimension)``. ``allowed``,
        when given, restricts the answer to those ids (ids not in the index
        are ignored). ``top_k`` larger than the candidates gives them all;
        ``top_k == 0`` gives ``[]``.
        """
        top_k = _as_int(top_k, "top_k")
        if top_k < 0:
            raise ValueError(f"top_k must be >= 0, got {top_k}")
        q = self._check_vectors(query, "query", ndim=1)
        q = _normalised(q.reshape(1, -1))[0]
        if top_k == 0 or self._size == 0:
            return []

        live = self._matrix[: self._size]
        if allowed is None:
            rows = None
            scores = live @ q
        else:
            wanted = _as_id_array(allowed)
            if 8 * wanted.size < self._size:  # a few ids: look each one up
                found = [self._rows[i] for i in wanted.tolist() if i in self._rows]
                rows = np.unique(np.asarray(found, dtype=np.intp))  # sorted: kinder to the cache
            else:  # many ids: one vectorised membership test over the live rows
                rows = np.flatnonzero(np.isin(self._ids[: self._size], wanted))
            if rows.size == 0:
                return []
            if 2 * rows.size < self._size:
                scores = live[rows] @ q  # gather the few candidate rows
            else:
                scores = (live @ q)[rows]  # most rows anyway: one full pass

        k = min(top_k, scores.size)
        if k < scores.size:
            best = np.argpartition(-scores, k - 1)[:k]
            best = best[np.argsort(-scores[best], kind="stable")]
        else:
            best = np.argsort(-scores, kind="stable")
        chosen = best if rows is None else rows[best]
        return [(int(i), float(s)) for i, s in zip(self._ids[chosen], scores[best])]

    def ids(self) -> np.ndarray:
        """The ids in row order (a copy; ``int64``)."""
        return self._ids[: self._size].copy()

    def nbytes(self) -> int:
        """Memory held: the whole matrix capacity, the id array, and the id map (estimated)."""
        mapping = sys.getsizeof(self._rows) + _DICT_ENTRY_BYTES * len(self._rows)
        return int(self._matrix.nbytes + self._ids.nbytes + mapping)

    # -- validation --------------------------------------------------------

    def _check_vectors(self, array: object, name: str, *, ndim: int) -> np.ndarray:
        """``array`` as float32 with ``ndim`` dimensions (a query may also be ``(1, dim)``)."""
        if not isinstance(array, np.ndarray):
            raise ValueError(f"{name} must be a numpy array, got {type(array).__name__}")
        if not np.issubdtype(array.dtype, np.floating):
            raise ValueError(f"{name} must have a floating dtype (float32), got {array.dtype}")
        if ndim == 1 and array.ndim == 2 and array.shape[0] == 1:
            array = array[0]
        if array.ndim != ndim or array.shape[-1] != self.dimension:
            expected = f"({self.dimension},)" if ndim == 1 else f"(n, {self.dimension})"
            raise ValueError(f"{name} must have shape {expected}, got {array.shape}")
        array = np.asarray(array, dtype=np.float32)
        if not np.isfinite(array).all():
            raise ValueError(f"{name} contains NaN or infinity")
        return array


def _normalised(matrix: np.ndarray) -> np.ndarray:
    """Rows scaled to unit length (a new array); zero rows stay zero."""
    with np.errstate(over="ignore", under="ignore"):
        norms = np.sqrt(np.einsum("ij,ij->i", matrix, matrix))[:, None]
    plain = np.isfinite(norms) & (norms > _TINY_NORM)
    with np.errstate(divide="ignore"):
        scale = np.where(plain, np.float32(1.0) / norms, np.float32(0.0)).astype(np.float32)
    out = matrix * scale
    odd = ~plain[:, 0]
    if odd.any():  # squares overflowed or underflowed in float32: redo those rows in float64
        rows = matrix[odd].astype(np.float64)
        norms64 = np.linalg.norm(rows, axis=1, keepdims=True)
        out[odd] = np.divide(rows, norms64, out=np.zeros_like(rows), where=norms64 > 0)
    return out


def _as_int(value: object, name: str) -> int:
    if isinstance(value, bool):
        raise ValueError(f"{name} must be an integer, got a bool")
    try:
        return operator.index(value)
    except TypeError:
        raise ValueError(f"{name} must be an integer, got {type(value).__name__}") from None


def _as_id_array(ids: Iterable[int]) -> np.ndarray:
    """``ids`` (any iterable of integers, or an integer array) as a 1-d int64 array."""
    if isinstance(ids, (str, bytes)):
        raise ValueError("ids must be integers, not a string")
    array = ids if isinstance(ids, np.ndarray) else np.asarray(list(ids))
    if array.size == 0 and array.ndim == 1:
        return np.empty(0, dtype=np.int64)
    if array.ndim != 1 or array.dtype.kind not in "iu":  # bools, floats, strings, objects
        raise ValueError(f"ids must be a 1-d sequence of integers, got {array.dtype} {array.shape}")
    if array.dtype.kind == "u" and array.max() > _INT64.max:
        raise ValueError("ids must fit in a signed 64-bit integer")
    return array.astype(np.int64, copy=False)
