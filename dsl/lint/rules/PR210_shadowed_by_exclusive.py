"""A promotion that an earlier exclusive promotion always blocks.

What it finds: a promotion `L` reached after an exclusive promotion `E`
(higher priority, or equal priority and a smaller id) where `E`
certainly applies whenever `L` could:

* `E` is automatic, has no `limits` and no `group`;
* `E`'s window covers `L`'s, and every promotion reached before `E` is
  inactive during `L`'s window (so nothing can make `E` step aside);
* `E`'s `when` holds whenever `L`'s does, and `E`'s `target` covers every
  line `L` discounts (its `target` and `get_target`);
* `E`'s effect moves money on any line of value (`percent_off`,
  `amount_off`, `amount_off_each`; for shipping: `free`, `percent_off`,
  `amount_off`).

With `coupon_with_automatic: false` a coupon `L` is not reported: a
coupon that applies pushes the automatic `E` aside. Under `mode: best_deal`
nothing is reported: the priority order does not decide there, the amounts
do, and `L` (with others) applies whenever it gives more than `E` alone. An
`E` with a weekly schedule (`active.days` or `hours`) is closed part of the
week, so it blocks nothing for sure.

Why it costs money: `L` was approved and maybe announced, but never gives
anything — the "extra 10 % for members during the sale" that the sale
blocks. Customers complain and get the difference refunded by hand; or
someone "fixes" it by removing `exclusive`, and the two stack.

Avoid:

    - id: sale-30
      priority: 100
      exclusive: true
      effect: { percent_off: 30 }
    - id: members-10
      priority: 50
      when: customer.segments contains "member"
      effect: { percent_off: 10 }

Prefer: decide which wins and say so: drop `exclusive`, give `members-10` a
higher priority (then the sale steps aside for members), or delete it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

from ...effects import AmountOff, AmountOffEach, Effect, Gift, PercentOff, Shipping
from ...errors import Diagnostic, Severity
from ...model import Promotion
from ..conditions import implies
from ..context import LintRuleset, finding

CODE = "PR210"
NAME = "shadowed-by-exclusive"
SEVERITY = Severity.WARNING

Bounds = tuple[dt.datetime | None, dt.datetime | None]


def _bounds(ruleset: LintRuleset, promo: Promotion) -> Bounds:
    if promo.active is None:
        return None, None
    start = ruleset.moment(promo.active.from_) if promo.active.from_ is not None else None
    end = ruleset.moment(promo.active.until) if promo.active.until is not None else None
    return start, end


def _covers(outer: Bounds, inner: Bounds) -> bool:
    (o_start, o_end), (i_start, i_end) = outer, inner
    if o_start is not None and (i_start is None or i_start < o_start):
        return False
    return o_end is None or (i_end is not None and i_end <= o_end)


def _disjoint(a: Bounds, b: Bounds) -> bool:
    (a_start, a_end), (b_start, b_end) = a, b
    return (a_end is not None and b_start is not None and a_end <= b_start) or \
        (b_end is not None and a_start is not None and b_end <= a_start)


def _blocker(promo: Promotion) -> bool:
    """An exclusive promotion nothing can stop once it is reached first."""
    if not promo.exclusive or promo.is_coupon or promo.group is not None:
        return False
    if promo.limits is not None:
        return False
    if promo.active is not None and (promo.active.days is not None
                                     or promo.active.hours is not None):
        return False  # closed part of the week: what it blocks then applies
    effect = promo.effect
    if isinstance(effect, Shipping):
        return effect.shipping.kind in ("free", "percent_off", "amount_off")
    return isinstance(effect, (PercentOff, AmountOff, AmountOffEach))


def _covered(blocker: Promotion, promo: Promotion) -> bool:
    if not implies(promo.when.node if promo.when else None,
                   blocker.when.node if blocker.when else None):
        return False
    return all(_effect_covered(blocker, promo, effect) for effect in promo.all_effects)


def _effect_covered(blocker: Promotion, promo: Promotion, effect: Effect) -> bool:
    """Whether every line (or the shipping) ``effect`` of ``promo`` takes from is one
    that ``blocker`` (an exclusive promotion of one effect) takes from too."""
    if isinstance(effect, Shipping):
        return isinstance(blocker.effect, Shipping)
    if isinstance(blocker.effect, Shipping):
        return False
    reach = blocker.target.node if blocker.target else None
    target = None if isinstance(effect, Gift) else \
        effect.target if effect.target is not None else promo.target  # (a gift: any line)
    if not implies(target.node if target else None, reach):
        return False
    get_target = getattr(effect, "get_target", None)
    return get_target is None or implies(get_target.node, reach)


def check(ruleset: LintRuleset) -> Iterator[Diagnostic]:
    if ruleset.stacking.mode == "best_deal":
        return  # the largest set wins, whatever came first
    order = ruleset.in_order()
    windows = {index: _bounds(ruleset, promo) for index, promo in order}
    coupons_first = not ruleset.stacking.coupon_with_automatic
    for rank, (e_index, blocker) in enumerate(order):
        if not _blocker(blocker):
            continue
        before = [index for index, _ in order[:rank]]
        for l_index, promo in order[rank + 1:]:
            if coupons_first and promo.is_coupon:
                continue
            window = windows[l_index]
            if not _covers(windows[e_index], window):
                continue
            if not all(_disjoint(windows[p], window) for p in before):
                continue
            if not _covered(blocker, promo):
                continue
            line = ruleset.line_of("promotions", e_index, "id")
            yield finding(CODE, SEVERITY, f"'{promo.id}' can never apply: the exclusive "
                          f"promotion '{blocker.id}' (line {line}) is reached first, is "
                          "active and eligible whenever it is, and blocks it",
                          ruleset.span("promotions", l_index, "id"),
                          "decide which wins: drop exclusive, raise this promotion's "
                          "priority, or delete it")
