"""Every prompt the wing asks a persona, and how a request's sentence is read (docs/prompts.md; cassettes match them).

Pure functions of plain data read out of the image: the brief, the receiver as :func:`describe_receiver` sees it, the
catalog's context, and what refused a previous attempt. Reading the request: :func:`brief_intent` (its sentence),
:func:`conditions_of` (the conditions it states, its clauses), :func:`names_slot` (a slot it names), :data:`CLOCK_WORDS`
(it asks for the current time).
"""

from __future__ import annotations

import json
import re
import zlib
from typing import Sequence

from bat_os.cognition.judge.cases import CASES_ASKED, call_arguments
from bat_os.image.objects import Method, UvmObject
from bat_os.image.primordial import PERSONAS

AUTHOR_DEFAULT = "ALFRED"  # who writes a method, unless the receiver has a persona of its own
CASE_WRITER = "BRICK"  # who reads the request apart from the author: its research queries, its cases, a method's cases


def describe_receiver(receiver: UvmObject) -> dict:
    slots = {}
    for name, value in receiver.slots.items():
        if isinstance(value, Method):
            continue
        text = repr(value) if not isinstance(value, UvmObject) else "<object>"
        slots[name] = text[:80]
    return {"name": str(receiver.slots.get("name", "")), "slots": slots, "understands": receiver.understood_selectors()}


def author_for(receiver: UvmObject) -> str:
    """The receiver's persona where it has one (a persona prototype, or a ``persona`` slot)."""
    for key in ("persona", "name"):
        try:
            _holder, value = receiver.lookup(key)
        except KeyError:
            continue
        if isinstance(value, str) and value.upper() in PERSONAS and (key == "persona" or "codex" in receiver.slots):
            return value.upper()
    return AUTHOR_DEFAULT


def brief_intent(brief: dict) -> str:
    """The sentence that asked for the method: the brief's ``intent`` (older cycles: ``kwargs.intent``), or ""."""
    intent = brief.get("intent") or brief.get("kwargs", {}).get("intent")
    return " ".join(intent.split()) if isinstance(intent, str) else ""  # one line in the prompt


CLOCK_WORDS = re.compile(
    r"\b(current|present)\s+(local\s+|system\s+|utc\s+)?(time|date|day|year|month|hour|minute|weekday|timestamp)\b"
    r"|\btoday\b|\b(time|date) (right )?now\b|\bwhat time it is\b", re.I)  # a request for the current time or date


def names_slot(intent: str, name: str) -> bool:
    """Does ``intent`` name the slot ``name``: as ``self.name``, as ``the name slot``/``slot name``, or, for a
    name only code would write (``user_name``), as a word? ("a full name" does not name the slot ``name``.)"""
    word = rf"(?<![\w.]){re.escape(name)}(?![\w])"
    return bool(re.search(rf"\bself\.{re.escape(name)}(?![\w])", intent)
                or re.search(rf"{word}\s+(slot|attribute)\b|\b(slot|attribute)\s+{word}", intent, re.I)
                or ("_" in name.strip("_") and re.search(word, intent)))


MAX_CONDITIONS = 8  # conditions a request is read as, at most (the rest of a longer one is its last): a form to fill in
MIN_WORDS = 3  # a shorter piece of a request is part of the clause before it: an item of a list ("a digit")
LABEL_CHARS = 80  # a condition's words as the person is shown them: one line of a question


