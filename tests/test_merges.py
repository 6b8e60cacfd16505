"""Property checks of a merge of maps (bat_os.cognition.merges), read from the request's words."""

from __future__ import annotations

from bat_os.cognition.merges import judge_merge, merge_properties

CALL = {"args": [{"a": 1, "b": 2}, {"b": 3, "c": 4}], "kwargs": {}}


def test_every_key_and_the_map_that_wins_a_shared_one():
    found = merge_properties("combine two dicts, taking the value from the first dict when a key is in both", CALL)
    assert [p.get("holds_keys") or p.get("keeps") for p in found] == [["a", "b", "c"], [["b", 2]]]
    keeps = found[1]
    assert judge_merge(keeps, {"value": {"a": 1, "b": 2, "c": 4}}, "m(...)") is None
    assert judge_merge(keeps, {"value": {"a": 1, "b": 3, "c": 4}}, "m(...)") == (
        'm(...) should keep "b": 2 for the key(s) both maps hold, but it answered {"a": 1, "b": 3, "c": 4}')
    assert judge_merge(found[0], {"value": {"a": 1}}, "m(...)").startswith("m(...) should answer a dict holding every key")
    assert [p["keeps"] for p in merge_properties("merge them; the second one wins on a clash", CALL) if "keeps" in p] == [[["b", 3]]]


def test_no_merge_no_check():
    assert merge_properties("merge two dicts keeping only the keys they have in common", CALL) == []
    assert merge_properties("add two dicts' values", CALL) == []
    assert merge_properties("merge a dict", {"args": [{"a": 1}], "kwargs": {}}) == []
