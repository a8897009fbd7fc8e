"""Stacking: the running state of a pass and the rules that refuse a promotion
because of what already applied (docs/semantics.md#stacking).

    exclusive        never combines: blocks everything after it, refused after anything
    group            at most one promotion of a group
    coupons_per_order
    coupon_with_automatic: false   (the pass with ``coupons_only``; in a best-deal
                                    search, ``kinds_apart``: a set holds one kind)
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING

from dsl.model import Stacking
from dsl.values import normalise_code

from . import reasons as r
from .money import known_wholes, whole_minor
from .result import Cap, GiftLine
from .result_shipping import PartKey, ShipmentKey

if TYPE_CHECKING:
    from .program import CompiledPromotion
    from .rejections import Entry

SHIPPING = None  # the allocation key of the shipping part (a shipment's: ``ShipmentKey``)

Refusal = tuple[str, str | Callable[[], str]]  # reason code, sentence (or how to write it)


class Remaining(dict[str, Decimal]):
    """What is left of each line (line id → amount), with the same amounts in whole
    minor units, kept as promotions take from the lines.

    Effects compute in integers: converting a line's base each time a promotion
    looks at it cost more than converting each part taken once.  ``minor`` holds
    the lines asked for so far; a line not in it is converted when first asked."""

    __slots__ = ("minor", "minor_units")

    minor: dict[str, int]
    minor_units: int

    @staticmethod
    def of(amounts: dict[str, Decimal], minor_units: int) -> Remaining:
        """What is left of each line, ``amounts`` to start with (made per pass: the
        dict's own copy, without an ``__init__`` of its own to call)."""
        made = Remaining(amounts)
        made.minor = {}
        made.minor_units = minor_units
        return made

    def minor_of(self, line_id: str) -> int:
        """What is left of the line, in minor units."""
        found = self.minor.get(line_id)
        if found is None:
            found = self.minor[line_id] = whole_minor(self[line_id], self.minor_units)
        return found

    def copy(self) -> Remaining:
        """A copy to take from without changing this one (a promotion's effects, one
        more promotion in a best-deal search)."""
        copied = Remaining(self)
        copied.minor = dict(self.minor)
        copied.minor_units = self.minor_units
        return copied

    def take(self, line_id: str, amount: Decimal) -> None:
        self[line_id] -= amount
        if line_id in self.minor:
            self.minor[line_id] -= whole_minor(amount, self.minor_units)


_ZERO = Decimal(0)
_new = object.__new__


@dataclass(slots=True)  # (one per promotion applied)
class Applied:
    """A promotion that moved money in a pass, and what it took."""

    compiled: CompiledPromotion
    position: int  # in evaluation order
    coupon: str | None
    parts: dict[PartKey, Decimal]  # may be cut later by max_discount
    note: str | None
    taken: dict[PartKey, Decimal]  # what it took when it applied
    gifts: tuple[GiftLine, ...] = ()  # the lines a promotion's gift effects add

    @property
    def amount(self) -> Decimal:
        return sum(self.parts.values(), _ZERO)


@dataclass(slots=True)  # (one or two made per cart, read at every promotion)
class PassState:
    """The running state of one pass over the promotions."""

    coupons_only: bool
    remaining: Remaining
    shipping_left: Decimal | None
    shipments_left: dict[str, Decimal] = field(default_factory=dict)  # by shipment id
    applied: list[Applied] = field(default_factory=list)
    history: list[Applied] = field(default_factory=list)  # applied, in order, kept
    rejected: dict[str, Entry] = field(default_factory=dict)
    capped: list[Cap] = field(default_factory=list)
    exclusive: str | None = None
    groups: dict[str, str] = field(default_factory=dict)
    coupons: list[str] = field(default_factory=list)
    kinds_apart: bool = False  # best deal with coupon_with_automatic: false

    @staticmethod
    def fresh(coupons_only: bool, remaining: Remaining, shipping_left: Decimal | None,
              shipments_left: dict[str, Decimal]) -> PassState:
        """``PassState(coupons_only, remaining, shipping_left, shipments_left)``: the
        state a pass starts with, its other fields set without the generated
        ``__init__`` (a call per default), for every pass of every cart."""
        state = _new(PassState)
        state.coupons_only = coupons_only
        state.remaining = remaining
        state.shipping_left = shipping_left
        state.shipments_left = shipments_left
        state.applied, state.history, state.rejected, state.capped = [], [], {}, []
        state.exclusive, state.groups, state.coupons, state.kinds_apart = None, {}, [], False
        return state

    def fork(self) -> PassState:
        """A copy to try one more promotion on (the best-deal search): what applied is
        shared, what is left and the stacking taken are copied; no rejection is kept."""
        return PassState(self.coupons_only, self.remaining.copy(), self.shipping_left,
                         dict(self.shipments_left), list(self.applied), list(self.history),
                         {}, list(self.capped), self.exclusive, dict(self.groups),
                         list(self.coupons), self.kinds_apart)


def stacking_refusal(cp: CompiledPromotion, state: PassState,
                     policy: Stacking) -> Refusal | None:
    """Why ``cp`` cannot join what already applied in ``state``, or ``None``."""
    promo = cp.promotion
    if state.exclusive is not None:
        return r.BLOCKED_BY_EXCLUSIVE, f"exclusive promotion {state.exclusive} applied"
    if promo.exclusive and state.applied:
        first = state.applied[0].compiled.id
        return r.NOT_COMBINABLE, f"exclusive, but {first} already applied"
    if promo.group is not None and promo.group in state.groups:
        return r.GROUP_TAKEN, f"group {promo.group} already used by " \
                              f"{state.groups[promo.group]}"
    if cp.is_coupon and len(state.coupons) >= policy.coupons_per_order:
        limit = policy.coupons_per_order
        return r.COUPON_LIMIT, f"at most {limit} coupon{'s' if limit != 1 else ''} per " \
                               f"order" + (f"; {', '.join(state.coupons)} applied"
                                           if state.coupons else "")
    if state.kinds_apart and state.applied and \
            state.applied[0].compiled.is_coupon != cp.is_coupon:
        return r.NOT_COMBINABLE_WITH_COUPON, "coupons and automatic promotions do not " \
                                             "combine in this ruleset"
    if state.coupons_only and not cp.is_coupon:
        return r.NOT_COMBINABLE_WITH_COUPON, "automatic promotions do not combine with " \
                                             "coupons in this ruleset, and a coupon applied"
    return None


STACKING_CAUSE: dict[str, Callable[[CompiledPromotion, PassState], list[str | None]]] = {
    # who each refusal of ``stacking_refusal`` names: the promotions that applied before
    r.BLOCKED_BY_EXCLUSIVE: lambda cp, st: [st.exclusive],
    r.NOT_COMBINABLE: lambda cp, st: [a.compiled.id for a in st.applied],
    r.GROUP_TAKEN: lambda cp, st: [st.groups[cp.promotion.group or ""]],
    r.COUPON_LIMIT: lambda cp, st: [a.compiled.id for a in st.applied if a.compiled.is_coupon],
    r.NOT_COMBINABLE_WITH_COUPON: lambda cp, st: [a.compiled.id for a in st.applied
                                                  if a.compiled.is_coupon != cp.is_coupon],
}


def take(state: PassState, entry: Applied) -> None:
    """An applied promotion takes its parts and its place in the stacking."""
    gifts = {gift.id for gift in entry.gifts} if entry.gifts else ()
    remaining = state.remaining
    minor, wholes = remaining.minor, known_wholes(remaining.minor_units)
    for key, amount in entry.taken.items():
        if key.__class__ is str:  # a line (the most parts)
            if key in gifts:  # (no other promotion takes from a gift line: nothing kept)
                continue
            # ``Remaining.take`` written out: one call less per line taken from
            remaining[key] -= amount
            if key in minor:
                whole = wholes.get(amount)
                minor[key] -= whole_minor(amount, remaining.minor_units) if whole is None \
                    else whole
        elif key is SHIPPING:
            assert state.shipping_left is not None
            state.shipping_left -= amount
        else:
            assert isinstance(key, ShipmentKey)
            state.shipments_left[key.id] -= amount
    join(state, entry)


def join(state: PassState, entry: Applied) -> None:
    """An applied promotion takes its place in the stacking (its parts already taken)."""
    state.applied.append(entry)
    state.history.append(entry)
    promo = entry.compiled.promotion
    if promo.exclusive:
        state.exclusive = entry.compiled.id
    if promo.group is not None:
        state.groups[promo.group] = entry.compiled.id
    if entry.compiled.is_coupon and entry.coupon is not None:
        # named in the reasons as the ruleset writes it, not as the cart entered it
        entered = normalise_code(entry.coupon)
        state.coupons.append(next((c for c in (promo.coupons or (promo.coupon,))
                                   if c and normalise_code(c) == entered), entry.coupon))
