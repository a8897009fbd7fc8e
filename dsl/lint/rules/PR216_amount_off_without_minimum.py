"""An amount off with no minimum spend above that amount.

What it finds: an `amount_off` effect whose `when` does not require
`cart.subtotal` (or a `sum(item.total ...)`) to be above the amount, and a
subtotal tier step whose `amount_off` is at least its threshold.

Why it costs money: "10.00 off" on a 6.00 basket is a free basket. Without a
minimum spend the amount off becomes "anything under 10.00 for free", which
deal hunters find quickly (one cheap item per order, shipping on top).

Avoid:

    coupon: TAKE10
    effect: { amount_off: "10.00" }

Prefer:

    coupon: TAKE10
    when: cart.subtotal >= 50
    effect: { amount_off: "10.00" }
"""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal

from ...effects import AmountOff, Effect, Tiers
from ...errors import Diagnostic, Severity
from ...expr import nodes as n
from ...model import Promotion
from ..conditions import implies
from ..context import LintRuleset, finding

CODE = "PR216"
NAME = "amount-off-without-minimum"
SEVERITY = Severity.WARNING


def _conjuncts(node: n.Node) -> Iterator[n.Node]:
    stack = [node]
    while stack:
        current = stack.pop()
        if isinstance(current, n.And):
            stack.extend((current.right, current.left))
        else:
            yield current


def _spend(node: n.Node) -> bool:
    if isinstance(node, n.Path):
        return node.dotted == "cart.subtotal"
    return isinstance(node, n.Call) and node.name == "sum" and len(node.args) == 1 and \
        isinstance(node.args[0], n.Path) and node.args[0].dotted == "item.total"


def has_minimum(when: n.Node | None, amount: Decimal) -> bool:
    """Does ``when`` require a spend above ``amount``?"""
    if when is None:
        return False
    if implies(when, n.Compare(">", n.Path(("cart", "subtotal")), n.Number(amount))):
        return True
    for part in _conjuncts(when):
        if not isinstance(part, n.Compare) or not isinstance(part.right, n.Number):
            continue
        if _spend(part.left) and ((part.op == ">=" and part.right.value > amount) or
                                  (part.op == ">" and part.right.value >= amount)):
            return True
    return False


def check(ruleset: LintRuleset) -> Iterator[Diagnostic]:
    for index, promo in enumerate(ruleset.promotions):
        for where, effect in promo.effect_paths():
            yield from _effect(ruleset, promo, effect, ("promotions", index, *where))


def _effect(ruleset: LintRuleset, promo: Promotion, effect: Effect,
            base: tuple[str | int, ...]) -> Iterator[Diagnostic]:
    if isinstance(effect, AmountOff):
        amount = effect.amount_off
        if not has_minimum(promo.when.node if promo.when else None, amount):
            yield finding(CODE, SEVERITY, f"{amount:f} off with no minimum spend above "
                          f"{amount:f}: a smaller basket is discounted to zero",
                          ruleset.span(*base, "amount_off"),
                          f"add a minimum spend, e.g. when: cart.subtotal >= "
                          f"{amount * 5:f}")
    elif isinstance(effect, Tiers) and effect.tiers.by == "subtotal":
        for k, step in enumerate(effect.tiers.steps):
            if step.amount_off is not None and step.amount_off >= step.at:
                yield finding(CODE, SEVERITY, f"the tier at {step.at:f} gives "
                              f"{step.amount_off:f} off: a basket at the threshold is "
                              "discounted to zero",
                              ruleset.span(*base, "tiers", "steps", k, "amount_off"),
                              "raise the threshold above the amount")