def conditions_of(intent: str) -> list[str]:
    """The conditions a request states: its clauses, in its own words, split at the commas, semicolons and colons
    that end one (not inside brackets or quotes, nor a colon within a word: ``17:30``)."""
    found, depth, current, quote = [], 0, "", ""
    for k, ch in enumerate(intent):
        if quote:
            quote = "" if ch == quote else quote
        elif ch in "'\"" and not (current[-1:].isalnum() and intent[k + 1:k + 2].isalpha()):  # a quote, not "it's"
            quote = ch
        elif ch in "([{":
            depth += 1
        elif ch in ")]}":
            depth = max(0, depth - 1)
        elif depth == 0 and (ch in ",;" or ch == ":" and intent[k + 1:k + 2] in ("", " ")):
            found.append(current)
            current = ""
            continue
        current += ch
    found.append(current)
    clauses: list[str] = []
    for clause in (" ".join(c.split()).removeprefix("and ").removeprefix("or ").strip(" .") for c in found):
        if clauses and len(clause.split()) < MIN_WORDS:  # "a digit", "','": a piece of a list, with the clause before
            clauses[-1] = f"{clauses[-1]}, {clause}"
        elif clause:
            clauses.append(clause)
    if len(clauses) > MAX_CONDITIONS:
        clauses = [*clauses[:MAX_CONDITIONS - 1], ", ".join(clauses[MAX_CONDITIONS - 1:])]
    return clauses


def label(clause: str) -> str:
    """A condition as the person is shown it: its words, cut at :data:`LABEL_CHARS` characters."""
    return clause if len(clause) <= LABEL_CHARS else clause[:LABEL_CHARS - 3].rstrip() + "..."


# words by which a request speaks of the object's own data without naming a slot of it
_OWN_DATA = re.compile(r"\b(slots?|attributes?|fields?|self|its own|stored|saved)\b", re.I)


def shown_slots(slots: dict, brief: dict) -> dict:
    """The receiver's slots a prompt shows: those the request names (:func:`names_slot`); all of them when it names
    none but speaks of the object's data (``a slot``, ``self``), has no intent, or the call has no argument; else
    none (shown a ``name`` slot, a small model answered "the initials of a full name" with ``self.name``)."""
    intent = brief_intent(brief)
    named = {name: value for name, value in slots.items() if names_slot(intent, name)}
    if named:
        return named
    if not intent or not (brief.get("args") or brief.get("kwargs")) or _OWN_DATA.search(intent):
        return dict(slots)
    return {}


def decomposition_prompt(brief: dict, receiver: dict) -> str:
    intent = brief_intent(brief)
    return "\n".join([
        f"Mission: an object named {receiver['name'] or 'unnamed'} was sent a message it does not understand.",
        f"Selector: {brief['selector']}",
        f"Arguments: {json.dumps(brief.get('args', []), default=repr)} {json.dumps(brief.get('kwargs', {}), default=repr)}",
        f"Intent: {intent}" if intent else "",
        "Task: answer with a JSON list of 1 to 3 short search queries for the knowledge catalog",
        f"that would help write a Python method named {brief['selector']}.",
    ]).replace("\n\n", "\n")


def specification_prompt(brief: dict, receiver: dict, context: list[dict]) -> str:
    """SPECIFYING: tests for the method from the intent, the examples and the catalog, before any code.
    Asked as assert lines (what a coder model writes best); read back as data, never run."""
    selector = brief["selector"]
    call = f"obj.{selector}({call_arguments(brief.get('args', []), brief.get('kwargs', {}))})"
    lines = [f"Write tests for the Python method {selector} of a BAT OS object, before it is written.",
             f"It is called like this: {call}"]
    intent = brief_intent(brief)
    if intent:
        lines.append(f"Intent: {intent}")
    examples = brief.get("examples") or []
    if examples:
        lines.append("Examples the user gave (they hold):")
        lines.extend(f"- {describe_example(e, selector)}" for e in examples[:10])
    slots = shown_slots(receiver["slots"], brief)
    if slots:  # as Python sets them (each value is its repr): the form the tests are asked to use
        lines.append("The object's data slots now, attributes of self:")
        lines.extend(f"obj.{name} = {text}" for name, text in slots.items())
    if context:
        lines.append("Knowledge from the catalog:")
        lines.extend(f"- {c['text'][:200]}" for c in context[:2])
    # no worked example (a small model copies whatever it is shown); the request's own clauses as the comments to
    # write under, one condition each: asked to list them itself, a small model wrote none (docs/journal/learning.md)
    lines.append(f"Complete these tests: under each condition of the request, one assert that calls obj.{selector} with "
                 "literal arguments chosen to test that condition" + (" (set the slots it reads first)" if slots else "")
                 + ", and the exact right answer, worked out step by step.")
    lines.append("```python")
    for number, clause in enumerate(conditions_of(intent) or [f"what {selector} does"], 1):
        lines.append(f"# {number}. {clause}")
        if slots:
            lines.append("obj.<slot> = <a value>")
        lines.append(f"assert obj.{selector}(")
    lines.append("```")
    lines.append("Answer with the asserts in one ```python block.")  # the last line recorded cassettes match
    return "\n".join(lines)


