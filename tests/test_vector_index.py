"""The in-memory cosine index: exact answers against a brute-force numpy reference."""

import numpy as np
import pytest

from bat_os.memory.vector_index import VectorIndex

DIM = 16


def random_vectors(rng, n, dim=DIM):
    return rng.standard_normal((n, dim), dtype=np.float32)


def reference(ids, vectors, query, top_k, allowed=None):
    """Brute force in float64: {id: cosine} for the candidates, and the best ``top_k`` scores."""
    v = vectors.astype(np.float64)
    v /= np.linalg.norm(v, axis=1, keepdims=True)
    q = query.astype(np.float64) / np.linalg.norm(query)
    scores = dict(zip(ids, (v @ q).tolist()))
    if allowed is not None:
        scores = {i: s for i, s in scores.items() if i in allowed}
    best = sorted(scores.values(), reverse=True)[:top_k]
    return scores, best


def assert_matches(hits, scores, best):
    """``hits`` are the best ids (tolerant only of float rounding between near-ties)."""
    assert len(hits) == len(best)
    got = [s for _, s in hits]
    assert got == sorted(got, reverse=True)
    np.testing.assert_allclose(got, best, atol=1e-5)
    for id_, score in hits:
        assert score == pytest.approx(scores[id_], abs=1e-5)
    assert len({id_ for id_, _ in hits}) == len(hits)


@pytest.mark.parametrize("seed", [0, 1, 2, 3, 4])
def test_search_matches_brute_force(seed):
    rng = np.random.default_rng(seed)
    n = 500
    ids = rng.choice(10_000, size=n, replace=False).tolist()
    vectors = random_vectors(rng, n)
    index = VectorIndex(DIM, initial_capacity=8)
    for start in range(0, n, 37):  # several batches: exercises growth
        index.add(ids[start : start + 37], vectors[start : start + 37])
    assert len(index) == n
    for _ in range(5):
        query = random_vectors(rng, 1)[0]
        for top_k in (1, 7, 50):
            hits = index.search(query, top_k)
            assert_matches(hits, *reference(ids, vectors, query, top_k))
        # ids really are the reference's best when there is no near-tie at the cut
        scores, best = reference(ids, vectors, query, 10)
        expected = sorted(scores, key=scores.get, reverse=True)[:10]
        assert [i for i, _ in index.search(query, 10)] == expected


def test_stored_rows_are_unit_length_and_zero_rows_stay_zero():
    rng = np.random.default_rng(5)
    vectors = random_vectors(rng, 4) * np.float32(1000)
    vectors[2] = 0.0
    index = VectorIndex(DIM)
    index.add([1, 2, 3, 4], vectors)
    hits = dict(index.search(vectors[0], 4))
    assert hits[1] == pytest.approx(1.0, abs=1e-6)
    assert hits[3] == 0.0
    assert max(abs(s) for s in hits.values()) <= 1.0 + 1e-6


def test_extreme_magnitudes_still_normalise():
    index = VectorIndex(2)
    index.add([1, 2], np.array([[1e30, 1e30], [1e-25, 0.0]], dtype=np.float32))
    assert dict(index.search(np.array([1.0, 1.0], dtype=np.float32), 2)) == pytest.approx(
        {1: 1.0, 2: 0.5**0.5}, abs=1e-6
    )


def test_float64_input_is_accepted_and_stored_as_float32():
    index = VectorIndex(3)
    index.add([1], np.array([[0.0, 3.0, 4.0]]))
    [(id_, score)] = index.search(np.array([0.0, 0.6, 0.8]), 1)
    assert id_ == 1 and score == pytest.approx(1.0, abs=1e-6)
    assert index._matrix.dtype == np.float32 and index._matrix.flags.c_contiguous


def test_add_replaces_an_existing_id():
    index = VectorIndex(3)
    index.add([1, 2], np.eye(3, dtype=np.float32)[:2])
    index.add([2, 3], np.array([[0, 0, 1], [1, 1, 0]], dtype=np.float32))
    assert len(index) == 3
    assert sorted(index.ids().tolist()) == [1, 2, 3]
    assert index.search(np.array([0, 0, 1], dtype=np.float32), 1) == [(2, pytest.approx(1.0))]
    assert dict(index.search(np.array([0, 1, 0], dtype=np.float32), 3))[2] == pytest.approx(0.0)


