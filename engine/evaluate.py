"""One cart's evaluation: the passes over the promotions and the checks of each.

    Program.evaluate(cart)
      └ Evaluation.run(positions)         one pass, in evaluation order
          └ consider(promotion)
              ├ _eligibility              coupon entered, window, ``when``, usage limits
              ├ stacking_refusal          exclusive, group, coupons per order (stacking.py)
              └ _apply                    effect (effects.py), clamp, caps (caps.py), take
      then apply_max_discount (caps.py) and priced_result

The rules each step applies are those of docs/semantics.md#stacking.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from dsl.model import Shipping

from . import reasons as r
from .caps import cap_parts
from .cart import Cart
from .compile import LineFilter
from .effects import BaseLine, EffectInput, Parts, compute
from .facts import Facts
from .money import whole_minor
from .rejections import Pending
from .result import (
    Applied as AppliedEntry,
)
from .result import (
    LineDiscount,
    PricedLine,
    PricedShipping,
    Rejected,
    Rejections,
    Result,
)
from .stacking import SHIPPING, Applied, PassState, Refusal, stacking_refusal, take

if TYPE_CHECKING:
    from .program import CompiledPromotion, Program, UsageView


def _shown(moment: dt.datetime | None) -> str:
    return moment.isoformat() if moment is not None else ""


class Evaluation:
    """One cart's evaluation: the passes, and the checks of a single promotion in a pass."""

    def __init__(self, program: Program, cart: Cart, facts: Facts, at: dt.datetime,
                 chosen: dict[str, str], usage: UsageView | None) -> None:
        self.program = program
        self.cart = cart
        self.facts = facts
        self.at = at
        self.instant = at.astimezone(dt.UTC)
        self.chosen = chosen
        self.usage = usage
        ids = sorted(line["id"] for line in facts.lines)
        self.rank = {line_id: index for index, line_id in enumerate(ids)}
        self._matches: dict[int, list[dict[str, Any]]] = {}
        self._originals: dict[int, list[BaseLine]] = {}  # base "original": per target
        self.stacking = program.ruleset.stacking

    def start(self, coupons_only: bool) -> PassState:
        return PassState(
            coupons_only=coupons_only,
            remaining={line["id"]: line["total"] for line in self.facts.lines},
            shipping_left=self.cart.shipping.price.quantize(self.program.quantum)
            if self.cart.shipping else None)

    def run(self, positions: Iterable[int], coupons_only: bool) -> PassState:
        """One pass over the promotions at ``positions`` (in evaluation order).

        A rejected promotion leaves the state as it was, so a pass over a superset
        of the promotions that can apply is the pass over all of them."""
        state = self.start(coupons_only)
        promotions = self.program.promotions
        for position in positions:
            self.consider(promotions[position], position, state)
        return state

    def consider(self, compiled: CompiledPromotion, position: int, state: PassState) -> None:
        coupon = self._coupon(compiled)
        refusal = self._eligibility(compiled, coupon) or \
            stacking_refusal(compiled, state, self.stacking)
        if refusal is not None:
            code, sentence = refusal
            if isinstance(sentence, str):
                state.rejected[compiled.id] = Rejected(compiled.id, coupon, code, sentence)
            else:
                write = sentence
                state.rejected[compiled.id] = Pending(compiled.id, coupon,
                                                       lambda: (code, write()))
            return
        self._apply(compiled, position, coupon, state)

    # ------------------------------------------- eligibility: coupon entered, window, when, limits
    def _coupon(self, compiled: CompiledPromotion) -> str | None:
        return self.chosen.get(compiled.id)

    def _eligibility(self, cp: CompiledPromotion,
                     coupon: str | None) -> Refusal | None:
        promo = cp.promotion
        if cp.is_coupon and coupon is None:
            return r.COUPON_NOT_ENTERED, "needs a coupon code; none of its codes was entered"
        if cp.opens is not None and self.instant < cp.opens:
            code = r.COUPON_NOT_ACTIVE_YET if coupon else r.NOT_ACTIVE_YET
            return code, f"starts {_shown(cp.starts)} ({self.program.ruleset.timezone}); " \
                         f"evaluated at {self.at.isoformat()}"
        if cp.closes is not None and self.instant >= cp.closes:
            code = r.COUPON_EXPIRED if coupon else r.EXPIRED
            return code, f"ended {_shown(cp.ends)} ({self.program.ruleset.timezone}); " \
                         f"evaluated at {self.at.isoformat()}"
        if cp.when is not None and not cp.when(self.facts, None):
            code = r.COUPON_INELIGIBLE if coupon else r.CONDITIONS_NOT_MET
            node = promo.when.node if promo.when else None
            assert node is not None
            explainer, facts = self.program.explainer, self.facts
            return code, lambda: explainer.why_false(node, facts)
        if promo.limits is not None and promo.limits.per_customer is not None \
                and not self.cart.customer.id:
            # A per-customer limit cannot be counted for a guest: the promotion does
            # not apply, priced with a store or without one (docs/semantics.md#checks).
            return r.LIMIT_REACHED, ("needs a customer id: a per-customer limit cannot be "
                                     "counted for a guest cart")
        if self.usage is not None:
            refusal = self.usage.refusal(promo, self.cart.customer.id, coupon)
            if refusal is not None:
                return refusal
        return None

    # effect, caps, application
    def _matching(self, selects: LineFilter | None) -> list[dict[str, Any]]:
        """Lines a target condition selects; conditions see the original cart, so
        promotions sharing a condition share the answer."""
        if selects is None:
            return self.facts.lines
        found = self._matches.get(id(selects))
        if found is None:
            found = self._matches[id(selects)] = selects(self.facts)
        return found

    def _lines_for(self, condition: LineFilter | None,
                   remaining: dict[str, Decimal]) -> list[BaseLine]:
        base_original = self.stacking.base == "original"
        if base_original:  # the same lines for every promotion with this target
            found = self._originals.get(id(condition))
            if found is None:
                found = self._originals[id(condition)] = self._build_lines(condition, None)
            return found
        return self._build_lines(condition, remaining)

    def _build_lines(self, condition: LineFilter | None,
                     remaining: dict[str, Decimal] | None) -> list[BaseLine]:
        """The target lines as effects see them: based on what is left of each line,
        or (``remaining`` is ``None``) on its original total."""
        units = self.program.minor_units
        out = []
        for line in self._matching(condition):
            line_id = line["id"]
            total = line["total"]
            original = whole_minor(total, units)
            if remaining is None:
                base, base_minor = total, original
            else:
                base = remaining[line_id]
                base_minor = whole_minor(base, units)
            out.append(BaseLine(line_id, self.rank[line_id], int(line["quantity"]),
                                base, total, base_minor, original))
        return out

    def _apply(self, cp: CompiledPromotion, position: int, coupon: str | None,
               state: PassState) -> None:
        if self._nothing_left(cp, state):
            # Clamping will take every part to zero, whatever the effect computes.
            # What it computes (and so the reason) is worked out when read: the
            # lines and shipping it could take from stay at zero till then.  (The
            # closure keeps what it reads, not the pass: no reference cycle, so an
            # unread result is freed at once, not by the cyclic collector.)
            remaining, shipping_left = state.remaining, state.shipping_left
            state.rejected[cp.id] = Pending(cp.id, coupon, lambda: self._nothing(
                cp, coupon, *self._effect(cp, remaining, shipping_left)))
            return
        parts, targets = self._effect(cp, state.remaining, state.shipping_left)
        clamped = self._clamp(parts, state)
        if not clamped:
            code, sentence = self._nothing(cp, coupon, parts, targets)
            state.rejected[cp.id] = Rejected(cp.id, coupon, code, sentence)
            return
        clamped, zeroed_by = cap_parts(cp.id, clamped, self._caps(cp), state,
                                       self.program.quantum, self.program.minor_units)
        if zeroed_by == "budget":
            state.rejected[cp.id] = Rejected(cp.id, coupon, r.BUDGET_EXHAUSTED,
                                             "the promotion's budget is spent")
            return
        if zeroed_by == "max_amount":
            state.rejected[cp.id] = Rejected(cp.id, coupon, r.CAP_REACHED,
                                             "its max_amount leaves nothing to discount")
            return
        take(state, Applied(cp, position, coupon, clamped, parts.note, clamped))

    def _nothing_left(self, cp: CompiledPromotion, state: PassState) -> bool:
        """Whether every line (or the shipping) the effect could take from is at zero."""
        if isinstance(cp.promotion.effect, Shipping):
            return not state.shipping_left
        remaining = state.remaining
        return all(not remaining[line["id"]] for line in self._matching(cp.target)) and \
            (cp.get_target is None or all(not remaining[line["id"]]
                                          for line in self._matching(cp.get_target)))

    def _effect(self, cp: CompiledPromotion, remaining: dict[str, Decimal],
                shipping_left: Decimal | None) -> tuple[Parts, list[BaseLine]]:
        """The effect's uncapped parts on the lines it targets, and those lines."""
        promo = cp.promotion
        q = self.program.quantum
        targets = [] if isinstance(promo.effect, Shipping) else \
            self._lines_for(cp.target, remaining)
        get_targets = self._lines_for(cp.get_target, remaining) if cp.get_target else []
        shipping_base = None
        if self.cart.shipping is not None:
            shipping_base = (self.cart.shipping.price.quantize(q)
                             if self.stacking.base == "original" else shipping_left)
        parts = compute(promo.effect, EffectInput(targets, get_targets, shipping_base,
                                                  self.program.minor_units,
                                                  self.program.ruleset.rounding))
        return parts, targets

    def _nothing(self, cp: CompiledPromotion, coupon: str | None, parts: Parts,
                 targets: list[BaseLine]) -> tuple[str, str]:
        """The reason of a promotion whose parts came to zero."""
        code = r.NOTHING_TO_DISCOUNT
        if parts.unmet:
            code = r.COUPON_INELIGIBLE if coupon else r.CONDITIONS_NOT_MET
        return code, self._why_nothing(cp, parts, targets)

    def _clamp(self, parts: Parts, state: PassState) -> dict[str | None, Decimal]:
        """No line or shipping goes below zero."""
        out: dict[str | None, Decimal] = {}
        for line_id, amount in parts.lines.items():
            amount = min(amount, state.remaining[line_id])
            if amount > 0:
                out[line_id] = amount
        if parts.shipping > 0 and state.shipping_left is not None:
            amount = min(parts.shipping, state.shipping_left)
            if amount > 0:
                out[SHIPPING] = amount
        return out

    def _caps(self, cp: CompiledPromotion) -> list[tuple[str, Decimal]]:
        """The effect's ``max_amount``, then what is left of the budget."""
        caps: list[tuple[str, Decimal]] = []
        if cp.promotion.effect.max_amount is not None:
            caps.append(("max_amount", cp.promotion.effect.max_amount))
        if self.usage is not None:
            left = self.usage.budget_left(cp.promotion)
            if left is not None:
                caps.append(("budget", max(left, Decimal(0))))
        return caps

    def _why_nothing(self, cp: CompiledPromotion, parts: Parts,
                     targets: list[BaseLine]) -> str:
        promo = cp.promotion
        if parts.note and not parts.total:
            return parts.note
        if not isinstance(promo.effect, Shipping) and not targets and promo.target:
            shown = self.program.explainer.written(promo.target, self.facts)  # codes masked
            return f"no line matches target: {shown}"
        if not isinstance(promo.effect, Shipping) and not self.facts.lines:
            return "the cart has no lines"
        if targets and all(line.base == 0 for line in targets):
            return "the lines it targets are already discounted to zero"
        return "its effect takes nothing off the lines it targets"


