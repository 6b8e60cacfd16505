#!/usr/bin/env python3
"""Writes the task files no selection rule was tuned on, each hidden answer checked against a reference.

    python bench/make_task_files.py [DIR]     (default: beside this script)

- ``learning_tasks_fresh.jsonl`` (30 tasks): written 2026-11-23 before any run of it, then run once
  (``docs/journal/learning.md``): its false installs led to the rules of that session, so it is no longer unseen;
- ``learning_tasks_unseen.jsonl`` (20 tasks): written the same day, before those rules were measured on
  it; measured once, at the end, and never used to choose a rule (looked at since: no longer unseen);
- ``learning_tasks_holdout.jsonl`` (26 tasks): written at the start of the next session's measuring, before
  any run of it, and run once at the end of that session (``docs/journal/learning.md``), used for no rule;
- ``learning_tasks_novel.jsonl`` (30 tasks): written 2026-11-24, before any run of it and before that
  session's changes were measured on anything but the 51 tasks; run once (``docs/journal/learning.md``): its false
  installs were then looked at, so it is no longer unseen;
- ``learning_tasks_novel2.jsonl`` (30 tasks): written the same day, after that run and before any rule
  drawn from it; run once, at the end of that session;
- ``learning_tasks_novel3.jsonl`` (30 tasks): written 2026-11-24 by a helper, after novel2 was written,
  before any run of it and before any rule drawn from it; run once at ``99c1d88``: its false installs led to
  rules of the next session (a rearranged list's items; agreement with nothing exact checked), so it is no
  longer unseen;
- ``learning_tasks_novel4.jsonl`` (30 tasks): written 2026-11-24 by a helper, after novel3 was run, before
  any run of it and before any rule drawn from it; run once at ``5028ab1``: its false installs and refusals
  led to ``bd50ee4`` (rounding on every call, new numbers in list probes), so it is no longer unseen;
- ``learning_tasks_novel5.jsonl`` (30 tasks): written 2026-11-24 by a helper, after novel4 was run, before
  any run of it and before any rule drawn from it; run once at ``2e051f9``: its refusals and false installs led
  to ``d203b9a`` (no echo where probes answer otherwise, CPU time-outs as no answer, "move ... from the X
  slot"), so it is no longer unseen;
- ``learning_tasks_novel6.jsonl`` (30 tasks): written 2026-11-24 by a helper, after novel5 was run, before
  any run of it and before any rule drawn from it (two of its intents, ``alternate_case`` and ``expand_ranges``,
  were read when the test that no property refuses a right answer failed on them: ``4ed4346`` mended both rules);
  run once at ``544bb6d``: its false installs led to ``bca9a15`` and ``732db61`` (examples after "so", a quoted
  form, which map wins, probes of digits), so it is no longer unseen;
- ``learning_tasks_novel7.jsonl`` (30 tasks): written 2026-11-24 by a helper, after novel6 was written, before
  any run of it and before any rule drawn from it (one intent, ``closest_to_zero``, was read when the same test
  failed on it: "the number of a list" is one of its items, not a count); run once at ``732db61``, and its
  candidates looked at since (no rule drawn from it yet), so it is no longer unseen;
- ``learning_tasks_novel8.jsonl`` (30 tasks): written 2026-11-24 by a helper, after novel7 was run, before any
  run of it and before any rule drawn from it; run once at ``fc73676`` (the single shot's prompt for pure requests),
  and its candidates looked at since (no rule drawn from it yet), so it is no longer unseen. A harder file than the
  others: the single shot passed 3 of its 30 (13 to 17 of 30 on novel5 to novel7).
- ``learning_tasks_novel9.jsonl`` (30 tasks, 22 pure and 8 on slots): written 2026-11-25 by a helper, before any run
  of it and before any rule drawn from it.
- ``learning_tasks_novel10.jsonl`` (30 tasks, 22 pure and 8 on slots): written 2026-11-25 by a helper, before any
  run of it and before any rule drawn from it.
- ``learning_tasks_novel11.jsonl`` (30 tasks, 22 pure and 8 on slots): written 2026-11-25 by a helper, after novel10
  was run, before any run of it and before any rule drawn from it.

Tasks are written in ``bench/learning_tasks.jsonl``'s form. Each has a ``reference``: the source of a BAT OS method
that is right on it (``def <selector>(self, ...)``, slots read and written as ``self.<slot>``). It is run here on the
learning call (which must not raise) and on every hidden check (a typo in a hidden answer would count a right method
as a false install), then written into the task: the learning benchmark answers the cycle's questions about a call
with it, run in the jail, as the person who asked would. ``tests/test_learning_tasks.py`` runs every reference in the
real jail, through the guardian, on its task's checks.
"""

import json
import sys
from pathlib import Path

OUT = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).resolve().parent
T: list[dict] = []


def task(id, intent, args, checks, reference, slots=None):  # noqa: A002 - the task's field
    """A task; ``reference``: the source of a BAT OS method that is right on it (``def <id>(self, ...)``)."""
    T.append(dict(id=id, kind="slots" if slots else "pure", selector=id, intent=intent, args=args,
                  slots=slots or {}, checks=checks, _reference=reference.strip("\n")))


class Obj:
    """The receiver: the slots as attributes (a copy), the method under its selector (a reference may send to itself)."""

    def __init__(self, slots):
        self.__dict__.update(json.loads(json.dumps(slots)))


def receiver(source: str, selector: str) -> type:
    namespace: dict = {}
    exec(source, namespace)  # noqa: S102 - the references written below
    return type("Receiver", (Obj,), {selector: namespace[selector]})


def write(name: str) -> None:
    out = []
    for t in T:
        source = t.pop("_reference")
        method = receiver(source, t["selector"])
        for c in [{"args": t["args"]}] + t["checks"]:  # the learning call first: it must not raise either
            o = method(c.get("given", t["slots"]))
            r = getattr(o, t["selector"])(*json.loads(json.dumps(c["args"])))
            assert all(k in vars(o) and vars(o)[k] == v for k, v in (c.get("slots") or {}).items()), (t["id"], c, vars(o))
            if "result" in c:
                assert r == c["result"] and (type(r) is type(c["result"]) or isinstance(r, (int, float)) and not isinstance(r, bool)), (t["id"], c, r)
        t["reference"] = source
        out.append(json.dumps(t))
    (OUT / name).write_text("\n".join(out) + "\n")
    print(f"{name}: {len(out)} tasks, every hidden answer checked against its reference")
    T.clear()


# --- fresh ---
task("count_consonants", "count the consonants in a word, that is the letters that are not vowels", ["strength"],
     [{"args": ["Banana"], "result": 3}, {"args": ["AEIOU"], "result": 0}, {"args": ["Stop"], "result": 3}], """
def count_consonants(self, word):
    return sum(1 for c in word if c.isalpha() and c.lower() not in "aeiou")
""")
task("reverse_text", "return a text written backwards", ["abc"],
     [{"args": ["hello"], "result": "olleh"}, {"args": [""], "result": ""}], """
def reverse_text(self, text):
    return text[::-1]
""")
task("count_upper", "count the upper-case letters in a text", ["Hello World"],
     [{"args": ["ABc"], "result": 2}, {"args": ["abc"], "result": 0}, {"args": ["A-B-C d"], "result": 3}], """
def count_upper(self, text):
    return sum(c.isupper() for c in text)
""")
task("acronym", "make an acronym from a phrase: the first letter of each word, in upper case", ["portable network graphics"],
     [{"args": ["as soon as possible"], "result": "ASAP"}, {"args": ["Hello world"], "result": "HW"}], """
def acronym(self, phrase):
    return "".join(w[0].upper() for w in phrase.split())
""")
task("pad_left", "write a number as text padded with zeros on the left to a given width", [7, 3],
     [{"args": [42, 5], "result": "00042"}, {"args": [1234, 2], "result": "1234"}], """
def pad_left(self, number, width):
    return str(number).zfill(width)
""")
task("repeat_word", "repeat a word n times, separated by single spaces", ["hi", 3],
     [{"args": ["ab", 2], "result": "ab ab"}, {"args": ["x", 1], "result": "x"}], """
def repeat_word(self, word, times):
    return " ".join([word] * times)
""")
task("is_sorted", "tell whether a list of numbers is in non-decreasing order", [[1, 2, 2, 5]],
     [{"args": [[3, 1, 2]], "result": False}, {"args": [[1, 1, 1]], "result": True}, {"args": [[]], "result": True},
      {"args": [[1, 3, 2]], "result": False}], """
def is_sorted(self, numbers):
    return all(a <= b for a, b in zip(numbers, numbers[1:]))
""")
task("product", "return the product of the numbers in a list", [[2, 3, 4]],
     [{"args": [[5, 1]], "result": 5}, {"args": [[-2, 3]], "result": -6}, {"args": [[7]], "result": 7}], """
import math
def product(self, numbers):
    return math.prod(numbers)
""")
task("range_of", "return the difference between the largest and the smallest number of a list", [[4, 9, 1]],
     [{"args": [[5, 5]], "result": 0}, {"args": [[-3, 10, 2]], "result": 13}], """
def range_of(self, numbers):
    return max(numbers) - min(numbers)
""")
task("digits_of", "return the digits of a non-negative integer as a list of ints, most significant first", [907],
     [{"args": [0], "result": [0]}, {"args": [1234], "result": [1, 2, 3, 4]}], """
def digits_of(self, number):
    return [int(c) for c in str(number)]
""")
task("sign", "return -1, 0 or 1 according to the sign of a number", [-7],
     [{"args": [0], "result": 0}, {"args": [3.5], "result": 1}, {"args": [-0.1], "result": -1}], """
def sign(self, number):
    return (number > 0) - (number < 0)
""")
task("is_power_of_two", "tell whether a positive integer is a power of two", [16],
     [{"args": [1], "result": True}, {"args": [12], "result": False}, {"args": [1024], "result": True}, {"args": [6], "result": False}], """
def is_power_of_two(self, n):
    return n > 0 and n & (n - 1) == 0
""")
task("lcm", "return the least common multiple of two positive integers", [4, 6],
     [{"args": [3, 5], "result": 15}, {"args": [6, 8], "result": 24}, {"args": [7, 7], "result": 7}], """
import math
def lcm(self, a, b):
    return a * b // math.gcd(a, b)
""")
task("minutes_to_hours", "turn a number of minutes into hours and minutes written like 2:05", [125],
     [{"args": [59], "result": "0:59"}, {"args": [600], "result": "10:00"}, {"args": [61], "result": "1:01"}], """
def minutes_to_hours(self, minutes):
    return f"{minutes // 60}:{minutes % 60:02d}"
""")
task("rotate_left", "rotate a list to the left by k positions", [[1, 2, 3, 4, 5], 2],
     [{"args": [[1, 2, 3], 1], "result": [2, 3, 1]}, {"args": [[1, 2, 3], 0], "result": [1, 2, 3]}, {"args": [["a", "b"], 1], "result": ["b", "a"]}], """
def rotate_left(self, items, k):
    return items[k:] + items[:k]
""")
task("add_lists", "add two lists of numbers element by element", [[1, 2], [10, 20]],
     [{"args": [[0, 1, 2], [3, 4, 5]], "result": [3, 5, 7]}, {"args": [[], []], "result": []}], """
def add_lists(self, a, b):
    return [x + y for x, y in zip(a, b)]
""")
task("with_prefix", "return the words of a list that start with a given prefix, keeping their order", [["apple", "banana", "apricot"], "ap"],
     [{"args": [["cat", "dog"], "x"], "result": []}, {"args": [["tea", "team", "eat"], "tea"], "result": ["tea", "team"]}], """
def with_prefix(self, words, prefix):
    return [w for w in words if w.startswith(prefix)]
""")
task("sum_values", "add up all the values of a dict of numbers", [{"a": 1, "b": 2}],
     [{"args": [{}], "result": 0}, {"args": [{"x": 10, "y": -4}], "result": 6}], """
def sum_values(self, mapping):
    return sum(mapping.values())
""")
task("longest_key", "return the longest key of a dict (the first one if several are as long)", [{"ab": 1, "abcd": 2, "c": 3}],
     [{"args": [{"x": 1, "yy": 2}], "result": "yy"}, {"args": [{"aa": 1, "bb": 2}], "result": "aa"}], """
def longest_key(self, mapping):
    return max(mapping, key=len)
""")
task("month_name", "return the English name of the month of a date given as YYYY-MM-DD", ["2024-03-15"],
     [{"args": ["2023-12-01"], "result": "December"}, {"args": ["2020-01-31"], "result": "January"}], """
from datetime import date
def month_name(self, date_text):
    return date.fromisoformat(date_text).strftime("%B")
""")
task("is_weekend", "tell whether a date given as YYYY-MM-DD falls on a Saturday or a Sunday", ["2024-03-16"],
     [{"args": ["2024-03-15"], "result": False}, {"args": ["2024-03-17"], "result": True}, {"args": ["2024-03-18"], "result": False}], """
from datetime import date
def is_weekend(self, date_text):
    return date.fromisoformat(date_text).weekday() >= 5
""")
task("age_on", "how many whole years old is someone born on a date (YYYY-MM-DD) on another date (YYYY-MM-DD)", ["2000-05-20", "2024-05-19"],
     [{"args": ["2000-05-20", "2024-05-20"], "result": 24}, {"args": ["1990-01-01", "1990-12-31"], "result": 0}], """
from datetime import date
def age_on(self, born, on):
    birth, day = date.fromisoformat(born), date.fromisoformat(on)
    return day.year - birth.year - ((day.month, day.day) < (birth.month, birth.day))
""")
task("day_of_year", "return the day of the year (1 to 366) of a date given as YYYY-MM-DD", ["2024-03-01"],
     [{"args": ["2023-01-01"], "result": 1}, {"args": ["2023-12-31"], "result": 365}, {"args": ["2024-12-31"], "result": 366}], """
from datetime import date
def day_of_year(self, date_text):
    return date.fromisoformat(date_text).timetuple().tm_yday
""")

task("take_stock", "take n items out of the stock slot and return how many are left", [3],
     [{"given": {"stock": 5}, "args": [2], "result": 3, "slots": {"stock": 3}}, {"given": {"stock": 9}, "args": [9], "result": 0, "slots": {"stock": 0}}], """
def take_stock(self, n):
    self.stock -= n
    return self.stock
""", slots={"stock": 10})
task("push_history", "add a text to the end of the history slot (a list) and return the history", ["b"],
     [{"given": {"history": []}, "args": ["x"], "result": ["x"], "slots": {"history": ["x"]}},
      {"given": {"history": ["p", "q"]}, "args": ["r"], "result": ["p", "q", "r"], "slots": {"history": ["p", "q", "r"]}}], """
def push_history(self, text):
    self.history.append(text)
    return self.history
""", slots={"history": ["a"]})
task("cart_total", "return the total cost of the cart slot, a list of [price, quantity] pairs", [],
     [{"given": {"cart": [[4, 1], [3, 2]]}, "args": [], "result": 10}, {"given": {"cart": []}, "args": [], "result": 0}], """
def cart_total(self):
    return sum(p * q for p, q in self.cart)
""", slots={"cart": [[2.5, 2], [1.0, 3]]})
task("toggle_enabled", "switch the enabled slot between true and false and return its new value", [],
     [{"given": {"enabled": True}, "args": [], "result": False, "slots": {"enabled": False}},
      {"given": {"enabled": False}, "args": [], "result": True, "slots": {"enabled": True}}], """
def toggle_enabled(self):
    self.enabled = not self.enabled
    return self.enabled
""", slots={"enabled": False})
task("best_score", "return the highest number in the scores slot", [],
     [{"given": {"scores": [1, 2]}, "args": [], "result": 2}, {"given": {"scores": [-5, -2]}, "args": [], "result": -2}], """
def best_score(self):
    return max(self.scores)
""", slots={"scores": [3, 9, 4]})
task("set_title", "store a title in the title slot, without the spaces around it, and return it", ["  Hello "],
     [{"given": {"title": "x"}, "args": [" a b "], "result": "a b", "slots": {"title": "a b"}}], """
def set_title(self, title):
    self.title = title.strip()
    return self.title
""", slots={"title": ""})
task("times_seen", "return how many times a word appears in the words slot (a list)", ["to"],
     [{"given": {"words": ["a", "b", "a"]}, "args": ["a"], "result": 2}, {"given": {"words": []}, "args": ["z"], "result": 0}], """
def times_seen(self, word):
    return self.words.count(word)
""", slots={"words": ["to", "be", "or", "not", "to", "be"]})

write("learning_tasks_fresh.jsonl")

# --- unseen ---
task("count_spaces", "count the spaces in a text", ["a b  c"],
     [{"args": ["nospace"], "result": 0}, {"args": ["  "], "result": 2}], """
def count_spaces(self, text):
    return text.count(" ")
""")
task("last_word", "return the last word of a sentence", ["the end is near"],
     [{"args": ["hello"], "result": "hello"}, {"args": ["one two three"], "result": "three"}], """
def last_word(self, sentence):
    return sentence.split()[-1]
""")
task("is_uppercase_word", "tell whether every letter of a word is a capital letter", ["NASA"],
     [{"args": ["Nasa"], "result": False}, {"args": ["OK"], "result": True}, {"args": ["ok"], "result": False}], """
def is_uppercase_word(self, word):
    return word.isupper()
""")
task("swap_case", "swap the case of every letter in a text: upper becomes lower and lower becomes upper", ["Hello"],
     [{"args": ["aBc"], "result": "AbC"}, {"args": ["123 x"], "result": "123 X"}], """
def swap_case(self, text):
    return text.swapcase()
""")
task("middle_char", "return the middle character of a word with an odd number of letters", ["abcde"],
     [{"args": ["cat"], "result": "a"}, {"args": ["x"], "result": "x"}], """
def middle_char(self, word):
    return word[len(word) // 2]
""")
task("cube", "return the cube of a number", [3],
     [{"args": [-2], "result": -8}, {"args": [0], "result": 0}, {"args": [10], "result": 1000}], """
def cube(self, number):
    return number ** 3
""")
task("is_divisible", "tell whether the first number can be divided by the second with no remainder", [10, 5],
     [{"args": [10, 3], "result": False}, {"args": [0, 7], "result": True}, {"args": [21, 7], "result": True}], """
def is_divisible(self, number, divisor):
    return number % divisor == 0
""")
task("average_of_two", "return the mean of two numbers", [2, 4],
     [{"args": [1, 2], "result": 1.5}, {"args": [-4, 4], "result": 0}], """
def average_of_two(self, a, b):
    return (a + b) / 2
""")
task("count_negatives", "count how many numbers in a list are below zero", [[-1, 2, -3]],
     [{"args": [[]], "result": 0}, {"args": [[0, 5]], "result": 0}, {"args": [[-1, -1]], "result": 2}], """
def count_negatives(self, numbers):
    return sum(1 for x in numbers if x < 0)
""")
task("drop_duplicates", "remove repeated items from a list, keeping the first time each appears, in order", [[3, 1, 3, 2, 1]],
     [{"args": [["b", "a", "b"]], "result": ["b", "a"]}, {"args": [[]], "result": []}], """
def drop_duplicates(self, items):
    return list(dict.fromkeys(items))
""")
task("last_n", "return the last n items of a list", [[1, 2, 3, 4, 5], 2],
     [{"args": [[1, 2, 3], 1], "result": [3]}, {"args": [["a", "b"], 2], "result": ["a", "b"]}], """
def last_n(self, items, n):
    return items[-n:]
""")
task("index_of_max", "return the position of the largest number in a list (the first one if it appears more than once)", [[3, 8, 2]],
     [{"args": [[9, 1]], "result": 0}, {"args": [[1, 5, 5]], "result": 1}], """
def index_of_max(self, numbers):
    return numbers.index(max(numbers))
""")
task("key_of_max", "return the key of a dict that has the largest value", [{"a": 3, "b": 7}],
     [{"args": [{"x": 1, "y": 0}], "result": "x"}, {"args": [{"p": -5, "q": -2, "r": -9}], "result": "q"}], """
def key_of_max(self, mapping):
    return max(mapping, key=mapping.get)
""")
task("count_keys", "return how many keys a dict has", [{"a": 1, "b": 2}],
     [{"args": [{}], "result": 0}, {"args": [{"x": [1, 2, 3]}], "result": 1}], """
def count_keys(self, mapping):
    return len(mapping)
""")
task("year_of", "return the year of a date given as YYYY-MM-DD, as an int", ["2024-03-15"],
     [{"args": ["1999-12-31"], "result": 1999}, {"args": ["2000-01-01"], "result": 2000}], """
from datetime import date
def year_of(self, date_text):
    return date.fromisoformat(date_text).year
""")
task("next_day", "return the day after a date given as YYYY-MM-DD, in the same YYYY-MM-DD form", ["2024-03-15"],
     [{"args": ["2024-02-28"], "result": "2024-02-29"}, {"args": ["2023-12-31"], "result": "2024-01-01"}], """
from datetime import date, timedelta
def next_day(self, date_text):
    return (date.fromisoformat(date_text) + timedelta(days=1)).isoformat()
""")
task("deposit", "deposit an amount into the balance slot and return the new balance", [50],
     [{"given": {"balance": 10}, "args": [5], "result": 15, "slots": {"balance": 15}}, {"given": {"balance": 0}, "args": [0], "result": 0, "slots": {"balance": 0}}], """
def deposit(self, amount):
    self.balance += amount
    return self.balance
""", slots={"balance": 100})
task("tag_count", "return how many tags are in the tags slot", [],
     [{"given": {"tags": ["a", "b", "c"]}, "args": [], "result": 3}, {"given": {"tags": []}, "args": [], "result": 0}], """
def tag_count(self):
    return len(self.tags)
""", slots={"tags": ["red", "green"]})
task("reset_count", "set the count slot back to zero and return it", [],
     [{"given": {"count": 7}, "args": [], "result": 0, "slots": {"count": 0}}], """
def reset_count(self):
    self.count = 0
    return self.count
""", slots={"count": 4})
task("has_tag", "tell whether a tag is in the tags slot (a list)", ["red"],
     [{"given": {"tags": ["a", "b"]}, "args": ["b"], "result": True}, {"given": {"tags": ["a"]}, "args": ["z"], "result": False}], """
def has_tag(self, tag):
    return tag in self.tags
""", slots={"tags": ["red", "green"]})
write("learning_tasks_unseen.jsonl")

# --- holdout (written 2026-11-23, second session, before any run of it) ---
task("title_case", "capitalize the first letter of each word and lower-case the rest, e.g. 'hELLO wORLD' gives 'Hello World'",
     ["the QUICK fox"], [{"args": ["a b"], "result": "A B"}, {"args": ["ONE"], "result": "One"}], """
def title_case(self, text):
    return " ".join(w.capitalize() for w in text.split())
""")
task("strip_vowels", "remove every vowel (a, e, i, o, u, either case) from a text", ["Banana Split"],
     [{"args": ["AEIOUxyz"], "result": "xyz"}, {"args": [""], "result": ""}, {"args": ["Hello"], "result": "Hll"}], """
def strip_vowels(self, text):
    return "".join(c for c in text if c.lower() not in "aeiou")
""")
task("first_repeated_char", "return the first character that appears a second time in a text, reading from the left, or None if none does",
     ["abcbad"], [{"args": ["abca"], "result": "a"}, {"args": ["abc"], "result": None}, {"args": ["xyzzy"], "result": "z"}], """
def first_repeated_char(self, text):
    seen = set()
    for c in text:
        if c in seen:
            return c
        seen.add(c)
    return None
""")
task("shout", "return a text in upper case followed by an exclamation mark", ["hey"],
     [{"args": ["Hi there"], "result": "HI THERE!"}, {"args": [""], "result": "!"}], """
def shout(self, text):
    return text.upper() + "!"
""")
task("count_long_words", "count the words of a sentence that have more than 3 letters", ["the quick brown fox"],
     [{"args": ["a bb ccc dddd"], "result": 1}, {"args": [""], "result": 0}, {"args": ["hello world"], "result": 2}], """
def count_long_words(self, sentence):
    return sum(1 for w in sentence.split() if len(w) > 3)
""")
task("is_pangram", "tell whether a sentence uses every letter of the alphabet at least once, in either case",
     ["The quick brown fox jumps over the lazy dog"],
     [{"args": ["abc"], "result": False}, {"args": ["abcdefghijklmnopqrstuvwxyz"], "result": True},
      {"args": ["Pack my box with five dozen liquor jugs"], "result": True}], """
def is_pangram(self, sentence):
    return set("abcdefghijklmnopqrstuvwxyz") <= set(sentence.lower())
""")
task("digit_count", "count the digits of a non-negative integer", [9050],
     [{"args": [0], "result": 1}, {"args": [7], "result": 1}, {"args": [123456], "result": 6}], """
def digit_count(self, number):
    return len(str(number))
""")
task("is_perfect_square", "tell whether a non-negative integer is a perfect square", [49],
     [{"args": [0], "result": True}, {"args": [50], "result": False}, {"args": [1], "result": True}, {"args": [15], "result": False}], """
import math
def is_perfect_square(self, n):
    return math.isqrt(n) ** 2 == n
""")
task("round_to", "round a number to a given number of decimal places", [3.14159, 2],
     [{"args": [1.23456, 3], "result": 1.235}, {"args": [10.0, 0], "result": 10.0}, {"args": [7.891, 1], "result": 7.9}], """
def round_to(self, number, places):
    return round(number, places)
""")
task("km_to_miles", "convert kilometres to miles, rounded to 2 decimals (1 km is 0.621371 miles)", [10],
     [{"args": [0], "result": 0.0}, {"args": [42.195], "result": 26.22}, {"args": [100], "result": 62.14}], """
def km_to_miles(self, km):
    return round(km * 0.621371, 2)
""")
task("second_smallest", "return the second smallest number in a list of distinct numbers", [[4, 1, 7, 3]],
     [{"args": [[10, 20]], "result": 20}, {"args": [[5, 3, 9, 1]], "result": 3}], """
def second_smallest(self, numbers):
    return sorted(numbers)[1]
""")
task("pairwise_sums", "return the sums of each pair of neighbouring numbers in a list, e.g. [1, 2, 3] gives [3, 5]", [[1, 4, 2, 8]],
     [{"args": [[5]], "result": []}, {"args": [[0, 0, 1]], "result": [0, 1]}, {"args": [[-1, 1]], "result": [0]}], """
def pairwise_sums(self, numbers):
    return [a + b for a, b in zip(numbers, numbers[1:])]
""")
task("interleave", "take items from two lists in turn, starting with the first list; when one runs out, add the rest of the other",
     [[1, 3, 5], [2, 4]], [{"args": [[1], [2, 3, 4]], "result": [1, 2, 3, 4]}, {"args": [[], [7]], "result": [7]},
                           {"args": [["a", "c"], ["b", "d"]], "result": ["a", "b", "c", "d"]}], """
def interleave(self, first, second):
    return [x for pair in zip(first, second) for x in pair] + first[len(second):] + second[len(first):]
""")
task("count_occurrences", "count how many times a value appears in a list", [[1, 2, 1, 3, 1], 1],
     [{"args": [["a", "b"], "c"], "result": 0}, {"args": [[2, 2], 2], "result": 2}], """
def count_occurrences(self, items, value):
    return items.count(value)
""")
task("filter_above", "return a dict with only the entries of a dict whose value is greater than a limit", [{"a": 1, "b": 5, "c": 3}, 2],
     [{"args": [{"x": 10}, 10], "result": {}}, {"args": [{"p": 3, "q": 4}, 0], "result": {"p": 3, "q": 4}}], """
def filter_above(self, mapping, limit):
    return {k: v for k, v in mapping.items() if v > limit}
""")
task("get_or_zero", "return the value stored under a key in a dict, or 0 when the key is missing", [{"a": 3}, "a"],
     [{"args": [{"a": 3}, "b"], "result": 0}, {"args": [{}, "x"], "result": 0}, {"args": [{"k": 9}, "k"], "result": 9}], """
def get_or_zero(self, mapping, key):
    return mapping.get(key, 0)
""")
task("weeks_between", "count the whole weeks between two dates given as YYYY-MM-DD", ["2024-01-01", "2024-01-22"],
     [{"args": ["2024-01-01", "2024-01-07"], "result": 0}, {"args": ["2024-03-01", "2024-03-15"], "result": 2},
      {"args": ["2024-01-01", "2024-12-31"], "result": 52}], """
from datetime import date
def weeks_between(self, start, end):
    return abs((date.fromisoformat(end) - date.fromisoformat(start)).days) // 7
""")
task("quarter_of", "return the quarter of the year (1 to 4) in which a date given as YYYY-MM-DD falls", ["2024-05-10"],
     [{"args": ["2024-01-31"], "result": 1}, {"args": ["2024-12-01"], "result": 4}, {"args": ["2024-07-01"], "result": 3}], """
from datetime import date
def quarter_of(self, date_text):
    return (date.fromisoformat(date_text).month - 1) // 3 + 1
""")
task("days_in_month", "return how many days the month of a date given as YYYY-MM-DD has", ["2024-02-10"],
     [{"args": ["2023-02-10"], "result": 28}, {"args": ["2024-04-30"], "result": 30}, {"args": ["2024-12-25"], "result": 31}], """
from datetime import date, timedelta
def days_in_month(self, date_text):
    return ((date.fromisoformat(date_text).replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)).day
""")
task("iso_to_us", "turn a date given as YYYY-MM-DD into the US form MM/DD/YYYY", ["2024-03-15"],
     [{"args": ["1999-12-31"], "result": "12/31/1999"}, {"args": ["2024-01-05"], "result": "01/05/2024"}], """
from datetime import date
def iso_to_us(self, date_text):
    return date.fromisoformat(date_text).strftime("%m/%d/%Y")
""")
task("add_points", "add n points to the points slot and return the new total", [5],
     [{"given": {"points": 0}, "args": [3], "result": 3, "slots": {"points": 3}}, {"given": {"points": 7}, "args": [0], "result": 7, "slots": {"points": 7}}], """
def add_points(self, points):
    self.points += points
    return self.points
""", slots={"points": 10})
task("remove_tag", "remove a tag from the tags slot (a list) if it is there, and return whether it was", ["red"],
     [{"given": {"tags": ["a", "b"]}, "args": ["a"], "result": True, "slots": {"tags": ["b"]}},
      {"given": {"tags": ["a"]}, "args": ["z"], "result": False, "slots": {"tags": ["a"]}}], """
def remove_tag(self, tag):
    if tag in self.tags:
        self.tags.remove(tag)
        return True
    return False
""", slots={"tags": ["red", "blue"]})
task("average_temp", "return the average of the numbers in the temps slot, rounded to 1 decimal", [],
     [{"given": {"temps": [1, 2]}, "args": [], "result": 1.5}, {"given": {"temps": [10]}, "args": [], "result": 10.0},
      {"given": {"temps": [1, 1, 2]}, "args": [], "result": 1.3}], """
def average_temp(self):
    return round(sum(self.temps) / len(self.temps), 1)
""", slots={"temps": [20, 22, 25]})
task("log_event", "append a text to the log slot (a list) and return how many entries it holds now", ["start"],
     [{"given": {"log": ["a"]}, "args": ["b"], "result": 2, "slots": {"log": ["a", "b"]}}, {"given": {"log": []}, "args": ["x"], "result": 1, "slots": {"log": ["x"]}}], """
def log_event(self, text):
    self.log.append(text)
    return len(self.log)
""", slots={"log": []})
task("pop_last", "remove the last item of the queue slot (a list) and return it", [],
     [{"given": {"queue": [4, 5]}, "args": [], "result": 5, "slots": {"queue": [4]}}, {"given": {"queue": ["x"]}, "args": [], "result": "x", "slots": {"queue": []}}], """
def pop_last(self):
    return self.queue.pop()
""", slots={"queue": [1, 2, 3]})
task("double_level", "double the level slot and return the new level", [],
     [{"given": {"level": 5}, "args": [], "result": 10, "slots": {"level": 10}}, {"given": {"level": 0}, "args": [], "result": 0, "slots": {"level": 0}}], """
def double_level(self):
    self.level *= 2
    return self.level
""", slots={"level": 3})
write("learning_tasks_holdout.jsonl")

