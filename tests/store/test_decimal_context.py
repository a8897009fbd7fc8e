"""The store's amounts do not depend on the caller's decimal context
(docs/semantics.md#decimal-context): a checkout priced, held, paid, read back, reported and
reconciled under a host application's context holds and reports what it does in
Python's default one, and leaves that context as it was."""

from __future__ import annotations

import decimal
from pathlib import Path
from typing import Any

import pytest
from storekit import NOW, make_cart, make_ruleset

from engine.usage import open_store, payment_captured, start_checkout
from tests.decimal_contexts import hostile

# Amounts of twelve digits and more, and a percentage whose parts need rounding: in 3 or
# 8 digits they cannot be written, rounding down or up changes them.
LARGE = """\
- id: auto
  effect: { percent_off: 7.5 }
  limits: { uses: 100, budget: "100000000000.00" }
- id: save
  coupons: [SAVE10]
  effect: { amount_off: "12345.67" }
  limits: { uses: 3, per_customer: 2, budget: "1000000.00" }
"""


def checkout(location: str) -> tuple[Any, ...]:
    """Two orders held (one paid, one aborted), and what the store says of them."""
    rules = make_ruleset(LARGE)
    with open_store(location) as store:
        paid = start_checkout(store, rules, make_cart(coupons=["SAVE10"],
                                                       price="98765432109.87"), "o1", at=NOW)
        confirmed = payment_captured(store, "o1", rules, now=NOW)
        other = start_checkout(store, rules, make_cart(price="3.33", cart_id="cart-2"),
                               "o2", at=NOW)
        released = store.release("o2", now=NOW)
        return (paid.result.to_json(), paid.reservation, confirmed, other.reservation,
                released, store.reservation("o1"), store.status(rules), store.events(),
                store.reconcile())


@pytest.mark.parametrize("context", ["prec 3", "prec 8", "ROUND_FLOOR",
                                     "traps Inexact and Rounded", "everything at once"])
def test_a_checkout_holds_and_reports_the_same_amounts_in_any_context(
        context: str, tmp_path: Path) -> None:
    with decimal.localcontext(decimal.Context()):
        default = checkout(str(tmp_path / "default.sqlite"))
    assert default[1].uses and any(u.amount == decimal.Decimal("7407407408.24")
                                   for u in default[1].uses)
    with hostile(context):
        got = checkout(str(tmp_path / "hostile.sqlite"))
    assert got == default
