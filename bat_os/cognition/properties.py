"""Property checks the intent's own words call for, read without a model.

A small model's generated cases are often wrong; a few phrases of the
request say something certain about every right answer, and those are
checked like the user's examples (a candidate that breaks one is refused,
and told why):

- **what kind of answer**: "tell whether", "check if", a selector ``is_x``,
  ``has_x``, ``can_x`` -> a bool; "count ..." or "how many ..." (unless a map
  or a list is asked for) -> an int; "map each ... to", "return a dict" ->
  a dict (the real 0.5B model answered "map each word to its length" with
  the list of words);
- **the answer's letter case**: "in capitals", "in capital letters", "in upper
  case", "to uppercase" (and the same for lower case) -> the trial call with
  every string argument in the other case answers a string with no letter in
  the other case (``initials("ada lovelace")`` is ``"AL"``); not where the
  case is said of a part after "with" ("a text with its first letter in upper
  case and the rest left as it is" answers ``"McDonald"``);
- **case does not matter**: "ignoring case", "case-insensitive", "either
  case", "regardless of case" -> the trial call with every string argument
  in lower case, and in upper case, answers as the trial does, the case of
  the answer's own letters aside ("remove the vowels, of either case, from a
  text" answers ``'Bnn Splt'`` and ``'bnn splt'``: the real 0.5B model's eleven
  right candidates were refused on tasks no rule was tuned on, when their
  answers had to be equal).

- **the answer's shape**: a date or a time shown for the answer, written out ("like 15/03/2024",
  "e.g. 14:05:09") or spelled ("as DD/MM/YYYY", "into YYYY-MM-DD"): the trial call answers a text of
  that shape (digits where it has digits, as many where it pads them, its separators). One shaped like
  a text argument of the call is the argument's description ("a date like 2024-03-15"), not the answer's.
  A quoted form of digits and separators, "in the form '(555) 123-4567'" (or "formatted as", "in the
  format of"), is the answer's too: every digit where it has one, its other characters as they are;
- **the answer's ends**: "return 'Hello, ' followed by the user_name slot and '!'": a text answer
  starts with the text quoted first and ends with one quoted last (none where the sentence says "if",
  "or", "else", "otherwise", "unless" or "when": the answer is one of them).

- **a merge of maps** (:mod:`bat_os.cognition.merges`): every key of each map in the answer, and, where
  the request says which map wins, that map's value for a key both hold;

- **a slot to change**: "empty the scores slot", "set the name_tag slot to ...", "add n to the
  counter slot", "append an item to the items slot", "remove ... from self.items": the trial call
  writes that slot ("add up the numbers in the scores slot" changes nothing); also "take n items out
  of the stock slot", "switch the enabled slot", "add a text to the end of the history slot", "move the turn
  slot on to the next player" (two candidates of novel4's ``next_player``, held out, read the next name without
  moving the turn and were installed), "move its title from the available slot to the borrowed slot" (both);
- **one of the argument's own**: "return the longest key of a dict", "return the last word of a
  sentence", "return the second largest number in a list", "return the distinct values of a list": the
  trial call answers a key of the dict, a word of the text (a piece of it with no space), a character
  of it, an item of the list (a list of them for "keys", "words", "items"...), when one argument alone
  is of that kind (not where words after it make it something else: "in upper case", "as an int", "its
  length"; None too where the sentence says it may be); "number" and "value" only with a choosing word ("largest", "last", "distinct",
  "second"...: "the total value" is no item). Four candidates of the real 0.5B model, asked for "the
  longest key of a dict", answered its largest value and were installed on tasks no rule was tuned on;
- **rounded**: "rounded to 2 decimals", "round the new balance to 1 decimal place": the trial call's number
  (each number of a list) has no more decimals than that (two candidates of novel4's ``standard_deviation``,
  held out, answered 1.118033988749895 where "rounded to 2 decimals" was asked, and were installed);
- **the list's own items**: "move every 0 of a list to the end", "sort a list of words by length", "rotate a
  list by k" (the sentence's first word rearranges, one list argument, and nothing said of items going or
  being chosen: "remove", "distinct", "first", "largest"...): the trial call answers a list of the same items,
  each as often (two greedy candidates of the real 0.5B model agreed on a two-pointer pass that copied the
  tail over the zeros, ``[4, 0, 5]`` giving ``[4, 5, 5]``, and were installed on tasks no rule was tuned on);
- **an answer**: "return ...", "give back ..." (and no "None", "nothing", "null" or "no value" in the
  sentence): the trial call answers something, not None (the real 0.5B model, asked to "switch the
  enabled slot between true and false and return its new value", switched it and returned nothing,
  from both voices, with no generated case to say otherwise: a false install on tasks no rule was
  tuned on).

Each property is a case ``{"args", "kwargs", "role": "property", "says"}``
with ``type`` (judged like any case) or ``same_as_trial`` (compared with the
trial's answer by :func:`bat_os.cognition.selection.assess`); ``says``
quotes the words it came from.
"""

