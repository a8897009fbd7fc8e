"""Caps: an effect's ``max_amount``, a promotion's budget, the ruleset's ``max_discount``.

A cap never rounds: it re-allocates the capped amount in whole minor units
by largest remainder, in proportion to the parts it cuts
(docs/semantics.md#max-amount, docs/semantics.md#max-discount).
"""

from __future__ import annotations

from decimal import ROUND_DOWN, Decimal

from dsl.model import MaxDiscount

from . import reasons as r
from .money import allocate_minor, from_minor, whole_minor
from .result import Cap, Rejected
from .stacking import PassState

LineParts = dict[str | None, Decimal]  # line id (or None: shipping) → discount


def reallocate(parts: LineParts, amount: Decimal, minor_units: int) -> LineParts:
    """Cut ``parts`` to ``amount`` in proportion to themselves (largest remainder)."""
    # parts are whole minor units: split them in integers (ties: lines by id, then shipping)
    weights = [(key, whole_minor(value, minor_units), (key is None, key or ""))
               for key, value in parts.items()]
    split = allocate_minor(whole_minor(amount, minor_units), weights)
    return {key: from_minor(share, minor_units) for key, share in split.items()}


def cap_parts(promotion: str, parts: LineParts, caps: list[tuple[str, Decimal]],
              state: PassState, quantum: Decimal, minor_units: int,
              ) -> tuple[LineParts, str | None]:
    """Apply each ``(source, limit)`` cap in turn to one promotion's parts.

    Returns the capped parts and, when a cap cut them to zero, which one."""
    for source, limit in caps:
        limit = limit.quantize(quantum)
        before = sum(parts.values(), quantum * 0)
        if before > limit:
            parts = {k: v for k, v in reallocate(parts, limit, minor_units).items() if v > 0}
            state.capped.append(Cap(promotion, source, before, limit))
            if not parts:
                return parts, source
    return parts, None


def apply_max_discount(state: PassState, cap: MaxDiscount | None, subtotal: Decimal,
                       quantum: Decimal, minor_units: int) -> None:
    """The ruleset's cap, applied last: give back from the last applied first."""
    if cap is None:
        return
    limits = []
    if cap.amount is not None:
        limits.append(cap.amount.quantize(quantum))
    if cap.percent_of_subtotal is not None:
        share = subtotal * cap.percent_of_subtotal / 100
        limits.append(share.quantize(quantum, rounding=ROUND_DOWN))
    limit = min(limits)
    excess = sum((a.amount for a in state.applied), Decimal(0)) - limit
    for entry in reversed(state.applied):
        if excess <= 0:
            break
        before = entry.amount
        after = before - min(excess, before)
        excess -= before - after
        entry.parts = reallocate(entry.parts, after, minor_units)
        state.capped.append(Cap(entry.compiled.id, "max_discount", before, after))
    cut_to_zero = [a for a in state.applied if a.amount == 0]
    state.applied = [a for a in state.applied if a.amount != 0]
    for entry in cut_to_zero:
        state.rejected[entry.compiled.id] = Rejected(
            entry.compiled.id, entry.coupon, r.CAP_REACHED,
            f"the order's max_discount ({format(limit, 'f')}) was used up by "
            "promotions applied before it")
