"""Property checks read from the request's words, and how a candidate is held to them."""

from bat_os.cognition.properties import properties
from bat_os.cognition.selection import assess, plan


def test_whether_and_an_is_selector_ask_for_a_bool():
    found = properties("tell whether a word reads the same backwards", "reads_back", ["abc"], {})
    assert found == [{"args": ["abc"], "kwargs": {}, "type": "bool", "role": "property", "says": "'tell whether'"}]
    assert properties("a prime test", "is_prime", [7], {})[0]["type"] == "bool"
    assert properties("check if the list is sorted", "sorted_check", [[1]], {})[0]["type"] == "bool"


def test_count_asks_for_an_int_unless_a_map_is_asked_for():
    assert properties("count the even numbers in a list", "count_evens", [[1, 2]], {})[0]["type"] == "int"
    assert properties("how many words are in a text", "words", ["a b"], {})[0]["type"] == "int"
    assert properties("count each word and return a dict of counts", "word_counts", ["a b"], {})[0]["type"] == "dict"
    assert properties("list the words of a text with their counts", "word_list", ["a b"], {}) == []
    assert properties("return the number of vowels in a text", "vowels", ["ab"], {})[0]["type"] == "int"
    assert properties("return the number of the words in a text", "words", ["ab"], {})[0]["type"] == "int"
    # a number OF one list is one of its items (novel7's closest_to_zero answered 0.5, refused as "not an int")
    for intent in ("return the number of a list that is closest to zero", "return the number of the list nearest to 10"):
        assert not [p for p in properties(intent, "pick", [[-0.5, 3]], {}) if p.get("type") == "int"], intent


def test_map_each_or_a_dict_asks_for_a_dict():
    # the real 0.5B model answered "map each word of a sentence to its length" with the list of words, twice
    found = properties("map each word of a sentence to its length", "word_lengths", ["a b"], {})
    assert found == [{"args": ["a b"], "kwargs": {}, "type": "dict", "role": "property", "says": "'map each'"}]
    assert properties("count each character, as a dict", "char_frequency", ["aab"], {})[0]["says"] == "'as a dict'"
    assert properties("swap the keys and values of a dict", "invert_dict", [{"a": 1}], {}) == []  # a dict given, not asked for
    words = _run("map each word of a sentence to its length", "word_lengths", ["hi there"],
                 lambda cases: [{"value": ["hi", "there"]}] * len(cases))
    assert words["eligible"] is False and words["failed"] == [
        "property: the request says 'map each': obj.word_lengths('hi there') should return a dict, but it returned [\"hi\", \"there\"] (a list)"]


def test_ignoring_case_asks_that_swapping_case_changes_nothing():
    found = properties("tell whether a word reads the same backwards, ignoring case", "is_palindrome", ["Racecar"], {})
    assert {"args": ["racecar"], "kwargs": {}, "same_as_trial": True, "role": "property", "says": "'ignoring case'"} in found
    assert {"args": ["RACECAR"], "kwargs": {}, "same_as_trial": True, "role": "property", "says": "'ignoring case'"} in found
    assert properties("count the vowels (either case) in a word", "count_vowels", ["banana"], {})[-1]["args"] == ["BANANA"]
    assert not any("same_as_trial" in p for p in properties("sum numbers ignoring case", "total", [3], {}))  # no string to swap


def _but_answers(found: list[dict]) -> list[dict]:
    """The properties other than "return ... asks for an answer" (tested on its own below)."""
    return [p for p in found if not p.get("answers")]


def test_a_plain_request_has_no_property():
    assert properties("reverse the order of the words in a sentence", "reverse_words", ["a b"], {}) == []
    assert properties("", "f", [], {}) == []


def _run(intent, selector, args, answers):
    checks = properties(intent, selector, args, {})
    cases = plan({"args": args, "kwargs": {}}, [], [], [], checks)
    return assess(cases, answers(cases), lambda i, n: {}, f"obj.{selector}")