# --- novel (written 2026-11-24, before any run of it) ---
task("count_digits_in_text", "count the digits (0 to 9) in a text", ["a1b22"],
     [{"args": ["none"], "result": 0}, {"args": ["2024-01-01"], "result": 8}], """
def count_digits_in_text(self, text):
    return sum(c.isdigit() for c in text)
""")
task("capitalize_first", "return a text with its first letter in upper case and the rest left as it is", ["hello World"],
     [{"args": ["abc"], "result": "Abc"}, {"args": [""], "result": ""}, {"args": ["mcDonald"], "result": "McDonald"}], """
def capitalize_first(self, text):
    return text[:1].upper() + text[1:]
""")
task("words_longer_than", "return the words of a sentence that are longer than n letters, in order", ["the quick brown fox", 3],
     [{"args": ["a bb ccc", 1], "result": ["bb", "ccc"]}, {"args": ["hi", 5], "result": []}], """
def words_longer_than(self, sentence, n):
    return [w for w in sentence.split() if len(w) > n]
""")
task("replace_spaces", "replace every space in a text with an underscore", ["a b c"],
     [{"args": ["nospace"], "result": "nospace"}, {"args": ["  "], "result": "__"}], """
def replace_spaces(self, text):
    return text.replace(" ", "_")
""")
task("is_numeric_text", "tell whether a text is made only of digits and is not empty", ["12345"],
     [{"args": ["12a"], "result": False}, {"args": [""], "result": False}, {"args": ["007"], "result": True}], """
def is_numeric_text(self, text):
    return text.isdigit()
""")
task("sum_of_evens", "add up the even numbers in a list", [[1, 2, 3, 4]],
     [{"args": [[]], "result": 0}, {"args": [[-2, 3, 5]], "result": -2}, {"args": [[1, 3]], "result": 0}], """
def sum_of_evens(self, numbers):
    return sum(x for x in numbers if x % 2 == 0)
""")
task("abs_difference", "return the absolute difference of two numbers", [3, 10],
     [{"args": [10, 3], "result": 7}, {"args": [-2, 2], "result": 4}], """
def abs_difference(self, a, b):
    return abs(a - b)
""")
task("hours_to_minutes", "convert a number of hours to minutes", [2],
     [{"args": [0.5], "result": 30.0}, {"args": [1.5], "result": 90.0}], """
def hours_to_minutes(self, hours):
    return hours * 60
""")
task("mode_of", "return the value that appears most often in a list of numbers (the first such value if there is a tie)", [[1, 2, 2, 3]],
     [{"args": [[4, 4, 5, 5]], "result": 4}, {"args": [[7]], "result": 7}, {"args": [[3, 1, 1]], "result": 1}], """
def mode_of(self, numbers):
    return max(numbers, key=lambda x: (numbers.count(x), -numbers.index(x)))
""")
task("list_difference", "return the items of the first list that are not in the second list, in order", [[1, 2, 3, 4], [2, 4]],
     [{"args": [["a", "b"], []], "result": ["a", "b"]}, {"args": [[1, 1, 2], [1]], "result": [2]}], """
def list_difference(self, first, second):
    return [x for x in first if x not in second]
""")
task("zip_to_dict", "make a dict from a list of keys and a list of values of the same length", [["a", "b"], [1, 2]],
     [{"args": [[], []], "result": {}}, {"args": [["x"], [[1]]], "result": {"x": [1]}}], """
def zip_to_dict(self, keys, values):
    return dict(zip(keys, values))
""")
task("count_true", "count how many values in a list are True", [[True, False, True]],
     [{"args": [[]], "result": 0}, {"args": [[False]], "result": 0}], """
def count_true(self, values):
    return sum(1 for x in values if x is True)
""")
task("sort_by_length", "sort a list of words from shortest to longest, keeping the original order of words of the same length", [["ccc", "a", "bb"]],
     [{"args": [["bb", "aa", "c"]], "result": ["c", "bb", "aa"]}, {"args": [[]], "result": []}], """
def sort_by_length(self, words):
    return sorted(words, key=len)
""")
task("filter_keys", "return the part of a dict whose keys are in a given list", [{"a": 1, "b": 2, "c": 3}, ["a", "c"]],
     [{"args": [{"a": 1}, ["z"]], "result": {}}, {"args": [{"x": 0, "y": 1}, ["y", "x"]], "result": {"x": 0, "y": 1}}], """
def filter_keys(self, mapping, keys):
    return {k: v for k, v in mapping.items() if k in keys}
""")
task("values_sorted_by_key", "return the values of a dict ordered by their keys", [{"b": 2, "a": 1, "c": 3}],
     [{"args": [{}], "result": []}, {"args": [{"z": "last", "m": "mid"}], "result": ["mid", "last"]}], """
def values_sorted_by_key(self, mapping):
    return [mapping[k] for k in sorted(mapping)]
""")
task("is_last_day_of_month", "tell whether a date given as YYYY-MM-DD is the last day of its month", ["2024-02-29"],
     [{"args": ["2023-02-28"], "result": True}, {"args": ["2024-02-28"], "result": False}, {"args": ["2024-04-30"], "result": True},
      {"args": ["2024-05-30"], "result": False}], """
from datetime import date, timedelta
def is_last_day_of_month(self, date_text):
    return (date.fromisoformat(date_text) + timedelta(days=1)).day == 1
""")
task("to_iso_date", "turn three numbers, a year, a month and a day, into a date text YYYY-MM-DD", [2024, 3, 5],
     [{"args": [1999, 12, 31], "result": "1999-12-31"}, {"args": [2000, 1, 1], "result": "2000-01-01"}], """
from datetime import date
def to_iso_date(self, year, month, day):
    return date(year, month, day).isoformat()
""")
task("seconds_to_clock", "turn a number of seconds into a text H:MM:SS", [3725],
     [{"args": [59], "result": "0:00:59"}, {"args": [36000], "result": "10:00:00"}], """
def seconds_to_clock(self, seconds):
    return f"{seconds // 3600}:{seconds % 3600 // 60:02d}:{seconds % 60:02d}"
""")
task("count_words_starting_with", "count the words of a sentence that start with a given letter, in either case", ["Apples and avocados are tasty", "a"],
     [{"args": ["Big blue ball", "B"], "result": 3}, {"args": ["none here", "z"], "result": 0}], """
def count_words_starting_with(self, sentence, letter):
    return sum(1 for w in sentence.split() if w[:1].lower() == letter.lower())
""")
task("only_letters", "keep only the letters of a text, dropping digits, spaces and punctuation", ["a1 b2-c!"],
     [{"args": ["123"], "result": ""}, {"args": ["Hi There"], "result": "HiThere"}], """
def only_letters(self, text):
    return "".join(c for c in text if c.isalpha())
""")
task("is_subset", "tell whether every item of the first list is also in the second list", [[1, 2], [1, 2, 3]],
     [{"args": [[4], [1, 2]], "result": False}, {"args": [[], [1]], "result": True}], """
def is_subset(self, first, second):
    return all(x in second for x in first)
""")
task("floor_to_multiple", "round a number down to the nearest multiple of m", [17, 5],
     [{"args": [20, 5], "result": 20}, {"args": [4, 10], "result": 0}], """
def floor_to_multiple(self, number, m):
    return number // m * m
""")
task("count_sentences", "count the sentences in a text, each ending with '.', '!' or '?'", ["Hi. How are you? Fine!"],
     [{"args": ["No end"], "result": 0}, {"args": ["One. Two."], "result": 2}], """
def count_sentences(self, text):
    return sum(text.count(c) for c in ".!?")
""")
task("distance", "return the distance between two points given as [x, y] lists", [[0, 0], [3, 4]],
     [{"args": [[1, 1], [1, 1]], "result": 0.0}, {"args": [[-1, 0], [2, 4]], "result": 5.0}], """
import math
def distance(self, p, q):
    return math.dist(p, q)
""")
task("withdraw", "withdraw an amount from the balance slot if the balance is enough and return the new balance; otherwise leave the balance as it is and return it", [30],
     [{"given": {"balance": 10}, "args": [20], "result": 10, "slots": {"balance": 10}}, {"given": {"balance": 50}, "args": [50], "result": 0, "slots": {"balance": 0}}], """
def withdraw(self, amount):
    if self.balance >= amount:
        self.balance -= amount
    return self.balance
""", slots={"balance": 100})
task("count_readings_over", "count how many numbers in the readings slot (a list) are above a given limit", [10],
     [{"given": {"readings": []}, "args": [10], "result": 0}, {"given": {"readings": [11, 11, 3]}, "args": [10], "result": 2}], """
def count_readings_over(self, limit):
    return sum(1 for x in self.readings if x > limit)
""", slots={"readings": [5, 12, 20]})
task("set_score", "set the points of a player in the scores slot (a dict from names to points) and return how many players it holds", ["ann", 5],
     [{"given": {"scores": {}}, "args": ["x", 1], "result": 1, "slots": {"scores": {"x": 1}}},
      {"given": {"scores": {"x": 1}}, "args": ["x", 9], "result": 1, "slots": {"scores": {"x": 9}}}], """
def set_score(self, name, points):
    self.scores[name] = points
    return len(self.scores)
""", slots={"scores": {"bob": 3}})
task("last_entry", "return the most recent entry of the history slot (a list, newest last), or None when it is empty", [],
     [{"given": {"history": []}, "args": [], "result": None}, {"given": {"history": ["x"]}, "args": [], "result": "x"}], """
def last_entry(self):
    return self.history[-1] if self.history else None
""", slots={"history": ["a", "b"]})
task("halve_budget", "halve the budget slot (a number) and return the new budget", [],
     [{"given": {"budget": 7}, "args": [], "result": 3.5, "slots": {"budget": 3.5}}, {"given": {"budget": 0}, "args": [], "result": 0, "slots": {"budget": 0}}], """
def halve_budget(self):
    self.budget = self.budget / 2
    return self.budget
""", slots={"budget": 10})
task("total_length", "return the total number of characters of all the words in the words slot (a list of texts)", [],
     [{"given": {"words": []}, "args": [], "result": 0}, {"given": {"words": ["x", "yz"]}, "args": [], "result": 3}], """
def total_length(self):
    return sum(len(w) for w in self.words)
""", slots={"words": ["ab", "cde"]})
write("learning_tasks_novel.jsonl")

# --- novel2 (written 2026-11-24, after novel's run, before any rule drawn from it, before any run of it) ---
task("count_lines", "count the lines of a text, the pieces between newline characters", ["a\nb\nc"],
     [{"args": ["one"], "result": 1}, {"args": ["x\ny"], "result": 2}], r"""
def count_lines(self, text):
    return len(text.split("\n"))
""")
task("first_word_upper", "return the first word of a sentence in upper case", ["hello big world"],
     [{"args": ["a b"], "result": "A"}, {"args": ["Solo"], "result": "SOLO"}], """
def first_word_upper(self, sentence):
    return sentence.split()[0].upper()
""")
task("is_capitalized", "tell whether a word starts with an upper-case letter", ["Hello"],
     [{"args": ["hello"], "result": False}, {"args": ["HELLO"], "result": True}, {"args": ["1abc"], "result": False}], """
def is_capitalized(self, word):
    return word[:1].isupper()
""")
task("longest_run", "return the length of the longest run of one character repeated in a row in a text", ["aabbbc"],
     [{"args": ["abc"], "result": 1}, {"args": ["zzzz"], "result": 4}, {"args": ["abba"], "result": 2}], """
def longest_run(self, text):
    best = run = 0
    for i, c in enumerate(text):
        run = run + 1 if i and text[i - 1] == c else 1
        best = max(best, run)
    return best
""")
task("mask_digits", "replace every digit of a text with '#'", ["a1b22"],
     [{"args": ["none"], "result": "none"}, {"args": ["2024"], "result": "####"}], """
def mask_digits(self, text):
    return "".join("#" if c.isdigit() else c for c in text)
""")
task("join_with_commas", "join a list of words into one text, separated by a comma and a space", [["a", "b", "c"]],
     [{"args": [["x"]], "result": "x"}, {"args": [[]], "result": ""}], """
def join_with_commas(self, words):
    return ", ".join(words)
""")
task("count_unique_chars", "count the different characters in a text", ["hello"],
     [{"args": ["aaa"], "result": 1}, {"args": [""], "result": 0}, {"args": ["abc"], "result": 3}], """
def count_unique_chars(self, text):
    return len(set(text))
""")
task("ends_with_question", "tell whether a sentence ends with a question mark", ["How are you?"],
     [{"args": ["Fine."], "result": False}, {"args": ["Why? No"], "result": False}], """
def ends_with_question(self, sentence):
    return sentence.endswith("?")
""")
task("is_even", "tell whether an integer is even", [4],
     [{"args": [7], "result": False}, {"args": [0], "result": True}, {"args": [-2], "result": True}], """
def is_even(self, n):
    return n % 2 == 0
""")
task("percent_change", "return the percentage change from an old value to a new value", [50, 75],
     [{"args": [100, 80], "result": -20.0}, {"args": [10, 10], "result": 0.0}], """
def percent_change(self, old, new):
    return (new - old) / old * 100
""")
task("triangle_area", "return the area of a triangle from its base and its height", [4, 3],
     [{"args": [10, 5], "result": 25.0}, {"args": [1, 1], "result": 0.5}], """
def triangle_area(self, base, height):
    return base * height / 2
""")
task("nearest_ten", "round a non-negative integer to the nearest multiple of ten, halves going up", [14],
     [{"args": [15], "result": 20}, {"args": [99], "result": 100}, {"args": [0], "result": 0}], """
def nearest_ten(self, n):
    return (n + 5) // 10 * 10
""")
task("count_multiples", "count the numbers from 1 to n that are multiples of k", [10, 3],
     [{"args": [5, 5], "result": 1}, {"args": [4, 7], "result": 0}], """
def count_multiples(self, n, k):
    return n // k
""")
task("between", "tell whether a number lies between two bounds, the bounds included", [5, 1, 10],
     [{"args": [10, 1, 10], "result": True}, {"args": [0, 1, 10], "result": False}, {"args": [11, 1, 10], "result": False}], """
def between(self, number, low, high):
    return low <= number <= high
""")
task("last_index_of", "return the position of the last time a value appears in a list, or -1 if it is not there", [[1, 2, 1, 3], 1],
     [{"args": [[1, 2], 5], "result": -1}, {"args": [["a"], "a"], "result": 0}], """
def last_index_of(self, items, value):
    return max((i for i, x in enumerate(items) if x == value), default=-1)
""")
task("pairwise_differences", "return the differences between each number of a list and the one before it", [[1, 4, 9]],
     [{"args": [[5]], "result": []}, {"args": [[3, 1]], "result": [-2]}], """
def pairwise_differences(self, numbers):
    return [b - a for a, b in zip(numbers, numbers[1:])]
""")
task("every_other", "return every other item of a list, starting with the first", [[1, 2, 3, 4, 5]],
     [{"args": [[]], "result": []}, {"args": [["a", "b"]], "result": ["a"]}], """
def every_other(self, items):
    return items[::2]
""")
task("count_above_average", "count the numbers in a list that are greater than the list's average", [[1, 2, 3, 10]],
     [{"args": [[5, 5]], "result": 0}, {"args": [[1, 2, 3, 4]], "result": 2}], """
def count_above_average(self, numbers):
    return sum(1 for x in numbers if x > sum(numbers) / len(numbers))
""")
task("split_even_odd", "split a list of integers into a list of the even ones and a list of the odd ones, in that order, each keeping its order",
     [[1, 2, 3, 4]], [{"args": [[]], "result": [[], []]}, {"args": [[7]], "result": [[], [7]]}], """
def split_even_odd(self, numbers):
    return [[x for x in numbers if x % 2 == 0], [x for x in numbers if x % 2]]
""")
task("remove_value", "return a list without any item equal to a given value", [[1, 2, 1, 3], 1],
     [{"args": [["a"], "b"], "result": ["a"]}, {"args": [[], 0], "result": []}], """
def remove_value(self, items, value):
    return [x for x in items if x != value]
""")
task("count_by_first_letter", "map each first letter to how many words of a list start with it", [["apple", "avocado", "banana"]],
     [{"args": [[]], "result": {}}, {"args": [["x"]], "result": {"x": 1}}], """
def count_by_first_letter(self, words):
    out = {}
    for w in words:
        out[w[0]] = out.get(w[0], 0) + 1
    return out
""")
task("rename_key", "return a copy of a dict with one key renamed to a new name", [{"a": 1, "b": 2}, "a", "z"],
     [{"args": [{"x": 0}, "x", "y"], "result": {"y": 0}}, {"args": [{"p": 1, "q": 2}, "q", "r"], "result": {"p": 1, "r": 2}}], """
def rename_key(self, mapping, old, new):
    return {(new if k == old else k): v for k, v in mapping.items()}
""")
task("min_value_key", "return the key of a dict that has the smallest value", [{"a": 3, "b": 1}],
     [{"args": [{"x": 0}], "result": "x"}, {"args": [{"p": -1, "q": -5}], "result": "q"}], """
def min_value_key(self, mapping):
    return min(mapping, key=mapping.get)
""")
task("days_in_year", "return how many days a year has (365 or 366)", [2024],
     [{"args": [2023], "result": 365}, {"args": [1900], "result": 365}, {"args": [2000], "result": 366}], """
def days_in_year(self, year):
    return 366 if year % 4 == 0 and (year % 100 or year % 400 == 0) else 365
""")
task("month_of", "return the month number (1 to 12) of a date given as YYYY-MM-DD", ["2024-03-15"],
     [{"args": ["1999-12-31"], "result": 12}, {"args": ["2000-01-01"], "result": 1}], """
from datetime import date
def month_of(self, date_text):
    return date.fromisoformat(date_text).month
""")
task("date_after_weeks", "return the date n weeks after a date given as YYYY-MM-DD, in the same form", ["2024-01-01", 2],
     [{"args": ["2024-02-20", 2], "result": "2024-03-05"}, {"args": ["2023-12-25", 1], "result": "2024-01-01"}], """
from datetime import date, timedelta
def date_after_weeks(self, date_text, weeks):
    return (date.fromisoformat(date_text) + timedelta(weeks=weeks)).isoformat()
""")
task("add_visit", "add one to the visits slot and return the new count", [],
     [{"given": {"visits": 0}, "args": [], "result": 1, "slots": {"visits": 1}}], """
def add_visit(self):
    self.visits += 1
    return self.visits
""", slots={"visits": 3})
task("remove_first", "remove the first item of the queue slot (a list) and return it", [],
     [{"given": {"queue": ["a", "b"]}, "args": [], "result": "a", "slots": {"queue": ["b"]}}], """
def remove_first(self):
    return self.queue.pop(0)
""", slots={"queue": [1, 2, 3]})
task("total_price", "add up the prices of the items in the cart slot, a list of [name, price] pairs", [],
     [{"given": {"cart": []}, "args": [], "result": 0}, {"given": {"cart": [["x", 1]]}, "args": [], "result": 1}], """
def total_price(self):
    return sum(price for _, price in self.cart)
""", slots={"cart": [["tea", 2.5], ["cake", 3]]})
task("append_unique", "add a word to the words slot (a list) only if it is not there already, and return how many words it holds", ["tea"],
     [{"given": {"words": ["a"]}, "args": ["a"], "result": 1, "slots": {"words": ["a"]}},
      {"given": {"words": []}, "args": ["b"], "result": 1, "slots": {"words": ["b"]}}], """
def append_unique(self, word):
    if word not in self.words:
        self.words.append(word)
    return len(self.words)
""", slots={"words": ["cake"]})
write("learning_tasks_novel2.jsonl")

# --- novel3 (written 2026-11-24 by a helper, before any run of it; no rule drawn from it) ---
task("camel_to_snake", "convert a camelCase name that starts with a lower-case letter to snake_case, e.g. 'parseHttpRequest' gives 'parse_http_request'",
     ["helloWorld"], [{"args": ["toJson"], "result": "to_json"}, {"args": ["name"], "result": "name"}, {"args": ["aBC"], "result": "a_b_c"}], """
def camel_to_snake(self, name):
    return "".join("_" + c.lower() if c.isupper() else c for c in name)
""")
task("collapse_spaces", "replace each run of several spaces in a text with a single space and remove the spaces at both ends", ["  a   b  c "],
     [{"args": ["one  two"], "result": "one two"}, {"args": ["   "], "result": ""}, {"args": ["x"], "result": "x"}], """
def collapse_spaces(self, text):
    return " ".join(w for w in text.split(" ") if w)
""")
task("mask_card_number", "replace every character of a text except the last 4 with '*'; a text of 4 characters or fewer stays as it is", ["1234567812345678"],
     [{"args": ["12345"], "result": "*2345"}, {"args": ["123"], "result": "123"}, {"args": ["abcd1234"], "result": "****1234"}], """
def mask_card_number(self, text):
    return "*" * max(len(text) - 4, 0) + text[-4:]
""")
task("word_occurrences", "count how many times a given word appears in a sentence as a whole word, ignoring case, where words are separated by spaces",
     ["the cat and the hat", "the"],
     [{"args": ["The dog saw THE cat", "the"], "result": 2}, {"args": ["there then", "the"], "result": 0}, {"args": ["", "a"], "result": 0}], """
def word_occurrences(self, sentence, word):
    return sum(1 for x in sentence.split() if x.lower() == word.lower())
""")
task("common_prefix", "return the longest beginning that all the words of a list share, or '' when they share none or the list is empty",
     [["flower", "flow", "flight"]],
     [{"args": [["dog", "car"]], "result": ""}, {"args": [["same"]], "result": "same"}, {"args": [[]], "result": ""}], """
def common_prefix(self, words):
    if not words:
        return ""
    prefix = words[0]
    for w in words[1:]:
        while not w.startswith(prefix):
            prefix = prefix[:-1]
    return prefix
""")
task("caesar_shift", "shift each lower-case letter a to z of a text forward by n places in the alphabet, wrapping around after z, and leave every other character unchanged",
     ["abc", 1], [{"args": ["xyz", 3], "result": "abc"}, {"args": ["Hi there!", 13], "result": "Hv gurer!"}, {"args": ["b", 0], "result": "b"}], """
def caesar_shift(self, text, n):
    return "".join(chr((ord(c) - 97 + n) % 26 + 97) if "a" <= c <= "z" else c for c in text)
""")
task("nth_word", "return the n-th word of a sentence, counting from 1, or '' when the sentence has fewer than n words", ["the quick brown fox", 2],
     [{"args": ["one", 3], "result": ""}, {"args": ["a b c", 3], "result": "c"}, {"args": ["hello world", 1], "result": "hello"}], """
def nth_word(self, sentence, n):
    return sentence.split()[n - 1] if n <= len(sentence.split()) else ""
""")
task("squeeze_repeats", "replace each run of the same character repeated in a row with a single copy of it, upper and lower case counting as different characters",
     ["aabccc"], [{"args": ["abba"], "result": "aba"}, {"args": [""], "result": ""}, {"args": ["Aaa  b"], "result": "Aa b"}], """
def squeeze_repeats(self, text):
    return "".join(c for i, c in enumerate(text) if i == 0 or text[i - 1] != c)
""")
task("proper_divisor_sum", "add up the divisors of a positive integer that are smaller than the integer itself", [12],
     [{"args": [1], "result": 0}, {"args": [7], "result": 1}, {"args": [28], "result": 28}], """
def proper_divisor_sum(self, n):
    return sum(d for d in range(1, n) if n % d == 0)
""")
task("round_half_away", "round a number to the nearest whole number, halves going away from zero, and return it as an int", [2.5],
     [{"args": [-2.5], "result": -3}, {"args": [2.4], "result": 2}], """
import math
def round_half_away(self, number):
    return math.floor(abs(number) + 0.5) * (1 if number >= 0 else -1)
""")
task("collatz_steps", "count the steps it takes to bring a positive integer down to 1 by halving it when it is even and tripling it and adding 1 when it is odd",
     [6], [{"args": [1], "result": 0}, {"args": [7], "result": 16}, {"args": [8], "result": 3}], """
def collatz_steps(self, n):
    steps = 0
    while n != 1:
        n = n // 2 if n % 2 == 0 else 3 * n + 1
        steps += 1
    return steps
""")
task("to_binary", "write a non-negative integer in base 2 as a text of 0s and 1s, without any prefix", [5],
     [{"args": [0], "result": "0"}, {"args": [8], "result": "1000"}, {"args": [255], "result": "11111111"}], """
def to_binary(self, n):
    return f"{n:b}"
""")
task("apply_discount", "return a price after taking off a discount given in percent, rounded to 2 decimals", [80, 25],
     [{"args": [19.99, 10], "result": 17.99}, {"args": [5, 0], "result": 5.0}, {"args": [40, 100], "result": 0.0}], """
def apply_discount(self, price, percent):
    return round(price * (100 - percent) / 100, 2)
""")
task("move_zeros_to_end", "move every 0 of a list of numbers to the end, keeping the other numbers in their order", [[4, 0, 5]],
     [{"args": [[0, 1, 0, 3, 12]], "result": [1, 3, 12, 0, 0]}, {"args": [[]], "result": []}, {"args": [[0, 0]], "result": [0, 0]}], """
def move_zeros_to_end(self, numbers):
    return [x for x in numbers if x != 0] + [x for x in numbers if x == 0]
""")
task("top_n_largest", "return the n largest numbers of a list, largest first, or the whole list sorted that way when it has fewer than n numbers",
     [[5, 1, 9, 3], 2], [{"args": [[1, 1, 2], 2], "result": [2, 1]}, {"args": [[4], 3], "result": [4]}, {"args": [[-1, -7, 0], 1], "result": [0]}], """
def top_n_largest(self, numbers, n):
    return sorted(numbers, reverse=True)[:n]
""")
task("running_max", "return a list whose item at each position is the largest number of the given list up to and including that position",
     [[1, 3, 2, 5]], [{"args": [[]], "result": []}, {"args": [[-1, -5]], "result": [-1, -1]}, {"args": [[2, 2, 9, 4]], "result": [2, 2, 9, 9]}], """
def running_max(self, numbers):
    return [max(numbers[:i + 1]) for i in range(len(numbers))]
""")
task("has_pair_with_sum", "tell whether two numbers at different positions of a list add up to a given target", [[1, 4, 6], 10],
     [{"args": [[5], 10], "result": False}, {"args": [[5, 5], 10], "result": True}, {"args": [[5, 1, 3], 10], "result": False}], """
def has_pair_with_sum(self, numbers, target):
    return any(numbers[i] + numbers[j] == target for i in range(len(numbers)) for j in range(i + 1, len(numbers)))
""")
task("sort_keys_by_value", "return the keys of a dict ordered by their values from largest to smallest, keys with equal values in alphabetical order",
     [{"a": 1, "b": 3, "c": 2}], [{"args": [{"y": 1, "x": 1}], "result": ["x", "y"]}, {"args": [{}], "result": []},
                                  {"args": [{"p": 0, "q": 5, "r": 0}], "result": ["q", "p", "r"]}], """
def sort_keys_by_value(self, mapping):
    return sorted(mapping, key=lambda k: (-mapping[k], k))
""")
task("count_values", "count how many keys of a dict hold each value, as a dict from each value to its count", [{"a": "x", "b": "y", "c": "x"}],
     [{"args": [{}], "result": {}}, {"args": [{"k": "v"}], "result": {"v": 1}}, {"args": [{"p": "a", "q": "a"}], "result": {"a": 2}}], """
def count_values(self, mapping):
    out = {}
    for v in mapping.values():
        out[v] = out.get(v, 0) + 1
    return out
""")
task("months_between", "count the whole months from a first date to a second, later date, both given as YYYY-MM-DD, a month counting only once its day of the month is reached again",
     ["2024-01-10", "2024-05-20"],
     [{"args": ["2024-01-15", "2024-03-14"], "result": 1}, {"args": ["2024-01-15", "2024-03-15"], "result": 2},
      {"args": ["2023-12-31", "2024-01-01"], "result": 0}], """
from datetime import date
def months_between(self, start, end):
    start, end = date.fromisoformat(start), date.fromisoformat(end)
    return (end.year - start.year) * 12 + end.month - start.month - (end.day < start.day)
""")
task("next_monday", "return the date of the first Monday strictly after a date given as YYYY-MM-DD, in the same form", ["2024-03-15"],
     [{"args": ["2024-03-18"], "result": "2024-03-25"}, {"args": ["2024-12-31"], "result": "2025-01-06"}, {"args": ["2024-03-17"], "result": "2024-03-18"}], """
from datetime import date, timedelta
def next_monday(self, date_text):
    day = date.fromisoformat(date_text)
    return (day + timedelta(days=7 - day.weekday())).isoformat()
""")
task("add_minutes_to_time", "add a number of minutes to a time of day given as HH:MM on a 24-hour clock and return the new time in the same form, wrapping past midnight",
     ["09:00", 90], [{"args": ["10:30", 45], "result": "11:15"}, {"args": ["23:50", 20], "result": "00:10"}, {"args": ["08:05", 0], "result": "08:05"}], """
from datetime import datetime, timedelta
def add_minutes_to_time(self, clock, minutes):
    return (datetime.strptime(clock, "%H:%M") + timedelta(minutes=minutes)).strftime("%H:%M")
""")
task("remember_recent", "add an item to the end of the recent slot (a list), drop the oldest items from the front so that at most 3 remain, and return the list", ["c"],
     [{"given": {"recent": ["a", "b", "c"]}, "args": ["d"], "result": ["b", "c", "d"], "slots": {"recent": ["b", "c", "d"]}},
      {"given": {"recent": []}, "args": ["x"], "result": ["x"], "slots": {"recent": ["x"]}}], """
def remember_recent(self, item):
    self.recent.append(item)
    self.recent = self.recent[-3:]
    return self.recent
""", slots={"recent": ["a", "b"]})
task("apply_interest", "add interest to the balance slot at the percent rate held in the rate slot, round the new balance to 2 decimals, store it and return it", [],
     [{"given": {"balance": 100, "rate": 5}, "args": [], "result": 105.0, "slots": {"balance": 105.0, "rate": 5}},
      {"given": {"balance": 19.99, "rate": 1.5}, "args": [], "result": 20.29, "slots": {"balance": 20.29}},
      {"given": {"balance": 0, "rate": 3}, "args": [], "result": 0.0, "slots": {"balance": 0.0}}], """
def apply_interest(self):
    self.balance = round(self.balance * (100 + self.rate) / 100, 2)
    return self.balance
""", slots={"balance": 200, "rate": 2})
task("add_to_inventory", "add a quantity of an item to the inventory slot (a dict from item names to counts), counting a new item from 0, and return that item's new count",
     ["apple", 3], [{"given": {"inventory": {}}, "args": ["pen", 4], "result": 4, "slots": {"inventory": {"pen": 4}}},
                    {"given": {"inventory": {"pen": 1, "ink": 2}}, "args": ["pen", 2], "result": 3, "slots": {"inventory": {"pen": 3, "ink": 2}}}], """
def add_to_inventory(self, item, quantity):
    self.inventory[item] = self.inventory.get(item, 0) + quantity
    return self.inventory[item]
""", slots={"inventory": {"apple": 2}})
task("rank_of_score", "return the rank a score would have among the scores slot (a list of numbers): one more than how many scores in it are higher", [25],
     [{"given": {"scores": [10, 30, 20]}, "args": [20], "result": 2}, {"given": {"scores": []}, "args": [5], "result": 1},
      {"given": {"scores": [7, 7, 3]}, "args": [7], "result": 1}], """
def rank_of_score(self, score):
    return 1 + sum(1 for x in self.scores if x > score)
""", slots={"scores": [10, 30, 20]})
task("set_volume", "store a new volume in the volume slot, limited to the range 0 to 100, and return the stored volume", [70],
     [{"given": {"volume": 10}, "args": [150], "result": 100, "slots": {"volume": 100}},
      {"given": {"volume": 10}, "args": [-5], "result": 0, "slots": {"volume": 0}},
      {"given": {"volume": 10}, "args": [42], "result": 42, "slots": {"volume": 42}}], """
def set_volume(self, volume):
    self.volume = min(max(volume, 0), 100)
    return self.volume
""", slots={"volume": 50})
task("done_fraction", "return the fraction of the entries of the tasks slot, a list of [name, done] pairs with done true or false, that are done, as a number from 0 to 1, or 0 when the list is empty", [],
     [{"given": {"tasks": [["a", True], ["b", False]]}, "args": [], "result": 0.5}, {"given": {"tasks": []}, "args": [], "result": 0.0},
      {"given": {"tasks": [["a", True]]}, "args": [], "result": 1.0}], """
def done_fraction(self):
    return sum(1 for _, done in self.tasks if done) / len(self.tasks) if self.tasks else 0.0
""",
     slots={"tasks": [["wash", True], ["cook", False], ["shop", True], ["read", False]]})
