"""What a candidate's source says about its meaning: whether it reads the clock or chance, which slots a request names."""

def test_the_clock_and_chance_are_read_from_the_source():
    from bat_os.cognition.lint import reads_clock

    assert reads_clock("def f(self):\n    from datetime import datetime\n    return datetime.now().strftime('%H:%M')\n", "f")
    assert reads_clock("def f(self):\n    import datetime\n    return str(datetime.date.today())\n", "f")
    assert reads_clock("def f(self):\n    import time\n    return time.strftime('%H:%M')\n", "f")  # no time given: now
    assert reads_clock("def f(self, xs):\n    import random\n    return random.choice(xs)\n", "f")
    assert not reads_clock("def f(self, moment):\n    return moment.time()\n", "f")  # a part of what it was given
    assert not reads_clock("def f(self, t):\n    import time\n    return time.strftime('%H', t)\n", "f")
    assert not reads_clock("def f(self):\n    return self.name\n", "f") and not reads_clock("def f(self:\n", "f")
