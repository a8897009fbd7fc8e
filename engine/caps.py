"""Caps: an effect's ``max_amount``, a promotion's budget, the ruleset's ``max_discount``.

A cap never rounds: it re-allocates the capped amount in whole minor units
by largest remainder, in proportion to the parts it cuts
(docs/semantics.md#max-amount, docs/semantics.md#max-discount).
"""

from __future__ import annotations

from decimal import ROUND_DOWN, Decimal
from functools import lru_cache

from dsl.model import MaxDiscount

from . import reasons as r
from .money import allocate_minor, from_minor, whole_minor
from .result import Cap
from .result_json import assembled
from .result_shipping import PartKey, ShipmentKey
from .stacking import PassState

_ZERO, _HUNDRED = Decimal(0), Decimal(100)  # (made once: read for every cart that applies)
LineParts = dict[PartKey, Decimal]  # line id (None: shipping; a ShipmentKey) → discount


def _tie_order(key: PartKey) -> tuple[int, str]:
    """Lines by id first, then the shipping, then the shipments by id."""
    if isinstance(key, ShipmentKey):
        return 2, key.id
    return (1, "") if key is None else (0, key)


def reallocate(parts: LineParts, amount: Decimal, minor_units: int) -> LineParts:
    """Cut ``parts`` to ``amount`` in proportion to themselves (largest remainder)."""
    # parts are whole minor units: split them in integers (ties: ``_tie_order``)
    weights = [(key, whole_minor(value, minor_units), _tie_order(key))
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


def max_discount_limit(cap: MaxDiscount | None, subtotal: Decimal,
                       quantum: Decimal) -> Decimal | None:
    """The most the order may be discounted (``None``: no cap): the smaller of the
    amount and the share of the subtotal, rounded down to the minor unit."""
    if cap is None:
        return None
    limits = []
    if cap.amount is not None:
        limits.append(cap.amount.quantize(quantum))
    if cap.percent_of_subtotal is not None:
        # subtotal × (percent / 100): both exact, as subtotal × percent / 100 (a division
        # costs several multiplications; the share of 100 is kept per percentage)
        share = subtotal * _hundredth(cap.percent_of_subtotal)
        limits.append(share.quantize(quantum, rounding=ROUND_DOWN))
    return min(limits)


@lru_cache(maxsize=256)
def _hundredth(percent: Decimal) -> Decimal:
    """``percent / 100``, exact (a percentage has few digits)."""
    return percent.scaleb(-2)


def apply_max_discount(state: PassState, cap: MaxDiscount | None, subtotal: Decimal,
                       quantum: Decimal, minor_units: int) -> None:
    """The ruleset's cap, applied last: give back from the last applied first."""
    if cap is None or not state.applied:  # nothing to give back
        return
    amounts = [entry.amount for entry in state.applied]
    given = sum(amounts, _ZERO)
    if cap.amount is None and \
            given * _HUNDRED <= subtotal * cap.percent_of_subtotal:  # type: ignore[operator]
        # Within the cap, decided without rounding the limit (most carts): a total of
        # whole minor units is at most the share rounded down to the minor unit when
        # it is at most the share itself (both products exact, as the limit's own).
        return
    limit = max_discount_limit(cap, subtotal, quantum)
    assert limit is not None
    excess = given - limit
    cut_to_zero = []
    for entry, before in zip(reversed(state.applied), reversed(amounts), strict=True):
        if excess <= 0:
            break
        after = before - min(excess, before)
        excess -= before - after
        if after:
            entry.parts = reallocate(entry.parts, after, minor_units)  # they add up to ``after``
        else:  # what ``reallocate`` gives, without the arithmetic: every part at zero
            entry.parts = dict.fromkeys(entry.parts, from_minor(0, minor_units))
            cut_to_zero.append(entry)
        state.capped.append(assembled(Cap, {"promotion": entry.compiled.id,
                                            "source": "max_discount", "before": before,
                                            "after": after}))
    if not cut_to_zero:
        return
    gone = {id(entry) for entry in cut_to_zero}
    state.applied = [entry for entry in state.applied if id(entry) not in gone]
    sentence = f"the order's max_discount ({format(limit, 'f')}) was used up by promotions " \
        "applied before it"
    for entry in reversed(cut_to_zero):  # in the order they applied
        state.rejected[entry.compiled.id] = (entry.compiled.id, entry.coupon, r.CAP_REACHED,
                                             sentence)