task("tick_down", "lower the remaining slot by one, never going below zero, and return whether it is now zero", [],
     [{"given": {"remaining": 2}, "args": [], "result": False, "slots": {"remaining": 1}},
      {"given": {"remaining": 1}, "args": [], "result": True, "slots": {"remaining": 0}},
      {"given": {"remaining": 0}, "args": [], "result": True, "slots": {"remaining": 0}}], """
def tick_down(self):
    self.remaining = max(self.remaining - 1, 0)
    return self.remaining == 0
""", slots={"remaining": 5})
task("extend_due_date", "move the due slot, a date given as YYYY-MM-DD, later by n days, store it in the same form and return it", [7],
     [{"given": {"due": "2024-02-27"}, "args": [3], "result": "2024-03-01", "slots": {"due": "2024-03-01"}},
      {"given": {"due": "2023-12-31"}, "args": [1], "result": "2024-01-01", "slots": {"due": "2024-01-01"}}], """
from datetime import date, timedelta
def extend_due_date(self, days):
    self.due = (date.fromisoformat(self.due) + timedelta(days=days)).isoformat()
    return self.due
""", slots={"due": "2024-05-10"})
write("learning_tasks_novel3.jsonl")

# --- novel4 (written 2026-11-24 by a helper, before any run of it; no rule drawn from it) ---
task("slugify", "turn a title into a web address slug: lower-case it, drop every character that is not a letter, a digit or a space, and join the words with single hyphens, for example 'Hello, World!' gives 'hello-world'",
     ["My First Blog Post"], [{"args": ["  Python 3.12 is out! "], "result": "python-312-is-out"}, {"args": ["What's new?"], "result": "whats-new"},
                              {"args": ["a  b"], "result": "a-b"}], """
import re
def slugify(self, title):
    return "-".join(re.sub(r"[^a-z0-9 ]", "", title.lower()).split())
""")
task("file_extension", "return the extension of a file name, the part after its last dot, or '' when the name has no dot", ["report.pdf"],
     [{"args": ["archive.tar.gz"], "result": "gz"}, {"args": ["README"], "result": ""}, {"args": ["photo.JPG"], "result": "JPG"}], """
def file_extension(self, name):
    return name.rsplit(".", 1)[1] if "." in name else ""
""")
task("format_thousands", "write an integer with a comma between each group of three digits, e.g. 1234567 gives '1,234,567'", [9876543],
     [{"args": [999], "result": "999"}, {"args": [1000], "result": "1,000"}, {"args": [-45000], "result": "-45,000"}, {"args": [0], "result": "0"}], """
def format_thousands(self, n):
    return f"{n:,}"
""")
task("is_hex_color", "tell whether a text is a colour code written as '#' followed by exactly 6 hexadecimal digits, in either case", ["#ff8800"],
     [{"args": ["#1A2b3C"], "result": True}, {"args": ["#12345"], "result": False}, {"args": ["123456"], "result": False},
      {"args": ["#GG0000"], "result": False}], """
import re
def is_hex_color(self, text):
    return re.fullmatch(r"#[0-9a-fA-F]{6}", text) is not None
""")
task("to_ordinal", "write a positive integer followed by its English ordinal ending, for example 1 gives '1st', 12 gives '12th' and 23 gives '23rd'", [2],
     [{"args": [11], "result": "11th"}, {"args": [13], "result": "13th"}, {"args": [101], "result": "101st"}, {"args": [44], "result": "44th"}], """
def to_ordinal(self, n):
    ending = "th" if n % 100 in (11, 12, 13) else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{ending}"
""")
task("to_roman", "write a positive integer below 4000 in Roman numerals", [14],
     [{"args": [4], "result": "IV"}, {"args": [1994], "result": "MCMXCIV"}, {"args": [3999], "result": "MMMCMXCIX"}, {"args": [40], "result": "XL"}], """
def to_roman(self, n):
    out = ""
    for value, letters in ((1000, "M"), (900, "CM"), (500, "D"), (400, "CD"), (100, "C"), (90, "XC"), (50, "L"), (40, "XL"),
                           (10, "X"), (9, "IX"), (5, "V"), (4, "IV"), (1, "I")):
        while n >= value:
            out += letters
            n -= value
    return out
""")
task("body_mass_index", "return the body mass index from a weight in kilograms and a height in metres, that is the weight divided by the square of the height, rounded to 1 decimal",
     [70, 1.75], [{"args": [50, 1.6], "result": 19.5}, {"args": [90, 2], "result": 22.5}, {"args": [100, 1.8], "result": 30.9}], """
def body_mass_index(self, weight, height):
    return round(weight / height ** 2, 1)
""")
task("triangle_kind", "say what kind of triangle three side lengths make: 'equilateral' when all three are equal, 'isosceles' when exactly two are equal, and 'scalene' otherwise",
     [3, 4, 5], [{"args": [2, 2, 2], "result": "equilateral"}, {"args": [5, 5, 8], "result": "isosceles"}, {"args": [4, 7, 4], "result": "isosceles"},
                 {"args": [3, 4, 6], "result": "scalene"}], """
def triangle_kind(self, a, b, c):
    if a == b == c:
        return "equilateral"
    return "isosceles" if a == b or b == c or a == c else "scalene"
""")
task("standard_deviation", "return the population standard deviation of a list of numbers, the square root of the mean squared distance from their mean, rounded to 2 decimals",
     [[2, 4, 4, 4, 5, 5, 7, 9]], [{"args": [[1, 1]], "result": 0.0}, {"args": [[1, 2, 3, 4]], "result": 1.12}, {"args": [[10]], "result": 0.0},
                                  {"args": [[0, 10]], "result": 5.0}], """
import math
def standard_deviation(self, numbers):
    mean = sum(numbers) / len(numbers)
    return round(math.sqrt(sum((x - mean) ** 2 for x in numbers) / len(numbers)), 2)
""")
task("weighted_average", "return the average of a list of scores weighted by a list of weights of the same length, that is the sum of each score times its weight divided by the sum of the weights",
     [[80, 90], [1, 3]], [{"args": [[10], [5]], "result": 10.0}, {"args": [[1, 2, 3], [1, 1, 1]], "result": 2.0}, {"args": [[100, 0], [1, 4]], "result": 20.0}], """
def weighted_average(self, scores, weights):
    return sum(a * b for a, b in zip(scores, weights)) / sum(weights)
""")
task("char_positions", "return the positions, counting from 0, at which a character appears in a text, as a list, or an empty list when it does not appear",
     ["banana", "a"], [{"args": ["hello", "l"], "result": [2, 3]}, {"args": ["abc", "z"], "result": []}, {"args": ["Aa", "a"], "result": [1]}], """
def char_positions(self, text, char):
    return [i for i, x in enumerate(text) if x == char]
""")
task("parse_settings", "turn a text of settings written as name=value pairs separated by semicolons into a dict from each name to its value as a text, and an empty text into an empty dict",
     ["mode=dark;size=12"], [{"args": ["x=hello"], "result": {"x": "hello"}}, {"args": [""], "result": {}},
                             {"args": ["a=1;b=;c=3"], "result": {"a": "1", "b": "", "c": "3"}}], """
def parse_settings(self, text):
    return dict(p.split("=", 1) for p in text.split(";")) if text else {}
""")
task("json_sorted_keys", "read a JSON object given as text and return its top-level keys sorted alphabetically", ['{"b": 1, "a": 2}'],
     [{"args": ["{}"], "result": []}, {"args": ['{"zeta": {"inner": 1}, "alpha": [], "mid": null}'], "result": ["alpha", "mid", "zeta"]},
      {"args": ['{"b": {"a": 1}, "c": 2}'], "result": ["b", "c"]}], """
import json
def json_sorted_keys(self, text):
    return sorted(json.loads(text))
""")
task("extract_hashtags", "return the hashtags of a text, the words that start with '#', without the '#', in the order they appear, or an empty list when there are none", ["Loving the sun #summer #beach"],
     [{"args": ["no tags here"], "result": []}, {"args": ["#a then #b2"], "result": ["a", "b2"]}, {"args": ["#one"], "result": ["one"]}], """
def extract_hashtags(self, text):
    return [w[1:] for w in text.split() if w.startswith("#")]
""")
task("minutes_since_midnight", "turn a time of day written as HH:MM on a 24-hour clock into the number of minutes since midnight", ["01:30"],
     [{"args": ["00:00"], "result": 0}, {"args": ["23:59"], "result": 1439}, {"args": ["12:05"], "result": 725}], """
def minutes_since_midnight(self, clock):
    return int(clock[:2]) * 60 + int(clock[3:])
""")
task("days_to_new_year", "count the days from a date given as YYYY-MM-DD to the next 1 January after it", ["2024-12-25"],
     [{"args": ["2024-12-31"], "result": 1}, {"args": ["2023-01-01"], "result": 365}, {"args": ["2024-01-01"], "result": 366}], """
from datetime import date
def days_to_new_year(self, date_text):
    day = date.fromisoformat(date_text)
    return (date(day.year + 1, 1, 1) - day).days
""")
task("add_months", "add n months to a date given as YYYY-MM-DD and return the new date in the same form, moving the day back to the last day of the month when that month is shorter",
     ["2024-01-15", 2], [{"args": ["2024-01-31", 1], "result": "2024-02-29"}, {"args": ["2023-11-30", 3], "result": "2024-02-29"},
                         {"args": ["2023-01-31", 1], "result": "2023-02-28"}, {"args": ["2024-05-10", 12], "result": "2025-05-10"}], """
from datetime import date, timedelta
def add_months(self, date_text, n):
    d = date.fromisoformat(date_text)
    y, m = divmod(d.month - 1 + n, 12)
    first = date(d.year + y, m + 1, 1)
    last = ((first.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)).day
    return first.replace(day=min(d.day, last)).isoformat()
""")
task("count_business_days", "count the days from Monday to Friday from a first date to a second date on or after it, both given as YYYY-MM-DD and both included",
     ["2024-03-11", "2024-03-22"], [{"args": ["2024-03-16", "2024-03-17"], "result": 0}, {"args": ["2024-03-15", "2024-03-18"], "result": 2},
                                    {"args": ["2024-03-13", "2024-03-13"], "result": 1}], """
from datetime import date, timedelta
def count_business_days(self, start, end):
    start, end = date.fromisoformat(start), date.fromisoformat(end)
    return sum(1 for i in range((end - start).days + 1) if (start + timedelta(days=i)).weekday() < 5)
""")
task("pluralize", "write a count followed by a noun, adding an 's' to the noun unless the count is 1, e.g. pluralize(3, 'apple') is '3 apples'", [2, "cat"],
     [{"args": [1, "dog"], "result": "1 dog"}, {"args": [0, "book"], "result": "0 books"}, {"args": [10, "pen"], "result": "10 pens"}], """
def pluralize(self, count, noun):
    return f"{count} {noun}" + ("" if count == 1 else "s")
""")
task("transpose", "transpose a matrix given as a list of rows of the same length, returning the list of its columns, each as a list", [[[1, 2, 3], [4, 5, 6]]],
     [{"args": [[[1]]], "result": [[1]]}, {"args": [[[1, 2], [3, 4]]], "result": [[1, 3], [2, 4]]}, {"args": [[["a", "b"]]], "result": [["a"], ["b"]]}], """
def transpose(self, matrix):
    return [list(column) for column in zip(*matrix)]
""")
task("flatten_dict", "flatten a dict whose values may be dicts themselves into a single dict, joining the nested keys with dots, e.g. {'a': {'b': 1}, 'c': 2} gives {'a.b': 1, 'c': 2}",
     [{"x": {"y": 1, "z": 2}, "w": 3}], [{"args": [{}], "result": {}}, {"args": [{"p": {"q": {"r": 5}}}], "result": {"p.q.r": 5}},
                                       {"args": [{"k": [1, 2]}], "result": {"k": [1, 2]}}], """
def flatten_dict(self, mapping, prefix=""):
    out = {}
    for key, value in mapping.items():
        if isinstance(value, dict):
            out.update(self.flatten_dict(value, prefix + key + "."))
        else:
            out[prefix + key] = value
    return out
""")
task("alphabet_positions", "replace each letter of a word with its place in the alphabet, a being 1 and z 26, in either case, and return the numbers as a list, an empty list for an empty word", ["abc"],
     [{"args": ["Zoo"], "result": [26, 15, 15]}, {"args": ["Hi"], "result": [8, 9]}, {"args": [""], "result": []}], """
import string
def alphabet_positions(self, word):
    return [string.ascii_lowercase.index(c) + 1 for c in word.lower()]
""")
task("undo_action", "move the last item of the done slot (a list) to the end of the undone slot (a list) and return it, or return None and change nothing when done is empty", [],
     [{"given": {"done": ["a", "b"], "undone": ["c"]}, "args": [], "result": "b", "slots": {"done": ["a"], "undone": ["c", "b"]}},
      {"given": {"done": [], "undone": ["x"]}, "args": [], "result": None, "slots": {"done": [], "undone": ["x"]}},
      {"given": {"done": ["x"], "undone": []}, "args": [], "result": "x", "slots": {"done": [], "undone": ["x"]}}], """
def undo_action(self):
    if not self.done:
        return None
    x = self.done.pop()
    self.undone.append(x)
    return x
""", slots={"done": ["type", "bold"], "undone": []})
task("update_known_price", "set the price of an item in the prices slot (a dict from item names to prices) only if the item is already in it, and return whether it was", ["tea", 3.0],
     [{"given": {"prices": {"pen": 1}}, "args": ["pen", 2], "result": True, "slots": {"prices": {"pen": 2}}},
      {"given": {"prices": {"pen": 1}}, "args": ["ink", 5], "result": False, "slots": {"prices": {"pen": 1}}},
      {"given": {"prices": {}}, "args": ["x", 1], "result": False, "slots": {"prices": {}}}], """
def update_known_price(self, item, price):
    if item in self.prices:
        self.prices[item] = price
        return True
    return False
""", slots={"prices": {"tea": 2.5, "cake": 4}})
task("cheapest_item", "return the name of the cheapest item in the prices slot (a dict from item names to prices), or None when it is empty", [],
     [{"given": {"prices": {"a": 3, "b": 1}}, "args": [], "result": "b"}, {"given": {"prices": {}}, "args": [], "result": None},
      {"given": {"prices": {"x": 0}}, "args": [], "result": "x"}], """
def cheapest_item(self):
    return min(self.prices, key=self.prices.get) if self.prices else None
""", slots={"prices": {"tea": 2.5, "cake": 4, "bun": 1.2}})
task("record_reading", "append a reading to the readings slot (a list of numbers), store the largest of all the readings in the max_reading slot, and return that largest reading", [12],
     [{"given": {"readings": [5, 9], "max_reading": 9}, "args": [4], "result": 9, "slots": {"readings": [5, 9, 4], "max_reading": 9}},
      {"given": {"readings": [], "max_reading": None}, "args": [-2], "result": -2, "slots": {"readings": [-2], "max_reading": -2}},
      {"given": {"readings": [2.5], "max_reading": 2.5}, "args": [3], "result": 3, "slots": {"readings": [2.5, 3], "max_reading": 3}}], """
def record_reading(self, reading):
    self.readings.append(reading)
    self.max_reading = max(self.readings)
    return self.max_reading
""", slots={"readings": [3, 7], "max_reading": 7})
task("complete_task", "mark a task as done in the todo slot, a dict from task names to true or false, and return how many tasks are still not done", ["shop"],
     [{"given": {"todo": {"a": False, "b": False}}, "args": ["a"], "result": 1, "slots": {"todo": {"a": True, "b": False}}},
      {"given": {"todo": {"a": True}}, "args": ["a"], "result": 0, "slots": {"todo": {"a": True}}},
      {"given": {"todo": {"a": False, "b": False, "c": True}}, "args": ["b"], "result": 1, "slots": {"todo": {"a": False, "b": True, "c": True}}}], """
def complete_task(self, name):
    self.todo[name] = True
    return sum(1 for v in self.todo.values() if not v)
""", slots={"todo": {"shop": False, "cook": False, "read": True}})
task("add_rating", "add a rating to the ratings slot (a list of numbers) and return the average of all the ratings, rounded to 1 decimal", [4],
     [{"given": {"ratings": []}, "args": [5], "result": 5.0, "slots": {"ratings": [5]}},
      {"given": {"ratings": [1, 2]}, "args": [2], "result": 1.7, "slots": {"ratings": [1, 2, 2]}},
      {"given": {"ratings": [4, 4]}, "args": [1], "result": 3.0, "slots": {"ratings": [4, 4, 1]}}], """
def add_rating(self, rating):
    self.ratings.append(rating)
    return round(sum(self.ratings) / len(self.ratings), 1)
""", slots={"ratings": [5, 3]})
task("next_player", "move the turn slot, an index into the players slot (a list of names), on to the next player, going back to 0 after the last one, and return the name of the player whose turn it is now", [],
     [{"given": {"players": ["ann", "bob", "cy"], "turn": 2}, "args": [], "result": "ann", "slots": {"turn": 0}},
      {"given": {"players": ["solo"], "turn": 0}, "args": [], "result": "solo", "slots": {"turn": 0}},
      {"given": {"players": ["a", "b"], "turn": 0}, "args": [], "result": "b", "slots": {"turn": 1}}], """
def next_player(self):
    self.turn = (self.turn + 1) % len(self.players)
    return self.players[self.turn]
""", slots={"players": ["ann", "bob", "cy"], "turn": 0})
task("days_until_due", "return how many days there are from a given date to the date in the due slot, both written as YYYY-MM-DD, negative when the due date has already passed", ["2024-05-01"],
     [{"given": {"due": "2024-03-01"}, "args": ["2024-02-28"], "result": 2}, {"given": {"due": "2024-01-01"}, "args": ["2024-01-03"], "result": -2},
      {"given": {"due": "2025-01-01"}, "args": ["2025-01-01"], "result": 0}], """
from datetime import date
def days_until_due(self, today):
    return (date.fromisoformat(self.due) - date.fromisoformat(today)).days
""", slots={"due": "2024-05-10"})
write("learning_tasks_novel4.jsonl")

