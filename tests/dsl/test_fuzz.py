"""Whatever text comes in, the DSL answers with diagnostics, never with a crash."""

from __future__ import annotations

import datetime as dt
import time
from decimal import Decimal
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dsl import Analysis, ExpressionError, analyze_source, parse_expression
from dsl.expr.check import check_condition
from dsl.expr.types import Context
from dsl.loader import SourceFile

# ------------------------------------------------------------ expressions

TOKENS = [
    "cart.subtotal", "item.total", "customer.segments", "attributes.x", "a", "b.c", "count",
    "sum", "any", "where", "and", "or", "not", "in", "not in", "contains", "true", "false",
    "==", "!=", "<", "<=", ">", ">=", "=", "+", "-", "*", "/", "(", ")", "[", "]", ",", ".",
    "100", "19.99", "-3", '"vip"', "'x'", '"', "'", "\\", "2026-06-01", "2026-02-30",
    "2026-06-01T09:00Z", "2026-06-01T09:00+02:00", "2026-13-45T99:99", "\n", "\t", " ", "!",
    "&", "|", "$", "#", "é", "\x00",
]

token_soup = st.lists(st.sampled_from(TOKENS), max_size=30).map(" ".join)
joined_soup = st.lists(st.sampled_from(TOKENS), max_size=30).map("".join)
any_text = st.text(max_size=200)
grammar_chars = st.text(alphabet='abc.()[]," \'\\<=>!+-*/0123456789:TZ \n', max_size=120)


def parse_or_error(text: str) -> None:
    try:
        node = parse_expression(text)
    except ExpressionError as err:
        assert err.code in {"PR150", "PR151", "PR152", "PR153", "PR154"}, err.code
        assert err.span is not None and err.span.line >= 1 and err.span.col >= 1
        lines = text.split("\n")
        assert err.span.line <= max(len(lines), 1)
        return
    # Whatever parses can be checked, in every context, without raising.
    for context in Context:
        for problem in check_condition(node, context):
            assert problem.code in {"PR141", "PR142", "PR170", "PR171", "PR172", "PR173",
                                    "PR174"}


@settings(max_examples=300, deadline=None)
@given(st.one_of(token_soup, joined_soup, any_text, grammar_chars))
def test_random_text_only_raises_expression_errors(text: str) -> None:
    parse_or_error(text)


HOSTILE = [
    pytest.param("(" * 10_000 + "a" + ")" * 10_000, id="10k-nested-parentheses"),
    pytest.param("(" * 10_000, id="10k-open-parentheses"),
    pytest.param(")" * 10_000, id="10k-close-parentheses"),
    pytest.param("[" * 3_000 + "]" * 3_000, id="3k-nested-lists"),
    pytest.param(" and ".join(["a"] * 3_000), id="3k-ands"),
    pytest.param(" and ".join(["a"] * 700), id="700-ands-under-the-length-cap"),
    pytest.param(" or ".join(["x == 1"] * 400), id="400-ors"),
    pytest.param("not " * 999 + "a", id="999-nots"),
    pytest.param("-" * 3_999 + "1", id="3999-minuses"),
    pytest.param("a" + ".b" * 1_999, id="2k-part-path"),
    pytest.param("f(" + "a, " * 1_300 + "a)", id="1300-arguments"),
    pytest.param("[" + "1, " * 1_300 + "1]", id="1300-list-items"),
    pytest.param("any(" * 40 + "a" + ")" * 40, id="40-nested-calls"),
    pytest.param('"' + "x" * 100_000 + '"', id="100k-string"),
    pytest.param('"' + "\\" * 3_000 + '"', id="3k-backslashes"),
    pytest.param('"' * 3_999, id="3999-quotes"),
    pytest.param("9" * 3_999, id="3999-digit-number"),
    pytest.param("\n" * 3_990 + "a b", id="error-on-line-3991"),
    pytest.param("a" * 1_000_000, id="1m-name"),
]


@pytest.mark.parametrize("text", HOSTILE)
def test_hostile_expressions(text: str) -> None:
    start = time.perf_counter()
    parse_or_error(text)
    assert time.perf_counter() - start < 2.0


def test_error_on_a_late_line_has_that_line() -> None:
    with pytest.raises(ExpressionError) as caught:
        parse_expression("\n" * 100 + "a b")
    span = caught.value.span
    assert span is not None and (span.line, span.col) == (101, 3)


# ------------------------------------------------------------------ YAML