def test_a_candidate_that_breaks_a_property_is_refused_with_the_words_it_broke():
    intent = "tell whether a word reads the same backwards, ignoring case"

    def case_sensitive(cases):
        return [{"value": c["args"][0] == c["args"][0][::-1]} for c in cases]

    def caseless(cases):
        return [{"value": c["args"][0].lower() == c["args"][0].lower()[::-1]} for c in cases]

    refused = _run(intent, "is_palindrome", ["Racecar"], case_sensitive)
    assert refused["eligible"] is False
    assert refused["failed"][0] == ("property: the request says 'ignoring case': obj.is_palindrome('racecar') should answer "
                                    "as the trial call does (false), but it answered true")
    assert _run(intent, "is_palindrome", ["Racecar"], caseless)["eligible"] is True
    wrong_kind = _run("count the vowels in a word", "count_vowels", ["banana"], lambda cases: [{"value": "3"} for _ in cases])
    assert wrong_kind["failed"] == ["property: the request says 'count': obj.count_vowels('banana') should return a int, "
                                    "but it returned '3' (a str)"]


def test_case_does_not_matter_leaves_the_case_of_an_answer_made_of_the_text_alone():
    """Eleven right ``strip_vowels`` of the real 0.5B model answered 'Bnn Splt' and, for 'banana split', 'bnn splt':
    the words "of either case" were read as "the answer may not depend on the case" and refused them all."""
    intent = "remove every vowel, of either case, from a text"

    def strip(cases):
        return [{"value": "".join(ch for ch in c["args"][0] if ch not in "aeiouAEIOU")} for c in cases]

    def lower_vowels_only(cases):
        return [{"value": "".join(ch for ch in c["args"][0] if ch not in "aeiou")} for c in cases]

    assert _run(intent, "strip_vowels", ["Banana Split"], strip)["eligible"] is True
    refused = _run(intent, "strip_vowels", ["Alan"], lower_vowels_only)  # 'Aln' but, upper-cased, 'ALAN': not alike
    assert refused["eligible"] is False and "either case" in refused["failed"][0]


def test_in_capitals_asks_that_a_name_in_lower_case_is_answered_in_capitals():
    """The real 0.5B model's two agreeing ``initials`` joined ``word[0]`` as written: 'linus torvalds' gave 'lt'."""
    intent = "return the initials of a full name in capitals, e.g. 'Ada Lovelace' gives 'AL'"
    found = _but_answers(properties(intent, "initials", ["Alan Turing"], {}))
    assert found == [{"args": ["alan turing"], "kwargs": {}, "letters": "upper", "role": "property", "says": "'in capitals'"}]
    assert properties("return the word in lower case", "low", ["Word"], {})[0]["args"] == ["WORD"]
    assert _but_answers(properties("return the sum in capitals", "f", [3], {})) == []  # no letters to change
    # said of a part of the answer, after "with": 'mcDonald' answers 'McDonald', not all capitals
    for part in ("return a text with its first letter in upper case and the rest left as it is",
                 "return the name with every word's first letter in capitals",
                 # both said: each of a part (novel6's alternate_case answered 'AbCd', refused as "not upper case")
                 "write the letters at even positions in upper case and those at odd positions in lower case"):
        assert not [p for p in properties(part, "f", ["hello World"], {}) if "letters" in p], part
    assert [p["letters"] for p in properties("return the first letter of a name in upper case", "f", ["ada"], {})
            if "letters" in p] == ["upper"]

    def as_written(cases):
        return [{"value": "".join(w[0] for w in c["args"][0].split())} for c in cases]

    def capitals(cases):
        return [{"value": "".join(w[0].upper() for w in c["args"][0].split())} for c in cases]

    refused = _run(intent, "initials", ["Alan Turing"], as_written)
    assert refused["failed"] == ["property: the request says 'in capitals': obj.initials('alan turing') should answer "
                                 "in upper case, but it answered \"at\""]
    assert _run(intent, "initials", ["Alan Turing"], capitals)["eligible"] is True
    assert _run(intent, "initials", ["Alan Turing"], lambda cases: [{"value": 2} for _ in cases])["eligible"] is True  # not a str: not judged


def _shapes(intent, args):
    return [c["shape"] for c in properties(intent, "f", args, {}) if "shape" in c]


