"""``promo bound``: a planted leak is caught with a witness that really evaluates above the
threshold; every example ruleset is bounded; the witness is a rule test that passes."""

from __future__ import annotations

import json
import shutil
from fractions import Fraction
from pathlib import Path

import pytest
from click.testing import CliRunner

from dsl import load_ruleset
from engine import compile_ruleset, parse_cart
from engine.analysis.bound import bound_ruleset, witness_test
from engine.cli import cli
from engine.ruletests import run_tests

DATA = Path(__file__).parent / "data"
ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = sorted((ROOT / "rulesets").glob("*/ruleset.yaml"))


def _share(data: dict, ruleset_path: Path) -> Fraction:
    """The witness cart priced again by the engine, its discount over its subtotal."""
    result = compile_ruleset(load_ruleset(ruleset_path)).evaluate(parse_cart(data))
    return Fraction(result.total_discount) / Fraction(result.subtotal)


def test_the_planted_leak_is_unbounded_and_its_witness_evaluates_above_the_threshold() -> None:
    run = CliRunner().invoke(cli, ["bound", str(DATA / "leak.yaml"), "--format", "json",
                                   "--fail-above", "40"])
    assert run.exit_code == 1, run.output
    report = json.loads(run.stdout)
    assert report["proven"]["amount"] is None
    # 2.00 off each sock takes all of a cheaper sock: up to the whole subtotal
    assert report["proven"]["share_of_subtotal"] == "1.000000"
    reasons = {p["id"]: p["proven"]["unbounded"] for p in report["promotions"]}
    assert reasons["socks-2-each"] == "2.00 off every unit, with no max_units (no max_amount)"
    assert reasons["sale-30"] == "30% off lines whose prices nothing caps (no max_amount)"
    witness = report["witness"]["largest_share"]
    assert _share(witness["cart"], DATA / "leak.yaml") > Fraction(40, 100)
    large = report["witness"]["largest_amount"]
    assert Fraction(large["amount"]) > 250  # the uncapped amounts, on a real cart
    assert "above --fail-above 40%" in run.stderr


STACKED = """\
ruleset: stacked
dsl: 1
currency: EUR
timezone: Europe/Berlin
stacking: { coupons_per_order: 1, coupon_with_automatic: true, base: original }
promotions:
  - id: sale-30
    target: item.category == "shoes"
    effect: { percent_off: 30 }
  - id: members-25
    when: customer.segments contains "member"
    effect: { percent_off: 25 }
"""


def test_two_uncapped_stacking_percentages_are_proven_at_their_sum(tmp_path: Path) -> None:
    path = tmp_path / "stacked.yaml"
    path.write_text(STACKED, encoding="utf-8")
    run = CliRunner().invoke(cli, ["bound", str(path), "--format", "json",
                                   "--fail-above", "40"])
    assert run.exit_code == 1, run.output
    report = json.loads(run.stdout)
    assert report["proven"]["share_of_subtotal"] == "0.550000"  # 30 % + 25 % of the original
    witness = report["witness"]["largest_share"]
    assert witness["applied"] == ["members-25", "sale-30"]
    assert Fraction(55, 100) <= _share(witness["cart"], path) < Fraction(551, 1000)  # rounding


def test_a_capped_ruleset_passes_the_gate_on_its_proven_bound() -> None:
    run = CliRunner().invoke(cli, ["bound", str(DATA / "kept.yaml"), "--fail-above", "40"])
    assert run.exit_code == 0, run.output
    assert "whole ruleset" in run.stdout and "40.00%" in run.stdout


