"""Exact money: rounding to minor units and largest-remainder allocation.

Amounts are ``Decimal`` in the currency's unit (``"19.99"``).  Intermediate
per-unit values can be fractions of a minor unit (a line of 3 units after a
1.00 discount), so they are exact ratios of integers (minor units over a
denominator, or a ``Fraction``) and are rounded exactly once, here, with
integer arithmetic: ``round_ratio``.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Hashable, Mapping, Sequence
from decimal import ROUND_DOWN, ROUND_HALF_EVEN, ROUND_HALF_UP, Decimal
from fractions import Fraction
from math import gcd, lcm
from operator import itemgetter
from typing import Any, TypeVar

K = TypeVar("K", bound=Hashable)

ROUNDING_MODES = {"half_even": ROUND_HALF_EVEN, "half_up": ROUND_HALF_UP, "down": ROUND_DOWN}
ZERO = Decimal(0)
HUNDRED = Fraction(100)

# Decimals built from whole minor units, and whole minor units read from Decimals,
# per number of minor units.  Amounts repeat a lot within a cart (line totals, the
# same discounts), and both conversions cost more than a lookup.  The caches are
# bounded: when one is full it starts over.
_CACHE_LIMIT = 1 << 16
# minor units → that currency's cache; a missing one is made by the dict lookup itself
# (a defaultdict's factory runs without releasing the GIL: two threads get the same one)
_DECIMALS: defaultdict[int, dict[int, Decimal]] = defaultdict(dict)
_WHOLE: defaultdict[int, dict[Decimal, int]] = defaultdict(dict)
_REST_THEN_TIE = itemgetter(0, 1)


def quantum(minor_units: int) -> Decimal:
    """The smallest amount: 0.01 for USD, 1 for JPY, 0.001 for BHD."""
    return Decimal(f"1E-{minor_units}")  # (read exactly, in any decimal context)


def to_minor(amount: Decimal | Fraction, minor_units: int) -> Fraction:
    """An amount in minor units (exact; may be fractional)."""
    return Fraction(amount) * Fraction(10) ** minor_units


def minor_ratio(amount: Decimal, minor_units: int) -> tuple[int, int]:
    """An amount in minor units as ``(numerator, denominator)``, in lowest terms,
    with a positive denominator (``(1999, 1)`` for 19.99 in USD)."""
    numerator, denominator = amount.as_integer_ratio()
    numerator *= 10 ** minor_units
    common = gcd(numerator, denominator)
    return numerator // common, denominator // common


def known_wholes(minor_units: int) -> dict[Decimal, int]:
    """The cache of ``whole_minor`` for ``minor_units`` (amount → whole minor units).

    Loops over many lines read it directly (a miss: call ``whole_minor``); a dict
    lookup costs a fraction of the call.  Its entries are always right; it may be
    emptied, never replaced."""
    return _WHOLE[minor_units]


def known_amounts(minor_units: int) -> dict[int, Decimal]:
    """The cache of ``from_minor`` for ``minor_units`` (whole minor units → amount),
    read directly like ``known_wholes``."""
    return _DECIMALS[minor_units]


def quantized_minor(amount: Decimal, minor_units: int) -> int:
    """``whole_minor`` of an amount quantized to the currency's minor unit (a line's
    total in its facts): its digits shifted, without the cache.  A cart's totals are
    new ``Decimal`` objects, and hashing one (a cache lookup) costs more than this."""
    return int(amount.scaleb(minor_units))


def shifted_minor(amount: Decimal, minor_units: int) -> int:
    """``whole_minor`` without the cache, for an amount just computed (a sum): hashing a
    new ``Decimal`` for the lookup costs more than shifting its digits; checked, as
    ``whole_minor`` (``ValueError`` if it is not whole)."""
    shifted = amount.scaleb(minor_units)
    units = int(shifted)
    if units != shifted:
        raise ValueError(f"{amount} is not a whole number of minor units")
    return units


def whole_minor(amount: Decimal, minor_units: int) -> int:
    """A whole amount in minor units as an integer (``ValueError`` if it is not whole)."""
    cache = _WHOLE[minor_units]
    units = cache.get(amount)
    if units is None:
        numerator, denominator = minor_ratio(amount, minor_units)
        if denominator != 1:
            raise ValueError(f"{amount} is not a whole number of minor units")
        if len(cache) >= _CACHE_LIMIT:
            cache.clear()
        cache[amount] = units = numerator
    return units


def from_minor(units: int, minor_units: int) -> Decimal:
    """Integer minor units → an amount with exactly ``minor_units`` decimals."""
    cache = _DECIMALS[minor_units]
    amount = cache.get(units)
    if amount is None:
        # read exactly whatever the caller's decimal context: the cache is shared by
        # every thread, and a module's functions may be called outside the entry points
        amount = Decimal(f"{units}E-{minor_units}")
        if len(cache) >= _CACHE_LIMIT:
            cache.clear()
        cache[units] = amount
        # and back: the parts an effect computes come here, and are read back in
        # minor units when they are taken from their lines
        whole = _WHOLE[minor_units]
        if len(whole) >= _CACHE_LIMIT:
            whole.clear()
        whole[amount] = units
    return amount


def round_ratio(numerator: int, denominator: int, mode: str) -> int:
    """Round the exact ratio ``numerator / denominator`` to an integer with ``mode``.

    ``half_even`` and ``half_up`` go to the nearest integer (a tie to the even one,
    or away from zero); ``down`` truncates toward zero.
    """
    if denominator < 0:
        numerator, denominator = -numerator, -denominator
    floor, rest = divmod(numerator, denominator)  # 0 <= rest < denominator
    if rest == 0:
        return floor
    if mode == "down":
        return floor if numerator >= 0 else floor + 1
    twice = rest + rest
    if twice > denominator:
        return floor + 1
    if twice < denominator:
        return floor
    if mode == "half_up":
        return floor + 1 if numerator >= 0 else floor
    return floor if floor % 2 == 0 else floor + 1  # half_even


def round_money(amount: Decimal | Fraction, minor_units: int, mode: str) -> Decimal:
    """Round an exact amount to the currency's minor unit, once."""
    numerator, denominator = amount.as_integer_ratio()
    return from_minor(round_ratio(numerator * 10 ** minor_units, denominator, mode),
                      minor_units)