def test_a_date_or_a_time_shown_or_spelled_for_the_answer_gives_its_shape():
    assert _shapes("turn a date given as YYYY-MM-DD into day/month/year, like 15/03/2024", ["2024-03-15"]) == [[r"\d+/\d{2}/\d{4}"]]
    assert _shapes("format a date given as YYYY-MM-DD as DD.MM.YYYY", ["2024-03-15"]) == [[r"\d{2}\.\d{2}\.\d{4}"]]
    assert _shapes("convert a date from DD/MM/YYYY to YYYY-MM-DD", ["15/03/2024"]) == [[r"\d{4}\-\d{2}\-\d{2}"]]
    assert _shapes("format a number of seconds as a time like 01:02:03", [3723]) == [[r"\d+:\d{2}:\d{2}"]]
    assert _shapes("format a time like 9:05 as HH:MM", ["9:05"]) == [[r"\d{2}:\d{2}"]]
    # a few words between, and one-letter fields not padded (the real 0.5B model's pairs answered '3/15/2024' and
    # '00:00:59' to the novel tasks' iso_to_us and seconds_to_clock)
    assert _shapes("turn a date given as YYYY-MM-DD into the US form MM/DD/YYYY", ["2024-03-15"]) == [[r"\d{2}/\d{2}/\d{4}"]]
    assert _shapes("turn a number of seconds into a text H:MM:SS", [3725]) == [[r"\d+:\d{2}:\d{2}"]]
    assert _shapes("format a date given as a text YYYY-MM-DD as M/D/YYYY", ["2024-03-15"]) == [[r"\d{1,2}/\d{1,2}/\d{4}"]]
    assert _shapes("return the weekday of a date given as a text YYYY-MM-DD", ["2024-03-15"]) == []
    # the argument's form, not the answer's
    assert _shapes("return the English name of the weekday of a date given as YYYY-MM-DD", ["2024-03-15"]) == []
    assert _shapes("return the month name of a date like 2024-03-15", ["2024-03-15"]) == []
    # novel5's compare_versions: the example describes the arguments, called with fewer fields than it shows
    assert _shapes("compare two version numbers made of whole numbers separated by dots, like '1.10.2', returning -1, "
                   "0 or 1", ["1.9", "1.10"]) == []
    assert _shapes("turn a date given as YYYY-MM-DD into day/month/year, like 15/03/2024", ["2024-3-5"]) != []  # other separators
    # a quoted form of digits and separators (novel6's format_phone: two candidates answered '(555) 123-456')
    phone = _shapes("write the 10 digits of a text as a phone number in the form '(555) 123-4567'", ["5551234567"])
    assert phone == [[r"\(\d+\)\ \d{3}\-\d{4}"]]
    assert _shapes("format an amount in the form '1,234.50'", [1234.5]) == []  # a number's form: its first group varies
    assert _shapes("check a code given in the form '12-34-56'", ["12-34-56"]) == []  # the argument's
    # shown before what it is turned into: the argument (novel6's expand_ranges, called with '5')
    assert _shapes("turn a text of ranges, for example '1-3,7,9-10', into the list of every number", ["5"]) == []
    assert _shapes("turn a number of seconds into a time like 01:02:03", [3723]) != []  # shown after "into": the answer
    # not a date or a time
    assert _shapes("round a price like 3.50", [3.499]) == []
    assert _shapes("split a list like [1, 2, 3] into pairs", [[1, 2, 3]]) == []


def test_a_text_answer_of_another_shape_is_refused():
    intent = "turn a date given as YYYY-MM-DD into day/month/year, like 15/03/2024"

    def answering(value):
        return lambda cases: [{"value": value} for _ in cases]

    refused = _run(intent, "format_date", ["2024-03-15"], answering("15/3/2024"))  # the real 0.5B model's pair
    assert refused["failed"] == ["property: the request says 'like 15/03/2024': obj.format_date('2024-03-15') should answer "
                                 "a text shaped like that, but it answered \"15/3/2024\""]
    assert _run(intent, "format_date", ["2024-03-15"], answering("2024-03-15 00:00:00"))["eligible"] is False  # a datetime
    assert _run(intent, "format_date", ["2024-03-15"], answering("15/03/2024"))["eligible"] is True