# --- novel5 (written 2026-11-24 by a helper, after novel4 was run, before any run of it; no rule drawn from it) ---
task("run_length_encode", "compress a text by writing each run of the same character as that character followed by the length of the run, e.g. 'aaabcc' gives 'a3b1c2'",
     ["wwwwaaadexxxxxx"], [{"args": ["abc"], "result": "a1b1c1"}, {"args": ["zzzzzzzzzzzz"], "result": "z12"}, {"args": ["aabbaa"], "result": "a2b2a2"}], r"""
import re
def run_length_encode(self, text):
    return "".join(f"{m.group(1)}{len(m.group(0))}" for m in re.finditer(r"(.)\1*", text, re.S))
""")
task("is_isogram", "tell whether a word uses no letter more than once, an upper-case and a lower-case letter counting as the same letter", ["machine"],
     [{"args": ["Dermatoglyphics"], "result": True}, {"args": ["letter"], "result": False}, {"args": ["Alpha"], "result": False}, {"args": ["Go"], "result": True}], """
def is_isogram(self, word):
    return len(set(word.lower())) == len(word)
""")
task("kebab_to_title", "turn a name written in kebab-case such as 'my-new-page' into words separated by spaces, each starting with a capital: 'My New Page'", ["contact-us"],
     [{"args": ["about"], "result": "About"}, {"args": ["the-big-red-dog"], "result": "The Big Red Dog"}, {"args": ["faq-2024"], "result": "Faq 2024"}], """
def kebab_to_title(self, name):
    return " ".join(w.capitalize() for w in name.split("-"))
""")
task("brackets_balanced", "check that the round brackets in a text are balanced, each '(' being closed by a ')' that comes after it", ["(a + b) * (c - d)"],
     [{"args": ["((x)"], "result": False}, {"args": [")("], "result": False}, {"args": ["no brackets"], "result": True}, {"args": ["(()())"], "result": True}], """
def brackets_balanced(self, text):
    depth = 0
    for c in text:
        depth += {"(": 1, ")": -1}.get(c, 0)
        if depth < 0:
            return False
    return depth == 0
""")
task("mask_email", "hide the part of an email address before the @ by keeping its first character and replacing every other one with '*', so 'john@example.com' becomes 'j***@example.com'",
     ["alice@mail.org"], [{"args": ["bo@x.io"], "result": "b*@x.io"}, {"args": ["z@site.com"], "result": "z@site.com"},
                          {"args": ["mary.ann@work.co.uk"], "result": "m*******@work.co.uk"}], """
def mask_email(self, email):
    name, domain = email.split("@", 1)
    return name[0] + "*" * (len(name) - 1) + "@" + domain
""")
task("digital_root", "keep adding up the digits of a non-negative integer until a single digit is left, and return that digit", [493193],
     [{"args": [0], "result": 0}, {"args": [9875], "result": 2}, {"args": [7], "result": 7}, {"args": [99999], "result": 9}], """
def digital_root(self, n):
    while n >= 10:
        n = sum(int(c) for c in str(n))
    return n
""")
task("is_armstrong_number", "tell whether a positive integer equals the sum of its digits each raised to the power of the number of digits it has, like 153 = 1**3 + 5**3 + 3**3",
     [153], [{"args": [9474], "result": True}, {"args": [10], "result": False}, {"args": [7], "result": True}, {"args": [154], "result": False}], """
def is_armstrong_number(self, n):
    return n == sum(int(c) ** len(str(n)) for c in str(n))
""")
task("prime_factors", "break an integer greater than 1 into its prime factors, returned as a list from smallest to largest with each factor repeated as often as it divides the number, e.g. 12 gives [2, 2, 3]",
     [60], [{"args": [13], "result": [13]}, {"args": [1024], "result": [2] * 10}, {"args": [9991], "result": [97, 103]}], """
def prime_factors(self, n):
    out, p = [], 2
    while n > 1:
        while n % p == 0:
            out.append(p)
            n //= p
        p += 1
    return out
""")
task("sum_of_multiples", "add up all the positive whole numbers below n that are multiples of 3 or of 5", [10],
     [{"args": [1], "result": 0}, {"args": [16], "result": 60}, {"args": [20], "result": 78}, {"args": [1000], "result": 233168}], """
def sum_of_multiples(self, n):
    return sum(k for k in range(1, n) if k % 3 == 0 or k % 5 == 0)
""")
task("integer_square_root", "give the square root of a non-negative integer rounded down to a whole number, as an int", [17],
     [{"args": [0], "result": 0}, {"args": [16], "result": 4}, {"args": [99], "result": 9}, {"args": [1000001], "result": 1000}], """
import math
def integer_square_root(self, n):
    return math.isqrt(n)
""")
task("max_profit", "given a list of a stock's prices on successive days, return the biggest profit that buying on one day and selling on a later day could make, or 0 if no such trade makes money",
     [[7, 1, 5, 3, 6, 4]], [{"args": [[7, 6, 4, 3, 1]], "result": 0}, {"args": [[2, 4, 1, 3]], "result": 2}, {"args": [[1, 2]], "result": 1},
                            {"args": [[5]], "result": 0}], """
def max_profit(self, prices):
    return max([0] + [prices[j] - prices[i] for i in range(len(prices)) for j in range(i + 1, len(prices))])
""")
task("find_missing_number", "a list holds every whole number from 1 to n except one, in no particular order; find the one that is missing", [[3, 7, 1, 2, 8, 4, 5]],
     [{"args": [[2, 3, 1, 5]], "result": 4}, {"args": [[2]], "result": 1}, {"args": [[1, 2, 3]], "result": 4}], """
def find_missing_number(self, numbers):
    return (len(numbers) + 1) * (len(numbers) + 2) // 2 - sum(numbers)
""")
task("longest_rising_run", "return the length of the longest stretch of neighbouring numbers in a non-empty list where each number is larger than the one before it", [[1, 2, 3, 1, 2]],
     [{"args": [[5, 4, 3]], "result": 1}, {"args": [[1, 1, 1]], "result": 1}, {"args": [[3, 1, 2, 3, 4, 0]], "result": 4}, {"args": [[7]], "result": 1}], """
def longest_rising_run(self, numbers):
    best = run = 1
    for a, b in zip(numbers, numbers[1:]):
        run = run + 1 if b > a else 1
        best = max(best, run)
    return best
""")
task("nested_get", "look up a value in nested dicts by a path of keys joined with dots, such as 'user.address.city', returning None if a key along the way is missing",
     [{"user": {"name": "Ann", "address": {"city": "Oslo"}}}, "user.address.city"],
     [{"args": [{"a": {"b": 2}}, "a.b"], "result": 2}, {"args": [{"a": {"b": 2}}, "a.c"], "result": None}, {"args": [{"x": 1}, "x"], "result": 1},
      {"args": [{"a": {"b": {"c": [1, 2]}}}, "a.b"], "result": {"c": [1, 2]}}], """
def nested_get(self, mapping, path):
    for k in path.split("."):
        if not isinstance(mapping, dict) or k not in mapping:
            return None
        mapping = mapping[k]
    return mapping
""")
task("totals_by_name", "from a list of [name, amount] pairs, add up the amounts of each name and return a dict from each name to its total", [[["ann", 5], ["bob", 3], ["ann", 2]]],
     [{"args": [[]], "result": {}}, {"args": [[["x", 1.5], ["x", 2.5]]], "result": {"x": 4.0}}, {"args": [[["a", 1], ["b", -1], ["a", -1]]], "result": {"a": 0, "b": -1}}], """
def totals_by_name(self, pairs):
    out = {}
    for name, amount in pairs:
        out[name] = out.get(name, 0) + amount
    return out
""")
task("changed_keys", "compare two dicts and return, in alphabetical order, the keys whose values differ between them, a key that is in only one of the two counting as changed",
     [{"a": 1, "b": 2, "c": 3}, {"a": 1, "b": 5, "d": 3}],
     [{"args": [{}, {}], "result": []}, {"args": [{"x": 1}, {"x": 1}], "result": []}, {"args": [{"k": [1]}, {"k": [1, 2], "j": None}], "result": ["j", "k"]}], """
def changed_keys(self, a, b):
    return sorted(k for k in set(a) | set(b) if k not in a or k not in b or a[k] != b[k])
""")
task("to_12_hour", "convert a time written as HH:MM on a 24-hour clock to the 12-hour clock with 'am' or 'pm', for example '14:05' becomes '2:05 pm' and '00:30' becomes '12:30 am'",
     ["09:15"], [{"args": ["12:00"], "result": "12:00 pm"}, {"args": ["23:59"], "result": "11:59 pm"}, {"args": ["00:00"], "result": "12:00 am"},
                 {"args": ["13:07"], "result": "1:07 pm"}], """
def to_12_hour(self, clock):
    h, m = int(clock[:2]), clock[3:]
    return f"{(h - 1) % 12 + 1}:{m} {'am' if h < 12 else 'pm'}"
""")
task("iso_week_number", "what is the ISO week number of a date given as YYYY-MM-DD", ["2024-03-15"],
     [{"args": ["2024-01-01"], "result": 1}, {"args": ["2021-01-03"], "result": 53}, {"args": ["2024-12-30"], "result": 1}, {"args": ["2023-06-30"], "result": 26}], """
from datetime import date
def iso_week_number(self, date_text):
    return date.fromisoformat(date_text).isocalendar()[1]
""")
task("count_weekday_in_month", "count how many times a weekday, named in English like 'Friday', falls in the month given by a year and a month number", [2024, 3, "Friday"],
     [{"args": [2024, 2, "Thursday"], "result": 5}, {"args": [2023, 2, "Monday"], "result": 4}, {"args": [2024, 9, "Sunday"], "result": 5},
      {"args": [2024, 4, "Wednesday"], "result": 4}], """
from datetime import date
def count_weekday_in_month(self, year, month, name):
    days = (date(year + month // 12, month % 12 + 1, 1) - date(year, month, 1)).days
    return sum(1 for d in range(1, days + 1) if date(year, month, d).strftime("%A") == name)
""")
task("parse_duration", "turn a duration written like '1h30m', '2h' or '45m' into a number of minutes", ["1h30m"],
     [{"args": ["2h"], "result": 120}, {"args": ["45m"], "result": 45}, {"args": ["10h5m"], "result": 605}, {"args": ["100m"], "result": 100}], r"""
import re
def parse_duration(self, duration):
    m = re.fullmatch(r"(?:(\d+)h)?(?:(\d+)m)?", duration)
    return int(m.group(1) or 0) * 60 + int(m.group(2) or 0)
""")
task("compare_versions", "compare two version numbers made of whole numbers separated by dots, like '1.10.2', returning -1, 0 or 1 when the first is lower than, equal to or higher than the second",
     ["1.2.0", "1.10.0"], [{"args": ["2.0.1", "2.0.1"], "result": 0}, {"args": ["3.1", "2.9.9"], "result": 1}, {"args": ["1.9", "1.10"], "result": -1},
                           {"args": ["0.10.0", "0.9.12"], "result": 1}], """
def compare_versions(self, a, b):
    x, y = [int(p) for p in a.split(".")], [int(p) for p in b.split(".")]
    return (x > y) - (x < y)
""")
task("csv_column", "from a CSV text whose first line holds the column names, return the values of the column with a given name as a list of texts", ["name,age\nAnn,30\nBob,25", "age"],
     [{"args": ["a,b,c\n1,2,3\n4,5,6\n7,8,9", "c"], "result": ["3", "6", "9"]}, {"args": ["city\nOslo", "city"], "result": ["Oslo"]},
      {"args": ["id,score\n1,7.5\n2,8", "id"], "result": ["1", "2"]}], """
def csv_column(self, text, name):
    rows = [line.split(",") for line in text.splitlines()]
    i = rows[0].index(name)
    return [r[i] for r in rows[1:]]
""")
task("lend_book", "lend a book: move its title from the available slot (a list) to the end of the borrowed slot (a list) and return True, or return False and change nothing if it is not available",
     ["Emma"], [{"given": {"available": ["A", "B"], "borrowed": ["C"]}, "args": ["B"], "result": True, "slots": {"available": ["A"], "borrowed": ["C", "B"]}},
                {"given": {"available": ["A"], "borrowed": ["B"]}, "args": ["B"], "result": False, "slots": {"available": ["A"], "borrowed": ["B"]}},
                {"given": {"available": [], "borrowed": []}, "args": ["X"], "result": False, "slots": {"available": [], "borrowed": []}}], """
def lend_book(self, title):
    if title not in self.available:
        return False
    self.available.remove(title)
    self.borrowed.append(title)
    return True
""", slots={"available": ["Dune", "Emma", "Ulysses"], "borrowed": []})
task("cast_vote", "add one vote for an option to the votes slot, a dict from options to vote counts where a new option starts at 0, and return the option that has the most votes afterwards",
     ["yes"], [{"given": {"votes": {"a": 1, "b": 1}}, "args": ["b"], "result": "b", "slots": {"votes": {"a": 1, "b": 2}}},
               {"given": {"votes": {}}, "args": ["z"], "result": "z", "slots": {"votes": {"z": 1}}},
               {"given": {"votes": {"a": 5, "b": 1}}, "args": ["b"], "result": "a", "slots": {"votes": {"a": 5, "b": 2}}}], """
def cast_vote(self, option):
    self.votes[option] = self.votes.get(option, 0) + 1
    return max(self.votes, key=self.votes.get)
""", slots={"votes": {"yes": 3, "no": 2}})
task("gain_xp", "add experience points to the xp slot, and as long as xp is 100 or more, take 100 off it and raise the level slot by one; return the level", [70],
     [{"given": {"xp": 90, "level": 3}, "args": [5], "result": 3, "slots": {"xp": 95, "level": 3}},
      {"given": {"xp": 0, "level": 1}, "args": [250], "result": 3, "slots": {"xp": 50, "level": 3}},
      {"given": {"xp": 99, "level": 1}, "args": [1], "result": 2, "slots": {"xp": 0, "level": 2}}], """
def gain_xp(self, points):
    self.xp += points
    while self.xp >= 100:
        self.xp -= 100
        self.level += 1
    return self.level
""", slots={"xp": 40, "level": 1})
task("move_to_front", "move a track to the front of the playlist slot (a list) and return the playlist, leaving it as it is when the track is not in it", ["song"],
     [{"given": {"playlist": ["a", "b", "c"]}, "args": ["c"], "result": ["c", "a", "b"], "slots": {"playlist": ["c", "a", "b"]}},
      {"given": {"playlist": ["a", "b"]}, "args": ["a"], "result": ["a", "b"], "slots": {"playlist": ["a", "b"]}},
      {"given": {"playlist": ["a", "b"]}, "args": ["z"], "result": ["a", "b"], "slots": {"playlist": ["a", "b"]}}], """
def move_to_front(self, track):
    if track in self.playlist:
        self.playlist.remove(track)
        self.playlist.insert(0, track)
    return self.playlist
""", slots={"playlist": ["intro", "song", "outro"]})
task("add_expense", "record an expense by adding its amount to the spent slot, then return how much of the budget slot is left", [30],
     [{"given": {"budget": 100, "spent": 0}, "args": [25], "result": 75, "slots": {"budget": 100, "spent": 25}},
      {"given": {"budget": 1000, "spent": 999}, "args": [1], "result": 0, "slots": {"spent": 1000}},
      {"given": {"budget": 10, "spent": 2.5}, "args": [2.5], "result": 5.0, "slots": {"spent": 5.0}}], """
def add_expense(self, amount):
    self.spent += amount
    return self.budget - self.spent
""", slots={"budget": 500, "spent": 120})
task("minutes_since_start", "how many minutes have passed from the time in the started slot to a given later time of the same day, both written as HH:MM on a 24-hour clock", ["09:45"],
     [{"given": {"started": "00:00"}, "args": ["23:59"], "result": 1439}, {"given": {"started": "12:50"}, "args": ["13:05"], "result": 15},
      {"given": {"started": "07:00"}, "args": ["07:00"], "result": 0}], """
def minutes_since_start(self, clock):
    return (int(clock[:2]) * 60 + int(clock[3:])) - (int(self.started[:2]) * 60 + int(self.started[3:]))
""", slots={"started": "08:30"})
task("reserve_seat", "reserve a seat numbered from 1 up to the seats slot by adding it to the taken slot (a list) and returning True, or return False and change nothing if it is already taken or has no such number",
     [7], [{"given": {"seats": 3, "taken": [1]}, "args": [1], "result": False, "slots": {"taken": [1]}},
           {"given": {"seats": 3, "taken": []}, "args": [4], "result": False, "slots": {"taken": []}},
           {"given": {"seats": 3, "taken": [3]}, "args": [2], "result": True, "slots": {"taken": [3, 2]}},
           {"given": {"seats": 3, "taken": []}, "args": [0], "result": False, "slots": {"taken": []}}], """
def reserve_seat(self, seat):
    if seat in self.taken or not 1 <= seat <= self.seats:
        return False
    self.taken.append(seat)
    return True
""", slots={"seats": 10, "taken": [2, 5]})
task("take_smallest", "take the smallest number out of the waiting slot (a list of numbers) and return it, or return None when the list is empty", [],
     [{"given": {"waiting": [3, 1, 2]}, "args": [], "result": 1, "slots": {"waiting": [3, 2]}},
      {"given": {"waiting": []}, "args": [], "result": None, "slots": {"waiting": []}},
      {"given": {"waiting": [2, 2, 7]}, "args": [], "result": 2, "slots": {"waiting": [2, 7]}},
      {"given": {"waiting": [-1.5, 0]}, "args": [], "result": -1.5, "slots": {"waiting": [0]}}], """
def take_smallest(self):
    if not self.waiting:
        return None
    x = min(self.waiting)
    self.waiting.remove(x)
    return x
""", slots={"waiting": [5, 1, 4]})
write("learning_tasks_novel5.jsonl")

# --- novel6 (written 2026-11-24 by a helper, after novel5 was run, before any run of it; no rule drawn from it) ---
task("is_rotation", "tell whether the second text can be made from the first by moving some of its characters, possibly none, from its front to its back, as 'cdeab' can be made from 'abcde'",
     ["abcde", "cdeab"], [{"args": ["abc", "acb"], "result": False}, {"args": ["abc", "abc"], "result": True}, {"args": ["aa", "a"], "result": False},
                          {"args": ["", ""], "result": True}, {"args": ["abab", "baba"], "result": True}], """
def is_rotation(self, a, b):
    return len(a) == len(b) and b in a + a
""")
task("alternate_case", "write the characters of a text at even positions, counting from 0, in upper case and those at odd positions in lower case, spaces, digits and punctuation counting as positions too",
     ["hello world"], [{"args": ["ABCD"], "result": "AbCd"}, {"args": ["a b"], "result": "A B"}, {"args": [""], "result": ""}, {"args": ["x1y2"], "result": "X1Y2"}], """
def alternate_case(self, text):
    return "".join(c.upper() if i % 2 == 0 else c.lower() for i, c in enumerate(text))
""")
task("word_frequencies", "count how many times each word of a sentence appears, ignoring case, as a dict from each word written in lower case to its count, words being separated by one or more spaces",
     ["the cat and the hat"], [{"args": ["The the THE"], "result": {"the": 3}}, {"args": [""], "result": {}}, {"args": ["a  b a"], "result": {"a": 2, "b": 1}},
                               {"args": ["Go go Stop"], "result": {"go": 2, "stop": 1}}], """
def word_frequencies(self, sentence):
    out = {}
    for w in sentence.lower().split():
        out[w] = out.get(w, 0) + 1
    return out
""")
task("is_valid_time", "tell whether a text is a valid time on a 24-hour clock written as HH:MM, that is exactly two digits for the hour from 00 to 23, a colon, and exactly two digits for the minutes from 00 to 59",
     ["13:45"], [{"args": ["24:00"], "result": False}, {"args": ["9:30"], "result": False}, {"args": ["23:59"], "result": True}, {"args": ["12:60"], "result": False},
                 {"args": ["00:00"], "result": True}], """
import re
def is_valid_time(self, text):
    return re.fullmatch(r"([01][0-9]|2[0-3]):[0-5][0-9]", text) is not None
""")
task("spell_digits", "write each digit of a non-negative integer as its English word, the words separated by single spaces, e.g. 205 gives 'two zero five'", [42],
     [{"args": [0], "result": "zero"}, {"args": [1000], "result": "one zero zero zero"}, {"args": [9], "result": "nine"}, {"args": [738], "result": "seven three eight"}], """
def spell_digits(self, n):
    return " ".join("zero one two three four five six seven eight nine".split()[int(c)] for c in str(n))
""")
task("hamming_distance", "count the positions at which two texts of the same length have different characters, an upper-case and a lower-case letter counting as different",
     ["karolin", "kathrin"], [{"args": ["abc", "abc"], "result": 0}, {"args": ["", ""], "result": 0}, {"args": ["Aa", "aa"], "result": 1},
                              {"args": ["1011101", "1001001"], "result": 2}], """
def hamming_distance(self, a, b):
    return sum(1 for x, y in zip(a, b) if x != y)
""")
task("expand_ranges", "turn a text of whole numbers and ranges like '1-3', separated by commas, for example '1-3,7,9-10', into the list of every number it covers as ints, in the order written, a range including both its ends",
     ["1-3,7,9-10"], [{"args": ["5"], "result": [5]}, {"args": ["2-2"], "result": [2]}, {"args": ["10-12,1"], "result": [10, 11, 12, 1]},
                      {"args": ["0-3"], "result": [0, 1, 2, 3]}], """
def expand_ranges(self, text):
    out = []
    for part in text.split(","):
        a, _, b = part.partition("-")
        out += list(range(int(a), int(b or a) + 1))
    return out
""")
task("format_phone", "take the 10 digits found in a text, ignoring every other character in it, and write them as a phone number in the form '(555) 123-4567'",
     ["5551234567"], [{"args": ["555.123.4567"], "result": "(555) 123-4567"}, {"args": ["(212) 555 0199"], "result": "(212) 555-0199"},
                      {"args": ["0123456789"], "result": "(012) 345-6789"}, {"args": ["tel: 800-FLY-1234-56-7"], "result": "(800) 123-4567"}], """
def format_phone(self, text):
    digits = "".join(c for c in text if c.isdigit())
    return f"({digits[:3]}) {digits[3:6]}-{digits[6:]}"
""")
task("reverse_integer", "reverse the order of the digits of an integer, keeping its sign, so -123 gives -321 and 120 gives 21", [12345],
     [{"args": [-450], "result": -54}, {"args": [0], "result": 0}, {"args": [7], "result": 7}, {"args": [1000], "result": 1}], """
def reverse_integer(self, n):
    return (-1 if n < 0 else 1) * int(str(abs(n))[::-1])
""")
task("count_primes_below", "count the prime numbers that are smaller than a given whole number", [10],
     [{"args": [2], "result": 0}, {"args": [3], "result": 1}, {"args": [0], "result": 0}, {"args": [100], "result": 25}, {"args": [11], "result": 4}], """
import math
def count_primes_below(self, n):
    return sum(1 for k in range(2, n) if all(k % d for d in range(2, math.isqrt(k) + 1)))
""")
task("fizzbuzz_word", "return 'FizzBuzz' for a positive integer that is a multiple of both 3 and 5, 'Fizz' for a multiple of 3 only, 'Buzz' for a multiple of 5 only, and otherwise the number itself written as text",
     [9], [{"args": [15], "result": "FizzBuzz"}, {"args": [7], "result": "7"}, {"args": [10], "result": "Buzz"}, {"args": [30], "result": "FizzBuzz"},
           {"args": [1], "result": "1"}], """
def fizzbuzz_word(self, n):
    if n % 15 == 0:
        return "FizzBuzz"
    return "Fizz" if n % 3 == 0 else "Buzz" if n % 5 == 0 else str(n)
""")
task("compound_amount", "return what an initial sum grows to after a number of years at a yearly interest rate given in percent, the interest being added to the sum at the end of every year, rounded to 2 decimals at the end",
     [1000, 5, 2], [{"args": [100, 10, 0], "result": 100.0}, {"args": [100, 0, 5], "result": 100.0}, {"args": [200, 50, 2], "result": 450.0},
                    {"args": [1000, 3, 10], "result": 1343.92}], """
def compound_amount(self, principal, rate, years):
    return round(principal * (1 + rate / 100) ** years, 2)
""")
task("merge_sorted", "merge two lists of numbers, each already sorted from smallest to largest, into one list sorted from smallest to largest, keeping repeated numbers",
     [[1, 4, 9], [2, 3, 10]], [{"args": [[], [1]], "result": [1]}, {"args": [[1, 3], [2, 3]], "result": [1, 2, 3, 3]}, {"args": [[], []], "result": []},
                               {"args": [[-5, 0], [-7]], "result": [-7, -5, 0]}], """
def merge_sorted(self, a, b):
    out, i, j = [], 0, 0
    while i < len(a) and j < len(b):
        if a[i] <= b[j]:
            out.append(a[i])
            i += 1
        else:
            out.append(b[j])
            j += 1
    return out + a[i:] + b[j:]
""")
task("count_in_range", "count the numbers of a list that are at least a lower bound and strictly below an upper bound", [[1, 2, 3, 4, 5], 2, 4],
     [{"args": [[], 0, 1], "result": 0}, {"args": [[4, 4], 4, 5], "result": 2}, {"args": [[5], 1, 5], "result": 0}, {"args": [[1.5, 2.5, -1], 0, 2], "result": 1}], """
def count_in_range(self, numbers, low, high):
    return sum(1 for x in numbers if low <= x < high)
""")
task("largest_step", "return the largest absolute difference between two neighbouring numbers of a list, or 0 when the list has fewer than two numbers", [[1, 10, 3]],
     [{"args": [[5]], "result": 0}, {"args": [[3, -4]], "result": 7}, {"args": [[]], "result": 0}, {"args": [[2, 4, 4, 1]], "result": 3}], """
def largest_step(self, numbers):
    return max([0] + [abs(b - a) for a, b in zip(numbers, numbers[1:])])
""")
task("majority_element", "return the item that fills more than half of the positions of a list, or None when no item does", [[3, 1, 3, 3, 2]],
     [{"args": [[1, 2]], "result": None}, {"args": [[3, 3, 4, 4]], "result": None}, {"args": [[]], "result": None}, {"args": [["a"]], "result": "a"},
      {"args": [[2, 1, 2]], "result": 2}], """
def majority_element(self, items):
    for x in items:
        if items.count(x) * 2 > len(items):
            return x
    return None
""")
task("invert_grouped", "turn a dict from names to lists of tags into a dict from each tag to the list of the names that have it, sorted alphabetically",
     [{"ann": ["red", "blue"], "bob": ["red"]}],
     [{"args": [{}], "result": {}}, {"args": [{"zed": ["t"], "amy": ["t"]}], "result": {"t": ["amy", "zed"]}}, {"args": [{"a": []}], "result": {}},
      {"args": [{"a": ["x", "y"], "b": ["y"]}], "result": {"x": ["a"], "y": ["a", "b"]}}], """
def invert_grouped(self, tags_by_name):
    out = {}
    for name, tags in tags_by_name.items():
        for t in tags:
            out.setdefault(t, []).append(name)
    return {t: sorted(names) for t, names in out.items()}
""")
task("merge_prefer_first", "combine two dicts into one that holds every key of either, taking the value from the first dict when a key is in both",
     [{"a": 1, "b": 2}, {"b": 3, "c": 4}],
     [{"args": [{}, {"x": 1}], "result": {"x": 1}}, {"args": [{"k": None}, {"k": 5}], "result": {"k": None}}, {"args": [{}, {}], "result": {}},
      {"args": [{"p": [1]}, {"p": [2], "q": 0}], "result": {"p": [1], "q": 0}}], """
def merge_prefer_first(self, first, second):
    return {**second, **first}
""")
task("is_valid_date", "tell whether a text is a real calendar date written as YYYY-MM-DD, with exactly four digits for the year, two for the month and two for the day",
     ["2024-02-29"], [{"args": ["2023-02-29"], "result": False}, {"args": ["2024-13-01"], "result": False}, {"args": ["2024-4-01"], "result": False},
                      {"args": ["2024-04-31"], "result": False}, {"args": ["1999-12-31"], "result": True}], """
import re
from datetime import date
def is_valid_date(self, text):
    if not re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", text):
        return False
    try:
        date.fromisoformat(text)
    except ValueError:
        return False
    return True
""")
task("season_of", "return the season, 'winter', 'spring', 'summer' or 'autumn', of a date given as YYYY-MM-DD, spring being March to May, summer June to August, autumn September to November and winter December to February",
     ["2024-07-04"], [{"args": ["2024-12-01"], "result": "winter"}, {"args": ["2024-02-29"], "result": "winter"}, {"args": ["2024-03-01"], "result": "spring"},
                      {"args": ["2024-11-30"], "result": "autumn"}, {"args": ["2023-09-01"], "result": "autumn"}], """
from datetime import date
def season_of(self, date_text):
    m = date.fromisoformat(date_text).month
    return "spring" if 3 <= m <= 5 else "summer" if 6 <= m <= 8 else "autumn" if 9 <= m <= 11 else "winter"
""")
task("last_friday_of_month", "return the date of the last Friday of the month in which a date given as YYYY-MM-DD falls, in the same form", ["2024-03-10"],
     [{"args": ["2024-05-01"], "result": "2024-05-31"}, {"args": ["2023-02-10"], "result": "2023-02-24"}, {"args": ["2024-12-31"], "result": "2024-12-27"},
      {"args": ["2024-03-30"], "result": "2024-03-29"}], """
from datetime import date, timedelta
def last_friday_of_month(self, date_text):
    d = date.fromisoformat(date_text)
    last = (d.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)
    return (last - timedelta(days=(last.weekday() - 4) % 7)).isoformat()
""")
task("is_same_week", "tell whether two dates given as YYYY-MM-DD fall in the same week, each week running from Monday to Sunday", ["2024-03-11", "2024-03-14"],
     [{"args": ["2024-03-11", "2024-03-17"], "result": True}, {"args": ["2024-03-17", "2024-03-18"], "result": False},
      {"args": ["2024-12-30", "2025-01-05"], "result": True}, {"args": ["2024-03-11", "2025-03-11"], "result": False},
      {"args": ["2024-03-13", "2024-03-13"], "result": True}], """
from datetime import date, timedelta
def is_same_week(self, first, second):
    a, b = date.fromisoformat(first), date.fromisoformat(second)
    return a - timedelta(days=a.weekday()) == b - timedelta(days=b.weekday())
""")
task("transfer_to_savings", "move an amount from the checking slot to the savings slot and return True when checking holds at least that amount, or change nothing and return False when it does not",
     [50], [{"given": {"checking": 30, "savings": 0}, "args": [50], "result": False, "slots": {"checking": 30, "savings": 0}},
            {"given": {"checking": 50, "savings": 5}, "args": [50], "result": True, "slots": {"checking": 0, "savings": 55}},
            {"given": {"checking": 10.5, "savings": 1}, "args": [0.5], "result": True, "slots": {"checking": 10.0, "savings": 1.5}}], """
def transfer_to_savings(self, amount):
    if self.checking < amount:
        return False
    self.checking -= amount
    self.savings += amount
    return True
""", slots={"checking": 200, "savings": 100})
task("toggle_selection", "remove an item from the selected slot (a list) when it is in it, or add it to the end of the list when it is not, and return how many items are selected afterwards",
     ["b"], [{"given": {"selected": ["a", "b"]}, "args": ["a"], "result": 1, "slots": {"selected": ["b"]}},
             {"given": {"selected": []}, "args": ["x"], "result": 1, "slots": {"selected": ["x"]}},
             {"given": {"selected": ["x", "y"]}, "args": ["z"], "result": 3, "slots": {"selected": ["x", "y", "z"]}}], """
def toggle_selection(self, item):
    if item in self.selected:
        self.selected.remove(item)
    else:
        self.selected.append(item)
    return len(self.selected)
""", slots={"selected": ["a"]})
task("rotate_queue", "move the first item of the queue slot (a list) to its end and return the item that is first now, or return None when the queue is empty", [],
     [{"given": {"queue": [1, 2, 3]}, "args": [], "result": 2, "slots": {"queue": [2, 3, 1]}},
      {"given": {"queue": ["solo"]}, "args": [], "result": "solo", "slots": {"queue": ["solo"]}},
      {"given": {"queue": []}, "args": [], "result": None, "slots": {"queue": []}},
      {"given": {"queue": ["x", "y"]}, "args": [], "result": "y", "slots": {"queue": ["y", "x"]}}], """
def rotate_queue(self):
    if not self.queue:
        return None
    self.queue.append(self.queue.pop(0))
    return self.queue[0]
""", slots={"queue": ["a", "b", "c"]})
task("record_visit", "record a visit on a date given as YYYY-MM-DD: when it is the day right after the date in the last_visit slot add one to the streak slot, when it is that same date leave the streak as it is, and otherwise set the streak to 1; then store the date in last_visit and return the streak",
     ["2024-03-11"], [{"given": {"last_visit": "2024-02-28", "streak": 2}, "args": ["2024-02-29"], "result": 3, "slots": {"last_visit": "2024-02-29", "streak": 3}},
                      {"given": {"last_visit": "2024-03-10", "streak": 5}, "args": ["2024-03-10"], "result": 5, "slots": {"last_visit": "2024-03-10", "streak": 5}},
                      {"given": {"last_visit": "2024-03-01", "streak": 7}, "args": ["2024-03-05"], "result": 1, "slots": {"last_visit": "2024-03-05", "streak": 1}},
                      {"given": {"last_visit": "2023-12-31", "streak": 1}, "args": ["2024-01-01"], "result": 2, "slots": {"last_visit": "2024-01-01", "streak": 2}}], """
from datetime import date
def record_visit(self, day):
    gap = (date.fromisoformat(day) - date.fromisoformat(self.last_visit)).days
    if gap == 1:
        self.streak += 1
    elif gap != 0:
        self.streak = 1
    self.last_visit = day
    return self.streak
""", slots={"last_visit": "2024-03-10", "streak": 4})
task("replace_tag", "replace every occurrence of an old tag in the tags slot (a list) with a new tag, keeping the positions, and return how many were replaced", ["red", "crimson"],
     [{"given": {"tags": ["a", "b"]}, "args": ["z", "y"], "result": 0, "slots": {"tags": ["a", "b"]}},
      {"given": {"tags": ["a", "b", "a"]}, "args": ["a", "c"], "result": 2, "slots": {"tags": ["c", "b", "c"]}},
      {"given": {"tags": []}, "args": ["a", "b"], "result": 0, "slots": {"tags": []}},
      {"given": {"tags": ["Red", "red"]}, "args": ["red", "x"], "result": 1, "slots": {"tags": ["Red", "x"]}}], """
def replace_tag(self, old, new):
    n = self.tags.count(old)
    self.tags = [new if t == old else t for t in self.tags]
    return n
""", slots={"tags": ["red", "blue", "red"]})
task("keep_top_three", "add a score to the top slot (a list of numbers), keep only the three highest scores there, sorted from highest to lowest, and return that list", [75],
     [{"given": {"top": []}, "args": [5], "result": [5], "slots": {"top": [5]}},
      {"given": {"top": [9, 8, 7]}, "args": [1], "result": [9, 8, 7], "slots": {"top": [9, 8, 7]}},
      {"given": {"top": [3, 1]}, "args": [2], "result": [3, 2, 1], "slots": {"top": [3, 2, 1]}},
      {"given": {"top": [10, 10, 5]}, "args": [10], "result": [10, 10, 10], "slots": {"top": [10, 10, 10]}}], """
def keep_top_three(self, score):
    self.top = sorted(self.top + [score], reverse=True)[:3]
    return self.top
""", slots={"top": [90, 80, 60]})
task("charge_battery", "add an amount of charge to the charge slot without letting it go above the capacity slot, and return how much charge was actually added", [30],
     [{"given": {"charge": 90, "capacity": 100}, "args": [30], "result": 10, "slots": {"charge": 100, "capacity": 100}},
      {"given": {"charge": 100, "capacity": 100}, "args": [5], "result": 0, "slots": {"charge": 100}},
      {"given": {"charge": 0, "capacity": 80}, "args": [25], "result": 25, "slots": {"charge": 25}},
      {"given": {"charge": 10, "capacity": 20}, "args": [0], "result": 0, "slots": {"charge": 10}}], """
def charge_battery(self, amount):
    added = min(amount, self.capacity - self.charge)
    self.charge += added
    return added
""", slots={"charge": 50, "capacity": 100})
task("apply_coupon", "apply a coupon code: when the code is a key of the coupons slot (a dict from codes to discounts in percent) and is not yet in the used slot (a list), add it to the end of used and lower the total slot by that percent, rounded to 2 decimals; in every case return the total",
     ["SAVE10"], [{"given": {"coupons": {"A": 25}, "used": [], "total": 40}, "args": ["A"], "result": 30.0, "slots": {"used": ["A"], "total": 30.0}},
                  {"given": {"coupons": {"A": 25}, "used": ["A"], "total": 40}, "args": ["A"], "result": 40, "slots": {"used": ["A"], "total": 40}},
                  {"given": {"coupons": {"A": 25}, "used": [], "total": 40}, "args": ["B"], "result": 40, "slots": {"used": [], "total": 40}},
                  {"given": {"coupons": {"X": 15}, "used": ["A"], "total": 19.99}, "args": ["X"], "result": 16.99, "slots": {"used": ["A", "X"], "total": 16.99}}], """
def apply_coupon(self, code):
    if code in self.coupons and code not in self.used:
        self.used.append(code)
        self.total = round(self.total * (100 - self.coupons[code]) / 100, 2)
    return self.total
""", slots={"coupons": {"SAVE10": 10, "HALF": 50}, "used": [], "total": 80})
write("learning_tasks_novel6.jsonl")