from __future__ import annotations

import json
import re

from bat_os.cognition.bounds import bounds, judge_bound
from bat_os.cognition.cases import answer_of, call_arguments, judge, output_key
from bat_os.cognition.merges import judge_merge, merge_properties

_BOOL_WORDS = re.compile(r"\b(tell|check|say|decide|find out|test|determine|report) (whether|if)\b|\bwhether\b", re.I)
_BOOL_SELECTOR = re.compile(r"^(is|has|can|contains|should|are)_")
# not "the number of a list that is closest to zero": a number OF one list (or one text) is one of its items
_COUNT_WORDS = re.compile(r"^\s*(count|how many)\b|\breturn (the )?(number|count) of\b(?!\s+(?:a|an|one)\s)"
                          r"(?!\s+the\s+\w*[^s\W]\b(?!\s+of\b))", re.I)
_NOT_A_COUNT = re.compile(r"\b(map|maps|mapping|dict|dictionary|each|per|every|frequency|frequencies|as a list|a list of)\b", re.I)
_MAP_WORDS = re.compile(r"\b(map|maps|mapping) (each|every|all)\b|\breturn (a|the) (dict|dictionary|mapping)\b|\bas a (dict|dictionary|mapping)\b", re.I)
_UPPER = re.compile(r"\b(in|to|into) (all )?(capitals|capital letters|upper[- ]?case( letters)?|block capitals)\b", re.I)
_LOWER = re.compile(r"\b(in|to|into) (all )?(lower[- ]?case( letters)?|small letters)\b", re.I)
# "a text with its first letter in upper case": the case is said of a part of the answer, not of all its letters
_OF_A_PART = re.compile(r"\b(with|having|whose|where)\b[^,;.]*$", re.I)
# "move every 0 of a list to the end", "sort a list of words by length", "rotate a list by k": the request's first word
# rearranges its list, and the answer holds that list's items, each as often (none where items go or are chosen)
_REARRANGE = re.compile(r"^\s*(move|reorder|rearrange|sort|rotate|shuffle|reverse)\b", re.I)
_NOT_EVERY_ITEM = re.compile(r"\b(remove|removing|drop|dropping|delete|deleting|without|distinct|unique|duplicates?|repeated|"
                             r"only|filter|first|last|largest|smallest|top|bottom|but|except|and return (the|a|its) (number|count|index))\b", re.I)
# "rounded to 2 decimals", "round the new balance to 1 decimal place": the answer has no more decimals than that
_ROUNDED = re.compile(r"\bround(?:ed|ing|s)?\b[^.;]*?\bto (\d|one|two|three|four)\s+decimals?(?:\s+(?:places?|digits?))?\b", re.I)
_NUMBER_WORDS = {"one": 1, "two": 2, "three": 3, "four": 4}
_CASELESS = re.compile(r"\b(ignoring (the )?case|case[- ]insensitive(ly)?|either case|regardless of (the )?case|any case)\b", re.I)


