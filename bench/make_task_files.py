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

Tasks are written in ``bench/learning_tasks.jsonl``'s form; the references below only check the answers
(a typo in a hidden answer would count a right method as a false install).
"""

import datetime as dt
import json
import math
import re
import string
import sys
from pathlib import Path

OUT = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).resolve().parent
T: list[dict] = []


def task(id, intent, args, checks, ref, slots=None):  # noqa: A002 - the task's field
    T.append(dict(id=id, kind="slots" if slots else "pure", selector=id, intent=intent, args=args,
                  slots=slots or {}, checks=checks, _ref=ref))


def D(s):
    return dt.date.fromisoformat(s)


class Obj:
    def __init__(self, slots):
        self.__dict__.update(json.loads(json.dumps(slots)))


def slot_ref(fn):
    def run(slots, *args):
        o = Obj(slots)
        return fn(o, *args), o.__dict__
    run.slots = True
    return run


def write(name: str) -> None:
    out = []
    for t in T:
        ref = t.pop("_ref")
        for c in [{"args": t["args"]}] + t["checks"]:
            if getattr(ref, "slots", False):
                r, after = ref(c.get("given", t["slots"]), *c["args"])
                assert all(after[k] == v for k, v in (c.get("slots") or {}).items()), (t["id"], c, after)
            else:
                r = ref(*c["args"])
            if "result" in c:
                assert r == c["result"] and (type(r) is type(c["result"]) or isinstance(r, (int, float)) and not isinstance(r, bool)), (t["id"], c, r)
        out.append(json.dumps(t))
    (OUT / name).write_text("\n".join(out) + "\n")
    print(f"{name}: {len(out)} tasks, every hidden answer checked against a reference")
    T.clear()


# --- fresh ---
task("count_consonants", "count the consonants in a word, that is the letters that are not vowels", ["strength"],
     [{"args": ["Banana"], "result": 3}, {"args": ["AEIOU"], "result": 0}, {"args": ["Stop"], "result": 3}],
     lambda w: sum(1 for c in w if c.isalpha() and c.lower() not in "aeiou"))
task("reverse_text", "return a text written backwards", ["abc"],
     [{"args": ["hello"], "result": "olleh"}, {"args": [""], "result": ""}], lambda s: s[::-1])
task("count_upper", "count the upper-case letters in a text", ["Hello World"],
     [{"args": ["ABc"], "result": 2}, {"args": ["abc"], "result": 0}, {"args": ["A-B-C d"], "result": 3}],
     lambda s: sum(c.isupper() for c in s))
task("acronym", "make an acronym from a phrase: the first letter of each word, in upper case", ["portable network graphics"],
     [{"args": ["as soon as possible"], "result": "ASAP"}, {"args": ["Hello world"], "result": "HW"}],
     lambda s: "".join(w[0].upper() for w in s.split()))
task("pad_left", "write a number as text padded with zeros on the left to a given width", [7, 3],
     [{"args": [42, 5], "result": "00042"}, {"args": [1234, 2], "result": "1234"}], lambda n, w: str(n).zfill(w))
task("repeat_word", "repeat a word n times, separated by single spaces", ["hi", 3],
     [{"args": ["ab", 2], "result": "ab ab"}, {"args": ["x", 1], "result": "x"}], lambda w, n: " ".join([w] * n))
task("is_sorted", "tell whether a list of numbers is in non-decreasing order", [[1, 2, 2, 5]],
     [{"args": [[3, 1, 2]], "result": False}, {"args": [[1, 1, 1]], "result": True}, {"args": [[]], "result": True},
      {"args": [[1, 3, 2]], "result": False}], lambda l: all(a <= b for a, b in zip(l, l[1:])))
task("product", "return the product of the numbers in a list", [[2, 3, 4]],
     [{"args": [[5, 1]], "result": 5}, {"args": [[-2, 3]], "result": -6}, {"args": [[7]], "result": 7}],
     lambda l: math.prod(l))
task("range_of", "return the difference between the largest and the smallest number of a list", [[4, 9, 1]],
     [{"args": [[5, 5]], "result": 0}, {"args": [[-3, 10, 2]], "result": 13}], lambda l: max(l) - min(l))
task("digits_of", "return the digits of a non-negative integer as a list of ints, most significant first", [907],
     [{"args": [0], "result": [0]}, {"args": [1234], "result": [1, 2, 3, 4]}], lambda n: [int(c) for c in str(n)])
task("sign", "return -1, 0 or 1 according to the sign of a number", [-7],
     [{"args": [0], "result": 0}, {"args": [3.5], "result": 1}, {"args": [-0.1], "result": -1}],
     lambda x: (x > 0) - (x < 0))
task("is_power_of_two", "tell whether a positive integer is a power of two", [16],
     [{"args": [1], "result": True}, {"args": [12], "result": False}, {"args": [1024], "result": True}, {"args": [6], "result": False}],
     lambda n: n > 0 and n & (n - 1) == 0)
task("lcm", "return the least common multiple of two positive integers", [4, 6],
     [{"args": [3, 5], "result": 15}, {"args": [6, 8], "result": 24}, {"args": [7, 7], "result": 7}],
     lambda a, b: a * b // math.gcd(a, b))
task("minutes_to_hours", "turn a number of minutes into hours and minutes written like 2:05", [125],
     [{"args": [59], "result": "0:59"}, {"args": [600], "result": "10:00"}, {"args": [61], "result": "1:01"}],
     lambda m: f"{m // 60}:{m % 60:02d}")
task("rotate_left", "rotate a list to the left by k positions", [[1, 2, 3, 4, 5], 2],
     [{"args": [[1, 2, 3], 1], "result": [2, 3, 1]}, {"args": [[1, 2, 3], 0], "result": [1, 2, 3]}, {"args": [["a", "b"], 1], "result": ["b", "a"]}],
     lambda l, k: l[k:] + l[:k])
task("add_lists", "add two lists of numbers element by element", [[1, 2], [10, 20]],
     [{"args": [[0, 1, 2], [3, 4, 5]], "result": [3, 5, 7]}, {"args": [[], []], "result": []}],
     lambda a, b: [x + y for x, y in zip(a, b)])
task("with_prefix", "return the words of a list that start with a given prefix, keeping their order", [["apple", "banana", "apricot"], "ap"],
     [{"args": [["cat", "dog"], "x"], "result": []}, {"args": [["tea", "team", "eat"], "tea"], "result": ["tea", "team"]}],
     lambda ws, p: [w for w in ws if w.startswith(p)])
task("sum_values", "add up all the values of a dict of numbers", [{"a": 1, "b": 2}],
     [{"args": [{}], "result": 0}, {"args": [{"x": 10, "y": -4}], "result": 6}], lambda d: sum(d.values()))
task("longest_key", "return the longest key of a dict (the first one if several are as long)", [{"ab": 1, "abcd": 2, "c": 3}],
     [{"args": [{"x": 1, "yy": 2}], "result": "yy"}, {"args": [{"aa": 1, "bb": 2}], "result": "aa"}],
     lambda d: max(d, key=len))
task("month_name", "return the English name of the month of a date given as YYYY-MM-DD", ["2024-03-15"],
     [{"args": ["2023-12-01"], "result": "December"}, {"args": ["2020-01-31"], "result": "January"}],
     lambda s: D(s).strftime("%B"))
task("is_weekend", "tell whether a date given as YYYY-MM-DD falls on a Saturday or a Sunday", ["2024-03-16"],
     [{"args": ["2024-03-15"], "result": False}, {"args": ["2024-03-17"], "result": True}, {"args": ["2024-03-18"], "result": False}],
     lambda s: D(s).weekday() >= 5)
task("age_on", "how many whole years old is someone born on a date (YYYY-MM-DD) on another date (YYYY-MM-DD)", ["2000-05-20", "2024-05-19"],
     [{"args": ["2000-05-20", "2024-05-20"], "result": 24}, {"args": ["1990-01-01", "1990-12-31"], "result": 0}],
     lambda b, o: D(o).year - D(b).year - ((D(o).month, D(o).day) < (D(b).month, D(b).day)))
task("day_of_year", "return the day of the year (1 to 366) of a date given as YYYY-MM-DD", ["2024-03-01"],
     [{"args": ["2023-01-01"], "result": 1}, {"args": ["2023-12-31"], "result": 365}, {"args": ["2024-12-31"], "result": 366}],
     lambda s: D(s).timetuple().tm_yday)

def _take(o, n): o.stock -= n; return o.stock
task("take_stock", "take n items out of the stock slot and return how many are left", [3],
     [{"given": {"stock": 5}, "args": [2], "result": 3, "slots": {"stock": 3}}, {"given": {"stock": 9}, "args": [9], "result": 0, "slots": {"stock": 0}}],
     slot_ref(_take), slots={"stock": 10})
def _push(o, t): o.history.append(t); return o.history
task("push_history", "add a text to the end of the history slot (a list) and return the history", ["b"],
     [{"given": {"history": []}, "args": ["x"], "result": ["x"], "slots": {"history": ["x"]}},
      {"given": {"history": ["p", "q"]}, "args": ["r"], "result": ["p", "q", "r"], "slots": {"history": ["p", "q", "r"]}}],
     slot_ref(_push), slots={"history": ["a"]})
task("cart_total", "return the total cost of the cart slot, a list of [price, quantity] pairs", [],
     [{"given": {"cart": [[4, 1], [3, 2]]}, "args": [], "result": 10}, {"given": {"cart": []}, "args": [], "result": 0}],
     slot_ref(lambda o: sum(p * q for p, q in o.cart)), slots={"cart": [[2.5, 2], [1.0, 3]]})
def _toggle(o): o.enabled = not o.enabled; return o.enabled
task("toggle_enabled", "switch the enabled slot between true and false and return its new value", [],
     [{"given": {"enabled": True}, "args": [], "result": False, "slots": {"enabled": False}},
      {"given": {"enabled": False}, "args": [], "result": True, "slots": {"enabled": True}}],
     slot_ref(_toggle), slots={"enabled": False})
task("best_score", "return the highest number in the scores slot", [],
     [{"given": {"scores": [1, 2]}, "args": [], "result": 2}, {"given": {"scores": [-5, -2]}, "args": [], "result": -2}],
     slot_ref(lambda o: max(o.scores)), slots={"scores": [3, 9, 4]})
def _title(o, t): o.title = t.strip(); return o.title
task("set_title", "store a title in the title slot, without the spaces around it, and return it", ["  Hello "],
     [{"given": {"title": "x"}, "args": [" a b "], "result": "a b", "slots": {"title": "a b"}}],
     slot_ref(_title), slots={"title": ""})
def _count(o, w): return o.words.count(w)
task("times_seen", "return how many times a word appears in the words slot (a list)", ["to"],
     [{"given": {"words": ["a", "b", "a"]}, "args": ["a"], "result": 2}, {"given": {"words": []}, "args": ["z"], "result": 0}],
     slot_ref(_count), slots={"words": ["to", "be", "or", "not", "to", "be"]})

write("learning_tasks_fresh.jsonl")

# --- unseen ---
task("count_spaces", "count the spaces in a text", ["a b  c"],
     [{"args": ["nospace"], "result": 0}, {"args": ["  "], "result": 2}], lambda s: s.count(" "))
task("last_word", "return the last word of a sentence", ["the end is near"],
     [{"args": ["hello"], "result": "hello"}, {"args": ["one two three"], "result": "three"}], lambda s: s.split()[-1])
task("is_uppercase_word", "tell whether every letter of a word is a capital letter", ["NASA"],
     [{"args": ["Nasa"], "result": False}, {"args": ["OK"], "result": True}, {"args": ["ok"], "result": False}], lambda s: s.isupper())
task("swap_case", "swap the case of every letter in a text: upper becomes lower and lower becomes upper", ["Hello"],
     [{"args": ["aBc"], "result": "AbC"}, {"args": ["123 x"], "result": "123 X"}], lambda s: s.swapcase())
task("middle_char", "return the middle character of a word with an odd number of letters", ["abcde"],
     [{"args": ["cat"], "result": "a"}, {"args": ["x"], "result": "x"}], lambda s: s[len(s) // 2])
task("cube", "return the cube of a number", [3],
     [{"args": [-2], "result": -8}, {"args": [0], "result": 0}, {"args": [10], "result": 1000}], lambda n: n ** 3)
task("is_divisible", "tell whether the first number can be divided by the second with no remainder", [10, 5],
     [{"args": [10, 3], "result": False}, {"args": [0, 7], "result": True}, {"args": [21, 7], "result": True}], lambda a, b: a % b == 0)
task("average_of_two", "return the mean of two numbers", [2, 4],
     [{"args": [1, 2], "result": 1.5}, {"args": [-4, 4], "result": 0}], lambda a, b: (a + b) / 2)
task("count_negatives", "count how many numbers in a list are below zero", [[-1, 2, -3]],
     [{"args": [[]], "result": 0}, {"args": [[0, 5]], "result": 0}, {"args": [[-1, -1]], "result": 2}], lambda l: sum(1 for x in l if x < 0))
task("drop_duplicates", "remove repeated items from a list, keeping the first time each appears, in order", [[3, 1, 3, 2, 1]],
     [{"args": [["b", "a", "b"]], "result": ["b", "a"]}, {"args": [[]], "result": []}], lambda l: list(dict.fromkeys(l)))
task("last_n", "return the last n items of a list", [[1, 2, 3, 4, 5], 2],
     [{"args": [[1, 2, 3], 1], "result": [3]}, {"args": [["a", "b"], 2], "result": ["a", "b"]}], lambda l, n: l[-n:])
task("index_of_max", "return the position of the largest number in a list (the first one if it appears more than once)", [[3, 8, 2]],
     [{"args": [[9, 1]], "result": 0}, {"args": [[1, 5, 5]], "result": 1}], lambda l: l.index(max(l)))
task("key_of_max", "return the key of a dict that has the largest value", [{"a": 3, "b": 7}],
     [{"args": [{"x": 1, "y": 0}], "result": "x"}, {"args": [{"p": -5, "q": -2, "r": -9}], "result": "q"}], lambda d: max(d, key=d.get))
task("count_keys", "return how many keys a dict has", [{"a": 1, "b": 2}],
     [{"args": [{}], "result": 0}, {"args": [{"x": [1, 2, 3]}], "result": 1}], lambda d: len(d))
task("year_of", "return the year of a date given as YYYY-MM-DD, as an int", ["2024-03-15"],
     [{"args": ["1999-12-31"], "result": 1999}, {"args": ["2000-01-01"], "result": 2000}], lambda s: D(s).year)
task("next_day", "return the day after a date given as YYYY-MM-DD, in the same YYYY-MM-DD form", ["2024-03-15"],
     [{"args": ["2024-02-28"], "result": "2024-02-29"}, {"args": ["2023-12-31"], "result": "2024-01-01"}], lambda s: (D(s) + dt.timedelta(days=1)).isoformat())
def _deposit(o, n): o.balance += n; return o.balance
task("deposit", "deposit an amount into the balance slot and return the new balance", [50],
     [{"given": {"balance": 10}, "args": [5], "result": 15, "slots": {"balance": 15}}, {"given": {"balance": 0}, "args": [0], "result": 0, "slots": {"balance": 0}}],
     slot_ref(_deposit), slots={"balance": 100})
task("tag_count", "return how many tags are in the tags slot", [],
     [{"given": {"tags": ["a", "b", "c"]}, "args": [], "result": 3}, {"given": {"tags": []}, "args": [], "result": 0}],
     slot_ref(lambda o: len(o.tags)), slots={"tags": ["red", "green"]})
def _reset(o): o.count = 0; return o.count
task("reset_count", "set the count slot back to zero and return it", [],
     [{"given": {"count": 7}, "args": [], "result": 0, "slots": {"count": 0}}], slot_ref(_reset), slots={"count": 4})
task("has_tag", "tell whether a tag is in the tags slot (a list)", ["red"],
     [{"given": {"tags": ["a", "b"]}, "args": ["b"], "result": True}, {"given": {"tags": ["a"]}, "args": ["z"], "result": False}],
     slot_ref(lambda o, t: t in o.tags), slots={"tags": ["red", "green"]})
write("learning_tasks_unseen.jsonl")

# --- holdout (written 2026-11-23, second session, before any run of it) ---
def _first_twice(s):
    seen = set()
    for c in s:
        if c in seen:
            return c
        seen.add(c)
    return None


task("title_case", "capitalize the first letter of each word and lower-case the rest, e.g. 'hELLO wORLD' gives 'Hello World'",
     ["the QUICK fox"], [{"args": ["a b"], "result": "A B"}, {"args": ["ONE"], "result": "One"}],
     lambda s: " ".join(w.capitalize() for w in s.split()))
task("strip_vowels", "remove every vowel (a, e, i, o, u, either case) from a text", ["Banana Split"],
     [{"args": ["AEIOUxyz"], "result": "xyz"}, {"args": [""], "result": ""}, {"args": ["Hello"], "result": "Hll"}],
     lambda s: "".join(c for c in s if c.lower() not in "aeiou"))
task("first_repeated_char", "return the first character that appears a second time in a text, reading from the left, or None if none does",
     ["abcbad"], [{"args": ["abca"], "result": "a"}, {"args": ["abc"], "result": None}, {"args": ["xyzzy"], "result": "z"}],
     _first_twice)
task("shout", "return a text in upper case followed by an exclamation mark", ["hey"],
     [{"args": ["Hi there"], "result": "HI THERE!"}, {"args": [""], "result": "!"}], lambda s: s.upper() + "!")
task("count_long_words", "count the words of a sentence that have more than 3 letters", ["the quick brown fox"],
     [{"args": ["a bb ccc dddd"], "result": 1}, {"args": [""], "result": 0}, {"args": ["hello world"], "result": 2}],
     lambda s: sum(1 for w in s.split() if len(w) > 3))
task("is_pangram", "tell whether a sentence uses every letter of the alphabet at least once, in either case",
     ["The quick brown fox jumps over the lazy dog"],
     [{"args": ["abc"], "result": False}, {"args": ["abcdefghijklmnopqrstuvwxyz"], "result": True},
      {"args": ["Pack my box with five dozen liquor jugs"], "result": True}],
     lambda s: set("abcdefghijklmnopqrstuvwxyz") <= set(s.lower()))
task("digit_count", "count the digits of a non-negative integer", [9050],
     [{"args": [0], "result": 1}, {"args": [7], "result": 1}, {"args": [123456], "result": 6}], lambda n: len(str(n)))
task("is_perfect_square", "tell whether a non-negative integer is a perfect square", [49],
     [{"args": [0], "result": True}, {"args": [50], "result": False}, {"args": [1], "result": True}, {"args": [15], "result": False}],
     lambda n: math.isqrt(n) ** 2 == n)
task("round_to", "round a number to a given number of decimal places", [3.14159, 2],
     [{"args": [1.23456, 3], "result": 1.235}, {"args": [10.0, 0], "result": 10.0}, {"args": [7.891, 1], "result": 7.9}],
     lambda x, n: round(x, n))
task("km_to_miles", "convert kilometres to miles, rounded to 2 decimals (1 km is 0.621371 miles)", [10],
     [{"args": [0], "result": 0.0}, {"args": [42.195], "result": 26.22}, {"args": [100], "result": 62.14}],
     lambda k: round(k * 0.621371, 2))
task("second_smallest", "return the second smallest number in a list of distinct numbers", [[4, 1, 7, 3]],
     [{"args": [[10, 20]], "result": 20}, {"args": [[5, 3, 9, 1]], "result": 3}], lambda l: sorted(l)[1])
task("pairwise_sums", "return the sums of each pair of neighbouring numbers in a list, e.g. [1, 2, 3] gives [3, 5]", [[1, 4, 2, 8]],
     [{"args": [[5]], "result": []}, {"args": [[0, 0, 1]], "result": [0, 1]}, {"args": [[-1, 1]], "result": [0]}],
     lambda l: [a + b for a, b in zip(l, l[1:])])
task("interleave", "take items from two lists in turn, starting with the first list; when one runs out, add the rest of the other",
     [[1, 3, 5], [2, 4]], [{"args": [[1], [2, 3, 4]], "result": [1, 2, 3, 4]}, {"args": [[], [7]], "result": [7]},
                           {"args": [["a", "c"], ["b", "d"]], "result": ["a", "b", "c", "d"]}],
     lambda a, b: [x for pair in zip(a, b) for x in pair] + a[len(b):] + b[len(a):])
task("count_occurrences", "count how many times a value appears in a list", [[1, 2, 1, 3, 1], 1],
     [{"args": [["a", "b"], "c"], "result": 0}, {"args": [[2, 2], 2], "result": 2}], lambda l, v: l.count(v))
task("filter_above", "return a dict with only the entries of a dict whose value is greater than a limit", [{"a": 1, "b": 5, "c": 3}, 2],
     [{"args": [{"x": 10}, 10], "result": {}}, {"args": [{"p": 3, "q": 4}, 0], "result": {"p": 3, "q": 4}}],
     lambda d, n: {k: v for k, v in d.items() if v > n})
task("get_or_zero", "return the value stored under a key in a dict, or 0 when the key is missing", [{"a": 3}, "a"],
     [{"args": [{"a": 3}, "b"], "result": 0}, {"args": [{}, "x"], "result": 0}, {"args": [{"k": 9}, "k"], "result": 9}],
     lambda d, k: d.get(k, 0))
task("weeks_between", "count the whole weeks between two dates given as YYYY-MM-DD", ["2024-01-01", "2024-01-22"],
     [{"args": ["2024-01-01", "2024-01-07"], "result": 0}, {"args": ["2024-03-01", "2024-03-15"], "result": 2},
      {"args": ["2024-01-01", "2024-12-31"], "result": 52}], lambda a, b: abs((D(b) - D(a)).days) // 7)
task("quarter_of", "return the quarter of the year (1 to 4) in which a date given as YYYY-MM-DD falls", ["2024-05-10"],
     [{"args": ["2024-01-31"], "result": 1}, {"args": ["2024-12-01"], "result": 4}, {"args": ["2024-07-01"], "result": 3}],
     lambda s: (D(s).month - 1) // 3 + 1)
task("days_in_month", "return how many days the month of a date given as YYYY-MM-DD has", ["2024-02-10"],
     [{"args": ["2023-02-10"], "result": 28}, {"args": ["2024-04-30"], "result": 30}, {"args": ["2024-12-25"], "result": 31}],
     lambda s: ((D(s).replace(day=28) + dt.timedelta(days=4)).replace(day=1) - dt.timedelta(days=1)).day)
task("iso_to_us", "turn a date given as YYYY-MM-DD into the US form MM/DD/YYYY", ["2024-03-15"],
     [{"args": ["1999-12-31"], "result": "12/31/1999"}, {"args": ["2024-01-05"], "result": "01/05/2024"}],
     lambda s: D(s).strftime("%m/%d/%Y"))
def _points(o, n): o.points += n; return o.points
task("add_points", "add n points to the points slot and return the new total", [5],
     [{"given": {"points": 0}, "args": [3], "result": 3, "slots": {"points": 3}}, {"given": {"points": 7}, "args": [0], "result": 7, "slots": {"points": 7}}],
     slot_ref(_points), slots={"points": 10})
def _untag(o, t):
    if t in o.tags:
        o.tags.remove(t)
        return True
    return False
task("remove_tag", "remove a tag from the tags slot (a list) if it is there, and return whether it was", ["red"],
     [{"given": {"tags": ["a", "b"]}, "args": ["a"], "result": True, "slots": {"tags": ["b"]}},
      {"given": {"tags": ["a"]}, "args": ["z"], "result": False, "slots": {"tags": ["a"]}}],
     slot_ref(_untag), slots={"tags": ["red", "blue"]})
task("average_temp", "return the average of the numbers in the temps slot, rounded to 1 decimal", [],
     [{"given": {"temps": [1, 2]}, "args": [], "result": 1.5}, {"given": {"temps": [10]}, "args": [], "result": 10.0},
      {"given": {"temps": [1, 1, 2]}, "args": [], "result": 1.3}],
     slot_ref(lambda o: round(sum(o.temps) / len(o.temps), 1)), slots={"temps": [20, 22, 25]})
def _log(o, t): o.log.append(t); return len(o.log)
task("log_event", "append a text to the log slot (a list) and return how many entries it holds now", ["start"],
     [{"given": {"log": ["a"]}, "args": ["b"], "result": 2, "slots": {"log": ["a", "b"]}}, {"given": {"log": []}, "args": ["x"], "result": 1, "slots": {"log": ["x"]}}],
     slot_ref(_log), slots={"log": []})
def _pop(o): return o.queue.pop()
task("pop_last", "remove the last item of the queue slot (a list) and return it", [],
     [{"given": {"queue": [4, 5]}, "args": [], "result": 5, "slots": {"queue": [4]}}, {"given": {"queue": ["x"]}, "args": [], "result": "x", "slots": {"queue": []}}],
     slot_ref(_pop), slots={"queue": [1, 2, 3]})
def _double(o): o.level *= 2; return o.level
task("double_level", "double the level slot and return the new level", [],
     [{"given": {"level": 5}, "args": [], "result": 10, "slots": {"level": 10}}, {"given": {"level": 0}, "args": [], "result": 0, "slots": {"level": 0}}],
     slot_ref(_double), slots={"level": 3})
write("learning_tasks_holdout.jsonl")

# --- novel (written 2026-11-24, before any run of it) ---
task("count_digits_in_text", "count the digits (0 to 9) in a text", ["a1b22"],
     [{"args": ["none"], "result": 0}, {"args": ["2024-01-01"], "result": 8}], lambda s: sum(c.isdigit() for c in s))
task("capitalize_first", "return a text with its first letter in upper case and the rest left as it is", ["hello World"],
     [{"args": ["abc"], "result": "Abc"}, {"args": [""], "result": ""}, {"args": ["mcDonald"], "result": "McDonald"}],
     lambda s: s[:1].upper() + s[1:])
task("words_longer_than", "return the words of a sentence that are longer than n letters, in order", ["the quick brown fox", 3],
     [{"args": ["a bb ccc", 1], "result": ["bb", "ccc"]}, {"args": ["hi", 5], "result": []}],
     lambda s, n: [w for w in s.split() if len(w) > n])
task("replace_spaces", "replace every space in a text with an underscore", ["a b c"],
     [{"args": ["nospace"], "result": "nospace"}, {"args": ["  "], "result": "__"}], lambda s: s.replace(" ", "_"))
task("is_numeric_text", "tell whether a text is made only of digits and is not empty", ["12345"],
     [{"args": ["12a"], "result": False}, {"args": [""], "result": False}, {"args": ["007"], "result": True}],
     lambda s: s.isdigit())
task("sum_of_evens", "add up the even numbers in a list", [[1, 2, 3, 4]],
     [{"args": [[]], "result": 0}, {"args": [[-2, 3, 5]], "result": -2}, {"args": [[1, 3]], "result": 0}],
     lambda l: sum(x for x in l if x % 2 == 0))
task("abs_difference", "return the absolute difference of two numbers", [3, 10],
     [{"args": [10, 3], "result": 7}, {"args": [-2, 2], "result": 4}], lambda a, b: abs(a - b))
task("hours_to_minutes", "convert a number of hours to minutes", [2],
     [{"args": [0.5], "result": 30.0}, {"args": [1.5], "result": 90.0}], lambda h: h * 60)
task("mode_of", "return the value that appears most often in a list of numbers (the first such value if there is a tie)", [[1, 2, 2, 3]],
     [{"args": [[4, 4, 5, 5]], "result": 4}, {"args": [[7]], "result": 7}, {"args": [[3, 1, 1]], "result": 1}],
     lambda l: max(l, key=lambda x: (l.count(x), -l.index(x))))
task("list_difference", "return the items of the first list that are not in the second list, in order", [[1, 2, 3, 4], [2, 4]],
     [{"args": [["a", "b"], []], "result": ["a", "b"]}, {"args": [[1, 1, 2], [1]], "result": [2]}],
     lambda a, b: [x for x in a if x not in b])
task("zip_to_dict", "make a dict from a list of keys and a list of values of the same length", [["a", "b"], [1, 2]],
     [{"args": [[], []], "result": {}}, {"args": [["x"], [[1]]], "result": {"x": [1]}}], lambda k, v: dict(zip(k, v)))
task("count_true", "count how many values in a list are True", [[True, False, True]],
     [{"args": [[]], "result": 0}, {"args": [[False]], "result": 0}], lambda l: sum(1 for x in l if x is True))
task("sort_by_length", "sort a list of words from shortest to longest, keeping the original order of words of the same length", [["ccc", "a", "bb"]],
     [{"args": [["bb", "aa", "c"]], "result": ["c", "bb", "aa"]}, {"args": [[]], "result": []}], lambda l: sorted(l, key=len))
task("filter_keys", "return the part of a dict whose keys are in a given list", [{"a": 1, "b": 2, "c": 3}, ["a", "c"]],
     [{"args": [{"a": 1}, ["z"]], "result": {}}, {"args": [{"x": 0, "y": 1}, ["y", "x"]], "result": {"x": 0, "y": 1}}],
     lambda d, ks: {k: v for k, v in d.items() if k in ks})
task("values_sorted_by_key", "return the values of a dict ordered by their keys", [{"b": 2, "a": 1, "c": 3}],
     [{"args": [{}], "result": []}, {"args": [{"z": "last", "m": "mid"}], "result": ["mid", "last"]}],
     lambda d: [d[k] for k in sorted(d)])
task("is_last_day_of_month", "tell whether a date given as YYYY-MM-DD is the last day of its month", ["2024-02-29"],
     [{"args": ["2023-02-28"], "result": True}, {"args": ["2024-02-28"], "result": False}, {"args": ["2024-04-30"], "result": True},
      {"args": ["2024-05-30"], "result": False}], lambda s: (D(s) + dt.timedelta(days=1)).day == 1)
task("to_iso_date", "turn three numbers, a year, a month and a day, into a date text YYYY-MM-DD", [2024, 3, 5],
     [{"args": [1999, 12, 31], "result": "1999-12-31"}, {"args": [2000, 1, 1], "result": "2000-01-01"}],
     lambda y, m, d: dt.date(y, m, d).isoformat())
task("seconds_to_clock", "turn a number of seconds into a text H:MM:SS", [3725],
     [{"args": [59], "result": "0:00:59"}, {"args": [36000], "result": "10:00:00"}],
     lambda n: f"{n // 3600}:{n % 3600 // 60:02d}:{n % 60:02d}")
task("count_words_starting_with", "count the words of a sentence that start with a given letter, in either case", ["Apples and avocados are tasty", "a"],
     [{"args": ["Big blue ball", "B"], "result": 3}, {"args": ["none here", "z"], "result": 0}],
     lambda s, c: sum(1 for w in s.split() if w[:1].lower() == c.lower()))
task("only_letters", "keep only the letters of a text, dropping digits, spaces and punctuation", ["a1 b2-c!"],
     [{"args": ["123"], "result": ""}, {"args": ["Hi There"], "result": "HiThere"}], lambda s: "".join(c for c in s if c.isalpha()))
task("is_subset", "tell whether every item of the first list is also in the second list", [[1, 2], [1, 2, 3]],
     [{"args": [[4], [1, 2]], "result": False}, {"args": [[], [1]], "result": True}], lambda a, b: all(x in b for x in a))
task("floor_to_multiple", "round a number down to the nearest multiple of m", [17, 5],
     [{"args": [20, 5], "result": 20}, {"args": [4, 10], "result": 0}], lambda n, m: n // m * m)
task("count_sentences", "count the sentences in a text, each ending with '.', '!' or '?'", ["Hi. How are you? Fine!"],
     [{"args": ["No end"], "result": 0}, {"args": ["One. Two."], "result": 2}], lambda s: sum(s.count(c) for c in ".!?"))
task("distance", "return the distance between two points given as [x, y] lists", [[0, 0], [3, 4]],
     [{"args": [[1, 1], [1, 1]], "result": 0.0}, {"args": [[-1, 0], [2, 4]], "result": 5.0}], lambda p, q: math.dist(p, q))
def _withdraw(o, n):
    if o.balance >= n:
        o.balance -= n
    return o.balance
task("withdraw", "withdraw an amount from the balance slot if the balance is enough and return the new balance; otherwise leave the balance as it is and return it", [30],
     [{"given": {"balance": 10}, "args": [20], "result": 10, "slots": {"balance": 10}}, {"given": {"balance": 50}, "args": [50], "result": 0, "slots": {"balance": 0}}],
     slot_ref(_withdraw), slots={"balance": 100})
task("count_readings_over", "count how many numbers in the readings slot (a list) are above a given limit", [10],
     [{"given": {"readings": []}, "args": [10], "result": 0}, {"given": {"readings": [11, 11, 3]}, "args": [10], "result": 2}],
     slot_ref(lambda o, n: sum(1 for x in o.readings if x > n)), slots={"readings": [5, 12, 20]})
def _set_score(o, name, points):
    o.scores[name] = points
    return len(o.scores)
task("set_score", "set the points of a player in the scores slot (a dict from names to points) and return how many players it holds", ["ann", 5],
     [{"given": {"scores": {}}, "args": ["x", 1], "result": 1, "slots": {"scores": {"x": 1}}},
      {"given": {"scores": {"x": 1}}, "args": ["x", 9], "result": 1, "slots": {"scores": {"x": 9}}}],
     slot_ref(_set_score), slots={"scores": {"bob": 3}})
task("last_entry", "return the most recent entry of the history slot (a list, newest last), or None when it is empty", [],
     [{"given": {"history": []}, "args": [], "result": None}, {"given": {"history": ["x"]}, "args": [], "result": "x"}],
     slot_ref(lambda o: o.history[-1] if o.history else None), slots={"history": ["a", "b"]})
def _halve(o):
    o.budget = o.budget / 2
    return o.budget
task("halve_budget", "halve the budget slot (a number) and return the new budget", [],
     [{"given": {"budget": 7}, "args": [], "result": 3.5, "slots": {"budget": 3.5}}, {"given": {"budget": 0}, "args": [], "result": 0, "slots": {"budget": 0}}],
     slot_ref(_halve), slots={"budget": 10})
task("total_length", "return the total number of characters of all the words in the words slot (a list of texts)", [],
     [{"given": {"words": []}, "args": [], "result": 0}, {"given": {"words": ["x", "yz"]}, "args": [], "result": 3}],
     slot_ref(lambda o: sum(len(w) for w in o.words)), slots={"words": ["ab", "cde"]})
write("learning_tasks_novel.jsonl")

# --- novel2 (written 2026-11-24, after novel's run, before any rule drawn from it, before any run of it) ---
task("count_lines", "count the lines of a text, the pieces between newline characters", ["a\nb\nc"],
     [{"args": ["one"], "result": 1}, {"args": ["x\ny"], "result": 2}], lambda s: len(s.split("\n")))
task("first_word_upper", "return the first word of a sentence in upper case", ["hello big world"],
     [{"args": ["a b"], "result": "A"}, {"args": ["Solo"], "result": "SOLO"}], lambda s: s.split()[0].upper())
task("is_capitalized", "tell whether a word starts with an upper-case letter", ["Hello"],
     [{"args": ["hello"], "result": False}, {"args": ["HELLO"], "result": True}, {"args": ["1abc"], "result": False}],
     lambda s: s[:1].isupper())
def _longest_run(s):
    best = run = 0
    for i, c in enumerate(s):
        run = run + 1 if i and s[i - 1] == c else 1
        best = max(best, run)
    return best
task("longest_run", "return the length of the longest run of one character repeated in a row in a text", ["aabbbc"],
     [{"args": ["abc"], "result": 1}, {"args": ["zzzz"], "result": 4}, {"args": ["abba"], "result": 2}], _longest_run)
task("mask_digits", "replace every digit of a text with '#'", ["a1b22"],
     [{"args": ["none"], "result": "none"}, {"args": ["2024"], "result": "####"}], lambda s: "".join("#" if c.isdigit() else c for c in s))
task("join_with_commas", "join a list of words into one text, separated by a comma and a space", [["a", "b", "c"]],
     [{"args": [["x"]], "result": "x"}, {"args": [[]], "result": ""}], lambda l: ", ".join(l))
task("count_unique_chars", "count the different characters in a text", ["hello"],
     [{"args": ["aaa"], "result": 1}, {"args": [""], "result": 0}, {"args": ["abc"], "result": 3}], lambda s: len(set(s)))
task("ends_with_question", "tell whether a sentence ends with a question mark", ["How are you?"],
     [{"args": ["Fine."], "result": False}, {"args": ["Why? No"], "result": False}], lambda s: s.endswith("?"))
task("is_even", "tell whether an integer is even", [4],
     [{"args": [7], "result": False}, {"args": [0], "result": True}, {"args": [-2], "result": True}], lambda n: n % 2 == 0)
task("percent_change", "return the percentage change from an old value to a new value", [50, 75],
     [{"args": [100, 80], "result": -20.0}, {"args": [10, 10], "result": 0.0}], lambda a, b: (b - a) / a * 100)
task("triangle_area", "return the area of a triangle from its base and its height", [4, 3],
     [{"args": [10, 5], "result": 25.0}, {"args": [1, 1], "result": 0.5}], lambda b, h: b * h / 2)
task("nearest_ten", "round a non-negative integer to the nearest multiple of ten, halves going up", [14],
     [{"args": [15], "result": 20}, {"args": [99], "result": 100}, {"args": [0], "result": 0}], lambda n: (n + 5) // 10 * 10)
task("count_multiples", "count the numbers from 1 to n that are multiples of k", [10, 3],
     [{"args": [5, 5], "result": 1}, {"args": [4, 7], "result": 0}], lambda n, k: n // k)
task("between", "tell whether a number lies between two bounds, the bounds included", [5, 1, 10],
     [{"args": [10, 1, 10], "result": True}, {"args": [0, 1, 10], "result": False}, {"args": [11, 1, 10], "result": False}],
     lambda x, a, b: a <= x <= b)
task("last_index_of", "return the position of the last time a value appears in a list, or -1 if it is not there", [[1, 2, 1, 3], 1],
     [{"args": [[1, 2], 5], "result": -1}, {"args": [["a"], "a"], "result": 0}],
     lambda l, v: max((i for i, x in enumerate(l) if x == v), default=-1))
task("pairwise_differences", "return the differences between each number of a list and the one before it", [[1, 4, 9]],
     [{"args": [[5]], "result": []}, {"args": [[3, 1]], "result": [-2]}], lambda l: [b - a for a, b in zip(l, l[1:])])
task("every_other", "return every other item of a list, starting with the first", [[1, 2, 3, 4, 5]],
     [{"args": [[]], "result": []}, {"args": [["a", "b"]], "result": ["a"]}], lambda l: l[::2])
task("count_above_average", "count the numbers in a list that are greater than the list's average", [[1, 2, 3, 10]],
     [{"args": [[5, 5]], "result": 0}, {"args": [[1, 2, 3, 4]], "result": 2}], lambda l: sum(1 for x in l if x > sum(l) / len(l)))
task("split_even_odd", "split a list of integers into a list of the even ones and a list of the odd ones, in that order, each keeping its order",
     [[1, 2, 3, 4]], [{"args": [[]], "result": [[], []]}, {"args": [[7]], "result": [[], [7]]}],
     lambda l: [[x for x in l if x % 2 == 0], [x for x in l if x % 2]])
task("remove_value", "return a list without any item equal to a given value", [[1, 2, 1, 3], 1],
     [{"args": [["a"], "b"], "result": ["a"]}, {"args": [[], 0], "result": []}], lambda l, v: [x for x in l if x != v])
def _by_first(words):
    out = {}
    for w in words:
        out[w[0]] = out.get(w[0], 0) + 1
    return out
task("count_by_first_letter", "map each first letter to how many words of a list start with it", [["apple", "avocado", "banana"]],
     [{"args": [[]], "result": {}}, {"args": [["x"]], "result": {"x": 1}}], _by_first)
task("rename_key", "return a copy of a dict with one key renamed to a new name", [{"a": 1, "b": 2}, "a", "z"],
     [{"args": [{"x": 0}, "x", "y"], "result": {"y": 0}}, {"args": [{"p": 1, "q": 2}, "q", "r"], "result": {"p": 1, "r": 2}}],
     lambda d, old, new: {(new if k == old else k): v for k, v in d.items()})
task("min_value_key", "return the key of a dict that has the smallest value", [{"a": 3, "b": 1}],
     [{"args": [{"x": 0}], "result": "x"}, {"args": [{"p": -1, "q": -5}], "result": "q"}], lambda d: min(d, key=d.get))
task("days_in_year", "return how many days a year has (365 or 366)", [2024],
     [{"args": [2023], "result": 365}, {"args": [1900], "result": 365}, {"args": [2000], "result": 366}],
     lambda y: 366 if y % 4 == 0 and (y % 100 or y % 400 == 0) else 365)
task("month_of", "return the month number (1 to 12) of a date given as YYYY-MM-DD", ["2024-03-15"],
     [{"args": ["1999-12-31"], "result": 12}, {"args": ["2000-01-01"], "result": 1}], lambda s: D(s).month)
task("date_after_weeks", "return the date n weeks after a date given as YYYY-MM-DD, in the same form", ["2024-01-01", 2],
     [{"args": ["2024-02-20", 2], "result": "2024-03-05"}, {"args": ["2023-12-25", 1], "result": "2024-01-01"}],
     lambda s, n: (D(s) + dt.timedelta(weeks=n)).isoformat())
def _visit(o): o.visits += 1; return o.visits
task("add_visit", "add one to the visits slot and return the new count", [],
     [{"given": {"visits": 0}, "args": [], "result": 1, "slots": {"visits": 1}}], slot_ref(_visit), slots={"visits": 3})
def _remove_first(o): return o.queue.pop(0)
task("remove_first", "remove the first item of the queue slot (a list) and return it", [],
     [{"given": {"queue": ["a", "b"]}, "args": [], "result": "a", "slots": {"queue": ["b"]}}], slot_ref(_remove_first), slots={"queue": [1, 2, 3]})
task("total_price", "add up the prices of the items in the cart slot, a list of [name, price] pairs", [],
     [{"given": {"cart": []}, "args": [], "result": 0}, {"given": {"cart": [["x", 1]]}, "args": [], "result": 1}],
     slot_ref(lambda o: sum(p for _n, p in o.cart)), slots={"cart": [["tea", 2.5], ["cake", 3]]})
def _append_unique(o, w):
    if w not in o.words:
        o.words.append(w)
    return len(o.words)
task("append_unique", "add a word to the words slot (a list) only if it is not there already, and return how many words it holds", ["tea"],
     [{"given": {"words": ["a"]}, "args": ["a"], "result": 1, "slots": {"words": ["a"]}},
      {"given": {"words": []}, "args": ["b"], "result": 1, "slots": {"words": ["b"]}}],
     slot_ref(_append_unique), slots={"words": ["cake"]})
write("learning_tasks_novel2.jsonl")

# --- novel3 (written 2026-11-24 by a helper, before any run of it; no rule drawn from it) ---
def _common_prefix(words):
    if not words:
        return ""
    p = words[0]
    for w in words[1:]:
        while not w.startswith(p):
            p = p[:-1]
    return p
def _squeeze(s):
    return "".join(c for i, c in enumerate(s) if i == 0 or s[i - 1] != c)
def _collatz(n):
    steps = 0
    while n != 1:
        n = n // 2 if n % 2 == 0 else 3 * n + 1
        steps += 1
    return steps
def _has_pair(l, t):
    return any(l[i] + l[j] == t for i in range(len(l)) for j in range(i + 1, len(l)))
def _value_counts(d):
    out = {}
    for v in d.values():
        out[v] = out.get(v, 0) + 1
    return out
def _months_between(a, b):
    a, b = D(a), D(b)
    return (b.year - a.year) * 12 + b.month - a.month - (b.day < a.day)


task("camel_to_snake", "convert a camelCase name that starts with a lower-case letter to snake_case, e.g. 'parseHttpRequest' gives 'parse_http_request'",
     ["helloWorld"], [{"args": ["toJson"], "result": "to_json"}, {"args": ["name"], "result": "name"}, {"args": ["aBC"], "result": "a_b_c"}],
     lambda s: "".join("_" + c.lower() if c.isupper() else c for c in s))
task("collapse_spaces", "replace each run of several spaces in a text with a single space and remove the spaces at both ends", ["  a   b  c "],
     [{"args": ["one  two"], "result": "one two"}, {"args": ["   "], "result": ""}, {"args": ["x"], "result": "x"}],
     lambda s: " ".join(w for w in s.split(" ") if w))
task("mask_card_number", "replace every character of a text except the last 4 with '*'; a text of 4 characters or fewer stays as it is", ["1234567812345678"],
     [{"args": ["12345"], "result": "*2345"}, {"args": ["123"], "result": "123"}, {"args": ["abcd1234"], "result": "****1234"}],
     lambda s: "*" * max(len(s) - 4, 0) + s[-4:])
task("word_occurrences", "count how many times a given word appears in a sentence as a whole word, ignoring case, where words are separated by spaces",
     ["the cat and the hat", "the"],
     [{"args": ["The dog saw THE cat", "the"], "result": 2}, {"args": ["there then", "the"], "result": 0}, {"args": ["", "a"], "result": 0}],
     lambda s, w: sum(1 for x in s.split() if x.lower() == w.lower()))
task("common_prefix", "return the longest beginning that all the words of a list share, or '' when they share none or the list is empty",
     [["flower", "flow", "flight"]],
     [{"args": [["dog", "car"]], "result": ""}, {"args": [["same"]], "result": "same"}, {"args": [[]], "result": ""}], _common_prefix)
task("caesar_shift", "shift each lower-case letter a to z of a text forward by n places in the alphabet, wrapping around after z, and leave every other character unchanged",
     ["abc", 1], [{"args": ["xyz", 3], "result": "abc"}, {"args": ["Hi there!", 13], "result": "Hv gurer!"}, {"args": ["b", 0], "result": "b"}],
     lambda s, n: "".join(chr((ord(c) - 97 + n) % 26 + 97) if "a" <= c <= "z" else c for c in s))
task("nth_word", "return the n-th word of a sentence, counting from 1, or '' when the sentence has fewer than n words", ["the quick brown fox", 2],
     [{"args": ["one", 3], "result": ""}, {"args": ["a b c", 3], "result": "c"}, {"args": ["hello world", 1], "result": "hello"}],
     lambda s, n: s.split()[n - 1] if n <= len(s.split()) else "")
task("squeeze_repeats", "replace each run of the same character repeated in a row with a single copy of it, upper and lower case counting as different characters",
     ["aabccc"], [{"args": ["abba"], "result": "aba"}, {"args": [""], "result": ""}, {"args": ["Aaa  b"], "result": "Aa b"}], _squeeze)
task("proper_divisor_sum", "add up the divisors of a positive integer that are smaller than the integer itself", [12],
     [{"args": [1], "result": 0}, {"args": [7], "result": 1}, {"args": [28], "result": 28}],
     lambda n: sum(d for d in range(1, n) if n % d == 0))
task("round_half_away", "round a number to the nearest whole number, halves going away from zero, and return it as an int", [2.5],
     [{"args": [-2.5], "result": -3}, {"args": [2.4], "result": 2}],
     lambda x: math.floor(abs(x) + 0.5) * (1 if x >= 0 else -1))
task("collatz_steps", "count the steps it takes to bring a positive integer down to 1 by halving it when it is even and tripling it and adding 1 when it is odd",
     [6], [{"args": [1], "result": 0}, {"args": [7], "result": 16}, {"args": [8], "result": 3}], _collatz)
task("to_binary", "write a non-negative integer in base 2 as a text of 0s and 1s, without any prefix", [5],
     [{"args": [0], "result": "0"}, {"args": [8], "result": "1000"}, {"args": [255], "result": "11111111"}], lambda n: bin(n)[2:])
task("apply_discount", "return a price after taking off a discount given in percent, rounded to 2 decimals", [80, 25],
     [{"args": [19.99, 10], "result": 17.99}, {"args": [5, 0], "result": 5.0}, {"args": [40, 100], "result": 0.0}],
     lambda p, d: round(p * (100 - d) / 100, 2))
task("move_zeros_to_end", "move every 0 of a list of numbers to the end, keeping the other numbers in their order", [[4, 0, 5]],
     [{"args": [[0, 1, 0, 3, 12]], "result": [1, 3, 12, 0, 0]}, {"args": [[]], "result": []}, {"args": [[0, 0]], "result": [0, 0]}],
     lambda l: [x for x in l if x != 0] + [x for x in l if x == 0])
task("top_n_largest", "return the n largest numbers of a list, largest first, or the whole list sorted that way when it has fewer than n numbers",
     [[5, 1, 9, 3], 2], [{"args": [[1, 1, 2], 2], "result": [2, 1]}, {"args": [[4], 3], "result": [4]}, {"args": [[-1, -7, 0], 1], "result": [0]}],
     lambda l, n: sorted(l, reverse=True)[:n])
task("running_max", "return a list whose item at each position is the largest number of the given list up to and including that position",
     [[1, 3, 2, 5]], [{"args": [[]], "result": []}, {"args": [[-1, -5]], "result": [-1, -1]}, {"args": [[2, 2, 9, 4]], "result": [2, 2, 9, 9]}],
     lambda l: [max(l[:i + 1]) for i in range(len(l))])
task("has_pair_with_sum", "tell whether two numbers at different positions of a list add up to a given target", [[1, 4, 6], 10],
     [{"args": [[5], 10], "result": False}, {"args": [[5, 5], 10], "result": True}, {"args": [[5, 1, 3], 10], "result": False}], _has_pair)
task("sort_keys_by_value", "return the keys of a dict ordered by their values from largest to smallest, keys with equal values in alphabetical order",
     [{"a": 1, "b": 3, "c": 2}], [{"args": [{"y": 1, "x": 1}], "result": ["x", "y"]}, {"args": [{}], "result": []},
                                  {"args": [{"p": 0, "q": 5, "r": 0}], "result": ["q", "p", "r"]}],
     lambda d: sorted(d, key=lambda k: (-d[k], k)))
task("count_values", "count how many keys of a dict hold each value, as a dict from each value to its count", [{"a": "x", "b": "y", "c": "x"}],
     [{"args": [{}], "result": {}}, {"args": [{"k": "v"}], "result": {"v": 1}}, {"args": [{"p": "a", "q": "a"}], "result": {"a": 2}}], _value_counts)
task("months_between", "count the whole months from a first date to a second, later date, both given as YYYY-MM-DD, a month counting only once its day of the month is reached again",
     ["2024-01-10", "2024-05-20"],
     [{"args": ["2024-01-15", "2024-03-14"], "result": 1}, {"args": ["2024-01-15", "2024-03-15"], "result": 2},
      {"args": ["2023-12-31", "2024-01-01"], "result": 0}], _months_between)
task("next_monday", "return the date of the first Monday strictly after a date given as YYYY-MM-DD, in the same form", ["2024-03-15"],
     [{"args": ["2024-03-18"], "result": "2024-03-25"}, {"args": ["2024-12-31"], "result": "2025-01-06"}, {"args": ["2024-03-17"], "result": "2024-03-18"}],
     lambda s: (D(s) + dt.timedelta(days=7 - D(s).weekday())).isoformat())
task("add_minutes_to_time", "add a number of minutes to a time of day given as HH:MM on a 24-hour clock and return the new time in the same form, wrapping past midnight",
     ["09:00", 90], [{"args": ["10:30", 45], "result": "11:15"}, {"args": ["23:50", 20], "result": "00:10"}, {"args": ["08:05", 0], "result": "08:05"}],
     lambda t, n: (dt.datetime.strptime(t, "%H:%M") + dt.timedelta(minutes=n)).strftime("%H:%M"))
def _remember(o, x):
    o.recent.append(x)
    o.recent = o.recent[-3:]
    return o.recent
task("remember_recent", "add an item to the end of the recent slot (a list), drop the oldest items from the front so that at most 3 remain, and return the list", ["c"],
     [{"given": {"recent": ["a", "b", "c"]}, "args": ["d"], "result": ["b", "c", "d"], "slots": {"recent": ["b", "c", "d"]}},
      {"given": {"recent": []}, "args": ["x"], "result": ["x"], "slots": {"recent": ["x"]}}],
     slot_ref(_remember), slots={"recent": ["a", "b"]})
def _interest(o):
    o.balance = round(o.balance * (100 + o.rate) / 100, 2)
    return o.balance
task("apply_interest", "add interest to the balance slot at the percent rate held in the rate slot, round the new balance to 2 decimals, store it and return it", [],
     [{"given": {"balance": 100, "rate": 5}, "args": [], "result": 105.0, "slots": {"balance": 105.0, "rate": 5}},
      {"given": {"balance": 19.99, "rate": 1.5}, "args": [], "result": 20.29, "slots": {"balance": 20.29}},
      {"given": {"balance": 0, "rate": 3}, "args": [], "result": 0.0, "slots": {"balance": 0.0}}],
     slot_ref(_interest), slots={"balance": 200, "rate": 2})
def _stock_up(o, item, n):
    o.inventory[item] = o.inventory.get(item, 0) + n
    return o.inventory[item]
task("add_to_inventory", "add a quantity of an item to the inventory slot (a dict from item names to counts), counting a new item from 0, and return that item's new count",
     ["apple", 3], [{"given": {"inventory": {}}, "args": ["pen", 4], "result": 4, "slots": {"inventory": {"pen": 4}}},
                    {"given": {"inventory": {"pen": 1, "ink": 2}}, "args": ["pen", 2], "result": 3, "slots": {"inventory": {"pen": 3, "ink": 2}}}],
     slot_ref(_stock_up), slots={"inventory": {"apple": 2}})
task("rank_of_score", "return the rank a score would have among the scores slot (a list of numbers): one more than how many scores in it are higher", [25],
     [{"given": {"scores": [10, 30, 20]}, "args": [20], "result": 2}, {"given": {"scores": []}, "args": [5], "result": 1},
      {"given": {"scores": [7, 7, 3]}, "args": [7], "result": 1}],
     slot_ref(lambda o, s: 1 + sum(1 for x in o.scores if x > s)), slots={"scores": [10, 30, 20]})
def _volume(o, v):
    o.volume = min(max(v, 0), 100)
    return o.volume
task("set_volume", "store a new volume in the volume slot, limited to the range 0 to 100, and return the stored volume", [70],
     [{"given": {"volume": 10}, "args": [150], "result": 100, "slots": {"volume": 100}},
      {"given": {"volume": 10}, "args": [-5], "result": 0, "slots": {"volume": 0}},
      {"given": {"volume": 10}, "args": [42], "result": 42, "slots": {"volume": 42}}],
     slot_ref(_volume), slots={"volume": 50})
task("done_fraction", "return the fraction of the entries of the tasks slot, a list of [name, done] pairs with done true or false, that are done, as a number from 0 to 1, or 0 when the list is empty", [],
     [{"given": {"tasks": [["a", True], ["b", False]]}, "args": [], "result": 0.5}, {"given": {"tasks": []}, "args": [], "result": 0.0},
      {"given": {"tasks": [["a", True]]}, "args": [], "result": 1.0}],
     slot_ref(lambda o: sum(1 for _n, d in o.tasks if d) / len(o.tasks) if o.tasks else 0.0),
     slots={"tasks": [["wash", True], ["cook", False], ["shop", True], ["read", False]]})
def _tick(o):
    o.remaining = max(o.remaining - 1, 0)
    return o.remaining == 0
task("tick_down", "lower the remaining slot by one, never going below zero, and return whether it is now zero", [],
     [{"given": {"remaining": 2}, "args": [], "result": False, "slots": {"remaining": 1}},
      {"given": {"remaining": 1}, "args": [], "result": True, "slots": {"remaining": 0}},
      {"given": {"remaining": 0}, "args": [], "result": True, "slots": {"remaining": 0}}],
     slot_ref(_tick), slots={"remaining": 5})
def _extend(o, n):
    o.due = (D(o.due) + dt.timedelta(days=n)).isoformat()
    return o.due
task("extend_due_date", "move the due slot, a date given as YYYY-MM-DD, later by n days, store it in the same form and return it", [7],
     [{"given": {"due": "2024-02-27"}, "args": [3], "result": "2024-03-01", "slots": {"due": "2024-03-01"}},
      {"given": {"due": "2023-12-31"}, "args": [1], "result": "2024-01-01", "slots": {"due": "2024-01-01"}}],
     slot_ref(_extend), slots={"due": "2024-05-10"})
write("learning_tasks_novel3.jsonl")

# --- novel4 (written 2026-11-24 by a helper, before any run of it; no rule drawn from it) ---
def _ordinal(n):
    ending = "th" if n % 100 in (11, 12, 13) else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{ending}"
def _roman(n):
    out = ""
    for value, letters in ((1000, "M"), (900, "CM"), (500, "D"), (400, "CD"), (100, "C"), (90, "XC"), (50, "L"), (40, "XL"),
                           (10, "X"), (9, "IX"), (5, "V"), (4, "IV"), (1, "I")):
        while n >= value:
            out += letters
            n -= value
    return out
def _triangle(a, b, c):
    if a == b == c:
        return "equilateral"
    return "isosceles" if a == b or b == c or a == c else "scalene"
def _flatten(d, prefix=""):
    out = {}
    for k, v in d.items():
        if isinstance(v, dict):
            out.update(_flatten(v, prefix + k + "."))
        else:
            out[prefix + k] = v
    return out
def _add_months(s, n):
    d = D(s)
    y, m = divmod(d.month - 1 + n, 12)
    first = dt.date(d.year + y, m + 1, 1)
    last = ((first.replace(day=28) + dt.timedelta(days=4)).replace(day=1) - dt.timedelta(days=1)).day
    return first.replace(day=min(d.day, last)).isoformat()
def _business_days(a, b):
    a, b = D(a), D(b)
    return sum(1 for i in range((b - a).days + 1) if (a + dt.timedelta(days=i)).weekday() < 5)


task("slugify", "turn a title into a web address slug: lower-case it, drop every character that is not a letter, a digit or a space, and join the words with single hyphens, for example 'Hello, World!' gives 'hello-world'",
     ["My First Blog Post"], [{"args": ["  Python 3.12 is out! "], "result": "python-312-is-out"}, {"args": ["What's new?"], "result": "whats-new"},
                              {"args": ["a  b"], "result": "a-b"}],
     lambda s: "-".join(re.sub(r"[^a-z0-9 ]", "", s.lower()).split()))
task("file_extension", "return the extension of a file name, the part after its last dot, or '' when the name has no dot", ["report.pdf"],
     [{"args": ["archive.tar.gz"], "result": "gz"}, {"args": ["README"], "result": ""}, {"args": ["photo.JPG"], "result": "JPG"}],
     lambda s: s.rsplit(".", 1)[1] if "." in s else "")
task("format_thousands", "write an integer with a comma between each group of three digits, e.g. 1234567 gives '1,234,567'", [9876543],
     [{"args": [999], "result": "999"}, {"args": [1000], "result": "1,000"}, {"args": [-45000], "result": "-45,000"}, {"args": [0], "result": "0"}],
     lambda n: f"{n:,}")
task("is_hex_color", "tell whether a text is a colour code written as '#' followed by exactly 6 hexadecimal digits, in either case", ["#ff8800"],
     [{"args": ["#1A2b3C"], "result": True}, {"args": ["#12345"], "result": False}, {"args": ["123456"], "result": False},
      {"args": ["#GG0000"], "result": False}],
     lambda s: re.fullmatch(r"#[0-9a-fA-F]{6}", s) is not None)
task("to_ordinal", "write a positive integer followed by its English ordinal ending, for example 1 gives '1st', 12 gives '12th' and 23 gives '23rd'", [2],
     [{"args": [11], "result": "11th"}, {"args": [13], "result": "13th"}, {"args": [101], "result": "101st"}, {"args": [44], "result": "44th"}],
     _ordinal)
task("to_roman", "write a positive integer below 4000 in Roman numerals", [14],
     [{"args": [4], "result": "IV"}, {"args": [1994], "result": "MCMXCIV"}, {"args": [3999], "result": "MMMCMXCIX"}, {"args": [40], "result": "XL"}],
     _roman)
task("body_mass_index", "return the body mass index from a weight in kilograms and a height in metres, that is the weight divided by the square of the height, rounded to 1 decimal",
     [70, 1.75], [{"args": [50, 1.6], "result": 19.5}, {"args": [90, 2], "result": 22.5}, {"args": [100, 1.8], "result": 30.9}],
     lambda w, h: round(w / h ** 2, 1))
task("triangle_kind", "say what kind of triangle three side lengths make: 'equilateral' when all three are equal, 'isosceles' when exactly two are equal, and 'scalene' otherwise",
     [3, 4, 5], [{"args": [2, 2, 2], "result": "equilateral"}, {"args": [5, 5, 8], "result": "isosceles"}, {"args": [4, 7, 4], "result": "isosceles"},
                 {"args": [3, 4, 6], "result": "scalene"}],
     _triangle)
task("standard_deviation", "return the population standard deviation of a list of numbers, the square root of the mean squared distance from their mean, rounded to 2 decimals",
     [[2, 4, 4, 4, 5, 5, 7, 9]], [{"args": [[1, 1]], "result": 0.0}, {"args": [[1, 2, 3, 4]], "result": 1.12}, {"args": [[10]], "result": 0.0},
                                  {"args": [[0, 10]], "result": 5.0}],
     lambda l: round(math.sqrt(sum((x - sum(l) / len(l)) ** 2 for x in l) / len(l)), 2))
task("weighted_average", "return the average of a list of scores weighted by a list of weights of the same length, that is the sum of each score times its weight divided by the sum of the weights",
     [[80, 90], [1, 3]], [{"args": [[10], [5]], "result": 10.0}, {"args": [[1, 2, 3], [1, 1, 1]], "result": 2.0}, {"args": [[100, 0], [1, 4]], "result": 20.0}],
     lambda s, w: sum(a * b for a, b in zip(s, w)) / sum(w))
task("char_positions", "return the positions, counting from 0, at which a character appears in a text, as a list, or an empty list when it does not appear",
     ["banana", "a"], [{"args": ["hello", "l"], "result": [2, 3]}, {"args": ["abc", "z"], "result": []}, {"args": ["Aa", "a"], "result": [1]}],
     lambda s, c: [i for i, x in enumerate(s) if x == c])
task("parse_settings", "turn a text of settings written as name=value pairs separated by semicolons into a dict from each name to its value as a text, and an empty text into an empty dict",
     ["mode=dark;size=12"], [{"args": ["x=hello"], "result": {"x": "hello"}}, {"args": [""], "result": {}},
                             {"args": ["a=1;b=;c=3"], "result": {"a": "1", "b": "", "c": "3"}}],
     lambda s: dict(p.split("=", 1) for p in s.split(";")) if s else {})
task("json_sorted_keys", "read a JSON object given as text and return its top-level keys sorted alphabetically", ['{"b": 1, "a": 2}'],
     [{"args": ["{}"], "result": []}, {"args": ['{"zeta": {"inner": 1}, "alpha": [], "mid": null}'], "result": ["alpha", "mid", "zeta"]},
      {"args": ['{"b": {"a": 1}, "c": 2}'], "result": ["b", "c"]}],
     lambda s: sorted(json.loads(s)))
task("extract_hashtags", "return the hashtags of a text, the words that start with '#', without the '#', in the order they appear, or an empty list when there are none", ["Loving the sun #summer #beach"],
     [{"args": ["no tags here"], "result": []}, {"args": ["#a then #b2"], "result": ["a", "b2"]}, {"args": ["#one"], "result": ["one"]}],
     lambda s: [w[1:] for w in s.split() if w.startswith("#")])
task("minutes_since_midnight", "turn a time of day written as HH:MM on a 24-hour clock into the number of minutes since midnight", ["01:30"],
     [{"args": ["00:00"], "result": 0}, {"args": ["23:59"], "result": 1439}, {"args": ["12:05"], "result": 725}],
     lambda t: int(t[:2]) * 60 + int(t[3:]))
task("days_to_new_year", "count the days from a date given as YYYY-MM-DD to the next 1 January after it", ["2024-12-25"],
     [{"args": ["2024-12-31"], "result": 1}, {"args": ["2023-01-01"], "result": 365}, {"args": ["2024-01-01"], "result": 366}],
     lambda s: (dt.date(D(s).year + 1, 1, 1) - D(s)).days)
task("add_months", "add n months to a date given as YYYY-MM-DD and return the new date in the same form, moving the day back to the last day of the month when that month is shorter",
     ["2024-01-15", 2], [{"args": ["2024-01-31", 1], "result": "2024-02-29"}, {"args": ["2023-11-30", 3], "result": "2024-02-29"},
                         {"args": ["2023-01-31", 1], "result": "2023-02-28"}, {"args": ["2024-05-10", 12], "result": "2025-05-10"}],
     _add_months)
task("count_business_days", "count the days from Monday to Friday from a first date to a second date on or after it, both given as YYYY-MM-DD and both included",
     ["2024-03-11", "2024-03-22"], [{"args": ["2024-03-16", "2024-03-17"], "result": 0}, {"args": ["2024-03-15", "2024-03-18"], "result": 2},
                                    {"args": ["2024-03-13", "2024-03-13"], "result": 1}],
     _business_days)
task("pluralize", "write a count followed by a noun, adding an 's' to the noun unless the count is 1, e.g. pluralize(3, 'apple') is '3 apples'", [2, "cat"],
     [{"args": [1, "dog"], "result": "1 dog"}, {"args": [0, "book"], "result": "0 books"}, {"args": [10, "pen"], "result": "10 pens"}],
     lambda n, w: f"{n} {w}" + ("" if n == 1 else "s"))
task("transpose", "transpose a matrix given as a list of rows of the same length, returning the list of its columns, each as a list", [[[1, 2, 3], [4, 5, 6]]],
     [{"args": [[[1]]], "result": [[1]]}, {"args": [[[1, 2], [3, 4]]], "result": [[1, 3], [2, 4]]}, {"args": [[["a", "b"]]], "result": [["a"], ["b"]]}],
     lambda m: [list(c) for c in zip(*m)])
task("flatten_dict", "flatten a dict whose values may be dicts themselves into a single dict, joining the nested keys with dots, e.g. {'a': {'b': 1}, 'c': 2} gives {'a.b': 1, 'c': 2}",
     [{"x": {"y": 1, "z": 2}, "w": 3}], [{"args": [{}], "result": {}}, {"args": [{"p": {"q": {"r": 5}}}], "result": {"p.q.r": 5}},
                                       {"args": [{"k": [1, 2]}], "result": {"k": [1, 2]}}],
     _flatten)
task("alphabet_positions", "replace each letter of a word with its place in the alphabet, a being 1 and z 26, in either case, and return the numbers as a list, an empty list for an empty word", ["abc"],
     [{"args": ["Zoo"], "result": [26, 15, 15]}, {"args": ["Hi"], "result": [8, 9]}, {"args": [""], "result": []}],
     lambda s: [string.ascii_lowercase.index(c) + 1 for c in s.lower()])
def _undo(o):
    if not o.done:
        return None
    x = o.done.pop()
    o.undone.append(x)
    return x
task("undo_action", "move the last item of the done slot (a list) to the end of the undone slot (a list) and return it, or return None and change nothing when done is empty", [],
     [{"given": {"done": ["a", "b"], "undone": ["c"]}, "args": [], "result": "b", "slots": {"done": ["a"], "undone": ["c", "b"]}},
      {"given": {"done": [], "undone": ["x"]}, "args": [], "result": None, "slots": {"done": [], "undone": ["x"]}},
      {"given": {"done": ["x"], "undone": []}, "args": [], "result": "x", "slots": {"done": [], "undone": ["x"]}}],
     slot_ref(_undo), slots={"done": ["type", "bold"], "undone": []})
def _update_price(o, item, price):
    if item in o.prices:
        o.prices[item] = price
        return True
    return False
task("update_known_price", "set the price of an item in the prices slot (a dict from item names to prices) only if the item is already in it, and return whether it was", ["tea", 3.0],
     [{"given": {"prices": {"pen": 1}}, "args": ["pen", 2], "result": True, "slots": {"prices": {"pen": 2}}},
      {"given": {"prices": {"pen": 1}}, "args": ["ink", 5], "result": False, "slots": {"prices": {"pen": 1}}},
      {"given": {"prices": {}}, "args": ["x", 1], "result": False, "slots": {"prices": {}}}],
     slot_ref(_update_price), slots={"prices": {"tea": 2.5, "cake": 4}})
task("cheapest_item", "return the name of the cheapest item in the prices slot (a dict from item names to prices), or None when it is empty", [],
     [{"given": {"prices": {"a": 3, "b": 1}}, "args": [], "result": "b"}, {"given": {"prices": {}}, "args": [], "result": None},
      {"given": {"prices": {"x": 0}}, "args": [], "result": "x"}],
     slot_ref(lambda o: min(o.prices, key=o.prices.get) if o.prices else None), slots={"prices": {"tea": 2.5, "cake": 4, "bun": 1.2}})
def _record(o, x):
    o.readings.append(x)
    o.max_reading = max(o.readings)
    return o.max_reading
task("record_reading", "append a reading to the readings slot (a list of numbers), store the largest of all the readings in the max_reading slot, and return that largest reading", [12],
     [{"given": {"readings": [5, 9], "max_reading": 9}, "args": [4], "result": 9, "slots": {"readings": [5, 9, 4], "max_reading": 9}},
      {"given": {"readings": [], "max_reading": None}, "args": [-2], "result": -2, "slots": {"readings": [-2], "max_reading": -2}},
      {"given": {"readings": [2.5], "max_reading": 2.5}, "args": [3], "result": 3, "slots": {"readings": [2.5, 3], "max_reading": 3}}],
     slot_ref(_record), slots={"readings": [3, 7], "max_reading": 7})
def _complete(o, name):
    o.todo[name] = True
    return sum(1 for v in o.todo.values() if not v)
task("complete_task", "mark a task as done in the todo slot, a dict from task names to true or false, and return how many tasks are still not done", ["shop"],
     [{"given": {"todo": {"a": False, "b": False}}, "args": ["a"], "result": 1, "slots": {"todo": {"a": True, "b": False}}},
      {"given": {"todo": {"a": True}}, "args": ["a"], "result": 0, "slots": {"todo": {"a": True}}},
      {"given": {"todo": {"a": False, "b": False, "c": True}}, "args": ["b"], "result": 1, "slots": {"todo": {"a": False, "b": True, "c": True}}}],
     slot_ref(_complete), slots={"todo": {"shop": False, "cook": False, "read": True}})
def _rate(o, r):
    o.ratings.append(r)
    return round(sum(o.ratings) / len(o.ratings), 1)
task("add_rating", "add a rating to the ratings slot (a list of numbers) and return the average of all the ratings, rounded to 1 decimal", [4],
     [{"given": {"ratings": []}, "args": [5], "result": 5.0, "slots": {"ratings": [5]}},
      {"given": {"ratings": [1, 2]}, "args": [2], "result": 1.7, "slots": {"ratings": [1, 2, 2]}},
      {"given": {"ratings": [4, 4]}, "args": [1], "result": 3.0, "slots": {"ratings": [4, 4, 1]}}],
     slot_ref(_rate), slots={"ratings": [5, 3]})
def _next_player(o):
    o.turn = (o.turn + 1) % len(o.players)
    return o.players[o.turn]
task("next_player", "move the turn slot, an index into the players slot (a list of names), on to the next player, going back to 0 after the last one, and return the name of the player whose turn it is now", [],
     [{"given": {"players": ["ann", "bob", "cy"], "turn": 2}, "args": [], "result": "ann", "slots": {"turn": 0}},
      {"given": {"players": ["solo"], "turn": 0}, "args": [], "result": "solo", "slots": {"turn": 0}},
      {"given": {"players": ["a", "b"], "turn": 0}, "args": [], "result": "b", "slots": {"turn": 1}}],
     slot_ref(_next_player), slots={"players": ["ann", "bob", "cy"], "turn": 0})
task("days_until_due", "return how many days there are from a given date to the date in the due slot, both written as YYYY-MM-DD, negative when the due date has already passed", ["2024-05-01"],
     [{"given": {"due": "2024-03-01"}, "args": ["2024-02-28"], "result": 2}, {"given": {"due": "2024-01-01"}, "args": ["2024-01-03"], "result": -2},
      {"given": {"due": "2025-01-01"}, "args": ["2025-01-01"], "result": 0}],
     slot_ref(lambda o, s: (D(o.due) - D(s)).days), slots={"due": "2024-05-10"})
write("learning_tasks_novel4.jsonl")

# --- novel5 (written 2026-11-24 by a helper, after novel4 was run, before any run of it; no rule drawn from it) ---
def _run_length(s):
    return "".join(f"{m.group(1)}{len(m.group(0))}" for m in re.finditer(r"(.)\1*", s, re.S))
def _balanced(s):
    depth = 0
    for c in s:
        depth += {"(": 1, ")": -1}.get(c, 0)
        if depth < 0:
            return False
    return depth == 0
def _mask_email(s):
    name, domain = s.split("@", 1)
    return name[0] + "*" * (len(name) - 1) + "@" + domain
def _digital_root(n):
    while n >= 10:
        n = sum(int(c) for c in str(n))
    return n
def _prime_factors(n):
    out, p = [], 2
    while n > 1:
        while n % p == 0:
            out.append(p)
            n //= p
        p += 1
    return out
def _max_profit(prices):
    return max([0] + [prices[j] - prices[i] for i in range(len(prices)) for j in range(i + 1, len(prices))])
def _longest_rise(l):
    best = run = 1
    for a, b in zip(l, l[1:]):
        run = run + 1 if b > a else 1
        best = max(best, run)
    return best
def _nested_get(d, path):
    for k in path.split("."):
        if not isinstance(d, dict) or k not in d:
            return None
        d = d[k]
    return d
def _totals(pairs):
    out = {}
    for name, amount in pairs:
        out[name] = out.get(name, 0) + amount
    return out
def _changed_keys(a, b):
    return sorted(k for k in set(a) | set(b) if k not in a or k not in b or a[k] != b[k])
def _to_12_hour(t):
    h, m = int(t[:2]), t[3:]
    return f"{(h - 1) % 12 + 1}:{m} {'am' if h < 12 else 'pm'}"
def _weekday_count(year, month, name):
    days = (dt.date(year + month // 12, month % 12 + 1, 1) - dt.date(year, month, 1)).days
    return sum(1 for d in range(1, days + 1) if dt.date(year, month, d).strftime("%A") == name)
def _duration(s):
    m = re.fullmatch(r"(?:(\d+)h)?(?:(\d+)m)?", s)
    return int(m.group(1) or 0) * 60 + int(m.group(2) or 0)
def _compare_versions(a, b):
    x, y = [int(p) for p in a.split(".")], [int(p) for p in b.split(".")]
    return (x > y) - (x < y)
def _csv_column(text, name):
    rows = [line.split(",") for line in text.splitlines()]
    i = rows[0].index(name)
    return [r[i] for r in rows[1:]]


task("run_length_encode", "compress a text by writing each run of the same character as that character followed by the length of the run, e.g. 'aaabcc' gives 'a3b1c2'",
     ["wwwwaaadexxxxxx"], [{"args": ["abc"], "result": "a1b1c1"}, {"args": ["zzzzzzzzzzzz"], "result": "z12"}, {"args": ["aabbaa"], "result": "a2b2a2"}],
     _run_length)
task("is_isogram", "tell whether a word uses no letter more than once, an upper-case and a lower-case letter counting as the same letter", ["machine"],
     [{"args": ["Dermatoglyphics"], "result": True}, {"args": ["letter"], "result": False}, {"args": ["Alpha"], "result": False}, {"args": ["Go"], "result": True}],
     lambda w: len(set(w.lower())) == len(w))
task("kebab_to_title", "turn a name written in kebab-case such as 'my-new-page' into words separated by spaces, each starting with a capital: 'My New Page'", ["contact-us"],
     [{"args": ["about"], "result": "About"}, {"args": ["the-big-red-dog"], "result": "The Big Red Dog"}, {"args": ["faq-2024"], "result": "Faq 2024"}],
     lambda s: " ".join(w.capitalize() for w in s.split("-")))
task("brackets_balanced", "check that the round brackets in a text are balanced, each '(' being closed by a ')' that comes after it", ["(a + b) * (c - d)"],
     [{"args": ["((x)"], "result": False}, {"args": [")("], "result": False}, {"args": ["no brackets"], "result": True}, {"args": ["(()())"], "result": True}],
     _balanced)
task("mask_email", "hide the part of an email address before the @ by keeping its first character and replacing every other one with '*', so 'john@example.com' becomes 'j***@example.com'",
     ["alice@mail.org"], [{"args": ["bo@x.io"], "result": "b*@x.io"}, {"args": ["z@site.com"], "result": "z@site.com"},
                          {"args": ["mary.ann@work.co.uk"], "result": "m*******@work.co.uk"}],
     _mask_email)
task("digital_root", "keep adding up the digits of a non-negative integer until a single digit is left, and return that digit", [493193],
     [{"args": [0], "result": 0}, {"args": [9875], "result": 2}, {"args": [7], "result": 7}, {"args": [99999], "result": 9}],
     _digital_root)
task("is_armstrong_number", "tell whether a positive integer equals the sum of its digits each raised to the power of the number of digits it has, like 153 = 1**3 + 5**3 + 3**3",
     [153], [{"args": [9474], "result": True}, {"args": [10], "result": False}, {"args": [7], "result": True}, {"args": [154], "result": False}],
     lambda n: n == sum(int(c) ** len(str(n)) for c in str(n)))
task("prime_factors", "break an integer greater than 1 into its prime factors, returned as a list from smallest to largest with each factor repeated as often as it divides the number, e.g. 12 gives [2, 2, 3]",
     [60], [{"args": [13], "result": [13]}, {"args": [1024], "result": [2] * 10}, {"args": [9991], "result": [97, 103]}],
     _prime_factors)
task("sum_of_multiples", "add up all the positive whole numbers below n that are multiples of 3 or of 5", [10],
     [{"args": [1], "result": 0}, {"args": [16], "result": 60}, {"args": [20], "result": 78}, {"args": [1000], "result": 233168}],
     lambda n: sum(k for k in range(1, n) if k % 3 == 0 or k % 5 == 0))
task("integer_square_root", "give the square root of a non-negative integer rounded down to a whole number, as an int", [17],
     [{"args": [0], "result": 0}, {"args": [16], "result": 4}, {"args": [99], "result": 9}, {"args": [1000001], "result": 1000}],
     math.isqrt)
task("max_profit", "given a list of a stock's prices on successive days, return the biggest profit that buying on one day and selling on a later day could make, or 0 if no such trade makes money",
     [[7, 1, 5, 3, 6, 4]], [{"args": [[7, 6, 4, 3, 1]], "result": 0}, {"args": [[2, 4, 1, 3]], "result": 2}, {"args": [[1, 2]], "result": 1},
                            {"args": [[5]], "result": 0}],
     _max_profit)
task("find_missing_number", "a list holds every whole number from 1 to n except one, in no particular order; find the one that is missing", [[3, 7, 1, 2, 8, 4, 5]],
     [{"args": [[2, 3, 1, 5]], "result": 4}, {"args": [[2]], "result": 1}, {"args": [[1, 2, 3]], "result": 4}],
     lambda l: (len(l) + 1) * (len(l) + 2) // 2 - sum(l))
task("longest_rising_run", "return the length of the longest stretch of neighbouring numbers in a non-empty list where each number is larger than the one before it", [[1, 2, 3, 1, 2]],
     [{"args": [[5, 4, 3]], "result": 1}, {"args": [[1, 1, 1]], "result": 1}, {"args": [[3, 1, 2, 3, 4, 0]], "result": 4}, {"args": [[7]], "result": 1}],
     _longest_rise)
task("nested_get", "look up a value in nested dicts by a path of keys joined with dots, such as 'user.address.city', returning None if a key along the way is missing",
     [{"user": {"name": "Ann", "address": {"city": "Oslo"}}}, "user.address.city"],
     [{"args": [{"a": {"b": 2}}, "a.b"], "result": 2}, {"args": [{"a": {"b": 2}}, "a.c"], "result": None}, {"args": [{"x": 1}, "x"], "result": 1},
      {"args": [{"a": {"b": {"c": [1, 2]}}}, "a.b"], "result": {"c": [1, 2]}}],
     _nested_get)
task("totals_by_name", "from a list of [name, amount] pairs, add up the amounts of each name and return a dict from each name to its total", [[["ann", 5], ["bob", 3], ["ann", 2]]],
     [{"args": [[]], "result": {}}, {"args": [[["x", 1.5], ["x", 2.5]]], "result": {"x": 4.0}}, {"args": [[["a", 1], ["b", -1], ["a", -1]]], "result": {"a": 0, "b": -1}}],
     _totals)
task("changed_keys", "compare two dicts and return, in alphabetical order, the keys whose values differ between them, a key that is in only one of the two counting as changed",
     [{"a": 1, "b": 2, "c": 3}, {"a": 1, "b": 5, "d": 3}],
     [{"args": [{}, {}], "result": []}, {"args": [{"x": 1}, {"x": 1}], "result": []}, {"args": [{"k": [1]}, {"k": [1, 2], "j": None}], "result": ["j", "k"]}],
     _changed_keys)
task("to_12_hour", "convert a time written as HH:MM on a 24-hour clock to the 12-hour clock with 'am' or 'pm', for example '14:05' becomes '2:05 pm' and '00:30' becomes '12:30 am'",
     ["09:15"], [{"args": ["12:00"], "result": "12:00 pm"}, {"args": ["23:59"], "result": "11:59 pm"}, {"args": ["00:00"], "result": "12:00 am"},
                 {"args": ["13:07"], "result": "1:07 pm"}],
     _to_12_hour)
task("iso_week_number", "what is the ISO week number of a date given as YYYY-MM-DD", ["2024-03-15"],
     [{"args": ["2024-01-01"], "result": 1}, {"args": ["2021-01-03"], "result": 53}, {"args": ["2024-12-30"], "result": 1}, {"args": ["2023-06-30"], "result": 26}],
     lambda s: D(s).isocalendar()[1])
task("count_weekday_in_month", "count how many times a weekday, named in English like 'Friday', falls in the month given by a year and a month number", [2024, 3, "Friday"],
     [{"args": [2024, 2, "Thursday"], "result": 5}, {"args": [2023, 2, "Monday"], "result": 4}, {"args": [2024, 9, "Sunday"], "result": 5},
      {"args": [2024, 4, "Wednesday"], "result": 4}],
     _weekday_count)
task("parse_duration", "turn a duration written like '1h30m', '2h' or '45m' into a number of minutes", ["1h30m"],
     [{"args": ["2h"], "result": 120}, {"args": ["45m"], "result": 45}, {"args": ["10h5m"], "result": 605}, {"args": ["100m"], "result": 100}],
     _duration)
task("compare_versions", "compare two version numbers made of whole numbers separated by dots, like '1.10.2', returning -1, 0 or 1 when the first is lower than, equal to or higher than the second",
     ["1.2.0", "1.10.0"], [{"args": ["2.0.1", "2.0.1"], "result": 0}, {"args": ["3.1", "2.9.9"], "result": 1}, {"args": ["1.9", "1.10"], "result": -1},
                           {"args": ["0.10.0", "0.9.12"], "result": 1}],
     _compare_versions)
task("csv_column", "from a CSV text whose first line holds the column names, return the values of the column with a given name as a list of texts", ["name,age\nAnn,30\nBob,25", "age"],
     [{"args": ["a,b,c\n1,2,3\n4,5,6\n7,8,9", "c"], "result": ["3", "6", "9"]}, {"args": ["city\nOslo", "city"], "result": ["Oslo"]},
      {"args": ["id,score\n1,7.5\n2,8", "id"], "result": ["1", "2"]}],
     _csv_column)
def _lend(o, title):
    if title not in o.available:
        return False
    o.available.remove(title)
    o.borrowed.append(title)
    return True
task("lend_book", "lend a book: move its title from the available slot (a list) to the end of the borrowed slot (a list) and return True, or return False and change nothing if it is not available",
     ["Emma"], [{"given": {"available": ["A", "B"], "borrowed": ["C"]}, "args": ["B"], "result": True, "slots": {"available": ["A"], "borrowed": ["C", "B"]}},
                {"given": {"available": ["A"], "borrowed": ["B"]}, "args": ["B"], "result": False, "slots": {"available": ["A"], "borrowed": ["B"]}},
                {"given": {"available": [], "borrowed": []}, "args": ["X"], "result": False, "slots": {"available": [], "borrowed": []}}],
     slot_ref(_lend), slots={"available": ["Dune", "Emma", "Ulysses"], "borrowed": []})
def _vote(o, option):
    o.votes[option] = o.votes.get(option, 0) + 1
    return max(o.votes, key=o.votes.get)
task("cast_vote", "add one vote for an option to the votes slot, a dict from options to vote counts where a new option starts at 0, and return the option that has the most votes afterwards",
     ["yes"], [{"given": {"votes": {"a": 1, "b": 1}}, "args": ["b"], "result": "b", "slots": {"votes": {"a": 1, "b": 2}}},
               {"given": {"votes": {}}, "args": ["z"], "result": "z", "slots": {"votes": {"z": 1}}},
               {"given": {"votes": {"a": 5, "b": 1}}, "args": ["b"], "result": "a", "slots": {"votes": {"a": 5, "b": 2}}}],
     slot_ref(_vote), slots={"votes": {"yes": 3, "no": 2}})
def _xp(o, n):
    o.xp += n
    while o.xp >= 100:
        o.xp -= 100
        o.level += 1
    return o.level
task("gain_xp", "add experience points to the xp slot, and as long as xp is 100 or more, take 100 off it and raise the level slot by one; return the level", [70],
     [{"given": {"xp": 90, "level": 3}, "args": [5], "result": 3, "slots": {"xp": 95, "level": 3}},
      {"given": {"xp": 0, "level": 1}, "args": [250], "result": 3, "slots": {"xp": 50, "level": 3}},
      {"given": {"xp": 99, "level": 1}, "args": [1], "result": 2, "slots": {"xp": 0, "level": 2}}],
     slot_ref(_xp), slots={"xp": 40, "level": 1})
def _to_front(o, track):
    if track in o.playlist:
        o.playlist.remove(track)
        o.playlist.insert(0, track)
    return o.playlist
task("move_to_front", "move a track to the front of the playlist slot (a list) and return the playlist, leaving it as it is when the track is not in it", ["song"],
     [{"given": {"playlist": ["a", "b", "c"]}, "args": ["c"], "result": ["c", "a", "b"], "slots": {"playlist": ["c", "a", "b"]}},
      {"given": {"playlist": ["a", "b"]}, "args": ["a"], "result": ["a", "b"], "slots": {"playlist": ["a", "b"]}},
      {"given": {"playlist": ["a", "b"]}, "args": ["z"], "result": ["a", "b"], "slots": {"playlist": ["a", "b"]}}],
     slot_ref(_to_front), slots={"playlist": ["intro", "song", "outro"]})
def _expense(o, amount):
    o.spent += amount
    return o.budget - o.spent
task("add_expense", "record an expense by adding its amount to the spent slot, then return how much of the budget slot is left", [30],
     [{"given": {"budget": 100, "spent": 0}, "args": [25], "result": 75, "slots": {"budget": 100, "spent": 25}},
      {"given": {"budget": 1000, "spent": 999}, "args": [1], "result": 0, "slots": {"spent": 1000}},
      {"given": {"budget": 10, "spent": 2.5}, "args": [2.5], "result": 5.0, "slots": {"spent": 5.0}}],
     slot_ref(_expense), slots={"budget": 500, "spent": 120})
task("minutes_since_start", "how many minutes have passed from the time in the started slot to a given later time of the same day, both written as HH:MM on a 24-hour clock", ["09:45"],
     [{"given": {"started": "00:00"}, "args": ["23:59"], "result": 1439}, {"given": {"started": "12:50"}, "args": ["13:05"], "result": 15},
      {"given": {"started": "07:00"}, "args": ["07:00"], "result": 0}],
     slot_ref(lambda o, t: (int(t[:2]) * 60 + int(t[3:])) - (int(o.started[:2]) * 60 + int(o.started[3:]))), slots={"started": "08:30"})
def _reserve(o, seat):
    if seat in o.taken or not 1 <= seat <= o.seats:
        return False
    o.taken.append(seat)
    return True
task("reserve_seat", "reserve a seat numbered from 1 up to the seats slot by adding it to the taken slot (a list) and returning True, or return False and change nothing if it is already taken or has no such number",
     [7], [{"given": {"seats": 3, "taken": [1]}, "args": [1], "result": False, "slots": {"taken": [1]}},
           {"given": {"seats": 3, "taken": []}, "args": [4], "result": False, "slots": {"taken": []}},
           {"given": {"seats": 3, "taken": [3]}, "args": [2], "result": True, "slots": {"taken": [3, 2]}},
           {"given": {"seats": 3, "taken": []}, "args": [0], "result": False, "slots": {"taken": []}}],
     slot_ref(_reserve), slots={"seats": 10, "taken": [2, 5]})
def _take_smallest(o):
    if not o.waiting:
        return None
    x = min(o.waiting)
    o.waiting.remove(x)
    return x
task("take_smallest", "take the smallest number out of the waiting slot (a list of numbers) and return it, or return None when the list is empty", [],
     [{"given": {"waiting": [3, 1, 2]}, "args": [], "result": 1, "slots": {"waiting": [3, 2]}},
      {"given": {"waiting": []}, "args": [], "result": None, "slots": {"waiting": []}},
      {"given": {"waiting": [2, 2, 7]}, "args": [], "result": 2, "slots": {"waiting": [2, 7]}},
      {"given": {"waiting": [-1.5, 0]}, "args": [], "result": -1.5, "slots": {"waiting": [0]}}],
     slot_ref(_take_smallest), slots={"waiting": [5, 1, 4]})
write("learning_tasks_novel5.jsonl")

# --- novel6 (written 2026-11-24 by a helper, after novel5 was run, before any run of it; no rule drawn from it) ---
def _expand_ranges(s):
    out = []
    for part in s.split(","):
        a, _, b = part.partition("-")
        out += list(range(int(a), int(b or a) + 1))
    return out
def _reverse_int(n):
    return (-1 if n < 0 else 1) * int(str(abs(n))[::-1])
def _fizzbuzz(n):
    if n % 15 == 0:
        return "FizzBuzz"
    return "Fizz" if n % 3 == 0 else "Buzz" if n % 5 == 0 else str(n)
def _merge_sorted(a, b):
    out, i, j = [], 0, 0
    while i < len(a) and j < len(b):
        if a[i] <= b[j]:
            out.append(a[i])
            i += 1
        else:
            out.append(b[j])
            j += 1
    return out + a[i:] + b[j:]
def _majority(l):
    for x in l:
        if l.count(x) * 2 > len(l):
            return x
    return None
def _invert_grouped(d):
    out = {}
    for name, tags in d.items():
        for t in tags:
            out.setdefault(t, []).append(name)
    return {t: sorted(names) for t, names in out.items()}
def _word_frequencies(s):
    out = {}
    for w in s.lower().split():
        out[w] = out.get(w, 0) + 1
    return out
def _is_valid_date(s):
    if not re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", s):
        return False
    try:
        D(s)
    except ValueError:
        return False
    return True
def _season(s):
    m = D(s).month
    return "spring" if 3 <= m <= 5 else "summer" if 6 <= m <= 8 else "autumn" if 9 <= m <= 11 else "winter"
def _last_friday(s):
    d = D(s)
    last = (d.replace(day=28) + dt.timedelta(days=4)).replace(day=1) - dt.timedelta(days=1)
    return (last - dt.timedelta(days=(last.weekday() - 4) % 7)).isoformat()


task("is_rotation", "tell whether the second text can be made from the first by moving some of its characters, possibly none, from its front to its back, as 'cdeab' can be made from 'abcde'",
     ["abcde", "cdeab"], [{"args": ["abc", "acb"], "result": False}, {"args": ["abc", "abc"], "result": True}, {"args": ["aa", "a"], "result": False},
                          {"args": ["", ""], "result": True}, {"args": ["abab", "baba"], "result": True}],
     lambda a, b: len(a) == len(b) and b in a + a)
task("alternate_case", "write the characters of a text at even positions, counting from 0, in upper case and those at odd positions in lower case, spaces, digits and punctuation counting as positions too",
     ["hello world"], [{"args": ["ABCD"], "result": "AbCd"}, {"args": ["a b"], "result": "A B"}, {"args": [""], "result": ""}, {"args": ["x1y2"], "result": "X1Y2"}],
     lambda s: "".join(c.upper() if i % 2 == 0 else c.lower() for i, c in enumerate(s)))
task("word_frequencies", "count how many times each word of a sentence appears, ignoring case, as a dict from each word written in lower case to its count, words being separated by one or more spaces",
     ["the cat and the hat"], [{"args": ["The the THE"], "result": {"the": 3}}, {"args": [""], "result": {}}, {"args": ["a  b a"], "result": {"a": 2, "b": 1}},
                               {"args": ["Go go Stop"], "result": {"go": 2, "stop": 1}}],
     _word_frequencies)
task("is_valid_time", "tell whether a text is a valid time on a 24-hour clock written as HH:MM, that is exactly two digits for the hour from 00 to 23, a colon, and exactly two digits for the minutes from 00 to 59",
     ["13:45"], [{"args": ["24:00"], "result": False}, {"args": ["9:30"], "result": False}, {"args": ["23:59"], "result": True}, {"args": ["12:60"], "result": False},
                 {"args": ["00:00"], "result": True}],
     lambda s: re.fullmatch(r"([01][0-9]|2[0-3]):[0-5][0-9]", s) is not None)
task("spell_digits", "write each digit of a non-negative integer as its English word, the words separated by single spaces, e.g. 205 gives 'two zero five'", [42],
     [{"args": [0], "result": "zero"}, {"args": [1000], "result": "one zero zero zero"}, {"args": [9], "result": "nine"}, {"args": [738], "result": "seven three eight"}],
     lambda n: " ".join("zero one two three four five six seven eight nine".split()[int(c)] for c in str(n)))
task("hamming_distance", "count the positions at which two texts of the same length have different characters, an upper-case and a lower-case letter counting as different",
     ["karolin", "kathrin"], [{"args": ["abc", "abc"], "result": 0}, {"args": ["", ""], "result": 0}, {"args": ["Aa", "aa"], "result": 1},
                              {"args": ["1011101", "1001001"], "result": 2}],
     lambda a, b: sum(1 for x, y in zip(a, b) if x != y))
task("expand_ranges", "turn a text of whole numbers and ranges like '1-3', separated by commas, for example '1-3,7,9-10', into the list of every number it covers as ints, in the order written, a range including both its ends",
     ["1-3,7,9-10"], [{"args": ["5"], "result": [5]}, {"args": ["2-2"], "result": [2]}, {"args": ["10-12,1"], "result": [10, 11, 12, 1]},
                      {"args": ["0-3"], "result": [0, 1, 2, 3]}],
     _expand_ranges)
task("format_phone", "take the 10 digits found in a text, ignoring every other character in it, and write them as a phone number in the form '(555) 123-4567'",
     ["5551234567"], [{"args": ["555.123.4567"], "result": "(555) 123-4567"}, {"args": ["(212) 555 0199"], "result": "(212) 555-0199"},
                      {"args": ["0123456789"], "result": "(012) 345-6789"}, {"args": ["tel: 800-FLY-1234-56-7"], "result": "(800) 123-4567"}],
     lambda s: (lambda d: f"({d[:3]}) {d[3:6]}-{d[6:]}")("".join(c for c in s if c.isdigit())))
task("reverse_integer", "reverse the order of the digits of an integer, keeping its sign, so -123 gives -321 and 120 gives 21", [12345],
     [{"args": [-450], "result": -54}, {"args": [0], "result": 0}, {"args": [7], "result": 7}, {"args": [1000], "result": 1}],
     _reverse_int)
task("count_primes_below", "count the prime numbers that are smaller than a given whole number", [10],
     [{"args": [2], "result": 0}, {"args": [3], "result": 1}, {"args": [0], "result": 0}, {"args": [100], "result": 25}, {"args": [11], "result": 4}],
     lambda n: sum(1 for k in range(2, n) if all(k % d for d in range(2, math.isqrt(k) + 1))))
task("fizzbuzz_word", "return 'FizzBuzz' for a positive integer that is a multiple of both 3 and 5, 'Fizz' for a multiple of 3 only, 'Buzz' for a multiple of 5 only, and otherwise the number itself written as text",
     [9], [{"args": [15], "result": "FizzBuzz"}, {"args": [7], "result": "7"}, {"args": [10], "result": "Buzz"}, {"args": [30], "result": "FizzBuzz"},
           {"args": [1], "result": "1"}],
     _fizzbuzz)
task("compound_amount", "return what an initial sum grows to after a number of years at a yearly interest rate given in percent, the interest being added to the sum at the end of every year, rounded to 2 decimals at the end",
     [1000, 5, 2], [{"args": [100, 10, 0], "result": 100.0}, {"args": [100, 0, 5], "result": 100.0}, {"args": [200, 50, 2], "result": 450.0},
                    {"args": [1000, 3, 10], "result": 1343.92}],
     lambda p, r, n: round(p * (1 + r / 100) ** n, 2))
task("merge_sorted", "merge two lists of numbers, each already sorted from smallest to largest, into one list sorted from smallest to largest, keeping repeated numbers",
     [[1, 4, 9], [2, 3, 10]], [{"args": [[], [1]], "result": [1]}, {"args": [[1, 3], [2, 3]], "result": [1, 2, 3, 3]}, {"args": [[], []], "result": []},
                               {"args": [[-5, 0], [-7]], "result": [-7, -5, 0]}],
     _merge_sorted)
task("count_in_range", "count the numbers of a list that are at least a lower bound and strictly below an upper bound", [[1, 2, 3, 4, 5], 2, 4],
     [{"args": [[], 0, 1], "result": 0}, {"args": [[4, 4], 4, 5], "result": 2}, {"args": [[5], 1, 5], "result": 0}, {"args": [[1.5, 2.5, -1], 0, 2], "result": 1}],
     lambda l, lo, hi: sum(1 for x in l if lo <= x < hi))
task("largest_step", "return the largest absolute difference between two neighbouring numbers of a list, or 0 when the list has fewer than two numbers", [[1, 10, 3]],
     [{"args": [[5]], "result": 0}, {"args": [[3, -4]], "result": 7}, {"args": [[]], "result": 0}, {"args": [[2, 4, 4, 1]], "result": 3}],
     lambda l: max([0] + [abs(b - a) for a, b in zip(l, l[1:])]))
task("majority_element", "return the item that fills more than half of the positions of a list, or None when no item does", [[3, 1, 3, 3, 2]],
     [{"args": [[1, 2]], "result": None}, {"args": [[3, 3, 4, 4]], "result": None}, {"args": [[]], "result": None}, {"args": [["a"]], "result": "a"},
      {"args": [[2, 1, 2]], "result": 2}],
     _majority)
task("invert_grouped", "turn a dict from names to lists of tags into a dict from each tag to the list of the names that have it, sorted alphabetically",
     [{"ann": ["red", "blue"], "bob": ["red"]}],
     [{"args": [{}], "result": {}}, {"args": [{"zed": ["t"], "amy": ["t"]}], "result": {"t": ["amy", "zed"]}}, {"args": [{"a": []}], "result": {}},
      {"args": [{"a": ["x", "y"], "b": ["y"]}], "result": {"x": ["a"], "y": ["a", "b"]}}],
     _invert_grouped)
task("merge_prefer_first", "combine two dicts into one that holds every key of either, taking the value from the first dict when a key is in both",
     [{"a": 1, "b": 2}, {"b": 3, "c": 4}],
     [{"args": [{}, {"x": 1}], "result": {"x": 1}}, {"args": [{"k": None}, {"k": 5}], "result": {"k": None}}, {"args": [{}, {}], "result": {}},
      {"args": [{"p": [1]}, {"p": [2], "q": 0}], "result": {"p": [1], "q": 0}}],
     lambda a, b: {**b, **a})
task("is_valid_date", "tell whether a text is a real calendar date written as YYYY-MM-DD, with exactly four digits for the year, two for the month and two for the day",
     ["2024-02-29"], [{"args": ["2023-02-29"], "result": False}, {"args": ["2024-13-01"], "result": False}, {"args": ["2024-4-01"], "result": False},
                      {"args": ["2024-04-31"], "result": False}, {"args": ["1999-12-31"], "result": True}],
     _is_valid_date)
task("season_of", "return the season, 'winter', 'spring', 'summer' or 'autumn', of a date given as YYYY-MM-DD, spring being March to May, summer June to August, autumn September to November and winter December to February",
     ["2024-07-04"], [{"args": ["2024-12-01"], "result": "winter"}, {"args": ["2024-02-29"], "result": "winter"}, {"args": ["2024-03-01"], "result": "spring"},
                      {"args": ["2024-11-30"], "result": "autumn"}, {"args": ["2023-09-01"], "result": "autumn"}],
     _season)
task("last_friday_of_month", "return the date of the last Friday of the month in which a date given as YYYY-MM-DD falls, in the same form", ["2024-03-10"],
     [{"args": ["2024-05-01"], "result": "2024-05-31"}, {"args": ["2023-02-10"], "result": "2023-02-24"}, {"args": ["2024-12-31"], "result": "2024-12-27"},
      {"args": ["2024-03-30"], "result": "2024-03-29"}],
     _last_friday)
task("is_same_week", "tell whether two dates given as YYYY-MM-DD fall in the same week, each week running from Monday to Sunday", ["2024-03-11", "2024-03-14"],
     [{"args": ["2024-03-11", "2024-03-17"], "result": True}, {"args": ["2024-03-17", "2024-03-18"], "result": False},
      {"args": ["2024-12-30", "2025-01-05"], "result": True}, {"args": ["2024-03-11", "2025-03-11"], "result": False},
      {"args": ["2024-03-13", "2024-03-13"], "result": True}],
     lambda a, b: D(a) - dt.timedelta(days=D(a).weekday()) == D(b) - dt.timedelta(days=D(b).weekday()))
def _transfer(o, n):
    if o.checking < n:
        return False
    o.checking -= n
    o.savings += n
    return True
task("transfer_to_savings", "move an amount from the checking slot to the savings slot and return True when checking holds at least that amount, or change nothing and return False when it does not",
     [50], [{"given": {"checking": 30, "savings": 0}, "args": [50], "result": False, "slots": {"checking": 30, "savings": 0}},
            {"given": {"checking": 50, "savings": 5}, "args": [50], "result": True, "slots": {"checking": 0, "savings": 55}},
            {"given": {"checking": 10.5, "savings": 1}, "args": [0.5], "result": True, "slots": {"checking": 10.0, "savings": 1.5}}],
     slot_ref(_transfer), slots={"checking": 200, "savings": 100})
def _toggle_sel(o, item):
    if item in o.selected:
        o.selected.remove(item)
    else:
        o.selected.append(item)
    return len(o.selected)
task("toggle_selection", "remove an item from the selected slot (a list) when it is in it, or add it to the end of the list when it is not, and return how many items are selected afterwards",
     ["b"], [{"given": {"selected": ["a", "b"]}, "args": ["a"], "result": 1, "slots": {"selected": ["b"]}},
             {"given": {"selected": []}, "args": ["x"], "result": 1, "slots": {"selected": ["x"]}},
             {"given": {"selected": ["x", "y"]}, "args": ["z"], "result": 3, "slots": {"selected": ["x", "y", "z"]}}],
     slot_ref(_toggle_sel), slots={"selected": ["a"]})
def _rotate_queue(o):
    if not o.queue:
        return None
    o.queue.append(o.queue.pop(0))
    return o.queue[0]
task("rotate_queue", "move the first item of the queue slot (a list) to its end and return the item that is first now, or return None when the queue is empty", [],
     [{"given": {"queue": [1, 2, 3]}, "args": [], "result": 2, "slots": {"queue": [2, 3, 1]}},
      {"given": {"queue": ["solo"]}, "args": [], "result": "solo", "slots": {"queue": ["solo"]}},
      {"given": {"queue": []}, "args": [], "result": None, "slots": {"queue": []}},
      {"given": {"queue": ["x", "y"]}, "args": [], "result": "y", "slots": {"queue": ["y", "x"]}}],
     slot_ref(_rotate_queue), slots={"queue": ["a", "b", "c"]})
def _visit_streak(o, day):
    gap = (D(day) - D(o.last_visit)).days
    if gap == 1:
        o.streak += 1
    elif gap != 0:
        o.streak = 1
    o.last_visit = day
    return o.streak
task("record_visit", "record a visit on a date given as YYYY-MM-DD: when it is the day right after the date in the last_visit slot add one to the streak slot, when it is that same date leave the streak as it is, and otherwise set the streak to 1; then store the date in last_visit and return the streak",
     ["2024-03-11"], [{"given": {"last_visit": "2024-02-28", "streak": 2}, "args": ["2024-02-29"], "result": 3, "slots": {"last_visit": "2024-02-29", "streak": 3}},
                      {"given": {"last_visit": "2024-03-10", "streak": 5}, "args": ["2024-03-10"], "result": 5, "slots": {"last_visit": "2024-03-10", "streak": 5}},
                      {"given": {"last_visit": "2024-03-01", "streak": 7}, "args": ["2024-03-05"], "result": 1, "slots": {"last_visit": "2024-03-05", "streak": 1}},
                      {"given": {"last_visit": "2023-12-31", "streak": 1}, "args": ["2024-01-01"], "result": 2, "slots": {"last_visit": "2024-01-01", "streak": 2}}],
     slot_ref(_visit_streak), slots={"last_visit": "2024-03-10", "streak": 4})
def _replace_tag(o, old, new):
    n = o.tags.count(old)
    o.tags = [new if t == old else t for t in o.tags]
    return n
task("replace_tag", "replace every occurrence of an old tag in the tags slot (a list) with a new tag, keeping the positions, and return how many were replaced", ["red", "crimson"],
     [{"given": {"tags": ["a", "b"]}, "args": ["z", "y"], "result": 0, "slots": {"tags": ["a", "b"]}},
      {"given": {"tags": ["a", "b", "a"]}, "args": ["a", "c"], "result": 2, "slots": {"tags": ["c", "b", "c"]}},
      {"given": {"tags": []}, "args": ["a", "b"], "result": 0, "slots": {"tags": []}},
      {"given": {"tags": ["Red", "red"]}, "args": ["red", "x"], "result": 1, "slots": {"tags": ["Red", "x"]}}],
     slot_ref(_replace_tag), slots={"tags": ["red", "blue", "red"]})
def _top_three(o, score):
    o.top = sorted(o.top + [score], reverse=True)[:3]
    return o.top
task("keep_top_three", "add a score to the top slot (a list of numbers), keep only the three highest scores there, sorted from highest to lowest, and return that list", [75],
     [{"given": {"top": []}, "args": [5], "result": [5], "slots": {"top": [5]}},
      {"given": {"top": [9, 8, 7]}, "args": [1], "result": [9, 8, 7], "slots": {"top": [9, 8, 7]}},
      {"given": {"top": [3, 1]}, "args": [2], "result": [3, 2, 1], "slots": {"top": [3, 2, 1]}},
      {"given": {"top": [10, 10, 5]}, "args": [10], "result": [10, 10, 10], "slots": {"top": [10, 10, 10]}}],
     slot_ref(_top_three), slots={"top": [90, 80, 60]})
def _charge(o, n):
    added = min(n, o.capacity - o.charge)
    o.charge += added
    return added
task("charge_battery", "add an amount of charge to the charge slot without letting it go above the capacity slot, and return how much charge was actually added", [30],
     [{"given": {"charge": 90, "capacity": 100}, "args": [30], "result": 10, "slots": {"charge": 100, "capacity": 100}},
      {"given": {"charge": 100, "capacity": 100}, "args": [5], "result": 0, "slots": {"charge": 100}},
      {"given": {"charge": 0, "capacity": 80}, "args": [25], "result": 25, "slots": {"charge": 25}},
      {"given": {"charge": 10, "capacity": 20}, "args": [0], "result": 0, "slots": {"charge": 10}}],
     slot_ref(_charge), slots={"charge": 50, "capacity": 100})
def _coupon(o, code):
    if code in o.coupons and code not in o.used:
        o.used.append(code)
        o.total = round(o.total * (100 - o.coupons[code]) / 100, 2)
    return o.total
task("apply_coupon", "apply a coupon code: when the code is a key of the coupons slot (a dict from codes to discounts in percent) and is not yet in the used slot (a list), add it to the end of used and lower the total slot by that percent, rounded to 2 decimals; in every case return the total",
     ["SAVE10"], [{"given": {"coupons": {"A": 25}, "used": [], "total": 40}, "args": ["A"], "result": 30.0, "slots": {"used": ["A"], "total": 30.0}},
                  {"given": {"coupons": {"A": 25}, "used": ["A"], "total": 40}, "args": ["A"], "result": 40, "slots": {"used": ["A"], "total": 40}},
                  {"given": {"coupons": {"A": 25}, "used": [], "total": 40}, "args": ["B"], "result": 40, "slots": {"used": [], "total": 40}},
                  {"given": {"coupons": {"X": 15}, "used": ["A"], "total": 19.99}, "args": ["X"], "result": 16.99, "slots": {"used": ["A", "X"], "total": 16.99}}],
     slot_ref(_coupon), slots={"coupons": {"SAVE10": 10, "HALF": 50}, "used": [], "total": 80})
write("learning_tasks_novel6.jsonl")

# --- novel7 (written 2026-11-24 by a helper, after novel6 was written, before any run of it; no rule drawn from it) ---
def _first_unique(s):
    for c in s:
        if s.count(c) == 1:
            return c
    return None
def _count_overlapping(t, p):
    return sum(1 for i in range(len(t) - len(p) + 1) if t[i:i + len(p)] == p)
def _center(s, w):
    pad = max(0, w - len(s))
    return " " * (pad // 2) + s + " " * (pad - pad // 2)
def _format_bytes(n):
    if n < 1024:
        return f"{n} B"
    x = n
    for unit in ("KB", "MB", "GB"):
        x /= 1024
        if x < 1024 or unit == "GB":
            return f"{x:.1f} {unit}"
def _grade(x):
    return "A" if x >= 90 else "B" if x >= 80 else "C" if x >= 70 else "D" if x >= 60 else "F"
def _max_window(l, k):
    return max(sum(l[i:i + k]) for i in range(len(l) - k + 1))
def _compress_ranges(l):
    parts, i = [], 0
    while i < len(l):
        j = i
        while j + 1 < len(l) and l[j + 1] == l[j] + 1:
            j += 1
        parts.append(str(l[i]) if i == j else f"{l[i]}-{l[j]}")
        i = j + 1
    return ",".join(parts)
def _top_keys(d):
    if not d:
        return []
    m = max(d.values())
    return sorted(k for k, v in d.items() if v == m)
def _stock_after(stock, order):
    out = {k: v - order.get(k, 0) for k, v in stock.items()}
    return {k: v for k, v in out.items() if v != 0}
def _overlap(a, b):
    lo, hi = max(D(a[0]), D(b[0])), min(D(a[1]), D(b[1]))
    return max(0, (hi - lo).days + 1)
def _days_to_birthday(s, b):
    d = D(s)
    m, dd = map(int, b.split("-"))
    nxt = dt.date(d.year, m, dd)
    if nxt < d:
        nxt = dt.date(d.year + 1, m, dd)
    return (nxt - d).days


task("first_unique_char", "return the first character of a text that appears in it only once, an upper-case and a lower-case letter counting as different characters, or None when every character appears more than once",
     ["swiss"], [{"args": ["aabbc"], "result": "c"}, {"args": ["aA"], "result": "a"}, {"args": ["abab"], "result": None}, {"args": [""], "result": None},
                 {"args": ["xxyzy"], "result": "z"}],
     _first_unique)
task("count_overlapping", "count how many times a non-empty pattern occurs in a text, counting occurrences that overlap, so 'aa' occurs 3 times in 'aaaa', an upper-case and a lower-case letter counting as different",
     ["banana", "ana"], [{"args": ["aaaaa", "aa"], "result": 4}, {"args": ["abababa", "aba"], "result": 3}, {"args": ["abc", "abcd"], "result": 0},
                         {"args": ["aAa", "a"], "result": 2}],
     _count_overlapping)
task("reverse_each_word", "reverse the characters of each word of a sentence whose words are separated by single spaces, keeping the words in their order",
     ["hello world"], [{"args": ["a bc"], "result": "a cb"}, {"args": [""], "result": ""}, {"args": ["Ab, cd!"], "result": ",bA !dc"},
                       {"args": ["level up"], "result": "level pu"}],
     lambda s: " ".join(w[::-1] for w in s.split(" ")))
task("decode_run_length", "expand a text in which each letter is followed by the number of times it is repeated, such as 'a3b1c2', into the full text, here 'aaabcc', a number possibly having several digits",
     ["x2y3"], [{"args": ["x12"], "result": "xxxxxxxxxxxx"}, {"args": [""], "result": ""}, {"args": ["a0b2"], "result": "bb"}, {"args": ["A2a1"], "result": "AAa"},
                {"args": ["q1"], "result": "q"}],
     lambda s: "".join(c * int(n) for c, n in re.findall(r"(\D)(\d+)", s)))
task("numeronym", "shorten a word of 4 or more letters to its first letter, the count of the letters between its first and last letters, and its last letter, as 'internationalization' gives 'i18n', leaving shorter words unchanged",
     ["accessibility"], [{"args": ["word"], "result": "w2d"}, {"args": ["cat"], "result": "cat"}, {"args": ["Kubernetes"], "result": "K8s"}, {"args": ["a"], "result": "a"},
                         {"args": ["localization"], "result": "l10n"}],
     lambda w: w if len(w) < 4 else f"{w[0]}{len(w) - 2}{w[-1]}")
task("center_text", "center a text in a field of a given width by adding spaces on both sides, putting the odd space on the right when the padding cannot be split evenly, and return a text that is already at least that wide unchanged",
     ["cat", 9], [{"args": ["ab", 5], "result": " ab  "}, {"args": ["abcd", 7], "result": " abcd  "}, {"args": ["hello", 3], "result": "hello"}, {"args": ["", 2], "result": "  "},
                  {"args": ["hi", 6], "result": "  hi  "}],
     _center)
task("sum_between", "add up all the whole numbers from a first number to a second, both included, whichever of the two is the larger", [1, 4],
     [{"args": [5, 1], "result": 15}, {"args": [3, 3], "result": 3}, {"args": [-2, 2], "result": 0}, {"args": [-3, -1], "result": -6}],
     lambda a, b: sum(range(min(a, b), max(a, b) + 1)))
task("boxes_needed", "return how many boxes are needed to pack a number of items when each box holds at most a given number of items", [7, 3],
     [{"args": [10, 5], "result": 2}, {"args": [11, 5], "result": 3}, {"args": [0, 4], "result": 0}, {"args": [1, 100], "result": 1}],
     lambda n, k: -(-n // k))
task("format_bytes", "write a number of bytes as a readable size: below 1024 as the whole number followed by ' B', otherwise in 'KB', 'MB' or 'GB', each 1024 times the one before, choosing the largest of these units in which the size is at least 1 and writing it with one decimal, e.g. 2048 gives '2.0 KB'",
     [1536], [{"args": [1023], "result": "1023 B"}, {"args": [1024], "result": "1.0 KB"}, {"args": [0], "result": "0 B"}, {"args": [1048576], "result": "1.0 MB"},
              {"args": [5368709120], "result": "5.0 GB"}],
     _format_bytes)
task("letter_grade", "turn a score out of 100 into a letter grade: 'A' for 90 and above, 'B' from 80 up to but not including 90, 'C' from 70 up to 80, 'D' from 60 up to 70, and 'F' below 60",
     [85], [{"args": [90], "result": "A"}, {"args": [89.9], "result": "B"}, {"args": [60], "result": "D"}, {"args": [59.5], "result": "F"}, {"args": [70], "result": "C"}],
     _grade)
task("century_of", "return the century a positive year belongs to, the 20th century being the years 1901 to 2000", [1987],
     [{"args": [2000], "result": 20}, {"args": [2001], "result": 21}, {"args": [1], "result": 1}, {"args": [100], "result": 1}, {"args": [101], "result": 2}],
     lambda y: (y + 99) // 100)
task("closest_to_zero", "return the number of a non-empty list that is closest to zero, choosing the positive one when a positive and a negative number are equally close", [[7, -3, 4]],
     [{"args": [[-2, 2]], "result": 2}, {"args": [[2, -2]], "result": 2}, {"args": [[-1, 5]], "result": -1}, {"args": [[-0.5, 0.5, 3]], "result": 0.5},
      {"args": [[-4, -9]], "result": -4}],
     lambda l: min(l, key=lambda x: (abs(x), x < 0)))
task("max_window_sum", "return the largest sum of k neighbouring numbers of a list, k being at least 1 and at most the length of the list", [[1, 3, -2, 5, 1], 2],
     [{"args": [[-1, -2, -3], 1], "result": -1}, {"args": [[1, 2, 3], 3], "result": 6}, {"args": [[5, -10, 6, 1], 2], "result": 7}, {"args": [[2, -1, 2], 2], "result": 1},
      {"args": [[4], 1], "result": 4}],
     _max_window)
task("find_peaks", "return the positions, counting from 0, of the numbers of a list that are larger than both of their neighbours, the first and the last number never counting", [[1, 3, 2, 5, 4]],
     [{"args": [[3, 1, 3]], "result": []}, {"args": [[1, 2, 2, 1]], "result": []}, {"args": [[]], "result": []}, {"args": [[0, 5, 0, 5, 0]], "result": [1, 3]},
      {"args": [[7]], "result": []}],
     lambda l: [i for i in range(1, len(l) - 1) if l[i - 1] < l[i] > l[i + 1]])
task("compress_ranges", "write a list of distinct whole numbers, sorted from smallest to largest, as a text of parts separated by commas, each run of consecutive numbers written as its first and last number joined by '-' and a number with no neighbour on its own, e.g. [1, 2, 3, 7, 9, 10] gives '1-3,7,9-10'",
     [[4, 5, 6, 10, 12, 13]], [{"args": [[]], "result": ""}, {"args": [[5]], "result": "5"}, {"args": [[1, 2]], "result": "1-2"}, {"args": [[1, 3, 5]], "result": "1,3,5"},
                               {"args": [[0, 1, 2, 3]], "result": "0-3"}],
     _compress_ranges)
task("top_keys", "return, in alphabetical order, every key of a dict of numbers whose value equals the largest value in it, or an empty list when the dict is empty", [{"ann": 7, "bob": 9, "cy": 9}],
     [{"args": [{}], "result": []}, {"args": [{"z": -1}], "result": ["z"]}, {"args": [{"b": 2, "a": 2}], "result": ["a", "b"]}, {"args": [{"x": 0, "y": -3}], "result": ["x"]}],
     _top_keys)
task("query_string", "write a dict as a web query string, its key=value pairs joined with '&' in alphabetical order of the keys, and an empty dict as an empty text", [{"q": "shoes", "page": 2}],
     [{"args": [{}], "result": ""}, {"args": [{"b": 2, "a": "x"}], "result": "a=x&b=2"}, {"args": [{"page": 3, "lang": "en", "id": 7}], "result": "id=7&lang=en&page=3"},
      {"args": [{"k": ""}], "result": "k="}],
     lambda d: "&".join(f"{k}={d[k]}" for k in sorted(d)))
task("stock_after_order", "take an order, a dict from items to quantities, out of a stock, a dict from items to quantities that holds at least as much of each ordered item, and return the remaining stock, leaving out every item whose quantity is 0 afterwards",
     [{"pen": 10, "ink": 3}, {"pen": 4}], [{"args": [{"a": 5, "b": 2}, {"a": 2, "b": 2}], "result": {"a": 3}}, {"args": [{"a": 1}, {}], "result": {"a": 1}},
                                           {"args": [{"a": 0, "b": 1}, {}], "result": {"b": 1}}, {"args": [{}, {}], "result": {}},
                                           {"args": [{"pen": 10, "ink": 3}, {"pen": 10}], "result": {"ink": 3}}],
     _stock_after)
task("first_of_month", "return the first day of the month in which a date given as YYYY-MM-DD falls, in the same form", ["2024-03-15"],
     [{"args": ["2024-03-01"], "result": "2024-03-01"}, {"args": ["2023-12-31"], "result": "2023-12-01"}, {"args": ["2024-02-29"], "result": "2024-02-01"}],
     lambda s: D(s).replace(day=1).isoformat())
task("overlap_days", "count how many days two periods have in common, each period given as a list of its first and last day written as YYYY-MM-DD, both days included, or 0 when they do not overlap",
     [["2024-03-01", "2024-03-10"], ["2024-03-08", "2024-03-20"]],
     [{"args": [["2024-03-01", "2024-03-05"], ["2024-03-06", "2024-03-09"]], "result": 0}, {"args": [["2024-03-05", "2024-03-05"], ["2024-03-01", "2024-03-31"]], "result": 1},
      {"args": [["2024-02-20", "2024-03-10"], ["2024-02-27", "2024-03-02"]], "result": 5}, {"args": [["2024-03-10", "2024-03-20"], ["2024-03-01", "2024-03-10"]], "result": 1},
      {"args": [["2024-05-01", "2024-05-02"], ["2024-01-01", "2024-01-31"]], "result": 0}],
     _overlap)
task("sort_dmy_dates", "sort a list of dates written as DD/MM/YYYY from earliest to latest, keeping them in that form", [["15/03/2024", "01/12/2023"]],
     [{"args": [["02/01/2024", "01/02/2023"]], "result": ["01/02/2023", "02/01/2024"]}, {"args": [[]], "result": []},
      {"args": [["31/12/2023", "01/01/2024", "15/06/2023"]], "result": ["15/06/2023", "31/12/2023", "01/01/2024"]},
      {"args": [["10/05/2024", "09/05/2024", "10/05/2024"]], "result": ["09/05/2024", "10/05/2024", "10/05/2024"]}],
     lambda l: sorted(l, key=lambda s: dt.datetime.strptime(s, "%d/%m/%Y")))
task("days_to_birthday", "count the days from a date given as YYYY-MM-DD until a birthday given as MM-DD next comes round, 0 when the date is that birthday itself, the birthday never being 29 February",
     ["2024-03-10", "03-15"], [{"args": ["2024-03-15", "03-15"], "result": 0}, {"args": ["2024-03-16", "03-15"], "result": 364}, {"args": ["2023-12-31", "01-01"], "result": 1},
                               {"args": ["2024-01-01", "12-31"], "result": 365}, {"args": ["2023-03-01", "02-28"], "result": 364}],
     _days_to_birthday)
_STAGES = ["draft", "review", "published"]
def _advance(o):
    o.status = _STAGES[min(_STAGES.index(o.status) + 1, len(_STAGES) - 1)]
    return o.status
task("advance_status", "move the status slot one step along the stages 'draft', 'review' and 'published', in that order, leaving it as it is when it is already 'published', and return the new status", [],
     [{"given": {"status": "review"}, "args": [], "result": "published", "slots": {"status": "published"}},
      {"given": {"status": "published"}, "args": [], "result": "published", "slots": {"status": "published"}},
      {"given": {"status": "draft"}, "args": [], "result": "review", "slots": {"status": "review"}}],
     slot_ref(_advance), slots={"status": "draft"})
def _clear_completed(o):
    n = len(o.tasks)
    o.tasks = [t for t in o.tasks if not t[1]]
    return n - len(o.tasks)
task("clear_completed", "remove every finished task from the tasks slot, a list of [name, done] pairs with done true or false, keeping the others in their order, and return how many were removed", [],
     [{"given": {"tasks": [["a", False], ["b", False]]}, "args": [], "result": 0, "slots": {"tasks": [["a", False], ["b", False]]}},
      {"given": {"tasks": [["a", True], ["b", True]]}, "args": [], "result": 2, "slots": {"tasks": []}},
      {"given": {"tasks": []}, "args": [], "result": 0, "slots": {"tasks": []}},
      {"given": {"tasks": [["x", False], ["y", True], ["z", False]]}, "args": [], "result": 1, "slots": {"tasks": [["x", False], ["z", False]]}}],
     slot_ref(_clear_completed), slots={"tasks": [["wash", True], ["cook", False], ["shop", True]]})
def _rename_player(o, old, new):
    if old not in o.scores or new in o.scores:
        return False
    o.scores[new] = o.scores.pop(old)
    return True
task("rename_player", "rename a player in the scores slot, a dict from names to points, keeping their points, and return True, or change nothing and return False when the old name is not in it or the new name already is", ["ann", "anna"],
     [{"given": {"scores": {"bob": 5}}, "args": ["ann", "anna"], "result": False, "slots": {"scores": {"bob": 5}}},
      {"given": {"scores": {"ann": 3, "bob": 5}}, "args": ["ann", "bob"], "result": False, "slots": {"scores": {"ann": 3, "bob": 5}}},
      {"given": {"scores": {"cy": 0}}, "args": ["cy", "Cy"], "result": True, "slots": {"scores": {"Cy": 0}}},
      {"given": {"scores": {"bob": 5}}, "args": ["bob", "bob"], "result": False, "slots": {"scores": {"bob": 5}}}],
     slot_ref(_rename_player), slots={"scores": {"ann": 3, "bob": 5}})
def _set_password(o, p):
    if len(p) >= 8 and any(c.isdigit() for c in p):
        o.password = p
        return True
    return False
task("set_password", "store a new password in the password slot only when it has at least 8 characters and at least one digit, and return whether it was stored", ["hunter2024"],
     [{"given": {"password": "old12345"}, "args": ["short1"], "result": False, "slots": {"password": "old12345"}},
      {"given": {"password": "old12345"}, "args": ["abcdefgh"], "result": False, "slots": {"password": "old12345"}},
      {"given": {"password": "old12345"}, "args": ["abcdefg1"], "result": True, "slots": {"password": "abcdefg1"}},
      {"given": {"password": "old12345"}, "args": ["12345678"], "result": True, "slots": {"password": "12345678"}}],
     slot_ref(_set_password), slots={"password": "secret123"})
def _shift_appointments(o, n):
    o.appointments = [(D(d) + dt.timedelta(days=n)).isoformat() for d in o.appointments]
    return min(o.appointments) if o.appointments else None
task("shift_appointments", "move every date in the appointments slot, a list of dates written as YYYY-MM-DD, later by n days, keeping their order, and return the earliest of the new dates, or None when the list is empty", [3],
     [{"given": {"appointments": ["2024-02-28", "2024-01-30"]}, "args": [2], "result": "2024-02-01", "slots": {"appointments": ["2024-03-01", "2024-02-01"]}},
      {"given": {"appointments": []}, "args": [5], "result": None, "slots": {"appointments": []}},
      {"given": {"appointments": ["2023-12-31"]}, "args": [1], "result": "2024-01-01", "slots": {"appointments": ["2024-01-01"]}},
      {"given": {"appointments": ["2024-03-10", "2024-03-05"]}, "args": [0], "result": "2024-03-05", "slots": {"appointments": ["2024-03-10", "2024-03-05"]}}],
     slot_ref(_shift_appointments), slots={"appointments": ["2024-03-10", "2024-03-05"]})
def _bump_version(o, part):
    v = [int(x) for x in o.version.split(".")]
    i = ["major", "minor", "patch"].index(part)
    v = v[:i] + [v[i] + 1] + [0] * (2 - i)
    o.version = ".".join(map(str, v))
    return o.version
task("bump_version", "raise one part, 'major', 'minor' or 'patch', of the version slot, a text like '1.4.2' of those three whole numbers, by one, set the parts after it to 0, store the new version and return it", ["minor"],
     [{"given": {"version": "1.4.2"}, "args": ["major"], "result": "2.0.0", "slots": {"version": "2.0.0"}},
      {"given": {"version": "1.4.9"}, "args": ["patch"], "result": "1.4.10", "slots": {"version": "1.4.10"}},
      {"given": {"version": "0.9.3"}, "args": ["minor"], "result": "0.10.0", "slots": {"version": "0.10.0"}},
      {"given": {"version": "3.0.0"}, "args": ["patch"], "result": "3.0.1", "slots": {"version": "3.0.1"}}],
     slot_ref(_bump_version), slots={"version": "1.4.2"})
def _push_limited(o, item):
    if len(o.stack) >= o.limit:
        return False
    o.stack.append(item)
    return True
task("push_limited", "add an item to the end of the stack slot (a list) only when it holds fewer items than the limit slot, and return whether it was added", ["b"],
     [{"given": {"stack": ["x", "y"], "limit": 2}, "args": ["z"], "result": False, "slots": {"stack": ["x", "y"]}},
      {"given": {"stack": [], "limit": 0}, "args": ["a"], "result": False, "slots": {"stack": []}},
      {"given": {"stack": ["x"], "limit": 2}, "args": ["x"], "result": True, "slots": {"stack": ["x", "x"], "limit": 2}},
      {"given": {"stack": [], "limit": 1}, "args": [7], "result": True, "slots": {"stack": [7]}}],
     slot_ref(_push_limited), slots={"stack": ["a"], "limit": 3})
def _check_in(o, guest):
    free = [r for r, g in o.rooms.items() if g is None]
    if not free:
        return None
    room = min(free, key=int)
    o.rooms[room] = guest
    return room
task("check_in_guest", "check a guest into the free room with the lowest room number in the rooms slot, a dict from room numbers written as text to the name of the guest in the room or None when it is free, and return that room number, or return None and change nothing when no room is free",
     ["ben"], [{"given": {"rooms": {"9": None, "10": None}}, "args": ["cy"], "result": "9", "slots": {"rooms": {"9": "cy", "10": None}}},
               {"given": {"rooms": {"1": "amy", "2": "bo"}}, "args": ["cy"], "result": None, "slots": {"rooms": {"1": "amy", "2": "bo"}}},
               {"given": {"rooms": {"12": None, "3": "x", "7": None}}, "args": ["dee"], "result": "7", "slots": {"rooms": {"12": None, "3": "x", "7": "dee"}}},
               {"given": {"rooms": {}}, "args": ["eve"], "result": None, "slots": {"rooms": {}}}],
     slot_ref(_check_in), slots={"rooms": {"101": "amy", "102": None, "103": None}})
write("learning_tasks_novel7.jsonl")

# --- novel8 (written 2026-11-24 by a helper, after novel7 was run, before any run of it; no rule drawn from it) ---
def _most_vowels(s):
    ws = s.split()
    return max(ws, key=lambda w: sum(c.lower() in "aeiou" for c in w)) if ws else ""
def _wrap_words(s, width):
    lines, cur = [], ""
    for w in s.split():
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
def _is_subsequence(a, b):
    it = iter(b)
    return all(c in it for c in a)
def _longest_palindrome(s):
    best = ""
    for i in range(len(s)):
        for j in range(i + 1, len(s) + 1):
            if len(s[i:j]) > len(best) and s[i:j] == s[i:j][::-1]:
                best = s[i:j]
    return best
def _luhn(s):
    d = s.replace(" ", "")
    if len(d) < 2 or any(c not in string.digits for c in d):
        return False
    total = 0
    for i, c in enumerate(reversed(d)):
        x = int(c) * (2 if i % 2 else 1)
        total += x - 9 if x > 9 else x
    return total % 10 == 0
def _trailing_zeros(n):
    z, p = 0, 5
    while p <= n:
        z += n // p
        p *= 5
    return z
def _next_palindrome(n):
    n += 1
    while str(n) != str(n)[::-1]:
        n += 1
    return n
def _group_ext(names):
    out = {}
    for n in names:
        out.setdefault(n.rsplit(".", 1)[1].lower() if "." in n else "", []).append(n)
    return out
def _merge_case(d):
    out = {}
    for k, v in d.items():
        out[k.lower()] = out.get(k.lower(), 0) + v
    return out
def _add_weekdays(s, n):
    d = D(s)
    while n > 0:
        d += dt.timedelta(days=1)
        if d.weekday() < 5:
            n -= 1
    return d.isoformat()
def _quarter_end(s):
    d = D(s)
    m = ((d.month - 1) // 3 + 1) * 3
    return (dt.date(d.year + m // 12, m % 12 + 1, 1) - dt.timedelta(days=1)).isoformat()


task("word_with_most_vowels", "return the word of a sentence, the words being separated by spaces, that has the most vowels (a, e, i, o and u, in upper or lower case), the earliest of them when several have the same number, or an empty text when the sentence has no words",
     ["the quick brown fox"], [{"args": ["sky is blue"], "result": "blue"}, {"args": ["AEIOU xyz"], "result": "AEIOU"}, {"args": [""], "result": ""},
                               {"args": ["cat dog"], "result": "cat"}, {"args": ["rhythm"], "result": "rhythm"}],
     _most_vowels)
task("wrap_words", "break a text into lines of at most a given width, putting on each line as many of the remaining words as fit, joined by single spaces, a word longer than the width going on a line of its own, and return the list of lines, an empty list when the text has no words",
     ["the quick brown fox jumps", 10], [{"args": ["", 5], "result": []}, {"args": ["a b c", 3], "result": ["a b", "c"]},
                                         {"args": ["extraordinary is long", 5], "result": ["extraordinary", "is", "long"]}, {"args": ["one two", 7], "result": ["one two"]},
                                         {"args": ["  spaced   out  ", 20], "result": ["spaced out"]}],
     _wrap_words)
task("is_subsequence", "tell whether all the characters of a first text appear in a second text in the same order, though not necessarily next to each other, so 'ace' is in 'abcde' but 'aec' is not; an upper-case and a lower-case letter count as different, and an empty first text is always in",
     ["ace", "abcde"], [{"args": ["aec", "abcde"], "result": False}, {"args": ["", "xyz"], "result": True}, {"args": ["A", "abc"], "result": False},
                        {"args": ["aa", "a"], "result": False}, {"args": ["abc", "abc"], "result": True}],
     _is_subsequence)
task("remove_parenthesized", "remove every part of a text written between round brackets, the brackets included, where every '(' is closed by a later ')' and brackets are never nested, leaving the rest exactly as it is, so 'a (b) c' gives 'a  c'",
     ["call me (maybe) tomorrow"], [{"args": ["no brackets"], "result": "no brackets"}, {"args": ["(x)(y)z"], "result": "z"}, {"args": ["f(1)+g(2)"], "result": "f+g"},
                                    {"args": ["()"], "result": ""}],
     lambda s: re.sub(r"\([^)]*\)", "", s))
task("longest_palindrome_substring", "return the longest run of neighbouring characters of a text that reads the same backwards, the one that starts first when several are equally long, an upper-case and a lower-case letter counting as different, or an empty text for an empty text",
     ["babad"], [{"args": ["cbbd"], "result": "bb"}, {"args": ["abc"], "result": "a"}, {"args": [""], "result": ""}, {"args": ["Aba"], "result": "A"},
                 {"args": ["forgeeksskeegfor"], "result": "geeksskeeg"}],
     _longest_palindrome)
task("luhn_valid", "tell whether a card number, given as a text of digits possibly with spaces between groups, passes the Luhn check: going from the rightmost digit to the left, double every second digit, subtract 9 from each doubled value above 9, and the number is valid when the sum of all the digits so obtained is divisible by 10; a text with fewer than two digits or with any character other than digits and spaces is not valid",
     ["4539 1488 0343 6467"], [{"args": ["8273 1232 7352 0569"], "result": False}, {"args": ["059"], "result": True}, {"args": ["0"], "result": False},
                               {"args": ["055 444 285"], "result": True}, {"args": ["055a 444 285"], "result": False}],
     _luhn)
task("factorial_trailing_zeros", "count the zeros at the end of the factorial of a non-negative whole number, for example 10 gives 2 because 10! is 3628800", [25],
     [{"args": [0], "result": 0}, {"args": [4], "result": 0}, {"args": [5], "result": 1}, {"args": [100], "result": 24}, {"args": [125], "result": 31}],
     _trailing_zeros)
task("digits_product", "multiply together the digits of a non-negative whole number, so 234 gives 24 and a number with a 0 among its digits gives 0", [234],
     [{"args": [7], "result": 7}, {"args": [0], "result": 0}, {"args": [105], "result": 0}, {"args": [1111], "result": 1}, {"args": [99], "result": 81}],
     lambda n: math.prod(int(c) for c in str(n)))
task("next_palindrome_number", "return the smallest whole number larger than a given non-negative whole number whose digits read the same backwards, for example 123 gives 131 and 99 gives 101", [123],
     [{"args": [99], "result": 101}, {"args": [0], "result": 1}, {"args": [9], "result": 11}, {"args": [808], "result": 818}, {"args": [1991], "result": 2002}],
     _next_palindrome)
task("split_bill_cents", "split a bill given in cents evenly between a number of people after adding a tip given as a whole percent of the bill, and return each person's share in whole cents, rounded up to the next cent when it does not come out even", [10000, 15, 4],
     [{"args": [1000, 0, 3], "result": 334}, {"args": [999, 10, 1], "result": 1099}, {"args": [0, 20, 5], "result": 0}, {"args": [2000, 25, 2], "result": 1250}],
     lambda bill, tip, people: -(-bill * (100 + tip) // (100 * people)))
task("moving_average", "return the averages of every run of k neighbouring numbers of a list, from left to right, each rounded to 2 decimals, or an empty list when the list has fewer than k numbers, k being at least 1", [[1, 2, 3, 4, 5], 3],
     [{"args": [[1, 2], 3], "result": []}, {"args": [[10, 20], 1], "result": [10.0, 20.0]}, {"args": [[1, 2, 2], 2], "result": [1.5, 2.0]}, {"args": [[1, 1, 2], 3], "result": [1.33]},
      {"args": [[-1, 1], 2], "result": [0.0]}],
     lambda l, k: [round(sum(l[i:i + k]) / k, 2) for i in range(len(l) - k + 1)])
task("dedupe_keep_last", "remove repeated items from a list, keeping only the last occurrence of each and the kept items in their order, an upper-case and a lower-case letter counting as different, so [1, 2, 1, 3, 2] gives [1, 3, 2]", [[1, 2, 1, 3, 2]],
     [{"args": [[]], "result": []}, {"args": [["a", "b", "a"]], "result": ["b", "a"]}, {"args": [[5, 5, 5]], "result": [5]}, {"args": [[1, 2, 3]], "result": [1, 2, 3]},
      {"args": [["A", "a", "A"]], "result": ["a", "A"]}],
     lambda l: [x for i, x in enumerate(l) if x not in l[i + 1:]])
task("equilibrium_index", "return the first position, counting from 0, in a list of numbers at which the sum of the numbers before it equals the sum of the numbers after it, an empty side summing to 0, or -1 when there is no such position", [[1, 7, 3, 6, 5, 6]],
     [{"args": [[1, 2, 3]], "result": -1}, {"args": [[2, 1, -1]], "result": 0}, {"args": [[5]], "result": 0}, {"args": [[]], "result": -1}, {"args": [[1, -1, 4]], "result": 2}],
     lambda l: next((i for i in range(len(l)) if sum(l[:i]) == sum(l[i + 1:])), -1))
task("count_inversions", "count the pairs of positions in a list of numbers where the earlier number is larger than the later one, for example [3, 1, 2] has 2 such pairs", [[3, 1, 2]],
     [{"args": [[]], "result": 0}, {"args": [[1, 2, 3]], "result": 0}, {"args": [[3, 2, 1]], "result": 3}, {"args": [[2, 2, 1]], "result": 2}, {"args": [[5, 1, 4, 2]], "result": 4}],
     lambda l: sum(1 for i in range(len(l)) for j in range(i + 1, len(l)) if l[i] > l[j]))
task("list_leaders", "return, in their order, the numbers of a list that are larger than every number that comes after them, the last number always counting, or an empty list for an empty list", [[16, 17, 4, 3, 5, 2]],
     [{"args": [[]], "result": []}, {"args": [[1, 2, 3]], "result": [3]}, {"args": [[3, 3]], "result": [3]}, {"args": [[5, 4, 3]], "result": [5, 4, 3]}, {"args": [[-1]], "result": [-1]}],
     lambda l: [x for i, x in enumerate(l) if all(x > y for y in l[i + 1:])])
task("dense_rank", "replace each number of a list by its rank among the distinct numbers of the list, 1 for the smallest, equal numbers sharing a rank and no rank being skipped, so [30, 10, 30, 20] gives [3, 1, 3, 2]", [[30, 10, 30, 20]],
     [{"args": [[]], "result": []}, {"args": [[5]], "result": [1]}, {"args": [[2, 2, 2]], "result": [1, 1, 1]}, {"args": [[-1, 0, -1, 7]], "result": [1, 2, 1, 3]},
      {"args": [[1.5, 1, 2]], "result": [2, 1, 3]}],
     lambda l: [sorted(set(l)).index(x) + 1 for x in l])
task("group_by_extension", "group a list of file names by extension, the part of the name after its last dot written in lower case, into a dict from each extension to the names that have it in their order, a name without a dot going under the empty text",
     [["a.txt", "b.PNG", "c.txt"]], [{"args": [[]], "result": {}}, {"args": [["Makefile", "x.tar.gz"]], "result": {"": ["Makefile"], "gz": ["x.tar.gz"]}},
                                     {"args": [["A.JPG", "b.jpg"]], "result": {"jpg": ["A.JPG", "b.jpg"]}}, {"args": [["notes.md"]], "result": {"md": ["notes.md"]}}],
     _group_ext)
task("merge_case_keys", "merge the keys of a dict of numbers that differ only in upper and lower case into one lower-case key whose value is the sum of their values, and return the new dict", [{"Apple": 2, "apple": 3, "Pear": 1}],
     [{"args": [{}], "result": {}}, {"args": [{"A": 1}], "result": {"a": 1}}, {"args": [{"x": 1, "X": -1}], "result": {"x": 0}},
      {"args": [{"Tea": 1.5, "TEA": 2, "tea": 0.5}], "result": {"tea": 4.0}}],
     _merge_case)
task("stars_histogram", "draw a dict from lower-case names to non-negative whole counts as lines of the form 'name: ' followed by one '*' per count, the lines in alphabetical order of the names and joined by newlines, or an empty text for an empty dict", [{"b": 2, "a": 3}],
     [{"args": [{}], "result": ""}, {"args": [{"x": 0}], "result": "x: "}, {"args": [{"cat": 1}], "result": "cat: *"}, {"args": [{"z": 1, "m": 2, "a": 0}], "result": "a: \nm: **\nz: *"}],
     lambda d: "\n".join(f"{k}: {'*' * d[k]}" for k in sorted(d)))
task("add_weekdays", "return the date a given number of working days (Monday to Friday) after a date written as YYYY-MM-DD, in the same form, stepping over Saturdays and Sundays, so 1 working day after Friday 2024-03-08 is Monday 2024-03-11, and 0 working days gives the date itself",
     ["2024-03-06", 3], [{"args": ["2024-03-08", 1], "result": "2024-03-11"}, {"args": ["2024-03-09", 0], "result": "2024-03-09"}, {"args": ["2024-03-09", 1], "result": "2024-03-11"},
                         {"args": ["2024-03-04", 5], "result": "2024-03-11"}, {"args": ["2024-12-31", 2], "result": "2025-01-02"}],
     _add_weekdays)
task("quarter_end", "return the last day of the calendar quarter (January to March, April to June, July to September, October to December) in which a date written as YYYY-MM-DD falls, in the same form, for example '2024-05-10' gives '2024-06-30'",
     ["2024-05-10"], [{"args": ["2024-01-01"], "result": "2024-03-31"}, {"args": ["2024-12-31"], "result": "2024-12-31"}, {"args": ["2023-08-15"], "result": "2023-09-30"},
                      {"args": ["2024-10-02"], "result": "2024-12-31"}],
     _quarter_end)
task("friday_13_count", "count how many months of a given year have their 13th day falling on a Friday", [2026],
     [{"args": [2015], "result": 3}, {"args": [2024], "result": 2}, {"args": [2023], "result": 2}, {"args": [2022], "result": 1}],
     lambda y: sum(dt.date(y, m, 13).weekday() == 4 for m in range(1, 13)))
def _restock(o, minimum):
    low = sorted(k for k, v in o.stock.items() if v < minimum)
    for k in low:
        o.stock[k] = minimum
    return low
task("restock_below", "raise every item of the stock slot, a dict from item names to quantities, whose quantity is below a given minimum up to that minimum, and return the names of the raised items in alphabetical order", [5],
     [{"given": {"stock": {"a": 5}}, "args": [5], "result": [], "slots": {"stock": {"a": 5}}},
      {"given": {"stock": {"b": 1, "a": 0}}, "args": [2], "result": ["a", "b"], "slots": {"stock": {"b": 2, "a": 2}}},
      {"given": {"stock": {}}, "args": [3], "result": [], "slots": {"stock": {}}},
      {"given": {"stock": {"x": 7, "y": 3}}, "args": [0], "result": [], "slots": {"stock": {"x": 7, "y": 3}}},
      {"given": {"stock": {"x": -2, "y": 4}}, "args": [4], "result": ["x"], "slots": {"stock": {"x": 4, "y": 4}}}],
     slot_ref(_restock), slots={"stock": {"pens": 2, "ink": 9, "pads": 0}})
def _cancel(o, name):
    freed = sorted(s for n, s in o.bookings if n == name)
    o.bookings = [b for b in o.bookings if b[0] != name]
    return freed
task("cancel_booking", "cancel every booking made under a name, matched exactly, in the bookings slot, a list of [name, seat number] pairs, keeping the other bookings in their order, and return the seat numbers that were freed, from smallest to largest", ["ann"],
     [{"given": {"bookings": [["bob", 3]]}, "args": ["ann"], "result": [], "slots": {"bookings": [["bob", 3]]}},
      {"given": {"bookings": []}, "args": ["x"], "result": [], "slots": {"bookings": []}},
      {"given": {"bookings": [["Ann", 1], ["ann", 2]]}, "args": ["ann"], "result": [2], "slots": {"bookings": [["Ann", 1]]}},
      {"given": {"bookings": [["cy", 7], ["dee", 1], ["cy", 7]]}, "args": ["cy"], "result": [7, 7], "slots": {"bookings": [["dee", 1]]}}],
     slot_ref(_cancel), slots={"bookings": [["ann", 12], ["bob", 3], ["ann", 5]]})
def _attend(o, name):
    if name in o.roster and name not in o.present:
        o.present.append(name)
    return len(o.present)
task("mark_attendance", "mark a person present: when the name, matched exactly, is in the roster slot (a list of names) and not yet in the present slot (a list), add it to the end of present; in every case return how many names present holds afterwards", ["ann"],
     [{"given": {"roster": ["ann", "bob"], "present": ["ann"]}, "args": ["ann"], "result": 1, "slots": {"present": ["ann"]}},
      {"given": {"roster": ["ann"], "present": []}, "args": ["zed"], "result": 0, "slots": {"present": []}},
      {"given": {"roster": ["ann", "bob"], "present": []}, "args": ["bob"], "result": 1, "slots": {"present": ["bob"], "roster": ["ann", "bob"]}},
      {"given": {"roster": ["Ann"], "present": []}, "args": ["ann"], "result": 0, "slots": {"present": []}}],
     slot_ref(_attend), slots={"roster": ["ann", "bob", "cy"], "present": ["bob"]})
def _redeem(o):
    n = o.points // 100
    o.points -= 100 * n
    o.vouchers += n
    return n
task("redeem_points", "turn the points slot into vouchers: for each whole 100 points it holds, add 1 to the vouchers slot and take those 100 points off, keeping the remainder below 100, and return how many vouchers were added", [],
     [{"given": {"points": 99, "vouchers": 0}, "args": [], "result": 0, "slots": {"points": 99, "vouchers": 0}},
      {"given": {"points": 100, "vouchers": 2}, "args": [], "result": 1, "slots": {"points": 0, "vouchers": 3}},
      {"given": {"points": 1234, "vouchers": 0}, "args": [], "result": 12, "slots": {"points": 34, "vouchers": 12}},
      {"given": {"points": 0, "vouchers": 5}, "args": [], "result": 0, "slots": {"points": 0, "vouchers": 5}}],
     slot_ref(_redeem), slots={"points": 350, "vouchers": 1})
def _allow(o, now):
    o.requests = [t for t in o.requests if t > now - 60]
    if len(o.requests) < o.limit:
        o.requests.append(now)
        return True
    return False
task("allow_request", "decide whether a request made at a given time in seconds is allowed: first remove from the requests slot, a list of earlier request times in seconds, every time that is 60 or more seconds before the given time; then, when fewer times than the limit slot remain, add the given time to the end of requests and return True, otherwise return False", [100],
     [{"given": {"requests": [0, 30, 59], "limit": 3}, "args": [60], "result": True, "slots": {"requests": [30, 59, 60]}},
      {"given": {"requests": [10, 20, 30], "limit": 3}, "args": [40], "result": False, "slots": {"requests": [10, 20, 30]}},
      {"given": {"requests": [], "limit": 0}, "args": [5], "result": False, "slots": {"requests": []}},
      {"given": {"requests": [1, 2], "limit": 1}, "args": [200], "result": True, "slots": {"requests": [200]}},
      {"given": {"requests": [5, 6], "limit": 2}, "args": [65], "result": True, "slots": {"requests": [6, 65]}}],
     slot_ref(_allow), slots={"requests": [10, 50, 70], "limit": 3})
def _move_card(o, card, src, dst):
    if src not in o.board or dst not in o.board or card not in o.board[src]:
        return False
    o.board[src].remove(card)
    o.board[dst].append(card)
    return True
task("move_card", "move a card between two columns of the board slot, a dict from column names to lists of cards: take the card's first occurrence out of the first column and add the card to the end of the second column, returning True, or change nothing and return False when either column does not exist or the card is not in the first column",
     ["b", "todo", "doing"], [{"given": {"board": {"todo": ["x"], "done": []}}, "args": ["y", "todo", "done"], "result": False, "slots": {"board": {"todo": ["x"], "done": []}}},
                              {"given": {"board": {"todo": ["x"], "done": []}}, "args": ["x", "todo", "archive"], "result": False, "slots": {"board": {"todo": ["x"], "done": []}}},
                              {"given": {"board": {"todo": ["x", "y", "x"], "done": ["z"]}}, "args": ["x", "todo", "done"], "result": True,
                               "slots": {"board": {"todo": ["y", "x"], "done": ["z", "x"]}}},
                              {"given": {"board": {"todo": ["p", "q"]}}, "args": ["p", "todo", "todo"], "result": True, "slots": {"board": {"todo": ["q", "p"]}}},
                              {"given": {"board": {"todo": ["x"]}}, "args": ["x", "missing", "todo"], "result": False, "slots": {"board": {"todo": ["x"]}}}],
     slot_ref(_move_card), slots={"board": {"todo": ["a", "b"], "doing": [], "done": ["c"]}})
def _late_fee(o, today):
    if D(today) > D(o.due) and not o.fee_charged:
        o.balance += o.fee
        o.fee_charged = True
    return o.balance
task("charge_late_fee", "when a date given as YYYY-MM-DD is after the date in the due slot, written the same way, and the fee_charged slot is false, add the fee slot to the balance slot and set fee_charged to true; in every case return the balance", ["2024-04-02"],
     [{"given": {"due": "2024-03-31", "fee": 15, "balance": 100, "fee_charged": False}, "args": ["2024-03-31"], "result": 100, "slots": {"balance": 100, "fee_charged": False}},
      {"given": {"due": "2024-03-31", "fee": 15, "balance": 100, "fee_charged": True}, "args": ["2024-05-01"], "result": 100, "slots": {"balance": 100, "fee_charged": True}},
      {"given": {"due": "2023-12-31", "fee": 2.5, "balance": 0, "fee_charged": False}, "args": ["2024-01-01"], "result": 2.5, "slots": {"balance": 2.5, "fee_charged": True}},
      {"given": {"due": "2024-02-29", "fee": 10, "balance": 50, "fee_charged": False}, "args": ["2024-02-28"], "result": 50, "slots": {"balance": 50, "fee_charged": False}}],
     slot_ref(_late_fee), slots={"due": "2024-03-31", "fee": 15, "balance": 100, "fee_charged": False})
def _lap(o, t):
    o.laps.append(t)
    if o.best is None or t < o.best:
        o.best = t
        return True
    return False
task("record_lap", "add a lap time in seconds to the end of the laps slot (a list) and, when it is lower than the best slot or best is None, store it in best as well; return whether it became the new best", [58.9],
     [{"given": {"laps": [], "best": None}, "args": [70], "result": True, "slots": {"laps": [70], "best": 70}},
      {"given": {"laps": [60], "best": 60}, "args": [60], "result": False, "slots": {"laps": [60, 60], "best": 60}},
      {"given": {"laps": [50, 55], "best": 50}, "args": [52.5], "result": False, "slots": {"laps": [50, 55, 52.5], "best": 50}},
      {"given": {"laps": [80], "best": 80}, "args": [79.99], "result": True, "slots": {"laps": [80, 79.99], "best": 79.99}}],
     slot_ref(_lap), slots={"laps": [61.2, 59.8], "best": 59.8})
write("learning_tasks_novel8.jsonl")
