"""The one decision: install a candidate, ask the person, write another, or give up (pure, no I/O).

After every candidate is tried, and after every answer, the cycle asks :func:`decide` what to do with the candidates
so far (:class:`~bat_os.cognition.judge.candidate.Candidate`) in its :class:`Situation`:

1. **Eligible**: the candidates that held the trial (twice alike), every example the person gave (in the request or
   as an answer: hard constraints) and the refusals of :func:`~bat_os.cognition.judge.candidate.assess`. Only they
   take part. None: write another, or fail at the end of the budget.
2. **Clusters**: eligible candidates that answered the calls they all ran alike (:func:`concur`). A cluster is one
   reading of the request.
3. **Score** (CodeT's dual agreement): a cluster's readings times one plus the generated cases its best member
   passes. The generated cases weigh; they never decide alone (a small model writes wrong ones).
4. **Dispute**: two clusters or more. With someone to ask (a listening request, questions left), ask about the call
   that best splits them (:func:`split`); the answer is an example, and the decision is made again. With nobody to
   ask, write more while the budget lasts, then fail (``unanswered``): a disputed method is never installed. Nobody
   to ask, only the calls of the conditions the request states (and the trial) can split a reading: a dispute on
   something the request does not say is no reason to refuse.
5. **No dispute**: the cluster is installed when two readings or more wrote it, or, one reading alone, when two of
   the person's examples and every generated case vouch for it, or at the end of the budget on the person's answer;
   else it waits for company. One reading alone is never installed while a condition has no call. Nobody listening,
   the case writer (the request's other reader) must agree with it on one generated case where no example was given,
   and its coverage calls must have run all its code that works something out, crashing nowhere (its ``doubts``).
6. **A look before install** (``cycle_confirm``): where nothing the person said confirms the cluster, or a condition
   is still open, and someone listens, its answers are shown (a ``confirm``): first where it raises and where its
   number has the other sign than at the trial, then the coverage calls and one call per open condition, else the case
   it fails, else the call with the most to it; ``choose: 0`` installs, or shows what the look had no room for first.

**The budget** is part of the decision: the end comes when :attr:`Situation.max_attempts` candidates were written,
:attr:`Situation.max_candidates` are eligible, or the author can write no more. Each rule was measured by replaying
the recorded runs (``bench/learning/replay_selection.py``, the kernel's own cycle on their candidates):
``docs/journal/learning.md``; the design is ``docs/cycle.md``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from bat_os.cognition.judge.candidate import Candidate
from bat_os.cognition.judge.cases import key

ASK, CONFIRM, INSTALL, MORE, FAIL = "ask", "confirm", "install", "more", "fail"
SHOWN = 4  # calls one look before install shows at most: a person checks four answers at a glance, not ten
VOTES = 2  # readings that must agree before a cluster installs on its own: one more than a single guess
VOUCHING = 2  # the person's examples that, with every generated case, vouch for a lone reading: one may be a fluke


@dataclass(frozen=True)
class Situation:
    """What the decision weighs besides the candidates."""

    examples: int = 0  # the person's examples in the request
    answered: int = 0  # the examples their answers to this cycle's questions made
    can_ask: bool = False  # a listening requester, questions left
    last_look: bool = False  # a listening requester, its questions used up by disputes: one look before install is left
    confirm: str = "auto"  # cycle_confirm: auto | always | never
    attempts: int = 0  # candidates written
    max_attempts: int = 12  # cycle_max_attempts
    max_candidates: int = 8  # cycle_candidates: eligible ones that may stand for the vote
    written_out: bool = False  # the author could write no further candidate
    conditions: tuple[str, ...] = ()  # the labels of the conditions the request states
    uncovered: tuple[str, ...] = ()  # those no example or answer of the person's settled
    untested: tuple[str, ...] = ()  # those no call tests


@dataclass(frozen=True)
class Split:
    """A call to show the person (``call``, one of :class:`Board`'s) and the eligible candidates grouped by what they
    answered there; a confirm's ``also``: the shown candidate's answers at other calls, ``(call, answer)``."""

    call: dict
    answers: dict[str, list[int]]  # output key -> eligible candidates answering so
    also: tuple[tuple[dict, str], ...] = ()
    rest: "Split | None" = None  # a confirm's: the look at what it had no room for, shown once it is confirmed


@dataclass(frozen=True)
class Decision:
    action: str  # ASK | CONFIRM | INSTALL | MORE | FAIL
    why: str
    winner: int | None = None  # INSTALL (and CONFIRM: the candidate shown)
    split: Split | None = None  # ASK, CONFIRM: the call to ask about
    disputed: bool = False  # more than one reading survived (a FAIL then is "unanswered")
    clusters: list[list[int]] = field(default_factory=list)


class Board:
    """Every call the candidates answered, in order: their run's (the trial first, then the generated cases and the
    probes, each with its ``position`` in the run and its ``origin``), then those made of their constants (by key),
    then the coverage calls of the one chosen (least supported first)."""

    def __init__(self, candidates: list[Candidate]) -> None:
        self.candidates = candidates
        run = next((c.calls for c in candidates if c.calls), ())
        made = {key(call): call for c in candidates for call, _answer in c.extra}
        self.calls = [*({**call, "position": k, "origin": _origin(call, k)} for k, call in enumerate(run)),
                      *({**made[k], "origin": "constant"} for k in sorted(made) if not made[k].get("coverage")),
                      *({**call, "origin": "coverage"} for call in made.values() if call.get("coverage"))]  # as chosen

    def answer(self, member: int, at: int) -> str | None:
        return self.candidates[member].answer(self.calls[at])


def _origin(call: dict, position: int) -> str:
    """Where a call of the run comes from, as the decision reads it: the trial, a condition's, or another."""
    return "trial" if position == 0 else ("condition" if call.get("condition") else "other")