def test_remove_keeps_the_others_findable():
    rng = np.random.default_rng(7)
    n = 200
    ids = list(range(1000, 1000 + n))
    vectors = random_vectors(rng, n)
    index = VectorIndex(DIM)
    index.add(ids, vectors)
    gone = set(rng.choice(ids, size=80, replace=False).tolist())
    assert index.remove(list(gone) + [99_999]) == 80  # an unknown id is ignored
    assert index.remove(gone) == 0
    assert len(index) == n - 80
    kept = [i for i in ids if i not in gone]
    assert sorted(index.ids().tolist()) == kept
    for i, vector in zip(ids, vectors):
        if i in gone:
            assert i not in index
        else:
            assert index.search(vector, 1)[0] == (i, pytest.approx(1.0, abs=1e-5))
    query = random_vectors(rng, 1)[0]
    keep_vectors = np.stack([v for i, v in zip(ids, vectors) if i not in gone])
    assert_matches(index.search(query, 15), *reference(kept, keep_vectors, query, 15))


def test_remove_everything_then_add_again():
    index = VectorIndex(3)
    index.add([1, 2], np.eye(3, dtype=np.float32)[:2])
    assert index.remove(iter([2, 1])) == 2
    assert len(index) == 0 and index.search(np.ones(3, dtype=np.float32), 5) == []
    index.add([5], np.eye(3, dtype=np.float32)[2:])
    assert index.ids().tolist() == [5]


@pytest.mark.parametrize("seed", [11, 12])
def test_allowed_restricts_the_candidates(seed):
    rng = np.random.default_rng(seed)
    n = 300
    ids = list(range(n))
    vectors = random_vectors(rng, n)
    index = VectorIndex(DIM)
    index.add(ids, vectors)
    query = random_vectors(rng, 1)[0]
    few = set(rng.choice(n, size=20, replace=False).tolist())  # gathered rows
    many = set(rng.choice(n, size=250, replace=False).tolist())  # one full pass
    for allowed in (few, many):
        hits = index.search(query, 10, allowed=allowed | {5000})  # unknown ids are ignored
        assert {i for i, _ in hits} <= allowed
        assert_matches(hits, *reference(ids, vectors, query, 10, allowed))
    assert len(index.search(query, 100, allowed=few)) == 20
    assert index.search(query, 5, allowed=set()) == []
    assert index.search(query, 5, allowed=[4242]) == []
    assert [i for i, _ in index.search(query, 3, allowed=np.array([7, 8]))] in ([7, 8], [8, 7])


def test_top_k_edge_cases():
    rng = np.random.default_rng(3)
    vectors = random_vectors(rng, 5)
    index = VectorIndex(DIM)
    index.add([10, 11, 12, 13, 14], vectors)
    query = vectors[2]
    assert index.search(query, 0) == []
    everything = index.search(query, 50)
    assert len(everything) == 5 and everything[0][0] == 12
    assert_matches(everything, *reference([10, 11, 12, 13, 14], vectors, query, 5))
    assert index.search(query, 5) == everything
    assert index.search(query[None, :], 2) == everything[:2]  # a (1, dim) query
    with pytest.raises(ValueError, match="top_k"):
        index.search(query, -1)
    with pytest.raises(ValueError, match="top_k"):
        index.search(query, 2.5)


def test_empty_index():
    index = VectorIndex(4)
    assert len(index) == 0
    assert index.search(np.ones(4, dtype=np.float32), 3) == []
    assert index.ids().tolist() == []
    assert index.remove([1, 2]) == 0
    index.add([], np.empty((0, 4), dtype=np.float32))
    assert len(index) == 0


def test_zero_query_scores_zero():
    index = VectorIndex(3)
    index.add([1, 2], np.eye(3, dtype=np.float32)[:2])
    assert [s for _, s in index.search(np.zeros(3, dtype=np.float32), 2)] == [0.0, 0.0]


def test_ids_is_a_copy_in_row_order():
    index = VectorIndex(2)
    index.add([4, 5, 6], np.ones((3, 2), dtype=np.float32))
    index.remove([4])  # the last row moves into row 0
    ids = index.ids()
    assert ids.tolist() == [6, 5] and ids.dtype == np.int64
    ids[0] = 99
    assert index.ids().tolist() == [6, 5]


def test_capacity_grows_geometrically_and_nbytes_follows():
    index = VectorIndex(8, initial_capacity=4)
    empty = index.nbytes()
    assert empty >= 4 * 8 * 4
    seen = set()
    for i in range(100):
        index.add([i], np.ones((1, 8), dtype=np.float32))
        seen.add(index.capacity)
    assert sorted(seen) == [4, 8, 16, 32, 64, 128]  # doubling, not one row at a time
    assert index.nbytes() >= 128 * 8 * 4 + 128 * 8 > empty
    index.clear()
    assert len(index) == 0 and index.capacity == 4 and index.nbytes() == empty