def test_a_returned_quoted_text_gives_the_answers_ends():
    found = _but_answers(properties("return 'Hello, ' followed by the user_name slot and '!'", "greet_user", [], {}))
    assert found == [{"args": [], "kwargs": {}, "starts": "Hello, ", "ends": "!", "role": "property",
                      "says": "'return 'Hello, ' followed by the user_name slot and '!''"}]
    template = properties("return the greeting 'Good morning, {name}.' for the name slot", "greet", [], {})
    assert (template[0]["starts"], template[0]["ends"]) == ("Good morning, ", ".")
    assert _but_answers(properties("return 'even' if the number is even, else 'odd'", "parity", [4], {})) == []  # one of them
    assert properties("shorten a text, adding '...' when it was cut", "truncate", ["abc", 2], {}) == []
    assert "ends" not in properties("return 'Total: ' and the sum of the list", "total", [[1]], {})[0]
    # what one call returns in an example is not every answer's ends (novel4's first wording of pluralize)
    example = "write a count with its noun, plural when needed, so that pluralize(3, 'apple') returns '3 apples'"
    assert not any("starts" in p or "ends" in p for p in properties(example, "pluralize", [1, "dog"], {}))

    def answering(value):
        return lambda cases: [{"value": value} for _ in cases]

    intent = "return 'Hello, ' followed by the user_name slot and '!'"
    refused = _run(intent, "greet_user", [], answering("Hello, Ada"))  # the real 0.5B model's sampled three times
    assert refused["failed"] == ["property: the request says 'return 'Hello, ' followed by the user_name slot and '!'': "
                                 "obj.greet_user() should end with \"!\", but it answered \"Hello, Ada\""]
    assert _run(intent, "greet_user", [], answering("Hello, Ada! "))["eligible"] is False
    assert _run(intent, "greet_user", [], answering("Hi Ada!"))["failed"][0].endswith(
        "should start with \"Hello, \", but it answered \"Hi Ada!\"")
    assert _run(intent, "greet_user", [], answering("Hello, Ada!"))["eligible"] is True


def test_a_slot_the_request_says_to_change_must_be_written():
    writes = lambda intent: [(c["writes"], c["says"]) for c in properties(intent, "f", [], {}) if "writes" in c]  # noqa: E731
    assert writes("empty the scores slot (a list) and return how many scores it held") == [("scores", "'empty the scores slot'")]
    assert writes("set the name_tag slot to a new name and return the old one") == [("name_tag", "'set the name_tag slot'")]
    assert writes("add n to the counter slot and return the new value")[0][0] == "counter"
    assert writes("append an item to the items slot (a list)")[0][0] == "items"
    assert writes("remove the first item from self.items and return it")[0][0] == "items"
    # novel4's next_player (held out): two candidates read the next name and left the turn where it was
    assert writes("move the turn slot, an index into the players slot (a list of names), on to the next player") == [
        ("turn", "'move the turn slot'")]  # the players slot is only named, not changed
    assert [w for w, _ in writes("move the last item of the done slot (a list) to the end of the undone slot (a list)")] == ["undone"]
    assert writes("advance the page slot by one")[0][0] == "page"
    # novel5's lend_book (held out): four candidates appended to borrowed and left the title in available
    assert sorted(w for w, _ in writes("lend a book: move its title from the available slot (a list) to the end of the "
                                       "borrowed slot (a list) and return True")) == ["available", "borrowed"]
    for reading in ("return the average of the numbers in the scores slot", "add up the numbers in the scores slot",
                    "return the price of a fruit, using the prices slot", "count the words stored in the notes slot",
                    "add a number of days to a date given as YYYY-MM-DD"):
        assert writes(reading) == [], reading

    intent = "empty the scores slot (a list) and return how many scores it held"
    checks = properties(intent, "clear_scores", [], {})
    cases = plan({"args": [], "kwargs": {}}, [], [], [], checks)
    # the real 0.5B model's agreeing pair counted the scores and left them there
    counted = assess(cases, [{"value": 2}] * len(cases), lambda i, n: {}, "obj.clear_scores")
    assert counted["failed"] == ["property: the request says 'empty the scores slot': obj.clear_scores() should change "
                                 "self.scores, but it left it as it was"]
    emptied = assess(cases, [{"value": 2}] * len(cases), lambda i, n: {}, "obj.clear_scores", writes=lambda i: {"scores": []})
    assert emptied["eligible"] is True