def normalize(amount: Decimal, minor_units: int) -> Decimal:
    """The same amount written with exactly ``minor_units`` decimals."""
    return amount.quantize(quantum(minor_units))


def allocate_minor(target: int, weights: Sequence[tuple[K, int, Any]]) -> dict[K, int]:
    """``allocate`` in integers: split ``target`` minor units over ``(key, weight, tie)``.

    Returns every key (in the order given) with its whole minor units; units
    left over after the floors go to the largest remainders, equal remainders
    to the smallest ``tie``.  Keys with zero weight get zero.
    """
    parts = {key: 0 for key, _, _ in weights}
    positive = [entry for entry in weights if entry[1] > 0]
    if target == 0 or not positive:
        return parts
    whole = sum(weight for _, weight, _ in positive)
    remainders = []
    assigned = 0
    for key, weight, tie in positive:
        floor, rest = divmod(target * weight, whole)
        parts[key] = floor
        assigned += floor
        remainders.append((-rest, tie, key))
    left = target - assigned
    if left:
        remainders.sort(key=_REST_THEN_TIE)  # stable: equal ties keep the order given
        for _, _, key in remainders[:left]:
            parts[key] += 1
    return parts


def allocate(total: Decimal, weights: Mapping[K, Fraction | Decimal | int], minor_units: int,
             order: Mapping[K, object] | None = None) -> dict[K, Decimal]:
    """Split ``total`` over keys in proportion to ``weights``, by largest remainder.

    The parts are whole minor units and add up to ``total`` exactly.  Ties in
    remainders go to the key that sorts first (by ``order[key]`` when given,
    else by the key itself), so the split never depends on input order.
    Keys with zero weight get zero.  ``total`` must be in whole minor units.
    """
    target, denominator = minor_ratio(total, minor_units)
    if denominator != 1:
        raise ValueError(f"{total} is not a whole number of minor units")
    # Integer arithmetic: scale every weight to a common denominator, so each
    # share is target * w / total with an integer quotient and remainder.
    ratios = [(k, w.as_integer_ratio() if not isinstance(w, int) else (w, 1))
              for k, w in weights.items()]
    common = lcm(*(d for _, (n, d) in ratios if n > 0))
    scaled = [(k, n * (common // d)) for k, (n, d) in ratios]
    if target == 0:
        return {k: from_minor(0, minor_units) for k in weights}
    parts = allocate_minor(target, [(k, w, (order[k] if order is not None else k) if w > 0 else k)
                                     for k, w in scaled])
    return {k: from_minor(v, minor_units) for k, v in parts.items()}
