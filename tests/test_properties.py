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


def test_in_capitals_asks_that_a_name_in_lower_case_is_answered_in_capitals():
    """The real 0.5B model's two agreeing ``initials`` joined ``word[0]`` as written: 'linus torvalds' gave 'lt'."""
    intent = "return the initials of a full name in capitals, e.g. 'Ada Lovelace' gives 'AL'"
    found = properties(intent, "initials", ["Alan Turing"], {})
    assert found == [{"args": ["alan turing"], "kwargs": {}, "letters": "upper", "role": "property", "says": "'in capitals'"}]
    assert properties("return the word in lower case", "low", ["Word"], {})[0]["args"] == ["WORD"]
    assert properties("return the sum in capitals", "f", [3], {}) == []  # no letters to change

    def as_written(cases):
        return [{"value": "".join(w[0] for w in c["args"][0].split())} for c in cases]

    def capitals(cases):
        return [{"value": "".join(w[0].upper() for w in c["args"][0].split())} for c in cases]

    refused = _run(intent, "initials", ["Alan Turing"], as_written)
    assert refused["failed"] == ["property: the request says 'in capitals': obj.initials('alan turing') should answer "
                                 "in upper case, but it answered \"at\""]
    assert _run(intent, "initials", ["Alan Turing"], capitals)["eligible"] is True
    assert _run(intent, "initials", ["Alan Turing"], lambda cases: [{"value": 2} for _ in cases])["eligible"] is True  # not a str: not judged