# --- novel7 (written 2026-11-24 by a helper, after novel6 was written, before any run of it; no rule drawn from it) ---
task("first_unique_char", "return the first character of a text that appears in it only once, an upper-case and a lower-case letter counting as different characters, or None when every character appears more than once",
     ["swiss"], [{"args": ["aabbc"], "result": "c"}, {"args": ["aA"], "result": "a"}, {"args": ["abab"], "result": None}, {"args": [""], "result": None},
                 {"args": ["xxyzy"], "result": "z"}], """
def first_unique_char(self, text):
    for c in text:
        if text.count(c) == 1:
            return c
    return None
""")
task("count_overlapping", "count how many times a non-empty pattern occurs in a text, counting occurrences that overlap, so 'aa' occurs 3 times in 'aaaa', an upper-case and a lower-case letter counting as different",
     ["banana", "ana"], [{"args": ["aaaaa", "aa"], "result": 4}, {"args": ["abababa", "aba"], "result": 3}, {"args": ["abc", "abcd"], "result": 0},
                         {"args": ["aAa", "a"], "result": 2}], """
def count_overlapping(self, text, pattern):
    return sum(1 for i in range(len(text) - len(pattern) + 1) if text[i:i + len(pattern)] == pattern)
""")
task("reverse_each_word", "reverse the characters of each word of a sentence whose words are separated by single spaces, keeping the words in their order",
     ["hello world"], [{"args": ["a bc"], "result": "a cb"}, {"args": [""], "result": ""}, {"args": ["Ab, cd!"], "result": ",bA !dc"},
                       {"args": ["level up"], "result": "level pu"}], """
def reverse_each_word(self, sentence):
    return " ".join(w[::-1] for w in sentence.split(" "))
""")
task("decode_run_length", "expand a text in which each letter is followed by the number of times it is repeated, such as 'a3b1c2', into the full text, here 'aaabcc', a number possibly having several digits",
     ["x2y3"], [{"args": ["x12"], "result": "xxxxxxxxxxxx"}, {"args": [""], "result": ""}, {"args": ["a0b2"], "result": "bb"}, {"args": ["A2a1"], "result": "AAa"},
                {"args": ["q1"], "result": "q"}], r"""
import re
def decode_run_length(self, text):
    return "".join(c * int(n) for c, n in re.findall(r"(\D)(\d+)", text))
""")
task("numeronym", "shorten a word of 4 or more letters to its first letter, the count of the letters between its first and last letters, and its last letter, as 'internationalization' gives 'i18n', leaving shorter words unchanged",
     ["accessibility"], [{"args": ["word"], "result": "w2d"}, {"args": ["cat"], "result": "cat"}, {"args": ["Kubernetes"], "result": "K8s"}, {"args": ["a"], "result": "a"},
                         {"args": ["localization"], "result": "l10n"}], """
def numeronym(self, word):
    return word if len(word) < 4 else f"{word[0]}{len(word) - 2}{word[-1]}"
""")
task("center_text", "center a text in a field of a given width by adding spaces on both sides, putting the odd space on the right when the padding cannot be split evenly, and return a text that is already at least that wide unchanged",
     ["cat", 9], [{"args": ["ab", 5], "result": " ab  "}, {"args": ["abcd", 7], "result": " abcd  "}, {"args": ["hello", 3], "result": "hello"}, {"args": ["", 2], "result": "  "},
                  {"args": ["hi", 6], "result": "  hi  "}], """
def center_text(self, text, width):
    pad = max(0, width - len(text))
    return " " * (pad // 2) + text + " " * (pad - pad // 2)
""")
task("sum_between", "add up all the whole numbers from a first number to a second, both included, whichever of the two is the larger", [1, 4],
     [{"args": [5, 1], "result": 15}, {"args": [3, 3], "result": 3}, {"args": [-2, 2], "result": 0}, {"args": [-3, -1], "result": -6}], """
def sum_between(self, a, b):
    return sum(range(min(a, b), max(a, b) + 1))
""")
task("boxes_needed", "return how many boxes are needed to pack a number of items when each box holds at most a given number of items", [7, 3],
     [{"args": [10, 5], "result": 2}, {"args": [11, 5], "result": 3}, {"args": [0, 4], "result": 0}, {"args": [1, 100], "result": 1}], """
def boxes_needed(self, items, per_box):
    return -(-items // per_box)
""")
task("format_bytes", "write a number of bytes as a readable size: below 1024 as the whole number followed by ' B', otherwise in 'KB', 'MB' or 'GB', each 1024 times the one before, choosing the largest of these units in which the size is at least 1 and writing it with one decimal, e.g. 2048 gives '2.0 KB'",
     [1536], [{"args": [1023], "result": "1023 B"}, {"args": [1024], "result": "1.0 KB"}, {"args": [0], "result": "0 B"}, {"args": [1048576], "result": "1.0 MB"},
              {"args": [5368709120], "result": "5.0 GB"}], """
def format_bytes(self, size):
    if size < 1024:
        return f"{size} B"
    x = size
    for unit in ("KB", "MB", "GB"):
        x /= 1024
        if x < 1024 or unit == "GB":
            return f"{x:.1f} {unit}"
""")
task("letter_grade", "turn a score out of 100 into a letter grade: 'A' for 90 and above, 'B' from 80 up to but not including 90, 'C' from 70 up to 80, 'D' from 60 up to 70, and 'F' below 60",
     [85], [{"args": [90], "result": "A"}, {"args": [89.9], "result": "B"}, {"args": [60], "result": "D"}, {"args": [59.5], "result": "F"}, {"args": [70], "result": "C"}], """
def letter_grade(self, score):
    return "A" if score >= 90 else "B" if score >= 80 else "C" if score >= 70 else "D" if score >= 60 else "F"
""")
task("century_of", "return the century a positive year belongs to, the 20th century being the years 1901 to 2000", [1987],
     [{"args": [2000], "result": 20}, {"args": [2001], "result": 21}, {"args": [1], "result": 1}, {"args": [100], "result": 1}, {"args": [101], "result": 2}], """
def century_of(self, year):
    return (year + 99) // 100
""")
task("closest_to_zero", "return the number of a non-empty list that is closest to zero, choosing the positive one when a positive and a negative number are equally close", [[7, -3, 4]],
     [{"args": [[-2, 2]], "result": 2}, {"args": [[2, -2]], "result": 2}, {"args": [[-1, 5]], "result": -1}, {"args": [[-0.5, 0.5, 3]], "result": 0.5},
      {"args": [[-4, -9]], "result": -4}], """
def closest_to_zero(self, numbers):
    return min(numbers, key=lambda x: (abs(x), x < 0))
""")
task("max_window_sum", "return the largest sum of k neighbouring numbers of a list, k being at least 1 and at most the length of the list", [[1, 3, -2, 5, 1], 2],
     [{"args": [[-1, -2, -3], 1], "result": -1}, {"args": [[1, 2, 3], 3], "result": 6}, {"args": [[5, -10, 6, 1], 2], "result": 7}, {"args": [[2, -1, 2], 2], "result": 1},
      {"args": [[4], 1], "result": 4}], """
def max_window_sum(self, numbers, k):
    return max(sum(numbers[i:i + k]) for i in range(len(numbers) - k + 1))
""")
task("find_peaks", "return the positions, counting from 0, of the numbers of a list that are larger than both of their neighbours, the first and the last number never counting", [[1, 3, 2, 5, 4]],
     [{"args": [[3, 1, 3]], "result": []}, {"args": [[1, 2, 2, 1]], "result": []}, {"args": [[]], "result": []}, {"args": [[0, 5, 0, 5, 0]], "result": [1, 3]},
      {"args": [[7]], "result": []}], """
def find_peaks(self, numbers):
    return [i for i in range(1, len(numbers) - 1) if numbers[i - 1] < numbers[i] > numbers[i + 1]]
""")
task("compress_ranges", "write a list of distinct whole numbers, sorted from smallest to largest, as a text of parts separated by commas, each run of consecutive numbers written as its first and last number joined by '-' and a number with no neighbour on its own, e.g. [1, 2, 3, 7, 9, 10] gives '1-3,7,9-10'",
     [[4, 5, 6, 10, 12, 13]], [{"args": [[]], "result": ""}, {"args": [[5]], "result": "5"}, {"args": [[1, 2]], "result": "1-2"}, {"args": [[1, 3, 5]], "result": "1,3,5"},
                               {"args": [[0, 1, 2, 3]], "result": "0-3"}], """
def compress_ranges(self, numbers):
    parts, i = [], 0
    while i < len(numbers):
        j = i
        while j + 1 < len(numbers) and numbers[j + 1] == numbers[j] + 1:
            j += 1
        parts.append(str(numbers[i]) if i == j else f"{numbers[i]}-{numbers[j]}")
        i = j + 1
    return ",".join(parts)
""")
task("top_keys", "return, in alphabetical order, every key of a dict of numbers whose value equals the largest value in it, or an empty list when the dict is empty", [{"ann": 7, "bob": 9, "cy": 9}],
     [{"args": [{}], "result": []}, {"args": [{"z": -1}], "result": ["z"]}, {"args": [{"b": 2, "a": 2}], "result": ["a", "b"]}, {"args": [{"x": 0, "y": -3}], "result": ["x"]}], """
def top_keys(self, mapping):
    if not mapping:
        return []
    m = max(mapping.values())
    return sorted(k for k, v in mapping.items() if v == m)
""")
task("query_string", "write a dict as a web query string, its key=value pairs joined with '&' in alphabetical order of the keys, and an empty dict as an empty text", [{"q": "shoes", "page": 2}],
     [{"args": [{}], "result": ""}, {"args": [{"b": 2, "a": "x"}], "result": "a=x&b=2"}, {"args": [{"page": 3, "lang": "en", "id": 7}], "result": "id=7&lang=en&page=3"},
      {"args": [{"k": ""}], "result": "k="}], """
def query_string(self, params):
    return "&".join(f"{k}={params[k]}" for k in sorted(params))
""")
task("stock_after_order", "take an order, a dict from items to quantities, out of a stock, a dict from items to quantities that holds at least as much of each ordered item, and return the remaining stock, leaving out every item whose quantity is 0 afterwards",
     [{"pen": 10, "ink": 3}, {"pen": 4}], [{"args": [{"a": 5, "b": 2}, {"a": 2, "b": 2}], "result": {"a": 3}}, {"args": [{"a": 1}, {}], "result": {"a": 1}},
                                           {"args": [{"a": 0, "b": 1}, {}], "result": {"b": 1}}, {"args": [{}, {}], "result": {}},
                                           {"args": [{"pen": 10, "ink": 3}, {"pen": 10}], "result": {"ink": 3}}], """
def stock_after_order(self, stock, order):
    out = {k: v - order.get(k, 0) for k, v in stock.items()}
    return {k: v for k, v in out.items() if v != 0}
""")
task("first_of_month", "return the first day of the month in which a date given as YYYY-MM-DD falls, in the same form", ["2024-03-15"],
     [{"args": ["2024-03-01"], "result": "2024-03-01"}, {"args": ["2023-12-31"], "result": "2023-12-01"}, {"args": ["2024-02-29"], "result": "2024-02-01"}], """
from datetime import date
def first_of_month(self, date_text):
    return date.fromisoformat(date_text).replace(day=1).isoformat()
""")
task("overlap_days", "count how many days two periods have in common, each period given as a list of its first and last day written as YYYY-MM-DD, both days included, or 0 when they do not overlap",
     [["2024-03-01", "2024-03-10"], ["2024-03-08", "2024-03-20"]],
     [{"args": [["2024-03-01", "2024-03-05"], ["2024-03-06", "2024-03-09"]], "result": 0}, {"args": [["2024-03-05", "2024-03-05"], ["2024-03-01", "2024-03-31"]], "result": 1},
      {"args": [["2024-02-20", "2024-03-10"], ["2024-02-27", "2024-03-02"]], "result": 5}, {"args": [["2024-03-10", "2024-03-20"], ["2024-03-01", "2024-03-10"]], "result": 1},
      {"args": [["2024-05-01", "2024-05-02"], ["2024-01-01", "2024-01-31"]], "result": 0}], """
from datetime import date
def overlap_days(self, first, second):
    lo, hi = max(date.fromisoformat(first[0]), date.fromisoformat(second[0])), min(date.fromisoformat(first[1]), date.fromisoformat(second[1]))
    return max(0, (hi - lo).days + 1)
""")
task("sort_dmy_dates", "sort a list of dates written as DD/MM/YYYY from earliest to latest, keeping them in that form", [["15/03/2024", "01/12/2023"]],
     [{"args": [["02/01/2024", "01/02/2023"]], "result": ["01/02/2023", "02/01/2024"]}, {"args": [[]], "result": []},
      {"args": [["31/12/2023", "01/01/2024", "15/06/2023"]], "result": ["15/06/2023", "31/12/2023", "01/01/2024"]},
      {"args": [["10/05/2024", "09/05/2024", "10/05/2024"]], "result": ["09/05/2024", "10/05/2024", "10/05/2024"]}], """
from datetime import datetime
def sort_dmy_dates(self, dates):
    return sorted(dates, key=lambda s: datetime.strptime(s, "%d/%m/%Y"))
""")
task("days_to_birthday", "count the days from a date given as YYYY-MM-DD until a birthday given as MM-DD next comes round, 0 when the date is that birthday itself, the birthday never being 29 February",
     ["2024-03-10", "03-15"], [{"args": ["2024-03-15", "03-15"], "result": 0}, {"args": ["2024-03-16", "03-15"], "result": 364}, {"args": ["2023-12-31", "01-01"], "result": 1},
                               {"args": ["2024-01-01", "12-31"], "result": 365}, {"args": ["2023-03-01", "02-28"], "result": 364}], """
from datetime import date
def days_to_birthday(self, date_text, birthday):
    d = date.fromisoformat(date_text)
    m, dd = map(int, birthday.split("-"))
    nxt = date(d.year, m, dd)
    if nxt < d:
        nxt = date(d.year + 1, m, dd)
    return (nxt - d).days
""")
task("advance_status", "move the status slot one step along the stages 'draft', 'review' and 'published', in that order, leaving it as it is when it is already 'published', and return the new status", [],
     [{"given": {"status": "review"}, "args": [], "result": "published", "slots": {"status": "published"}},
      {"given": {"status": "published"}, "args": [], "result": "published", "slots": {"status": "published"}},
      {"given": {"status": "draft"}, "args": [], "result": "review", "slots": {"status": "review"}}], """
def advance_status(self):
    stages = ["draft", "review", "published"]
    self.status = stages[min(stages.index(self.status) + 1, len(stages) - 1)]
    return self.status
""", slots={"status": "draft"})
task("clear_completed", "remove every finished task from the tasks slot, a list of [name, done] pairs with done true or false, keeping the others in their order, and return how many were removed", [],
     [{"given": {"tasks": [["a", False], ["b", False]]}, "args": [], "result": 0, "slots": {"tasks": [["a", False], ["b", False]]}},
      {"given": {"tasks": [["a", True], ["b", True]]}, "args": [], "result": 2, "slots": {"tasks": []}},
      {"given": {"tasks": []}, "args": [], "result": 0, "slots": {"tasks": []}},
      {"given": {"tasks": [["x", False], ["y", True], ["z", False]]}, "args": [], "result": 1, "slots": {"tasks": [["x", False], ["z", False]]}}], """
def clear_completed(self):
    n = len(self.tasks)
    self.tasks = [t for t in self.tasks if not t[1]]
    return n - len(self.tasks)
""", slots={"tasks": [["wash", True], ["cook", False], ["shop", True]]})
task("rename_player", "rename a player in the scores slot, a dict from names to points, keeping their points, and return True, or change nothing and return False when the old name is not in it or the new name already is", ["ann", "anna"],
     [{"given": {"scores": {"bob": 5}}, "args": ["ann", "anna"], "result": False, "slots": {"scores": {"bob": 5}}},
      {"given": {"scores": {"ann": 3, "bob": 5}}, "args": ["ann", "bob"], "result": False, "slots": {"scores": {"ann": 3, "bob": 5}}},
      {"given": {"scores": {"cy": 0}}, "args": ["cy", "Cy"], "result": True, "slots": {"scores": {"Cy": 0}}},
      {"given": {"scores": {"bob": 5}}, "args": ["bob", "bob"], "result": False, "slots": {"scores": {"bob": 5}}}], """
def rename_player(self, old, new):
    if old not in self.scores or new in self.scores:
        return False
    self.scores[new] = self.scores.pop(old)
    return True
""", slots={"scores": {"ann": 3, "bob": 5}})
task("set_password", "store a new password in the password slot only when it has at least 8 characters and at least one digit, and return whether it was stored", ["hunter2024"],
     [{"given": {"password": "old12345"}, "args": ["short1"], "result": False, "slots": {"password": "old12345"}},
      {"given": {"password": "old12345"}, "args": ["abcdefgh"], "result": False, "slots": {"password": "old12345"}},
      {"given": {"password": "old12345"}, "args": ["abcdefg1"], "result": True, "slots": {"password": "abcdefg1"}},
      {"given": {"password": "old12345"}, "args": ["12345678"], "result": True, "slots": {"password": "12345678"}}], """
def set_password(self, password):
    if len(password) >= 8 and any(c.isdigit() for c in password):
        self.password = password
        return True
    return False
""", slots={"password": "secret123"})
task("shift_appointments", "move every date in the appointments slot, a list of dates written as YYYY-MM-DD, later by n days, keeping their order, and return the earliest of the new dates, or None when the list is empty", [3],
     [{"given": {"appointments": ["2024-02-28", "2024-01-30"]}, "args": [2], "result": "2024-02-01", "slots": {"appointments": ["2024-03-01", "2024-02-01"]}},
      {"given": {"appointments": []}, "args": [5], "result": None, "slots": {"appointments": []}},
      {"given": {"appointments": ["2023-12-31"]}, "args": [1], "result": "2024-01-01", "slots": {"appointments": ["2024-01-01"]}},
      {"given": {"appointments": ["2024-03-10", "2024-03-05"]}, "args": [0], "result": "2024-03-05", "slots": {"appointments": ["2024-03-10", "2024-03-05"]}}], """
from datetime import date, timedelta
def shift_appointments(self, days):
    self.appointments = [(date.fromisoformat(d) + timedelta(days=days)).isoformat() for d in self.appointments]
    return min(self.appointments) if self.appointments else None
""", slots={"appointments": ["2024-03-10", "2024-03-05"]})
task("bump_version", "raise one part, 'major', 'minor' or 'patch', of the version slot, a text like '1.4.2' of those three whole numbers, by one, set the parts after it to 0, store the new version and return it", ["minor"],
     [{"given": {"version": "1.4.2"}, "args": ["major"], "result": "2.0.0", "slots": {"version": "2.0.0"}},
      {"given": {"version": "1.4.9"}, "args": ["patch"], "result": "1.4.10", "slots": {"version": "1.4.10"}},
      {"given": {"version": "0.9.3"}, "args": ["minor"], "result": "0.10.0", "slots": {"version": "0.10.0"}},
      {"given": {"version": "3.0.0"}, "args": ["patch"], "result": "3.0.1", "slots": {"version": "3.0.1"}}], """
def bump_version(self, part):
    v = [int(x) for x in self.version.split(".")]
    i = ["major", "minor", "patch"].index(part)
    v = v[:i] + [v[i] + 1] + [0] * (2 - i)
    self.version = ".".join(map(str, v))
    return self.version
""", slots={"version": "1.4.2"})
task("push_limited", "add an item to the end of the stack slot (a list) only when it holds fewer items than the limit slot, and return whether it was added", ["b"],
     [{"given": {"stack": ["x", "y"], "limit": 2}, "args": ["z"], "result": False, "slots": {"stack": ["x", "y"]}},
      {"given": {"stack": [], "limit": 0}, "args": ["a"], "result": False, "slots": {"stack": []}},
      {"given": {"stack": ["x"], "limit": 2}, "args": ["x"], "result": True, "slots": {"stack": ["x", "x"], "limit": 2}},
      {"given": {"stack": [], "limit": 1}, "args": [7], "result": True, "slots": {"stack": [7]}}], """
def push_limited(self, item):
    if len(self.stack) >= self.limit:
        return False
    self.stack.append(item)
    return True
""", slots={"stack": ["a"], "limit": 3})
task("check_in_guest", "check a guest into the free room with the lowest room number in the rooms slot, a dict from room numbers written as text to the name of the guest in the room or None when it is free, and return that room number, or return None and change nothing when no room is free",
     ["ben"], [{"given": {"rooms": {"9": None, "10": None}}, "args": ["cy"], "result": "9", "slots": {"rooms": {"9": "cy", "10": None}}},
               {"given": {"rooms": {"1": "amy", "2": "bo"}}, "args": ["cy"], "result": None, "slots": {"rooms": {"1": "amy", "2": "bo"}}},
               {"given": {"rooms": {"12": None, "3": "x", "7": None}}, "args": ["dee"], "result": "7", "slots": {"rooms": {"12": None, "3": "x", "7": "dee"}}},
               {"given": {"rooms": {}}, "args": ["eve"], "result": None, "slots": {"rooms": {}}}], """
def check_in_guest(self, guest):
    free = [r for r, g in self.rooms.items() if g is None]
    if not free:
        return None
    room = min(free, key=int)
    self.rooms[room] = guest
    return room
""", slots={"rooms": {"101": "amy", "102": None, "103": None}})
write("learning_tasks_novel7.jsonl")

