"""The proven upper bound: interval reasoning over each effect and the stacking policy.

For one promotion, from its effect alone (docs/semantics.md#bound):

* ``amount``: the most it takes from one cart, lines and shipping together, or
  ``None`` when no cap the merchandiser set bounds it (then ``unbounded`` says
  why: only the cart's own size, a subtotal of at most 10^15, would);
* ``line_share``: the most it takes of one line's base (what is left of the
  line, or its original total with ``base: original``);
* ``items_share``: the most its line discounts are of the subtotal;
* ``shipping_share``: the most it takes of the shipping price;
* ``of_subtotal`` / ``of_total``: the most the whole discount is of the subtotal
  (``None``: unbounded) and of the subtotal plus the shipping price.

A ``when`` that needs ``cart.subtotal >= M`` (and a tier by subtotal at ``M``)
turns an amount into a share: ``10.00`` off from ``50`` is at most 20 %.

The ruleset's bound combines the promotions that can apply together: an
exclusive promotion alone; otherwise at most one promotion per group, at most
``coupons_per_order`` coupons (relaxed: the best of each group, the best
coupons, every other automatic promotion), coupons apart from automatic
promotions when they do not combine; shares add up with ``base: original`` and
compound with ``base: discounted``; ``max_discount`` caps the result.

Shares are exact fractions before rounding: each line discount a promotion
rounds may exceed them by half a minor unit (the rounding allowance).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import replace
from decimal import Decimal
from fractions import Fraction
from typing import Any

from dsl.effects import (
    AmountOff,
    AmountOffEach,
    Bundle,
    BuyGet,
    FixedPrice,
    Gift,
    PercentOff,
    Shipping,
    Tiers,
    TierStep,
)
from dsl.expr import nodes as n
from dsl.model import Promotion, Ruleset
from dsl.records import record
from engine.cart_fields import MAX_SHIPMENTS

ZERO, ONE = Fraction(0), Fraction(1)


@record
class PromotionBound:
    """What one promotion can take from one cart (see the module's docstring)."""

    id: str
    amount: Fraction | None
    unbounded: str | None
    line_share: Fraction
    items_share: Fraction
    shipping_share: Fraction
    of_subtotal: Fraction | None
    of_total: Fraction
    rounds: bool  # its line discounts are rounded (the rounding allowance applies)
    frees_lines: str | None  # how it alone can take a line to zero, or None
    exclusive: bool = False
    group: str | None = None
    coupon: bool = False

    @property
    def takes_lines(self) -> bool:
        return self.line_share > 0


@record
class RulesetBound:
    """What the whole ruleset can take from one cart under its stacking policy."""

    amount: Fraction | None
    unbounded: str | None
    of_subtotal: Fraction | None
    of_subtotal_why: str | None  # why the share of the subtotal is unbounded
    of_total: Fraction
    no_free_lines: bool  # proven: no line that costs something ends at zero
    free_lines_why: str | None  # why that is not proven
    promotions: tuple[PromotionBound, ...]


def _fraction(value: Decimal) -> Fraction:
    return Fraction(value)


def _least_subtotal(node: n.Node | None) -> Fraction:
    """The smallest subtotal a cart satisfying ``node`` can have (0 if unknown)."""
    if node is None:
        return ZERO
    if isinstance(node, n.And):
        return max(_least_subtotal(node.left), _least_subtotal(node.right))
    if isinstance(node, n.Or):
        return min(_least_subtotal(node.left), _least_subtotal(node.right))
    if isinstance(node, n.Compare):
        left, right, op = node.left, node.right, node.op
        if isinstance(left, n.Number):  # 50 <= cart.subtotal
            left, right = right, left
            op = {"<": ">", "<=": ">=", ">": "<", ">=": "<="}.get(op, op)
        if isinstance(left, n.Path) and left.parts == ("cart", "subtotal") and \
                isinstance(right, n.Number) and op in (">=", ">", "=="):
            return max(ZERO, _fraction(right.value))
    return ZERO


def _share_by(amount: Fraction | None, least: Fraction) -> Fraction | None:
    return amount / least if amount is not None and least > 0 else None


def _min(*values: Fraction | None) -> Fraction | None:
    known = [v for v in values if v is not None]
    return min(known) if known else None


@record
class _Effect:
    amount: Fraction | None
    unbounded: str | None
    line_share: Fraction
    items_share: Fraction
    shipping_share: Fraction
    rounds: bool
    frees: str | None
    least: Fraction  # the smallest subtotal of a cart it applies to


def _ceil_minor(amount: Decimal, minor_units: int) -> Fraction:
    """``amount`` rounded up to whole minor units (what one rounded unit can lose at most)."""
    scaled = Fraction(amount) * 10**minor_units
    return Fraction(-(-scaled.numerator // scaled.denominator), 10**minor_units)


def _percent_frees(percent: Fraction, rounding: str) -> bool:
    """Whether taking ``percent`` of a line (rounded) can leave nothing of it: a line
    of one minor unit loses it from 50 % on unless rounding is down."""
    return percent >= 1 or (rounding != "down" and percent >= Fraction(1, 2))


def _effect(effect: object, ruleset: Ruleset, least: Fraction) -> _Effect:
    mu, mode = ruleset.minor_units, ruleset.rounding
    uncapped = "no max_amount"
    if isinstance(effect, PercentOff):
        p = _fraction(effect.percent_off) / 100
        return _Effect(None, f"{effect.percent_off}% off lines whose prices nothing caps "
                       f"({uncapped})", p, p, ZERO, True,
                       f"{effect.percent_off}% off" if _percent_frees(p, mode) else None, least)
    if isinstance(effect, AmountOff):
        amount = _fraction(effect.amount_off)
        return _Effect(amount, None, ONE, min(ONE, _share_by(amount, least) or ONE), ZERO,
                       False, f"{effect.amount_off} off a line worth less", least)
    if isinstance(effect, AmountOffEach):
        each = _ceil_minor(effect.amount_off_each, mu)
        most = each * effect.max_units if effect.max_units is not None else None
        why = None if most is not None else \
            f"{effect.amount_off_each} off every unit, with no max_units ({uncapped})"
        return _Effect(most, why, ONE, min(ONE, _share_by(most, least) or ONE), ZERO,
                       effect.amount_off_each != each, f"{effect.amount_off_each} off each "
                       "unit worth less", least)
    if isinstance(effect, FixedPrice):
        frees = "a fixed price of 0" if effect.fixed_price * 10**mu < 1 else None
        return _Effect(None, f"every unit above {effect.fixed_price} comes down to it, "
                       f"however much it cost ({uncapped})", ONE, ONE, ZERO, True, frees, least)
    if isinstance(effect, BuyGet):
        p = _fraction(effect.percent_off) / 100
        share = p * Fraction(effect.get, effect.buy + effect.get) \
            if effect.get_target is None and effect.choose == "cheapest" and \
            effect.max_units_per_line is None else p  # (per line: dearer units too)
        return _Effect(None, f"buy {effect.buy} get {effect.get} on units whose prices "
                       f"nothing caps ({uncapped})", p, share, ZERO, True,
                       f"buy {effect.buy} get {effect.get} at {effect.percent_off}% off"
                       if _percent_frees(p, mode) else None, least)
    if isinstance(effect, Bundle):
        return _Effect(None, f"bundles of {effect.bundle.units} for {effect.bundle.price} "
                       f"save whatever the units cost above it ({uncapped})", ONE, ONE, ZERO,
                       True, "a bundle's saving may take all of a line", least)
    if isinstance(effect, Gift):
        return _gift(effect, mode, least)
    if isinstance(effect, Tiers):
        steps = [_step(step, effect.tiers.by, ruleset, least) for step in effect.tiers.steps]
        return _merge(steps)
    assert isinstance(effect, Shipping)
    spec = effect.shipping
    if spec.amount_off is not None:  # off each shipment: a cart holds at most MAX_SHIPMENTS
        amount = _fraction(spec.amount_off) * MAX_SHIPMENTS
        return _Effect(amount, None, ZERO, ZERO, ONE, False, None, least)
    share = _fraction(spec.percent_off) / 100 if spec.percent_off is not None else ONE
    return _Effect(None, f"a discount on a shipping price nothing caps ({uncapped})", ZERO,
                   ZERO, share, spec.percent_off is not None, None, least)


def _gift(effect: Gift, rounding: str, least: Fraction) -> _Effect:
    """A gift line: its value × percent_off, a share p of its own line and so of the
    subtotal (which counts the gift); under ``when_in_cart: discount`` a cart line with
    its sku may be discounted instead, at the cart's price, which nothing bounds."""
    spec = effect.gift
    p = _fraction(spec.percent_off) / 100
    if spec.when_in_cart == "discount":
        return _Effect(None, f"a gift in the cart ({spec.sku}) is discounted at the cart's "
                       "price, which nothing caps (no max_amount)", p, p, ZERO, True,
                       f"gift {spec.sku} in the cart at {spec.percent_off}% off"
                       if _percent_frees(p, rounding) else None, least)
    amount = _fraction(spec.unit_price) * spec.quantity * p
    return _Effect(amount, None, p, p, ZERO, True, None, least)


def _step(step: TierStep, by: str, ruleset: Ruleset, least: Fraction) -> _Effect:
    """One tier step as the effect it gives (a step by subtotal needs that subtotal)."""
    if by == "subtotal":
        least = max(least, _fraction(step.at))
    kinds: dict[str, Any] = {"percent_off": PercentOff, "amount_off": AmountOff,
             "amount_off_each": AmountOffEach, "fixed_price": FixedPrice}
    # the step's effect, as if written alone (built without validating again)
    effect = kinds[step.kind].model_construct(**{step.kind: getattr(step, step.kind)})
    return _effect(effect, ruleset, least)


def _merge(steps: list[_Effect]) -> _Effect:
    """The largest of each figure over the steps (any one of them may be reached)."""
    amounts = [s.amount for s in steps]
    unbounded = next((s.unbounded for s in steps if s.amount is None), None)
    shares = [_share_by(s.amount, s.least) for s in steps]
    items = [min(s.items_share, sh) if sh is not None else s.items_share
             for s, sh in zip(steps, shares, strict=True)]
    return _Effect(None if None in amounts else max(a for a in amounts if a is not None),
                   unbounded, max(s.line_share for s in steps), max(items),
                   max(s.shipping_share for s in steps), any(s.rounds for s in steps),
                   next((s.frees for s in steps if s.frees), None), ZERO)


def _capped(found: _Effect, cap: Decimal | None) -> _Effect:
    """An effect's figures under its ``max_amount``."""
    if cap is None:
        return found
    capped = _fraction(cap)
    return replace(found, amount=capped if found.amount is None else min(found.amount, capped),
                   unbounded=None)


def _together(each: list[_Effect], rounding: str) -> _Effect:
    """A promotion's several effects: their amounts add up, and so do their shares of a
    line, of the items and of the shipping (each at most all of it), whatever the base:
    with ``base: original`` they do, with ``discounted`` they compound, which is less.
    Each rounds its own part of a line: two that round up can take all of a line of a
    few minor units."""
    least = max(e.least for e in each)
    items = [_min(e.items_share, _share_by(e.amount, least)) or ZERO for e in each]
    line_share = min(ONE, sum((e.line_share for e in each), ZERO))
    frees = next((e.frees for e in each if e.frees), None)
    taking = [e for e in each if e.line_share]
    if frees is None and len(taking) > 1 and (
            line_share >= 1 or (rounding != "down" and any(e.rounds for e in taking))):
        frees = "its effects together can take all of a line"
    return _Effect(_sum(e.amount for e in each),
                   next((e.unbounded for e in each if e.amount is None), None), line_share,
                   min(ONE, sum(items, ZERO)),
                   min(ONE, sum((e.shipping_share for e in each), ZERO)),
                   any(e.rounds for e in each), frees, least)


def promotion_bound(promo: Promotion, ruleset: Ruleset) -> PromotionBound:
    """The bound of one promotion on its own."""
    least = _least_subtotal(promo.when.node if promo.when is not None else None)
    each = [_capped(_effect(effect, ruleset, least), effect.max_amount)
            for effect in promo.all_effects]
    found = each[0] if len(each) == 1 else _together(each, ruleset.rounding)
    least = max(least, found.least)
    amount, unbounded = found.amount, found.unbounded
    items = found.items_share
    by_amount = _share_by(amount, least)
    if by_amount is not None:
        items = min(items, by_amount)
    of_subtotal = _min(items if found.shipping_share == 0 else None, by_amount)
    of_total = min(ONE, max(items, found.shipping_share))
    if by_amount is not None:
        of_total = min(of_total, by_amount)
    return PromotionBound(promo.id, amount, unbounded, found.line_share, items,
                          found.shipping_share, of_subtotal, of_total, found.rounds,
                          found.frees, promo.exclusive, promo.group, promo.is_coupon)


# ------------------------------------------------------------------ the ruleset


def _selected(bounds: Iterable[PromotionBound], coupons: int,
              key: Callable[[PromotionBound], Fraction | None]) -> list[PromotionBound]:
    """A superset of the best set of promotions that can apply together (exclusive ones
    excepted): the best of each group, the best ``coupons`` coupons outside groups,
    every other automatic promotion.  ``None`` (unbounded) is the largest key."""

    def rank(b: PromotionBound) -> tuple[int, Fraction]:
        value = key(b)
        return (1, ZERO) if value is None else (0, value)

    best: dict[str, PromotionBound] = {}
    loose_coupons, others = [], []
    for bound in bounds:
        if bound.group is not None:
            if bound.group not in best or rank(bound) > rank(best[bound.group]):
                best[bound.group] = bound
        elif bound.coupon:
            loose_coupons.append(bound)
        else:
            others.append(bound)
    loose_coupons.sort(key=rank, reverse=True)
    return [*best.values(), *loose_coupons[:coupons], *others]


def _sum(values: Iterable[Fraction | None]) -> Fraction | None:
    total = ZERO
    for value in values:
        if value is None:
            return None
        total += value
    return total


def _compound(shares: Iterable[Fraction]) -> Fraction:
    """What successive shares take of a base each time what is left."""
    left = ONE
    for share in shares:
        left *= ONE - share
    return ONE - left


@record
class _Family:
    amount: Fraction | None
    unbounded: str | None
    of_subtotal: Fraction | None
    of_total: Fraction
    free_lines_why: str | None


def _family(members: list[PromotionBound], ruleset: Ruleset) -> _Family:
    """The bound of promotions that may stack (no exclusive one among them)."""
    stacking = ruleset.stacking
    coupons = stacking.coupons_per_order
    discounted = stacking.base == "discounted"

    def pick(key: Callable[[PromotionBound], Fraction | None]) -> list[PromotionBound]:
        return _selected(members, coupons, key)

    by_amount = pick(lambda b: b.amount)
    amount = _sum(b.amount for b in by_amount)
    unbounded = next((b.unbounded for b in by_amount if b.amount is None), None)
    lines = [b.line_share for b in pick(lambda b: b.line_share)]
    items = min(ONE, _sum(b.items_share for b in pick(lambda b: b.items_share)) or ZERO,
                _compound(lines) if discounted else _sum(lines) or ZERO)
    ships = [b.shipping_share for b in pick(lambda b: b.shipping_share)]
    shipping = min(ONE, _compound(ships) if discounted else _sum(ships) or ZERO)
    summed = _sum(b.of_subtotal for b in pick(lambda b: b.of_subtotal))
    of_subtotal = _min(summed, items if shipping == 0 else None)
    of_total = min(ONE, max(items, shipping),
                   _sum(b.of_total for b in pick(lambda b: b.of_total)) or ZERO)
    return _Family(amount, unbounded, of_subtotal, of_total,
                   _free_lines_why(members, ruleset))


def _free_lines_why(members: list[PromotionBound], ruleset: Ruleset) -> str | None:
    """Why it is not proven that no line ends at zero (``None``: proven)."""
    for bound in members:
        if bound.takes_lines and bound.frees_lines:
            return f"{bound.id}: {bound.frees_lines}"
    if ruleset.stacking.base == "discounted":
        return None  # each leaves something of what the one before left
    taking = _selected([b for b in members if b.takes_lines], ruleset.stacking.coupons_per_order,
                       lambda b: b.line_share)
    if len(taking) <= 1:
        return None
    total = _sum(b.line_share for b in taking) or ZERO
    if ruleset.rounding == "down" and total < 1:
        return None
    ids = ", ".join(b.id for b in taking[:3])
    return f"with base: original, promotions ({ids}{', …' if len(taking) > 3 else ''}) " \
        "each take their share of the same original line, rounded"


def ruleset_bound(ruleset: Ruleset) -> RulesetBound:
    """The proven bound of ``ruleset``: each promotion, and the whole under its stacking."""
    bounds = tuple(promotion_bound(p, ruleset) for p in ruleset.promotions)
    stacking = ruleset.stacking
    usable = [b for b in bounds if not b.coupon or stacking.coupons_per_order > 0]
    families: list[_Family] = []
    for bound in usable:
        if bound.exclusive:
            families.append(_family([bound], ruleset))
    stacked = [b for b in usable if not b.exclusive]
    if stacking.coupon_with_automatic:
        groups = [stacked]
    else:
        groups = [[b for b in stacked if b.coupon], [b for b in stacked if not b.coupon]]
    families.extend(_family(members, ruleset) for members in groups if members)
    if not families:
        return RulesetBound(ZERO, None, ZERO, None, ZERO, True, None, bounds)
    amounts = [f.amount for f in families]
    amount = None if None in amounts else max(a for a in amounts if a is not None)
    unbounded = next((f.unbounded for f in families if f.amount is None), None)
    subtotals = [f.of_subtotal for f in families]
    of_subtotal = None if None in subtotals else max(s for s in subtotals if s is not None)
    of_total = max(f.of_total for f in families)
    why_subtotal = None if of_subtotal is not None else \
        "a discount on the shipping, whose price the subtotal does not bound"
    cap = stacking.max_discount
    result = RulesetBound(amount, unbounded, of_subtotal, why_subtotal, of_total,
                          all(f.free_lines_why is None for f in families),
                          next((f.free_lines_why for f in families if f.free_lines_why),
                               None), bounds)
    if cap is not None:
        if cap.amount is not None:
            limit = _fraction(cap.amount)
            result = replace(result, amount=limit if amount is None else min(amount, limit),
                             unbounded=None)
        if cap.percent_of_subtotal is not None:
            share = _fraction(cap.percent_of_subtotal) / 100
            result = replace(result, of_subtotal=_min(result.of_subtotal, share),
                             of_subtotal_why=None, of_total=min(result.of_total, share))
    return result