def describe_example(example: dict, selector: str) -> str:
    """An example as the prompts show it: ``obj.f(2, 3) returns 5``."""
    call = f"obj.{selector}({call_arguments(example.get('args', []), example.get('kwargs', {}))})"
    if example.get("given"):
        call = "with " + ", ".join(f"self.{k} = {v!r}" for k, v in example["given"].items()) + ", " + call
    parts = []
    if "raises" in example:
        parts.append(f"raises {example['raises']}")
    if "result" in example:
        parts.append(f"returns {json.dumps(example['result'])}")
    if "type" in example:
        parts.append(f"returns a {example['type']}")
    if example.get("slots"):
        parts.append("leaves " + ", ".join(f"self.{k} == {json.dumps(v)}" for k, v in example["slots"].items()))
    return f"{call} {' and '.join(parts)}"


#: The second voice the request is asked in (:func:`synthesis_voice`).
PLAIN_VOICE = "You are a helpful Python programmer."


def synthesis_voice(attempt: int, persona_system: str) -> tuple[int, str]:
    """The voice of synthesis attempt ``attempt`` (1, 2, ...) and its system prompt: the author's persona's (voice 0,
    odd attempts) and a plain programmer's (voice 1, even ones), by turns. Two voices read a request apart more often
    than two wordings of it do (docs/journal/learning.md): their agreement is worth more."""
    return (0, persona_system) if attempt % 2 == 1 else (1, PLAIN_VOICE)


def synthesis_prompt(brief: dict, receiver: dict, context: list[dict], refusals: list[str],
                     recalled: Sequence[dict] = (), notes: Sequence[str] = (), wrong: dict | None = None) -> str:
    """The author's prompt, lean for small models (shown the catalog's persona texts, the other methods and a page of
    rules, a small model wrote worse code; shown the allowed modules, it imported them all): what to do, the call as
    Python writes it, the signature with parameters named after what they mean, the examples, the object's slots the
    request is about (:func:`shown_slots`), what the image remembers (:func:`_remembered`), and what refused the last
    attempt, or the candidate an answer of the person's showed wrong (:func:`_wrong`: self-debugging). A request of its
    arguments alone (:func:`is_pure`) is asked in the single shot's form (:func:`pure_prompt`). ``context`` is
    SPECIFYING's; it is taken here for the signature's sake."""
    selector = brief["selector"]
    args, kwargs = brief.get("args", []), brief.get("kwargs", {})
    intent = brief_intent(brief)
    slots = shown_slots(receiver["slots"], brief)
    examples = brief.get("examples") or []
    if is_pure(brief, slots):
        return pure_prompt(brief, refusals, recalled, notes, wrong)
    lines = [_asked(selector, intent), f"Selector: {selector}", _called(selector, args, kwargs), *_replacing(brief)]
    lines.append(f"Define it as (name the parameters after what they mean): "
                 f"def {selector}({', '.join(['self', *parameter_names(args, kwargs)])}):")
    lines.extend(_example_lines(examples, selector))
    if slots:  # listed as they are: a worked example here ("self.x = ...") is what small models copy
        lines.append(f"The object has these attributes, read and changed through self: {json.dumps(slots)}")
    lines.extend(_remembered(recalled, notes))
    lines.extend(_clock(intent))
    lines.extend(_capabilities(intent))
    # no list of modules: a small model imported every one it was shown (the refusal names them when needed)
    lines.append("Put any import inside the method.")
    lines.extend(_wrong(wrong) or _refused(refusals))
    lines.append("Answer with the code in one ```python block.")
    return "\n".join(lines)