# --- novel8 (written 2026-11-24 by a helper, after novel7 was run, before any run of it; no rule drawn from it) ---
task("word_with_most_vowels", "return the word of a sentence, the words being separated by spaces, that has the most vowels (a, e, i, o and u, in upper or lower case), the earliest of them when several have the same number, or an empty text when the sentence has no words",
     ["the quick brown fox"], [{"args": ["sky is blue"], "result": "blue"}, {"args": ["AEIOU xyz"], "result": "AEIOU"}, {"args": [""], "result": ""},
                               {"args": ["cat dog"], "result": "cat"}, {"args": ["rhythm"], "result": "rhythm"}], """
def word_with_most_vowels(self, sentence):
    words = sentence.split()
    return max(words, key=lambda w: sum(c.lower() in "aeiou" for c in w)) if words else ""
""")
task("wrap_words", "break a text into lines of at most a given width, putting on each line as many of the remaining words as fit, joined by single spaces, a word longer than the width going on a line of its own, and return the list of lines, an empty list when the text has no words",
     ["the quick brown fox jumps", 10], [{"args": ["", 5], "result": []}, {"args": ["a b c", 3], "result": ["a b", "c"]},
                                         {"args": ["extraordinary is long", 5], "result": ["extraordinary", "is", "long"]}, {"args": ["one two", 7], "result": ["one two"]},
                                         {"args": ["  spaced   out  ", 20], "result": ["spaced out"]}], """
def wrap_words(self, text, width):
    lines, cur = [], ""
    for w in text.split():
        if not cur:
            cur = w
        elif len(cur) + 1 + len(w) <= width:
            cur += " " + w
        else:
            lines.append(cur)
            cur = w
    if cur:
        lines.append(cur)
    return lines
""")
task("is_subsequence", "tell whether all the characters of a first text appear in a second text in the same order, though not necessarily next to each other, so 'ace' is in 'abcde' but 'aec' is not; an upper-case and a lower-case letter count as different, and an empty first text is always in",
     ["ace", "abcde"], [{"args": ["aec", "abcde"], "result": False}, {"args": ["", "xyz"], "result": True}, {"args": ["A", "abc"], "result": False},
                        {"args": ["aa", "a"], "result": False}, {"args": ["abc", "abc"], "result": True}], """
def is_subsequence(self, a, b):
    it = iter(b)
    return all(c in it for c in a)
""")
task("remove_parenthesized", "remove every part of a text written between round brackets, the brackets included, where every '(' is closed by a later ')' and brackets are never nested, leaving the rest exactly as it is, so 'a (b) c' gives 'a  c'",
     ["call me (maybe) tomorrow"], [{"args": ["no brackets"], "result": "no brackets"}, {"args": ["(x)(y)z"], "result": "z"}, {"args": ["f(1)+g(2)"], "result": "f+g"},
                                    {"args": ["()"], "result": ""}], r"""
import re
def remove_parenthesized(self, text):
    return re.sub(r"\([^)]*\)", "", text)
""")
task("longest_palindrome_substring", "return the longest run of neighbouring characters of a text that reads the same backwards, the one that starts first when several are equally long, an upper-case and a lower-case letter counting as different, or an empty text for an empty text",
     ["babad"], [{"args": ["cbbd"], "result": "bb"}, {"args": ["abc"], "result": "a"}, {"args": [""], "result": ""}, {"args": ["Aba"], "result": "A"},
                 {"args": ["forgeeksskeegfor"], "result": "geeksskeeg"}], """
def longest_palindrome_substring(self, text):
    best = ""
    for i in range(len(text)):
        for j in range(i + 1, len(text) + 1):
            if len(text[i:j]) > len(best) and text[i:j] == text[i:j][::-1]:
                best = text[i:j]
    return best
""")
task("luhn_valid", "tell whether a card number, given as a text of digits possibly with spaces between groups, passes the Luhn check: going from the rightmost digit to the left, double every second digit, subtract 9 from each doubled value above 9, and the number is valid when the sum of all the digits so obtained is divisible by 10; a text with fewer than two digits or with any character other than digits and spaces is not valid",
     ["4539 1488 0343 6467"], [{"args": ["8273 1232 7352 0569"], "result": False}, {"args": ["059"], "result": True}, {"args": ["0"], "result": False},
                               {"args": ["055 444 285"], "result": True}, {"args": ["055a 444 285"], "result": False}], """
import string
def luhn_valid(self, number):
    digits = number.replace(" ", "")
    if len(digits) < 2 or any(c not in string.digits for c in digits):
        return False
    total = 0
    for i, c in enumerate(reversed(digits)):
        x = int(c) * (2 if i % 2 else 1)
        total += x - 9 if x > 9 else x
    return total % 10 == 0
""")
task("factorial_trailing_zeros", "count the zeros at the end of the factorial of a non-negative whole number, for example 10 gives 2 because 10! is 3628800", [25],
     [{"args": [0], "result": 0}, {"args": [4], "result": 0}, {"args": [5], "result": 1}, {"args": [100], "result": 24}, {"args": [125], "result": 31}], """
def factorial_trailing_zeros(self, n):
    z, p = 0, 5
    while p <= n:
        z += n // p
        p *= 5
    return z
""")
task("digits_product", "multiply together the digits of a non-negative whole number, so 234 gives 24 and a number with a 0 among its digits gives 0", [234],
     [{"args": [7], "result": 7}, {"args": [0], "result": 0}, {"args": [105], "result": 0}, {"args": [1111], "result": 1}, {"args": [99], "result": 81}], """
import math
def digits_product(self, n):
    return math.prod(int(c) for c in str(n))
""")
task("next_palindrome_number", "return the smallest whole number larger than a given non-negative whole number whose digits read the same backwards, for example 123 gives 131 and 99 gives 101", [123],
     [{"args": [99], "result": 101}, {"args": [0], "result": 1}, {"args": [9], "result": 11}, {"args": [808], "result": 818}, {"args": [1991], "result": 2002}], """
def next_palindrome_number(self, n):
    n += 1
    while str(n) != str(n)[::-1]:
        n += 1
    return n
""")
task("split_bill_cents", "split a bill given in cents evenly between a number of people after adding a tip given as a whole percent of the bill, and return each person's share in whole cents, rounded up to the next cent when it does not come out even", [10000, 15, 4],
     [{"args": [1000, 0, 3], "result": 334}, {"args": [999, 10, 1], "result": 1099}, {"args": [0, 20, 5], "result": 0}, {"args": [2000, 25, 2], "result": 1250}], """
def split_bill_cents(self, bill, tip, people):
    return -(-bill * (100 + tip) // (100 * people))
""")
task("moving_average", "return the averages of every run of k neighbouring numbers of a list, from left to right, each rounded to 2 decimals, or an empty list when the list has fewer than k numbers, k being at least 1", [[1, 2, 3, 4, 5], 3],
     [{"args": [[1, 2], 3], "result": []}, {"args": [[10, 20], 1], "result": [10.0, 20.0]}, {"args": [[1, 2, 2], 2], "result": [1.5, 2.0]}, {"args": [[1, 1, 2], 3], "result": [1.33]},
      {"args": [[-1, 1], 2], "result": [0.0]}], """
def moving_average(self, numbers, k):
    return [round(sum(numbers[i:i + k]) / k, 2) for i in range(len(numbers) - k + 1)]
""")
task("dedupe_keep_last", "remove repeated items from a list, keeping only the last occurrence of each and the kept items in their order, an upper-case and a lower-case letter counting as different, so [1, 2, 1, 3, 2] gives [1, 3, 2]", [[1, 2, 1, 3, 2]],
     [{"args": [[]], "result": []}, {"args": [["a", "b", "a"]], "result": ["b", "a"]}, {"args": [[5, 5, 5]], "result": [5]}, {"args": [[1, 2, 3]], "result": [1, 2, 3]},
      {"args": [["A", "a", "A"]], "result": ["a", "A"]}], """
def dedupe_keep_last(self, items):
    return [x for i, x in enumerate(items) if x not in items[i + 1:]]
""")
task("equilibrium_index", "return the first position, counting from 0, in a list of numbers at which the sum of the numbers before it equals the sum of the numbers after it, an empty side summing to 0, or -1 when there is no such position", [[1, 7, 3, 6, 5, 6]],
     [{"args": [[1, 2, 3]], "result": -1}, {"args": [[2, 1, -1]], "result": 0}, {"args": [[5]], "result": 0}, {"args": [[]], "result": -1}, {"args": [[1, -1, 4]], "result": 2}], """
def equilibrium_index(self, numbers):
    return next((i for i in range(len(numbers)) if sum(numbers[:i]) == sum(numbers[i + 1:])), -1)
""")
task("count_inversions", "count the pairs of positions in a list of numbers where the earlier number is larger than the later one, for example [3, 1, 2] has 2 such pairs", [[3, 1, 2]],
     [{"args": [[]], "result": 0}, {"args": [[1, 2, 3]], "result": 0}, {"args": [[3, 2, 1]], "result": 3}, {"args": [[2, 2, 1]], "result": 2}, {"args": [[5, 1, 4, 2]], "result": 4}], """
def count_inversions(self, numbers):
    return sum(1 for i in range(len(numbers)) for j in range(i + 1, len(numbers)) if numbers[i] > numbers[j])
""")
task("list_leaders", "return, in their order, the numbers of a list that are larger than every number that comes after them, the last number always counting, or an empty list for an empty list", [[16, 17, 4, 3, 5, 2]],
     [{"args": [[]], "result": []}, {"args": [[1, 2, 3]], "result": [3]}, {"args": [[3, 3]], "result": [3]}, {"args": [[5, 4, 3]], "result": [5, 4, 3]}, {"args": [[-1]], "result": [-1]}], """
def list_leaders(self, numbers):
    return [x for i, x in enumerate(numbers) if all(x > y for y in numbers[i + 1:])]
""")
task("dense_rank", "replace each number of a list by its rank among the distinct numbers of the list, 1 for the smallest, equal numbers sharing a rank and no rank being skipped, so [30, 10, 30, 20] gives [3, 1, 3, 2]", [[30, 10, 30, 20]],
     [{"args": [[]], "result": []}, {"args": [[5]], "result": [1]}, {"args": [[2, 2, 2]], "result": [1, 1, 1]}, {"args": [[-1, 0, -1, 7]], "result": [1, 2, 1, 3]},
      {"args": [[1.5, 1, 2]], "result": [2, 1, 3]}], """
def dense_rank(self, numbers):
    return [sorted(set(numbers)).index(x) + 1 for x in numbers]
""")
task("group_by_extension", "group a list of file names by extension, the part of the name after its last dot written in lower case, into a dict from each extension to the names that have it in their order, a name without a dot going under the empty text",
     [["a.txt", "b.PNG", "c.txt"]], [{"args": [[]], "result": {}}, {"args": [["Makefile", "x.tar.gz"]], "result": {"": ["Makefile"], "gz": ["x.tar.gz"]}},
                                     {"args": [["A.JPG", "b.jpg"]], "result": {"jpg": ["A.JPG", "b.jpg"]}}, {"args": [["notes.md"]], "result": {"md": ["notes.md"]}}], """
def group_by_extension(self, names):
    out = {}
    for n in names:
        out.setdefault(n.rsplit(".", 1)[1].lower() if "." in n else "", []).append(n)
    return out
""")
task("merge_case_keys", "merge the keys of a dict of numbers that differ only in upper and lower case into one lower-case key whose value is the sum of their values, and return the new dict", [{"Apple": 2, "apple": 3, "Pear": 1}],
     [{"args": [{}], "result": {}}, {"args": [{"A": 1}], "result": {"a": 1}}, {"args": [{"x": 1, "X": -1}], "result": {"x": 0}},
      {"args": [{"Tea": 1.5, "TEA": 2, "tea": 0.5}], "result": {"tea": 4.0}}], """
def merge_case_keys(self, mapping):
    out = {}
    for k, v in mapping.items():
        out[k.lower()] = out.get(k.lower(), 0) + v
    return out
""")
task("stars_histogram", "draw a dict from lower-case names to non-negative whole counts as lines of the form 'name: ' followed by one '*' per count, the lines in alphabetical order of the names and joined by newlines, or an empty text for an empty dict", [{"b": 2, "a": 3}],
     [{"args": [{}], "result": ""}, {"args": [{"x": 0}], "result": "x: "}, {"args": [{"cat": 1}], "result": "cat: *"}, {"args": [{"z": 1, "m": 2, "a": 0}], "result": "a: \nm: **\nz: *"}], r"""
def stars_histogram(self, counts):
    return "\n".join(f"{k}: {'*' * counts[k]}" for k in sorted(counts))
""")
task("add_weekdays", "return the date a given number of working days (Monday to Friday) after a date written as YYYY-MM-DD, in the same form, stepping over Saturdays and Sundays, so 1 working day after Friday 2024-03-08 is Monday 2024-03-11, and 0 working days gives the date itself",
     ["2024-03-06", 3], [{"args": ["2024-03-08", 1], "result": "2024-03-11"}, {"args": ["2024-03-09", 0], "result": "2024-03-09"}, {"args": ["2024-03-09", 1], "result": "2024-03-11"},
                         {"args": ["2024-03-04", 5], "result": "2024-03-11"}, {"args": ["2024-12-31", 2], "result": "2025-01-02"}], """
from datetime import date, timedelta
def add_weekdays(self, date_text, days):
    d = date.fromisoformat(date_text)
    while days > 0:
        d += timedelta(days=1)
        if d.weekday() < 5:
            days -= 1
    return d.isoformat()
""")
task("quarter_end", "return the last day of the calendar quarter (January to March, April to June, July to September, October to December) in which a date written as YYYY-MM-DD falls, in the same form, for example '2024-05-10' gives '2024-06-30'",
     ["2024-05-10"], [{"args": ["2024-01-01"], "result": "2024-03-31"}, {"args": ["2024-12-31"], "result": "2024-12-31"}, {"args": ["2023-08-15"], "result": "2023-09-30"},
                      {"args": ["2024-10-02"], "result": "2024-12-31"}], """
from datetime import date, timedelta
def quarter_end(self, date_text):
    d = date.fromisoformat(date_text)
    m = ((d.month - 1) // 3 + 1) * 3
    return (date(d.year + m // 12, m % 12 + 1, 1) - timedelta(days=1)).isoformat()
""")
task("friday_13_count", "count how many months of a given year have their 13th day falling on a Friday", [2026],
     [{"args": [2015], "result": 3}, {"args": [2024], "result": 2}, {"args": [2023], "result": 2}, {"args": [2022], "result": 1}], """
from datetime import date
def friday_13_count(self, year):
    return sum(date(year, m, 13).weekday() == 4 for m in range(1, 13))
""")
task("restock_below", "raise every item of the stock slot, a dict from item names to quantities, whose quantity is below a given minimum up to that minimum, and return the names of the raised items in alphabetical order", [5],
     [{"given": {"stock": {"a": 5}}, "args": [5], "result": [], "slots": {"stock": {"a": 5}}},
      {"given": {"stock": {"b": 1, "a": 0}}, "args": [2], "result": ["a", "b"], "slots": {"stock": {"b": 2, "a": 2}}},
      {"given": {"stock": {}}, "args": [3], "result": [], "slots": {"stock": {}}},
      {"given": {"stock": {"x": 7, "y": 3}}, "args": [0], "result": [], "slots": {"stock": {"x": 7, "y": 3}}},
      {"given": {"stock": {"x": -2, "y": 4}}, "args": [4], "result": ["x"], "slots": {"stock": {"x": 4, "y": 4}}}], """
def restock_below(self, minimum):
    low = sorted(k for k, v in self.stock.items() if v < minimum)
    for k in low:
        self.stock[k] = minimum
    return low
""", slots={"stock": {"pens": 2, "ink": 9, "pads": 0}})
task("cancel_booking", "cancel every booking made under a name, matched exactly, in the bookings slot, a list of [name, seat number] pairs, keeping the other bookings in their order, and return the seat numbers that were freed, from smallest to largest", ["ann"],
     [{"given": {"bookings": [["bob", 3]]}, "args": ["ann"], "result": [], "slots": {"bookings": [["bob", 3]]}},
      {"given": {"bookings": []}, "args": ["x"], "result": [], "slots": {"bookings": []}},
      {"given": {"bookings": [["Ann", 1], ["ann", 2]]}, "args": ["ann"], "result": [2], "slots": {"bookings": [["Ann", 1]]}},
      {"given": {"bookings": [["cy", 7], ["dee", 1], ["cy", 7]]}, "args": ["cy"], "result": [7, 7], "slots": {"bookings": [["dee", 1]]}}], """
def cancel_booking(self, name):
    freed = sorted(s for n, s in self.bookings if n == name)
    self.bookings = [b for b in self.bookings if b[0] != name]
    return freed
""", slots={"bookings": [["ann", 12], ["bob", 3], ["ann", 5]]})
task("mark_attendance", "mark a person present: when the name, matched exactly, is in the roster slot (a list of names) and not yet in the present slot (a list), add it to the end of present; in every case return how many names present holds afterwards", ["ann"],
     [{"given": {"roster": ["ann", "bob"], "present": ["ann"]}, "args": ["ann"], "result": 1, "slots": {"present": ["ann"]}},
      {"given": {"roster": ["ann"], "present": []}, "args": ["zed"], "result": 0, "slots": {"present": []}},
      {"given": {"roster": ["ann", "bob"], "present": []}, "args": ["bob"], "result": 1, "slots": {"present": ["bob"], "roster": ["ann", "bob"]}},
      {"given": {"roster": ["Ann"], "present": []}, "args": ["ann"], "result": 0, "slots": {"present": []}}], """
def mark_attendance(self, name):
    if name in self.roster and name not in self.present:
        self.present.append(name)
    return len(self.present)
""", slots={"roster": ["ann", "bob", "cy"], "present": ["bob"]})
task("redeem_points", "turn the points slot into vouchers: for each whole 100 points it holds, add 1 to the vouchers slot and take those 100 points off, keeping the remainder below 100, and return how many vouchers were added", [],
     [{"given": {"points": 99, "vouchers": 0}, "args": [], "result": 0, "slots": {"points": 99, "vouchers": 0}},
      {"given": {"points": 100, "vouchers": 2}, "args": [], "result": 1, "slots": {"points": 0, "vouchers": 3}},
      {"given": {"points": 1234, "vouchers": 0}, "args": [], "result": 12, "slots": {"points": 34, "vouchers": 12}},
      {"given": {"points": 0, "vouchers": 5}, "args": [], "result": 0, "slots": {"points": 0, "vouchers": 5}}], """
def redeem_points(self):
    n = self.points // 100
    self.points -= 100 * n
    self.vouchers += n
    return n
""", slots={"points": 350, "vouchers": 1})
task("allow_request", "decide whether a request made at a given time in seconds is allowed: first remove from the requests slot, a list of earlier request times in seconds, every time that is 60 or more seconds before the given time; then, when fewer times than the limit slot remain, add the given time to the end of requests and return True, otherwise return False", [100],
     [{"given": {"requests": [0, 30, 59], "limit": 3}, "args": [60], "result": True, "slots": {"requests": [30, 59, 60]}},
      {"given": {"requests": [10, 20, 30], "limit": 3}, "args": [40], "result": False, "slots": {"requests": [10, 20, 30]}},
      {"given": {"requests": [], "limit": 0}, "args": [5], "result": False, "slots": {"requests": []}},
      {"given": {"requests": [1, 2], "limit": 1}, "args": [200], "result": True, "slots": {"requests": [200]}},
      {"given": {"requests": [5, 6], "limit": 2}, "args": [65], "result": True, "slots": {"requests": [6, 65]}}], """
def allow_request(self, now):
    self.requests = [t for t in self.requests if t > now - 60]
    if len(self.requests) < self.limit:
        self.requests.append(now)
        return True
    return False
""", slots={"requests": [10, 50, 70], "limit": 3})
task("move_card", "move a card between two columns of the board slot, a dict from column names to lists of cards: take the card's first occurrence out of the first column and add the card to the end of the second column, returning True, or change nothing and return False when either column does not exist or the card is not in the first column",
     ["b", "todo", "doing"], [{"given": {"board": {"todo": ["x"], "done": []}}, "args": ["y", "todo", "done"], "result": False, "slots": {"board": {"todo": ["x"], "done": []}}},
                              {"given": {"board": {"todo": ["x"], "done": []}}, "args": ["x", "todo", "archive"], "result": False, "slots": {"board": {"todo": ["x"], "done": []}}},
                              {"given": {"board": {"todo": ["x", "y", "x"], "done": ["z"]}}, "args": ["x", "todo", "done"], "result": True,
                               "slots": {"board": {"todo": ["y", "x"], "done": ["z", "x"]}}},
                              {"given": {"board": {"todo": ["p", "q"]}}, "args": ["p", "todo", "todo"], "result": True, "slots": {"board": {"todo": ["q", "p"]}}},
                              {"given": {"board": {"todo": ["x"]}}, "args": ["x", "missing", "todo"], "result": False, "slots": {"board": {"todo": ["x"]}}}], """
def move_card(self, card, src, dst):
    if src not in self.board or dst not in self.board or card not in self.board[src]:
        return False
    self.board[src].remove(card)
    self.board[dst].append(card)
    return True
""", slots={"board": {"todo": ["a", "b"], "doing": [], "done": ["c"]}})
task("charge_late_fee", "when a date given as YYYY-MM-DD is after the date in the due slot, written the same way, and the fee_charged slot is false, add the fee slot to the balance slot and set fee_charged to true; in every case return the balance", ["2024-04-02"],
     [{"given": {"due": "2024-03-31", "fee": 15, "balance": 100, "fee_charged": False}, "args": ["2024-03-31"], "result": 100, "slots": {"balance": 100, "fee_charged": False}},
      {"given": {"due": "2024-03-31", "fee": 15, "balance": 100, "fee_charged": True}, "args": ["2024-05-01"], "result": 100, "slots": {"balance": 100, "fee_charged": True}},
      {"given": {"due": "2023-12-31", "fee": 2.5, "balance": 0, "fee_charged": False}, "args": ["2024-01-01"], "result": 2.5, "slots": {"balance": 2.5, "fee_charged": True}},
      {"given": {"due": "2024-02-29", "fee": 10, "balance": 50, "fee_charged": False}, "args": ["2024-02-28"], "result": 50, "slots": {"balance": 50, "fee_charged": False}}], """
from datetime import date
def charge_late_fee(self, today):
    if date.fromisoformat(today) > date.fromisoformat(self.due) and not self.fee_charged:
        self.balance += self.fee
        self.fee_charged = True
    return self.balance
""", slots={"due": "2024-03-31", "fee": 15, "balance": 100, "fee_charged": False})
task("record_lap", "add a lap time in seconds to the end of the laps slot (a list) and, when it is lower than the best slot or best is None, store it in best as well; return whether it became the new best", [58.9],
     [{"given": {"laps": [], "best": None}, "args": [70], "result": True, "slots": {"laps": [70], "best": 70}},
      {"given": {"laps": [60], "best": 60}, "args": [60], "result": False, "slots": {"laps": [60, 60], "best": 60}},
      {"given": {"laps": [50, 55], "best": 50}, "args": [52.5], "result": False, "slots": {"laps": [50, 55, 52.5], "best": 50}},
      {"given": {"laps": [80], "best": 80}, "args": [79.99], "result": True, "slots": {"laps": [80, 79.99], "best": 79.99}}], """
def record_lap(self, lap):
    self.laps.append(lap)
    if self.best is None or lap < self.best:
        self.best = lap
        return True
    return False
""", slots={"laps": [61.2, 59.8], "best": 59.8})
write("learning_tasks_novel8.jsonl")

# --- novel9 (written 2026-11-25 by a helper, before any run of it and before any rule drawn from it) ---
task("truncate_words", "keep the first n words of a text, the words being separated by any run of spaces, join them with single spaces, and add '...' right after the last kept word only when some words were left out", ["the quick brown fox", 2],
     [{"args": ["one two", 2], "result": "one two"}, {"args": ["a b c d", 3], "result": "a b c..."},
      {"args": ["  spaced   out  words ", 5], "result": "spaced out words"}, {"args": ["hello world", 1], "result": "hello..."}], """
def truncate_words(self, text, n):
    words = text.split()
    return " ".join(words[:n]) + ("..." if len(words) > n else "")
""")
task("count_words_with_letter", "count the words of a sentence, separated by spaces, that contain a given letter in upper or lower case, each word counting once however many times the letter is in it", ["Banana bread and apple pie", "a"],
     [{"args": ["Anna ate a banana", "a"], "result": 4}, {"args": ["Sky is dry", "e"], "result": 0},
      {"args": ["Eve sees EVERY tree", "E"], "result": 4}, {"args": ["", "x"], "result": 0}], """
def count_words_with_letter(self, sentence, letter):
    return sum(1 for word in sentence.split() if letter.lower() in word.lower())
""")
task("title_except_small", "write a title with each word capitalized, its first letter in upper case and the rest in lower case, except the small words 'a', 'an', 'the', 'of', 'and' and 'in', which are written all in lower case unless they are the first word; the words are separated by single spaces", ["the old man and the sea"],
     [{"args": ["the lord of the rings"], "result": "The Lord of the Rings"}, {"args": ["A TALE OF TWO CITIES"], "result": "A Tale of Two Cities"},
      {"args": ["war AND peace"], "result": "War and Peace"}, {"args": ["in the heat of the night"], "result": "In the Heat of the Night"}], """
def title_except_small(self, title):
    small = {"a", "an", "the", "of", "and", "in"}
    words = title.lower().split(" ")
    return " ".join(w if i and w in small else w.capitalize() for i, w in enumerate(words))
""")
task("most_frequent_letter", "return the letter that appears most often in a text, an upper-case and a lower-case letter counting as the same letter, written in lower case, every character that is not a letter being ignored; when several letters are tied, return the one that comes first in the alphabet, and None when the text has no letters", ["Mississippi"],
     [{"args": ["Hello World"], "result": "l"}, {"args": ["abcABC"], "result": "a"}, {"args": ["zz yyy"], "result": "y"},
      {"args": ["123 !!"], "result": None}, {"args": ["Zebra zone"], "result": "e"}], """
def most_frequent_letter(self, text):
    letters = [c for c in text.lower() if c.isalpha()]
    if not letters:
        return None
    return max(sorted(set(letters)), key=letters.count)
""")
task("is_valid_username", "tell whether a text is a valid user name: from 3 to 16 characters, both included, each a lower-case letter a to z, a digit or an underscore, the first one a letter", ["ada_99"],
     [{"args": ["ab"], "result": False}, {"args": ["abcdefghijklmnop"], "result": True}, {"args": ["abcdefghijklmnopq"], "result": False},
      {"args": ["_abc"], "result": False}, {"args": ["Ada1"], "result": False}], r"""
import re
def is_valid_username(self, text):
    return re.fullmatch(r"[a-z][a-z0-9_]{2,15}", text) is not None
""")
task("sentence_case", "put a text in sentence case: its first letter, wherever it stands, in upper case, every other letter in lower case, and every character that is not a letter left as it is", ["hELLO wORLD"],
     [{"args": ["  the END. Or not"], "result": "  The end. or not"}, {"args": ["123 ABC"], "result": "123 Abc"}, {"args": [""], "result": ""},
      {"args": ["x"], "result": "X"}], """
def sentence_case(self, text):
    text = text.lower()
    for i, c in enumerate(text):
        if c.isalpha():
            return text[:i] + c.upper() + text[i + 1:]
    return text
""")
task("round_to_nearest_half", "round a number to the nearest multiple of 0.5, a number exactly between two of them (like 1.25) going up to the larger one", [2.3],
     [{"args": [1.2], "result": 1.0}, {"args": [1.25], "result": 1.5}, {"args": [1.74], "result": 1.5}, {"args": [-0.25], "result": 0.0},
      {"args": [3], "result": 3.0}], """
import math
def round_to_nearest_half(self, number):
    return math.floor(number * 2 + 0.5) / 2
""")
task("tip_amount", "work out the tip on a bill given in dollars for a whole percent, rounded up to the next whole cent, and return it in dollars", [48.5, 18],
     [{"args": [20.0, 15], "result": 3.0}, {"args": [10.01, 15], "result": 1.51}, {"args": [33.33, 10], "result": 3.34},
      {"args": [0, 20], "result": 0.0}], """
def tip_amount(self, bill, percent):
    cents = round(bill * 100) * percent
    return -(-cents // 100) / 100
""")
task("average_ignoring_none", "return the average of the numbers of a list, leaving out its None entries, rounded to 2 decimals, or None when no number is left", [[4, None, 5]],
     [{"args": [[1, None, 2]], "result": 1.5}, {"args": [[None]], "result": None}, {"args": [[]], "result": None},
      {"args": [[1, 2, 2]], "result": 1.67}, {"args": [[0, None]], "result": 0.0}], """
def average_ignoring_none(self, values):
    numbers = [x for x in values if x is not None]
    return round(sum(numbers) / len(numbers), 2) if numbers else None
""")
task("nearest_multiple", "round a non-negative whole number to the nearest multiple of a given step, a number exactly halfway between two multiples going down to the smaller one", [17, 5],
     [{"args": [7, 5], "result": 5}, {"args": [13, 5], "result": 15}, {"args": [15, 10], "result": 10}, {"args": [25, 10], "result": 20},
      {"args": [0, 3], "result": 0}], """
def nearest_multiple(self, n, step):
    remainder = n % step
    return n - remainder if remainder * 2 <= step else n - remainder + step
""")
task("safe_divide", "divide a first number by a second and round the result to 3 decimals, returning None instead of failing when the second number is 0", [10, 4],
     [{"args": [1, 3], "result": 0.333}, {"args": [5, 0], "result": None}, {"args": [0, 5], "result": 0.0}, {"args": [-7, 2], "result": -3.5},
      {"args": [2, 3], "result": 0.667}], """
def safe_divide(self, dividend, divisor):
    if divisor == 0:
        return None
    return round(dividend / divisor, 3)
""")
task("second_highest_distinct", "return the second highest distinct value of a list of numbers, a value repeated in the list counting only once, or None when the list has fewer than two distinct values", [[4, 9, 9, 2]],
     [{"args": [[5, 5, 4]], "result": 4}, {"args": [[3, 3]], "result": None}, {"args": [[]], "result": None}, {"args": [[-1, -5, -1]], "result": -5},
      {"args": [[1, 2, 3, 3]], "result": 2}], """
def second_highest_distinct(self, numbers):
    distinct = sorted(set(numbers), reverse=True)
    return distinct[1] if len(distinct) > 1 else None
""")
task("positions_of_max", "return every position, counting from 0, at which the largest number of a list appears, in increasing order, or an empty list for an empty list", [[2, 8, 8, 1]],
     [{"args": [[1, 3, 2, 3]], "result": [1, 3]}, {"args": [[]], "result": []}, {"args": [[7]], "result": [0]}, {"args": [[-2, -2]], "result": [0, 1]}], """
def positions_of_max(self, numbers):
    if not numbers:
        return []
    top = max(numbers)
    return [i for i, x in enumerate(numbers) if x == top]
""")
task("split_at_value", "split a list into the pieces between the occurrences of a separator value, leaving the separators out and keeping empty pieces, so that a list with k separators gives k + 1 pieces", [[1, 0, 2, 3, 0, 4], 0],
     [{"args": [[0, 1], 0], "result": [[], [1]]}, {"args": [[5], 0], "result": [[5]]}, {"args": [[], 0], "result": [[]]},
      {"args": [["a", "-", "-", "b"], "-"], "result": [["a"], [], ["b"]]}], """
def split_at_value(self, items, separator):
    pieces = [[]]
    for item in items:
        if item == separator:
            pieces.append([])
        else:
            pieces[-1].append(item)
    return pieces
""")
task("take_while_below", "return the numbers at the start of a list that come before the first number equal to or greater than a limit, or the whole list when there is no such number", [[1, 2, 5, 1], 5],
     [{"args": [[6, 1], 5], "result": []}, {"args": [[1, 2], 5], "result": [1, 2]}, {"args": [[4.9, 5.0, 1], 5], "result": [4.9]},
      {"args": [[], 3], "result": []}], """
def take_while_below(self, numbers, limit):
    taken = []
    for x in numbers:
        if x >= limit:
            break
        taken.append(x)
    return taken
""")
task("rotate_right", "rotate a list to the right by k places, the last items moving to the front, k being any non-negative whole number, possibly larger than the length of the list; an empty list stays empty", [[1, 2, 3, 4, 5], 2],
     [{"args": [[1, 2, 3], 1], "result": [3, 1, 2]}, {"args": [[1, 2, 3], 4], "result": [3, 1, 2]}, {"args": [[], 3], "result": []},
      {"args": [["a", "b"], 0], "result": ["a", "b"]}, {"args": [[1, 2, 3], 3], "result": [1, 2, 3]}], """
def rotate_right(self, items, k):
    if not items:
        return []
    k %= len(items)
    return items[len(items) - k:] + items[:len(items) - k]
""")
task("sum_by_category", "add up the amounts of a list of expenses, each a dict with a 'category' and an 'amount', by category, categories being matched exactly, and return a dict from each category to its total rounded to 2 decimals", [[{"category": "food", "amount": 12.5}, {"category": "rent", "amount": 700}, {"category": "food", "amount": 3.25}]],
     [{"args": [[{"category": "x", "amount": 0.1}, {"category": "x", "amount": 0.2}]], "result": {"x": 0.3}}, {"args": [[]], "result": {}},
      {"args": [[{"category": "bus", "amount": 2}, {"category": "Bus", "amount": 3}]], "result": {"bus": 2, "Bus": 3}}], """
def sum_by_category(self, expenses):
    totals = {}
    for expense in expenses:
        totals[expense["category"]] = totals.get(expense["category"], 0) + expense["amount"]
    return {category: round(total, 2) for category, total in totals.items()}
""")
task("missing_keys", "return, in alphabetical order, the names in a list of required fields that a form, a dict, lacks or holds as None or as an empty text; any other value, 0 and False included, counts as filled in", [{"name": "Ada", "email": ""}, ["name", "email", "phone"]],
     [{"args": [{}, []], "result": []}, {"args": [{"a": 0, "b": False}, ["a", "b"]], "result": []}, {"args": [{"b": None, "a": "x"}, ["b", "a"]], "result": ["b"]},
      {"args": [{"z": "", "y": " "}, ["z", "y", "x"]], "result": ["x", "z"]}], """
def missing_keys(self, form, required):
    return sorted(name for name in required if form.get(name) is None or form.get(name) == "")
""")
task("top_n_words", "return the n most frequent words of a text, the words being separated by spaces and compared ignoring case, written in lower case, the most frequent first and words with the same count in alphabetical order", ["the cat and the hat and THE bat", 2],
     [{"args": ["b a b a c", 2], "result": ["a", "b"]}, {"args": ["one", 3], "result": ["one"]}, {"args": ["", 2], "result": []},
      {"args": ["Dog dog cat CAT bird", 3], "result": ["cat", "dog", "bird"]}], """
def top_n_words(self, text, n):
    words = text.lower().split()
    return sorted(set(words), key=lambda w: (-words.count(w), w))[:n]
""")
task("days_until_weekday", "count the days from a date given as YYYY-MM-DD to the next day that is a given weekday, named in English like 'Monday', 0 when the date itself is that weekday", ["2024-06-05", "Friday"],
     [{"args": ["2024-06-03", "Monday"], "result": 0}, {"args": ["2024-06-03", "Sunday"], "result": 6}, {"args": ["2024-06-08", "Monday"], "result": 2},
      {"args": ["2024-12-30", "Wednesday"], "result": 2}], """
from datetime import date
def days_until_weekday(self, date_text, weekday):
    names = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
    return (names.index(weekday) - date.fromisoformat(date_text).weekday()) % 7
""")
task("format_duration_hm", "write a number of seconds as hours and minutes in the form '2h 05m', the minutes always with two digits, leftover seconds being dropped rather than rounded", [4000],
     [{"args": [7500], "result": "2h 05m"}, {"args": [59], "result": "0h 00m"}, {"args": [5399], "result": "1h 29m"}, {"args": [36000], "result": "10h 00m"}], """
def format_duration_hm(self, seconds):
    return f"{seconds // 3600}h {seconds % 3600 // 60:02d}m"
""")
task("is_business_hours", "tell whether a time of day written as HH:MM on a 24-hour clock falls in business hours, which start at 09:00, included, and end at 17:30, not included", ["13:15"],
     [{"args": ["09:00"], "result": True}, {"args": ["17:30"], "result": False}, {"args": ["17:29"], "result": True}, {"args": ["08:59"], "result": False}], """
def is_business_hours(self, clock):
    return "09:00" <= clock < "17:30"
""")
task("add_to_cart", "add a quantity of an item to the cart slot, a dict from item names to quantities where a new item starts at 0; a quantity of 0 or less instead removes the item from the cart when it is there; return the total number of units in the cart", ["tea", 2],
     [{"given": {"cart": {"tea": 2}}, "args": ["tea", 3], "result": 5, "slots": {"cart": {"tea": 5}}},
      {"given": {"cart": {"tea": 2, "jam": 1}}, "args": ["tea", 0], "result": 1, "slots": {"cart": {"jam": 1}}},
      {"given": {"cart": {"tea": 2}}, "args": ["milk", -1], "result": 2, "slots": {"cart": {"tea": 2}}},
      {"given": {"cart": {}}, "args": ["jam", 1], "result": 1, "slots": {"cart": {"jam": 1}}}], """
def add_to_cart(self, item, quantity):
    if quantity > 0:
        self.cart[item] = self.cart.get(item, 0) + quantity
    elif item in self.cart:
        del self.cart[item]
    return sum(self.cart.values())
""", slots={"cart": {"milk": 1}})
task("log_mood", "record a mood score for a date given as YYYY-MM-DD in the moods slot, a dict from dates to scores, replacing any score already recorded for that date, but only when the score is from 1 to 5, both included, changing nothing otherwise; return the average of all the recorded scores rounded to 1 decimal, or None when there are none", ["2024-06-01", 4],
     [{"given": {"moods": {"2024-05-31": 3}}, "args": ["2024-05-31", 5], "result": 5.0, "slots": {"moods": {"2024-05-31": 5}}},
      {"given": {"moods": {}}, "args": ["2024-06-02", 6], "result": None, "slots": {"moods": {}}},
      {"given": {"moods": {"2024-06-01": 1, "2024-06-02": 2}}, "args": ["2024-06-03", 5], "result": 2.7,
       "slots": {"moods": {"2024-06-01": 1, "2024-06-02": 2, "2024-06-03": 5}}},
      {"given": {"moods": {"2024-06-01": 2}}, "args": ["2024-06-02", 0], "result": 2.0, "slots": {"moods": {"2024-06-01": 2}}}], """
def log_mood(self, day, score):
    if 1 <= score <= 5:
        self.moods[day] = score
    if not self.moods:
        return None
    return round(sum(self.moods.values()) / len(self.moods), 1)
""", slots={"moods": {"2024-05-31": 3}})
task("add_reminder", "add a reminder, a time written as HH:MM and a text, to the reminders slot, a list of [time, text] pairs kept in order of time, putting it after any reminders already there at the same time, and return the position, counting from 0, at which it was put", ["10:30", "call mum"],
     [{"given": {"reminders": [["09:00", "a"], ["12:00", "b"]]}, "args": ["09:00", "c"], "result": 1,
       "slots": {"reminders": [["09:00", "a"], ["09:00", "c"], ["12:00", "b"]]}},
      {"given": {"reminders": []}, "args": ["08:00", "e"], "result": 0, "slots": {"reminders": [["08:00", "e"]]}},
      {"given": {"reminders": [["07:15", "x"]]}, "args": ["23:59", "y"], "result": 1, "slots": {"reminders": [["07:15", "x"], ["23:59", "y"]]}},
      {"given": {"reminders": [["10:00", "x"], ["10:00", "y"]]}, "args": ["09:59", "z"], "result": 0,
       "slots": {"reminders": [["09:59", "z"], ["10:00", "x"], ["10:00", "y"]]}}], """
def add_reminder(self, clock, text):
    position = sum(1 for at, _ in self.reminders if at <= clock)
    self.reminders.insert(position, [clock, text])
    return position
""", slots={"reminders": [["09:00", "gym"], ["12:00", "lunch"]]})
task("water_plant", "record that a plant was watered on a date given as YYYY-MM-DD: store that date for the plant in the watered slot, a dict from plant names to the date each was last watered, and return how many days had passed since the date stored for it before, or None when the plant was not in it", ["fern", "2024-05-04"],
     [{"given": {"watered": {"fern": "2024-04-28"}}, "args": ["fern", "2024-05-02"], "result": 4, "slots": {"watered": {"fern": "2024-05-02"}}},
      {"given": {"watered": {"fern": "2024-05-01"}}, "args": ["cactus", "2024-05-04"], "result": None,
       "slots": {"watered": {"fern": "2024-05-01", "cactus": "2024-05-04"}}},
      {"given": {"watered": {"ivy": "2024-02-28"}}, "args": ["ivy", "2024-03-01"], "result": 2, "slots": {"watered": {"ivy": "2024-03-01"}}},
      {"given": {"watered": {"ivy": "2024-03-01"}}, "args": ["ivy", "2024-03-01"], "result": 0, "slots": {"watered": {"ivy": "2024-03-01"}}}], """
from datetime import date
def water_plant(self, plant, day):
    before = self.watered.get(plant)
    self.watered[plant] = day
    if before is None:
        return None
    return (date.fromisoformat(day) - date.fromisoformat(before)).days
""", slots={"watered": {"fern": "2024-05-01"}})
task("pop_due_tasks", "take out of the tasks slot, a list of [due date, title] pairs with the dates written as YYYY-MM-DD, every task due on or before a given date, and return their titles ordered by due date, tasks due the same day in the order they had in the list; the other tasks stay in their order", ["2024-06-10"],
     [{"given": {"tasks": [["2024-06-10", "b"], ["2024-06-01", "a"], ["2024-06-10", "c"], ["2024-07-01", "d"]]}, "args": ["2024-06-10"],
       "result": ["a", "b", "c"], "slots": {"tasks": [["2024-07-01", "d"]]}},
      {"given": {"tasks": []}, "args": ["2024-01-01"], "result": [], "slots": {"tasks": []}},
      {"given": {"tasks": [["2024-06-11", "x"], ["2024-06-12", "y"]]}, "args": ["2024-06-10"], "result": [],
       "slots": {"tasks": [["2024-06-11", "x"], ["2024-06-12", "y"]]}},
      {"given": {"tasks": [["2024-01-01", "new"], ["2023-12-31", "old"]]}, "args": ["2024-01-01"], "result": ["old", "new"], "slots": {"tasks": []}}], """
def pop_due_tasks(self, today):
    due = [task for task in self.tasks if task[0] <= today]
    self.tasks = [task for task in self.tasks if task[0] > today]
    return [title for _, title in sorted(due, key=lambda task: task[0])]
""", slots={"tasks": [["2024-06-12", "taxes"], ["2024-06-09", "call bank"], ["2024-06-10", "pay rent"]]})
task("adjust_thermostat", "change the target slot by a step, positive or negative, without letting it go below the min_temp slot or above the max_temp slot, both limits being allowed, and return the new target", [1.5],
     [{"given": {"target": 20, "min_temp": 16, "max_temp": 24}, "args": [2], "result": 22, "slots": {"target": 22}},
      {"given": {"target": 23, "min_temp": 16, "max_temp": 24}, "args": [5], "result": 24, "slots": {"target": 24}},
      {"given": {"target": 17, "min_temp": 16, "max_temp": 24}, "args": [-10], "result": 16, "slots": {"target": 16}},
      {"given": {"target": 20, "min_temp": 16, "max_temp": 24}, "args": [-0.5], "result": 19.5, "slots": {"target": 19.5}}], """
def adjust_thermostat(self, step):
    self.target = min(max(self.target + step, self.min_temp), self.max_temp)
    return self.target
""", slots={"target": 20, "min_temp": 16, "max_temp": 24})
task("add_contact", "add a contact to the contacts slot, a dict from lower-case names to phone numbers written as text: store the name in lower case and the number without its spaces and dashes, and return True, or return False and change nothing when that lower-case name is already in it", ["Ada", "555 01-23"],
     [{"given": {"contacts": {"ada": "123"}}, "args": ["ADA", "999"], "result": False, "slots": {"contacts": {"ada": "123"}}},
      {"given": {"contacts": {"ada": "123"}}, "args": ["Bob", "555-12 34"], "result": True, "slots": {"contacts": {"ada": "123", "bob": "5551234"}}},
      {"given": {"contacts": {}}, "args": ["Cy", "+44 20-7946-0958"], "result": True, "slots": {"contacts": {"cy": "+442079460958"}}}], """
def add_contact(self, name, number):
    key = name.lower()
    if key in self.contacts:
        return False
    self.contacts[key] = number.replace(" ", "").replace("-", "")
    return True
""", slots={"contacts": {"bob": "5550000"}})
task("record_step_count", "add a day's step count to the end of the steps slot, a list of counts with the oldest first, keep only the 7 most recent counts there, and return how many of the kept counts reach the goal slot, a count equal to the goal reaching it", [8000],
     [{"given": {"steps": [5000, 12000], "goal": 10000}, "args": [10000], "result": 2, "slots": {"steps": [5000, 12000, 10000]}},
      {"given": {"steps": [10000, 1, 2, 3, 4, 5, 6], "goal": 10000}, "args": [7], "result": 0, "slots": {"steps": [1, 2, 3, 4, 5, 6, 7]}},
      {"given": {"steps": [], "goal": 500}, "args": [499], "result": 0, "slots": {"steps": [499]}},
      {"given": {"steps": [9, 9, 9, 9, 9, 9, 9, 9], "goal": 9}, "args": [9], "result": 7, "slots": {"steps": [9, 9, 9, 9, 9, 9, 9]}}], """
def record_step_count(self, count):
    self.steps = (self.steps + [count])[-7:]
    return sum(1 for n in self.steps if n >= self.goal)
""", slots={"steps": [12000, 4000], "goal": 10000})
write("learning_tasks_novel9.jsonl")