def decide(candidates: list[Candidate], situation: Situation) -> Decision:
    """What to do with the candidates so far (see the module docstring)."""
    s = situation
    eligible = [i for i, c in enumerate(candidates) if c.eligible]
    final = s.written_out or s.attempts >= s.max_attempts or len(eligible) >= s.max_candidates
    if not eligible:
        return Decision(FAIL if final else MORE, "no candidate held the trial and the examples")
    board = Board(candidates)
    # nobody to ask: a reading is split only where the request says what is right (the trial, the conditions' calls)
    only = frozenset(("trial", "condition")) if s.conditions and not s.can_ask else None
    groups = sorted(clusters(candidates, eligible, only), key=lambda c: (-score(candidates, c), c[0]))
    best = groups[0]
    names = ", ".join(str(i + 1) for i in best)
    if len(groups) > 1:
        found = split(board, groups)
        lead = f"candidates {names} and {len(eligible) - len(best)} other(s) answer otherwise"
        if s.can_ask and found is not None:
            return Decision(ASK, f"{lead}: asking", split=found, disputed=True, clusters=groups)
        return Decision(FAIL if final else MORE, f"{lead}, and nobody could say which is right", split=found, disputed=True,
                        clusters=groups)
    winner = min(best, key=lambda m: (-sum(candidates[m].passes), m))
    votes = agreement(candidates, best)
    passes = candidates[winner].passes
    vouched = s.examples >= VOUCHING and all(passes)  # the person's examples, and the case writer, agree with it
    calls = candidates[eligible[0]].calls
    open_ = tuple(label for label in s.uncovered if any(call.get("condition") == label for call in calls))
    if votes < VOTES and s.untested:  # one reading alone, and a condition the request states that no call checks
        return Decision(FAIL if final else MORE, f"candidate {winner + 1}: one reading, no other to agree, and no call checks "
                        f"the condition {s.untested[0]!r}", clusters=groups)
    if votes < VOTES and not (s.answered and final) and not vouched:  # an answer picks a reading; company may come
        if final and (s.can_ask or s.last_look) and s.confirm != "never" and (found := split(board, [best], confirming=winner, stated=open_)):
            return Decision(CONFIRM, f"candidate {winner + 1}: one reading, the last that could be written; showing it",
                            winner=winner, split=found, clusters=groups)
        return Decision(FAIL if final else MORE, f"candidate{'s' if len(best) > 1 else ''} {names}: one reading, no other to agree",
                        clusters=groups)
    doubted = not all(passes)
    support = (f"{votes} agree, none otherwise" if votes >= VOTES else "the person's answer" if s.answered
               else "every generated case agrees with it") + (
        f", {s.examples + s.answered} of the person's examples held" if s.examples + s.answered else "")
    if not s.can_ask and s.untested:  # no call checks a condition the request states, and nobody could say
        return Decision(FAIL, f"candidates {names} agree, but no call checks the condition {s.untested[0]!r}, and nobody "
                        "could say which answer is right there", clusters=groups)
    if not s.can_ask and not (s.answered or s.examples) and passes and not any(passes):
        # nobody to ask, and the case writer, the other reader of the request, agrees with them nowhere
        return Decision(FAIL if final else MORE, f"candidates {names} agree, but pass none of the generated cases, and "
                        "nobody could say which is right", disputed=True, clusters=groups)
    if not (s.can_ask or s.last_look) and candidates[winner].doubts:  # nobody: agreement vouches only for what ran
        return Decision(FAIL if final else MORE, f"candidates {names} agree, but {candidates[winner].doubts[0]}, and nobody "
                        "could say which is right", disputed=True, clusters=groups)
    shown = s.confirm == "always" or (s.confirm == "auto" and (bool(open_) or bool(unsupported(board, winner))
                                                                or not s.answered and (doubted or not s.examples)))
    if (s.can_ask or s.last_look) and shown and (found := split(board, [best], confirming=winner, stated=open_)) is not None:
        return Decision(CONFIRM, f"candidate {winner + 1}: {support}; showing it", winner=winner, split=found, clusters=groups)
    return Decision(INSTALL, f"candidate {winner + 1}: {support}", winner=winner, clusters=groups)


