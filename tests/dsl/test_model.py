"""The ruleset document: load_ruleset's API and the model's diagnostics (PR105-PR129)."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from dsl import (
    Condition,
    RulesetError,
    analyze_source,
    load_ruleset,
    load_ruleset_text,
    loader,
    parse_expression,
)
from dsl.effects import AmountOff, BuyGet, PercentOff, Tiers
from dsl.loader import SourceFile

DATA = Path(__file__).parent / "data"
SUMMER = DATA / "summer.yaml"

Build = Callable[..., str]
Diagnose = Callable[..., list[tuple[str, int, int]]]


def promo(*lines: str) -> str:
    """A promotion entry (starting on line 10 after the header) from its field lines."""
    return "  - id: p1\n" + "".join(f"    {line}\n" for line in lines)


# ------------------------------------------------------------ loading


def test_load_from_a_path() -> None:
    ruleset = load_ruleset(SUMMER)
    assert ruleset.ruleset == "summer-2026"
    assert ruleset.currency == "USD" and ruleset.minor_units == 2
    assert ruleset.timezone == "Europe/Berlin" and ruleset.zone == ZoneInfo("Europe/Berlin")
    assert ruleset.rounding == "half_up"
    assert ruleset.source is not None and ruleset.source.name == str(SUMMER)
    assert [p.id for p in ruleset.promotions] == [
        "shoes-20", "welcome-10", "socks-3-for-2", "hats-each", "tees-fixed", "bundle-3",
        "tiers", "free-shipping"]


def test_load_from_a_path_given_as_text() -> None:
    assert load_ruleset(str(SUMMER)) == load_ruleset(SUMMER)


def test_load_from_yaml_text(ruleset_text: Build) -> None:
    ruleset = load_ruleset_text(ruleset_text())
    assert ruleset.source is not None and ruleset.source.name == "<string>"
    named = load_ruleset_text(ruleset_text(), name="inline.yaml").source
    assert named is not None and named.name == "inline.yaml"


def test_a_missing_file_is_reported_as_unreadable(tmp_path: Path) -> None:
    for source in (tmp_path / "nope.yaml", str(tmp_path / "nope.yaml")):
        with pytest.raises(RulesetError) as caught:
            load_ruleset(source)
        assert [d.code for d in caught.value.diagnostics] == ["PR100"]


def test_errors_name_the_file(tmp_path: Path, ruleset_text: Build) -> None:
    path = tmp_path / "shop.yaml"
    path.write_text(ruleset_text(promo("effect: { percent_off: 120 }")))
    with pytest.raises(RulesetError) as caught:
        load_ruleset(path)
    (diagnostic,) = caught.value.diagnostics
    assert str(diagnostic.span) == f"{path}:11:28"
    assert diagnostic.source_line == "    effect: { percent_off: 120 }"
    with pytest.raises(RulesetError) as caught:
        load_ruleset_text(path.read_text(), name="pasted.yaml")
    assert str(caught.value.diagnostics[0].span) == "pasted.yaml:11:28"


def test_effect_kinds() -> None:
    kinds = {p.id: p.effect_kind for p in load_ruleset(SUMMER).promotions}
    assert kinds == {
        "shoes-20": "percent_off", "welcome-10": "amount_off", "socks-3-for-2": "buy",
        "hats-each": "amount_off_each", "tees-fixed": "fixed_price", "bundle-3": "bundle",
        "tiers": "tiers", "free-shipping": "shipping",
    }


def test_coupon_codes_are_normalised() -> None:
    promotions = {p.id: p for p in load_ruleset(SUMMER).promotions}
    assert promotions["welcome-10"].coupon == "Welcome10"  # trimmed, case kept as written
    assert promotions["welcome-10"].codes == ("welcome10",)
    assert promotions["socks-3-for-2"].codes == ("socks", "socks-extra")
    assert promotions["welcome-10"].is_coupon and promotions["socks-3-for-2"].is_coupon
    assert promotions["shoes-20"].codes == ()
    assert not promotions["shoes-20"].is_coupon


def test_conditions_carry_their_ast_and_position() -> None:
    promotions = {p.id: p for p in load_ruleset(SUMMER).promotions}
    when = promotions["shoes-20"].when
    assert isinstance(when, Condition)
    assert when.source == 'cart.subtotal >= 100 and customer.segments contains "vip"'
    assert str(when) == when.source
    assert when.node is not None and when.node == parse_expression(when.source)
    assert when.span is not None and (when.span.line, when.span.col) == (20, 11)
    target = promotions["shoes-20"].target
    assert target is not None and target.node == parse_expression(target.source)
    effect = promotions["socks-3-for-2"].effect
    assert isinstance(effect, BuyGet) and effect.get_target is not None
    assert effect.get_target.node == parse_expression('item.tags contains "basic"')
    block = promotions["tees-fixed"].when
    assert block is not None and block.source.startswith('count(item.category == "tees") >= 2\n')
    assert block.node == parse_expression(block.source)
    assert promotions["tiers"].when is None and promotions["tiers"].target is None


def test_amounts_are_decimals() -> None:
    ruleset = load_ruleset(SUMMER)
    promotions = {p.id: p for p in ruleset.promotions}
    effect = promotions["welcome-10"].effect
    assert isinstance(effect, AmountOff)
    assert type(effect.amount_off) is Decimal and str(effect.amount_off) == "10.00"
    shoes = promotions["shoes-20"]
    assert isinstance(shoes.effect, PercentOff)
    assert shoes.effect.percent_off == Decimal(20) and type(shoes.effect.percent_off) is Decimal
    assert shoes.effect.max_amount == Decimal("30.00")
    assert shoes.limits is not None and shoes.limits.budget == Decimal("5000.00")
    assert ruleset.stacking.max_discount is not None
    assert ruleset.stacking.max_discount.amount == Decimal("150.00")
    tiers = promotions["tiers"].effect
    assert isinstance(tiers, Tiers)
    assert [(s.at, s.kind) for s in tiers.tiers.steps] == [
        (Decimal(100), "percent_off"), (Decimal(200), "percent_off")]


def test_active_windows() -> None:
    promotions = {p.id: p for p in load_ruleset(SUMMER).promotions}
    window = promotions["shoes-20"].active
    assert window is not None
    assert (window.from_, window.until) == (dt.date(2026, 6, 1), dt.date(2026, 9, 1))
    hats = promotions["hats-each"].active
    assert hats is not None and hats.until is None
    assert hats.from_ == dt.datetime(2026, 6, 1, 7, 0, tzinfo=dt.UTC)


def test_a_bare_decimal_is_fine_where_it_is_not_money(ruleset_text: Build) -> None:
    ruleset = load_ruleset_text(ruleset_text(promo("effect: { percent_off: 12.5 }")))
    effect = ruleset.promotions[0].effect
    assert isinstance(effect, PercentOff) and effect.percent_off == Decimal("12.5")


# ------------------------------------------------------ model diagnostics


@pytest.mark.parametrize(
    ("promotion", "replace", "expected", "message"),
    [
        # PR105: money written as a bare number
        (promo("effect: { amount_off: 9.99 }"), {}, [("PR105", 11, 27)],
         "amount 9.99 is written as a bare number; money must be quoted"),
        (promo("effect: { percent_off: 10 }", "limits: { budget: 100.50 }"), {},
         [("PR105", 12, 23)], "money must be quoted"),
        (promo("effect: { percent_off: 10 }"),
         {"  base: discounted\n": "  base: discounted\n  max_discount: { amount: 15.5 }\n"},
         [("PR105", 9, 27)], "money must be quoted"),
        # PR120: a required field is missing
        (promo("effect: { percent_off: 10 }"),
         {"stacking:\n  coupons_per_order: 1\n  coupon_with_automatic: true\n"
          "  base: discounted\n": ""},
         [("PR120", 1, 1)], "missing required field 'stacking'"),
        (promo("effect: { percent_off: 10 }"), {"  base: discounted\n": ""},
         [("PR120", 5, 1)], "missing required field 'base'"),
        (promo("when: cart.subtotal > 1"), {}, [("PR137", 10, 5)],
         "a promotion has 'effect' (one effect) or 'effects' (a list), and this one has "
         "neither"),
        (promo("effect: { buy: 2, get: 1 }", "id: again"), {}, [("PR103", 12, 5)],
         "duplicate key 'id'"),
        # PR121: a field nobody knows
        (promo("priorty: 3", "effect: { percent_off: 10 }"), {}, [("PR121", 11, 5)],
         "unknown field 'priorty'"),
        (promo("effect: { percent_off: 10, max_unit: 2 }"), {}, [("PR121", 11, 32)],
         "unknown field 'max_unit'"),
        (promo("effect: { percent_off: 10 }", "limits: { usess: 5 }"), {},
         [("PR121", 12, 15)], "unknown field 'usess'"),
        # PR122: a value out of range or of the wrong kind
        (promo("effect: { percent_off: 120 }"), {}, [("PR122", 11, 28)],
         "a percentage must be more than 0 and at most 100 (got 120)"),
        (promo("effect: { percent_off: 0 }"), {}, [("PR122", 11, 28)],
         "a percentage must be more than 0 and at most 100 (got 0)"),
        (promo('effect: { amount_off: "-5.00" }'), {}, [("PR122", 11, 27)],
         "an amount cannot be negative (got -5.00)"),
        (promo('effect: { amount_off: "ten" }'), {}, [("PR122", 11, 27)],
         'an amount must be a decimal number such as "9.99"'),
        (promo("effect: { amount_off: true }"), {}, [("PR122", 11, 27)],
         "an amount must be a number, not true/false"),
        (promo('priority: "high"', "effect: { percent_off: 10 }"), {}, [("PR122", 11, 15)],
         "priority: must be a whole number such as 3 (without quotes)"),
        (promo("effect: { percent_off: 10, max_units: 0 }"), {}, [("PR122", 11, 43)],
         "max_units: must be at least 1"),
        (promo("effect: { percent_off: 10 }"),
         {"  coupons_per_order: 1": "  coupons_per_order: -1"},
         [("PR122", 6, 22)], "coupons_per_order: must be at least 0"),
        (promo("effect: { percent_off: 10 }"), {"  base: discounted": "  base: later"},
         [("PR122", 8, 9)], "base: must be 'original' or 'discounted'"),
        (promo("effect: { percent_off: 10 }"), {"dsl: 1": "dsl: 2"}, [("PR122", 2, 6)],
         "dsl: this promorules reads ruleset language version 1"),
        (promo("effect: { percent_off: 10 }", "active: { from: next week }"), {},
         [("PR122", 12, 21)], "expected a date (2026-06-01) or a date and time"),
        (promo("coupon: 1234", "effect: { percent_off: 10 }"), {}, [("PR122", 11, 13)],
         "a coupon code is text; quote it"),
        (promo('coupon: "  "', "effect: { percent_off: 10 }"), {}, [("PR122", 11, 13)],
         "a coupon code cannot be empty"),
        # PR123: more decimals than the currency has
        (promo('effect: { amount_off: "10.5" }'), {"currency: USD": "currency: JPY"},
         [("PR123", 11, 27)], "10.5 has more decimals than the currency allows (0)"),
        (promo('effect: { amount_off: "1.999" }'), {}, [("PR123", 11, 27)],
         "1.999 has more decimals than the currency allows (2)"),
        (promo('effect: { amount_off: "1.2345" }'), {"currency: USD": "currency: BHD"},
         [("PR123", 11, 27)], "allows (3)"),
        # PR124, PR125: unknown currency and timezone
        (promo("effect: { percent_off: 10 }"), {"currency: USD": "currency: XYZ"},
         [("PR124", 3, 11)], "unknown currency"),
        (promo("effect: { percent_off: 10 }"), {"currency: USD": "currency: usd"},
         [("PR124", 3, 11)], "unknown currency"),
        (promo("effect: { percent_off: 10 }"), {"Europe/Berlin": "Mars/Olympus"},
         [("PR125", 4, 11)], "unknown timezone"),
        (promo("effect: { percent_off: 10 }"), {"Europe/Berlin": "../../etc/passwd"},
         [("PR125", 4, 11)], "unknown timezone"),
        # PR126: a window that ends before it starts (pointed at 'until')
        (promo("active: { from: 2026-06-01, until: 2026-05-01 }",
               "effect: { percent_off: 10 }"), {}, [("PR126", 11, 40)],
         "the window ends (2026-05-01) before or when it starts (2026-06-01)"),
        (promo("active: { from: 2026-06-01, until: 2026-06-01 }",
               "effect: { percent_off: 10 }"), {}, [("PR126", 11, 40)], "before or when"),
        (promo('active: { from: "2026-06-01T10:00+02:00", until: "2026-06-01T07:59Z" }',
               "effect: { percent_off: 10 }"), {}, [("PR126", 11, 54)], "before or when"),
        # PR127: not exactly one kind of discount
        (promo('effect: { percent_off: 10, amount_off: "5" }'), {}, [("PR127", 11, 13)],
         "an effect gives one kind of discount, this one has percent_off and amount_off"),
        (promo('effect: { max_amount: "5" }'), {}, [("PR127", 11, 13)],
         "an effect needs one of: percent_off, amount_off"),
        (promo("effect: { buy: 2 }"), {}, [("PR127", 11, 13)],
         "buy/get needs both 'buy' and 'get'"),
        (promo('effect: { buy: 2, get: 1, amount_off: "1" }'), {}, [("PR127", 11, 13)],
         "buy/get and amount_off"),
        (promo('effect: { shipping: { free: true, amount_off: "1" } }'), {},
         [("PR127", 11, 25)], "a shipping effect gives exactly one of"),
        # PR137: effect and effects
        (promo("effect: { percent_off: 10 }", "effects: [{ percent_off: 5 }]"), {},
         [("PR137", 10, 5)], "a promotion has 'effect' (one effect) or 'effects' (a list), "
         "not both"),
        (promo("effects: []"), {}, [("PR137", 11, 14)],
         "effects: lists at least one effect (or write 'effect' for one)"),
        (promo("effects: [{ percent_off: 10, amount_off: \"1\" }]"), {}, [("PR127", 11, 15)],
         "an effect gives one kind of discount"),
        # PR138: an effect's own target where it means nothing
        (promo('effect: { percent_off: 10, target: item.sku == "A" }'), {},
         [("PR138", 11, 13)], "effect: a 'target' inside the effect is for the entries of "
         "an 'effects' list; write it on the promotion"),
        (promo('effects: [{ percent_off: 10 }, { shipping: { free: true }, '
               'target: item.sku == "A" }]'), {}, [("PR138", 11, 72)],
         "a shipping effect has no target lines (condition the promotion with 'when')"),
        # gifts in an effects list: no target of their own (PR139), not with the promotion's
        # alone (PR139), and one gift per sku (PR137: they would add the same line)
        (promo('effects: [{ percent_off: 10 }, { gift: { sku: TOTE, unit_price: "12.00" }, '
               'target: item.sku == "A" }]'), {}, [("PR139", 11, 88)],
         "a gift effect takes no target"),
        (promo('target: item.sku == "A"',
               'effects: [{ gift: { sku: TOTE, unit_price: "12.00" } }]'), {},
         [("PR139", 10, 5)], "a gift effect takes no target"),
        (promo('effects: [{ gift: { sku: TOTE, unit_price: "12.00" } }, '
               '{ gift: { sku: TOTE, unit_price: "12.00", percent_off: 50 } }]'), {},
         [("PR137", 11, 14)], "effects: two gifts of the same sku in one promotion"),
        # PR129: coupon fields that contradict each other
        (promo("coupon: A", "coupons: [B]", "effect: { percent_off: 10 }"), {},
         [("PR129", 10, 5)], "use 'coupon' or 'coupons', not both"),
        (promo("effect: { percent_off: 10 }", "limits: { per_coupon: 5 }"), {},
         [("PR129", 10, 5)], "limits.per_coupon needs a coupon on the promotion"),
        # expressions that are not text
        (promo("when: 100", "effect: { percent_off: 10 }"), {}, [("PR150", 11, 11)],
         "expected a condition expression (text), got int"),
    ],
)
def test_model_diagnostics(promotion: str, replace: dict[str, str],
                           expected: list[tuple[str, int, int]], message: str,
                           ruleset_text: Build) -> None:
    text = ruleset_text(promotion, replace)
    analysis = analyze_source(SourceFile("x.yaml", text))
    assert analysis.ruleset is None
    assert [(d.code, d.span.line, d.span.col) for d in analysis.diagnostics
            if d.span] == expected
    assert message in analysis.diagnostics[0].message
    with pytest.raises(RulesetError) as caught:
        load_ruleset_text(text)
    assert [d.code for d in caught.value.diagnostics] == [code for code, _, _ in expected]


@pytest.mark.parametrize(
    ("promotion", "replace", "hint"),
    [
        (promo("effect: { amount_off: 9.99 }"), {}, 'write it quoted, e.g. "9.99"'),
        (promo("priorty: 3", "effect: { percent_off: 10 }"), {}, "did you mean 'priority'?"),
        (promo("effect: { percent_off: 10, max_unit: 2 }"), {}, "did you mean 'max_units'?"),
        (promo("xyzzy: 3", "effect: { percent_off: 10 }"), {}, None),
        (promo("effect: { percent_off: 10 }"),
         {"stacking:\n  coupons_per_order: 1\n  coupon_with_automatic: true\n"
          "  base: discounted\n": ""}, "every ruleset states how promotions combine"),
    ],
)
def test_model_hints(promotion: str, replace: dict[str, str], hint: str | None,
                     ruleset_text: Build) -> None:
    (diagnostic,) = analyze_source(SourceFile("x.yaml", ruleset_text(promotion, replace))
                                   ).diagnostics
    if hint is None:
        assert diagnostic.hint is None
    else:
        assert diagnostic.hint is not None and hint in diagnostic.hint


def test_a_misspelt_top_level_field(ruleset_text: Build) -> None:
    text = ruleset_text(replace={"currency: USD": "curency: USD"})
    analysis = analyze_source(SourceFile("x.yaml", text))
    assert [(d.code, d.span.line, d.span.col, d.hint) for d in analysis.diagnostics
            if d.span] == [
        ("PR120", 1, 1, None),  # 'currency' is missing ...
        ("PR121", 3, 1, "did you mean 'currency'?"),  # ... because it is misspelt here
    ]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("- just\n- a list\n", [("PR107", 1, 1)]),
        ("hello\n", [("PR107", 1, 1)]),
        ("", [("PR106", 1, 1)]),
    ],
)
def test_not_a_ruleset_at_all(text: str, expected: list[tuple[str, int, int]],
                              diagnose: Diagnose) -> None:
    assert diagnose(text) == expected


def test_two_documents_in_a_ruleset(ruleset_text: Build, diagnose: Diagnose) -> None:
    assert diagnose(ruleset_text() + "---\nruleset: other\n") == [("PR106", 12, 1)]


def test_yaml_problems_surface_through_load_ruleset(ruleset_text: Build) -> None:
    text = ruleset_text(promo("effect: { percent_off: 10 }"),
                        {"ruleset: test": "ruleset: !!python/object/apply:os.system ['true']"})
    with pytest.raises(RulesetError) as caught:
        load_ruleset_text(text)
    first = caught.value.diagnostics[0]
    assert first.span is not None
    assert (first.code, first.span.line, first.span.col) == ("PR102", 1, 10)


BOMB = "".join(
    f"{name}: &{name} [" + ", ".join([f"*{prev}"] * 9 if prev else ['"lol"'] * 9) + "]\n"
    for prev, name in zip([""] + list("abcdefgh"), "abcdefghi", strict=True))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("ruleset: [unclosed\n", ("PR101", 2, 1)),
        ("ruleset: !!python/name:os.system test\n", ("PR102", 1, 10)),
        ("ruleset: a\ndsl: 1\nruleset: b\n", ("PR103", 3, 1)),
        (BOMB, ("PR104", 6, 20)),  # the fourth *e passes the node cap (300,000)
        ("a: " + "[" * 80 + "]" * 80 + "\n", ("PR104", 1, 67)),
        ("ruleset: a\n---\nruleset: b\n", ("PR106", 2, 1)),
        ("", ("PR106", 1, 1)),
        ("[1, 2]\n", ("PR107", 1, 1)),
    ],
    ids=["syntax", "tag", "duplicate", "alias-bomb", "too-deep", "two-documents", "empty",
         "not-a-mapping"],
)
def test_yaml_errors_through_load_ruleset(text: str, expected: tuple[str, int, int]) -> None:
    start = time.perf_counter()
    with pytest.raises(RulesetError) as caught:
        load_ruleset_text(text, name="bad.yaml")
    assert time.perf_counter() - start < 1.0
    found = [(d.code, d.span.line, d.span.col) for d in caught.value.diagnostics if d.span]
    # The YAML problem, and at most the model's complaints about what is then missing.
    assert [f for f in found if f[0] != "PR120"] == [expected]
    assert all(d.span is not None and d.span.file == "bad.yaml"
               for d in caught.value.diagnostics)


def test_a_too_large_file_through_load_ruleset(monkeypatch: pytest.MonkeyPatch,
                                               tmp_path: Path, ruleset_text: Build) -> None:
    path = tmp_path / "big.yaml"
    path.write_text(ruleset_text())
    monkeypatch.setattr(loader, "MAX_BYTES", 100)
    for load in (lambda: load_ruleset(path), lambda: load_ruleset_text(ruleset_text())):
        with pytest.raises(RulesetError) as caught:
            load()
        assert [(d.code, d.span.line, d.span.col) for d in caught.value.diagnostics
                if d.span] == [("PR104", 1, 1)]


def test_every_mistake_is_collected_and_sorted(ruleset_text: Build) -> None:
    text = ruleset_text(
        promo("when: cart.subtotl > 1", "effect: { percent_off: 120 }")
        + "  - id: p2\n"
          "    coupon: A\n"
          "    coupons: [B]\n"
          "    effect: { amount_off: \"1.50\" }\n"
          "  - id: p3\n"
          "    effect: { amount_off: 1.5 }\n",
        {"Europe/Berlin": "Nowhere/City"},
    )
    with pytest.raises(RulesetError) as caught:
        load_ruleset_text(text)
    found = [(d.code, d.span.line, d.span.col) for d in caught.value.diagnostics if d.span]
    assert found == [
        ("PR125", 4, 11),
        ("PR170", 11, 11),
        ("PR122", 12, 28),
        ("PR129", 13, 5),
        ("PR105", 18, 27),
    ]
    assert str(caught.value).endswith("(and 4 more)")


def test_valid_ruleset_has_no_diagnostics(ruleset_text: Build) -> None:
    analysis = analyze_source(SourceFile("x.yaml", ruleset_text()))
    assert analysis.ok and analysis.diagnostics == []


def test_unknown_currency_message_names_the_value(ruleset_text: Build) -> None:
    text = ruleset_text(replace={"currency: USD": "currency: XYZ"})
    (diagnostic,) = analyze_source(SourceFile("x.yaml", text)).diagnostics
    assert "{value" not in diagnostic.message
    assert "XYZ" in diagnostic.message


# ------------------------------------------- once bugs in model.py / ruleset.py


def test_a_timezone_that_names_a_region(ruleset_text: Build, diagnose: Diagnose) -> None:
    assert diagnose(ruleset_text(replace={"Europe/Berlin": "Europe"})) == [("PR125", 4, 11)]


def test_a_very_long_timezone(ruleset_text: Build, diagnose: Diagnose) -> None:
    assert diagnose(ruleset_text(replace={"Europe/Berlin": "x" * 300})) == [("PR125", 4, 11)]


def test_a_window_at_the_end_of_the_calendar(ruleset_text: Build, diagnose: Diagnose) -> None:
    text = ruleset_text(promo('active: { from: "9999-12-31T22:00:00-05:00", '
                              'until: "9999-12-31T23:00:00-05:00" }',
                              "effect: { percent_off: 10 }"))
    assert [code for code, *_ in diagnose(text)] == ["PR134", "PR134"]  # past the year 9000


def test_an_effect_shared_through_an_alias(ruleset_text: Build) -> None:
    text = ruleset_text(
        '  - { id: a, effect: &shared { buy: 1, get: 1, get_target: "item.total > 1" } }\n'
        "  - { id: b, effect: *shared }\n")
    ruleset = load_ruleset_text(text)
    assert [p.effect_kind for p in ruleset.promotions] == ["buy", "buy"]


def test_switches_are_strict_booleans(ruleset_text: Build, diagnose: Diagnose) -> None:
    text = ruleset_text(replace={"coupon_with_automatic: true": "coupon_with_automatic: yes"})
    assert [code for code, *_ in diagnose(text)] == ["PR122"]


def test_dsl_version_is_not_a_boolean(ruleset_text: Build, diagnose: Diagnose) -> None:
    assert [code for code, *_ in diagnose(ruleset_text(replace={"dsl: 1": "dsl: true"}))] == [
        "PR122"]


def test_conditions_given_as_text_to_the_model_are_parsed_and_checked() -> None:
    from pydantic import ValidationError

    from dsl.model import Ruleset

    data = {
        "ruleset": "api", "dsl": 1, "currency": "USD", "timezone": "UTC",
        "stacking": {"coupons_per_order": 1, "coupon_with_automatic": True,
                     "base": "original"},
        "promotions": [{"id": "p", "when": "cart.subtotal >=", "effect": {"percent_off": 5}}],
    }
    with pytest.raises(ValidationError) as caught:
        Ruleset.model_validate(data)
    (error,) = caught.value.errors()
    assert error["type"] == "PR151"
    assert "missing value after '>='" in error["msg"]
    data["promotions"][0]["when"] = "cart.subtotal >= 50"
    promotion = Ruleset.model_validate(data).promotions[0]
    assert promotion.when is not None and promotion.when.node is not None


# ------------------------------------------------------- one id, one promotion


def test_two_promotions_with_one_id_do_not_load(ruleset_text: Build) -> None:
    text = ruleset_text(promo("effect: { percent_off: 10 }")
                        + "  - id: p2\n    effect: { percent_off: 5 }\n"
                        + "  - id: p1\n    effect: { percent_off: 20 }\n")
    with pytest.raises(RulesetError) as caught:
        load_ruleset_text(text, name="shop.yaml")
    [d] = caught.value.diagnostics
    assert d.code == "PR130"
    assert d.span is not None and (d.span.file, d.span.line, d.span.col) == ("shop.yaml", 14, 9)
    assert "already used at line 10, column 9" in d.message


# --------------------------------------------------------------- the loaders


def test_loaders_take_a_path_or_text_and_never_guess(tmp_path: Path,
                                                     ruleset_text: Build) -> None:
    path = tmp_path / "r.yaml"
    path.write_text(ruleset_text(), encoding="utf-8")
    assert load_ruleset(str(path)) is load_ruleset(path)
    assert load_ruleset(path).model_dump() == load_ruleset_text(ruleset_text()).model_dump()
    with pytest.raises(RulesetError) as caught:  # text is not read as YAML by load_ruleset
        load_ruleset(ruleset_text())
    assert [d.code for d in caught.value.diagnostics] == ["PR100"]
    with pytest.raises(TypeError, match="load_ruleset_text"):
        load_ruleset(ruleset_text().encode())  # type: ignore[arg-type]


def test_loading_leaves_the_positioned_document_as_it_was_read(ruleset_text: Build) -> None:
    analysis = analyze_source(SourceFile("r.yaml", ruleset_text(
        promo("when: cart.subtotal > 10", "target: item.sku == \"A\"",
              "effect: { buy: 1, get: 1, percent_off: 100, get_target: item.sku == \"B\" }"))))
    assert analysis.ruleset is not None and analysis.document is not None
    promotion = analysis.document.data["promotions"][0]
    assert promotion["when"] == "cart.subtotal > 10"
    assert promotion["effect"]["get_target"] == 'item.sku == "B"'
    assert [(path, c.source) for path, c, _ in analysis.ruleset.promotions[0].conditions()] == [
        (("when",), "cart.subtotal > 10"), (("target",), 'item.sku == "A"'),
        (("effect", "get_target"), 'item.sku == "B"')]
