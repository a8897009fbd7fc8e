"""``promo coupons generate|export|status`` and batch codes through ``promo usage`` and
``promo eval``: the one command that prints codes, and exit 2 with a rendered error."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from storekit import cart_data, ok, promo, ruleset_yaml, usage_error, write_json

from dsl.couponbatch import ALPHABET

BATCH = """\
- id: vip
  coupon_batch: SPRING-VIP
  coupon_pattern: "SPRING-####-####"
  effect: { percent_off: 15 }
  limits: { per_customer: 1 }
  metadata: { funded_by: "seller:acme" }
- id: plain
  coupon: PLAIN
  effect: { percent_off: 5 }
"""


@pytest.fixture
def ruleset(tmp_path: Path) -> str:
    path = tmp_path / "ruleset.yaml"
    path.write_text(ruleset_yaml(BATCH), encoding="utf-8")
    return str(path)


def exported(ruleset: str, location: str, *extra: str) -> list[dict[str, str]]:
    out = ok(promo("coupons", "export", ruleset, "vip", "--db", location, *extra)).stdout
    return list(csv.DictReader(io.StringIO(out)))


def test_generate_status_export_and_a_checkout(ruleset: str, location: str,
                                              tmp_path: Path) -> None:
    shown = ok(promo("coupons", "generate", ruleset, "vip", "--count", "25", "--db", location,
                     "--pattern", "spring-####-####")).stdout
    assert "SPRING-VIP: 25 codes generated (SPRING-####-####)" in shown
    rows = exported(ruleset, location)
    assert len(rows) == len({r["code"] for r in rows}) == 25
    assert all(r["batch"] == "SPRING-VIP" and r["state"] == "unused" for r in rows)
    assert all(r["code"].startswith("SPRING-") and set(r["code"][7:]) <= set(ALPHABET + "-")
               for r in rows)
    for row in rows:  # no other command prints a code
        assert row["code"] not in shown

    code = rows[0]["code"]
    cart = write_json(tmp_path / "cart.json", cart_data(customer="alice",
                                                        coupons=[code.lower()]))
    dry = json.loads(ok(promo("eval", ruleset, cart, "--format", "json")).stdout)
    assert sorted((r["promotion"], r["code"]) for r in dry["rejected"]) == \
        [("plain", "coupon_not_entered"), ("vip", "coupon_unverified")]
    seen = json.loads(ok(promo("eval", ruleset, cart, "--format", "json", "--db",
                               location)).stdout)
    assert seen["applied"] == [{"promotion": "vip", "name": None, "coupon": code.lower(),
                                "amount": "15.00", "items": "15.00", "shipping": "0.00",
                                "metadata": {"funded_by": "seller:acme"}}]
    ok(promo("usage", "reserve", ruleset, cart, "--order", "o-1", "--db", location))
    status = json.loads(ok(promo("coupons", "status", ruleset, "vip", "--db", location,
                                 "--format", "json")).stdout)
    assert status == {"batch": "SPRING-VIP", "unused": 24, "reserved": 1, "used": 0,
                      "total": 25}
    ok(promo("usage", "confirm", "o-1", "--db", location))
    text = ok(promo("coupons", "status", ruleset, "vip", "--db", location)).stdout
    assert text == "SPRING-VIP: 25 codes: 24 unused, 0 reserved, 1 used\n"
    assert [r["code"] for r in exported(ruleset, location, "--state", "used")] == [code]

    other = write_json(tmp_path / "bob.json", cart_data(customer="bob", coupons=[code]))
    again = ok(promo("usage", "reserve", ruleset, other, "--order", "o-2", "--db", location))
    assert "not applied: vip" in again.stdout and "coupon_used" in again.stdout

    target = tmp_path / "codes.csv"
    ok(promo("coupons", "export", ruleset, "vip", "--db", location, "--output", str(target)))
    with target.open(encoding="utf-8") as stream:
        assert next(csv.reader(stream)) == ["batch", "code", "state"]
        assert len(list(stream)) == 25


def test_mistakes_are_exit_2_with_their_codes(ruleset: str, location: str) -> None:
    usage_error(promo("coupons", "generate", ruleset, "nope", "--count", "1", "--db",
                      location), "PR530")
    usage_error(promo("coupons", "generate", ruleset, "plain", "--count", "1", "--db",
                      location), "PR501")
    err = usage_error(promo("coupons", "generate", ruleset, "vip", "--count", "1", "--db",
                            location, "--pattern", "VIP-########"), "PR501")
    assert "SPRING-####-####" in err
    err = usage_error(promo("coupons", "generate", ruleset, "vip", "--count", "9000000",
                            "--db", location), "PR146")
    assert "at least 9 '#'" in err


def test_export_and_status_need_the_store(ruleset: str, tmp_path: Path) -> None:
    missing = str(tmp_path / "none.sqlite")
    usage_error(promo("coupons", "export", ruleset, "vip", "--db", missing), "PR402")
    usage_error(promo("coupons", "status", ruleset, "vip", "--db", missing), "PR402")
    assert not Path(missing).exists()


def test_export_to_a_place_that_cannot_be_written_is_named(ruleset: str,
                                                           tmp_path: Path) -> None:
    location = str(tmp_path / "usage.sqlite")
    ok(promo("coupons", "generate", ruleset, "vip", "--count", "2", "--db", location))
    a_file = tmp_path / "file"
    a_file.write_text("")
    output = a_file / "codes.csv"
    stderr = usage_error(promo("coupons", "export", ruleset, "vip", "--db", location,
                               "--output", str(output)), "PR509")
    assert f"{output}: cannot write: Not a directory" in stderr
