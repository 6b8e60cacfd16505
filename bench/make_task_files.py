#!/usr/bin/env python3
"""Writes the two task files no selection rule was tuned on, each hidden answer checked against a reference.

    python bench/make_task_files.py [DIR]     (default: beside this script)

- ``learning_tasks_fresh.jsonl`` (30 tasks): written 2026-11-23 before any run of it, then run once
  (``docs/cycle.md``): its false installs led to the rules of that session, so it is no longer unseen;
- ``learning_tasks_unseen.jsonl`` (20 tasks): written the same day, before those rules were measured on
  it; measured once, at the end, and never used to choose a rule.

Tasks are written in ``bench/learning_tasks.jsonl``'s form; the references below only check the answers
(a typo in a hidden answer would count a right method as a false install).
"""

import datetime as dt
import json
import math
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
