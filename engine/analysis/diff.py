"""What a ruleset change does to real carts: ``promo diff OLD NEW --carts PATH...``.

Every cart is priced by both rulesets at the same moment (its ``at``, else the
one given, else the moment the diff starts) without a usage store, and
compared: its total, and the promotions that applied.  A cart is reported
when its total or its applied promotions change; the largest changes (by
size, either way) come first.  ``change`` is the new total minus the old: a
positive change makes the cart dearer for the customer, a negative one cheaper.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import field
from decimal import Decimal
from typing import Any

from dsl import Ruleset
from dsl.records import record

from ..cart import Cart
from ..program import compile_ruleset
from ..result import Result


@record
class CartChange:
    """One cart priced by both rulesets, where they disagree."""

    where: str  # the file, or file:line of a JSON lines file
    cart: str
    old_total: Decimal
    new_total: Decimal
    gained: tuple[str, ...]  # promotions that apply only with the new ruleset
    lost: tuple[str, ...]  # … only with the old one
    moved: tuple[tuple[str, Decimal, Decimal], ...]  # applied by both, other amounts

    @property
    def change(self) -> Decimal:
        return self.new_total - self.old_total

    def to_dict(self) -> dict[str, Any]:
        return {"where": self.where, "cart": self.cart, "old_total": str(self.old_total),
                "new_total": str(self.new_total), "change": str(self.change),
                "gained": list(self.gained), "lost": list(self.lost),
                "changed": [{"promotion": p, "old": str(a), "new": str(b)}
                            for p, a, b in self.moved]}


@record
class Diff:
    """Every cart that changes, largest change first, and the summary of them all."""

    old: str
    new: str
    currency: str
    carts: int  # carts priced
    changes: tuple[CartChange, ...] = field(default=())

    @property
    def total_changes(self) -> list[Decimal]:
        return [c.change for c in self.changes if c.change]

    @property
    def cheaper(self) -> int:
        return sum(1 for c in self.total_changes if c < 0)

    @property
    def dearer(self) -> int:
        return sum(1 for c in self.total_changes if c > 0)

    @property
    def net(self) -> Decimal:
        """What the change adds to what customers pay, over the carts (negative: less)."""
        return sum(self.total_changes, self._zero)

    @property
    def moved(self) -> Decimal:
        """Money moved either way: the sum of every change's size."""
        return sum((abs(c) for c in self.total_changes), self._zero)

    @property
    def largest(self) -> Decimal:
        return max((abs(c) for c in self.total_changes), default=self._zero)

    @property
    def _zero(self) -> Decimal:
        return self.changes[0].old_total * 0 if self.changes else Decimal(0)

    def distribution(self) -> dict[str, Decimal]:
        """Quantiles of the change over the carts whose total changes (nearest rank)."""
        values = sorted(self.total_changes)
        if not values:
            return {}
        def rank(q: float) -> Decimal:
            return values[min(len(values) - 1, max(0, round(q * (len(values) - 1))))]
        return {"min": values[0], "p25": rank(0.25), "median": rank(0.5),
                "p75": rank(0.75), "max": values[-1]}

    def above(self, amount: Decimal) -> list[CartChange]:
        """The carts whose total changes by more than ``amount`` (either way)."""
        return [c for c in self.changes if abs(c.change) > amount]

    def to_dict(self) -> dict[str, Any]:
        return {"old": self.old, "new": self.new, "currency": self.currency,
                "summary": {"carts": self.carts, "changed": len(self.total_changes),
                            "promotions_only": len(self.changes) - len(self.total_changes),
                            "cheaper": self.cheaper, "dearer": self.dearer,
                            "net": str(self.net), "moved": str(self.moved),
                            "distribution": {k: str(v) for k, v in
                                             self.distribution().items()}},
                "carts": [c.to_dict() for c in self.changes]}


def diff_rulesets(old: Ruleset, new: Ruleset, carts: Iterable[tuple[str, Cart]], *,
                  old_name: str, new_name: str, at: dt.datetime | None = None) -> Diff:
    """Price every ``(where, cart)`` with both rulesets and keep the carts that change."""
    before, after = compile_ruleset(old), compile_ruleset(new)
    now = dt.datetime.now(dt.UTC)
    priced = 0
    changes = []
    for where, cart in carts:
        moment = at or cart.at or now
        change = compare(where, before.evaluate(cart, moment), after.evaluate(cart, moment))
        if change is not None:
            changes.append((priced, change))
        priced += 1
    changes.sort(key=lambda c: (-abs(c[1].change), c[0]))  # ties: in the order read
    return Diff(old_name, new_name, new.currency, priced, tuple(c for _, c in changes))


def compare(where: str, old: Result, new: Result) -> CartChange | None:
    """How ``new`` differs from ``old`` for one cart, or ``None`` when it does not."""
    was = {a.promotion: a.amount for a in old.applied}
    now = {a.promotion: a.amount for a in new.applied}
    gained = tuple(p for p in now if p not in was)
    lost = tuple(p for p in was if p not in now)
    moved = tuple((p, was[p], now[p]) for p in now if p in was and was[p] != now[p])
    if old.total == new.total and not gained and not lost and not moved:
        return None
    return CartChange(where, new.cart, old.total, new.total, gained, lost, moved)
