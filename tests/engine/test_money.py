"""Money: rounding to the minor unit in each mode, and largest-remainder allocation."""

from __future__ import annotations

from decimal import ROUND_DOWN, ROUND_HALF_EVEN, ROUND_HALF_UP, Decimal
from fractions import Fraction

import pytest

from engine.money import (
    allocate,
    from_minor,
    normalize,
    quantum,
    round_money,
    shifted_minor,
    whole_minor,
)

D = Decimal


def rounded(amount: str | Fraction, minor_units: int, mode: str) -> str:
    value = D(amount) if isinstance(amount, str) else amount
    return str(round_money(value, minor_units, mode))


# ----------------------------------------------------------------- rounding


@pytest.mark.parametrize("amount, half_even, half_up, down", [
    # ties: half_even goes to the even cent, half_up away from zero, down truncates
    ("0.125", "0.12", "0.13", "0.12"),
    ("0.135", "0.14", "0.14", "0.13"),
    ("10.485", "10.48", "10.49", "10.48"),
    ("2.675", "2.68", "2.68", "2.67"),
    # not ties: the nearest cent in both "half" modes
    ("0.1251", "0.13", "0.13", "0.12"),
    ("0.1249", "0.12", "0.12", "0.12"),
    ("19.999", "20.00", "20.00", "19.99"),
    # already whole cents: unchanged, written with two decimals
    ("5", "5.00", "5.00", "5.00"),
    ("7.1", "7.10", "7.10", "7.10"),
    ("0", "0.00", "0.00", "0.00"),
])
def test_round_money_usd_each_mode(amount: str, half_even: str, half_up: str, down: str) -> None:
    assert rounded(amount, 2, "half_even") == half_even
    assert rounded(amount, 2, "half_up") == half_up
    assert rounded(amount, 2, "down") == down


@pytest.mark.parametrize("amount, half_even, half_up, down", [
    ("12.5", "12", "13", "12"),     # tie, 12 is even
    ("13.5", "14", "14", "13"),     # tie, 14 is even
    ("13.4", "13", "13", "13"),
    ("13.9", "14", "14", "13"),
    ("1000", "1000", "1000", "1000"),
])
def test_round_money_jpy_has_no_decimals(amount: str, half_even: str, half_up: str,
                                         down: str) -> None:
    assert rounded(amount, 0, "half_even") == half_even
    assert rounded(amount, 0, "half_up") == half_up
    assert rounded(amount, 0, "down") == down


@pytest.mark.parametrize("amount, half_even, half_up, down", [
    ("1.2345", "1.234", "1.235", "1.234"),   # tie, 4 is even
    ("1.2355", "1.236", "1.236", "1.235"),   # tie, 6 is even
    ("0.0004", "0.000", "0.000", "0.000"),
    ("0.0006", "0.001", "0.001", "0.000"),
    ("2.5", "2.500", "2.500", "2.500"),
])
def test_round_money_bhd_has_three_decimals(amount: str, half_even: str, half_up: str,
                                            down: str) -> None:
    assert rounded(amount, 3, "half_even") == half_even
    assert rounded(amount, 3, "half_up") == half_up
    assert rounded(amount, 3, "down") == down


def test_round_money_takes_exact_fractions() -> None:
    # 10.00 / 3 = 3.333… and 20.00 / 3 = 6.666…: never via a float
    assert rounded(Fraction(1000, 300), 2, "half_even") == "3.33"
    assert rounded(Fraction(2000, 300), 2, "half_even") == "6.67"
    assert rounded(Fraction(2000, 300), 2, "down") == "6.66"
    # 1/8 = 0.125 exactly: a true tie, even as a Fraction
    assert rounded(Fraction(1, 8), 2, "half_even") == "0.12"
    assert rounded(Fraction(1, 8), 2, "half_up") == "0.13"
    # 1/3 of a yen
    assert rounded(Fraction(1, 3), 0, "half_up") == "0"


def test_round_money_negative_amounts() -> None:
    # down truncates toward zero; half_up rounds a tie away from zero
    assert rounded("-1.239", 2, "down") == "-1.23"
    assert rounded("-0.125", 2, "half_up") == "-0.13"
    assert rounded("-0.125", 2, "half_even") == "-0.12"


@pytest.mark.parametrize("mode, python", [("half_even", ROUND_HALF_EVEN),
                                          ("half_up", ROUND_HALF_UP), ("down", ROUND_DOWN)])
def test_round_money_agrees_with_decimal_quantize(mode: str, python: str) -> None:
    for thousandths in range(-2000, 2001, 7):
        amount = D(thousandths).scaleb(-3)
        assert round_money(amount, 2, mode) == amount.quantize(D("0.01"), rounding=python), \
            amount


def test_quantum_and_minor_units() -> None:
    assert str(quantum(2)) == "0.01"
    assert str(quantum(0)) == "1"
    assert str(quantum(3)) == "0.001"
    assert str(from_minor(1234, 2)) == "12.34"
    assert str(from_minor(1234, 0)) == "1234"
    assert str(from_minor(5, 3)) == "0.005"
    assert str(normalize(D("4.9"), 2)) == "4.90"
    assert str(normalize(D("500"), 0)) == "500"


# --------------------------------------------------------------- allocation


def split(total: str, weights: dict[str, object], minor_units: int = 2,
          order: dict[str, object] | None = None) -> dict[str, str]:
    parts = allocate(D(total), weights, minor_units, order)  # type: ignore[arg-type]
    assert sum(parts.values(), D(0)) in (D(total), D(0))
    return {k: str(v) for k, v in parts.items()}


