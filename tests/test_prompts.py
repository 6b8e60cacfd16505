"""The cycle's prompts: what a small model is shown, and what it must not be shown."""

from __future__ import annotations

from bat_os.cognition.author.prompts import decomposition_prompt, parameter_names, specification_prompt, synthesis_prompt
from bat_os.cognition.judge.cases import call_arguments

RECEIVER = {"name": "genesis", "slots": {"name": "'genesis'"}, "understands": ["describe", "echo"]}


def test_the_call_is_shown_as_python_writes_it_with_the_signature_expected():
    brief = {"selector": "count_vowels", "args": ["banana"], "kwargs": {}, "intent": "count the vowels in the word slot"}
    prompt = synthesis_prompt(brief, {**RECEIVER, "slots": {"word": "'sky'"}}, [], [])
    lines = prompt.splitlines()
    assert lines[:4] == [
        "Write a Python method named count_vowels for an object: count the vowels in the word slot.",
        "Selector: count_vowels",
        "It is called like this: obj.count_vowels('banana')",
        "Define it as (name the parameters after what they mean): def count_vowels(self, text):",
    ]
    assert lines[-1] == "Answer with the code in one ```python block."
    with_examples = synthesis_prompt({**brief, "examples": [{"args": ["sky"], "kwargs": {}, "result": 0}]}, RECEIVER, [], [])
    assert "For example, obj.count_vowels('sky') returns 0." in with_examples.splitlines()


def test_a_request_of_its_arguments_alone_is_asked_in_the_single_shots_form():
    """Measured on the real 0.5B model (prompts.pure_prompt, bench/labs/prompt_forms.py): the single shot's form, the
    model naming the parameters, is written right more often than a function with parameters named after types."""
    brief = {"selector": "count_vowels", "args": ["banana"], "kwargs": {"sep": ","}, "intent": "count the vowels in a word",
             "examples": [{"args": ["sky"], "kwargs": {}, "result": 0}]}
    prompt = synthesis_prompt(brief, RECEIVER, [], ["example 1: obj.count_vowels('sky') returned 1, expected 0"])
    assert prompt.splitlines() == [
        "Write a Python method named count_vowels for an object: count the vowels in a word.",
        "It is called like this: obj.count_vowels('banana', sep=',')",
        "For example, obj.count_vowels('sky') returns 0.",
        "Your previous attempt was refused:",
        "- example 1: obj.count_vowels('sky') returned 1, expected 0",
        "Answer with the method (def count_vowels(self, ...)) in one ```python block.",
    ]
    assert "Selector:" not in prompt and "text" not in prompt  # no signature: the model names the parameters
    # the object's data, an example that sets a slot, or no argument at all: the method prompt with its signature
    for brief_ in ({**brief, "intent": "count the vowels stored in its slots"},
                   {**brief, "examples": [{"args": ["sky"], "kwargs": {}, "given": {"name": "x"}, "result": 0}]},
                   {**brief, "args": [], "kwargs": {}, "examples": []}):
        assert "Selector: count_vowels" in synthesis_prompt(brief_, RECEIVER, [], []).splitlines()


def test_an_example_the_sentence_already_says_is_not_said_twice():
    sentence = "reverse a word, so 'abc' gives 'cba', and count nothing else"
    said = {"args": ["abc"], "kwargs": {}, "result": "cba"}
    unsaid = {"args": ["xy"], "kwargs": {}, "result": "yx"}
    brief = {"selector": "rev", "args": ["hello"], "kwargs": {}, "intent": sentence, "examples": [said]}
    assert "xample" not in synthesis_prompt(brief, RECEIVER, [], []).replace(sentence, "")
    lines = synthesis_prompt({**brief, "examples": [said, unsaid]}, RECEIVER, [], []).splitlines()
    assert "For example, obj.rev('xy') returns \"yx\"." in lines
    numbers = {"selector": "add", "args": [1, 2], "kwargs": {}, "intent": "add two numbers, e.g. add(2, 3) is 5",
               "examples": [{"args": [2, 3], "kwargs": {}, "result": 5}, {"args": [2, 3], "kwargs": {}, "raises": "ValueError"}]}
    assert synthesis_prompt(numbers, RECEIVER, [], []).splitlines()[2] == "For example, obj.add(2, 3) raises ValueError."


def test_no_placeholder_a_model_could_copy():
    """Measured on Qwen2.5-Coder-0.5B: 'self.x = v' in the rules became self.x in its code, 'return plain
    data' became a NameError on plain_data, and 'self.name = value' overwrote the receiver's name."""
    prompt = synthesis_prompt({"selector": "f", "args": [], "kwargs": {}}, RECEIVER, [], [])
    for copied in ("self.x", "plain data", "self.<", "= value", "args=", "kwargs="):
        assert copied not in prompt, copied
    assert "The object has these attributes, read and changed through self: {\"name\": \"'genesis'\"}" in prompt
    bare = synthesis_prompt({"selector": "f", "args": [], "kwargs": {}}, {**RECEIVER, "slots": {}}, [], [])
    assert "attributes" not in bare