def properties(intent: str, selector: str, args: list, kwargs: dict, slots: dict | None = None) -> list[dict]:
    """The property cases for a method asked for with ``intent`` and learnt through the call ``args``/``kwargs``, on a
    receiver whose plain slots are ``slots`` (with those of :mod:`bat_os.cognition.bounds`)."""
    found: list[dict] = []
    call = {"args": list(args), "kwargs": dict(kwargs)}
    words = _BOOL_WORDS.search(intent or "")
    if words or _BOOL_SELECTOR.match(selector):
        found.append({**call, "type": "bool", "role": "property",
                      "says": f"'{words.group(0)}'" if words else f"the name {selector}"})
    else:
        counting = _COUNT_WORDS.search(intent or "")
        mapping = _MAP_WORDS.search(intent or "")
        if counting and not _NOT_A_COUNT.search(intent):
            found.append({**call, "type": "int", "role": "property", "says": f"'{counting.group(0).strip()}'"})
        elif mapping:
            found.append({**call, "type": "dict", "role": "property", "says": f"'{mapping.group(0)}'"})
    # both said ("even positions in upper case and odd ones in lower case"): each is said of a part of the answer
    both = bool(_UPPER.search(intent or "") and _LOWER.search(intent or ""))
    for pattern, letters, change in ((_UPPER, "upper", str.lower), (_LOWER, "lower", str.upper)):
        said = pattern.search(intent or "")
        if said and (both or _OF_A_PART.search(intent[:said.start()])):
            continue
        changed = {"args": [_change(a, change) for a in args], "kwargs": {k: _change(v, change) for k, v in kwargs.items()}}
        if said and _has_letters(changed):
            found.append({**changed, "letters": letters, "role": "property", "says": f"'{said.group(0)}'"})
    shapes = _shapes(intent or "", [*args, *kwargs.values()]) + _same_form(intent or "", [*args, *kwargs.values()])
    if shapes:
        found.append({**call, "shape": [pattern for pattern, _said in shapes], "role": "property",
                      "says": " or ".join(f"'{said}'" for _pattern, said in shapes)})
    ends = _ends(intent or "")
    if ends:
        found.append({**call, **ends, "role": "property"})
    found.extend(merge_properties(intent or "", call))
    rounded_to = _ROUNDED.search(intent or "")
    if rounded_to:
        places = rounded_to.group(1).lower()
        found.append({**call, "decimals": int(_NUMBER_WORDS.get(places, places)), "role": "property",
                      "says": f"'{rounded_to.group(0)}'"})
    rearranged = _REARRANGE.search(intent or "")
    lists = [value for value in [*args, *kwargs.values()] if isinstance(value, list)]
    if rearranged and len(lists) == 1 and lists[0] and not _NOT_EVERY_ITEM.search(intent):
        found.append({**call, "same_items": lists[0], "role": "property", "says": f"'{rearranged.group(0).strip()}'"})
    for said, name in _changed_slots(intent or ""):
        found.append({**call, "writes": name, "role": "property", "says": f"'{said}'"})
    member = _member_of(intent or "", [*args, *kwargs.values()])
    if member:
        found.append({**call, **member, "role": "property"})
    returns = _RETURNS.search(intent or "")
    if returns and not _MAY_BE_NONE.search(intent):
        found.append({**call, "answers": True, "role": "property", "says": f"'{returns.group(0)}'"})
    caseless = _CASELESS.search(intent or "")
    if caseless:
        for change in (str.lower, str.upper):
            changed = {"args": [_change(a, change) for a in args], "kwargs": {k: _change(v, change) for k, v in kwargs.items()}}
            if changed != call:
                found.append({**changed, "same_as_trial": True, "role": "property", "says": f"'{caseless.group(0)}'"})
    return found + bounds(intent or "", list(args), dict(kwargs), slots)


def _change(value: object, change) -> object:  # noqa: ANN001
    return change(value) if isinstance(value, str) else value


def _has_letters(call: dict) -> bool:
    return any(isinstance(v, str) and any(ch.isalpha() for ch in v) for v in [*call["args"], *call["kwargs"].values()])


_SHOWN = re.compile(r"\b(?:like|e\.g\.,?|such as|for example,?|for instance,?|as in)\s+['\"]?"
                    r"([0-9A-Za-z][0-9A-Za-z/.:, -]*[0-9])", re.I)
