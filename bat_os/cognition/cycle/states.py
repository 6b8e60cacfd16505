"""The cognitive cycle's states and the moves between them: the one table, and what a step returns (stdlib only).

::

    IDLE -> DECOMPOSING -> DELEGATING -> SPECIFYING -> SYNTHESIZING -> VALIDATING -> COMPLETE
                 |             |             |              |     ^          |   ^
                 +-------------+-------------+--------------+-----|----------+---|--> FAILED
                                                                  |          v   |
                                                                  +------- ASKING  (the person answers)

:data:`STATES` is the only truth about them. The image holds one object per state (``psm_prototypes_obj.IDLE``
...), built from this table by :func:`bat_os.image.primordial.incarnate`; a cycle in the image points at its current
state object, :meth:`bat_os.cognition.cycle.record.Cycle.move` asks :func:`check_move` before it changes state. In
each state the driver runs the step this table names (:attr:`State.step`, a function of
:mod:`bat_os.cognition.cycle.steps`), which returns a :class:`Transition`; the store applies it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


class TransitionError(ValueError):
    """A move the current state does not allow."""


@dataclass(frozen=True)
class State:
    name: str
    description: str
    next: tuple[str, ...]  # the states it may move to; none: terminal
    step: str | None  # the step run in this state (None: the cycle has ended)

    @property
    def terminal(self) -> bool:
        return not self.next


STATES: dict[str, State] = {
    state.name: state
    for state in (
        State(
            "IDLE", "waiting for a mission", step="begin",
            next=(
                "DECOMPOSING",  # IDLE -> DECOMPOSING: the cycle starts
                "FAILED",  # IDLE -> FAILED: a crash came before it began, and cycle_resume = fail
            ),
        ),
        State(
            "DECOMPOSING", "BRICK turns the brief into research queries", step="decompose",
            next=(
                "DELEGATING",  # DECOMPOSING -> DELEGATING: the queries are kept
                "FAILED",  # DECOMPOSING -> FAILED: no model answered
            ),
        ),
        State(
            "DELEGATING", "the knowledge catalog is searched", step="delegate",
            next=(
                "SPECIFYING",  # DELEGATING -> SPECIFYING: what was found is the context
                "SYNTHESIZING",  # DELEGATING -> SYNTHESIZING: (images before SPECIFYING: kept so their records read)
                "FAILED",  # DELEGATING -> FAILED: the search failed
            ),
        ),
        State(
            "SPECIFYING", "BRICK writes test cases before any code", step="specify",
            next=(
                "SYNTHESIZING",  # SPECIFYING -> SYNTHESIZING: the cases are kept (none, if the reply held none)
                "FAILED",  # SPECIFYING -> FAILED: no model answered
            ),
        ),
        State(
            "SYNTHESIZING", "a persona writes the missing method", step="synthesize",
            next=(
                "VALIDATING",  # SYNTHESIZING -> VALIDATING: a candidate was written
                "COMPLETE",  # SYNTHESIZING -> COMPLETE: no further candidate could be written; a vetted one is installed
                "ASKING",  # SYNTHESIZING -> ASKING: a retry's inherited candidates disagree
                "FAILED",  # SYNTHESIZING -> FAILED: no model answered
            ),
        ),
        State(
            "VALIDATING", "the guardian audits it; the jail runs it on the trial, the examples and the cases", step="validate",
            next=(
                "COMPLETE",  # VALIDATING -> COMPLETE: installed and sent again, in one transaction
                "SYNTHESIZING",  # VALIDATING -> SYNTHESIZING: no candidate chosen yet, attempts left
                "ASKING",  # VALIDATING -> ASKING: the candidates disagree, or one is shown before install
                "FAILED",  # VALIDATING -> FAILED: refused with no attempts left, or the re-send failed
            ),
        ),
        State(
            "ASKING", "the person who asked is shown a call and the candidates' answers, and answers", step="ask_person",
            next=(
                "COMPLETE",  # ASKING -> COMPLETE: the answer settled it; installed
                "ASKING",  # ASKING -> ASKING: another question
                "SYNTHESIZING",  # ASKING -> SYNTHESIZING: more candidates, written with the answer as an example
                "FAILED",  # ASKING -> FAILED: the dispute stands, or the budget is spent
            ),
        ),
        State("COMPLETE", "installed in one transaction; the message is sent again", step=None, next=()),
        State("FAILED", "nothing changed in the world; the reasons are kept", step=None, next=()),
    )
}

#: The names, in the order above.
NAMES: tuple[str, ...] = tuple(STATES)
#: Where cycles end.
TERMINAL: tuple[str, ...] = tuple(name for name, state in STATES.items() if state.terminal)
FIRST = "IDLE"


@dataclass(frozen=True)
class Transition:
    """What a step returns: the state to move to (``None``: stay where it is), the artifacts it found (a value of
    ``None`` removes the artifact), the note the move's history entry keeps, why it failed (``FAILED``), the events
    to tell once it is committed, and for ``COMPLETE`` the method to install (the store installs it, sends the message
    again and moves, in one transaction)."""

    next: str | None
    artifacts: dict[str, Any] = field(default_factory=dict)
    note: dict[str, Any] = field(default_factory=dict)
    reasons: tuple[str, ...] = ()
    events: tuple[dict, ...] = ()
    attempts: int | None = None  # the candidates written so far, where it changed
    install: dict | None = None


def check_move(current: str, target: str) -> None:
    """Raise :class:`TransitionError` unless ``current`` may move to ``target``."""
    allowed = STATES[current].next if current in STATES else ()
    if target not in allowed:
        raise TransitionError(f"{current} -> {target} is not allowed (only {list(allowed)})")
