"""Messages that failed a new user, each as `promo lint` prints it: what to write instead."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from dsl import hints
from engine.cli import cli

from .conftest import HEADER

ROOT = Path(__file__).resolve().parents[2]


def lint(tmp_path: Path, text: str, name: str = "ruleset.yaml") -> str:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    result = CliRunner().invoke(cli, ["lint", str(path)])
    assert result.exit_code == 1, result.output
    return result.output.replace(str(tmp_path) + "/", "")


def promotion(*lines: str) -> str:
    return HEADER + "  - id: p1\n" + "".join(f"    {line}\n" for line in lines)


@pytest.mark.parametrize(("written", "meant", "words"), [("=>", ">=", "at least"),
                                                         ("=<", "<=", "at most")])
def test_arrow_comparisons_suggest_the_operator_meant(tmp_path: Path, written: str, meant: str,
                                                      words: str) -> None:
    out = lint(tmp_path, promotion(f"when: cart.subtotal {written} 49",
                                   "effect: { percent_off: 10 }"))
    assert f"ruleset.yaml:11:25: PR150 [error] '{written}' is not an operator " \
           "(expression column 15)" in out
    assert f"= hint: write '{meant}' ({words})" in out
    assert "'=='" not in out


def test_a_single_equals_still_suggests_double(tmp_path: Path) -> None:
    out = lint(tmp_path, promotion("when: customer.orders = 0", "effect: { percent_off: 10 }"))
    assert "'=' is not an operator" in out and "use '==' to compare" in out


def test_a_cart_given_to_lint_is_said_to_be_a_cart(tmp_path: Path) -> None:
    cart = (ROOT / "rulesets/fashion/carts/example.yaml").read_text(encoding="utf-8")
    out = lint(tmp_path, cart, "cart.yaml")
    assert out == (
        "cart.yaml:12:1: PR119 [error] this file is a cart, not a ruleset\n"
        "  12 | id: nl-cart-100231\n"
        "     | ^\n"
        "     = hint: price it against a ruleset with `promo eval RULESET CART`\n"
        "\nFound 1 error and 0 warnings in 1 file.\n")


def test_a_cart_given_as_the_ruleset_of_eval(monkeypatch) -> None:
    monkeypatch.chdir(ROOT)
    cart = "rulesets/fashion/carts/example.yaml"
    result = CliRunner().invoke(cli, ["eval", cart, cart])
    assert result.exit_code == 2
    assert result.stderr.startswith(f"{cart}:12:1: PR119 this file is a cart, not a ruleset\n")
    assert "PR121" not in result.stderr and "PR120" not in result.stderr


def test_a_rule_test_file_given_to_lint_is_said_to_be_rule_tests(tmp_path: Path) -> None:
    tests = (ROOT / "rulesets/fashion/tests/carts.yaml").read_text(encoding="utf-8")
    out = lint(tmp_path, tests, "carts.yaml")
    assert out.startswith("carts.yaml:5:1: PR119 [error] this file holds rule tests, not a "
                          "ruleset\n")
    assert "run them with `promo test FILE`" in out
    assert out.count("PR1") == 1


def test_a_did_you_mean_hint_never_suggests_the_name_written(tmp_path: Path) -> None:
    """`id` is a field of a promotion, not of the ruleset: say which fields belong there."""
    out = lint(tmp_path, HEADER.replace("ruleset: test", "id: test") +
               "  - id: p1\n    effect: { percent_off: 10 }\n")
    assert "unknown field 'id'" in out
    assert "did you mean 'id'" not in out
    assert "= hint: 'id' is not a field here; the fields here are: currency, description, " \
           "dsl, invariants, name, promotions, rounding, ruleset, stacking, timezone" in out


def test_a_misspelt_field_gets_the_field_of_its_own_mapping(tmp_path: Path) -> None:
    out = lint(tmp_path, promotion("priorty: 5", "effect: { percent_off: 10 }"))
    assert "unknown field 'priorty'" in out and "did you mean 'priority'?" in out


def test_an_over_indented_line_says_to_check_the_indentation(tmp_path: Path) -> None:
    out = lint(tmp_path, "ruleset: test\ndsl: 1\n  currency: USD\n")
    assert "ruleset.yaml:3:11: PR101 [error] YAML syntax error: mapping values are not " \
           "allowed in this context" in out
    assert "= hint: check the indentation: a field lines up with the fields beside it" in out


def test_a_tab_says_spaces_not_tabs(tmp_path: Path) -> None:
    out = lint(tmp_path, HEADER + "\t- id: p1\n")
    assert "ruleset.yaml:10:1: PR101 [error] YAML syntax error: found character that " \
           "cannot start any token" in out
    assert "= hint: indent with spaces, not tabs" in out


def test_an_invalid_id_says_what_an_id_looks_like(tmp_path: Path) -> None:
    out = lint(tmp_path, HEADER + '  - id: "summer sale!"\n    effect: { percent_off: 10 }\n')
    assert "PR122 [error] id: 'summer sale!' is not a valid id" in out
    assert "= hint: an id is letters, digits, '.', '_' and '-', starts with a letter or a " \
           "digit and has at most 100 characters, e.g. summer-sale-2026" in out
    assert "pattern" not in out and "^[A-Za-z0-9]" not in out


def test_an_invalid_date_says_what_a_date_looks_like(tmp_path: Path) -> None:
    out = lint(tmp_path, promotion("active: { from: 2026-13-27 }", "effect: { percent_off: 10 }"))
    assert "expected a date (2026-06-01) or a date and time (2026-06-01T09:00), got " \
           "'2026-13-27'" in out
    assert "input should be" not in out and "invalid character" not in out


@pytest.mark.parametrize("kind", ["datetime_parsing", "datetime_from_date_parsing", "date_type"])
def test_the_date_wording_of_pydantic_is_replaced(kind: str) -> None:
    message, _ = hints.plain_message(kind, "at", "Input should be a valid datetime or date, "
                                     "invalid character in year", {})
    assert message == "at: must be a date such as 2026-06-01 or a date and time such as " \
                      "2026-06-01T09:00"


def test_a_percent_sign_says_percentages_are_plain_numbers(tmp_path: Path) -> None:
    out = lint(tmp_path, promotion('effect: { percent_off: "50%" }'))
    assert 'PR122 [error] a percentage is a plain number: write 50, not "50%"' in out
    assert "9.99" not in out


def test_a_window_to_suggests_until_and_says_it_is_exclusive(tmp_path: Path) -> None:
    out = lint(tmp_path, promotion("active: { from: 2026-11-27, to: 2026-11-29 }",
                                   "effect: { percent_off: 10 }"))
    assert "ruleset.yaml:11:33: PR121 [error] unknown field 'to'" in out
    assert "= hint: write 'until': a window is { from: ..., until: ... }; until is exclusive, " \
           "the first moment the promotion is over: Black Friday weekend is from: 2026-11-27, " \
           "until: 2026-11-30 (Friday, Saturday and Sunday)" in out


def test_to_outside_a_window_is_not_taken_for_until(tmp_path: Path) -> None:
    out = lint(tmp_path, promotion("to: 5", "effect: { percent_off: 10 }"))
    assert "unknown field 'to'" in out and "until" not in out


@pytest.mark.parametrize(("field", "message"), [
    ('priority: "high"', "priority: must be a whole number such as 3 (without quotes)"),
    ("effect: { percent_off: 10, max_units: 0 }", "max_units: must be at least 1"),
    ('coupons: []', "coupons: needs at least 1 item"),
])
def test_library_wording_is_replaced(tmp_path: Path, field: str, message: str) -> None:
    lines = [field] if "effect" in field else [field, "effect: { percent_off: 10 }"]
    out = lint(tmp_path, promotion(*lines))
    assert message in out
    assert "input should" not in out.lower() and "after validation" not in out


def test_a_carts_unknown_fields_get_the_carts_own_hints(tmp_path: Path) -> None:
    """Hints from the cart's fields, never from a ruleset's ('customr' is not 'per_customer')."""
    cart = tmp_path / "cart.yaml"
    cart.write_text('id: c\ncurrency: USD\nlines:\n  - { id: a, sku: X, unit_price: "1.00", '
                    "quantity: 1, qty: 2, colour: red }\ncustomr: {}\n", encoding="utf-8")
    ruleset = tmp_path / "ruleset.yaml"
    ruleset.write_text(HEADER + "  - id: p1\n    effect: { percent_off: 10 }\n",
                       encoding="utf-8")
    result = CliRunner().invoke(cli, ["eval", str(ruleset), str(cart)])
    assert result.exit_code == 2
    hints_shown = [line.strip() for line in result.stderr.splitlines() if "= hint" in line]
    assert hints_shown == [
        "= hint: write 'quantity': a line's number of units",
        "= hint: facts of your own go under attributes, e.g. attributes: { colour: ... }",
        "= hint: did you mean 'customer'?"]


@pytest.mark.parametrize(("condition", "hint"), [
    ("when: cart.orders == 0", "'orders' is a field of customer: customer.orders"),
    ("when: customer.segment contains \"vip\"", "did you mean 'segments'?"),
    ("target: item.subtotal > 5", "did you mean 'total', or cart.subtotal?"),
])
def test_a_field_of_another_object_is_named(tmp_path: Path, condition: str, hint: str) -> None:
    out = lint(tmp_path, promotion(condition, "effect: { percent_off: 10 }"))
    assert f"= hint: {hint}\n" in out


@pytest.mark.parametrize(("cart", "message", "hint"), [
    ("rulesets/fashion/ruleset.yaml", "5:1: PR119 this file is a ruleset, not a cart",
     "the ruleset comes first: `promo eval RULESET CART`"),
    ("rulesets/fashion/tests/carts.yaml", "5:1: PR119 this file holds rule tests, not a cart",
     "run them with `promo test FILE`"),
])
def test_a_ruleset_or_rule_tests_given_as_a_cart(monkeypatch, cart: str, message: str,
                                                 hint: str) -> None:
    monkeypatch.chdir(ROOT)
    result = CliRunner().invoke(cli, ["eval", "rulesets/fashion/ruleset.yaml", cart])
    assert result.exit_code == 2
    assert result.stderr.startswith(f"{cart}:{message}\n")
    assert result.stderr.endswith(f"= hint: {hint}\n")
    assert "PR302" not in result.stderr