_FIELDS = r"(?:YYYY|YY|MM|DD|HH|hh|mm|ss|SS|H|h|M|D)"  # one letter: a number not padded (H:MM:SS, M/D/YYYY)
# "into DD/MM/YYYY", and with up to three words between ("into the US form MM/DD/YYYY", "into a text H:MM:SS")
_SPELLED = re.compile(r"\b(into|to|as|in the form(?: of)?|in the format(?: of)?|formatted as)\s+(?:[A-Za-z]+\s+){0,3}?['\"]?"
                      rf"(?-i:({_FIELDS}(?:[/.:-]{_FIELDS}){{1,5}}))(?![A-Za-z])")
_GIVEN = re.compile(r"\b(given|written|passed|supplied|received|taken)\s+(as|in)\s*$", re.I)
_SEPARATORS = "/-:."


def _shapes(intent: str, arguments: list) -> list[tuple[str, str]]:
    """``(regular expression, words)`` for each date or time shown or spelled for the answer."""
    found: list[tuple[str, str]] = []
    for match in [*_SHOWN.finditer(intent), *_SPELLED.finditer(intent)]:
        spelled = match.re is _SPELLED
        token = match.group(2 if spelled else 1).rstrip(" ,.")
        separators = sum(token.count(ch) for ch in _SEPARATORS)
        if spelled:
            if _GIVEN.search(intent[:match.end(1)]):
                continue  # "a date given as YYYY-MM-DD": the argument's form
        elif separators < 2 and not re.fullmatch(r"\d{1,2}:\d{2}", token):
            continue  # a date (two separators or more) or a time (9:05), not any number
        elif re.search(r"\binto\b", intent[match.end():], re.I):
            continue  # "turn a text like '1-3,7' into the list of ...": shown before what it is turned into, it is the argument
        if not spelled and any(isinstance(a, str) and (re.fullmatch(_pattern(token, False, loose=True), a) or _kin(token, a))
                               for a in arguments):
            continue  # shaped like an argument: its description ("the weekday of a date like 2024-03-15", "version
            # numbers like '1.10.2'" called with '1.9': digits and the same separators, as many or not)
        pattern = _pattern(token, spelled)
        if pattern not in [p for p, _ in found]:
            found.append((pattern, match.group(0).strip(" ,.")))
    for match in _FORM_QUOTED.finditer(intent):
        token = match.group(1) if match.group(1) is not None else match.group(2)
        if (not re.search(r"\d", token) or len(re.findall(r"[^0-9A-Za-z]", token)) < 2 or re.fullmatch(r"[\d.,\s-]+", token)
                or _GIVEN.search(intent[:match.start()]) or re.search(r"\binto\b", intent[match.end():], re.I)):
            continue  # a form of digits and separators, said of the answer (not a number: '1,234.50' has more commas later)
        pattern = re.sub(r"^((?:\\.|[^\\])*?)\\d\{\d+(?:,\d+)?\}", r"\1\\d+", _pattern(token, False), count=1)  # its first number any length
        if any(isinstance(a, str) and re.fullmatch(pattern, a) for a in arguments):
            continue  # the argument is in that form already: its description
        if pattern not in [p for p, _ in found]:
            found.append((pattern, match.group(0).strip(" ,.")))
    return found


# "write them as a phone number in the form '(555) 123-4567'": every digit where it has one, its separators as they are
_FORM_QUOTED = re.compile(r"\b(?:in the (?:form|format)(?: of)?|formatted (?:as|like)|in the shape(?: of)?)\s+"
                          r"(?:[A-Za-z]+\s+){0,2}?(?:'([^']{3,40})'|\"([^\"]{3,40})\")", re.I)


def _kin(token: str, argument: str) -> bool:
    """Digits and separators only, and the same separators as ``token``: one of its kind, however many fields."""
    seps = {ch for ch in token if ch in _SEPARATORS}
    return bool(re.fullmatch(rf"[\d{re.escape(_SEPARATORS)}]+", argument)) and {ch for ch in argument if ch in _SEPARATORS} == seps


