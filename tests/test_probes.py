"""Probe calls made from the learning call's arguments (bat_os.cognition.probes)."""

from __future__ import annotations

from bat_os.cognition.probes import MAX_PROBES, probes


def test_one_argument_varied_at_a_time_after_its_kind():
    assert [p["args"] for p in probes(["banana"], {}, [])] == [[""], ["Hello World"], ["ananab"], ["banana extra"], ["BANANA"]]
    assert [p["args"] for p in probes(["2024-02-27", 3], {}, [])][:2] == [["2000-02-29", 3], ["2024-02-27", 0]]
    assert probes([[3, 1, 2]], {"sep": ","}, [])[0] == {"args": [[]], "kwargs": {"sep": ","}, "varies": 0}
    assert [p["varies"] for p in probes(["a", 1], {}, [])][:2] == [0, 1]
    assert len(probes([1, 2.5, "x", [1], {"a": 1}], {}, [])) == MAX_PROBES


def test_calls_already_made_are_not_repeated_and_no_arguments_means_no_probes():
    taken = [{"args": [""], "kwargs": {}}, {"args": ["Hello World"], "kwargs": {}}]
    assert [p["args"] for p in probes(["banana"], {}, taken)][:1] == [["ananab"]]
    assert probes([], {}, []) == []
    assert probes([True], {}, []) == [{"args": [False], "kwargs": {}, "varies": 0}]
