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


def test_the_clock_and_chance_are_read_from_the_source():
    from bat_os.cognition.lint import reads_clock

    assert reads_clock("def f(self):\n    from datetime import datetime\n    return datetime.now().strftime('%H:%M')\n", "f")
    assert reads_clock("def f(self):\n    import datetime\n    return str(datetime.date.today())\n", "f")
    assert reads_clock("def f(self):\n    import time\n    return time.strftime('%H:%M')\n", "f")  # no time given: now
    assert reads_clock("def f(self, xs):\n    import random\n    return random.choice(xs)\n", "f")
    assert not reads_clock("def f(self, moment):\n    return moment.time()\n", "f")  # a part of what it was given
    assert not reads_clock("def f(self, t):\n    import time\n    return time.strftime('%H', t)\n", "f")
    assert not reads_clock("def f(self):\n    return self.name\n", "f") and not reads_clock("def f(self:\n", "f")


def test_a_request_for_the_current_time_needs_a_method_that_reads_the_clock():
    from bat_os.cognition.lint import reasons

    made_up = "def report_the_current_system_time(self):\n    return 'The current system time is ' + self.name\n"
    assert reasons(made_up, "report_the_current_system_time", "create a method to report the current system time", {"name"}) == [
        "static: the request asks for 'current system time', but report_the_current_system_time never reads the clock: "
        "call datetime.datetime.now(), datetime.date.today() or time.time()"]
    clock = "def report_the_current_system_time(self):\n    import time\n    return time.ctime()\n"
    assert reasons(clock, "report_the_current_system_time", "report the current system time", set()) == []
    days = "def days_left(self, day):\n    return (day - 1) % 7\n"
    assert reasons(days, "days_left", "how many days from today until the given day", set())[0].startswith(
        "static: the request asks for 'today'")
    assert reasons(days, "days_left", "how many days until the day after the given one", set()) == []


def test_reading_the_clock_when_the_request_asks_for_it_is_what_a_method_without_arguments_can_show():
    from bat_os.cognition.lint import asked_and_read_clock

    clock = "def now_text(self):\n    import datetime\n    return str(datetime.datetime.now())\n"
    assert asked_and_read_clock(clock, "now_text", "report the current time")
    assert not asked_and_read_clock(clock, "now_text", "report a time")  # not asked for: no word of the user's
    assert not asked_and_read_clock("def now_text(self):\n    return '12:00'\n", "now_text", "report the current time")


def test_answering_with_the_object_itself_is_refused_unless_the_request_asks_for_it():
    from bat_os.cognition.lint import reasons, returns_self

    rename = "def rename(self, text):\n    self.name_tag = text\n    return self\n"
    assert returns_self(rename, "rename") and not returns_self("def rename(self, t):\n    return self.name_tag\n", "rename")
    assert reasons(rename, "rename", "set the name_tag slot to a new name and return the old one", {"name_tag"}) == [
        "static: rename returns self, the object itself, but the request does not ask for the object: return the answer it asks for"]
    assert reasons(rename, "rename", "set the name tag and return the object itself, for chaining", {"name_tag"}) == []
    assert reasons(rename, "rename", "set the name tag", {"name_tag"}) == []  # no answer asked for: the object will do


def test_a_slots_data_written_into_the_source_is_named():
    from bat_os.cognition.lint import copied_slots, reasons

    values = {"scores": [3, 4], "user_name": "Ada", "counter": 5, "unit": "cm", "prices": {"apple": 2, "pear": 3}}
    # what the real 0.5B model wrote for "empty the scores slot (a list) and return how many scores it held"
    copied = "def clear_scores(self):\n    self['scores'] = [3, 4]\n    return len(self['scores'])\n"
    assert copied_slots(copied, "clear_scores", values) == [("scores", "[3, 4]")]
    assert reasons(copied, "clear_scores", "empty the scores slot", {"scores"}, values) == [
        "static: clear_scores has the scores slot's value [3, 4] written in its source: read self.scores instead "
        "(the data differs from object to object and from call to call)"]
    assert copied_slots("def f(self):\n    return {'pear': 3, 'apple': 2}['apple']\n", "f", values) == [("prices", "{'apple': 2, 'pear': 3}")]
    assert copied_slots("def f(self):\n    return (3, 4)\n", "f", values) == [("scores", "[3, 4]")]
    assert copied_slots("def f(self):\n    return 'Hi ' + 'Ada'\n", "f", values) == [("user_name", "'Ada'")]
    # numbers, short texts and docstrings are no copy; nor is reading the slot
    assert copied_slots("def f(self):\n    '''For [3, 4] and Ada.'''\n    return self.counter + 5, 'cm', self.scores\n", "f", values) == []
    assert copied_slots("def f(self):\n    return [3]\n", "f", values) == []
    assert copied_slots("def g(self):\n    return [3, 4]\n", "f", values) == []  # not the method asked for