def _pattern(token: str, spelled: bool, loose: bool = False) -> str:
    """The expression a text of ``token``'s shape matches. Written out, its first number may be longer and a
    one-digit number may take two (an unpadded day); spelled (``DD/MM/YYYY``), every field as long as it is.
    ``loose``: any number of digits wherever it has digits (to recognise an argument's description)."""
    out: list[str] = []
    first = True
    for run in re.findall(r"[0-9]+|[A-Za-z]+|[^0-9A-Za-z]", token):
        if run[0].isdigit() or spelled and run[0].isalpha():
            n = len(run)
            out.append(r"\d+" if loose or (first and not spelled and n <= 2) or run in ("H", "h") else r"\d{1,2}" if n == 1
                       else rf"\d{{{n}}}")
            first = False
        elif run[0].isalpha():
            out.append("[A-Za-z]+")
        else:
            out.append(re.escape(run))
    return "".join(out)


_QUOTED = r"(?:'([^']*)'|\"([^\"]*)\")"
_RETURN_QUOTED = re.compile(r"\b(?:return|returns|answer|answers)\s+(?:the (?:text|string|greeting|message)\s+)?" + _QUOTED)
_CHOICE = re.compile(r"\b(if|or|else|otherwise|unless|when|whether)\b", re.I)
_PLACEHOLDER = re.compile(r"\{[^{}]*\}|<[^<>]*>")


def _ends(intent: str) -> dict:
    """``starts``/``ends`` (and ``says``) for a sentence returning a quoted text, or {}."""
    # "so that pluralize(3, 'apple') returns '3 apples'": what one call returns, an example, not every answer
    said = next((m for m in _RETURN_QUOTED.finditer(intent) if not intent[:m.start()].rstrip().endswith(")")), None)
    if said is None:
        return {}
    clause = re.split(r"[.;]\s|[.;]$", intent[said.start():], maxsplit=1)[0]
    if _CHOICE.search(clause):
        return {}
    quoted = [a if a is not None else b for a, b in re.findall(_QUOTED, clause)]
    first, last = _PLACEHOLDER.split(quoted[0]), _PLACEHOLDER.split(quoted[-1])
    ends: dict = {}
    if first[0]:
        ends["starts"] = first[0]
    if len(last) > 1 and len(quoted) == 1 or len(quoted) > 1 and re.search(_QUOTED + r"\s*$", clause.rstrip(" ,")):
        if last[-1]:  # a template's text after its last placeholder, or the text quoted at the very end
            ends["ends"] = last[-1]
    if ends:
        ends["says"] = f"'{clause.strip()}'"
    return ends


_SLOT = r"(?:self\.(?P<attr>[A-Za-z_]\w*)|(?:the\s+)?(?P<name>[A-Za-z_]\w*)\s+(?:slot|attribute|field))"
_END_OF = r"(?:(?:to|at|onto)\s+the\s+(?:end|start|front|back|top|bottom|beginning)\s+of)"  # "to the end of the history slot"
_CHANGES = [
    re.compile(rf"\b(?:empty|clear|reset|set|update|change|increment|decrement|increase|decrease|raise|lower|double|halve|"
               rf"rename|sort|reverse|shuffle|fill|overwrite|toggle|switch|flip|invert|negate|move|advance|bump|shift|rotate|"
               rf"cycle|replace|swap)\s+{_SLOT}", re.I),
    re.compile(rf"\b(?:add(?!\s+up\b)|append|push|insert|put|store|save|record|remember|extend|deposit|prepend)\b[^.;]*?"
               rf"\b(?:{_END_OF}|to|into|onto|in)\s+{_SLOT}", re.I),
    re.compile(rf"\bmove\b[^.;]*?\b(?:{_END_OF}|to|onto)\s+{_SLOT}", re.I),  # "move the last item of done to the end of the undone slot"
    re.compile(rf"\b(?:remove|delete|pop|take|drop|discard|subtract|deduct|withdraw|move)\b[^.;]*?\b(?:from|out\s+of)\s+{_SLOT}", re.I),
]