def is_pure(brief: dict, slots: dict) -> bool:
    """Whether the request is for a function of its arguments alone: it has arguments, the prompt shows none
    of the receiver's slots (:func:`shown_slots`) and no example sets or checks one."""
    examples = brief.get("examples") or []
    kwargs = {k: v for k, v in (brief.get("kwargs") or {}).items() if k != "intent" or brief.get("intent")}  # the old briefs' intent
    return bool(brief.get("args") or kwargs) and not slots and not any(
        e.get("given") or e.get("slots") for e in examples)


def pure_prompt(brief: dict, refusals: list[str], recalled: Sequence[dict] = (), notes: Sequence[str] = (),
                wrong: dict | None = None) -> str:
    """The author's prompt for a pure request (:func:`is_pure`), in the single shot's form: what to do, the call as
    Python writes it, and the method asked for, the model naming its parameters (right on more pure tasks than a
    function whose parameters are named after their types, docs/journal/learning.md); the cycle's first candidates
    are then the single shot's own. Examples the sentence already says are not said twice (:func:`_said`)."""
    selector = brief["selector"]
    args, kwargs = brief.get("args", []), brief.get("kwargs", {})
    intent = brief_intent(brief)
    lines = [_asked(selector, intent), _called(selector, args, kwargs), *_replacing(brief),
             *_example_lines([e for e in brief.get("examples") or [] if not _said(e, intent)], selector),
             *_remembered(recalled, notes), *_clock(intent), *_capabilities(intent),
             *(_wrong(wrong) or _refused(refusals))]
    lines.append(f"Answer with the method (def {selector}(self, ...)) in one ```python block.")
    return "\n".join(lines)


def _remembered(recalled: Sequence[dict], notes: Sequence[str]) -> list[str]:
    """What the image remembers of the request: the user's notes on it, and the episodes of similar missions
    (:mod:`bat_os.cognition.cycle.memory`): a method learned for one (shown as code), or why one failed."""
    lines = []
    if notes:
        lines.append("Notes from the knowledge catalog:")
        lines.extend("- " + " ".join(str(note).split()) for note in notes)
    for episode in recalled:
        text = str(episode.get("text", ""))
        if episode.get("outcome") == "learned" and "\nThe method:\n" in text:
            lines.append(f"A method learned earlier for a similar request ({episode.get('selector')}; it held its checks then):")
            lines.extend(["```python", text.split("\nThe method:\n", 1)[1].rstrip(), "```"])
        elif episode.get("outcome") == "failed":
            why = next((line[len("Why: "):] for line in text.splitlines() if line.startswith("Why: ")), "")
            lines.append(f"An earlier attempt at a similar request ({episode.get('selector')}) failed: {why[:300]}")
    return lines


def _asked(selector: str, intent: str) -> str:
    return (f"Write a Python method named {selector} for an object: {intent.rstrip('.')}." if intent
            else f"Write the Python method {selector} for an object.")


def _called(selector: str, args: list, kwargs: dict) -> str:
    return f"It is called like this: obj.{selector}({call_arguments(args, kwargs)})"


def _replacing(brief: dict) -> list[str]:
    """A relearn's (``brief["relearn"]``): the version to replace and why it is wrong, for the author to do better."""
    old = brief.get("relearn")
    if not old:
        return []
    why = str(old.get("reason") or "").strip().rstrip(".") or "the Architect asked for a new version"
    return [f"This earlier version is wrong: {why}.", "```python", str(old.get("source", "")).rstrip(), "```",
            "Write the corrected method."]


#: A request that names a persona (as they are written) or the memory: its prompt says what a method may call.
CAPABILITY_WORDS = re.compile(r"\b(?:ALFRED|BRICK|ROBIN|BABS)\b|(?i:\b(?:personas?|knowledge catalog|memory)\b)")


def _clock(intent: str) -> list[str]:
    """Left alone, a small model answered a request of the time with a slot's value or a made-up time."""
    return (["It must read the clock: import datetime inside the method and call datetime.datetime.now()."]
            if CLOCK_WORDS.search(intent) else [])


