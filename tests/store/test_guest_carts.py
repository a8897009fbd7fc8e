"""A guest cart (no customer id) and a promotion with a per-customer limit.

The limit cannot be counted for a guest, so the promotion does not apply to a
guest cart, with its own reason; a result that still applies one is refused on
reserve (``PR415``).  Regression: ``promo usage reserve`` dropped the coupon
silently (its text output gave no reason).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from storekit import (
    NOW,
    cart_data,
    make_cart,
    ok,
    priced_elsewhere,
    promo,
    rows,
    ruleset_yaml,
    usage_error,
    write_json,
)

from dsl import Ruleset
from engine import compile_ruleset, evaluate
from engine.usage import CustomerRequired, StoreView, UsageStore, open_store, start_checkout
from engine.usage.view import GUEST_CART

AT = "2026-03-01T12:00:00+00:00"
REASON = "needs a customer id: a per-customer limit cannot be counted for a guest cart"


@pytest.fixture
def shell(tmp_path: Path, location: str) -> dict[str, str]:
    (tmp_path / "ruleset.yaml").write_text(ruleset_yaml(), encoding="utf-8")
    return {
        "ruleset": str(tmp_path / "ruleset.yaml"), "db": location,
        "guest": write_json(tmp_path / "guest.json", cart_data(customer="", coupons=["SAVE10"])),
        "alice": write_json(tmp_path / "alice.json", cart_data(customer="alice")),
    }


def test_the_reason_sentence() -> None:
    assert GUEST_CART == REASON


def test_priced_through_the_store_a_guest_does_not_get_the_promotion(
        store: UsageStore, rules: Ruleset) -> None:
    """Even with every counter free: nothing can be counted for nobody."""
    result = compile_ruleset(rules).evaluate(make_cart(customer="", coupons=["SAVE10"]),
                                             usage=StoreView(store, rules))
    assert result.applied_ids() == ["auto5"]
    rejected = result.rejection("save10")
    assert rejected is not None
    assert (rejected.code, rejected.coupon, rejected.reason) == ("limit_reached", "SAVE10",
                                                                REASON)
    checkout = start_checkout(store, rules, make_cart(customer="", coupons=["SAVE10"]), "o1",
                              at=NOW)
    assert checkout.result == result
    assert [u.promotion for u in checkout.reservation.uses] == ["auto5"]
    assert checkout.reservation.customer == ""


def test_a_result_that_applies_it_to_a_guest_is_refused_on_reserve(
        store: UsageStore, rules: Ruleset) -> None:
    """A Python caller who priced it elsewhere: PR415, nothing held."""
    guest = priced_elsewhere(customer="", coupons=["SAVE10"])
    assert "save10" in guest.applied_ids()
    was = rows(store)
    with pytest.raises(CustomerRequired) as caught:
        store.reserve("o1", rules, guest, now=NOW)
    assert caught.value.code == "PR415" and "save10" in str(caught.value)
    assert rows(store) == was


def test_reserve_from_the_shell_says_why(shell: dict[str, str]) -> None:
    out = ok(promo("usage", "reserve", shell["ruleset"], shell["guest"], "--order", "o1",
                   "--db", shell["db"], "--at", AT)).stdout
    assert out.splitlines() == [
        "total 95.00 (discount 5.00)",
        f"not applied: save10 (SAVE10): limit_reached: {REASON}",
        "o1: reserved (auto5); hold until 2026-03-01T12:15:00+00:00",
    ]
    data = json.loads(ok(promo("usage", "reserve", shell["ruleset"], shell["guest"],
                               "--order", "o1", "--db", shell["db"], "--at", AT,
                               "--format", "json")).stdout)
    assert {r["promotion"]: (r["code"], r["reason"]) for r in data["result"]["rejected"]}[
        "save10"] == ("limit_reached", REASON)


def test_the_dry_run_with_the_store_agrees_with_reserve(shell: dict[str, str]) -> None:
    ok(promo("usage", "reserve", shell["ruleset"], shell["alice"], "--order", "o0",
             "--db", shell["db"], "--at", AT))  # makes the store
    dry = json.loads(ok(promo("eval", shell["ruleset"], shell["guest"], "--db", shell["db"],
                              "--format", "json")).stdout)
    held = json.loads(ok(promo("usage", "reserve", shell["ruleset"], shell["guest"],
                               "--order", "o1", "--db", shell["db"], "--at", AT,
                               "--format", "json")).stdout)["result"]
    for key in ("applied", "rejected", "total"):
        assert dry[key] == held[key], key
    text = ok(promo("eval", shell["ruleset"], shell["guest"], "--db", shell["db"])).stdout
    assert REASON in text


def test_a_guest_still_gets_what_has_no_per_customer_limit(shell: dict[str, str]) -> None:
    out = ok(promo("usage", "reserve", shell["ruleset"], shell["guest"], "--order", "o1",
                   "--db", shell["db"], "--at", AT)).stdout
    assert "o1: reserved (auto5)" in out
    with open_store(shell["db"]) as store:
        assert store.counter("uses", "auto5") == 1 and store.counter("uses", "save10") == 0
        assert store.reconcile() == []


def test_reserve_says_which_limits_refused_and_what_the_budget_capped(
        shell: dict[str, str], tmp_path: Path) -> None:
    """The text output of reserve names every promotion the store refused or capped."""
    for n, code in enumerate(["SAVE10", "SPRING10", "SAVE10"]):  # save10's 3 uses
        cart = write_json(tmp_path / f"c{n}.json", cart_data(customer=f"c{n}", coupons=[code]))
        ok(promo("usage", "reserve", shell["ruleset"], cart, "--order", f"o{n}", "--db",
                 shell["db"], "--at", AT))
    for n in range(3, 5):  # auto5: 25.00 of its 30.00 budget held
        cart = write_json(tmp_path / f"c{n}.json", cart_data(customer=f"c{n}"))
        ok(promo("usage", "reserve", shell["ruleset"], cart, "--order", f"o{n}", "--db",
                 shell["db"], "--at", AT))
    dear = write_json(tmp_path / "dear.json",
                      cart_data(customer="dan", coupons=["SAVE10"], price="300.00"))
    out = ok(promo("usage", "reserve", shell["ruleset"], dear, "--order", "o9", "--db",
                   shell["db"], "--at", AT)).stdout.splitlines()
    assert out[:3] == ["total 295.00 (discount 5.00)",
                       "not applied: save10 (SAVE10): limit_reached: uses limit of 3 reached",
                       "capped to the budget left: auto5 15.00 -> 5.00"]


def test_the_guest_rule_is_a_rejection_never_an_error(shell: dict[str, str]) -> None:
    """The guest rule is a rejection, never an error: only a reused reference fails."""
    ok(promo("usage", "reserve", shell["ruleset"], shell["guest"], "--order", "o1", "--db",
             shell["db"], "--at", AT))
    usage_error(promo("usage", "reserve", shell["ruleset"], shell["alice"], "--order", "o1",
                      "--db", shell["db"], "--at", AT), "PR411")


def test_the_dry_run_without_a_store_agrees(rules: Ruleset) -> None:
    result = evaluate(rules, make_cart(customer="", coupons=["SAVE10"]))
    rejected = result.rejection("save10")
    assert rejected is not None and (rejected.code, rejected.reason) == ("limit_reached",
                                                                         REASON)