def _changed_slots(intent: str) -> list[tuple[str, str]]:
    """``(words, slot)`` for each slot the request says to change, in the order it says so."""
    found: list[tuple[str, str]] = []
    for pattern in _CHANGES:
        for match in pattern.finditer(intent):
            name = match.group("attr") or match.group("name")
            if name and name.lower() not in ("a", "an", "the", "new", "its", "this") and name not in [n for _, n in found]:
                found.append((match.group(0), name))
    return found


_RETURNS = re.compile(r"\b(?:return|returns|returning|give back|gives back|answer with)\b", re.I)
_MAY_BE_NONE = re.compile(r"\b(?:none|nothing|null|no value)\b", re.I)
# an empty answer the request names ("..., or '' when there are fewer words", "or an empty list"), not a condition
# ("if the list is empty")
_MAY_BE_EMPTY = re.compile(r"''|\"\"|\ban empty\b|\bempty (?:text|string|list|dict|map)\b", re.I)

# "return the [choosing words] NOUN": an answer the call's argument holds (the noun, then whether it is plural)
_CHOOSING = r"(?:\w+est|first|second|third|fourth|fifth|last|middle|max|maximum|min|minimum|distinct|unique|different|" \
            r"n|k|nth|n-th|kth|k-th|most|least|common|frequent|repeated|duplicate|even|odd|positive|negative|other|" \
            r"matching|given|often|one|only)"
_MEMBER = re.compile(rf"\b(?:return|returns|find|finds|pick|picks|give back|gives back)\s+(?P<det>the|a|an|one|each|every)\s+"
                     rf"(?P<choosing>(?:{_CHOOSING}\s+){{0,3}})(?P<noun>key|value|word|item|element|entry|number|character|"
                     rf"char|letter)(?P<plural>s?)\b(?!['’]s\b)", re.I)
# words after it that make the answer something else than the item itself ("... in upper case", "... as an int")
_TRANSFORMED = re.compile(r"\b(times|plus|minus|multiplied|divided|squared|cubed|doubled|halved|rounded|negated|converted|"
                          r"reversed|backwards|capitali[sz]ed|upper|lower|capitals?|case|length|as an?|as text|formatted|"
                          r"written|spelled|in words|index|position|count|encoded|repeated|padded|followed|joined)\b", re.I)


def _member_of(intent: str, arguments: list) -> dict:
    """``{"one_of": [...]}`` or ``{"each_of": [...]}`` (and ``says``) for an answer the request says is the argument's own
    ("return the longest key of a dict"), or {} when it says none or more than one argument could hold it."""
    said = _MEMBER.search(intent)
    if said is None or _TRANSFORMED.search(intent, said.end()):
        return {}
    noun = said.group("noun").lower()
    if noun in ("number", "value") and not said.group("choosing").strip():
        return {}  # "return the number of ...", "return the value ..."
    dicts = [a for a in arguments if isinstance(a, dict)]
    lists = [a for a in arguments if isinstance(a, list)]
    texts = [a for a in arguments if isinstance(a, str)]
    pieces = False  # a word of a text: any piece of it with no space (punctuation may have been stripped)
    if noun == "key":
        held = list(dicts[0]) if len(dicts) == 1 else []
    elif noun == "value" and dicts:
        held = list(dicts[0].values()) if len(dicts) == 1 and not lists else []
    elif noun in ("character", "char", "letter"):
        held = list(dict.fromkeys(texts[0])) if len(texts) == 1 and not lists else []
    elif noun == "word" and not lists:
        held, pieces = (texts[:1] if len(texts) == 1 and texts[0] else []), True
    else:  # item, element, entry, number, value, word: an item of the one list
        held = lists[0] if len(lists) == 1 and not (noun == "word" and texts and not all(isinstance(i, str) for i in lists[0])) else []
    if not held:
        return {}
    extra = {"pieces": True} if pieces else {}
    if _MAY_BE_NONE.search(intent):
        extra["or_none"] = True  # "..., or None if there is none"
    if _MAY_BE_EMPTY.search(intent):
        extra["or_empty"] = True  # "..., or '' when the sentence has fewer than n words": an empty answer of its kind
    many = said.group("plural") or said.group("det").lower() in ("each", "every")  # "every other item": a list of them
    return {"each_of" if many else "one_of": held, "noun": noun, **extra, "says": f"'{said.group(0)}'"}