def _capabilities(intent: str) -> list[str]:
    """The two capabilities a method has (:mod:`bat_os.cognition.methods.capabilities`), said only when the request names
    a persona or the memory: every other prompt stays as it was (the recorded cassettes match them)."""
    if not CAPABILITY_WORDS.search(intent):
        return []
    return ["Two helpers are there without an import: personas.ask('ROBIN', prompt) answers that persona's reply as "
            "text (the personas are 'ALFRED', 'BRICK', 'ROBIN' and 'BABS'), and memory.search(query, k) answers the "
            "knowledge catalog's hits, a list of {\"doc_id\", \"text\", \"score\"}."]


def _wrong(wrong: dict | None) -> list[str]:
    """A method written before that the person's answer showed wrong: its code, and where it answered otherwise."""
    if not wrong:
        return []
    return ["This method was written before, and it is wrong:", "```python", str(wrong["code"]).rstrip(), "```",
            *(f"- {reason.removeprefix('example: ')}" for reason in wrong.get("reasons") or []),
            "Write the method again so that it gives the answers the person wants."]


def _refused(refusals: list[str]) -> list[str]:
    return ["Your previous attempt was refused:", *(f"- {reason}" for reason in refusals)] if refusals else []


def _said(example: dict, intent: str) -> bool:
    """Whether the sentence already says ``example``: every argument and the result are written in it (a text
    as itself, anything else as Python or JSON writes it)."""
    if "result" not in example or "raises" in example or example.get("kwargs"):
        return False
    values = [*example.get("args", []), example["result"]]

    def written(value: object) -> bool:
        if isinstance(value, str):
            return bool(value) and value in intent
        return any(form in intent for form in (repr(value), json.dumps(value, default=repr)))
    return all(written(v) for v in values)


def _example_lines(examples: list[dict], selector: str) -> list[str]:
    if len(examples) == 1:
        return [f"For example, {describe_example(examples[0], selector)}."]
    if examples:
        return ["Examples that must hold:", *(f"- {describe_example(e, selector)}" for e in examples[:10])]
    return []


def parameter_names(args: list, kwargs: dict) -> list[str]:
    """Names for the method's parameters: one per positional argument, after its type; the kwargs' own."""
    names: list[str] = []
    for value in args:
        base = _KIND_NAMES.get(type(value), "value")
        name, n = base, 2
        while name in names or name in kwargs:
            name, n = f"{base}{n}", n + 1
        names.append(name)
    return names + list(kwargs)


_KIND_NAMES = {str: "text", int: "number", float: "number", bool: "flag", list: "items", dict: "mapping", type(None): "value"}


def sample_seed(prompt: str, attempt: int, salt: int = 0) -> int:
    """The seed of a sampled candidate: the same prompt at the same attempt samples the same text (a run
    can be repeated); two attempts with the same prompt sample apart. ``salt`` (``cycle_seed``): another
    series of samples for the same prompts; 0 is the series of earlier releases (recorded cassettes)."""
    return zlib.crc32(f"{attempt}\n{prompt}".encode("utf-8") if not salt else f"{salt}\n{attempt}\n{prompt}".encode("utf-8"))


def cases_prompt(selector: str, source: str, slots: dict) -> str:
    """BRICK's prompt for cases of a method that keeps none: the method, the object's data slots it reads, and the
    assert lines asked for (read as data, never run)."""
    lines = [f"Here is the Python method {selector} of a BAT OS object:", "```python", source.rstrip(), "```"]
    if slots:
        lines.append("The object's data slots now, attributes of self:")
        lines.extend(f"obj.{name} = {text}" for name, text in slots.items())
    lines.extend([
        f"Write {CASES_ASKED} assert lines that test it. Each calls obj.{selector} with literal arguments and compares the "
        "result with the exact answer the method gives, worked out step by step:",
        f"assert obj.{selector}(<arguments>) == <the answer>",
        "Answer with the asserts in one ```python block.",
    ])
    return "\n".join(lines)