def test_the_same_form_asks_for_the_shape_of_the_date_argument():
    intent = "add a number of days to a date given as YYYY-MM-DD and return the new date in the same form"
    assert _shapes(intent, ["2024-03-15", 3]) == [[r"\d{4}\-\d{2}\-\d{2}"]]
    assert _shapes("reverse the words and keep them in the same form", ["a b"]) == []  # no date or time argument

    def answering(value):
        return lambda cases: [{"value": value} for _ in cases]

    # two of the real 0.5B model's candidates answered the datetime, which comes back as its text
    refused = _run(intent, "add_days", ["2024-03-15", 3], answering("2024-03-18 00:00:00"))
    assert refused["failed"] == ["property: the request says 'in the same form': obj.add_days('2024-03-15', 3) should "
                                 "answer a text shaped like that, but it answered \"2024-03-18 00:00:00\""]
    assert _run(intent, "add_days", ["2024-03-15", 3], answering("2024-03-18"))["eligible"] is True


def test_merging_maps_asks_for_a_dict_holding_every_key_of_each():
    # three of the real 0.5B model's candidates read "adding the counts of keys they share" as "keep only the
    # shared keys", agreed, and were installed (seed 0, twice)
    intent = "merge two dicts of counts, adding the counts of keys they share"
    args = [{"a": 1}, {"a": 2, "b": 1}]
    assert properties(intent, "merge_counts", args, {}) == [
        {"args": args, "kwargs": {}, "holds_keys": ["a", "b"], "role": "property", "says": "'merge'"}]
    assert properties("combine the two mappings", "combined", [{"x": 1}, {"y": 2}], {})[0]["holds_keys"] == ["x", "y"]
    for other, call in (("merge two dicts keeping only the keys they have in common", args),
                        ("return the intersection of two dicts when merging", args),
                        ("merge the words of two lists", [["a"], ["b"]]),  # no maps
                        ("merge a dict into itself", [{"a": 1}])):  # one map
        assert not any("holds_keys" in p for p in properties(other, "f", call, {})), other

    def answering(value):
        return lambda cases: [{"value": value} for _ in cases]

    shared = _run(intent, "merge_counts", args, answering({"a": 3}))
    assert shared["eligible"] is False and shared["failed"] == [
        "property: the request says 'merge': obj.merge_counts({\"a\": 1}, {\"a\": 2, \"b\": 1}) should answer a dict "
        "holding every key of the maps it merges (\"a\", \"b\"), but it answered {\"a\": 3}"]
    assert _run(intent, "merge_counts", args, answering([["a", 3]]))["eligible"] is False  # not a dict
    assert _run(intent, "merge_counts", args, answering({"a": 3, "b": 1}))["eligible"] is True


def test_the_map_whose_value_a_shared_key_keeps():
    # novel6's merge_prefer_first: four candidates wrote {**first, **second}, the second's value winning
    intent = "combine two dicts into one that holds every key of either, taking the value from the first dict when a key is in both"
    args = [{"a": 1, "b": 2}, {"b": 3, "c": 4}]
    assert [p["keeps"] for p in properties(intent, "merge", args, {}) if "keeps" in p] == [[["b", 2]]]
    assert [p["keeps"] for p in properties("merge two dicts; on a clash the second one wins", "m", args, {}) if "keeps" in p] == [[["b", 3]]]
    for other, call in (("merge two dicts of counts, adding the counts of keys in both", args),  # no map named
                        ("merge two dicts, taking the first dict's value when a key is in both", [{"a": 1}, {"b": 2}])):  # none shared
        assert not any("keeps" in p for p in properties(other, "m", call, {})), other

    def answering(value):
        return lambda cases: [{"value": value} for _ in cases]

    second = _run(intent, "merge", args, answering({"a": 1, "b": 3, "c": 4}))
    assert second["eligible"] is False and second["failed"] == [
        "property: the request says 'taking the value from the first dict': obj.merge({\"a\": 1, \"b\": 2}, {\"b\": 3, \"c\": 4}) "
        "should keep \"b\": 2 for the key(s) both maps hold, but it answered {\"a\": 1, \"b\": 3, \"c\": 4}"]
    assert _run(intent, "merge", args, answering({"a": 1, "b": 2, "c": 4}))["eligible"] is True