def test_arguments_and_parameters():
    assert call_arguments(["a", 2, [1, 2], {"k": 1}, None], {"sep": ","}) == "'a', 2, [1, 2], {\"k\": 1}, None, sep=','"
    assert parameter_names(["a", "b", 1, 2.5, True, [1], {}], {"sep": ","}) == [
        "text", "text2", "number", "number2", "flag", "items", "mapping", "sep"]
    assert parameter_names(["a"], {"text": 1}) == ["text2", "text"]


def test_refusals_are_shown_and_the_catalog_is_left_to_the_specification():
    """Measured on the real 0.5B model: persona texts from the catalog in the author's prompt made its code worse."""
    prompt = synthesis_prompt({"selector": "f", "args": [], "kwargs": {}}, RECEIVER,
                              [{"id": "doc#0", "text": "Use datetime.now()."}], ["trial: NameError: name 'x' is not defined"])
    assert "datetime.now()" not in prompt
    assert "Your previous attempt was refused:\n- trial: NameError: name 'x' is not defined" in prompt


def test_the_decomposition_prompt_names_the_selector_and_the_intent():
    prompt = decomposition_prompt({"selector": "f", "args": [1], "kwargs": {}, "intent": "do f"}, RECEIVER)
    assert "Selector: f" in prompt and "Arguments: [1] {}" in prompt and "Intent: do f" in prompt


def test_a_request_for_the_current_time_is_told_to_read_the_clock():
    receiver = {"name": "genesis", "slots": {}, "understands": []}
    clock = synthesis_prompt({"selector": "now_text", "args": [], "kwargs": {"intent": "report the current system time"}}, receiver, [], [])
    plain = synthesis_prompt({"selector": "double", "args": [2], "kwargs": {"intent": "double a number"}}, receiver, [], [])
    assert "It must read the clock: import datetime inside the method and call datetime.datetime.now()." in clock
    assert "clock" not in plain


def test_the_slots_shown_are_those_the_request_is_about():
    """Measured on the real 0.5B model: shown a ``name`` slot, "the initials of a full name" became ``self.name``;
    shown every slot of a well-used object, a method asked to empty one slot wrote all of them back."""
    from bat_os.cognition.author.prompts import shown_slots, specification_prompt

    slots = {"name": "'genesis'", "scores": "[3, 4]", "user_name": "'Ada'", "counter": "1"}
    pure = {"selector": "initials", "args": ["Alan Turing"], "kwargs": {}, "intent": "return the initials of a full name"}
    assert shown_slots(slots, pure) == {}
    assert "attributes" not in synthesis_prompt(pure, {**RECEIVER, "slots": slots}, [], [])
    assert "data slots" not in specification_prompt(pure, {**RECEIVER, "slots": slots}, [])
    named = {"selector": "clear_scores", "args": [], "kwargs": {}, "intent": "empty the scores slot and return how many it held"}
    assert shown_slots(slots, named) == {"scores": "[3, 4]"}
    assert 'The object has these attributes, read and changed through self: {"scores": "[3, 4]"}' in synthesis_prompt(
        named, {**RECEIVER, "slots": slots}, [], [])
    assert shown_slots(slots, {**pure, "intent": "greet user_name"}) == {"user_name": "'Ada'"}  # a name only code writes
    # the object's data spoken of but not named, a method of no argument, or no intent at all: every slot
    assert shown_slots(slots, {**pure, "intent": "sum the numbers stored in one of its attributes"}) == slots
    assert shown_slots(slots, {**named, "intent": "say hello"}) == slots
    assert shown_slots(slots, {**pure, "intent": ""}) == slots


def test_the_request_is_asked_in_the_authors_voice_and_a_plain_programmers_by_turns():
    from bat_os.cognition.author.prompts import PLAIN_VOICE, synthesis_voice

    alfred = "You are ALFRED, the steward of BAT OS."
    assert [synthesis_voice(attempt, alfred) for attempt in (1, 2, 3, 4)] == [(0, alfred), (1, PLAIN_VOICE), (0, alfred), (1, PLAIN_VOICE)]
    assert PLAIN_VOICE == "You are a helpful Python programmer."


def test_the_tests_of_a_slot_method_set_the_slots_they_read():
    receiver = {"slots": {"remaining": "3", "name": "'timer'"}}
    brief = {"selector": "tick_down", "args": [], "kwargs": {}, "intent": "lower the remaining slot by one"}
    prompt = specification_prompt(brief, receiver, [])
    assert "obj.remaining = 3" in prompt and "obj.name" not in prompt  # the slots as Python sets them
    assert "(set the slots it reads first)" in prompt
    assert "# 1. lower the remaining slot by one\nobj.<slot> = <a value>\nassert obj.tick_down(\n" in prompt