def _is_member(value: object, case: dict, held: list) -> bool:
    if case.get("pieces"):  # a word of the text held: a piece of it with no space
        return isinstance(value, str) and bool(value) and not any(ch.isspace() for ch in value) and value in held[0]
    return any(value == item and isinstance(value, bool) == isinstance(item, bool) for item in held)


_SAME_FORM = re.compile(r"\bin the same (form|format|shape)\b|\bformatted the same way\b", re.I)


def _same_form(intent: str, arguments: list) -> list[tuple[str, str]]:
    """"... and return the new date in the same form": the shape of the call's date or time argument (two separators
    or more), every field as long as it is there (``2024-03-15``: ``\\d{4}-\\d{2}-\\d{2}``)."""
    said = _SAME_FORM.search(intent)
    if said is None:
        return []
    for argument in arguments:
        if isinstance(argument, str) and re.fullmatch(rf"\d+(?:[{re.escape(_SEPARATORS)}]\d+){{2,}}", argument):
            return [(_pattern(argument, True), said.group(0))]
    return []


def judge_property(case: dict, outcome: dict, trial: dict | None, selector: str, written: dict | None = None) -> str | None:
    """Why ``outcome`` breaks the property ``case`` (one of :func:`properties`), or None. ``trial``: the trial's outcome when it is
    deterministic (a property compared with it is skipped otherwise); ``written``: the slots the call wrote."""
    plain = {"args": case.get("args", []), "kwargs": case.get("kwargs", {})}
    call, value = f"{selector}({call_arguments(plain['args'], plain['kwargs'])})", outcome.get("value")
    if any(kind in case for kind in _BOUNDS):  # bat_os.cognition.bounds: a mean's range, a character left out
        why = judge(plain, outcome, None, selector)
        bound = None if why else judge_bound(case, case, value)
        return why or (bound and f"{call} {bound}")
    if "decimals" not in case and not any(case.get(kind) for kind in ("writes", "holds_keys", "keeps", "same_items", "letters", "shape", "starts", "ends", "answers", "one_of", "each_of")):
        if not case.get("same_as_trial"):
            return judge({k: v for k, v in case.items() if k in ("args", "kwargs", "given", "type", "result", "raises")},
                         outcome, None, selector)
        if trial is None or output_key(outcome) == output_key(trial) or (
                "value" in outcome and "value" in trial and _folded(outcome["value"]) == _folded(trial["value"])):
            return None  # "remove the vowels of either case": 'Bnn Splt' and 'bnn splt' answer alike, the text's case aside
        return f"{call} should answer as the trial call does ({answer_of(output_key(trial))}), but it answered {answer_of(output_key(outcome))}"
    why = judge(plain, outcome, None, selector)
    if why is not None:
        return why
    if case.get("answers"):  # "... and return its new value": an answer, not None
        return None if value is not None else f"{call} should return an answer, but it returned None"
    if case.get("one_of"):  # "return the longest key of a dict": one of its keys
        if (_is_member(value, case, case["one_of"]) or (value is None and case.get("or_none"))
                or (case.get("or_empty") and isinstance(value, (str, list, dict)) and not value)):
            return None
        return f"{call} should answer {_held(case, case['one_of'])}, but it answered {answer_of(output_key(outcome))}"
    if case.get("each_of"):  # "return the keys of a dict whose ...": a list of its keys (not judged when not a list)
        if not isinstance(value, (list, tuple)) or all(_is_member(item, case, case["each_of"]) for item in value):
            return None
        return f"{call} should answer a list, each {_held(case, case['each_of'])}, but it answered {answer_of(output_key(outcome))}"
    if case.get("writes"):  # "empty the scores slot": the call changes that slot
        return None if case["writes"] in (written or {}) else f"{call} should change self.{case['writes']}, but it left it as it was"
    if "decimals" in case:  # "rounded to 2 decimals": a number (or each of a list) with no more decimals than that
        numbers = value if isinstance(value, list) else [value]
        if all(not isinstance(v, (int, float)) or isinstance(v, bool) or abs(v - round(v, case["decimals"])) < 1e-9
               for v in numbers):
            return None
        return f"{call} should answer a number rounded to {case['decimals']} decimal(s), but it answered {answer_of(output_key(outcome))}"
    if case.get("same_items"):  # "move every 0 to the end": the list's own items, each as often, in some order
        if isinstance(value, list) and _counted(value) == _counted(case["same_items"]):
            return None
        return (f"{call} should answer the items of its list rearranged, each as often as it holds them, but it answered "
                f"{answer_of(output_key(outcome))}")
    if case.get("keeps") or case.get("holds_keys"):  # bat_os.cognition.merges
        return judge_merge(case, outcome, call)
    if case.get("letters"):  # the answer's letters all in one case (a string answer; others are not judged)
        wrong = str.islower if case["letters"] == "upper" else str.isupper
        if isinstance(value, str) and any(wrong(ch) for ch in value):
            return f"{call} should answer in {case['letters']} case, but it answered {answer_of(output_key(outcome))}"
        return None
    if case.get("shape"):  # a text of a shape
        if not (isinstance(value, str) and any(re.fullmatch(p, value) for p in case["shape"])):
            return f"{call} should answer a text shaped like that, but it answered {answer_of(output_key(outcome))}"
        return None
    wrong = [f"start with {json.dumps(case['starts'])}" for _ in [1] if case.get("starts") and not (
        isinstance(value, str) and value.startswith(case["starts"]))]
    wrong += [f"end with {json.dumps(case['ends'])}" for _ in [1] if case.get("ends") and not (
        isinstance(value, str) and value.endswith(case["ends"]))]
    return f"{call} should {' and '.join(wrong)}, but it answered {answer_of(output_key(outcome))}" if wrong else None


