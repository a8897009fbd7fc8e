"""Run a compiled ruleset against a cart: eligibility, effects, stacking, caps.

    program = compile_ruleset(ruleset)      # once
    result = program.evaluate(cart)         # per cart

The order, the stacking rules and the cap follow DESIGN.md ("Stacking
semantics", "Precise semantics"); each step below names the rule it applies.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_DOWN, Decimal
from typing import Any, Protocol

from dsl import Ruleset
from dsl.errors import Diagnostic
from dsl.model import Promotion, Shipping, normalise_code
from dsl.ruleset import gc_paused

from . import reasons as r
from .cart import CART_CURRENCY, Cart, CartError
from .compile import Compiled, Facts, LineFilter, compile_condition, compile_line_filter
from .effects import BaseLine, EffectInput, Parts, compute
from .explain import Explainer
from .index import PromotionIndex
from .money import allocate_minor, from_minor, quantum, whole_minor
from .result import (
    Applied,
    Cap,
    LineDiscount,
    PricedLine,
    PricedShipping,
    Rejected,
    Rejections,
    Result,
)

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
SHIPPING = None  # the allocation key of the shipping part


class UsageView(Protocol):
    """Read-only view of the usage store, for dry runs that respect limits."""

    def refusal(self, promotion: Promotion, customer: str, code: str | None,
                ) -> tuple[str, str] | None:
        """``(reason code, sentence)`` when a use limit is reached, else ``None``."""

    def budget_left(self, promotion: Promotion) -> Decimal | None:
        """Discount budget still available (``None`` when unlimited)."""


@dataclass(frozen=True)
class CompiledPromotion:
    """A promotion with its conditions compiled and its window resolved."""

    id: str
    promotion: Promotion
    when: Compiled | None
    target: LineFilter | None  # the lines it selects, from the cart's facts
    get_target: LineFilter | None
    starts: dt.datetime | None  # as written, in the ruleset's timezone (for reasons)
    ends: dt.datetime | None
    is_coupon: bool  # read for every promotion of every cart: kept at hand
    # the window as instants (UTC): moments in one zone compare by wall clock in
    # Python, which a daylight-saving change makes disagree with their order
    opens: dt.datetime | None = field(init=False)
    closes: dt.datetime | None = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "opens", _instant(self.starts))
        object.__setattr__(self, "closes", _instant(self.ends))

    def active(self, at: dt.datetime) -> bool:
        """Whether the window contains instant ``at`` (a UTC datetime)."""
        return (self.opens is None or self.opens <= at) and \
            (self.closes is None or at < self.closes)


@dataclass
class _Applied:
    compiled: CompiledPromotion
    position: int  # in evaluation order
    coupon: str | None
    parts: dict[str | None, Decimal]  # may be cut later by max_discount
    note: str | None
    taken: dict[str | None, Decimal]  # what it took when it applied

    @property
    def amount(self) -> Decimal:
        return sum(self.parts.values(), Decimal(0))


@dataclass(frozen=True)
class _Pending:
    """A rejection worked out when it is read: explaining a false condition
    evaluates its parts again, and an effect with nothing left to take from need
    not be computed to know it moves no money; most results are never read for
    their reasons."""

    promotion: str
    coupon: str | None
    resolve: Callable[[], tuple[str, str]]  # → (reason code, sentence)

    def rejected(self) -> Rejected:
        return Rejected(self.promotion, self.coupon, *self.resolve())


def _written(entry: Rejected | _Pending) -> Rejected:
    return entry.rejected() if isinstance(entry, _Pending) else entry


Refusal = tuple[str, str | Callable[[], str]]  # reason code, sentence (or how to write it)


@dataclass
class _Pass:
    """The running state of one pass over the promotions."""

    coupons_only: bool
    remaining: dict[str, Decimal]
    shipping_left: Decimal | None
    applied: list[_Applied] = field(default_factory=list)
    history: list[_Applied] = field(default_factory=list)  # applied, in order, kept
    rejected: dict[str, Rejected | _Pending] = field(default_factory=dict)
    capped: list[Cap] = field(default_factory=list)
    exclusive: str | None = None
    groups: dict[str, str] = field(default_factory=dict)
    coupons: list[str] = field(default_factory=list)


def _shown(moment: dt.datetime | None) -> str:
    return moment.isoformat() if moment is not None else ""


def _instant(moment: dt.datetime | None) -> dt.datetime | None:
    return moment.astimezone(dt.UTC) if moment is not None else None


def _moment(value: dt.date | dt.datetime | None, ruleset: Ruleset) -> dt.datetime | None:
    if value is None:
        return None
    if not isinstance(value, dt.datetime):
        value = dt.datetime(value.year, value.month, value.day)
    return value if value.tzinfo is not None else value.replace(tzinfo=ruleset.zone)


class Program:
    """A ruleset compiled for evaluation; immutable, reusable for many carts."""

    def __init__(self, ruleset: Ruleset, use_index: bool = True) -> None:
        with gc_paused():
            self._build(ruleset, use_index)

    def _build(self, ruleset: Ruleset, use_index: bool) -> None:
        self.ruleset = ruleset
        zone = ruleset.zone
        self.explainer = Explainer(zone)
        ordered = sorted(ruleset.promotions, key=lambda p: (-p.priority, p.id))

        compiled: dict[tuple[str, Any], Any] = {}  # one function per condition text and use

        def build(cond: Any, compiler: Callable[[Any, Any], Any]) -> Any:
            if cond is None:
                return None
            key = (cond.source, compiler)
            if key not in compiled:
                compiled[key] = compiler(cond.node, zone)
            return compiled[key]

        self.promotions = tuple(
            CompiledPromotion(
                id=p.id,
                promotion=p,
                when=build(p.when, compile_condition),
                target=build(p.target, compile_line_filter),
                get_target=build(getattr(p.effect, "get_target", None), compile_line_filter),
                starts=_moment(p.active.from_ if p.active else None, ruleset),
                ends=_moment(p.active.until if p.active else None, ruleset),
                is_coupon=p.is_coupon,
            )
            for p in ordered
        )
        self.order = {cp.id: position for position, cp in enumerate(self.promotions)}
        # Without the index every promotion is run for every cart: the same results,
        # the cost grows with the ruleset (kept to prove they are the same).
        self.index = PromotionIndex(self.promotions) if use_index else None
        self.codes: dict[str, str] = {}
        for p in ordered:
            for code in p.codes:
                self.codes.setdefault(code, p.id)
        self.minor_units = ruleset.minor_units
        self.quantum = quantum(self.minor_units)

    def candidates(self, cart: Cart, at: dt.datetime | None = None) -> list[str]:
        """Ids of the promotions the index runs for ``cart`` (in evaluation order);
        every other promotion cannot apply to it."""
        moment = self._moment(cart, at)
        chosen, _ = self._choose(cart)
        return [self.promotions[p].id
                for p in self._positions(self.facts(cart, moment), moment, chosen)]

    def active_ids(self, at: dt.datetime) -> list[str]:
        """Promotions whose window contains ``at`` (the active_promotions read model)."""
        local = at if at.tzinfo is not None else at.replace(tzinfo=self.ruleset.zone)
        instant = local.astimezone(dt.UTC)
        return [cp.id for cp in self.promotions if cp.active(instant)]

    # ------------------------------------------------------------ facts

    def facts(self, cart: Cart, at: dt.datetime) -> Facts:
        q = self.quantum
        local = at.astimezone(self.ruleset.zone)
        lines = [
            {
                "id": ln.id, "sku": ln.sku, "product": ln.product or ln.sku,
                "category": ln.category, "seller": ln.seller, "brand": ln.brand,
                "tags": tuple(ln.tags), "unit_price": ln.unit_price.quantize(q),
                "quantity": Decimal(ln.quantity), "total": ln.total.quantize(q),
                "attributes": dict(ln.attributes),
            }
            for ln in cart.lines
        ]
        shipping = cart.shipping
        return Facts(
            cart={
                "id": cart.id, "currency": cart.currency,
                "subtotal": cart.subtotal.quantize(q),
                "quantity": Decimal(sum(ln.quantity for ln in cart.lines)),
                "lines": Decimal(len(cart.lines)),
                "coupons": tuple(cart.codes),
                "at": at, "date": local.date(), "weekday": WEEKDAYS[local.weekday()],
                "hour": Decimal(local.hour),
                "shipping_method": shipping.method if shipping else "",
                "shipping_price": (shipping.price if shipping else Decimal(0)).quantize(q),
            },
            customer={"id": cart.customer.id, "segments": tuple(cart.customer.segments),
                      "orders": Decimal(cart.customer.orders)},
            cart_attributes=dict(cart.attributes),  # copies: reasons may be read later
            customer_attributes=dict(cart.customer.attributes),
            lines=lines,
        )

    # -------------------------------------------------------- evaluate

    def evaluate(self, cart: Cart, at: dt.datetime | None = None,
                 usage: UsageView | None = None) -> Result:
        """Price ``cart`` as of ``at`` (default: the cart's ``at``, else now)."""
        if cart.currency != self.ruleset.currency:
            raise CartError([Diagnostic(CART_CURRENCY, f"currency: the cart is in "
                                        f"{cart.currency} but "
                                        f"the ruleset is in {self.ruleset.currency}")])
        moment = self._moment(cart, at)
        facts = self.facts(cart, moment)
        chosen, unmatched = self._choose(cart)
        run = _Evaluation(self, cart, facts, moment, chosen, usage)
        positions = self._positions(facts, moment, chosen)
        outcome = None
        if not self.ruleset.stacking.coupon_with_automatic and chosen:
            # The customer's explicit choice wins: if a coupon applies on its own,
            # automatic promotions are rejected; otherwise they run as usual.
            coupons_first = run.run(positions, coupons_only=True)
            if coupons_first.coupons:
                outcome = coupons_first
        if outcome is None:
            outcome = run.run(positions, coupons_only=False)
        self._apply_max_discount(outcome, facts)
        ran = frozenset(positions)
        skipped = len(ran) < len(self.promotions)

        def rejections() -> tuple[Rejected, ...]:
            found = {key: _written(entry) for key, entry in outcome.rejected.items()}
            if skipped:
                found.update(run.explain_skipped(outcome, ran))
            order = self.order
            return tuple(sorted(found.values(), key=lambda x: order[x.promotion or ""])) \
                + tuple(unmatched)

        # The reasons of the promotions the index left out are worked out when read
        # (a checkout that only prices pays for what could apply); with a usage
        # store they are worked out now, against the store as it is now.
        rejected = Rejections(rejections)
        if usage is not None:
            len(rejected)
        return self._result(cart, moment, outcome, rejected)

    def _moment(self, cart: Cart, at: dt.datetime | None) -> dt.datetime:
        """When the cart is priced: ``at``, else the cart's, else now."""
        moment = at or cart.at or dt.datetime.now(dt.UTC)
        return moment if moment.tzinfo is not None else moment.replace(tzinfo=self.ruleset.zone)

    def _choose(self, cart: Cart) -> tuple[dict[str, str], list[Rejected]]:
        """Promotion id → the code entered for it; and the entered codes that chose
        nothing (unknown, or a second code of a promotion already chosen)."""
        chosen: dict[str, str] = {}
        unmatched = []
        for code, raw in self._entered(cart).items():
            promotion = self.codes.get(code)
            if promotion is None:
                unmatched.append(Rejected(None, raw, r.COUPON_UNKNOWN,
                                          f"no promotion has the code {raw}"))
            elif promotion in chosen:
                unmatched.append(Rejected(None, raw, r.COUPON_REDUNDANT,
                                          f"{chosen[promotion]} was entered for the same "
                                          "promotion"))
            else:
                chosen[promotion] = raw
        return chosen, unmatched

    def _positions(self, facts: Facts, moment: dt.datetime,
                   chosen: dict[str, str]) -> Sequence[int]:
        """The promotions a pass runs: those the index finds (without it, all)."""
        if self.index is None:
            return range(len(self.promotions))
        return self.index.candidates(facts, moment, chosen)

    def _entered(self, cart: Cart) -> dict[str, str]:
        """Normalised code → the code as entered (trimmed), first entry kept."""
        out: dict[str, str] = {}
        for raw in cart.coupons:
            code = normalise_code(raw)
            if code:
                out.setdefault(code, raw.strip())
        return out

    # ------------------------------------------------------------- caps

    def _apply_max_discount(self, state: _Pass, facts: Facts) -> None:
        """The ruleset's cap, applied last: give back from the last applied first."""
        cap = self.ruleset.stacking.max_discount
        if cap is None:
            return
        limits = []
        if cap.amount is not None:
            limits.append(cap.amount.quantize(self.quantum))
        if cap.percent_of_subtotal is not None:
            share = facts.cart["subtotal"] * cap.percent_of_subtotal / 100
            limits.append(share.quantize(self.quantum, rounding=ROUND_DOWN))
        limit = min(limits)
        excess = sum((a.amount for a in state.applied), Decimal(0)) - limit
        for entry in reversed(state.applied):
            if excess <= 0:
                break
            before = entry.amount
            after = before - min(excess, before)
            excess -= before - after
            entry.parts = self._reallocate(entry.parts, after)
            state.capped.append(Cap(entry.compiled.id, "max_discount", before, after))
        cut_to_zero = [a for a in state.applied if a.amount == 0]
        state.applied = [a for a in state.applied if a.amount != 0]
        for entry in cut_to_zero:
            state.rejected[entry.compiled.id] = Rejected(
                entry.compiled.id, entry.coupon, r.CAP_REACHED,
                f"the order's max_discount ({format(limit, 'f')}) was used up by "
                "promotions applied before it")

    def _reallocate(self, parts: dict[str | None, Decimal],
                    amount: Decimal) -> dict[str | None, Decimal]:
        """Cut ``parts`` to ``amount`` in proportion to themselves (largest remainder)."""
        units = self.minor_units
        # parts are whole minor units: split them in integers (ties: lines by id, then
        # shipping)
        weights = [(key, whole_minor(value, units), (key is None, key or ""))
                   for key, value in parts.items()]
        split = allocate_minor(whole_minor(amount, units), weights)
        return {key: from_minor(share, units) for key, share in split.items()}

    # ----------------------------------------------------------- result

    def _result(self, cart: Cart, at: dt.datetime, state: _Pass,
                rejected: Rejections) -> Result:
        q = self.quantum
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
            Applied(a.compiled.id, a.compiled.promotion.name, a.coupon, a.amount,
                    sum((v for k, v in a.parts.items() if k is not SHIPPING), q * 0),
                    a.parts.get(SHIPPING, q * 0), a.note)
            for a in state.applied)
        return Result(self.ruleset.ruleset, cart.id, self.ruleset.currency,
                      at.isoformat(), tuple(lines), shipping, applied, rejected,
                      tuple(state.capped), cart.customer.id, q * 0)


