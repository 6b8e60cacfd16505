"""The forge's gate: an adapter is kept only when it is better than its base, by a margin, and worse on nothing
the image already knows.

Both are asked the same held-out tasks in the same form (the single shot's prompt, greedily, the same engine:
:mod:`bat_os.forge.evaluate`), and each answer is tried on the task's checks in the jail. Two scores come of it:

* **held out**: learning-benchmark tasks the dataset never held (by selector);
* **own**: the image's own methods, each asked again and tried on its stored tests.

:func:`decide` is the rule (pure): install when the adapter passes at least ``margin`` more held-out tasks than
the base, and fails none of the image's own that the base passes. A tie, a smaller gain or one regression on
the image's own work: rejected, with the scores. A gate that cannot fail is no gate: the tests build an adapter
that is not better, and one that is, and see each decided.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Iterable

DEFAULT_MARGIN = 2


@dataclass(frozen=True)
class Verdict:
    installed: bool
    why: str
    held_out: dict  # {"tasks", "base", "adapter"}: passes out of tasks
    own: dict  # {"tasks", "base", "adapter", "regressions": [ids the base passes and the adapter fails]}
    margin: int

    def to_json(self) -> dict:
        return asdict(self)


def decide(held_out: Iterable[str], base_held: set[str], adapter_held: set[str], own: Iterable[str],
           base_own: set[str], adapter_own: set[str], margin: int = DEFAULT_MARGIN) -> Verdict:
    """The gate's rule on the sets of task ids each passed (``held_out``, ``own``: every id asked)."""
    held_out, own = list(held_out), list(own)
    gain = len(adapter_held & set(held_out)) - len(base_held & set(held_out))
    regressions = sorted(i for i in own if i in base_own and i not in adapter_own)
    scores = {"tasks": len(held_out), "base": len(base_held & set(held_out)), "adapter": len(adapter_held & set(held_out))}
    own_scores = {"tasks": len(own), "base": len(base_own & set(own)), "adapter": len(adapter_own & set(own)),
                  "regressions": regressions}
    if regressions:
        why = f"worse on {len(regressions)} of the image's own methods ({', '.join(regressions[:5])})"
        return Verdict(False, why, scores, own_scores, margin)
    if gain < margin:
        why = (f"{scores['adapter']} of {scores['tasks']} held-out tasks against the base's {scores['base']}: "
               f"a gain of {gain}, under the margin of {margin}")
        return Verdict(False, why, scores, own_scores, margin)
    return Verdict(True, f"{scores['adapter']} of {scores['tasks']} held-out tasks against the base's {scores['base']} "
                         f"(+{gain}, margin {margin}), and no worse on the image's own {own_scores['tasks']}",
                   scores, own_scores, margin)