def test_more_ways_of_saying_a_slot_changes():
    # the wordings of tasks no rule was tuned on (bench/learning_tasks_fresh.jsonl), where agreeing candidates left
    # the slot as it was
    writes = lambda intent: [c["writes"] for c in properties(intent, "f", [], {}) if "writes" in c]  # noqa: E731
    assert writes("take n items out of the stock slot and return how many are left") == ["stock"]
    assert writes("switch the enabled slot between true and false and return its new value") == ["enabled"]
    assert writes("add a text to the end of the history slot (a list) and return the history") == ["history"]
    assert writes("deposit an amount into the balance slot") == ["balance"]
    assert writes("subtract n from the total slot") == ["total"]
    assert writes("return how many times a word appears in the words slot (a list)") == []


def test_return_asks_for_an_answer_unless_none_may_be_one():
    answers = lambda intent: [c["says"] for c in properties(intent, "f", [1], {}) if c.get("answers")]  # noqa: E731
    assert answers("switch the enabled slot between true and false and return its new value") == ["'return'"]
    assert answers("give back the list sorted") == ["'give back'"]
    for reading in ("return the first even number, or None if there is none", "print the list and return nothing",
                    "sort the items slot", "report the current system time"):
        assert answers(reading) == [], reading

    intent = "switch the enabled slot between true and false and return its new value"
    checks = properties(intent, "toggle_enabled", [], {})
    cases = plan({"args": [], "kwargs": {}}, [], [], [], checks)
    # the real 0.5B model's agreeing pair switched the slot and returned nothing
    silent = assess(cases, [{"value": None}] * len(cases), lambda i, n: {}, "obj.toggle_enabled", writes=lambda i: {"enabled": True})
    assert silent["failed"] == ["property: the request says 'return': obj.toggle_enabled() should return an answer, but it returned None"]
    told = assess(cases, [{"value": True}] * len(cases), lambda i, n: {}, "obj.toggle_enabled", writes=lambda i: {"enabled": True})
    assert told["eligible"] is True


def test_the_longest_key_of_a_dict_is_one_of_its_keys():
    # tasks no rule was tuned on: four candidates of the real 0.5B model answered "the longest key of a dict" with its
    # largest value, outvoted both (right) generated cases, and were installed
    intent = "return the longest key of a dict (the first one if several are as long)"
    found = [p for p in properties(intent, "longest_key", [{"ab": 1, "abcd": 2, "c": 3}], {}) if "one_of" in p]
    assert found == [{"args": [{"ab": 1, "abcd": 2, "c": 3}], "kwargs": {}, "one_of": ["ab", "abcd", "c"], "noun": "key",
                      "role": "property", "says": "'return the longest key'"}]
    value = _run(intent, "longest_key", [{"ab": 1, "abcd": 2, "c": 3}], lambda cases: [{"value": 3}] * len(cases))
    assert value["eligible"] is False and value["failed"] == [
        "property: the request says 'return the longest key': obj.longest_key({\"ab\": 1, \"abcd\": 2, \"c\": 3}) should answer "
        "a key of its argument (\"ab\", \"abcd\", \"c\"), but it answered 3"]
    key = _run(intent, "longest_key", [{"ab": 1, "abcd": 2, "c": 3}], lambda cases: [{"value": "abcd"}] * len(cases))
    assert key["eligible"] is True