class _Evaluation:
    """One cart's evaluation: the checks of a single promotion, and the passes."""

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

    def _start(self, coupons_only: bool) -> _Pass:
        return _Pass(
            coupons_only=coupons_only,
            remaining={line["id"]: line["total"] for line in self.facts.lines},
            shipping_left=self.cart.shipping.price.quantize(self.program.quantum)
            if self.cart.shipping else None)

    def run(self, positions: Iterable[int], coupons_only: bool) -> _Pass:
        """One pass over the promotions at ``positions`` (in evaluation order).

        A rejected promotion leaves the state as it was, so a pass over a superset
        of the promotions that can apply is the pass over all of them."""
        state = self._start(coupons_only)
        promotions = self.program.promotions
        for position in positions:
            self._consider(promotions[position], position, state)
        return state

    def _consider(self, compiled: CompiledPromotion, position: int, state: _Pass) -> None:
        coupon = self._coupon(compiled)
        refusal = self._eligibility(compiled, coupon) or \
            self._stacking(compiled, coupon, state, state.coupons_only)
        if refusal is not None:
            code, sentence = refusal
            if isinstance(sentence, str):
                state.rejected[compiled.id] = Rejected(compiled.id, coupon, code, sentence)
            else:
                write = sentence
                state.rejected[compiled.id] = _Pending(compiled.id, coupon,
                                                       lambda: (code, write()))
            return
        self._apply(compiled, position, coupon, state)

    def explain_skipped(self, outcome: _Pass, ran: frozenset[int]) -> dict[str, Rejected]:
        """Why each promotion left out of ``outcome``'s pass did not apply.

        Replays the pass: the promotions that applied take what they took, and
        each one left out is considered, with the evaluator's own checks, against
        the state as it was at its turn.  The index leaves out only promotions
        that cannot apply, so each is rejected."""
        replay = self._start(outcome.coupons_only)
        taken = {entry.position: entry for entry in outcome.history}
        out: dict[str, Rejected] = {}
        for position, compiled in enumerate(self.program.promotions):
            if position in ran:
                if position in taken:
                    self._take(replay, taken[position])
                continue
            self._consider(compiled, position, replay)
            if compiled.id not in replay.rejected:
                raise AssertionError(f"the index left out {compiled.id}, which applies")
            out[compiled.id] = _written(replay.rejected.pop(compiled.id))
        return out

    # eligibility: coupon entered, window, when, usage limits
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
        if self.usage is not None:
            refusal = self.usage.refusal(promo, self.cart.customer.id, coupon)
            if refusal is not None:
                return refusal
        return None

    # stacking: exclusive, group, coupons per order, coupon with automatic
    def _stacking(self, cp: CompiledPromotion, coupon: str | None, state: _Pass,
                  coupons_only: bool) -> Refusal | None:
        promo = cp.promotion
        if state.exclusive is not None:
            return r.BLOCKED_BY_EXCLUSIVE, f"exclusive promotion {state.exclusive} applied"
        if promo.exclusive and state.applied:
            first = state.applied[0].compiled.id
            return r.NOT_COMBINABLE, f"exclusive, but {first} already applied"
        if promo.group is not None and promo.group in state.groups:
            return r.GROUP_TAKEN, f"group {promo.group} already used by " \
                                  f"{state.groups[promo.group]}"
        if cp.is_coupon and len(state.coupons) >= self.stacking.coupons_per_order:
            limit = self.stacking.coupons_per_order
            return r.COUPON_LIMIT, f"at most {limit} coupon{'s' if limit != 1 else ''} per " \
                                   f"order" + (f"; {', '.join(state.coupons)} applied"
                                               if state.coupons else "")
        if coupons_only and not cp.is_coupon:
            return r.NOT_COMBINABLE_WITH_COUPON, "automatic promotions do not combine with " \
                                                 "coupons in this ruleset, and a coupon applied"
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
               state: _Pass) -> None:
        if self._nothing_left(cp, state):
            # Clamping will take every part to zero, whatever the effect computes.
            # What it computes (and so the reason) is worked out when read: the
            # lines and shipping it could take from stay at zero till then.  (The
            # closure keeps what it reads, not the pass: no reference cycle, so an
            # unread result is freed at once, not by the cyclic collector.)
            remaining, shipping_left = state.remaining, state.shipping_left
            state.rejected[cp.id] = _Pending(cp.id, coupon, lambda: self._nothing(
                cp, coupon, *self._effect(cp, remaining, shipping_left)))
            return
        parts, targets = self._effect(cp, state.remaining, state.shipping_left)
        clamped = self._clamp(parts, state)
        if not clamped:
            code, sentence = self._nothing(cp, coupon, parts, targets)
            state.rejected[cp.id] = Rejected(cp.id, coupon, code, sentence)
            return
        clamped, zeroed_by = self._cap(cp, clamped, state)
        if zeroed_by == "budget":
            state.rejected[cp.id] = Rejected(cp.id, coupon, r.BUDGET_EXHAUSTED,
                                             "the promotion's budget is spent")
            return
        if zeroed_by == "max_amount":
            state.rejected[cp.id] = Rejected(cp.id, coupon, r.CAP_REACHED,
                                             "its max_amount leaves nothing to discount")
            return
        self._take(state, _Applied(cp, position, coupon, clamped, parts.note, clamped))

    def _nothing_left(self, cp: CompiledPromotion, state: _Pass) -> bool:
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

    @staticmethod
    def _take(state: _Pass, entry: _Applied) -> None:
        """An applied promotion takes its parts and its place in the stacking."""
        for key, amount in entry.taken.items():
            if key is SHIPPING:
                assert state.shipping_left is not None
                state.shipping_left -= amount
            else:
                state.remaining[key] -= amount
        state.applied.append(entry)
        state.history.append(entry)
        promo = entry.compiled.promotion
        if promo.exclusive:
            state.exclusive = entry.compiled.id
        if promo.group is not None:
            state.groups[promo.group] = entry.compiled.id
        if entry.compiled.is_coupon and entry.coupon is not None:
            state.coupons.append(entry.coupon)

    def _clamp(self, parts: Parts, state: _Pass) -> dict[str | None, Decimal]:
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

    def _cap(self, cp: CompiledPromotion, parts: dict[str | None, Decimal], state: _Pass,
             ) -> tuple[dict[str | None, Decimal], str | None]:
        """The effect's ``max_amount``, then what is left of the budget.

        Returns the capped parts and, when a cap cut them to zero, which one.
        """
        q = self.program.quantum
        caps: list[tuple[str, Decimal]] = []
        if cp.promotion.effect.max_amount is not None:
            caps.append(("max_amount", cp.promotion.effect.max_amount))
        if self.usage is not None:
            left = self.usage.budget_left(cp.promotion)
            if left is not None:
                caps.append(("budget", max(left, Decimal(0))))
        for source, limit in caps:
            limit = limit.quantize(q)
            before = sum(parts.values(), q * 0)
            if before > limit:
                parts = {k: v for k, v in self.program._reallocate(parts, limit).items()
                         if v > 0}
                state.capped.append(Cap(cp.id, source, before, limit))
                if not parts:
                    return parts, source
        return parts, None

    def _why_nothing(self, cp: CompiledPromotion, parts: Parts,
                     targets: list[BaseLine]) -> str:
        promo = cp.promotion
        if parts.note and not parts.total:
            return parts.note
        if not isinstance(promo.effect, Shipping) and not targets and promo.target:
            return f"no line matches target: {promo.target.source}"
        if not isinstance(promo.effect, Shipping) and not self.facts.lines:
            return "the cart has no lines"
        if targets and all(line.base == 0 for line in targets):
            return "the lines it targets are already discounted to zero"
        return "its effect takes nothing off the lines it targets"


_COMPILING = threading.Lock()


def compile_ruleset(ruleset: Ruleset) -> Program:
    """Compile every promotion of ``ruleset``, once: the program is kept with the
    (immutable) ruleset, and ``load_ruleset`` gives the same ruleset for the same
    content, so loading an unchanged file again compiles nothing."""
    program = ruleset._compiled
    if program is None:
        with _COMPILING:
            program = ruleset._compiled
            if program is None:
                program = ruleset._compiled = Program(ruleset)
    assert isinstance(program, Program)
    return program


def evaluate(ruleset: Ruleset, cart: Cart, at: dt.datetime | None = None,
             usage: UsageView | None = None) -> Result:
    """Price one cart (compiles the ruleset; use ``compile_ruleset`` for many carts)."""
    return compile_ruleset(ruleset).evaluate(cart, at, usage)

