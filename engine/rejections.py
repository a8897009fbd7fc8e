"""Rejections written when they are read, and the replay that explains the
promotions the index left out.

Most results are never read for their reasons: explaining a false condition
evaluates its parts again, and an effect with nothing left to take from need
not be computed to know it moves no money.  So a rejection may be *pending*
(a closure that writes it), and the promotions the index never ran are
explained by replaying the pass when the rejections are first read
(docs/semantics.md#promotion-index).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from .result import Rejected
from .result_json import assembled
from .stacking import PassState, take

if TYPE_CHECKING:
    from .evaluate import Evaluation


class IndexMiss(AssertionError):
    """The promotion index left out a promotion that applies: a bug, never an input error."""


class Pending:
    """A rejection whose reason code is worked out with its sentence, when it is read."""

    # A plain class: the pass records one per promotion with nothing left to take from,
    # and a frozen dataclass costs twice as much to make.
    __slots__ = ("coupon", "promotion", "resolve")

    def __init__(self, promotion: str, coupon: str | None,
                 resolve: Callable[[], tuple[str, str]]) -> None:
        self.promotion = promotion
        self.coupon = coupon
        self.resolve = resolve  # → (reason code, sentence)

    def rejected(self) -> Rejected:
        return Rejected(self.promotion, self.coupon, *self.resolve())


Refused = tuple[str, "str | None", str, "str | Callable[[], str]"]
"""A rejection as the pass records it: ``(promotion, coupon, reason code, sentence)``,
the sentence written out or a function that writes it.  A plain tuple: a pass
rejects most of the promotions it considers, and nobody may read why."""

Entry = Rejected | Pending | Refused


def written(entry: Entry) -> Rejected:
    """The rejection, written out."""
    if isinstance(entry, tuple):
        promotion, coupon, code, sentence = entry
        return assembled(Rejected, {"promotion": promotion, "coupon": coupon, "code": code,
                                    "reason": sentence if isinstance(sentence, str)
                                    else sentence()})
    return entry.rejected() if isinstance(entry, Pending) else entry


def explain_skipped(run: Evaluation, outcome: PassState,
                    ran: frozenset[int]) -> dict[str, Rejected]:
    """Why each promotion left out of ``outcome``'s pass did not apply.

    Replays the pass: the promotions that applied take what they took, and
    each one left out is considered, with the evaluator's own checks, against
    the state as it was at its turn.  The index leaves out only promotions
    that cannot apply, so each is rejected; one that would apply is an
    ``IndexMiss`` (evaluation checks this at once when ``check_index`` is on).
    """
    replay = run.start(outcome.coupons_only)
    taken = {entry.position: entry for entry in outcome.history}
    out: dict[str, Rejected] = {}
    for position, compiled in enumerate(run.program.promotions):
        if position in ran:
            if position in taken:
                take(replay, taken[position])
            continue
        run.consider(compiled, position, replay)
        if compiled.id not in replay.rejected:
            raise IndexMiss(f"the promotion index left out {compiled.id}, which applies")
        out[compiled.id] = written(replay.rejected.pop(compiled.id))
    return out
