"""Declared invariants: kept ones are proven, broken ones come with a cart that really breaks
them, the rest are unknown; ``promo lint`` and ``promo test --examples`` report them."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from click.testing import CliRunner

from dsl import load_ruleset, load_ruleset_text
from engine import compile_ruleset, parse_cart
from engine.analysis.examples import check_examples
from engine.analysis.invariants import breaks, check_invariants
from engine.cli import cli

DATA = Path(__file__).parent / "data"


def _statuses(path: Path) -> dict[str, str]:
    return {v.name: v.status for v in check_invariants(load_ruleset(path), tries=600)}


def test_kept_invariants_are_proven() -> None:
    assert _statuses(DATA / "kept.yaml") == {"max_discount_amount": "proven",
                                             "max_discount_percent": "proven",
                                             "no_free_lines": "proven"}


def test_broken_invariants_come_with_a_cart_that_breaks_them() -> None:
    ruleset = load_ruleset(DATA / "leak.yaml")
    verdicts = check_invariants(ruleset, tries=600)
    assert [v.status for v in verdicts] == ["broken"] * 3
    assert ruleset.invariants is not None
    program = compile_ruleset(ruleset)
    for verdict in verdicts:
        assert verdict.witness is not None
        result = program.evaluate(parse_cart(json.loads(verdict.witness)))
        assert verdict.name in breaks(ruleset.invariants, result, ruleset.minor_units)


def test_an_invariant_neither_proven_nor_broken_is_unknown() -> None:
    ruleset = load_ruleset_text("""
ruleset: open
dsl: 1
currency: EUR
timezone: Europe/Berlin
stacking: { coupons_per_order: 1, coupon_with_automatic: true, base: original }
invariants: { max_discount_amount: "1000000000.00", no_free_lines: true }
promotions:
  - id: members-10
    effect: { percent_off: 10 }
  - id: vip-5
    when: customer.segments contains "vip"
    effect: { percent_off: 5 }
""")
    verdicts = {v.name: v for v in check_invariants(ruleset, tries=300)}
    assert verdicts["max_discount_amount"].status == "unknown"
    assert "10% off lines whose prices nothing caps" in verdicts["max_discount_amount"].message
    # base original: two rounded shares of one original line are not proven to leave
    # anything, though 15 % never takes a whole line (half_even)
    assert verdicts["no_free_lines"].status == "unknown"


def test_the_percent_invariant_allows_half_a_minor_unit_per_line_discount() -> None:
    ruleset = load_ruleset_text("""
ruleset: rounding
dsl: 1
currency: EUR
timezone: Europe/Berlin
rounding: half_up
stacking: { coupons_per_order: 1, coupon_with_automatic: true, base: discounted }
invariants: { max_discount_percent: 30 }
promotions:
  - id: sale-30
    effect: { percent_off: 30 }
""")
    # 30 % of 0.05 is 0.015, rounded up to 0.02: 40 % of the line, within the allowance
    result = compile_ruleset(ruleset).evaluate(parse_cart({
        "id": "c", "currency": "EUR", "lines": [
            {"id": "l1", "sku": "s", "unit_price": "0.05", "quantity": 1}]}))
    assert str(result.total_discount) == "0.02"
    assert ruleset.invariants is not None
    assert breaks(ruleset.invariants, result, 2) == []
    assert [v.status for v in check_invariants(ruleset, tries=200)] == ["proven"]


def test_lint_reports_broken_as_errors_and_exits_1() -> None:
    run = CliRunner().invoke(cli, ["lint", str(DATA), "--format", "json"])
    assert run.exit_code == 1, run.output
    found = json.loads(run.stdout)["diagnostics"]
    codes = sorted(d["code"] for d in found if d["code"] in ("PR219", "PR220"))
    assert codes == ["PR219"] * 3


def test_lint_without_a_checker_finds_nothing_about_invariants() -> None:
    from dsl.lint import lint_paths

    report = lint_paths([DATA / "leak.yaml"])
    assert not [d for d in report.diagnostics if d.code in ("PR219", "PR220")]


def test_generated_carts_break_the_leak_and_keep_the_kept() -> None:
    report = check_examples([DATA], examples=150)
    by_file = {Path(c.path).name: c for c in report.checked}
    assert by_file["kept.yaml"].broken == ()
    leak = by_file["leak.yaml"]
    assert leak.broken and leak.cart is not None
    ruleset = load_ruleset(DATA / "leak.yaml")
    result = compile_ruleset(ruleset).evaluate(parse_cart(leak.cart))
    assert ruleset.invariants is not None
    assert set(leak.broken) == set(breaks(ruleset.invariants, result, 2))
    assert report.failed


def test_promo_test_examples_exits_1_on_a_broken_invariant(tmp_path: Path) -> None:
    run = CliRunner().invoke(cli, ["test", str(DATA), "--examples", "100"])
    assert run.exit_code == 1, run.output
    assert "PASS invariants of" in run.output and "FAIL invariants of" in run.output
    shutil.copy(DATA / "kept.yaml", tmp_path / "kept.yaml")
    kept = CliRunner().invoke(cli, ["test", str(tmp_path), "--examples", "100"])
    assert kept.exit_code == 0, kept.output
    assert "invariants: 1 rulesets kept, 0 broken" in kept.output


def test_a_free_gift_line_is_no_free_line() -> None:
    ruleset = load_ruleset_text("""
ruleset: gifts
dsl: 1
currency: JPY
timezone: Asia/Tokyo
stacking: { coupons_per_order: 1, coupon_with_automatic: true, base: discounted }
invariants: { no_free_lines: true, max_discount_amount: "800" }
promotions:
  - id: mug
    when: cart.subtotal >= 3000
    effect: { gift: { sku: MUG, unit_price: "800" } }
""")
    result = compile_ruleset(ruleset).evaluate(parse_cart({
        "id": "c", "currency": "JPY", "at": "2026-05-01T10:00:00+09:00",
        "lines": [{"id": "l1", "sku": "TEA", "unit_price": "3000", "quantity": 1}]}))
    assert [(line.id, line.final_total) for line in result.lines] == [
        ("l1", 3000), ("gift:mug:MUG", 0)]
    assert ruleset.invariants is not None
    assert breaks(ruleset.invariants, result, ruleset.minor_units) == []
    assert {v.name: v.status for v in check_invariants(ruleset, tries=200)} == {
        "max_discount_amount": "proven", "no_free_lines": "proven"}
