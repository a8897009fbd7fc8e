"""Shared helpers for the engine tests: rulesets from YAML text, carts from tuples.

    def test_x(ruleset, cart, price):
        rs = ruleset('''
          - id: p
            effect: { percent_off: 10 }
        ''', rounding="half_up")
        out = price(rs, cart([("a", "19.99", 2), ("b", "5.00", 1, {"category": "socks"})]))
        assert out["lines"][0]["final_total"] == "35.98"
        assert out.discounts() == {"a": {"p": "4.00"}, "b": {"p": "0.50"}}

``price`` returns ``Result.to_dict()`` (as an ``Out``, a dict with a few
readers), so amounts are compared as the exact decimal strings the JSON
carries; it also checks the invariants every result must keep (parts add
up, nothing below zero, applied means money moved).
"""

from __future__ import annotations

import datetime as dt
import textwrap
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest

from dsl import Ruleset, load_ruleset_text
from engine import Result, evaluate
from engine.cart import Cart, parse_cart

#: Mid-June 2026, when no test window is in the way.
AT = "2026-06-15T12:00:00+00:00"

LineSpec = tuple[Any, ...] | dict[str, Any]


def make_ruleset(promotions: str, *, currency: str = "USD", timezone: str = "Europe/Berlin",
                 rounding: str | None = None, coupons_per_order: int = 1,
                 coupon_with_automatic: bool = True, base: str = "discounted",
                 max_discount: str | None = None, mode: str | None = None) -> Ruleset:
    """A ruleset from the header switches and the YAML text of its promotions list."""
    head = ["ruleset: test", "dsl: 1", f"currency: {currency}", f"timezone: {timezone}"]
    if rounding is not None:
        head.append(f"rounding: {rounding}")
    head += [
        "stacking:",
        f"  coupons_per_order: {coupons_per_order}",
        f"  coupon_with_automatic: {'true' if coupon_with_automatic else 'false'}",
        f"  base: {base}",
    ]
    if max_discount is not None:
        head.append(f"  max_discount: {max_discount}")
    if mode is not None:
        head.append(f"  mode: {mode}")
    body = textwrap.dedent(promotions).strip("\n")
    text = "\n".join(head) + "\npromotions:\n" + textwrap.indent(body, "  ") + "\n"
    return load_ruleset_text(text)


def make_line(spec: LineSpec) -> dict[str, Any]:
    """``(id, unit_price, quantity=1, {extra fields})`` → a cart line (sku = id upper-cased)."""
    if isinstance(spec, dict):
        return spec
    line_id, unit_price, *rest = spec
    quantity = rest[0] if rest else 1
    extra = rest[1] if len(rest) > 1 else {}
    return {"id": line_id, "sku": line_id.upper(), "unit_price": unit_price,
            "quantity": quantity, **extra}


def make_cart(lines: list[LineSpec], *, currency: str = "USD", coupons: list[str] | None = None,
              shipping: str | None = None, at: str | None = AT, **fields: Any) -> Cart:
    """A cart snapshot validated by ``load_cart``; ``shipping`` is the shipping price."""
    data: dict[str, Any] = {"id": "cart-1", "currency": currency,
                            "lines": [make_line(s) for s in lines],
                            "coupons": list(coupons or [])}
    if at is not None:
        data["at"] = at
    if shipping is not None:
        data["shipping"] = {"method": "standard", "price": shipping}
    data.update(fields)
    return parse_cart(data)


class Out(dict[str, Any]):
    """``Result.to_dict()`` with readers for what the tests compare."""

    def discounts(self) -> dict[str, dict[str, str]]:
        """``{line id: {promotion: amount}}``; shipping under ``"shipping"`` when present."""
        table = {ln["id"]: {d["promotion"]: d["amount"] for d in ln["discounts"]}
                 for ln in self["lines"]}
        if self["shipping"] is not None:
            table["shipping"] = {d["promotion"]: d["amount"]
                                 for d in self["shipping"]["discounts"]}
        return table

    def finals(self) -> dict[str, str]:
        """``{line id: final_total}``."""
        return {ln["id"]: ln["final_total"] for ln in self["lines"]}

    def applied(self) -> dict[str, str]:
        """``{promotion: amount}`` of the applied promotions (dicts keep their order)."""
        return {a["promotion"]: a["amount"] for a in self["applied"]}

    def rejected(self) -> dict[str | None, str]:
        """``{promotion: reason code}``; an entered code no promotion has is keyed by itself."""
        return {r["promotion"] if r["promotion"] is not None else r["coupon"]: r["code"]
                for r in self["rejected"]}

    def reason(self, promotion: str) -> str:
        """The human sentence of a rejected promotion."""
        return next(r["reason"] for r in self["rejected"] if r["promotion"] == promotion)

    def capped(self) -> list[tuple[str, str, str, str]]:
        """``(promotion, cap, before, after)`` of every cut."""
        return [(c["promotion"], c["cap"], c["before"], c["after"]) for c in self["capped"]]


def check_invariants(result: Result) -> None:
    """No cent lost or invented: parts add up, nothing below zero, applied means money moved."""
    data = result.to_dict()
    per_promotion: dict[str, Decimal] = {}

    def count(discounts: list[dict[str, str]]) -> Decimal:
        for d in discounts:
            assert Decimal(d["amount"]) > 0, d
            per_promotion[d["promotion"]] = per_promotion.get(d["promotion"], Decimal(0)) \
                + Decimal(d["amount"])
        return sum((Decimal(d["amount"]) for d in discounts), Decimal(0))

    for ln in data["lines"]:
        assert count(ln["discounts"]) == Decimal(ln["discount"])
        assert Decimal(ln["total"]) - Decimal(ln["discount"]) == Decimal(ln["final_total"])
        assert Decimal(ln["final_total"]) >= 0, ln
    if data["shipping"] is not None:
        ship = data["shipping"]
        assert count(ship["discounts"]) == Decimal(ship["discount"])
        assert Decimal(ship["final"]) >= 0, ship
    for entry in data["applied"]:
        assert Decimal(entry["amount"]) > 0, entry
        assert Decimal(entry["items"]) + Decimal(entry["shipping"]) == Decimal(entry["amount"])
        assert per_promotion.pop(entry["promotion"], None) == Decimal(entry["amount"]), entry
    assert not per_promotion, f"discounts from promotions not applied: {per_promotion}"
    assert Decimal(data["subtotal"]) - Decimal(data["total_discount"]) + \
        (Decimal(data["shipping"]["price"]) if data["shipping"] else 0) == Decimal(data["total"])
    assert Decimal(data["total"]) >= 0


def price_cart(rs: Ruleset, c: Cart, at: dt.datetime | None = None, usage: Any = None) -> Out:
    """Evaluate, check the invariants, and return the result's JSON dict."""
    result = evaluate(rs, c, at, usage)
    check_invariants(result)
    return Out(result.to_dict())


@pytest.fixture
def ruleset() -> Callable[..., Ruleset]:
    return make_ruleset


@pytest.fixture
def cart() -> Callable[..., Cart]:
    return make_cart


@pytest.fixture
def price() -> Callable[..., Out]:
    return price_cart
