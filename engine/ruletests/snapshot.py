"""A rule test written from a result: what the engine gave, as expectations to keep.

The playground saves what it shows as a test file (the format ``runner.py``
reads), with the cart written into it, so the file runs as it is from a
ruleset's ``tests/`` folder::

    text = rule_test_yaml(result, cart, name="summer VIP", at=None)
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import yaml

from ..cart import Cart
from ..result import Result

HEADER = """\
# A rule test written from an evaluation (the promorules playground): the result it
# showed, kept as expectations. Put it in a ruleset's tests/ folder, beside carts/ and
# next to ruleset.yaml one level up, then run: promo test <that ruleset's folder>
"""


def expectations(result: Result) -> dict[str, Any]:
    """Everything a rule test can check, as ``result`` has it."""
    expect: dict[str, Any] = {
        "subtotal": str(result.subtotal),
        "total_discount": str(result.total_discount),
        "total": str(result.total),
    }
    if result.shipping is not None or result.shipments is not None:
        expect["shipping"] = str(result.shipping_final)
    expect["applied"] = result.applied_ids()
    rejected = {r.promotion: r.code for r in result.rejected if r.promotion is not None}
    if rejected:
        expect["rejected"] = rejected
    unclaimed = {r.coupon: r.code for r in result.rejected
                 if r.promotion is None and r.coupon is not None}
    if unclaimed:
        expect["rejected_coupons"] = unclaimed
    expect["lines"] = {line.id: str(line.final_total) for line in result.lines}
    if result.shipments is not None:
        expect["shipments"] = {shipment.id: str(shipment.final) for shipment in result.shipments}
    return expect


def rule_test(result: Result, cart: Cart, *, name: str, at: dt.datetime | None,
              ruleset: str = "../ruleset.yaml") -> dict[str, Any]:
    """One test: the cart written in, the time when one was chosen, the expectations."""
    test: dict[str, Any] = {"name": name, "ruleset": ruleset,
                            "cart": cart.model_dump(mode="json", exclude_none=True)}
    if at is not None:
        test["at"] = at.isoformat()
    test["expect"] = expectations(result)
    return test


def rule_test_yaml(result: Result, cart: Cart, *, name: str, at: dt.datetime | None,
                   ruleset: str = "../ruleset.yaml") -> str:
    """The test file's text: a list of one test, under a comment saying where it goes."""
    body = yaml.safe_dump([rule_test(result, cart, name=name, at=at, ruleset=ruleset)],
                          sort_keys=False, allow_unicode=True, width=88,
                          default_flow_style=None)
    return HEADER + body
