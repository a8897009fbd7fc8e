"""A promotion's application, specialised once per program: its plan.

Most promotions have one effect on the cart's lines (``percent_off``,
``amount_off_each``, ``buy``/``get``), no ``max_amount``, and a pass without a
usage store has no budget to cut them: applying one is "the target's lines on
what is left of them, the effect's parts, no line below zero, taken".  The
general path (``Evaluation._apply``) asks at every promotion of every cart what
the promotion needs (several effects? a gift? shipping? caps?), computes the
parts as amounts and converts them back to minor units to clamp and take them,
through a call per step.  A plan is decided when the program is built: the
effect's own arithmetic (``effects.py``: ``_pick``, ``percent_minor``,
``per_unit_minor``, ``buy_get_picked``) with what does not depend on the cart
worked out once, then clamping and taking in whole minor units, in one function.

The result is the general path's, reasons included: a promotion with nothing left
to take from is deferred by the general path's own code
(``Evaluation.nothing_left``), and one that takes nothing is explained, when read,
by the general path's sentence.  Evaluations that record or search
(``engine/trace.py``, ``engine/bestdeal.py``) and those with a usage store (a
budget may cut the parts) never use plans.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import TYPE_CHECKING

from dsl import effects as m

from .effects import (
    BaseLine,
    _minor,
    _pick,
    _share,
    buy_get_picked,
    per_unit_minor,
    percent_minor,
)
from .money import from_minor, known_amounts
from .reasons import NOTHING_TO_DISCOUNT
from .result_shipping import PartKey
from .stacking import Applied, PassState, Remaining, join, take

if TYPE_CHECKING:
    from .evaluate import Evaluation
    from .program import CompiledPromotion

Plan = Callable[["Evaluation", "CompiledPromotion", int, "str | None", PassState], None]
"""``plan(run, promotion, position, coupon, state)``: applies the promotion, or
rejects it, as ``Evaluation._apply`` would."""

Offs = Callable[[list[BaseLine], list[BaseLine]], list[tuple[str, int]]]
"""An effect's parts in whole minor units per line id, from its target lines and its
get lines (as ``Parts.lines``: a line picked has a part, zero included)."""


def _offs(effect: object, minor_units: int, mode: str) -> Offs | None:
    """The arithmetic of ``effect`` (the general path's own, ``effects.py``), with
    what does not depend on the cart worked out now; ``None``: not planned."""
    if isinstance(effect, m.PercentOff):
        numerator, denominator = _share(effect.percent_off)
        count, choose, per_line = effect.max_units, effect.choose, effect.max_units_per_line
        return lambda lines, _: percent_minor(_pick(lines, count, choose, per_line),
                                              numerator, denominator, mode)
    if isinstance(effect, m.AmountOffEach):
        off, per = _minor(effect.amount_off_each, minor_units)
        count, choose, per_line = effect.max_units, effect.choose, effect.max_units_per_line
        return lambda lines, _: per_unit_minor(_pick(lines, count, choose, per_line),
                                               off, per, mode)
    if isinstance(effect, m.BuyGet):
        share = _share(effect.percent_off)

        def buy_get(lines: list[BaseLine], gets: list[BaseLine]) -> list[tuple[str, int]]:
            picked = buy_get_picked(effect, lines, gets)
            return [] if picked is None else percent_minor(picked, *share, mode)

        return buy_get
    return None


def _clamped(computed: list[tuple[str, int]], remaining: Remaining, amounts: dict[int, Decimal],
             minor_units: int) -> dict[PartKey, Decimal]:
    """The parts as amounts, none above what is left of its line (``Evaluation._clamp``).

    For the original base, whose lines (their original totals) say nothing of what is
    left of them: what is left is known in minor units only for the lines asked for,
    and converting the others costs more than comparing amounts; the plan then takes
    the parts as the general path does (``stacking.take``)."""
    out: dict[PartKey, Decimal] = {}
    for line_id, off in computed:
        amount = amounts.get(off)
        if amount is None:
            amount = from_minor(off, minor_units)
        left = remaining[line_id]
        if amount > left:
            amount = left
        if amount > 0:
            out[line_id] = amount
    return out


def _taken_minor(computed: list[tuple[str, int]], remaining: Remaining,
                 amounts: dict[int, Decimal], minor_units: int) -> dict[PartKey, Decimal]:
    """The parts, none above what is left of its line, taken from the lines (nothing
    when none is left to take): clamped and taken in whole minor units, which the
    discounted base has for every line it looked at (``Evaluation._build_lines``)."""
    minor = remaining.minor
    out: dict[PartKey, Decimal] = {}
    # (each line once in ``computed``: what is taken from one line changes no other's
    # clamp, so each part is clamped and taken in one go)
    for line_id, off in computed:
        left = minor.get(line_id)
        if left is None:
            left = remaining.minor_of(line_id)
        if off >= left:
            off = left
        if off > 0:  # (``Remaining.take`` written out)
            # (what is left of a line has the currency's decimals, as ``from_minor``)
            amount = amounts.get(off)
            if amount is None:
                amount = from_minor(off, minor_units)
            out[line_id] = amount
            remaining[line_id] -= amount
            minor[line_id] -= off
    return out


def plan_for(cp: CompiledPromotion, minor_units: int, mode: str,
             base_original: bool) -> Plan | None:
    """The plan of ``cp``, or ``None`` when the general path applies it."""
    if len(cp.effects) != 1 or cp.effects[0].effect.max_amount is not None:
        return None
    single = cp.effects[0]
    offs = _offs(single.effect, minor_units, mode)
    if offs is None:
        return None
    target, get_target = single.target, single.get_target
    amounts = known_amounts(minor_units)  # (the same dict for the program's life)

    def plan(run: Evaluation, cp: CompiledPromotion, position: int, coupon: str | None,
             state: PassState) -> None:
        remaining = state.remaining
        if base_original:
            targets = run._lines_for(target, remaining)
            gets = run._lines_for(get_target, remaining) if get_target is not None else []
        else:  # (``_lines_for`` on the discounted base, without its call)
            targets = run._build_lines(run._matching(target), remaining)
            gets = run._build_lines(run._matching(get_target), remaining) \
                if get_target is not None else []
        # Something left to take from?  (Loops, not ``any``: no generator made.)
        for line in targets + gets if gets else targets:
            if remaining[line.id]:
                break
        else:
            run.nothing_left(cp, single, coupon, state)
            return
        computed = offs(targets, gets)
        run.count_work(max(1, len(targets), len(computed)))
        if base_original:
            taken = _clamped(computed, remaining, amounts, minor_units)
        else:
            taken = _taken_minor(computed, remaining, amounts, minor_units)
        if not taken:  # (the general path's reason, written when read)
            state.rejected[cp.id] = (cp.id, coupon, NOTHING_TO_DISCOUNT,
                                     lambda: run.why_nothing(cp, single, targets, gets))
            return
        entry = Applied(cp, position, coupon, taken, None, taken, ())
        if base_original:
            take(state, entry)
        else:
            join(state, entry)  # (its parts already taken)
        run.check_applied(state)

    return plan


def plans_for(promotions: tuple[CompiledPromotion, ...], minor_units: int, mode: str,
              base_original: bool) -> tuple[Plan | None, ...]:
    """Each promotion's plan, in evaluation order."""
    return tuple(plan_for(cp, minor_units, mode, base_original) for cp in promotions)