# --- novel10 (written 2026-11-25 by a helper, before any run of it and before any rule drawn from it) ---
task("count_palindrome_words", "count the words of a sentence, separated by spaces, that read the same backwards as forwards when upper and lower case are not told apart, a word of a single letter counting as one", ["Anna saw a racecar at noon"],
     [{"args": ["Bob did see Otto"], "result": 3}, {"args": ["hello world"], "result": 0},
      {"args": ["I level up"], "result": 2}, {"args": [""], "result": 0}], """
def count_palindrome_words(self, sentence):
    return sum(1 for word in sentence.split() if word.lower() == word.lower()[::-1])
""")
task("remove_every_nth", "remove every n-th item of a list, counting from 1, that is the items at positions n, 2n, 3n and so on, keeping the other items in their order; n is at least 1", [[1, 2, 3, 4, 5, 6, 7], 3],
     [{"args": [["a", "b", "c", "d", "e", "f"], 2], "result": ["a", "c", "e"]}, {"args": [[1, 2, 3], 1], "result": []},
      {"args": [[1, 2], 5], "result": [1, 2]}, {"args": [[10, 20, 30, 40, 50, 60, 70], 3], "result": [10, 20, 40, 50, 70]}], """
def remove_every_nth(self, items, n):
    return [item for position, item in enumerate(items, 1) if position % n]
""")
task("menu_line", "write a line of a menu: the name, then dots, then the price written with exactly two decimals, using as many dots as it takes to make the line exactly width characters long, but never fewer than 2 dots, so that a line that cannot fit is longer than the width", ["Coffee", 3.5, 20],
     [{"args": ["Tea", 2, 12], "result": "Tea.....2.00"}, {"args": ["Pancakes", 12.5, 14], "result": "Pancakes..12.50"},
      {"args": ["Soup", 4.25, 10], "result": "Soup..4.25"}, {"args": ["Bagel", 10, 16], "result": "Bagel......10.00"}], """
def menu_line(self, name, price, width):
    text = "%.2f" % price
    return name + "." * max(2, width - len(name) - len(text)) + text
""")
task("censor_word", "replace every whole-word occurrence of a given word in a text, the words of the text being separated by single spaces and compared with the given word ignoring case, with as many '*' as the word has characters, leaving every other word as it is", ["what the heck is this heck", "heck"],
     [{"args": ["darn it darn", "darn"], "result": "**** it ****"}, {"args": ["Darn DARN darned", "darn"], "result": "**** **** darned"},
      {"args": ["nothing here", "bad"], "result": "nothing here"}, {"args": ["oh DARN", "Darn"], "result": "oh ****"}], """
def censor_word(self, text, word):
    return " ".join("*" * len(w) if w.lower() == word.lower() else w for w in text.split(" "))
""")
task("minutes_until_alarm", "count the minutes from the current time of day to the next time an alarm set for a time of day rings, both times written as HH:MM on a 24-hour clock; when the alarm time is earlier than the current time it rings the next day, and when the two times are the same the answer is 0", ["22:30", "06:15"],
     [{"args": ["07:00", "07:45"], "result": 45}, {"args": ["23:50", "00:10"], "result": 20},
      {"args": ["12:00", "12:00"], "result": 0}, {"args": ["12:01", "12:00"], "result": 1439}], """
def minutes_until_alarm(self, now, alarm):
    def minutes(clock):
        hours, mins = clock.split(":")
        return int(hours) * 60 + int(mins)
    return (minutes(alarm) - minutes(now)) % 1440
""")
task("dates_in_range", "list every date from a first date to a second date, both included and both given as YYYY-MM-DD, in order and in the same form, or return an empty list when the second date is before the first", ["2024-02-27", "2024-03-01"],
     [{"args": ["2023-12-30", "2024-01-02"], "result": ["2023-12-30", "2023-12-31", "2024-01-01", "2024-01-02"]},
      {"args": ["2024-05-05", "2024-05-05"], "result": ["2024-05-05"]}, {"args": ["2024-05-06", "2024-05-05"], "result": []},
      {"args": ["2023-02-28", "2023-03-01"], "result": ["2023-02-28", "2023-03-01"]}], """
from datetime import date, timedelta
def dates_in_range(self, first, last):
    day, end = date.fromisoformat(first), date.fromisoformat(last)
    days = []
    while day <= end:
        days.append(day.isoformat())
        day += timedelta(days=1)
    return days
""")
task("sunday_of_week", "return the Sunday that ends the week, each week running from Monday to Sunday, in which a date given as YYYY-MM-DD falls, in the same form; a date that is a Sunday gives itself", ["2024-06-12"],
     [{"args": ["2024-06-10"], "result": "2024-06-16"}, {"args": ["2024-06-16"], "result": "2024-06-16"},
      {"args": ["2024-12-30"], "result": "2025-01-05"}, {"args": ["2024-02-28"], "result": "2024-03-03"}], """
from datetime import date, timedelta
def sunday_of_week(self, day):
    d = date.fromisoformat(day)
    return (d + timedelta(days=6 - d.weekday())).isoformat()
""")
task("is_valid_isbn10", "tell whether a text is a valid ISBN-10 once every hyphen is removed from it: exactly 10 characters, the first 9 of them digits and the last a digit or an upper-case 'X' standing for 10, where the sum of each of the 10 values multiplied by its weight, 10 for the first down to 1 for the last, is a multiple of 11", ["0-306-40615-2"],
     [{"args": ["0306406152"], "result": True}, {"args": ["0306406153"], "result": False},
      {"args": ["0-8044-2957-X"], "result": True}, {"args": ["080442957x"], "result": False}], """
def is_valid_isbn10(self, text):
    code = text.replace("-", "")
    if len(code) != 10 or not code[:9].isdigit() or not (code[9].isdigit() or code[9] == "X"):
        return False
    values = [int(c) for c in code[:9]] + [10 if code[9] == "X" else int(code[9])]
    return sum(value * (10 - i) for i, value in enumerate(values)) % 11 == 0
""")
task("roman_to_int", "turn a number written in upper-case Roman numerals, made of I, V, X, L, C, D and M, into an int, a numeral written right before a larger one being subtracted from it as in IV or CM; the text is always a valid numeral", ["XLII"],
     [{"args": ["XIV"], "result": 14}, {"args": ["MCMXCIV"], "result": 1994},
      {"args": ["III"], "result": 3}, {"args": ["MMMCMXCIX"], "result": 3999}], """
def roman_to_int(self, text):
    values = {"I": 1, "V": 5, "X": 10, "L": 50, "C": 100, "D": 500, "M": 1000}
    total = 0
    for i, c in enumerate(text):
        if i + 1 < len(text) and values[c] < values[text[i + 1]]:
            total -= values[c]
        else:
            total += values[c]
    return total
""")
task("sum_nested_values", "add up all the numbers in a dict whose values are numbers or dicts of the same kind, nested to any depth, an empty dict adding up to 0", [{"a": 1, "b": {"c": 2}}],
     [{"args": [{"a": 1, "b": {"c": 2, "d": {"e": 3}}}], "result": 6}, {"args": [{}], "result": 0},
      {"args": [{"x": {}, "y": {"z": {}}}], "result": 0}, {"args": [{"a": 1.5, "b": {"c": -0.5}}], "result": 1.0}], """
def sum_nested_values(self, data):
    total = 0
    stack = [data]
    while stack:
        for value in stack.pop().values():
            if isinstance(value, dict):
                stack.append(value)
            else:
                total += value
    return total
""")
task("prune_empty", "return a copy of a dict without its entries whose value is None, an empty text, an empty list or an empty dict, keeping every other entry, those whose value is 0 or False included, in its order; values inside the values are not looked at", [{"name": "Ada", "email": "", "tags": []}],
     [{"args": [{"a": None, "b": "", "c": [], "d": {}, "e": 0}], "result": {"e": 0}}, {"args": [{"x": False, "y": " "}], "result": {"x": False, "y": " "}},
      {"args": [{}], "result": {}}, {"args": [{"n": [None], "m": {"k": None}}], "result": {"n": [None], "m": {"k": None}}}], """
def prune_empty(self, data):
    return {key: value for key, value in data.items() if not (value is None or (isinstance(value, (str, list, dict)) and len(value) == 0))}
""")
task("product_except_self", "return a list in which each position holds the product of all the numbers of a given list except the one at that position, so that a list of one number gives [1]", [[3, 5, 2]],
     [{"args": [[1, 2, 3, 4]], "result": [24, 12, 8, 6]}, {"args": [[2, 0, 5]], "result": [0, 10, 0]},
      {"args": [[7]], "result": [1]}, {"args": [[0, 0, 3]], "result": [0, 0, 0]}], """
def product_except_self(self, numbers):
    result = []
    for i in range(len(numbers)):
        product = 1
        for j, number in enumerate(numbers):
            if j != i:
                product *= number
        result.append(product)
    return result
""")
task("group_runs", "split a list into its runs of equal neighbouring items and return the list of those runs, each run a list, in order; an empty list gives an empty list", [[4, 4, 1, 4]],
     [{"args": [[1, 1, 2, 3, 3, 3]], "result": [[1, 1], [2], [3, 3, 3]]}, {"args": [[]], "result": []},
      {"args": [["a", "b", "a"]], "result": [["a"], ["b"], ["a"]]}, {"args": [[5, 5, 5]], "result": [[5, 5, 5]]}], """
def group_runs(self, items):
    runs = []
    for item in items:
        if runs and runs[-1][-1] == item:
            runs[-1].append(item)
        else:
            runs.append([item])
    return runs
""")
task("normalize_scores", "rescale a list of numbers so that the smallest becomes 0 and the largest 1: each number becomes its distance from the smallest divided by the distance from the smallest to the largest, rounded to 2 decimals; when all the numbers are equal each becomes 0.0, and an empty list gives an empty list", [[2, 4, 6, 10]],
     [{"args": [[10, 20, 15]], "result": [0.0, 1.0, 0.5]}, {"args": [[3, 3]], "result": [0.0, 0.0]},
      {"args": [[]], "result": []}, {"args": [[0, 3, 1]], "result": [0.0, 1.0, 0.33]}], """
def normalize_scores(self, numbers):
    if not numbers:
        return []
    low, high = min(numbers), max(numbers)
    if low == high:
        return [0.0 for _ in numbers]
    return [round((n - low) / (high - low), 2) for n in numbers]
""")
task("sign_changes", "count how many times the sign changes along a list of numbers, from positive to negative or from negative to positive, zeros being skipped, so that a zero standing between two numbers of opposite signs does not hide the change", [[3, -1, -4, 2]],
     [{"args": [[1, -2, 3]], "result": 2}, {"args": [[1, 0, -1]], "result": 1},
      {"args": [[0, 0, 5, 6]], "result": 0}, {"args": [[-1, -2, 0, -3, 4]], "result": 1}], """
def sign_changes(self, numbers):
    signs = [n > 0 for n in numbers if n != 0]
    return sum(1 for a, b in zip(signs, signs[1:]) if a != b)
""")
task("is_arithmetic_sequence", "tell whether each number of a list differs from the number before it by one and the same amount, a list of fewer than 3 numbers always counting as such", [[2, 4, 6]],
     [{"args": [[3, 7, 11, 15]], "result": True}, {"args": [[1, 2, 4]], "result": False},
      {"args": [[10, 7, 4, 1]], "result": True}, {"args": [[]], "result": True}], """
def is_arithmetic_sequence(self, numbers):
    return len({b - a for a, b in zip(numbers, numbers[1:])}) <= 1
""")
task("shorten_full_name", "shorten a full name whose parts are separated by single spaces: write every part but the last as its first letter in upper case followed by a dot, leave the last part as it is, and keep the parts separated by single spaces; a name of one part stays as it is", ["Alan Mathison Turing"],
     [{"args": ["Ada King Lovelace"], "result": "A. K. Lovelace"}, {"args": ["grace hopper"], "result": "G. hopper"},
      {"args": ["Plato"], "result": "Plato"}, {"args": ["john ronald reuel Tolkien"], "result": "J. R. R. Tolkien"}], """
def shorten_full_name(self, name):
    parts = name.split(" ")
    return " ".join([part[0].upper() + "." for part in parts[:-1]] + parts[-1:])
""")
task("drop_doubled_words", "remove each word of a text that repeats the word right before it, ignoring case, so that of a run of the same word only its first, as it is written, is kept; the words are separated by single spaces", ["this is is fine"],
     [{"args": ["the the cat"], "result": "the cat"}, {"args": ["It it IT is"], "result": "It is"},
      {"args": ["a b a b"], "result": "a b a b"}, {"args": [""], "result": ""}], """
def drop_doubled_words(self, text):
    words = text.split(" ")
    return " ".join(w for i, w in enumerate(words) if i == 0 or w.lower() != words[i - 1].lower())
""")
task("parse_price", "turn a price written as text, such as '$1,234.50', into a float: drop the '$' sign, the commas that separate thousands and any spaces, keeping a '-' sign for a negative price", ["$3.75"],
     [{"args": ["$2,499.99"], "result": 2499.99}, {"args": ["-$12.05"], "result": -12.05},
      {"args": ["  $0.99 "], "result": 0.99}, {"args": ["1,000,000"], "result": 1000000.0}], """
def parse_price(self, text):
    return float(text.replace("$", "").replace(",", "").replace(" ", ""))
""")
task("add_hours", "add a whole number of hours, possibly negative, to a date and time written as 'YYYY-MM-DD HH:MM' on a 24-hour clock and return the new date and time in the same form", ["2024-05-31 20:00", 5],
     [{"args": ["2024-03-01 22:30", 3], "result": "2024-03-02 01:30"}, {"args": ["2024-01-01 00:15", -1], "result": "2023-12-31 23:15"},
      {"args": ["2024-02-28 12:00", 24], "result": "2024-02-29 12:00"}, {"args": ["2023-06-10 08:05", 0], "result": "2023-06-10 08:05"}], """
from datetime import datetime, timedelta
def add_hours(self, stamp, hours):
    return (datetime.strptime(stamp, "%Y-%m-%d %H:%M") + timedelta(hours=hours)).strftime("%Y-%m-%d %H:%M")
""")
task("days_left_in_month", "count the days that remain in the month after a date given as YYYY-MM-DD, the date itself not counted, so that the last day of a month gives 0", ["2024-06-15"],
     [{"args": ["2024-02-10"], "result": 19}, {"args": ["2023-02-28"], "result": 0},
      {"args": ["2024-02-28"], "result": 1}, {"args": ["2024-12-01"], "result": 30}], """
from datetime import date
def days_left_in_month(self, day):
    d = date.fromisoformat(day)
    following = date(d.year + 1, 1, 1) if d.month == 12 else date(d.year, d.month + 1, 1)
    return (following - d).days - 1
""")
task("is_harshad", "tell whether a positive whole number can be divided with no remainder by the sum of its digits", [21],
     [{"args": [18], "result": True}, {"args": [19], "result": False},
      {"args": [1], "result": True}, {"args": [11], "result": False}], """
def is_harshad(self, n):
    return n % sum(int(d) for d in str(n)) == 0
""")
# --- on slots ---
task("stop_timer", "stop the running timer at a time of day written as HH:MM on a 24-hour clock: when the started slot holds a start time written the same way, add the minutes from it to the given time, on the same day, to the total slot and set started to None; when started is None, change nothing; return the total", ["10:45"],
     [{"given": {"started": "09:15", "total": 0}, "args": ["10:00"], "result": 45, "slots": {"started": None, "total": 45}},
      {"given": {"started": None, "total": 20}, "args": ["11:00"], "result": 20, "slots": {"started": None, "total": 20}},
      {"given": {"started": "13:59", "total": 100}, "args": ["14:01"], "result": 102, "slots": {"started": None, "total": 102}},
      {"given": {"started": "08:00", "total": 5}, "args": ["08:00"], "result": 5, "slots": {"started": None, "total": 5}}], """
def stop_timer(self, clock):
    if self.started is not None:
        start_h, start_m = self.started.split(":")
        end_h, end_m = clock.split(":")
        self.total += (int(end_h) * 60 + int(end_m)) - (int(start_h) * 60 + int(start_m))
        self.started = None
    return self.total
""", slots={"started": "10:00", "total": 30})
task("record_best", "record a player's score in the best slot, a dict from names to each player's best score: store the score when the name is not in it yet or when the score is higher than the one stored, and return True, otherwise change nothing and return False, a score equal to the stored one not being a new best", ["ann", 15],
     [{"given": {"best": {"ann": 10}}, "args": ["ann", 12], "result": True, "slots": {"best": {"ann": 12}}},
      {"given": {"best": {"ann": 10}}, "args": ["ann", 10], "result": False, "slots": {"best": {"ann": 10}}},
      {"given": {"best": {"ann": 10}}, "args": ["bo", 0], "result": True, "slots": {"best": {"ann": 10, "bo": 0}}},
      {"given": {"best": {"ann": 10, "bo": 7}}, "args": ["bo", 3], "result": False, "slots": {"best": {"ann": 10, "bo": 7}}}], """
def record_best(self, name, score):
    if name in self.best and score <= self.best[name]:
        return False
    self.best[name] = score
    return True
""", slots={"best": {"ann": 10}})
task("answer_invitation", "record a guest's answer to an invitation: when coming is True the name must end up in the yes slot and not in the no slot, and when it is False in the no slot and not in the yes slot, both slots being lists of names; a name that is moved or new goes to the end of its list, and a name already in the right list stays where it is; return how many names the yes slot holds", ["eve", True],
     [{"given": {"yes": ["ann"], "no": ["bo"]}, "args": ["bo", True], "result": 2, "slots": {"yes": ["ann", "bo"], "no": []}},
      {"given": {"yes": ["ann", "cy"], "no": []}, "args": ["ann", False], "result": 1, "slots": {"yes": ["cy"], "no": ["ann"]}},
      {"given": {"yes": ["ann", "cy"], "no": []}, "args": ["ann", True], "result": 2, "slots": {"yes": ["ann", "cy"], "no": []}},
      {"given": {"yes": [], "no": []}, "args": ["dee", False], "result": 0, "slots": {"yes": [], "no": ["dee"]}}], """
def answer_invitation(self, name, coming):
    right, wrong = (self.yes, self.no) if coming else (self.no, self.yes)
    if name in wrong:
        wrong.remove(name)
    if name not in right:
        right.append(name)
    return len(self.yes)
""", slots={"yes": ["ann"], "no": ["bo"]})
task("take_ticket", "hand out the number held in the next_ticket slot: add it to the end of the waiting slot, a list of ticket numbers, raise next_ticket by one, and return the number handed out", [],
     [{"given": {"next_ticket": 5, "waiting": [3, 4]}, "args": [], "result": 5, "slots": {"next_ticket": 6, "waiting": [3, 4, 5]}},
      {"given": {"next_ticket": 1, "waiting": []}, "args": [], "result": 1, "slots": {"next_ticket": 2, "waiting": [1]}},
      {"given": {"next_ticket": 100, "waiting": [99]}, "args": [], "result": 100, "slots": {"next_ticket": 101, "waiting": [99, 100]}},
      {"given": {"next_ticket": 0, "waiting": [7]}, "args": [], "result": 0, "slots": {"next_ticket": 1, "waiting": [7, 0]}}], """
def take_ticket(self):
    number = self.next_ticket
    self.waiting.append(number)
    self.next_ticket = number + 1
    return number
""", slots={"next_ticket": 12, "waiting": [10, 11]})
task("swap_sides", "swap the values of the left and right slots and return the two new values as a list, the left one first", [],
     [{"given": {"left": "a", "right": "b"}, "args": [], "result": ["b", "a"], "slots": {"left": "b", "right": "a"}},
      {"given": {"left": 1, "right": 1}, "args": [], "result": [1, 1], "slots": {"left": 1, "right": 1}},
      {"given": {"left": None, "right": [2]}, "args": [], "result": [[2], None], "slots": {"left": [2], "right": None}},
      {"given": {"left": "x", "right": ""}, "args": [], "result": ["", "x"], "slots": {"left": "", "right": "x"}}], """
def swap_sides(self):
    self.left, self.right = self.right, self.left
    return [self.left, self.right]
""", slots={"left": "home", "right": "away"})
task("bookmark_page", "add a page number to the bookmarks slot, a list of page numbers kept sorted from smallest to largest without repeats, and return True, or return False and change nothing when the page is already in it", [42],
     [{"given": {"bookmarks": [3, 10]}, "args": [7], "result": True, "slots": {"bookmarks": [3, 7, 10]}},
      {"given": {"bookmarks": [3, 10]}, "args": [10], "result": False, "slots": {"bookmarks": [3, 10]}},
      {"given": {"bookmarks": []}, "args": [1], "result": True, "slots": {"bookmarks": [1]}},
      {"given": {"bookmarks": [5]}, "args": [2], "result": True, "slots": {"bookmarks": [2, 5]}}], """
def bookmark_page(self, page):
    if page in self.bookmarks:
        return False
    self.bookmarks = sorted(self.bookmarks + [page])
    return True
""", slots={"bookmarks": [12, 80]})
task("record_weight", "add a weight in kilograms to the end of the weights slot, a list with the oldest weight first, and return the new weight minus the first weight of the list, negative for a loss, rounded to 1 decimal, so that the first weight ever recorded gives 0.0", [74.6],
     [{"given": {"weights": [80, 79.5]}, "args": [78.2], "result": -1.8, "slots": {"weights": [80, 79.5, 78.2]}},
      {"given": {"weights": []}, "args": [70], "result": 0.0, "slots": {"weights": [70]}},
      {"given": {"weights": [60]}, "args": [61.3], "result": 1.3, "slots": {"weights": [60, 61.3]}},
      {"given": {"weights": [90, 85]}, "args": [90], "result": 0.0, "slots": {"weights": [90, 85, 90]}}], """
def record_weight(self, kg):
    self.weights.append(kg)
    return round(kg - self.weights[0], 1)
""", slots={"weights": [75.0, 74.9]})
task("expire_coupons", "remove from the coupons slot, a dict from coupon codes to the last day each can be used written as YYYY-MM-DD, every coupon whose last day is before a given date written the same way, a coupon being still usable on its last day, and return the removed codes in alphabetical order", ["2024-05-01"],
     [{"given": {"coupons": {"B10": "2024-05-01", "A5": "2024-04-30", "C1": "2024-06-01"}}, "args": ["2024-05-01"], "result": ["A5"], "slots": {"coupons": {"B10": "2024-05-01", "C1": "2024-06-01"}}},
      {"given": {"coupons": {"Z": "2023-12-31", "Y": "2023-01-01"}}, "args": ["2024-01-01"], "result": ["Y", "Z"], "slots": {"coupons": {}}},
      {"given": {"coupons": {}}, "args": ["2024-01-01"], "result": [], "slots": {"coupons": {}}},
      {"given": {"coupons": {"Q": "2024-03-02"}}, "args": ["2024-03-01"], "result": [], "slots": {"coupons": {"Q": "2024-03-02"}}}], """
def expire_coupons(self, today):
    expired = sorted(code for code, last in self.coupons.items() if last < today)
    for code in expired:
        del self.coupons[code]
    return expired
""", slots={"coupons": {"SPRING": "2024-04-30", "SUMMER": "2024-08-31"}})
write("learning_tasks_novel10.jsonl")

