"""A rule test written from a result runs green, and fails once the ruleset changes."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import yaml

from dsl import load_ruleset
from engine.cart import load_cart
from engine.program import evaluate
from engine.ruletests import run_tests
from engine.ruletests.snapshot import expectations, rule_test_yaml

ROOT = Path(__file__).resolve().parents[2]
FASHION = ROOT / "rulesets" / "fashion"


def _write(folder: Path, ruleset_text: str, test_text: str) -> None:
    (folder / "tests").mkdir(parents=True, exist_ok=True)
    (folder / "ruleset.yaml").write_text(ruleset_text)
    (folder / "tests" / "written.yaml").write_text(test_text)


def test_every_sample_cart_written_as_a_test_passes(tmp_path: Path) -> None:
    rules = load_ruleset(FASHION / "ruleset.yaml")
    tests = []
    carts = sorted((FASHION / "carts").glob("*.yaml"))
    for cart_path in carts:
        cart = load_cart(cart_path)
        text = rule_test_yaml(evaluate(rules, cart), cart, name=cart_path.stem, at=None)
        tests.extend(yaml.safe_load(text))
    _write(tmp_path, (FASHION / "ruleset.yaml").read_text(), yaml.safe_dump(tests))
    report = run_tests([tmp_path])
    assert report.exit_code == 0 and len(report.results) == len(tests) == len(carts) > 1


def test_a_written_test_catches_a_changed_rule(tmp_path: Path) -> None:
    rules = load_ruleset(FASHION / "ruleset.yaml")
    cart = load_cart(FASHION / "carts" / "example.yaml")
    at = dt.datetime(2026, 7, 20, 10, tzinfo=dt.UTC)
    text = rule_test_yaml(evaluate(rules, cart, at=at), cart, name="vip", at=at)
    assert text.startswith("# A rule test written from an evaluation")
    changed = (FASHION / "ruleset.yaml").read_text().replace(
        "effect: { percent_off: 15 }", "effect: { percent_off: 20 }")
    _write(tmp_path, changed, text)
    report = run_tests([tmp_path])
    assert report.exit_code == 1


def test_expectations_name_rejected_codes_nobody_took() -> None:
    rules = load_ruleset(FASHION / "ruleset.yaml")
    cart = load_cart(FASHION / "carts" / "returning-customer.yaml")
    expect = expectations(evaluate(rules, cart))
    assert expect["rejected_coupons"], expect
    assert set(expect["lines"]) == {line.id for line in cart.lines}
