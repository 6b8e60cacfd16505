"""What a candidate's source says about its meaning: unused parameters, slips of a slot's name."""

from bat_os.cognition.lint import near_slot


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


def test_the_clock_and_chance_are_read_from_the_source():
    from bat_os.cognition.lint import reads_clock

    assert reads_clock("def f(self):\n    from datetime import datetime\n    return datetime.now().strftime('%H:%M')\n", "f")
    assert reads_clock("def f(self):\n    import datetime\n    return str(datetime.date.today())\n", "f")
    assert reads_clock("def f(self):\n    import time\n    return time.strftime('%H:%M')\n", "f")  # no time given: now
    assert reads_clock("def f(self, xs):\n    import random\n    return random.choice(xs)\n", "f")
    assert not reads_clock("def f(self, moment):\n    return moment.time()\n", "f")  # a part of what it was given
    assert not reads_clock("def f(self, t):\n    import time\n    return time.strftime('%H', t)\n", "f")
    assert not reads_clock("def f(self):\n    return self.name\n", "f") and not reads_clock("def f(self:\n", "f")
