"""Best deal (``stacking.mode: best_deal``): of the sets of eligible promotions the
stacking rules allow, the one with the largest total discount applies
(docs/semantics.md#best-deal).

    decide(searcher, positions) → Decision
      candidates   the eligible promotions (checks 1–5) that move money on their own
      exact        up to EXACT_UP_TO candidates: branch and bound, in evaluation order,
                   within SEARCH_STEPS
      fallback     otherwise: the priority pass, improved one promotion at a time

A set is priced by the evaluator's own pass over its members in evaluation order
(``Evaluation._apply``), and whether a promotion may join a set is decided by
``stacking.stacking_refusal``: nothing here restates a stacking rule or an effect.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import sys
from collections.abc import Sequence
from decimal import Decimal
from typing import TYPE_CHECKING, Any, NamedTuple

from dsl.effects import AmountOff, AmountOffEach, FixedPrice, Gift, PercentOff, Shipping
from dsl.model import BEST_DEAL_EXACT_UP_TO
from dsl.records import record

from . import reasons as r
from .caps import max_discount_limit
from .evaluate import UNBOUNDED, Evaluation
from .rejections import Entry, Pending
from .result import BestDeal
from .stacking import STACKING_CAUSE, PassState, stacking_refusal

if TYPE_CHECKING:
    from .cart import Cart
    from .effects import BaseLine, Parts
    from .facts import Facts
    from .program import CompiledEffect, CompiledPromotion, Program, UsageView
    from .stacking import Remaining

EXACT_UP_TO = BEST_DEAL_EXACT_UP_TO
"""Candidates up to which the search is exact: branch and bound over every allowed set."""
SEARCH_STEPS = 50_000
"""Steps one search may take: a promotion tried on a set counts one, and each line
discount its effect computes one more (README "Limits").  An exact search that
needs more ends in the fallback, which has as many again."""


class Candidate(NamedTuple):
    position: int  # in evaluation order
    compiled: CompiledPromotion
    coupon: str | None
    bound: Decimal  # the most it can give in any set
    added: Decimal  # of that, what the gift lines it adds are worth (no cart line's)


@record
class Found:
    """A set of promotions, priced."""

    value: Decimal  # its total discount, after max_discount
    positions: tuple[int, ...]  # the promotions it applies, in evaluation order


class _OutOfSteps(Exception):
    """The search took its ``SEARCH_STEPS``."""


def _preference(positions: tuple[int, ...]) -> tuple[int, ...]:
    """Smaller is preferred: at the first promotion (in evaluation order) where two sets
    differ, the set holding it wins (so a set wins over its own part)."""
    return (*positions, sys.maxsize)


def better(value: Decimal, positions: tuple[int, ...], than: Found | None) -> bool:
    """Whether the set ``positions`` worth ``value`` beats ``than``: a larger total, or
    the same total and the set the priority order prefers."""
    if than is None:
        return True
    if value != than.value:
        return value > than.value
    return _preference(positions) < _preference(than.positions)


class Searcher(Evaluation):
    """The evaluation that prices sets for the search (never the one that writes the
    result or the trace).  With ``base: original`` an effect does not depend on what
    other promotions took, so each is computed once."""

    def __init__(self, program: Program, cart: Cart, facts: Facts, at: dt.datetime,
                 chosen: dict[str, str], usage: UsageView | None) -> None:
        # the search counts its own steps (SEARCH_STEPS)
        super().__init__(program, cart, facts, at, chosen, usage, UNBOUNDED)
        self._parts: dict[int, tuple[Parts, list[BaseLine]]] = {}

    def _effect(self, cp: CompiledPromotion, ce: CompiledEffect, remaining: Remaining,
                shipping_left: Decimal | None, shipments_left: dict[str, Decimal],
                ) -> tuple[Parts, list[BaseLine]]:
        if self.stacking.base != "original":
            return super()._effect(cp, ce, remaining, shipping_left, shipments_left)
        # each effect of a promotion once (the program holds them: ids stay theirs)
        found = self._parts.get(id(ce))
        if found is None:
            found = self._parts[id(ce)] = super()._effect(cp, ce, remaining, shipping_left,
                                                          shipments_left)
        return found


class Search:
    """One search over the candidates: the best allowed set, or (``forced``) the best
    allowed set that applies the promotion at that position."""

    def __init__(self, searcher: Searcher, candidates: Sequence[Candidate],
                 forced: int | None = None) -> None:
        self.searcher = searcher
        self.candidates = candidates
        self.forced = forced
        program = searcher.program
        self.zero = program.quantum * 0
        self.limit = max_discount_limit(program.ruleset.stacking.max_discount,
                                        searcher.facts.cart["subtotal"], program.quantum)
        self.sets = 0
        self.steps = 0
        self.work = searcher.work
        self.best: Found | None = None
        self.seeded = False  # the best set was found outside the search's order

    def value(self, total: Decimal) -> Decimal:
        return total if self.limit is None else min(total, self.limit)

    def start(self) -> PassState:
        state = self.searcher.start(coupons_only=False)
        state.kinds_apart = not self.searcher.stacking.coupon_with_automatic
        return state

    def extend(self, state: PassState, candidate: Candidate) -> tuple[PassState, Decimal] | None:
        """``state`` with the candidate applied, and what it gave; ``None`` when the
        stacking rules refuse it or it gives nothing there."""
        self.steps += 1
        if self.steps + self.searcher.work - self.work > SEARCH_STEPS:
            raise _OutOfSteps
        cp = candidate.compiled
        if stacking_refusal(cp, state, self.searcher.stacking) is not None:
            return None
        child = state.fork()
        self.searcher._apply(cp, candidate.position, candidate.coupon, child)
        if len(child.applied) == len(state.applied):
            return None
        return child, child.applied[-1].amount

    # ------------------------------------------------------------ exact
    def exact(self) -> Found | None:
        """Branch and bound in evaluation order, each promotion taken before it is left
        out: sets are met in the order the priority order prefers them, so a set
        replaces the best one only with a larger total, and a branch whose bound is no
        larger is cut."""
        candidates = self.candidates
        suffix = [self.zero] * (len(candidates) + 1)  # the most the candidates from i give
        added = [self.zero] * (len(candidates) + 1)  # the gift lines they add are worth
        for i in range(len(candidates) - 1, -1, -1):
            suffix[i] = suffix[i + 1] + candidates[i].bound
            added[i] = added[i + 1] + candidates[i].added
        chosen: list[int] = []
        forced = next((c for c in candidates if c.position == self.forced), None)
        if self.forced is not None:
            # a first set to cut branches with (else every branch that cannot apply
            # the forced promotion is searched before a set is found)
            self.best, self.seeded = self._seed(), True

        def visit(i: int, state: PassState, total: Decimal) -> None:
            if i == len(candidates):
                self.sets += 1
                value = self.value(total)
                if better(value, tuple(chosen), self.best):
                    self.best, self.seeded = Found(value, tuple(chosen)), False
                return
            if forced is not None and forced.position >= candidates[i].position and \
                    stacking_refusal(forced.compiled, state, self.searcher.stacking):
                return  # what applied refuses it already, and more applying will not help
            if self.best is not None:
                most = self.value(total + min(suffix[i], _left(state) + added[i]))
                # a set met later is preferred less, unless the best came from the seed
                if most < self.best.value or most == self.best.value and not self.seeded:
                    return
            candidate = candidates[i]
            extended = self.extend(state, candidate)
            if extended is not None:
                child, amount = extended
                chosen.append(candidate.position)
                visit(i + 1, child, total + amount)
                chosen.pop()
            if candidate.position != self.forced:
                visit(i + 1, state, total)

        visit(0, self.start(), self.zero)
        return self.best

    def _seed(self) -> Found | None:
        """A set that applies the forced promotion: the priority pass, leaving out the
        promotions its stacking refusal names (``STACKING_CAUSE``) until it applies."""
        ids = {c.compiled.id: c.position for c in self.candidates}
        out: set[int] = set()
        for _ in range(len(self.candidates)):
            state, total, applied = self.start(), self.zero, list[int]()
            for candidate in self.candidates:
                if candidate.position in out:
                    continue
                refusal = stacking_refusal(candidate.compiled, state, self.searcher.stacking)
                if candidate.position == self.forced and refusal is not None:
                    named = {ids[i] for i in STACKING_CAUSE[refusal[0]](candidate.compiled,
                                                                         state) if i in ids}
                    out |= named or set(applied)
                    break
                extended = self.extend(state, candidate)
                if extended is not None:
                    state, amount = extended
                    total += amount
                    applied.append(candidate.position)
            else:
                self.sets += 1
                return Found(self.value(total), tuple(applied)) \
                    if self.forced in applied else None
        return None

    # --------------------------------------------------------- fallback
    def improve(self) -> Found | None:
        """Local improvement: a set is the priority pass over the candidates not left
        out; from the best set found so far (else the priority pass, or for a forced
        promotion the priority pass without what refuses it), try leaving out only one
        applied promotion, leaving out one more, or taking back one left out, and move
        to the first that gives a better set, while one does, within ``SEARCH_STEPS``
        more steps."""
        self.steps, self.work = 0, self.searcher.work
        every = frozenset(c.position for c in self.candidates)
        if self.best is None and self.forced is not None:
            with contextlib.suppress(_OutOfSteps):
                self.best = self._seed()
        if self.best is not None:
            out = every - set(self.best.positions)
        else:
            out = frozenset() if self.forced is None else every - {self.forced}
        current = None
        try:
            current = self._pass(out)
            if current is None:
                return self.best
            while True:
                kept = [q for q in current.positions if q != self.forced]
                neighbours = [frozenset({q}) for q in kept] + [out | {q} for q in kept] \
                    + [out - {e} for e in sorted(out)]
                for neighbour in dict.fromkeys(n for n in neighbours if n != out):
                    found = self._pass(neighbour)
                    if found is not None and better(found.value, found.positions, current):
                        out, current = neighbour, found
                        break
                else:
                    return current
        except _OutOfSteps:
            return current if current is not None else self.best

    def _pass(self, out: frozenset[int]) -> Found | None:
        """The priority pass over the candidates not in ``out`` (``None``: the forced
        promotion does not apply in it)."""
        state, total, applied = self.start(), self.zero, []
        for candidate in self.candidates:
            if candidate.position in out:
                continue
            extended = self.extend(state, candidate)
            if extended is not None:
                state, amount = extended
                total += amount
                applied.append(candidate.position)
        self.sets += 1
        if self.forced is not None and self.forced not in applied:
            return None
        return Found(self.value(total), tuple(applied))


def _left(state: PassState) -> Decimal:
    """What is left of the cart's lines and the shipping (or every shipment): no set
    takes more from them (a gift line added is worth more besides: ``Candidate.added``)."""
    return sum(state.remaining.values(), state.shipping_left or Decimal(0)) + \
        sum(state.shipments_left.values(), Decimal(0))


def _takes_less_from_less(effect: Any) -> bool:
    """Whether the effect, computed on lines worth less, takes no more from any line:
    a percentage or a fixed price over every target unit, an amount off, a shipping
    discount (on the shipping or on each shipment).  (Choosing ``max_units`` units, a
    buy/get or a bundle may choose other, dearer units once some are discounted; a
    fixed price may then reach a unit it did not.)"""
    if isinstance(effect, (PercentOff, AmountOffEach, FixedPrice)):
        return effect.max_units is None
    return isinstance(effect, (AmountOff, Shipping))


def _bound(searcher: Searcher, cp: CompiledPromotion, alone: Decimal) -> Decimal:
    """The most ``cp`` can give in any set.  What it gives alone, when its one effect is
    computed on the original cart (``base: original``: it is only clamped further) or
    takes less from less, or is a gift added as its own line (no other promotion
    touches it); otherwise, summed over its effects, the value of what each can take
    from, cut to its ``max_amount``.  (Of several effects, one may take more once
    another promotion took from a line: an effect's ``max_amount`` may then fall on
    other lines, and the effect after it finds more there.)"""
    if len(cp.effects) == 1:
        effect = cp.effects[0].effect
        if searcher.stacking.base == "original" or _takes_less_from_less(effect) or \
                isinstance(effect, Gift) and not searcher._gift_lines(effect, None):
            return alone
    return sum((_reach(searcher, ce) for ce in cp.effects), Decimal(0))


def _reach(searcher: Searcher, ce: CompiledEffect) -> Decimal:
    """The value of what one effect can take from, cut to its ``max_amount``: the
    shipping (or every shipment's), the gift line (or the cart lines with its sku it
    discounts instead), or its target and get_target lines."""
    effect, facts = ce.effect, searcher.facts
    if ce.shipping:
        shipped = searcher.cart.shipping is not None or searcher.cart.shipments is not None
        reach = facts.cart["shipping_price"] if shipped else Decimal(0)
    elif isinstance(effect, Gift):
        in_cart = searcher._gift_lines(effect, None)
        reach = sum((line.base for line in in_cart), Decimal(0)) if in_cart else \
            effect.gift.unit_price * effect.gift.quantity
    else:
        lines = {line["id"]: line["total"] for line in searcher._matching(ce.target)}
        if ce.get_target is not None:
            lines.update((line["id"], line["total"])
                         for line in searcher._matching(ce.get_target))
        reach = sum(lines.values(), Decimal(0))
    return reach if effect.max_amount is None else min(reach, effect.max_amount)


def _added(searcher: Searcher, cp: CompiledPromotion) -> Decimal:
    """What the gift lines ``cp`` may add are worth: a gift discounted on them takes from
    no cart line, so what is left of the cart does not bound it."""
    return sum((ce.effect.gift.unit_price * ce.effect.gift.quantity for ce in cp.effects
                if isinstance(ce.effect, Gift) and not searcher._gift_lines(ce.effect, None)),
               Decimal(0))


class Decision:
    """The set chosen, how, and why each eligible promotion outside it is left out."""

    def __init__(self, searcher: Searcher, positions: Sequence[int]) -> None:
        self.searcher = searcher
        program = searcher.program
        self.candidates: list[Candidate] = []
        for position in positions:
            cp = program.promotions[position]
            coupon = searcher.chosen.get(cp.id)
            if searcher._eligibility(cp, coupon) is not None:
                continue
            alone = self._alone(cp, position, coupon)
            if alone.applied:
                self.candidates.append(Candidate(position, cp, coupon, _bound(
                    searcher, cp, alone.applied[0].amount), _added(searcher, cp)))
        self.positions = frozenset(c.position for c in self.candidates)
        self.fallback: str | None = None
        if len(self.candidates) > EXACT_UP_TO:
            self.fallback = f"{len(self.candidates)} candidates, more than the " \
                            f"{EXACT_UP_TO} searched exactly"
        self.found, self.sets, self.fallback = self._search(None, self.fallback)
        self.chosen = frozenset(self.found.positions)

    def _search(self, forced: int | None,
                fallback: str | None) -> tuple[Found, int, str | None]:
        """The best set (applying ``forced``), the sets priced, why the fallback ran."""
        search = Search(self.searcher, self.candidates, forced)
        found = None
        if fallback is None:
            try:
                found = search.exact()
            except _OutOfSteps:
                fallback = f"the exact search took its {SEARCH_STEPS:,} steps"
        if fallback is not None:
            found = search.improve()
        return found or Found(search.zero, ()), search.sets, fallback

    def summary(self) -> BestDeal:
        promotions = self.searcher.program.promotions
        return BestDeal("exact" if self.fallback is None else "fallback",
                        len(self.candidates), self.sets,
                        tuple(promotions[p].id for p in self.found.positions),
                        self.found.value, self.fallback)

    def check(self, outcome: PassState) -> None:
        """The result's pass applied the chosen set, as the search priced it."""
        applied = tuple(entry.position for entry in outcome.applied)
        if applied != self.found.positions:
            raise AssertionError(f"best deal chose {self.found.positions}, the pass applied "
                                 f"{applied}")

    def _alone(self, cp: CompiledPromotion, position: int, coupon: str | None) -> PassState:
        """The pass over ``cp`` alone; refused there by a stacking rule (a coupon with
        ``coupons_per_order: 0``), it is in no allowed set: that refusal is its reason."""
        state = self.searcher.start(coupons_only=False)
        refusal = stacking_refusal(cp, state, self.searcher.stacking)
        if refusal is not None:
            state.rejected[cp.id] = (cp.id, coupon, *refusal)
        else:
            self.searcher._apply(cp, position, coupon, state)
        return state

    def rejection(self, cp: CompiledPromotion, position: int, coupon: str | None) -> Entry:
        """Why the eligible promotion at ``position`` is not in the chosen set: the reason
        it gets alone when it moves no money alone; else ``not_best_deal`` (written when
        read: it takes a search of its own)."""
        if position not in self.positions:
            return self._alone(cp, position, coupon).rejected[cp.id]
        return Pending(cp.id, coupon, lambda: (r.NOT_BEST_DEAL, self._why_not(position)))

    def _why_not(self, position: int) -> str:
        with_it, _, _ = self._search(position, self.fallback)
        chosen = self._named(self.found)
        searched = "the best allowed set" if self.fallback is None else "the best set found"
        sentence = f"the best deal is {chosen}, giving {format(self.found.value, 'f')}; " \
                   f"{searched} with this promotion is {self._named(with_it)}, giving " \
                   f"{format(with_it.value, 'f')}"
        if with_it.value == self.found.value:
            sentence += ": the same, and the priority order prefers the best deal's set"
        return sentence

    def _named(self, found: Found) -> str:
        promotions = self.searcher.program.promotions
        return "{" + ", ".join(promotions[p].id for p in found.positions) + "}"