def concur(a: Candidate, b: Candidate, only: frozenset[str] | None = None) -> bool:
    """Do two candidates agree? ``only``: the origins of the calls compared (nobody to ask: the trial and the
    conditions' calls), None for every call. The rules, each kept because replaying every recorded run without it
    installs more wrong methods or learns fewer:

    1. alike on every call: they agree;
    2. a call made of their constants, or a coverage call (where a raise is an answer too), that both answered
       differently splits them, whoever can be asked (those calls exist to tell candidates apart, and only that);
    3. a call one of them declined (raised, or ran past its CPU time) is no other answer: refusing an input, or being
       slow on it, is a choice the person may settle, not a rival reading;
    4. any other call answered differently splits them;
    5. they agree only where they answered alike on at least half of the calls, and on two or more (one where a run
       has one call): a pair that declines nearly everything agrees on nothing.
    """
    left, right = a.signature, b.signature
    if len(left) != len(right):
        return False
    ours, theirs = _by_key(a.extra), _by_key(b.extra)
    covered = {key(call) for call, _answer in (*a.extra, *b.extra) if call.get("coverage")}
    if only is not None:
        keep = [k for k, call in enumerate(a.calls or b.calls) if _origin(call, k) in only]
        left, right = tuple(left[k] for k in keep), tuple(right[k] for k in keep)
        ours, theirs = ({k: v for k, v in d.items() if k in covered} for d in (ours, theirs))
    if left == right and ours == theirs:
        return True
    for call, x in ours.items():
        y = theirs.get(call)
        # a coverage call: a branch or a boundary of the chosen code, where a raise is an answer like any other
        if y is not None and x != y and not (_failed(x) or _failed(y) if call in covered else _declined(x) or _declined(y)):
            return False
    alike = 0
    for x, y in zip(left, right):
        if x == y:
            alike += not _declined(x)
        elif not (_declined(x) or _declined(y)):
            return False
    return alike >= max(1, min(2, len(left)), (len(left) + 1) // 2)  # rule 5: half the calls, and two


def _by_key(extra: tuple[tuple[dict, str], ...]) -> dict[str, str]:
    return {key(call): answer for call, answer in extra}


def raised(answer: str) -> bool:
    """Did the call raise (an answer as :func:`~bat_os.cognition.judge.cases.output_key` writes it)?"""
    return answer.startswith('["raised"')


def _failed(answer: str) -> bool:
    return answer.startswith('["failed"')  # the run stopped before the call answered (its CPU time)


def _declined(answer: str) -> bool:
    """Did the call give no answer: it raised, or ran past its CPU time (and the calls after it were not run)?"""
    return raised(answer) or _failed(answer)


def clusters(candidates: list[Candidate], indices: list[int], only: frozenset[str] | None = None) -> list[list[int]]:
    """``indices`` in groups that :func:`concur`, each candidate with the first group all of whose members it agrees with."""
    groups: list[list[int]] = []
    for i in indices:
        home = next((c for c in groups if all(concur(candidates[m], candidates[i], only) for m in c)), None)
        if home is None:
            groups.append([i])
        else:
            home.append(i)
    return groups


def agreement(candidates: list[Candidate], members: list[int]) -> int:
    """How many independent writers a cluster stands for: its distinct readings (:meth:`Candidate.reading`: the same
    text in both voices is two that met; one voice sampling one text again is one)."""
    return len({candidates[m].reading(m) for m in members})


def score(candidates: list[Candidate], members: list[int]) -> int:
    """CodeT's dual agreement: the cluster's :func:`agreement` times (generated cases passed by the best member + 1)."""
    return agreement(candidates, members) * (max(sum(candidates[m].passes) for m in members) + 1)


def split(board: Board, groups: list[list[int]], *, confirming: int | None = None, stated: tuple[str, ...] = ()) -> Split | None:
    """The call whose answer tells the clusters apart best: the most even split of their scores (Gini), the trial first
    on a tie, then the generated cases, then the probes, then the constants' calls. In a dispute, a candidate that
    answered a call by its kind only (it reads a clock or chance) stands aside there.

    ``confirming``: one cluster to show. Its calls are first one where it raises (a raise the request may or may not
    want: the person says; no other raise of its error is shown) and one where its number has the other sign than at the trial (a
    total gone below 0), then the coverage calls no answer of the person's supports (:func:`unsupported`: a boundary,
    a path of its code, a value the request names or an edge it speaks of), then an edge holding the text's own marks,
    then those of the conditions ``stated`` (one each), then the first generated case it fails (the case writer doubts
    it there), then the call with the most to it (the most words, items, digits to get right), then the other edges;
    those first ones, :data:`SHOWN` at most, two at least; ``rest``: the raise, coverage, marks and conditions' calls
    past them, a second look's (a look of four ends on round numbers; what it has no room for is where it goes wrong)."""
    candidates = board.candidates
    members = [m for c in groups for m in c]
    weight = {m: score(candidates, c) / len(c) for c in groups for m in c}
    order = list(range(len(board.calls)))
    room = 1
    if confirming is not None:
        mine = candidates[confirming]
        run = [k for k, call in enumerate(board.calls) if call["origin"] != "constant"]
        shown = [k for k in run if askable(board.answer(confirming, k) or '["kind"]')]
        first = {key(call): k for k, call in reversed(list(enumerate(board.calls)))}  # a call twice: shown as the run's
        cover = list(dict.fromkeys(first[key(board.calls[k])] for k in unsupported(board, confirming)))
        labelled = [k for label in stated if (k := next((k for k in shown if board.calls[k].get("condition") == label), None)) is not None]
        # unlike its answer to the trial: a raise; a number of the other sign where the call's own numbers do not
        # explain it (the trial's have a sign below 0 exactly when the call's do)
        own = _sign(board.answer(confirming, 0))
        unlike = [*[k for k in shown if k not in labelled and json.loads(board.answer(confirming, k))[0] == "raised"][:1],
                  *[k for k in shown if k not in labelled and own and _sign(board.answer(confirming, k)) == -own
                    and _negative(_plain(board.calls[k])) == _negative(_plain(board.calls[0]))][:1]]
        holding = [k for k in shown if board.calls[k].get("holding") and k not in cover]  # what goes in holding marks
        room = min(SHOWN, max(len(cover) + len(labelled) + len(unlike) + len(holding), 2)) - 1
        doubted = [1 + k for k, passed in enumerate(mine.passes) if not passed]
        longest = sorted(run, key=lambda k: (-len(key(board.calls[k])), k))
        edges = [k for k in shown if board.calls[k]["origin"] == "coverage" and k not in cover]
        seq = [*unlike, *cover, *holding, *labelled]  # what the look is for; past its room, a second look
        order = [p for p in dict.fromkeys([*seq, *doubted[:1], *longest[:1], *edges, *longest, 0])
                 if p in run]
        firsts = {key(board.calls[p]): p for p in reversed(order)}  # a call on the board twice is shown once, and one raise
        errors = {p: a[1] for p in order if (a := json.loads(board.answer(confirming, p) or '["kind"]'))[0] == "raised"}  # of each
        order = [p for p in order if firsts[key(board.calls[p])] == p and next(q for q in [*errors, p] if errors.get(q) == errors.get(p)) == p]
    best: float | None = None
    chosen: Split | None = None
    for at, position in enumerate(order):
        answers: dict[str, list[int]] = {}
        for m in members:
            answer = board.answer(m, position)
            if answer is not None:
                answers.setdefault(answer, []).append(m)
        if confirming is None:  # a dispute: about the answers a person can be shown; a clock's stand aside
            answers = {k: ms for k, ms in answers.items() if askable(k)}
            if len(answers) < 2:
                continue
        elif not answers or any(not askable(k) for k in answers) and position != 0:
            continue  # a clock's answer is shown by its value only when the one candidate's is confirmed
        total = sum(weight[m] for ms in answers.values() for m in ms)
        gini = 1 - sum((sum(weight[m] for m in ms) / total) ** 2 for ms in answers.values())
        if best is None or gini > best + 1e-9:  # strictly more even: on a tie the earlier call (the trial first)
            best, chosen = gini, Split(_plain(board.calls[position]), answers)
        if confirming is not None:
            also = [(p, _plain(board.calls[p]), answer) for p in order[at + 1:] if p != position and (p or p in cover)
                    and (answer := board.answer(confirming, p)) is not None and askable(answer)]
            rest = [(call, answer) for p, call, answer in also[room:] if p in seq][:SHOWN]
            second = Split(rest[0][0], {rest[0][1]: members}, tuple(rest[1:])) if rest else None
            return Split(_plain(board.calls[position]), answers, tuple((c, a) for _p, c, a in also[:room]), second)
    return chosen


def unsupported(board: Board, member: int) -> list[int]:
    """The board positions of the coverage calls on a branch or a boundary of the chosen code that no answer of the
    person's supports, where ``member``'s answer can be shown to a person; least supported first."""
    return [k for k, call in enumerate(board.calls) if call["origin"] == "coverage" and call.get("unsupported")
            and askable(board.answer(member, k) or '["kind"]')]


def _plain(call: dict) -> dict:
    """A call as the person is shown it and as it is kept: without its place on the board."""
    return {k: v for k, v in call.items() if k not in ("position", "origin", "unsupported", "holding")}


def _sign(answer: str | None) -> int | None:
    """1 or -1: the sign of an answer that is a number other than 0 (None otherwise)."""
    parts = json.loads(answer) if answer else None
    value = parts[1] if parts and parts[0] == "value" else None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not value:
        return None
    return 1 if value > 0 else -1


def _negative(value: Any) -> bool:
    """Does a call (or any value) hold a number below 0, at any depth?"""
    if isinstance(value, (dict, list, tuple)):
        return any(_negative(v) for v in (value.values() if isinstance(value, dict) else value))
    return isinstance(value, (int, float)) and not isinstance(value, bool) and value < 0


def askable(answer: str) -> bool:
    """Can a person be shown this answer: a value or an exception (not a kind only, not a run cut short)?"""
    return json.loads(answer)[0] in ("value", "raised")
