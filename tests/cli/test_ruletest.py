"""promo test: the bundled rule tests pass; failures show a diff; invalid files exit 2."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from engine.cli import cli
from engine.ruletests import run_tests

from .conftest import fashion_shop

CLOSING = re.compile(r"^(\d+) passed, (\d+) failed$")


def test_bundled_rule_tests_pass(runner: CliRunner, root: Path,
                                 monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(root)
    result = runner.invoke(cli, ["test"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    match = CLOSING.match(lines[-1])
    assert match and match.group(2) == "0" and int(match.group(1)) >= 23
    assert all(line.startswith("PASS ") for line in lines[:-1])


def test_every_example_ruleset_and_cart_has_a_rule_test(root: Path) -> None:
    report = run_tests([root / "rulesets"])
    assert report.ok and report.exit_code == 0
    tested = {Path(r.test.file).parent.parent.name for r in report.results}
    shops = {p.parent.name for p in (root / "rulesets").glob("*/ruleset.yaml")}
    assert tested == shops
    carts = {str(p.relative_to(root / "rulesets")) for p in
             (root / "rulesets").glob("*/carts/*.yaml")}
    used = {f"{Path(r.test.file).parent.parent.name}/carts/{Path(str(r.test.case.cart)).name}"
            for r in report.results if isinstance(r.test.case.cart, str)}
    assert carts <= used, f"carts without a rule test: {sorted(carts - used)}"


def test_a_wrong_expectation_fails_with_a_readable_diff(runner: CliRunner, tmp_path: Path,
                                                        root: Path) -> None:
    shop = fashion_shop(tmp_path, """\
- name: showcase
  cart: ../carts/example.yaml
  expect:
    total: "179.30"
    applied: [summer-swim-30, vip-15, free-shipping-75]
    rejected: { student-10: coupon_limit, nobody: expired }
    rejected_coupons: { SPRING20: coupon_unknown }
    lines: { l3: "59.41", l9: "1.00" }
- name: still fine
  cart: ../carts/example.yaml
  expect: { total_discount: "64.11" }
""")
    result = runner.invoke(cli, ["test", str(shop)])
    assert result.exit_code == 1
    where = shop / "tests" / "carts.yaml"
    assert result.output == f"""\
FAIL showcase  ({where}:1)
    total                      expected 179.30, actual 179.29
    applied                    expected [summer-swim-30, vip-15, free-shipping-75]
                               actual   [summer-swim-30, vip-15, basics-tee-12, free-shipping-75]
                               + basics-tee-12  (applied, not expected)
    rejected.student-10        expected coupon_limit, actual group_taken
    rejected.nobody            expected expired, actual not in the result (no such promotion?)
    rejected_coupons.SPRING20  expected coupon_unknown, actual taken by spring-20 (coupon_expired)
    lines.l9                   expected 1.00, actual (no such line)
PASS still fine  ({where}:9)
1 passed, 1 failed
"""


def test_invalid_test_files_exit_2_with_positions(runner: CliRunner, tmp_path: Path,
                                                  root: Path) -> None:
    shop = fashion_shop(tmp_path, """\
- name: bare float
  cart: ../carts/example.yaml
  expect: { total: 179.29, rejected: { student-10: group_taked } }
- name: no cart
  expect: { total: "1.00" }
  carts: ../carts/example.yaml
- name: missing files
  ruleset: ../nope.yaml
  cart: ../carts/example.yaml
  expect: { total: "1.00" }
""")
    result = runner.invoke(cli, ["test", str(shop)])
    assert result.exit_code == 2
    out = result.output
    where = shop / "tests" / "carts.yaml"
    assert f"{where}:3:20: PR510 amount 179.29 is written as a bare number" in out
    assert "   3 |   expect: { total: 179.29, rejected: { student-10: group_taked } }" in out
    assert f"{where}:3:52: PR510 'group_taked' is not a reason code; did you mean " \
           "'group_taken'?" in out
    assert f"{where}:4:3: PR510 missing required field 'cart'" in out
    assert f"{where}:6:3: PR510 unknown field 'carts'" in out
    assert out.splitlines()[-1] == "0 passed, 0 failed"
    assert "Traceback" not in out


def test_missing_ruleset_and_cart_errors(runner: CliRunner, tmp_path: Path, root: Path) -> None:
    shop = fashion_shop(tmp_path, """\
- name: missing ruleset
  ruleset: ../nope.yaml
  cart: ../carts/example.yaml
  expect: { total: "1.00" }
- name: missing cart
  cart: ../carts/nope.yaml
  expect: { total: "1.00" }
- name: bad inline cart
  cart: { id: c, currency: EUR, lines: [{ id: l1, sku: S, unit_price: 9.99, quantity: 1 }] }
  expect: { total: "9.99" }
""")
    result = runner.invoke(cli, ["test", str(shop)])
    assert result.exit_code == 2
    where = shop / "tests" / "carts.yaml"
    assert f"{where}:2:12: PR511 test 'missing ruleset': no ruleset at" in result.output
    assert f"{where}:6:9: PR511 test 'missing cart': no cart at" in result.output
    assert f"{where}:9:71: PR303 lines[0].unit_price: price 9.99 is a bare number" \
        in result.output


def test_a_ruleset_with_errors_is_reported(runner: CliRunner, tmp_path: Path,
                                           root: Path) -> None:
    shop = fashion_shop(tmp_path, """\
- name: showcase
  cart: ../carts/example.yaml
  expect: { total: "179.29" }
""")
    ruleset = shop / "ruleset.yaml"
    ruleset.write_text(ruleset.read_text().replace("percent_off: 30 }", "percent_of: 30 }"))
    result = runner.invoke(cli, ["test", str(shop)])
    assert result.exit_code == 2
    assert f"{ruleset}:30:13: PR127 an effect needs one of" in result.output


def test_paths_and_api(runner: CliRunner, tmp_path: Path, root: Path) -> None:
    result = runner.invoke(cli, ["test", str(tmp_path / "nope")])
    assert result.exit_code == 2 and "PR500 no such file or directory" in result.output
    report = run_tests([root / "rulesets" / "japan" / "tests" / "carts.yaml"])
    assert (report.passed, report.failed, report.errors) == (7, 0, [])
    empty = runner.invoke(cli, ["test", str(tmp_path)])
    assert empty.exit_code == 0
    assert empty.output == "no rule tests found\n0 passed, 0 failed\n"
