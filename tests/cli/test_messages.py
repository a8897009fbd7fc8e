"""Messages of the commands around a ruleset: rule test files and checkouts."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from engine.cli import cli


def test_a_rule_tests_bad_time_shows_the_value_written(root: Path, tmp_path: Path) -> None:
    """The message showed the placeholder ``{value!r}`` instead of the value."""
    folder = tmp_path / "shop" / "tests"
    folder.mkdir(parents=True)
    (folder / "t.yaml").write_text(
        f"- name: t\n  ruleset: {root}/rulesets/fashion/ruleset.yaml\n"
        f"  cart: {root}/rulesets/fashion/carts/example.yaml\n"
        '  at: "2026-13-01T00:00"\n  expect: { total: "1.00" }\n', encoding="utf-8")
    result = CliRunner().invoke(cli, ["test", str(tmp_path / "shop")])
    assert result.exit_code == 2
    assert "t.yaml:4:7: PR510 at: expected an ISO-8601 date and time such as " \
           "\"2026-07-15T14:30:00+02:00\", got '2026-13-01T00:00'" in result.output
    assert "{value" not in result.output


def test_a_checkout_names_a_refused_code_as_the_ruleset_writes_it(root: Path, tmp_path: Path,
                                                                  monkeypatch) -> None:
    monkeypatch.chdir(root)
    cart = tmp_path / "cart.yaml"
    text = (root / "rulesets/fashion/carts/welcome-new-customer.yaml").read_text("utf-8")
    assert '"NEWS15"' in text
    cart.write_text(text.replace('"NEWS15"', '" news15"'), encoding="utf-8")
    result = CliRunner().invoke(cli, [
        "usage", "reserve", "rulesets/fashion/ruleset.yaml", str(cart), "--order", "o1",
        "--db", str(tmp_path / "usage.sqlite")])
    assert result.exit_code == 0, result.output
    assert "not applied: newsletter-15 (NEWS15): coupon_limit: at most 1 coupon per order; " \
           "WELCOME10 applied\n" in result.stdout


def test_a_ruleset_or_a_cart_given_to_promo_test_says_what_to_do(root: Path,
                                                                 monkeypatch) -> None:
    monkeypatch.chdir(root)
    result = CliRunner().invoke(cli, ["test", "rulesets/fashion/ruleset.yaml",
                                      "rulesets/fashion/carts/example.yaml"])
    assert result.exit_code == 2
    hints = [line.strip() for line in result.output.splitlines() if "= hint" in line]
    assert hints == [
        "= hint: this file is a cart: price it with `promo eval RULESET FILE`, or name it in "
        "a test's cart:",
        "= hint: this file is a ruleset: check it with `promo lint FILE`; its tests go in a "
        "tests/ folder beside it"]