def test_a_word_character_or_item_asked_for_is_the_arguments_own():
    def held(intent, args):
        return [(p.get("one_of") or p.get("each_of"), "each_of" in p) for p in properties(intent, "f", args, {})
                if "one_of" in p or "each_of" in p]
    assert held("return the last word of a sentence", ["the end"]) == [(["the end"], False)]  # its pieces (``pieces``)
    assert held("return the middle character of a word", ["abca"]) == [(["a", "b", "c"], False)]
    assert held("return the second largest number in a list", [[3, 9]]) == [([3, 9], False)]
    assert held("return the distinct values of a list, sorted", [[3, 1, 3]]) == [([3, 1, 3], True)]
    assert held("return the keys of a dict whose value equals a given value", [{"a": 1}, 1]) == [(["a"], True)]
    assert held("return every other item of a list, starting with the first", [[1, 2, 3]]) == [([1, 2, 3], True)]
    # no choosing word: a count or a sum, not an item; two lists: which one is not said; no argument of that kind
    for intent, args in (("return the number of items in a list", [[1]]), ("return the total value of a list", [[1]]),
                         ("return the item common to both lists", [[1], [2]]), ("return the longest key", [[1]]),
                         ("return the last word of a sentence", [""]), ("return the capitalized words", ["a b"]),
                         # made into something else after it is picked
                         ("return the first letter of a name in upper case", ["ada"]), ("return the longest word's length", ["a bc"]),
                         ("return the largest number in a list as an int", [["3", "9"]]),
                         ("return the last item of a list multiplied by two", [[1, 2]])):
        assert held(intent, args) == [], intent
    from bat_os.cognition.properties import judge_property
    maybe = [p for p in properties("return the largest even number in a list, or None if there is none", "f", [[1, 3]], {})
             if "one_of" in p]
    assert judge_property(maybe[0], {"value": None}, None, "f") is None
    assert judge_property(maybe[0], {"value": 2}, None, "f") is not None
    # an empty answer the request names ("or ''") is one; another text still is not (nth_word of the novel3 tasks)
    empty = [p for p in properties("return the n-th word of a sentence, or '' when it has fewer than n words", "f", ["a b", 3], {})
             if "one_of" in p]
    assert judge_property(empty[0], {"value": ""}, None, "f") is None
    assert judge_property(empty[0], {"value": "c d"}, None, "f") is not None
    assert judge_property(maybe[0], {"value": []}, None, "f") is not None  # not said: an empty answer is not a member
    condition = [p for p in properties("return the last word of a sentence, or None if it is empty", "f", ["a b"], {})
                 if "one_of" in p]
    assert judge_property(condition[0], {"value": ""}, None, "f") is not None  # "if it is empty" names no answer
    words = _run("return the last word of a sentence", "last_word", ["the end is near"],
                 lambda cases: [{"value": "is near"}] * len(cases))
    assert words["failed"] == ["property: the request says 'return the last word': obj.last_word('the end is near') should "
                               "answer a word of \"the end is near\", but it answered \"is near\""]
    some = _run("return the keys of a dict whose value equals a given value", "keys_with", [{"a": 1, "b": 2}, 1],
                lambda cases: [{"value": [1]}] * len(cases))
    assert some["eligible"] is False and "should answer a list, each a key of its argument (\"a\", \"b\")" in some["failed"][0]
    assert _run("return the keys of a dict whose value equals a given value", "keys_with", [{"a": 1, "b": 2}, 1],
                lambda cases: [{"value": ["a"]}] * len(cases))["eligible"] is True


def test_no_property_refuses_a_right_answer_of_the_benchmark_tasks():
    """Every property read from a learning task's sentence holds for the right answers of its hidden checks (the
    tasks of all three files, pure ones: a slot's data is not known here)."""
    import json
    from pathlib import Path

    from bat_os.cognition.properties import judge_property
    judged = 0
    for path in sorted((Path(__file__).resolve().parent.parent / "bench").glob("learning_tasks*.jsonl")):
        for line in path.read_text().splitlines():
            task = json.loads(line)
            for check in task["checks"] if not task["slots"] else []:
                for case in properties(task["intent"], task["selector"], check["args"], check.get("kwargs", {})):
                    if "result" in case:
                        continue  # a call of its own (an empty argument's answer): tests/test_bounds.py
                    if "result" in check and not case.get("same_as_trial") and not case.get("writes"):
                        judged += 1
                        assert judge_property(case, {"value": check["result"]}, None, task["selector"]) is None, (task["id"], case)
    assert judged > 100