def every_call(checks: list[dict], call: dict, outcome: dict, selector: str) -> str | None:
    """Why another call's answer (a probe's) breaks a property that holds for every answer, not the trial's alone
    (``decimals``: "rounded to 2 decimals" of a list whose trial answer, 2.0, is round anyway; a mean's range, a
    character left out: :mod:`bat_os.cognition.bounds`), or None."""
    for check in checks:
        if "value" not in outcome:
            continue
        if "decimals" in check:
            why = judge_property({**check, "args": call.get("args", []), "kwargs": call.get("kwargs", {})}, outcome, None, selector)
        elif any(kind in check for kind in _BOUNDS):
            why = judge_bound(check, call, outcome["value"])
            why = why and f"{selector}({call_arguments(call.get('args', []), call.get('kwargs', {}))}) {why}"
        else:
            why = None
        if why:
            return f"property: the request says {check.get('says', 'so')}: {why}"
    return None


_BOUNDS = ("within", "within_slot", "lacks")


def _counted(items: list) -> list[str]:
    return sorted(json.dumps(item, sort_keys=True, default=repr) for item in items)


def _folded(value: object) -> str:
    """``value`` with every text in it (items, keys) in lower case, as JSON: an answer made of the call's own text keeps
    that text's case, and "case does not matter" is said of what is asked, not of how the answer spells it."""
    def fold(v: object) -> object:
        if isinstance(v, str):
            return v.casefold()
        if isinstance(v, (list, tuple)):
            return [fold(item) for item in v]
        if isinstance(v, dict):
            return sorted(([fold(k), fold(item)] for k, item in v.items()), key=lambda pair: json.dumps(pair, default=repr))
        return v
    return json.dumps(["value", fold(value)], default=repr)


def _held(case: dict, held: list) -> str:
    """"a word of "the end"", "a key of its argument ("ab", "c")"."""
    if case.get("pieces"):
        return f"a word of {json.dumps(held[0])}"
    shown = ", ".join(json.dumps(item) for item in held[:6]) + (", ..." if len(held) > 6 else "")
    return f"a {case.get('noun', 'item')} of its argument ({shown})"
