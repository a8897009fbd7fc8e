"""Every number, date, text and list of a ruleset is bounded: a value past a bound is
refused with its code, file, line and column, never with a traceback (README "Limits")."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

import pytest
from click.testing import CliRunner
from pydantic import ValidationError

from dsl import analyze_source, load_ruleset_text
from dsl.codes import (
    AMOUNT_TOO_LARGE,
    CART_BAD_TIME,
    CONDITIONS_TOO_LONG,
    COUNT_OUT_OF_RANGE,
    INVALID_VALUE,
    MOMENT_OUT_OF_RANGE,
    NAME_TOO_LONG,
    NUMBER_OUT_OF_BOUNDS,
    TEXT_TOO_LONG,
    TOO_LARGE,
    TOO_MANY_DECIMALS,
    TOO_MANY_PROMOTIONS,
)
from dsl.fields import MAX_COUNT
from dsl.loader import MAX_LINES, MAX_NODES, MAX_SCALAR, SourceFile, compose_document
from dsl.model import MAX_CONDITION_TEXT, MAX_PROMOTIONS, Ruleset
from engine import CartError, evaluate, parse_cart
from engine.cli import cli

Build = Callable[..., str]
Found = list[tuple[str, int, int]]

TOO_LONG_FOR_INT = "9" * 5_000  # int() refuses more than 4,300 digits
JUST_OVER = str(10**15 + 1)


def where(text: str, token: str, occurrence: int = 1) -> tuple[int, int]:
    """(line, column) of the ``occurrence``-th ``token`` in ``text``."""
    index = -1
    for _ in range(occurrence):
        index = text.index(token, index + 1)
    return text.count("\n", 0, index) + 1, index - text.rfind("\n", 0, index)


def found(text: str) -> Found:
    analysis = analyze_source(SourceFile("x.yaml", text))
    return [(d.code, d.span.line, d.span.col) for d in analysis.diagnostics if d.span]


def promo(*fields: str) -> str:
    return "  - id: p\n" + "".join(f"    {field}\n" for field in fields)


# --------------------------------------------- integers past what Python reads


INTEGER_FIELDS = {
    "priority": ("priority: {n}", "effect: { percent_off: 10 }"),
    "percent_off": ("effect: { percent_off: {n} }",),
    "uses": ("effect: { percent_off: 10 }", "limits: { uses: {n} }"),
    "max_units": ("effect: { percent_off: 10, max_units: {n} }",),
    "tier at": ("effect: { tiers: { by: quantity, steps: [{ at: {n}, percent_off: 5 }] } }",),
    "buy": ("effect: { buy: {n}, get: 1 }",),
    "bundle units": ('effect: { bundle: { units: {n}, price: "5" } }',),
    "amount_off": ("effect: { amount_off: {n} }",),
}


@pytest.mark.parametrize("number", [TOO_LONG_FOR_INT, JUST_OVER, "-" + TOO_LONG_FOR_INT],
                         ids=["5000-digits", "10^15+1", "negative"])
@pytest.mark.parametrize("field", sorted(INTEGER_FIELDS))
def test_an_integer_past_10_to_the_15_is_refused_where_it_is(ruleset_text: Build, field: str,
                                                             number: str) -> None:
    text = ruleset_text(promo(*(f.replace("{n}", number) for f in INTEGER_FIELDS[field])))
    assert found(text) == [(NUMBER_OUT_OF_BOUNDS, *where(text, number))]


def test_an_integer_header_field(ruleset_text: Build) -> None:
    text = ruleset_text(replace={"coupons_per_order: 1": f"coupons_per_order: {TOO_LONG_FOR_INT}"})
    assert found(text) == [(NUMBER_OUT_OF_BOUNDS, *where(text, TOO_LONG_FOR_INT))]


def test_a_long_integer_key_is_refused_too(ruleset_text: Build) -> None:
    text = ruleset_text(promo("effect: { percent_off: 10 }", f"? {TOO_LONG_FOR_INT}", ": 1"))
    assert found(text) == [(NUMBER_OUT_OF_BOUNDS, *where(text, TOO_LONG_FOR_INT))]


def test_leading_zeros_do_not_make_a_number_large(ruleset_text: Build) -> None:
    text = ruleset_text(promo("priority: " + "0" * 5_000 + "7", "effect: { percent_off: 10 }"))
    assert load_ruleset_text(text).promotions[0].priority == 7


@pytest.mark.parametrize(("field", "value"), [
    ("max_units", MAX_COUNT + 1), ("uses", MAX_COUNT + 1), ("priority", MAX_COUNT + 1),
    ("priority", -MAX_COUNT - 1), ("buy", MAX_COUNT + 1), ("bundle units", 10**15)])
def test_counts_and_priorities_are_at_most_10_to_the_9(ruleset_text: Build, field: str,
                                                       value: int) -> None:
    text = ruleset_text(promo(*(f.replace("{n}", str(value)) for f in INTEGER_FIELDS[field])))
    assert found(text) == [(COUNT_OUT_OF_RANGE, *where(text, str(value)))]


def test_counts_at_their_bounds_load(ruleset_text: Build) -> None:
    text = ruleset_text(promo(f"priority: {-MAX_COUNT}",
                              f"effect: {{ percent_off: 10, max_units: {MAX_COUNT} }}",
                              f"limits: {{ uses: {MAX_COUNT}, per_customer: {MAX_COUNT} }}"),
                        replace={"coupons_per_order: 1": f"coupons_per_order: {MAX_COUNT}"})
    assert found(text) == []
    text = ruleset_text(replace={"coupons_per_order: 1": f"coupons_per_order: {MAX_COUNT + 1}"})
    assert found(text) == [(COUNT_OUT_OF_RANGE, *where(text, str(MAX_COUNT + 1)))]


# --------------------------------------------------------- decimals and money


@pytest.mark.parametrize("number", ["1e-999999999", "1e999999999", "1e9999999999999999999999",
                                    "0.0000000000001", "1000000000000000.5"])
def test_a_bare_decimal_past_its_bounds_is_refused(ruleset_text: Build, number: str) -> None:
    text = ruleset_text(promo(f"effect: {{ percent_off: {number} }}"))
    assert found(text) == [(NUMBER_OUT_OF_BOUNDS, *where(text, number))]


@pytest.mark.parametrize("written", ["12.1234567", '"12.1234567"', "1e-7", '"0.0000001"'])
def test_a_percentage_has_at_most_6_decimals(ruleset_text: Build, written: str) -> None:
    text = ruleset_text(promo(f"effect: {{ percent_off: {written} }}"))
    assert found(text) == [(TOO_MANY_DECIMALS, *where(text, written))]
    assert found(ruleset_text(promo("effect: { percent_off: 12.123456 }"))) == []


def test_a_percentage_given_as_data_is_bounded_too() -> None:
    data = {"ruleset": "api", "dsl": 1, "currency": "USD", "timezone": "UTC",
            "stacking": {"coupons_per_order": 1, "coupon_with_automatic": True,
                         "base": "original"},
            "promotions": [{"id": "p", "effect": {"percent_off": Decimal("1e-999999999")}}]}
    with pytest.raises(ValidationError) as caught:
        Ruleset.model_validate(data, context={"minor_units": 2})
    assert [e["type"] for e in caught.value.errors()] == [TOO_MANY_DECIMALS]
    data["promotions"] = [{"id": "p", "effect": {"amount_off": Decimal("NaN")}}]
    with pytest.raises(ValidationError):
        Ruleset.model_validate(data, context={"minor_units": 2})


@pytest.mark.parametrize(("fields", "written"), [
    (('effect: { percent_off: 10, max_amount: "100000000000000000000000000" }',),
     '"100000000000000000000000000"'),
    (('effect: { amount_off: "1000000000000000.01" }',), '"1000000000000000.01"'),
    (("effect: { percent_off: 10 }", 'limits: { budget: "1000000000000001" }'),
     '"1000000000000001"'),
    (('effect: { bundle: { units: 2, price: "1000000000000001" } }',), '"1000000000000001"'),
    (('effect: { tiers: { by: subtotal, steps: [{ at: "1000000000000001", '
      'amount_off: "1" }] } }',), '"1000000000000001"'),
])
def test_an_amount_is_at_most_10_to_the_15(ruleset_text: Build, fields: tuple[str, ...],
                                           written: str) -> None:
    text = ruleset_text(promo(*fields))
    problems = found(text)  # a bad tier step also leaves its list empty (PR122)
    assert (AMOUNT_TOO_LARGE, *where(text, written)) in problems
    assert {code for code, *_ in problems} <= {AMOUNT_TOO_LARGE, INVALID_VALUE}


def test_max_discount_amount_of_10_to_the_26(ruleset_text: Build) -> None:
    for written, code in (('"100000000000000000000000000"', AMOUNT_TOO_LARGE),
                          ("100000000000000000000000000", NUMBER_OUT_OF_BOUNDS)):
        text = ruleset_text(replace={"  base: discounted\n": "  base: discounted\n"
                                     f"  max_discount: {{ amount: {written} }}\n"})
        assert found(text) == [(code, *where(text, written))]


def test_the_largest_amount_loads(ruleset_text: Build) -> None:
    text = ruleset_text(promo('effect: { amount_off: "1000000000000000.00", '
                              'max_amount: 1000000000000000 }'))
    assert found(text) == []


def test_a_tier_threshold_has_at_most_6_decimals(ruleset_text: Build) -> None:
    text = ruleset_text(promo('effect: { tiers: { by: subtotal, steps: [{ at: "1.1234567", '
                              'amount_off: "1" }] } }'))
    assert (TOO_MANY_DECIMALS, *where(text, '"1.1234567"')) in found(text)


# ------------------------------------------------------------------ moments


@pytest.mark.parametrize("moment", ["0001-01-01T00:00:00+14:00", '"9999-12-31T23:59:59-23:59"',
                                    "9999-12-31", "1899-12-31T23:59:59", "9001-01-01"])
def test_a_moment_outside_the_years_1900_to_9000(ruleset_text: Build, moment: str) -> None:
    text = ruleset_text(promo(f"active: {{ from: {moment} }}", "effect: { percent_off: 10 }"))
    assert found(text) == [(MOMENT_OUT_OF_RANGE, *where(text, moment))]
    text = ruleset_text(promo(f"active: {{ until: {moment} }}", "effect: { percent_off: 10 }"))
    assert found(text) == [(MOMENT_OUT_OF_RANGE, *where(text, moment))]


@pytest.mark.parametrize("zone", ["Pacific/Kiritimati", "Etc/GMT+12", "Europe/Berlin"])
def test_windows_and_times_at_the_edges_evaluate(ruleset_text: Build, zone: str) -> None:
    text = ruleset_text(
        promo('active: { from: "1900-01-01T00:00:00+14:00", until: "9000-12-31T23:59:59-23:59" }',
              "effect: { percent_off: 10 }")
        + "  - id: q\n    active: { from: 1900-01-01, until: 9000-12-31 }\n"
          "    when: cart.at >= 1900-01-01T00:00 and cart.date <= 9000-12-31\n"
          "    effect: { percent_off: 10 }\n",
        replace={"Europe/Berlin": zone})
    ruleset = load_ruleset_text(text)
    for at in ("1900-01-01T00:00:00+14:00", "9000-12-31T23:59:59-23:59", "1900-01-01T00:00:00",
               "9000-12-31T23:59:59"):
        cart = parse_cart({"id": "c", "currency": "USD", "at": at,
                           "lines": [{"id": "a", "sku": "A", "unit_price": "10", "quantity": 1}]})
        result = evaluate(ruleset, cart)
        assert result.to_json()
    with pytest.raises(CartError) as caught:
        evaluate(ruleset, cart, at=dt.datetime(1, 1, 1, tzinfo=dt.timezone(dt.timedelta(hours=14))))
    assert caught.value.code == CART_BAD_TIME


# -------------------------------------------------------------------- texts


def test_texts_are_bounded(ruleset_text: Build) -> None:
    name = "n" * 201
    text = ruleset_text(promo(f"name: {name}", "effect: { percent_off: 10 }"))
    assert found(text) == [(NAME_TOO_LONG, *where(text, name))]
    code = "C" * 101
    text = ruleset_text(promo(f"coupon: {code}", "effect: { percent_off: 10 }"))
    assert found(text) == [(NAME_TOO_LONG, *where(text, code))]
    description = "d" * (MAX_SCALAR + 1)
    text = ruleset_text(promo(f'description: "{description}"', "effect: { percent_off: 10 }"))
    assert found(text) == [(TEXT_TOO_LONG, *where(text, f'"{description}"'))]
    key = "k" * (MAX_SCALAR + 1)
    text = ruleset_text(promo("effect: { percent_off: 10 }", f"? {key}", ": 1"))  # explicit
    assert found(text) == [(TEXT_TOO_LONG, *where(text, key))]


# ---------------------------------------------------------------- file caps


def test_more_promotions_than_the_cap(ruleset_text: Build) -> None:
    text = ruleset_text("".join(f"  - {{ id: p{i}, effect: {{ percent_off: 1 }} }}\n"
                                for i in range(MAX_PROMOTIONS + 1)))
    assert found(text) == [(TOO_MANY_PROMOTIONS, *where(text, f"{{ id: p{MAX_PROMOTIONS},"))]


def test_more_promotions_than_the_cap_given_as_data() -> None:
    data = {"ruleset": "api", "dsl": 1, "currency": "USD", "timezone": "UTC",
            "stacking": {"coupons_per_order": 1, "coupon_with_automatic": True,
                         "base": "original"},
            "promotions": [{"id": "p"}] * (MAX_PROMOTIONS + 1)}
    with pytest.raises(ValidationError) as caught:
        Ruleset.model_validate(data, context={"minor_units": 2})
    assert [e["type"] for e in caught.value.errors()] == [TOO_MANY_PROMOTIONS]


def test_promotions_through_an_alias_count_with_what_they_repeat(ruleset_text: Build) -> None:
    many = "".join(f"  - {{ id: p{i}, effect: {{ percent_off: 1 }} }}\n"
                   for i in range(MAX_PROMOTIONS + 1))
    text = ruleset_text(" *all\n", replace={"promotions:\n": "spare: &all\n" + many
                                            + "promotions:"})
    assert [code for code, *_ in found(text)] == [TOO_MANY_PROMOTIONS]


def test_the_conditions_of_a_ruleset_are_bounded_in_all(ruleset_text: Build) -> None:
    condition = " or ".join(f'item.sku == "S{k:05d}"' for k in range(150))  # 3,146 characters
    count = MAX_CONDITION_TEXT // len(condition) + 1
    text = ruleset_text("".join(f"  - id: p{i}\n    effect: {{ percent_off: 1 }}\n"
                                f"    target: '{condition}'\n" for i in range(count)))
    assert found(text) == [(CONDITIONS_TOO_LONG, *where(text, f"'{condition}'", count))]


def test_five_million_integers_are_refused_at_the_node_cap(ruleset_text: Build) -> None:
    flow = "[" + ",".join(["1"] * 5_000_000) + "]"
    text = ruleset_text(replace={"promotions:\n": f"spare: {flow}\npromotions:\n"})
    (problem,) = found(text)
    line, col = where(text, "spare: ")
    # the node that passes the cap, counting the header's keys and values before it
    assert problem[:2] == (TOO_LARGE, line) and col < problem[2] < col + 2 * MAX_NODES


def test_two_hundred_thousand_small_promotions(ruleset_text: Build) -> None:
    text = ruleset_text("".join(f"  - {{id: p{i}, effect: {{percent_off: 10}}, "
                                f"when: cart.subtotal >= {i}}}\n" for i in range(200_000)))
    assert len(text) > 14_000_000
    assert found(text) == [(TOO_MANY_PROMOTIONS, *where(text, f"{{id: p{MAX_PROMOTIONS},"))]


def test_more_lines_than_the_cap(ruleset_text: Build) -> None:
    assert found(ruleset_text() + "#\n" * MAX_LINES) == [(TOO_LARGE, 1, 1)]
    # a CRLF is one line break
    crlf = (ruleset_text() + "#\r\n" * (MAX_LINES // 2 + 10))
    doc, diagnostics = compose_document(SourceFile("x.yaml", crlf))
    assert doc is not None and diagnostics == []


# ------------------------------------------------------------ through the CLI


HOSTILE = {
    "integer": (promo(f"priority: {TOO_LONG_FOR_INT}", "effect: { percent_off: 10 }"),
                NUMBER_OUT_OF_BOUNDS, TOO_LONG_FOR_INT),
    "percentage": (promo("effect: { percent_off: 1e-999999999 }"), NUMBER_OUT_OF_BOUNDS,
                   "1e-999999999"),
    "moment": (promo("active: { from: 0001-01-01T00:00:00+14:00 }",
                     "effect: { percent_off: 10 }"), MOMENT_OUT_OF_RANGE,
               "0001-01-01T00:00:00+14:00"),
    "amount": (promo('effect: { percent_off: 10, max_amount: "100000000000000000000000000" }'),
               AMOUNT_TOO_LARGE, '"100000000000000000000000000"'),
    "promotions": ("".join(f"  - {{ id: p{i}, effect: {{ percent_off: 1 }} }}\n"
                           for i in range(MAX_PROMOTIONS + 1)), TOO_MANY_PROMOTIONS,
                   f"{{ id: p{MAX_PROMOTIONS},"),
}


@pytest.mark.parametrize("case", sorted(HOSTILE))
def test_promo_eval_refuses_a_hostile_ruleset(ruleset_text: Build, tmp_path: Path,
                                              case: str) -> None:
    promotions, code, token = HOSTILE[case]
    text = ruleset_text(promotions)
    path = tmp_path / "ruleset.yaml"
    path.write_text(text, encoding="utf-8")
    cart = tmp_path / "cart.json"
    cart.write_text('{"id": "c", "currency": "USD", "lines": []}', encoding="utf-8")
    result = CliRunner().invoke(cli, ["eval", str(path), str(cart)])
    line, col = where(text, token)
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr.startswith(f"{path}:{line}:{col}: {code} ")
    assert "Traceback" not in result.output


def test_a_refused_file_is_never_split_into_lines(ruleset_text: Build) -> None:
    text = ruleset_text("".join(f"  - {{ id: p{i}, effect: {{ percent_off: 1 }} }}\n"
                                for i in range(MAX_PROMOTIONS + 1)))
    source = SourceFile("x.yaml", text)
    _, (problem,) = compose_document(source)
    assert problem.code == TOO_MANY_PROMOTIONS
    assert problem.source_line == f"  - {{ id: p{MAX_PROMOTIONS}, effect: {{ percent_off: 1 }} }}"
    assert list.__len__(source.lines) == 0  # nothing split: the diagnostic carries its line
    assert source.lines[-1] == problem.source_line  # read, the lines are those of the text
    assert len(source.lines) == len(text.splitlines()) and source.lines == text.splitlines()
    assert source.lines[2:4] == text.splitlines()[2:4]