def test_allocate_proportional_parts_add_up() -> None:
    # 100.00 in proportion 1:3 → 25.00 and 75.00, exact
    assert split("100.00", {"a": 1, "b": 3}) == {"a": "25.00", "b": "75.00"}
    # 5.00 over 60.00 and 24.50: 5 × 60 / 84.5 = 3.5503 → 3.55, 5 × 24.5 / 84.5 = 1.4497 → 1.45
    assert split("5.00", {"a": D("60.00"), "b": D("24.50")}) == {"a": "3.55", "b": "1.45"}


def test_allocate_largest_remainder_gets_the_leftover_cents() -> None:
    # 5 cents over weights 10:20:30: exact 0.833, 1.667, 2.5 cents; floors 0+1+2 = 3;
    # the two leftover cents go to the largest remainders: a (.833) and b (.667)
    assert split("0.05", {"a": 10, "b": 20, "c": 30}) == {"a": "0.01", "b": "0.02",
                                                           "c": "0.02"}
    # the same split whatever the weights' scale
    assert split("0.05", {"a": Fraction(1, 6), "b": Fraction(1, 3), "c": Fraction(1, 2)}) == \
        {"a": "0.01", "b": "0.02", "c": "0.02"}


def test_allocate_ties_break_by_key() -> None:
    # 10.00 / 3 = 3.333… each: the one leftover cent goes to the key that sorts first
    assert split("10.00", {"a": 1, "b": 1, "c": 1}) == {"a": "3.34", "b": "3.33", "c": "3.33"}
    # insertion order does not matter
    assert split("10.00", {"c": 1, "b": 1, "a": 1}) == {"c": "3.33", "b": "3.33", "a": "3.34"}
    # 1.00 / 6 = 16.67 cents each: floors 96, the 4 leftover cents go to a, b, c, d
    assert split("1.00", dict.fromkeys("fedcba", 1)) == {
        "a": "0.17", "b": "0.17", "c": "0.17", "d": "0.17", "e": "0.16", "f": "0.16"}


def test_allocate_ties_break_by_order_when_given() -> None:
    order = {"a": 3, "b": 2, "c": 1}
    assert split("10.00", {"a": 1, "b": 1, "c": 1}, order=order) == \
        {"a": "3.33", "b": "3.33", "c": "3.34"}
    # two leftover cents: the two that come first in the order
    assert split("0.05", {"a": 1, "b": 1, "c": 1}, order=order) == \
        {"a": "0.01", "b": "0.02", "c": "0.02"}


def test_allocate_zero_weights_get_nothing() -> None:
    assert split("9.99", {"a": 0, "b": 5, "c": 0}) == {"a": "0.00", "b": "9.99", "c": "0.00"}
    # a leftover cent never goes to a zero weight, even when it sorts first
    assert split("0.01", {"a": 0, "b": 1, "c": 1}) == {"a": "0.00", "b": "0.01", "c": "0.00"}
    # nothing to weigh: nothing is allocated
    assert split("5.00", {"a": 0, "b": 0}) == {"a": "0.00", "b": "0.00"}
    # nothing to allocate
    assert split("0.00", {"a": 1, "b": 2}) == {"a": "0.00", "b": "0.00"}


def test_allocate_jpy() -> None:
    # ¥1000 / 3 = 333.33 each: the leftover yen to "a"
    assert split("1000", {"a": 1, "b": 1, "c": 1}, 0) == {"a": "334", "b": "333", "c": "333"}
    # ¥500 over 1980 and 2980: 500 × 1980 / 4960 = 199.6 → 199 + 1, 300.4 → 300
    assert split("500", {"a": 1980, "b": 2980}, 0) == {"a": "200", "b": "300"}


def test_allocate_bhd() -> None:
    # 1.000 BHD / 3 = 0.3333… each: the leftover fils to "a"
    assert split("1.000", {"a": 1, "b": 1, "c": 1}, 3) == {"a": "0.334", "b": "0.333",
                                                           "c": "0.333"}
    # 0.010 over 1:2 → 3.33 and 6.67 fils: b has the larger remainder
    assert split("0.010", {"a": 1, "b": 2}, 3) == {"a": "0.003", "b": "0.007"}


def test_allocate_refuses_fractions_of_a_minor_unit() -> None:
    with pytest.raises(ValueError):
        allocate(D("0.005"), {"a": 1}, 2)
    with pytest.raises(ValueError):
        allocate(D("0.5"), {"a": 1}, 0)


def test_allocate_many_parts_always_add_up() -> None:
    weights = {f"k{i:02d}": (i * 7919) % 97 + 1 for i in range(40)}
    for cents in (1, 39, 40, 41, 9999, 123457):
        total = from_minor(cents, 2)
        parts = allocate(total, weights, 2)
        assert sum(parts.values(), D(0)) == total
        whole = sum(weights.values())
        for key, part in parts.items():
            # each part is within one cent of its exact share
            exact = Fraction(cents) * weights[key] / whole
            assert abs(Fraction(part * 100) - exact) < 1


@pytest.mark.parametrize("amount, units, minor", [
    ("19.99", 2, 1999), ("19.9", 2, 1990), ("0.00", 2, 0), ("1E+3", 2, 100000),
    ("1500", 0, 1500), ("1.250", 3, 1250), ("999999999999999.99", 2, 99999999999999999),
])
def test_shifted_minor_is_whole_minor_without_the_cache(amount: str, units: int,
                                                        minor: int) -> None:
    assert shifted_minor(Decimal(amount), units) == whole_minor(Decimal(amount), units) == minor


@pytest.mark.parametrize("amount, units", [("19.999", 2), ("0.5", 0), ("-0.001", 2)])
def test_shifted_minor_refuses_a_fraction_of_a_minor_unit(amount: str, units: int) -> None:
    with pytest.raises(ValueError, match="not a whole number of minor units"):
        shifted_minor(Decimal(amount), units)