VALID = """\
ruleset: fuzz
dsl: 1
currency: EUR
timezone: Europe/Berlin
stacking:
  coupons_per_order: 1
  coupon_with_automatic: false
  base: original
  max_discount: { amount: "50.00" }
promotions:
  - id: p1
    coupon: SAVE
    when: cart.subtotal >= 100 and customer.segments contains "vip"
    target: item.category == "shoes"
    active: { from: 2026-06-01, until: 2026-09-01 }
    effect: { percent_off: 20, max_units: 2 }
    limits: { uses: 10, per_coupon: 1, budget: "99.99" }
  - id: p2
    effect: { tiers: { by: quantity, steps: [ { at: 3, amount_off: "5.00" } ] } }
"""


def analyze(text: str) -> Analysis:
    analysis = analyze_source(SourceFile("x.yaml", text))
    assert (analysis.ruleset is None) == bool(analysis.diagnostics)
    for diagnostic in analysis.diagnostics:
        assert diagnostic.code.startswith("PR1"), diagnostic
        assert diagnostic.span is not None and diagnostic.span.file == "x.yaml"
        assert diagnostic.span.line >= 1 and diagnostic.span.col >= 1
        diagnostic.render()
        diagnostic.to_dict()
    return analysis


def test_the_fuzz_seed_is_valid() -> None:
    assert analyze(VALID).ok


yamlish = st.text(alphabet=":-[]{},&*!|>'\"#%@`?~\n\t abc123.\\", max_size=200)


@settings(max_examples=300, deadline=None)
@given(st.one_of(yamlish, st.text(max_size=200)))
def test_random_yamlish_text_gives_diagnostics(text: str) -> None:
    analyze(text)


@settings(max_examples=300, deadline=None)
@given(st.integers(min_value=0, max_value=len(VALID)),
       st.integers(min_value=0, max_value=20),
       st.text(alphabet=":-[]{},&*!|>'\"# \n.0123456789abcxyz", max_size=5))
def test_damaged_rulesets_give_diagnostics(at: int, cut: int, insert: str) -> None:
    analyze(VALID[:at] + insert + VALID[at + cut:])


scalars = st.one_of(
    st.none(), st.booleans(), st.integers(), st.text(max_size=20),
    st.floats(allow_nan=False), st.dates(), st.datetimes(),
    st.sampled_from(["USD", "JPY", "Europe/Berlin", "Mars/Olympus", "9.99", "-1", "0",
                     "cart.subtotal > 1", "item.total >", "2026-06-01", "yes", ""]),
)
data = st.recursive(
    scalars,
    lambda children: st.one_of(
        st.lists(children, max_size=4),
        st.dictionaries(st.one_of(st.text(max_size=8), st.integers()), children, max_size=4),
    ),
    max_leaves=20,
)
FIELDS = ["ruleset", "dsl", "currency", "timezone", "rounding", "stacking", "promotions",
          "coupons_per_order", "coupon_with_automatic", "base", "max_discount", "amount",
          "percent_of_subtotal", "id", "when", "target", "effect", "active", "from", "until",
          "coupon", "coupons", "limits", "percent_off", "amount_off", "amount_off_each",
          "fixed_price", "buy", "get", "get_target", "bundle", "units", "price", "tiers",
          "by", "steps", "at", "shipping", "free", "max_amount", "max_units", "choose",
          "exclusive", "group", "priority", "uses", "per_customer", "per_coupon", "budget"]
ruleset_like = st.recursive(
    scalars,
    lambda children: st.one_of(
        st.lists(children, max_size=4),
        st.dictionaries(st.sampled_from(FIELDS), children, max_size=6),
    ),
    max_leaves=30,
)


def _dump(value: Any) -> str:
    return yaml.safe_dump(value, default_flow_style=None, allow_unicode=True)


@pytest.mark.slow
@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(data, ruleset_like))
def test_random_data_dumped_to_yaml_gives_diagnostics(value: Any) -> None:
    analyze(_dump(value))


@pytest.mark.slow
@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.fixed_dictionaries({}, optional={name: ruleset_like for name in
                                           ("stacking", "promotions", "currency")}))
def test_random_parts_of_a_valid_ruleset(overrides: dict[str, Any]) -> None:
    document = yaml.safe_load(VALID.replace("2026-06-01", '"2026-06-01"')
                              .replace("2026-09-01", '"2026-09-01"'))
    document.update(overrides)
    analyze(_dump(document))


@pytest.mark.parametrize(
    "value",
    [
        Decimal("1.5"), float("nan"), float("inf"), dt.time(9, 0), b"bytes", {"a", "b"},
        (1, 2), 10**400,
    ],
    ids=repr,
)
def test_unusual_python_values_dumped_to_yaml(value: Any) -> None:
    try:
        text = yaml.dump({"ruleset": value, "promotions": [{"effect": {"amount_off": value}}]})
    except yaml.YAMLError:
        pytest.skip("PyYAML cannot represent it")
    analyze(text)