def test_a_large_batch_grows_to_fit_at_once():
    index = VectorIndex(4, initial_capacity=2)
    index.add(range(1000), np.ones((1000, 4), dtype=np.float32))
    assert len(index) == 1000 and index.capacity == 1000


def test_clear_and_generation():
    index = VectorIndex(3)
    assert index.generation == 0
    index.add([1], np.ones((1, 3), dtype=np.float32))
    index.generation = 42
    assert index.generation == 42
    index.clear()
    assert len(index) == 0 and 1 not in index and index.generation == 0
    index.add([1], np.ones((1, 3), dtype=np.float32))
    assert index.search(np.ones(3, dtype=np.float32), 1)[0][0] == 1


@pytest.mark.parametrize(
    "ids, vectors, message",
    [
        ([1], np.ones((1, 4), dtype=np.float32), "shape"),
        ([1], np.ones(3, dtype=np.float32), "shape"),
        ([1, 2], np.ones((1, 3), dtype=np.float32), "2 ids but 1 vectors"),
        ([1], np.ones((1, 3), dtype=np.int64), "floating"),
        ([1], [[1.0, 0.0, 0.0]], "numpy array"),
        ([1], np.array([[np.nan, 0, 0]], dtype=np.float32), "NaN"),
        ([1], np.array([[np.inf, 0, 0]], dtype=np.float32), "NaN or infinity"),
        ([1, 1], np.ones((2, 3), dtype=np.float32), "unique"),
        (["a"], np.ones((1, 3), dtype=np.float32), "integer"),
        ([1.5], np.ones((1, 3), dtype=np.float32), "integer"),
        ("1", np.ones((1, 3), dtype=np.float32), "string"),
        (np.array([1.0]), np.ones((1, 3), dtype=np.float32), "integers"),
        ([2**63], np.ones((1, 3), dtype=np.float32), "64-bit"),
    ],
)
def test_bad_input_is_rejected_and_changes_nothing(ids, vectors, message):
    index = VectorIndex(3)
    index.add([7], np.ones((1, 3), dtype=np.float32))
    with pytest.raises(ValueError, match=message):
        index.add(ids, vectors)
    assert index.ids().tolist() == [7]


def test_bad_query_and_constructor_arguments():
    index = VectorIndex(3)
    with pytest.raises(ValueError, match="shape"):
        index.search(np.ones(4, dtype=np.float32), 1)
    with pytest.raises(ValueError, match="shape"):
        index.search(np.ones((2, 3), dtype=np.float32), 1)
    with pytest.raises(ValueError, match="floating"):
        index.search(np.ones(3, dtype=np.int32), 1)
    with pytest.raises(ValueError, match="dimension"):
        VectorIndex(0)
    with pytest.raises(ValueError, match="initial_capacity"):
        VectorIndex(3, initial_capacity=0)
    with pytest.raises(ValueError, match="dimension"):
        VectorIndex(3.0)


def test_a_hundred_thousand_rows_of_384():
    rng = np.random.default_rng(2024)
    n, dim = 100_000, 384
    vectors = rng.standard_normal((n, dim), dtype=np.float32)
    ids = np.arange(1, n + 1, dtype=np.int64)
    index = VectorIndex(dim)
    index.add(ids, vectors)
    assert len(index) == n
    assert index.nbytes() >= n * dim * 4

    unit = vectors / np.linalg.norm(vectors, axis=1, keepdims=True)
    for _ in range(3):
        query = rng.standard_normal(dim, dtype=np.float32)
        q = query.astype(np.float64) / np.linalg.norm(query)
        scores = unit.astype(np.float64) @ q
        order = np.argsort(-scores)[:10]
        hits = index.search(query, 10)
        assert [i for i, _ in hits] == (order + 1).tolist()
        np.testing.assert_allclose([s for _, s in hits], scores[order], atol=1e-5)
    # a stored row finds itself first, and a filter to a few ids still works
    assert index.search(vectors[4321], 1)[0] == (4322, pytest.approx(1.0, abs=1e-5))
    allowed = set(range(500, 600))
    hits = index.search(vectors[550], 5, allowed=allowed)
    assert hits[0][0] == 551 and {i for i, _ in hits} <= allowed
