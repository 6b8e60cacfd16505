"""What a candidate's source says about its meaning: unused parameters, slips of a slot's name."""

from bat_os.cognition.lint import near_slot, unused_parameters


def test_a_parameter_the_body_never_reads_is_named():
    assert unused_parameters("def gcd(self, a, b):\n    return a\n", "gcd") == ["b"]
    assert unused_parameters("def f(self, text):\n    pass\n", "f") == ["text"]
    assert unused_parameters("def f(self, text, *, sep=' '):\n    return text.split()\n", "f") == ["sep"]


def test_parameters_read_anywhere_in_the_body_count_as_used():
    code = ("def extract_numbers(self, text):\n    import re\n"
            "    return [int(n) for n in re.findall(r'\\d+', text)]\n")
    assert unused_parameters(code, "extract_numbers") == []
    nested = "def f(self, n):\n    def g():\n        return n * 2\n    return g()\n"
    assert unused_parameters(nested, "f") == []
    assert unused_parameters("def f(self):\n    return 1\n", "f") == []
    assert unused_parameters("def f(self, *args, **kwargs):\n    return 1\n", "f") == []


def test_a_parameter_only_assigned_to_is_unused():
    assert unused_parameters("def f(self, n):\n    n = 5\n    return 1\n", "f") == ["n"]


def test_source_that_does_not_parse_or_lacks_the_method_says_nothing():
    assert unused_parameters("def f(self, n:\n", "f") == []
    assert unused_parameters("def g(self, n):\n    return 1\n", "f") == []


def test_a_new_slot_named_like_an_existing_one_is_a_slip():
    existing = {"scores", "name_tag", "counter"}
    assert near_slot("score", existing) == "scores"
    assert near_slot("nametag", existing) == "name_tag"
    assert near_slot("Counter", existing) == "counter"
    assert near_slot("countr", existing) == "counter"  # one letter off, five or more letters


def test_other_new_slots_are_new():
    existing = {"scores", "counter", "age"}
    assert near_slot("scores", existing) is None  # not new
    assert near_slot("history", existing) is None
    assert near_slot("ago", existing) is None  # short names one letter apart are different words
    assert near_slot("x", set()) is None