def test_a_request_that_rearranges_its_list_answers_the_same_items():
    # novel3, seed 0: two greedy candidates agreed on a two-pointer pass copying the tail over the zeros
    intent = "move every 0 of a list of numbers to the end, keeping the other numbers in their order"
    (found,) = [p for p in properties(intent, "move_zeros_to_end", [[0, 1, 0, 3]], {}) if "same_items" in p]
    assert found == {"args": [[0, 1, 0, 3]], "kwargs": {}, "same_items": [0, 1, 0, 3], "role": "property", "says": "'move'"}
    tail = _run(intent, "move_zeros_to_end", [[0, 1, 0, 3]], lambda cases: [{"value": [1, 3, 0, 3]}] * len(cases))
    assert tail["eligible"] is False and tail["failed"] == [
        "property: the request says 'move': obj.move_zeros_to_end([0, 1, 0, 3]) should answer the items of its list "
        "rearranged, each as often as it holds them, but it answered [1, 3, 0, 3]"]
    right = _run(intent, "move_zeros_to_end", [[0, 1, 0, 3]], lambda cases: [{"value": [1, 3, 0, 0]}] * len(cases))
    assert right["eligible"] is True
    assert any("same_items" in p for p in properties("rotate a list to the left by k positions", "rotate_left", [[1, 2], 1], {}))
    for said in ("remove the repeated items of a list, in order", "return the distinct values of a list, sorted",
                 "sort a list and keep only the even numbers", "move the largest item of a list to the front",
                 "reverse the order of the words in a sentence"):  # items go, are chosen, or no list is given
        assert not any("same_items" in p for p in properties(said, "f", [[3, 1, 3]] if "sentence" not in said else ["a b"], {}))


def test_rounded_to_n_decimals_asks_for_no_more_decimals():
    # novel4 (held out, run once): two candidates answered 1.118033988749895 for "rounded to 2 decimals"
    intent = "return the population standard deviation of a list of numbers, rounded to 2 decimals"
    (found,) = [p for p in properties(intent, "standard_deviation", [[1, 2, 3, 4]], {}) if "decimals" in p]
    assert found["decimals"] == 2 and found["says"] == "'rounded to 2 decimals'"
    unrounded = _run(intent, "standard_deviation", [[1, 2, 3, 4]], lambda cases: [{"value": 1.118033988749895}] * len(cases))
    assert unrounded["eligible"] is False and "should answer a number rounded to 2 decimal(s)" in unrounded["failed"][0]
    for right in (1.12, 3, 0.30000000000000004):
        assert _run(intent, "standard_deviation", [[1, 2, 3, 4]], lambda cases, v=right: [{"value": v}] * len(cases))["eligible"]
    slot = "add interest to the balance slot, round the new balance to one decimal place, store it and return it"
    assert [p["decimals"] for p in properties(slot, "apply_interest", [], {}) if "decimals" in p] == [1]
    assert not any("decimals" in p for p in properties("round a number to a given number of decimal places", "round_to", [1.5, 1], {}))


def test_rounding_is_checked_on_every_call_not_the_trials_alone():
    # novel4's standard_deviation was learnt through [2, 4, 4, 4, 5, 5, 7, 9], whose deviation is 2.0: round anyway
    from bat_os.cognition.probes import probes

    intent = "return the population standard deviation of a list of numbers, rounded to 2 decimals"
    args = [[2, 4, 4, 4, 5, 5, 7, 9]]
    checks = properties(intent, "standard_deviation", args, {})
    cases = plan({"args": args, "kwargs": {}}, [], [], probes(args, {}, []), checks)

    def deviation(numbers, places=None):
        if not numbers:
            raise ValueError("no numbers")
        mean = sum(numbers) / len(numbers)
        value = (sum((x - mean) ** 2 for x in numbers) / len(numbers)) ** 0.5
        return value if places is None else round(value, places)

    def run(places):
        outcomes = []
        for c in cases:
            try:
                outcomes.append({"value": deviation(c["args"][0], places)})
            except ValueError:
                outcomes.append({"raised": "ValueError"})
        return assess(cases, outcomes, lambda i, n: {}, "obj.standard_deviation")

    assert run(2)["eligible"]
    unrounded = run(None)
    assert not unrounded["eligible"] and "should answer a number rounded to 2 decimal(s)" in unrounded["failed"][0]
