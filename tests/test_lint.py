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


def test_a_slot_the_request_names_must_be_used():
    from bat_os.cognition.lint import slots_unused

    existing = {"user_name", "items", "name"}
    intent = "return 'Hello, ' followed by the user_name slot and '!'"
    wrong = "def greet_user(self):\n    return f\"Hello, {self.items[0]}!\"\n"
    right = "def greet_user(self):\n    return 'Hello, ' + self.user_name + '!'\n"
    assert slots_unused(wrong, "greet_user", intent, existing) == ["user_name"]
    assert slots_unused(right, "greet_user", intent, existing) == []
    assert slots_unused("def g(self):\n    return getattr(self, 'user_name')\n", "g", intent, existing) == []
    # a slot name inside another word is not named ("name" in "user_name"), nor one the request does not say
    assert slots_unused(right, "greet_user", "say hello", existing) == []


def test_a_slot_is_named_as_a_slot_or_as_a_name_only_code_would_write():
    from bat_os.cognition.lint import slots_unused

    existing = {"name", "scores", "user_name"}
    silent = "def f(self, text):\n    return text[:1]\n"
    assert slots_unused(silent, "f", "return the initials of a full name", existing) == []  # a word, not the slot
    assert slots_unused(silent, "f", "empty the scores slot and say how many it held", existing) == ["scores"]
    assert slots_unused(silent, "f", "reset self.name", existing) == ["name"]
    assert slots_unused(silent, "f", "greet whoever user_name says", existing) == ["user_name"]


def test_the_reasons_a_candidate_hears():
    from bat_os.cognition.lint import reasons

    code = "def greet(self, who):\n    return 'Hello ' + self.items[0]\n"
    assert reasons(code, "greet", "greet who from the user_name slot", {"user_name", "items"}) == [
        "static: the request names the slot user_name, but greet never uses self.user_name",
        "static: greet never reads its parameter who: it must use every argument it is called with"]
    assert reasons("def greet(self, who):\n    return who + self.user_name\n", "greet", "greet from user_name", {"user_name"}) == []
