"""One cart's evaluation: the passes over the promotions and the checks of each.

    Program.evaluate(cart)
      └ Evaluation.run(positions)         one pass, in evaluation order
          └ consider(promotion)
              ├ _eligibility              coupon entered, window, schedule, ``when``, limits
              ├ stacking_refusal          exclusive, group, coupons per order (stacking.py)
              └ its plan (plans.py), or _apply    effect (effects.py), clamp, caps (caps.py), take
      then apply_max_discount (caps.py) and priced_result (priced.py)

The rules each step applies are those of docs/semantics.md#stacking.  The lines
an effect sees are made by ``effect_lines.py``, and the reasons written when read
by ``why_nothing.py``: both are mixins of ``Evaluation``.
"""

from __future__ import annotations

import datetime as dt
import sys
from collections.abc import Iterable
from decimal import Decimal
from typing import TYPE_CHECKING, Any, NamedTuple

from dsl.codes import EVALUATION_TOO_LARGE
from dsl.effects import Gift
from dsl.errors import Diagnostic

from . import reasons as r
from .caps import cap_parts
from .cart import Cart, CartError
from .effect_lines import effect_input
from .effects import BaseLine, Parts, compute
from .facts import Facts
from .result import GiftLine, Moment
from .result_shipping import PartKey, ShipmentKey
from .stacking import (
    SHIPPING,
    Applied,
    PassState,
    Refusal,
    Remaining,
    stacking_refusal,
    take,
)
from .why_nothing import NothingReasons

if TYPE_CHECKING:
    from .bestdeal import Decision
    from .program import CompiledEffect, CompiledPromotion, Program, UsageView


def _too_large(message: str) -> CartError:
    return CartError([Diagnostic(EVALUATION_TOO_LARGE, f"lines: {message}",
                                 hint="split the cart, or the ruleset")])


class Bounds(NamedTuple):
    """What one evaluation may hold and compute (``program.MAX_APPLIED``, ``MAX_WORK``)."""

    applied: int  # the cart's lines (at least one) times the promotions applied in a pass
    work: int  # line discounts computed, the reasons' included: each effect counts the
    # lines it takes from (at least one)


UNBOUNDED = Bounds(sys.maxsize, sys.maxsize)


