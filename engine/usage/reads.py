"""Read models of the store: what ``promo usage status`` shows, from the rows (either backend)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from dsl import Ruleset

from ..money import from_minor

Tally = dict[tuple[str, str | None, str], tuple[int, int]]
"""``(promotion, coupon, state)`` → ``(uses, amount in minor units)``."""


STATUS_SQL = ("SELECT u.promotion, u.coupon, r.state, COUNT(*), SUM(u.amount_minor) "
              "FROM uses u JOIN reservations r ON r.order_ref = u.order_ref "
              "WHERE r.state IN ('reserved', 'confirmed') "
              "GROUP BY u.promotion, u.coupon, r.state")
"""The uses held, by promotion, code and state: the rows ``status`` reads."""


def status(held: Iterable[tuple[Any, ...]], ruleset: Ruleset) -> list[dict[str, Any]]:
    """Per promotion (and per coupon code): limit, reserved, confirmed, remaining, budget.

    ``held`` are ``STATUS_SQL``'s rows: promotion, code, state, uses, amount."""
    units = ruleset.minor_units
    by_state: Tally = {(promotion, coupon, state): (int(n), int(amount))
                       for promotion, coupon, state, n, amount in held}
    out = []
    for promotion in ruleset.promotions:
        limits = promotion.limits
        rows: list[tuple[str | None, int | None]] = [(None, limits.uses if limits else None)]
        rows += [(code, limits.per_coupon if limits else None) for code in promotion.codes]
        for code, limit in rows:
            reserved, reserved_amount = _tally(by_state, promotion.id, code, "reserved")
            confirmed, confirmed_amount = _tally(by_state, promotion.id, code, "confirmed")
            budget = limits.budget if limits and code is None else None
            spent = from_minor(reserved_amount + confirmed_amount, units)
            out.append({
                "promotion": promotion.id, "coupon": code, "limit": limit,
                "reserved": reserved, "confirmed": confirmed,
                "remaining": None if limit is None else limit - reserved - confirmed,
                "budget": None if budget is None else str(budget),
                "budget_left": None if budget is None else str(budget - spent),
            })
    return out


def _tally(by_state: Tally, promotion: str, code: str | None, state: str) -> tuple[int, int]:
    """Uses and amount (minor units) of a promotion (or one of its codes) in a state."""
    keys = [k for k in by_state
            if k[0] == promotion and k[2] == state and (code is None or k[1] == code)]
    return sum(by_state[k][0] for k in keys), sum(by_state[k][1] for k in keys)
