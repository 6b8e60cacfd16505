"""What one reading of the request is: the text a candidate wrote, and the voice that asked for it."""

from bat_os.cognition.readings import reading, repeats, source, wording, wordings


def test_layout_comments_and_docstrings_aside_one_text_is_one_source_in_either_voice():
    a = "def f(self, x):\n    return x + 1\n"
    a_again = 'def f(self, x):\n    """Add one."""\n    # the same, commented\n    return  x+1\n'
    first, second, third = {"code": a, "attempt": 1}, {"code": a_again, "attempt": 2}, {"code": a_again, "attempt": 3}
    assert source(first, 0) == source(second, 1) == source(third, 2)
    assert reading(first, 0) != reading(second, 1)  # the two voices: two readings that met
    assert reading(first, 0) == reading(third, 2)  # one voice twice: one reading sampled twice
    assert source({"code": "def f(self, x):\n    return x + 2\n"}, 0) != source(first, 0)
    # a record that says no attempt, or code that does not parse, is a reading of its own
    assert reading({"code": "def f(:", "attempt": 1}, 4) == "#4" and reading({}, 5) == "#5"
    assert wording({"code": a}) is None and [wording({"attempt": n}) for n in (1, 2, 3, 4)] == [0, 1, 0, 1]
    assert wordings([first, second, {"code": a}], [0, 1, 2]) == {0, 1} and wordings([first, third], [0, 1]) == {0}


def test_repeats_counts_the_candidates_that_came_back_to_an_earlier_source():
    a = "def f(self, x):\n    return x + 1\n"
    a_again = 'def f(self, x):\n    """Add one."""\n    # the same, commented\n    return x + 1\n'
    b = "def f(self, x):\n    return x + 2\n"
    records = [{"code": a, "attempt": 1}, {"code": a_again, "attempt": 2}, {"code": b, "attempt": 3},
               {"code": "def f(:", "attempt": 4}, {"code": "def f(:", "attempt": 5}, {"code": b, "attempt": 6}]
    assert repeats(records) == 2  # a in the other voice, b sampled again; code that does not parse counts for none
    assert repeats([]) == 0 and repeats(records[:1]) == 0
