"""Choosing: install a candidate, ask the person, write another, or give up. One procedure.

Run by VALIDATING after every candidate is tried (and after every answer), on the candidates' records
(:func:`bat_os.cognition.selection.assess`):

1. **Eligible**: the candidates that held the trial call (twice alike), every example the person gave, in
   the request or as an answer (hard constraints), and the refusals of :func:`~bat_os.cognition.selection.assess`.
   Only they take part.
2. **Clusters**: eligible candidates that answered the calls they all ran alike
   (:func:`bat_os.cognition.agreement.clusters`: the trial, the generated cases, the probes, the calls of
   their constants). A cluster is one reading of the request.
3. **Score** (CodeT's dual agreement): a cluster's distinct readings times one plus the generated cases its
   best member passes. The generated cases weigh; they never decide alone (a small model writes wrong ones).
4. **Dispute**: two clusters or more. With someone to ask (a listening request, questions left), ask about
   the call that best splits them (:func:`split`); the answer is an example, and the procedure runs again.
   With nobody to ask, write more candidates while the budget lasts, then fail (``unanswered``): a disputed
   method is never installed.
5. **No dispute**: the one cluster is installed when two readings or more wrote it (a text in each of the
   two voices, or two texts), or, one reading alone, when two of the person's examples and every generated
   case vouch for it, or at the end of the budget when it holds the person's answer. Otherwise it waits for
   company. With nobody to ask and no example given, the case writer (the request's other reader) must agree
   with the cluster on one generated case at least, when it wrote any: else the cluster is disputed.
6. **A look before install** (``cycle_confirm``: auto, always, never): where nothing the person said confirms
   the cluster (no example, or a generated case doubts it), or a condition the request states is still open, and
   someone listens, its answers are shown (a ``confirm``): first where it raises, and where its number has the
   other sign than at the trial; then at one call per open condition, each labelled, at most
   :data:`SHOWN`; with none, at the case it
   fails, else the call with the most to it, and the next call of that order beside it; ``choose: 0`` installs.
   (An earlier look at the values the request names gave way to the conditions' calls, which reach those
   edges and the ones stated in words.)

Each line was measured by replaying the recorded runs of both models with a simulated person
(``bench/learning/replay_selection.py --user``, ``bench/labs/selection_lab.py --user``): ``docs/journal/learning.md``;
the design is ``docs/cycle.md``, "Choosing".

:func:`decide` answers a :class:`Decision`; it has no side effects.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from bat_os.cognition.agreement import clusters as _clusters
from bat_os.cognition.readings import reading

ASK, CONFIRM, INSTALL, MORE, FAIL = "ask", "confirm", "install", "more", "fail"


@dataclass(frozen=True)
class Split:
    """A call to ask about: where in the records' answers it is (``position`` in the signature, or
    ``extra`` key), and the eligible candidates grouped by what they answered there."""

    position: int | str  # an index into record["signature"], or a key of record["extra"]
    answers: dict[str, list[int]]  # output key -> eligible candidates answering so
    also: tuple[tuple[int | str, str], ...] = ()  # a confirm: (position, the candidate's answer) of another call shown


@dataclass(frozen=True)
class Decision:
    action: str  # ASK | CONFIRM | INSTALL | MORE | FAIL
    why: str
    winner: int | None = None  # INSTALL (and CONFIRM: the candidate shown)
    split: Split | None = None  # ASK, CONFIRM: the call to ask about
    disputed: bool = False  # more than one reading survived (a FAIL then is "unanswered")
    clusters: list[list[int]] = field(default_factory=list)


def decide(records: list[dict], *, examples: int = 0, answered: int = 0, can_ask: bool = False,
           confirm: str = "auto", final: bool = False, conditions: tuple[str, ...] = (), uncovered: tuple[str, ...] = (), untested: tuple[str, ...] = ()) -> Decision:
    """What to do with the candidates so far.

    ``examples``: the person's examples in the request; ``answered``: their answers to this cycle's questions
    (every eligible candidate holds both); ``can_ask``: a listening requester, questions left; ``confirm``:
    ``cycle_confirm`` (auto: show the candidate before installing it when no example was given or a generated
    case doubts it; always; never); ``final``: no more candidates will be written; ``conditions``: the
    labels of the conditions the request states (their calls are labelled in each record's ``calls``),
    ``uncovered``: those no example or answer of the person's has settled yet, ``untested``: those no call tests."""
    eligible = [i for i, r in enumerate(records) if r.get("eligible")]
    if not eligible:
        return Decision(FAIL if final else MORE, "no candidate held the trial and the examples")
    calls = records[eligible[0]].get("calls") or []
    # nobody to ask: a reading is split only where the request says what is right (the trial, the conditions' calls)
    only = frozenset(k for k, call in enumerate(calls) if k == 0 or call.get("condition")) if conditions and not can_ask else None
    groups = sorted(_clusters(records, eligible, only), key=lambda c: (-score(records, c), c[0]))
    best = groups[0]
    names = ", ".join(str(i + 1) for i in best)
    if len(groups) > 1:
        found = split(records, groups)
        lead = f"candidates {names} and {len(eligible) - len(best)} other(s) answer otherwise"
        if can_ask and found is not None:
            return Decision(ASK, f"{lead}: asking", split=found, disputed=True, clusters=groups)
        return Decision(FAIL if final else MORE, f"{lead}, and nobody could say which is right", split=found, disputed=True,
                        clusters=groups)
    winner = min(best, key=lambda m: (-sum(records[m].get("passes") or []), m))
    votes = agreement(records, best)
    passes = records[winner].get("passes") or []
    vouched = examples >= 2 and all(passes)  # two of the person's examples, and the case writer, agree with it
    open_ = tuple(label for label in uncovered if any(call.get("condition") == label for call in calls))
    if votes < 2 and untested:  # one reading alone, and a condition the request states that no call checks
        return Decision(FAIL if final else MORE, f"candidate {winner + 1}: one reading, no other to agree, and no call checks "
                        f"the condition {untested[0]!r}", clusters=groups)
    if votes < 2 and not (answered and final) and not vouched:  # an answer picks a reading; company may still come to it
        if final and can_ask and confirm != "never" and (found := split(records, [best], confirming=winner,
                                                                          stated=open_)):
            return Decision(CONFIRM, f"candidate {winner + 1}: one reading, the last that could be written; showing it",
                            winner=winner, split=found, clusters=groups)
        return Decision(FAIL if final else MORE, f"candidate{'s' if len(best) > 1 else ''} {names}: one reading, no other to agree",
                        clusters=groups)
    doubted = not all(passes)
    support = (f"{votes} agree, none otherwise" if votes >= 2 else "the person's answer" if answered
               else "every generated case agrees with it") + (
        f", {examples + answered} of the person's examples held" if examples + answered else "")
    if not can_ask and untested:  # no call checks a condition the request states, and nobody could say
        return Decision(FAIL, f"candidates {names} agree, but no call checks the condition {untested[0]!r}, and nobody "
                        "could say which answer is right there", clusters=groups)
    if not can_ask and not (answered or examples) and passes and not any(passes):
        # nobody to ask, and the case writer, the other reader of the request, agrees with them nowhere
        return Decision(FAIL if final else MORE, f"candidates {names} agree, but pass none of the generated cases, and "
                        "nobody could say which is right", disputed=True, clusters=groups)
    shown = confirm == "always" or (confirm == "auto" and (bool(open_) or not answered and (doubted or not examples)))
    if can_ask and shown and (found := split(records, [best], confirming=winner, stated=open_)) is not None:
        return Decision(CONFIRM, f"candidate {winner + 1}: {support}; showing it", winner=winner, split=found, clusters=groups)
    return Decision(INSTALL, f"candidate {winner + 1}: {support}", winner=winner, clusters=groups)


def agreement(records: list[dict], members: list[int]) -> int:
    """How many independent writers a cluster stands for: its distinct readings (a source in one of the two voices:
    :func:`~bat_os.cognition.readings.reading`; the same text in both voices is two that met), and one more where
    a reading was written three times or more (samples that keep writing one text vote for it)."""
    counts: dict[str, int] = {}
    for m in members:
        key = reading(records[m], m)
        counts[key] = counts.get(key, 0) + 1
    return len(counts) + (max(counts.values()) >= 3)


def score(records: list[dict], members: list[int]) -> int:
    """CodeT's dual agreement: the cluster's :func:`agreement` times (generated cases passed by the best member + 1)."""
    return agreement(records, members) * (max(sum(records[m].get("passes") or []) for m in members) + 1)


def split(records: list[dict], groups: list[list[int]], *,
          confirming: int | None = None, stated: tuple[str, ...] = ()) -> Split | None:
    """The call whose answer tells the clusters apart best: the most even split of their scores (Gini), the
    trial call first on a tie, then the generated cases, then the probes. ``confirming``: one cluster to show;
    the calls are first one where it raises (a raise the request may or may not want: the person says) and one
    where its number has the other sign than its answer to the trial (a total gone below 0), then
    those of the conditions ``stated`` (one each, up to :data:`SHOWN` in one look), then the first
    generated case the candidate fails (the case writer doubts it there), else the call with the most to it (the
    longest: the most words, items, digits for the method to get right); with no condition to show, two calls
    (``also``: one look at two calls).
    In a dispute, a candidate that answered a call by its kind only
    (it reads a clock or chance) stands aside there, and the others' answers are asked about (one
    candidate of four read the clock, and no call could be asked about with a person there)."""
    members = [m for c in groups for m in c]
    weight = {m: score(records, c) / len(c) for c in groups for m in c}
    positions: list[int | str] = list(range(len(records[members[0]].get("signature") or [])))
    positions += sorted({k for m in members for k in (records[m].get("extra") or {})})
    room = 1
    if confirming is not None:
        passes = records[confirming].get("passes") or []
        doubted = [1 + k for k, passed in enumerate(passes) if not passed]
        calls = records[confirming].get("calls") or []
        shown = [k for k in positions if isinstance(k, int) and askable(_answer(records[confirming], k) or '["kind"]')]
        labelled = [k for label in stated if (k := next((k for k in shown if k < len(calls)
                                                         and calls[k].get("condition") == label), None)) is not None]
        # unlike its answer to the trial: a raise; a number of the other sign where the call's own numbers do not
        # explain it (the trial's have a sign below 0 exactly when the call's do)
        own = _sign(_answer(records[confirming], 0))
        unlike = [*[k for k in shown if k not in labelled and json.loads(_answer(records[confirming], k))[0] == "raised"][:1],
                  *[k for k in shown if k not in labelled and own and _sign(_answer(records[confirming], k)) == -own
                    and k < len(calls) and _negative(calls[k]) == _negative(calls[0])][:1]]
        room = min(SHOWN, max(len(labelled) + len(unlike), 2)) - 1
        longest = sorted(range(len(calls)), key=lambda k: (-len(json.dumps(calls[k], sort_keys=True, default=repr)), k))
        positions = [p for p in dict.fromkeys([*unlike, *labelled, *doubted[:1], *longest, 0]) if p in positions]
    best: tuple[float, int] | None = None
    chosen: Split | None = None
    for order, position in enumerate(positions):
        answers: dict[str, list[int]] = {}
        for m in members:
            key = _answer(records[m], position)
            if key is not None:
                answers.setdefault(key, []).append(m)
        if confirming is None:  # a dispute: about the answers a person can be shown; a clock's stand aside
            answers = {k: ms for k, ms in answers.items() if askable(k)}
            if len(answers) < 2:
                continue
        elif not answers or any(not askable(k) for k in answers) and position != 0:
            continue  # a clock's answer is shown by its value only when the one candidate's is confirmed
        total = sum(weight[m] for ms in answers.values() for m in ms)
        gini = 1 - sum((sum(weight[m] for m in ms) / total) ** 2 for ms in answers.values())
        if best is None or gini > best[0] + 1e-9:
            best, chosen = (gini, order), Split(position, answers)
        if confirming is not None:
            also = [(p, key) for p in positions[order + 1:] if p not in (0, position)
                    and (key := _answer(records[confirming], p)) is not None and askable(key)]
            return Split(position, answers, tuple(also[:room]))
    return chosen


SHOWN = 4  # calls one look before install shows, at most


def _answer(record: dict, position: int | str) -> str | None:
    if isinstance(position, str):
        return (record.get("extra") or {}).get(position)
    signature = record.get("signature") or []
    return signature[position] if position < len(signature) else None


def _sign(key: str | None) -> int | None:
    """1 or -1: the sign of an answer that is a number other than 0 (None otherwise)."""
    parts = json.loads(key) if key else None
    value = parts[1] if parts and parts[0] == "value" else None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not value:
        return None
    return 1 if value > 0 else -1


def _negative(value: Any) -> bool:
    """Does a call (or any value) hold a number below 0, at any depth?"""
    if isinstance(value, dict):
        return any(_negative(v) for v in value.values())
    if isinstance(value, (list, tuple)):
        return any(_negative(v) for v in value)
    return isinstance(value, (int, float)) and not isinstance(value, bool) and value < 0


def askable(key: str) -> bool:
    """Can a person be shown this answer: a value or an exception (not a kind only, not a run cut short)?"""
    kind = json.loads(key)[0]
    return kind in ("value", "raised")


def choice(key: str, count: int) -> dict[str, Any]:
    """An answer as a question's choice: ``{"result": v}`` or ``{"raises": "ValueError"}``, the slots it left
    when it wrote any, and how many candidates answer so."""
    parts = json.loads(key)
    found: dict[str, Any] = {"result": parts[1]} if parts[0] == "value" else {"raises": parts[1]}
    if len(parts) > 2 and parts[2]:
        found["slots"] = parts[2]
    found["candidates"] = count
    return found