def priced_result(program: Program, cart: Cart, at: dt.datetime, state: PassState,
                  rejected: Rejections) -> Result:
    """The result of a pass: every line and the shipping priced, what applied."""
    q = program.quantum
    lines = []
    for ln in cart.lines:
        discounts = tuple(LineDiscount(a.compiled.id, a.parts[ln.id])
                          for a in state.applied if a.parts.get(ln.id))
        lines.append(PricedLine(ln.id, ln.sku, ln.quantity, ln.unit_price.quantize(q),
                                ln.total.quantize(q), discounts))
    shipping = None
    if cart.shipping is not None:
        shipping = PricedShipping(
            cart.shipping.method, cart.shipping.price.quantize(q),
            tuple(LineDiscount(a.compiled.id, a.parts[SHIPPING]) for a in state.applied
                  if a.parts.get(SHIPPING)))
    applied = tuple(
        AppliedEntry(a.compiled.id, a.compiled.promotion.name, a.coupon, a.amount,
                sum((v for k, v in a.parts.items() if k is not SHIPPING), q * 0),
                a.parts.get(SHIPPING, q * 0), a.note)
        for a in state.applied)
    return Result(program.ruleset.ruleset, cart.id, program.ruleset.currency,
                  at.isoformat(), tuple(lines), shipping, applied, rejected,
                  tuple(state.capped), cart.customer.id, q * 0)