# --- novel11 (written 2026-11-25 by a helper, before any run of it and before any rule drawn from it) ---
task("capitalize_sentences", "capitalize the sentences of a text: put in upper case its first character when it is a letter and every letter that comes right after a '.', '!' or '?' followed by one space, leaving every other character as it is, so that a dot inside a number such as 3.5 starts nothing", ["hello there. how are you? fine!"],
     [{"args": ["it costs 3.5 euros. ok"], "result": "It costs 3.5 euros. Ok"}, {"args": ["wow! such fun? yes."], "result": "Wow! Such fun? Yes."},
      {"args": [""], "result": ""}, {"args": ["see e.g.the list. and mIXED"], "result": "See e.g.the list. And mIXED"},
      {"args": ["1st place. 2nd place"], "result": "1st place. 2nd place"}], """
def capitalize_sentences(self, text):
    chars = list(text)
    for i, c in enumerate(chars):
        if c.isalpha() and (i == 0 or (i >= 2 and text[i - 1] == " " and text[i - 2] in ".!?")):
            chars[i] = c.upper()
    return "".join(chars)
""")
task("password_score", "score a password from 0 to 4 by counting which of four kinds of character it holds at least once: a lower-case letter, an upper-case letter, a digit, and any character that is neither a letter nor a digit, a space included; a password shorter than 8 characters scores 0 whatever it holds", ["Secret123"],
     [{"args": ["Ab1!"], "result": 0}, {"args": ["abcdefgh"], "result": 1}, {"args": ["Abcdefg1"], "result": 3},
      {"args": ["pass word 1"], "result": 3}, {"args": ["AAAA!!!!"], "result": 2}], """
def password_score(self, password):
    if len(password) < 8:
        return 0
    kinds = [any(c.islower() for c in password), any(c.isupper() for c in password),
             any(c.isdigit() for c in password), any(not c.isalnum() for c in password)]
    return sum(kinds)
""")
task("name_from_email", "make a person's name from an email address: take the part before the '@', split it at every '.', '_' and '-', drop the empty pieces, write each piece with its first letter in upper case and the rest in lower case, and join the pieces with single spaces", ["ada.lovelace@example.com"],
     [{"args": ["JOHN_doe@mail.org"], "result": "John Doe"}, {"args": ["mary-jane..watson@x.io"], "result": "Mary Jane Watson"},
      {"args": ["bob@site.com"], "result": "Bob"}, {"args": ["_x.y_@a.b"], "result": "X Y"}], r"""
import re
def name_from_email(self, email):
    local = email.split("@")[0]
    return " ".join(piece.capitalize() for piece in re.split(r"[._-]", local) if piece)
""")
task("make_hashtag", "turn a phrase into a hashtag: '#' followed by its words, split at spaces, after removing from them every character that is neither a letter nor a digit, each word written with its first letter in upper case and the rest in lower case, joined with nothing between them; a phrase left with no letter or digit gives an empty text", ["summer road trip"],
     [{"args": ["hello WORLD"], "result": "#HelloWorld"}, {"args": ["it's a new-day!"], "result": "#ItsANewday"},
      {"args": ["  !!  "], "result": ""}, {"args": ["top 10 tips"], "result": "#Top10Tips"}, {"args": [""], "result": ""}], """
def make_hashtag(self, phrase):
    words = ["".join(c for c in word if c.isalnum()) for word in phrase.split()]
    body = "".join(word.capitalize() for word in words if word)
    return "#" + body if body else ""
""")
task("count_distinct_words", "count the different words of a text, the words being separated by spaces and compared ignoring case, after removing the characters '.', ',', '!' and '?' from both ends of each word, a word left empty not counting", ["The cat saw the dog."],
     [{"args": ["Hi, hi! HI?"], "result": 1}, {"args": [""], "result": 0}, {"args": ["... wait , what"], "result": 2},
      {"args": ["e.g. eg"], "result": 2}, {"args": ["Yes yes no. No, maybe"], "result": 3}], """
def count_distinct_words(self, text):
    return len({word.strip(".,!?").lower() for word in text.split()} - {""})
""")
task("time_ago", "describe how long ago something happened from a whole number of minutes: 'just now' below 1 minute, 'N minutes ago' below 60 minutes, otherwise 'N hours ago' with the whole hours below 1440 minutes, otherwise 'N days ago' with the whole days, writing 'minute', 'hour' or 'day' without the 's' when N is 1", [125],
     [{"args": [0], "result": "just now"}, {"args": [1], "result": "1 minute ago"}, {"args": [60], "result": "1 hour ago"},
      {"args": [1439], "result": "23 hours ago"}, {"args": [2880], "result": "2 days ago"}], """
def time_ago(self, minutes):
    if minutes < 1:
        return "just now"
    if minutes < 60:
        n, unit = minutes, "minute"
    elif minutes < 1440:
        n, unit = minutes // 60, "hour"
    else:
        n, unit = minutes // 1440, "day"
    return f"{n} {unit}{'' if n == 1 else 's'} ago"
""")
task("merge_busy_times", "merge a list of busy periods, each a [start, end] pair of times written as HH:MM on a 24-hour clock with the start before the end, into the fewest periods covering the same times, sorted by start, two periods that overlap or where one ends exactly when the other starts becoming one", [[["09:00", "10:00"], ["09:30", "11:00"], ["13:00", "14:00"]]],
     [{"args": [[["14:00", "15:00"], ["08:00", "09:00"], ["09:00", "09:30"]]], "result": [["08:00", "09:30"], ["14:00", "15:00"]]},
      {"args": [[]], "result": []}, {"args": [[["10:00", "12:00"], ["10:30", "11:00"]]], "result": [["10:00", "12:00"]]},
      {"args": [[["07:00", "08:00"], ["08:01", "09:00"]]], "result": [["07:00", "08:00"], ["08:01", "09:00"]]}], """
def merge_busy_times(self, periods):
    merged = []
    for start, end in sorted(periods):
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    return merged
""")
task("lowest_balance", "return the lowest balance an account reaches, starting from an opening balance and applying a list of transactions in order, each a positive deposit or a negative withdrawal, the opening balance itself counting, so that a list with no withdrawal gives the opening balance", [100, [-30, 50, -90, 20]],
     [{"args": [50, [10, 20]], "result": 50}, {"args": [0, []], "result": 0}, {"args": [20, [-5, -30, 100]], "result": -15},
      {"args": [10, [5, -12, -1]], "result": 2}], """
def lowest_balance(self, opening, transactions):
    balance = lowest = opening
    for amount in transactions:
        balance += amount
        lowest = min(lowest, balance)
    return lowest
""")
task("repeated_items", "return the items that appear more than once in a list, each only once, in the order in which they first appear in the list", [[4, 2, 4, 3, 2, 4]],
     [{"args": [[1, 2, 2, 1]], "result": [1, 2]}, {"args": [[]], "result": []}, {"args": [["a", "b", "c"]], "result": []},
      {"args": [["x", "X", "x"]], "result": ["x"]}, {"args": [[5, 5, 5]], "result": [5]}], """
def repeated_items(self, items):
    result = []
    for i, item in enumerate(items):
        if item not in result and item in items[i + 1:]:
            result.append(item)
    return result
""")
task("smallest_gap", "return the smallest difference between two numbers at different positions of a list, as a non-negative number, or None when the list has fewer than 2 numbers", [[10, 3, 7, 15]],
     [{"args": [[1, 9, 4]], "result": 3}, {"args": [[5, 2, 5]], "result": 0}, {"args": [[8]], "result": None},
      {"args": [[-4, 6, -10]], "result": 6}], """
def smallest_gap(self, numbers):
    if len(numbers) < 2:
        return None
    ordered = sorted(numbers)
    return min(b - a for a, b in zip(ordered, ordered[1:]))
""")
task("scale_recipe", "scale a recipe, a dict from ingredients to quantities, made for a number of servings to another number of servings: multiply each quantity by the new number divided by the old one and round it to 2 decimals, keeping an ingredient whose quantity is None, meaning to taste, as None", [{"flour": 200, "eggs": 2, "salt": None}, 4, 6],
     [{"args": [{"rice": 300, "water": 600}, 3, 1], "result": {"rice": 100.0, "water": 200.0}},
      {"args": [{"sugar": 100, "pepper": None}, 3, 2], "result": {"sugar": 66.67, "pepper": None}},
      {"args": [{}, 2, 5], "result": {}}, {"args": [{"milk": 0.5}, 2, 5], "result": {"milk": 1.25}}], """
def scale_recipe(self, recipe, servings, new_servings):
    return {name: None if quantity is None else round(quantity * new_servings / servings, 2) for name, quantity in recipe.items()}
""")
task("average_by_student", "turn a dict from student names to lists of marks into a dict from each name to the average of that student's marks rounded to 1 decimal, a student with no marks getting None", [{"ann": [12, 15, 17], "bo": [9]}],
     [{"args": [{"cy": [10, 11]}], "result": {"cy": 10.5}}, {"args": [{"dee": []}], "result": {"dee": None}},
      {"args": [{}], "result": {}}, {"args": [{"ed": [7, 8, 8], "fay": [20]}], "result": {"ed": 7.7, "fay": 20.0}}], """
def average_by_student(self, marks):
    return {name: round(sum(m) / len(m), 1) if m else None for name, m in marks.items()}
""")
task("split_evenly", "split a whole number of items between n people as evenly as possible, giving the leftover items one each to the first people, and return the list of how many each person gets; n is at least 1", [10, 3],
     [{"args": [7, 2], "result": [4, 3]}, {"args": [2, 4], "result": [1, 1, 0, 0]}, {"args": [9, 3], "result": [3, 3, 3]},
      {"args": [0, 1], "result": [0]}, {"args": [11, 4], "result": [3, 3, 3, 2]}], """
def split_evenly(self, total, n):
    share, left = divmod(total, n)
    return [share + 1 if i < left else share for i in range(n)]
""")
task("monthly_payment", "return the monthly payment of a loan, rounded to 2 decimals, from the amount borrowed, a yearly interest rate in percent and a number of months: the amount times r divided by 1 minus (1 + r) to the power of minus the number of months, r being the yearly rate divided by 1200, and simply the amount divided by the number of months when the rate is 0", [10000, 5, 36],
     [{"args": [1200, 0, 12], "result": 100.0}, {"args": [1000, 12, 1], "result": 1010.0}, {"args": [200000, 6, 360], "result": 1199.1},
      {"args": [5000, 3.5, 24], "result": 216.01}, {"args": [2500, 19.99, 12], "result": 231.57}], """
def monthly_payment(self, amount, rate, months):
    if rate == 0:
        return round(amount / months, 2)
    r = rate / 1200
    return round(amount * r / (1 - (1 + r) ** -months), 2)
""")
task("progressive_tax", "work out the tax on an income with brackets given as a list of [upper limit, percent] pairs in increasing order of limit, the last limit being None for no limit: each part of the income above the previous limit, 0 for the first bracket, and up to the bracket's limit is taxed at that bracket's percent; return the total rounded to 2 decimals", [50000, [[10000, 0], [40000, 20], [None, 40]]],
     [{"args": [10000, [[10000, 0], [40000, 20], [None, 40]]], "result": 0.0}, {"args": [40000, [[10000, 0], [40000, 20], [None, 40]]], "result": 6000.0},
      {"args": [45000, [[10000, 0], [40000, 20], [None, 40]]], "result": 8000.0}, {"args": [0, [[10000, 0], [40000, 20], [None, 40]]], "result": 0.0},
      {"args": [25000, [[20000, 10], [None, 30]]], "result": 3500.0}], """
def progressive_tax(self, income, brackets):
    tax, lower = 0, 0
    for limit, percent in brackets:
        top = income if limit is None else min(income, limit)
        if top > lower:
            tax += (top - lower) * percent / 100
        if limit is not None:
            lower = limit
    return round(tax, 2)
""")
task("nth_weekday_of_month", "return the date, as YYYY-MM-DD, of the n-th time a weekday, named in English like 'Thursday', falls in the month given by a year and a month number, counting from 1, or None when that month has fewer than n such days", [2024, 11, "Thursday", 4],
     [{"args": [2024, 9, "Monday", 1], "result": "2024-09-02"}, {"args": [2024, 6, "Saturday", 1], "result": "2024-06-01"},
      {"args": [2024, 2, "Thursday", 5], "result": "2024-02-29"}, {"args": [2023, 2, "Thursday", 5], "result": None},
      {"args": [2025, 3, "Monday", 5], "result": "2025-03-31"}], """
from datetime import date, timedelta
def nth_weekday_of_month(self, year, month, weekday, n):
    names = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
    first = date(year, month, 1)
    day = first + timedelta(days=(names.index(weekday) - first.weekday()) % 7 + 7 * (n - 1))
    return day.isoformat() if day.month == month else None
""")
task("days_until_payday", "count the days from a date given as YYYY-MM-DD to the next payday, pay being made on the 15th and on the last day of every month, 0 when the date is itself a payday", ["2024-06-10"],
     [{"args": ["2024-06-15"], "result": 0}, {"args": ["2024-02-16"], "result": 13}, {"args": ["2023-02-20"], "result": 8},
      {"args": ["2024-12-31"], "result": 0}, {"args": ["2024-01-01"], "result": 14}], """
from datetime import date, timedelta
def days_until_payday(self, day):
    d = date.fromisoformat(day)
    if d.day <= 15:
        return 15 - d.day
    following = date(d.year + 1, 1, 1) if d.month == 12 else date(d.year, d.month + 1, 1)
    return (following - timedelta(days=1) - d).days
""")
task("long_date", "write a date given as YYYY-MM-DD in long form, like 'Tuesday 5 March 2024': the English weekday name, the day of the month without a leading zero, the English month name and the year, separated by single spaces", ["2024-03-05"],
     [{"args": ["2024-12-25"], "result": "Wednesday 25 December 2024"}, {"args": ["2023-01-01"], "result": "Sunday 1 January 2023"},
      {"args": ["2024-02-29"], "result": "Thursday 29 February 2024"}, {"args": ["2000-07-09"], "result": "Sunday 9 July 2000"}], """
from datetime import date
def long_date(self, day):
    d = date.fromisoformat(day)
    weekdays = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
    months = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
              "November", "December"]
    return f"{weekdays[d.weekday()]} {d.day} {months[d.month - 1]} {d.year}"
""")
task("fiscal_year_label", "name the fiscal year, running from 1 April to 31 March, in which a date given as YYYY-MM-DD falls, as 'FY' followed by the year in which it starts, a '-' and the last two digits of the year in which it ends, for example 'FY2024-25'", ["2024-07-15"],
     [{"args": ["2024-03-31"], "result": "FY2023-24"}, {"args": ["2024-04-01"], "result": "FY2024-25"}, {"args": ["1999-12-31"], "result": "FY1999-00"},
      {"args": ["2010-01-15"], "result": "FY2009-10"}, {"args": ["2008-05-01"], "result": "FY2008-09"}], """
def fiscal_year_label(self, day):
    year, month = int(day[:4]), int(day[5:7])
    start = year if month >= 4 else year - 1
    return f"FY{start}-{(start + 1) % 100:02d}"
""")
task("total_time", "add up a list of durations written as H:MM, hours and minutes, and return the total in the same form, the hours as many as needed without a leading zero, even past 24, and the minutes always with two digits, an empty list giving '0:00'", [["1:30", "0:45"]],
     [{"args": [["0:40", "0:25"]], "result": "1:05"}, {"args": [[]], "result": "0:00"}, {"args": [["20:00", "5:30"]], "result": "25:30"},
      {"args": [["12:59", "0:01", "10:00"]], "result": "23:00"}], """
def total_time(self, durations):
    minutes = 0
    for text in durations:
        hours, mins = text.split(":")
        minutes += int(hours) * 60 + int(mins)
    return f"{minutes // 60}:{minutes % 60:02d}"
""")
task("round_to_quarter_hour", "round a time of day written as HH:MM on a 24-hour clock to the nearest quarter of an hour and return it in the same form, so that a time 8 or more minutes past a quarter goes up, and a time that rounds up past 23:45 gives 00:00", ["10:38"],
     [{"args": ["09:07"], "result": "09:00"}, {"args": ["09:08"], "result": "09:15"}, {"args": ["23:53"], "result": "00:00"},
      {"args": ["12:59"], "result": "13:00"}, {"args": ["00:00"], "result": "00:00"}], """
def round_to_quarter_hour(self, clock):
    hours, mins = clock.split(":")
    total = (int(hours) * 60 + int(mins) + 7) // 15 * 15 % 1440
    return f"{total // 60:02d}:{total % 60:02d}"
""")
task("meetings_overlap", "tell whether two meetings, each given as a [start, end] pair of times written as HH:MM on a 24-hour clock on the same day, overlap, meetings where one ends exactly when the other starts not overlapping", [["09:00", "10:00"], ["09:30", "11:00"]],
     [{"args": [["09:00", "10:00"], ["10:00", "11:00"]], "result": False}, {"args": [["13:00", "14:00"], ["12:00", "13:00"]], "result": False},
      {"args": [["08:00", "12:00"], ["09:00", "10:00"]], "result": True}, {"args": [["15:00", "16:00"], ["09:00", "10:00"]], "result": False},
      {"args": [["11:59", "12:30"], ["12:29", "12:45"]], "result": True}], """
def meetings_overlap(self, first, second):
    return first[0] < second[1] and second[0] < first[1]
""")
# --- on slots ---
task("mark_habit", "record that a habit was done on a date given as YYYY-MM-DD by adding the date to the days slot, a list of such dates kept sorted without repeats, a date already in it changing nothing, and return the streak ending on that date: how many days in a row, counting back from that date and that date included, are in the list", ["2024-06-01"],
     [{"given": {"days": ["2024-02-27", "2024-02-28", "2024-02-29"]}, "args": ["2024-03-01"], "result": 4,
       "slots": {"days": ["2024-02-27", "2024-02-28", "2024-02-29", "2024-03-01"]}},
      {"given": {"days": []}, "args": ["2024-01-01"], "result": 1, "slots": {"days": ["2024-01-01"]}},
      {"given": {"days": ["2023-12-30", "2023-12-31", "2024-01-02"]}, "args": ["2024-01-01"], "result": 3,
       "slots": {"days": ["2023-12-30", "2023-12-31", "2024-01-01", "2024-01-02"]}},
      {"given": {"days": ["2024-05-01", "2024-05-03"]}, "args": ["2024-05-03"], "result": 1, "slots": {"days": ["2024-05-01", "2024-05-03"]}},
      {"given": {"days": ["2024-05-02", "2024-05-03"]}, "args": ["2024-05-01"], "result": 1, "slots": {"days": ["2024-05-01", "2024-05-02", "2024-05-03"]}}], """
from datetime import date, timedelta
def mark_habit(self, day):
    if day not in self.days:
        self.days = sorted(self.days + [day])
    streak, d = 0, date.fromisoformat(day)
    while d.isoformat() in self.days:
        streak += 1
        d -= timedelta(days=1)
    return streak
""", slots={"days": ["2024-05-29", "2024-05-30", "2024-05-31"]})
task("log_expense", "add an expense, a date given as YYYY-MM-DD and an amount, to the end of the expenses slot, a list of [date, amount] pairs, and return the total of the amounts of every expense in it that falls in the same month of the same year as that date, rounded to 2 decimals", ["2024-06-03", 20],
     [{"given": {"expenses": [["2024-05-31", 10], ["2024-06-01", 5]]}, "args": ["2024-06-15", 2.5], "result": 7.5,
       "slots": {"expenses": [["2024-05-31", 10], ["2024-06-01", 5], ["2024-06-15", 2.5]]}},
      {"given": {"expenses": [["2023-06-10", 100]]}, "args": ["2024-06-10", 1], "result": 1, "slots": {"expenses": [["2023-06-10", 100], ["2024-06-10", 1]]}},
      {"given": {"expenses": []}, "args": ["2024-01-31", 0.1], "result": 0.1, "slots": {"expenses": [["2024-01-31", 0.1]]}},
      {"given": {"expenses": [["2024-12-31", 3.3], ["2025-01-01", 1.1]]}, "args": ["2025-01-20", 2.2], "result": 3.3,
       "slots": {"expenses": [["2024-12-31", 3.3], ["2025-01-01", 1.1], ["2025-01-20", 2.2]]}}], """
def log_expense(self, day, amount):
    self.expenses.append([day, amount])
    return round(sum(a for d, a in self.expenses if d[:7] == day[:7]), 2)
""", slots={"expenses": [["2024-05-30", 12.5], ["2024-06-02", 8]]})
task("log_reading", "add a number of pages read on a date given as YYYY-MM-DD to the pages slot, a dict from dates to the pages read that day, adding to any pages already recorded for that date, and return the pages read in the 7 days ending on that date, that date included and the date 7 days before it not", ["2024-06-04", 30],
     [{"given": {"pages": {"2024-05-28": 10, "2024-05-29": 5}}, "args": ["2024-06-03", 12], "result": 27,
       "slots": {"pages": {"2024-05-28": 10, "2024-05-29": 5, "2024-06-03": 12}}},
      {"given": {"pages": {"2024-05-27": 10}}, "args": ["2024-06-03", 4], "result": 4, "slots": {"pages": {"2024-05-27": 10, "2024-06-03": 4}}},
      {"given": {"pages": {"2024-06-03": 10}}, "args": ["2024-06-03", 5], "result": 15, "slots": {"pages": {"2024-06-03": 15}}},
      {"given": {"pages": {"2024-06-10": 50, "2024-06-05": 1}}, "args": ["2024-06-06", 2], "result": 3,
       "slots": {"pages": {"2024-06-10": 50, "2024-06-05": 1, "2024-06-06": 2}}},
      {"given": {"pages": {"2023-12-27": 7}}, "args": ["2024-01-02", 3], "result": 10, "slots": {"pages": {"2023-12-27": 7, "2024-01-02": 3}}}], """
from datetime import date, timedelta
def log_reading(self, day, pages):
    self.pages[day] = self.pages.get(day, 0) + pages
    start = (date.fromisoformat(day) - timedelta(days=6)).isoformat()
    return sum(n for d, n in self.pages.items() if start <= d <= day)
""", slots={"pages": {"2024-06-01": 20, "2024-06-03": 15}})
task("move_task_up", "move a task one place towards the front of the todo slot, a list of task names, by swapping it with the task before it, and return its new position counting from 0; a task already first stays where it is, a task not in the list changes nothing and gives -1, and of a name that appears several times the first occurrence moves", ["groceries"],
     [{"given": {"todo": ["a", "b", "c"]}, "args": ["b"], "result": 0, "slots": {"todo": ["b", "a", "c"]}},
      {"given": {"todo": ["a", "b"]}, "args": ["a"], "result": 0, "slots": {"todo": ["a", "b"]}},
      {"given": {"todo": ["a", "b"]}, "args": ["z"], "result": -1, "slots": {"todo": ["a", "b"]}},
      {"given": {"todo": ["x", "y", "y"]}, "args": ["y"], "result": 0, "slots": {"todo": ["y", "x", "y"]}}], """
def move_task_up(self, name):
    if name not in self.todo:
        return -1
    i = self.todo.index(name)
    if i > 0:
        self.todo[i - 1], self.todo[i] = self.todo[i], self.todo[i - 1]
        i -= 1
    return i
""", slots={"todo": ["email", "laundry", "groceries"]})
task("buy_from_list", "record that a quantity of an item was bought: in the shopping slot, a list of [item, quantity] pairs, lower the quantity of the first pair whose item matches the given name ignoring case, removing the pair when its quantity reaches 0 or less, and return the quantity of it still to buy, 0 when the pair was removed or the item was not on the list", ["eggs", 6],
     [{"given": {"shopping": [["Milk", 2], ["bread", 1]]}, "args": ["milk", 1], "result": 1, "slots": {"shopping": [["Milk", 1], ["bread", 1]]}},
      {"given": {"shopping": [["Milk", 2], ["bread", 1]]}, "args": ["BREAD", 3], "result": 0, "slots": {"shopping": [["Milk", 2]]}},
      {"given": {"shopping": [["apples", 4]]}, "args": ["pears", 2], "result": 0, "slots": {"shopping": [["apples", 4]]}},
      {"given": {"shopping": [["tea", 2], ["jam", 1]]}, "args": ["tea", 2], "result": 0, "slots": {"shopping": [["jam", 1]]}}], """
def buy_from_list(self, item, quantity):
    for pair in self.shopping:
        if pair[0].lower() == item.lower():
            pair[1] -= quantity
            if pair[1] <= 0:
                self.shopping.remove(pair)
                return 0
            return pair[1]
    return 0
""", slots={"shopping": [["milk", 2], ["eggs", 12]]})
task("snooze_alarm", "snooze the alarm: when the snoozes slot is below 3, move the alarm slot, a time written as HH:MM on a 24-hour clock, later by the minutes in the snooze_minutes slot, going past midnight when needed, add one to snoozes and return the new alarm time; when snoozes is already 3 or more, change nothing and return None", [],
     [{"given": {"alarm": "07:55", "snooze_minutes": 9, "snoozes": 1}, "args": [], "result": "08:04", "slots": {"alarm": "08:04", "snoozes": 2}},
      {"given": {"alarm": "23:55", "snooze_minutes": 10, "snoozes": 0}, "args": [], "result": "00:05", "slots": {"alarm": "00:05", "snoozes": 1}},
      {"given": {"alarm": "06:00", "snooze_minutes": 5, "snoozes": 3}, "args": [], "result": None, "slots": {"alarm": "06:00", "snoozes": 3}},
      {"given": {"alarm": "06:00", "snooze_minutes": 5, "snoozes": 2}, "args": [], "result": "06:05", "slots": {"alarm": "06:05", "snoozes": 3}}], """
def snooze_alarm(self):
    if self.snoozes >= 3:
        return None
    hours, mins = self.alarm.split(":")
    total = (int(hours) * 60 + int(mins) + self.snooze_minutes) % 1440
    self.alarm = f"{total // 60:02d}:{total % 60:02d}"
    self.snoozes += 1
    return self.alarm
""", slots={"alarm": "06:30", "snooze_minutes": 10, "snoozes": 0})
task("upcoming_birthdays", "return the names in the birthdays slot, a dict from names to birthdays written as MM-DD, whose next birthday on or after a date given as YYYY-MM-DD is at most n days after that date, a birthday on the date itself being 0 days after it, the soonest first and names with the same birthday in alphabetical order", ["2024-06-01", 14],
     [{"given": {"birthdays": {"zed": "01-02", "amy": "12-31", "kim": "12-29"}}, "args": ["2024-12-30", 3], "result": ["amy", "zed"],
       "slots": {"birthdays": {"zed": "01-02", "amy": "12-31", "kim": "12-29"}}},
      {"given": {"birthdays": {"a": "03-10", "b": "03-11"}}, "args": ["2024-03-01", 9], "result": ["a"], "slots": {"birthdays": {"a": "03-10", "b": "03-11"}}},
      {"given": {"birthdays": {"lee": "07-04", "ada": "07-04"}}, "args": ["2024-07-04", 0], "result": ["ada", "lee"],
       "slots": {"birthdays": {"lee": "07-04", "ada": "07-04"}}},
      {"given": {"birthdays": {}}, "args": ["2024-01-01", 30], "result": [], "slots": {"birthdays": {}}}], """
from datetime import date
def upcoming_birthdays(self, day, n):
    today = date.fromisoformat(day)
    soon = []
    for name, birthday in self.birthdays.items():
        month, dom = int(birthday[:2]), int(birthday[3:])
        following = date(today.year, month, dom)
        if following < today:
            following = date(today.year + 1, month, dom)
        if (following - today).days <= n:
            soon.append(((following - today).days, name))
    return [name for _, name in sorted(soon)]
""", slots={"birthdays": {"ann": "06-10", "bo": "06-01", "cy": "12-25"}})
task("save_toward_goal", "add an amount to the saved slot and return how far saved now is towards the goal slot, a number above 0, as a whole percent, rounded down and never above 100 even when saved is over the goal", [100],
     [{"given": {"saved": 0, "goal": 300}, "args": [199], "result": 66, "slots": {"saved": 199}},
      {"given": {"saved": 900, "goal": 1000}, "args": [200], "result": 100, "slots": {"saved": 1100}},
      {"given": {"saved": 50, "goal": 200}, "args": [99.5], "result": 74, "slots": {"saved": 149.5}},
      {"given": {"saved": 999, "goal": 1000}, "args": [0.5], "result": 99, "slots": {"saved": 999.5}}], """
import math
def save_toward_goal(self, amount):
    self.saved += amount
    return min(100, math.floor(self.saved * 100 / self.goal))
""", slots={"saved": 250, "goal": 1000})
write("learning_tasks_novel11.jsonl")
