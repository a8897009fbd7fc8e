"""Exact money: rounding to minor units and largest-remainder allocation.

Amounts are ``Decimal`` in the currency's unit (``"19.99"``).  Intermediate
per-unit values can be fractions of a minor unit (a line of 3 units after a
1.00 discount), so they are ``Fraction`` and are rounded exactly once, here.
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Mapping
from decimal import ROUND_DOWN, ROUND_HALF_EVEN, ROUND_HALF_UP, Decimal
from fractions import Fraction
from typing import TypeVar

K = TypeVar("K", bound=Hashable)

ROUNDING_MODES = {"half_even": ROUND_HALF_EVEN, "half_up": ROUND_HALF_UP, "down": ROUND_DOWN}
ZERO = Decimal(0)
HUNDRED = Fraction(100)


def quantum(minor_units: int) -> Decimal:
    """The smallest amount: 0.01 for USD, 1 for JPY, 0.001 for BHD."""
    return Decimal(1).scaleb(-minor_units)


def to_minor(amount: Decimal | Fraction, minor_units: int) -> Fraction:
    """An amount in minor units (exact; may be fractional)."""
    return Fraction(amount) * (10 ** minor_units)


def from_minor(units: int, minor_units: int) -> Decimal:
    """Integer minor units → an amount with exactly ``minor_units`` decimals."""
    return (Decimal(units).scaleb(-minor_units)).quantize(quantum(minor_units))


def round_minor(value: Fraction, mode: str) -> int:
    """Round an exact number of minor units to an integer with ``mode``."""
    floor = value.numerator // value.denominator
    rest = value - floor
    if rest == 0:
        return floor
    if mode == "down":
        return floor if value >= 0 else floor + 1
    if rest > Fraction(1, 2):
        return floor + 1
    if rest < Fraction(1, 2):
        return floor
    if mode == "half_up":
        return floor + 1 if value >= 0 else floor
    return floor if floor % 2 == 0 else floor + 1  # half_even


def round_money(amount: Decimal | Fraction, minor_units: int, mode: str) -> Decimal:
    """Round an exact amount to the currency's minor unit, once."""
    return from_minor(round_minor(to_minor(amount, minor_units), mode), minor_units)


def normalize(amount: Decimal, minor_units: int) -> Decimal:
    """The same amount written with exactly ``minor_units`` decimals."""
    return amount.quantize(quantum(minor_units))


def allocate(total: Decimal, weights: Mapping[K, Fraction | Decimal | int], minor_units: int,
             order: Mapping[K, object] | None = None) -> dict[K, Decimal]:
    """Split ``total`` over keys in proportion to ``weights``, by largest remainder.

    The parts are whole minor units and add up to ``total`` exactly.  Ties in
    remainders go to the key that sorts first (by ``order[key]`` when given,
    else by the key itself), so the split never depends on input order.
    Keys with zero weight get zero.  ``total`` must be in whole minor units.
    """
    units = to_minor(total, minor_units)
    if units.denominator != 1:
        raise ValueError(f"{total} is not a whole number of minor units")
    target = int(units)
    positive = {k: Fraction(w) for k, w in weights.items() if w > 0}
    parts = {k: 0 for k in weights}
    if target == 0 or not positive:
        return {k: from_minor(0, minor_units) for k in weights}
    # Integer arithmetic: scale every weight to a common denominator, so each
    # share is target * w / total with an integer quotient and remainder.
    denominator = math.lcm(*(w.denominator for w in positive.values()))
    scaled = {k: w.numerator * (denominator // w.denominator) for k, w in positive.items()}
    whole = sum(scaled.values())
    remainders = []
    assigned = 0
    for key, weight in scaled.items():
        floor, rest = divmod(target * weight, whole)
        parts[key] = floor
        assigned += floor
        remainders.append((rest, key))
    rank = (lambda k: order[k]) if order is not None else (lambda k: k)
    remainders.sort(key=lambda item: (-item[0], rank(item[1])))  # type: ignore[no-any-return]
    for _, key in remainders[: target - assigned]:
        parts[key] += 1
    return {k: from_minor(v, minor_units) for k, v in parts.items()}