class Evaluation(NothingReasons):
    """One cart's evaluation: the passes, and the checks of a single promotion in a pass.

    Within ``bounds``, the reasons of its result included (reading them may raise
    the ``CartError`` then)."""

    # (one per cart, read at every step: slots are quicker to set and to read)
    __slots__ = ("_latest", "_matches", "_originals", "_originals_by_id", "at", "bounds",
                 "cart", "chosen", "deal", "facts", "instant", "moment", "plans", "program",
                 "stacking", "usage", "work")

    def __init__(self, program: Program, cart: Cart, facts: Facts, at: dt.datetime,
                 chosen: dict[str, str], usage: UsageView | None,
                 bounds: Bounds = UNBOUNDED) -> None:
        self.bounds = bounds
        self.work = 0
        self.program = program
        self.cart = cart
        self.facts = facts
        self.at = at
        # In the result and the reasons about windows: in the ruleset's timezone, like the
        # windows it is compared with (written when read: ``at_text``).
        local = facts.local  # (the facts' own, when they are of this moment)
        if local is None or facts.cart.get("at") is not at:
            local = at.astimezone(program.zone)
        self.moment = Moment(local)  # (its text shared with the result)
        self.instant = at.astimezone(dt.UTC)
        self.chosen = chosen
        self.usage = usage
        self._matches: dict[int, list[dict[str, Any]]] = {}
        self._originals: dict[int, list[BaseLine]] = {}  # base "original": per target
        # Each line as effects last saw it, on its original total and on what is left
        # of it: most lines keep their base from one promotion to the next, and an
        # effect is then handed the same ``BaseLine`` again (see ``_build_lines``).
        self._originals_by_id: dict[str, BaseLine] = {}
        self._latest: dict[str, BaseLine] = {}
        self.stacking = program.ruleset.stacking
        self.deal: Decision | None = None  # stacking.mode: best_deal: the set chosen
        # each promotion's specialised application (``plans.py``): not for the
        # evaluations that record or search, which see every step, nor with a store
        self.plans = program.plans if type(self) is Evaluation and usage is None else None

    @property
    def at_text(self) -> str:
        """The moment as the result and the reasons show it: in the ruleset's timezone,
        to the second."""
        return self.moment.text

    def start(self, coupons_only: bool) -> PassState:
        facts, cart = self.facts, self.cart
        return PassState.fresh(
            coupons_only,
            Remaining.of(facts.totals or {line["id"]: line["total"] for line in facts.lines},
                         self.program.minor_units),
            facts.cart["shipping_price"] if cart.shipping else None,
            {shipment["id"]: shipment["price"] for shipment in facts.shipments}
            if cart.shipments is not None else {})

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
        coupon = self.chosen.get(compiled.id)
        refusal = self._eligibility(compiled, coupon)
        if refusal is None and self.deal is not None and position not in self.deal.chosen:
            state.rejected[compiled.id] = self.deal.rejection(compiled, position, coupon)
            return
        refusal = refusal or stacking_refusal(compiled, state, self.stacking)
        if refusal is not None:
            code, sentence = refusal  # the sentence may be written only when read
            state.rejected[compiled.id] = (compiled.id, coupon, code, sentence)
            return
        plans = self.plans  # (the promotion's plan, if it has one: ``plans.py``)
        if plans is not None:
            plan = plans[position]
            if plan is not None:
                plan(self, compiled, position, coupon, state)
                return
        self._apply(compiled, position, coupon, state)

    # ------------------------------------------- eligibility: coupon entered, window, when, limits
    def _eligibility(self, cp: CompiledPromotion,
                     coupon: str | None) -> Refusal | None:
        promo = cp.promotion
        if cp.is_coupon and coupon is None:
            return r.COUPON_NOT_ENTERED, "needs a coupon code; none of its codes was entered"
        # (the sentences are written when read: formatting moments costs more than the check)
        if cp.opens is not None and self.instant < cp.opens:
            code = r.COUPON_NOT_ACTIVE_YET if coupon else r.NOT_ACTIVE_YET
            zone, moment = self.program.ruleset.timezone, self.moment
            return code, lambda: f"starts {cp.window[0]} ({zone}); evaluated at {moment.text}"
        if cp.closes is not None and self.instant >= cp.closes:
            code = r.COUPON_EXPIRED if coupon else r.EXPIRED
            zone, moment = self.program.ruleset.timezone, self.moment
            return code, lambda: f"ended {cp.window[1]} ({zone}); evaluated at {moment.text}"
        if cp.schedule is not None and not cp.schedule.is_open(self.instant):
            return r.OUTSIDE_SCHEDULE, lambda: self.outside_schedule(cp)
        if cp.when is not None and not cp.when(self.facts, None):
            code = r.COUPON_INELIGIBLE if coupon else r.CONDITIONS_NOT_MET
            node = promo.when.node if promo.when else None
            assert node is not None
            explainer, facts = self.program.explainer, self.facts
            return code, lambda: explainer.why_false(node, facts)
        if not cp.limited and self.usage is None:  # (most: nothing else to check)
            return None
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
        elif promo.coupon_batch is not None:
            # a batch code is valid once, and only the store knows which were generated
            # and which are used: without it the code is not taken on trust
            return r.COUPON_UNVERIFIED, (f"codes of the batch {promo.coupon_batch} are checked "
                                         "against the usage store; priced without one")
        return None

    def _apply(self, cp: CompiledPromotion, position: int, coupon: str | None,
               state: PassState) -> None:
        """The general path: what a plan does, asking at every step what the promotion
        needs (``consider`` hands a promotion to its plan when it has one)."""
        if len(cp.effects) > 1:
            self._apply_several(cp, position, coupon, state)
            return
        single = cp.effects[0]
        if self._nothing_left(cp, single, state.remaining, state.shipping_left,
                              state.shipments_left):
            self.nothing_left(cp, single, coupon, state)
            return
        parts, targets = self._effect(cp, single, state.remaining, state.shipping_left,
                                      state.shipments_left)
        clamped = self._clamp(parts, state.remaining, state.shipping_left, state.shipments_left)
        if not clamped:  # (the sentence is written when read)
            state.rejected[cp.id] = (cp.id, coupon, self._nothing_code(coupon, [parts]),
                                     lambda: self._why_nothing(cp, single, parts, targets))
            return
        caps = self._budget(cp) if self.usage is not None else []
        if single.effect.max_amount is not None:
            caps.insert(0, ("max_amount", single.effect.max_amount))
        zeroed_by = None
        if caps:
            clamped, zeroed_by = cap_parts(cp.id, clamped, caps, state, self.program.quantum,
                                           self.program.minor_units)
        if zeroed_by is not None and self._zeroed(cp, coupon, zeroed_by, state):
            return
        self._take(state, Applied(cp, position, coupon, clamped, parts.note, clamped,
                                  () if parts.gift is None else (parts.gift,)))

    def _apply_several(self, cp: CompiledPromotion, position: int, coupon: str | None,
                       state: PassState) -> None:
        """A promotion's ``effects`` in order, as one promotion: each is computed on its
        base (with ``base: discounted``, what the effects before it left), clamped to
        what is left, cut by its own ``max_amount``; their sum is the promotion's
        discount, cut by the budget (docs/semantics.md#several-effects)."""
        remaining = state.remaining.copy()
        shipping_left = state.shipping_left
        shipments_left = dict(state.shipments_left)
        total: dict[PartKey, Decimal] = {}
        computed, notes, capped_out = [], [], False
        gifts: list[GiftLine] = []
        for compiled in cp.effects:
            parts, targets, clamped, zeroed = self._one_of_several(
                cp, compiled, remaining, shipping_left, shipments_left, state)
            computed.append((compiled, parts, targets))
            capped_out = capped_out or zeroed
            gift = parts.gift.id if parts.gift is not None else None
            if parts.gift is not None and parts.gift.id in clamped:
                gifts.append(parts.gift)
            for key, amount in clamped.items():
                if key is SHIPPING:
                    assert shipping_left is not None
                    shipping_left -= amount
                elif isinstance(key, ShipmentKey):
                    shipments_left[key.id] -= amount
                elif key != gift:  # (a gift line is the gift's alone: no effect after it)
                    remaining.take(key, amount)
                total[key] = total[key] + amount if key in total else amount
            if parts.note and clamped:
                notes.append(parts.note)
        if not total:
            if capped_out:
                state.rejected[cp.id] = (cp.id, coupon, r.CAP_REACHED, "the max_amount of its "
                                         "effects leaves nothing to discount")
            else:
                state.rejected[cp.id] = (cp.id, coupon, self._nothing_code(
                    coupon, [parts for _, parts, _ in computed]),
                    lambda: self._nothing(cp, coupon, computed)[1])
            return
        zeroed_by = None
        budget = self._budget(cp)
        if budget:
            total, zeroed_by = cap_parts(cp.id, total, budget, state, self.program.quantum,
                                         self.program.minor_units)
        if self._zeroed(cp, coupon, zeroed_by, state):
            return
        given = tuple(gift for gift in gifts if gift.id in total)  # (cut to zero: no line)
        self._take(state, Applied(cp, position, coupon, total, "; ".join(notes) or None, total,
                                  given))

    def _one_of_several(self, cp: CompiledPromotion, ce: CompiledEffect, remaining: Remaining,
                        shipping_left: Decimal | None, shipments_left: dict[str, Decimal],
                        state: PassState,
                        ) -> tuple[Parts, list[BaseLine], dict[PartKey, Decimal], bool]:
        """One effect of several: its parts, its lines, what it takes (clamped, then cut
        by its ``max_amount``), and whether that cap took it to zero."""
        parts, targets = self._effect(cp, ce, remaining, shipping_left, shipments_left)
        clamped = self._clamp(parts, remaining, shipping_left, shipments_left)
        zeroed_by = None
        if clamped and ce.effect.max_amount is not None:
            clamped, zeroed_by = cap_parts(cp.id, clamped, [("max_amount", ce.effect.max_amount)],
                                           state, self.program.quantum, self.program.minor_units)
        return parts, targets, clamped, zeroed_by is not None

    @staticmethod
    def _zeroed(cp: CompiledPromotion, coupon: str | None, zeroed_by: str | None,
                state: PassState) -> bool:
        """Whether a cap took the promotion to zero (then it is rejected)."""
        if zeroed_by == "budget":
            state.rejected[cp.id] = (cp.id, coupon, r.BUDGET_EXHAUSTED,
                                     "the promotion's budget is spent")
            return True
        if zeroed_by == "max_amount":
            state.rejected[cp.id] = (cp.id, coupon, r.CAP_REACHED,
                                     "its max_amount leaves nothing to discount")
            return True
        return False

    def _take(self, state: PassState, entry: Applied) -> None:
        take(state, entry)
        self.check_applied(state)

    def check_applied(self, state: PassState) -> None:
        """What the pass applied so far is within ``Bounds.applied``."""
        lines = max(1, len(self.facts.lines))
        if len(state.applied) * lines > self.bounds.applied:
            raise _too_large(f"more than {self.bounds.applied:,} line discounts in the result "
                             f"({len(self.facts.lines):,} lines × {len(state.applied):,} "
                             "promotions applied so far)")

    def _effect(self, cp: CompiledPromotion, ce: CompiledEffect, remaining: Remaining,
                shipping_left: Decimal | None, shipments_left: dict[str, Decimal],
                ) -> tuple[Parts, list[BaseLine]]:
        """One effect's uncapped parts on the lines it targets (or the shipments the
        promotion's shipment_target selects), and those lines."""
        effect = ce.effect
        gift_id = ""
        is_shipping = ce.shipping
        if isinstance(effect, Gift):
            targets = self._gift_lines(effect, remaining)
            gift_id = self._gift_id(cp.id, effect.gift.sku)
        elif is_shipping:
            targets = []
        else:
            targets = self._lines_for(ce.target, remaining)
        get_targets = self._lines_for(ce.get_target, remaining) if ce.get_target else []
        shipping_base, shipments = None, None
        original = self.stacking.base == "original"
        cart, program = self.cart, self.program
        if cart.shipping is not None and (not is_shipping or self.selected_shipments(cp)):
            shipping_base = self.facts.cart["shipping_price"] if original else shipping_left
        if cart.shipments is not None:
            shipments = tuple((s["id"], s["price"] if original else shipments_left[s["id"]])
                              for s in (self.selected_shipments(cp) if is_shipping else ()))
        parts = compute(effect, effect_input((targets, get_targets, shipping_base,
                                               program.minor_units, program.rounding,
                                               shipments, gift_id)))
        self.count_work(max(1, len(targets), len(parts.lines)))
        return parts, targets

    def count_work(self, lines: int) -> None:
        """One effect computed, taking from ``lines`` lines (``Bounds.work``)."""
        self.work += lines
        if self.work > self.bounds.work:
            raise _too_large(f"pricing this cart computes more than {self.bounds.work:,} line "
                             "discounts (the lines each promotion takes from, and the reasons)")

    def _clamp(self, parts: Parts, remaining: Remaining, shipping_left: Decimal | None,
               shipments_left: dict[str, Decimal]) -> dict[PartKey, Decimal]:
        """No line, shipping or shipment goes below zero."""
        out: dict[PartKey, Decimal] = {}
        gift = parts.gift
        for line_id, amount in parts.lines.items():
            # (``min(amount, left)`` written out: it keeps ``amount`` when they are equal)
            left = gift.total if gift is not None and line_id == gift.id \
                else remaining[line_id]
            if amount > left:
                amount = left
            if amount > 0:
                out[line_id] = amount
        if parts.shipping > 0 and shipping_left is not None:
            amount = min(parts.shipping, shipping_left)
            if amount > 0:
                out[SHIPPING] = amount
        for shipment, amount in parts.shipments.items():
            amount = min(amount, shipments_left[shipment])
            if amount > 0:
                out[ShipmentKey(shipment)] = amount
        return out

    def _budget(self, cp: CompiledPromotion) -> list[tuple[str, Decimal]]:
        """What is left of the promotion's budget, as a cap (none without a store)."""
        caps: list[tuple[str, Decimal]] = []
        if self.usage is not None:
            left = self.usage.budget_left(cp.promotion)
            if left is not None:
                caps.append(("budget", max(left, Decimal(0))))
        return caps