def test_where_nothing_is_proven_the_gate_reads_the_witness() -> None:
    # grocery: free delivery on any subtotal, so no share of the subtotal is proven
    path = ROOT / "rulesets" / "grocery" / "ruleset.yaml"
    # (the search is seeded; 800 carts find a free delivery on a near-empty cart)
    report = bound_ruleset(load_ruleset(path), tries=800)
    assert report.proven.of_subtotal is None
    value, which = report.checked_share()
    assert which == "best witness" and value is not None and value > 1
    assert report.exceeds(Fraction(1))


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.parent.name)
def test_every_example_ruleset_is_bounded_and_no_witness_beats_its_proof(path: Path) -> None:
    report = bound_ruleset(load_ruleset(path), tries=600)
    proven = report.proven
    for witness in report.found.witnesses.values():
        assert witness is not None
        discount = Fraction(witness.result.total_discount)
        if proven.amount is not None:
            assert discount <= proven.amount
        subtotal = Fraction(witness.result.subtotal)
        if proven.of_subtotal is not None and subtotal:
            assert discount <= proven.of_subtotal * subtotal + Fraction(1, 2)
    for bound in proven.promotions:  # the most each gave on one cart
        given = report.found.per_promotion.get(bound.id)
        if given is not None and bound.amount is not None:
            assert given <= bound.amount
        # the share the report shows is of a cart where rounding weighs little
        shown = report.found.share_per_promotion.get(bound.id)
        if shown is not None and bound.of_subtotal is not None:
            assert shown <= bound.of_subtotal + Fraction(1, 1_000)
    assert proven.of_total <= 1


def test_fashion_is_proven_at_its_max_discount() -> None:
    report = bound_ruleset(load_ruleset(ROOT / "rulesets/fashion/ruleset.yaml"), tries=300)
    assert report.proven.of_subtotal == Fraction(1, 2)
    bounds = {b.id: b for b in report.proven.promotions}
    assert bounds["welcome-10"].of_subtotal == Fraction(1, 5)  # 10.00 off from 50
    assert bounds["newsletter-15"].amount == 25
    assert bounds["socks-3-for-2"].of_subtotal == Fraction(1, 3)  # the cheapest of three


def test_the_witness_rule_test_passes_beside_the_ruleset(tmp_path: Path) -> None:
    for source in (DATA / "leak.yaml", ROOT / "rulesets/marketplace/ruleset.yaml"):
        folder = tmp_path / source.stem
        (folder / "tests").mkdir(parents=True)
        shutil.copy(source, folder / "ruleset.yaml")
        report = bound_ruleset(load_ruleset(folder / "ruleset.yaml"), tries=400)
        (folder / "tests" / "bound.yaml").write_text(witness_test(report), encoding="utf-8")
        tests = run_tests([folder])
        assert (tests.passed, tests.failed, tests.errors) == (1, 0, []), tests.results


def test_the_readme_shows_the_real_output(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    command = "promo bound rulesets/marketplace/ruleset.yaml"
    start = readme.index(f"`{command}`:")
    block = readme.index("```text\n", start) + len("```text\n")
    run = CliRunner().invoke(cli, command.split()[1:])
    assert run.exit_code == 0
    assert readme[block:readme.index("```", block)] == run.output


def test_a_ruleset_that_does_not_load_is_a_usage_error(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("ruleset: x\ndsl: 1\n", encoding="utf-8")
    run = CliRunner().invoke(cli, ["bound", str(bad)])
    assert run.exit_code == 2
    assert "Traceback" not in run.output


GIFTS = """\
ruleset: gifts
dsl: 1
currency: EUR
timezone: Europe/Berlin
invariants: { no_free_lines: true }
stacking: { coupons_per_order: 1, coupon_with_automatic: true, base: discounted }
promotions:
  - id: tote
    when: cart.subtotal >= 60
    effect: { gift: { sku: TOTE, unit_price: "12.00", quantity: 2, percent_off: 50 } }
  - id: socks
    effect: { gift: { sku: SOCKS, unit_price: "4.00", when_in_cart: discount } }
"""


def test_a_gift_is_bounded_by_its_value_unless_it_discounts_the_cart_line(
        tmp_path: Path) -> None:
    path = tmp_path / "gifts.yaml"
    path.write_text(GIFTS)
    report = bound_ruleset(load_ruleset(path), tries=200)
    by_id = {b.id: b for b in report.proven.promotions}
    # 2 × 12.00 at 50 %: at most 12.00, 20 % of the least subtotal (60.00)
    assert (by_id["tote"].amount, by_id["tote"].of_subtotal) == (Fraction(12), Fraction(1, 5))
    assert by_id["tote"].frees_lines is None  # the gift line is no cart line
    assert by_id["socks"].amount is None
    assert by_id["socks"].unbounded == ("a gift in the cart (SOCKS) is discounted at the "
                                        "cart's price, which nothing caps (no max_amount)")
    assert by_id["socks"].frees_lines == "gift SOCKS in the cart at 100% off"
