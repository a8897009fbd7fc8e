"""``dsl.fmt``: the canonical form of a ruleset, its round trips and what it keeps."""

from __future__ import annotations

import io
import random
import re
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap

from benchmarks.generate import generate_ruleset
from dsl import format_expression, load_ruleset_text, parse_expression
from dsl.effects import AmountOff, BuyGet, Gift, PercentOff
from dsl.errors import RulesetError
from dsl.expr.format import format_operands
from dsl.fmt import FormatError, format_ruleset, key_order, meaning
from dsl.model import Promotion, Ruleset, Window

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = sorted(ROOT.glob("rulesets/*/ruleset.yaml"))
CORPUS = sorted((ROOT / "tests/dsl/data/schema_corpus/valid").glob("*.yaml"))
SAMPLES = [ROOT / "tests/dsl/data/summer.yaml", ROOT / "docs/examples/unformatted.yaml"]
COMMENT = re.compile(r"(?:^|\s)(#.*)$")


def comments(text: str) -> list[str]:
    """The comments of a text whose scalars hold no ``#`` (every file used here)."""
    return sorted(m.group(1).rstrip() for line in text.splitlines()
                  if (m := COMMENT.search(line)))


def same_meaning(before: str, after: str) -> bool:
    return bool(meaning(load_ruleset_text(before)) == meaning(load_ruleset_text(after)))


def round_trip(text: str) -> str:
    out = format_ruleset(text)
    assert same_meaning(text, out)
    assert format_ruleset(out) == out, "formatting twice changes the text again"
    return out


# ------------------------------------------------------------- round trips


@pytest.mark.parametrize("path", EXAMPLES + SAMPLES, ids=lambda p: str(p.relative_to(ROOT)))
def test_example_rulesets_round_trip_with_their_comments(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    out = round_trip(text)
    assert comments(out) == comments(text)


@pytest.mark.parametrize("path", CORPUS, ids=lambda p: p.name)
def test_the_schema_corpus_round_trips(path: Path) -> None:
    round_trip(path.read_text(encoding="utf-8"))


def test_suppressions_stay_on_their_promotion() -> None:
    """A ``# promo: ignore[...]`` line still sits right above the same ``- id:``."""
    def covered(text: str) -> list[tuple[str, str]]:
        lines = text.splitlines()
        return [(line.strip(), lines[i + 1].strip()) for i, line in enumerate(lines)
                if "promo: ignore[" in line]

    for path in EXAMPLES:
        text = path.read_text(encoding="utf-8")
        assert covered(format_ruleset(text)) == covered(text)


def _with_comments(text: str, rng: random.Random) -> str:
    """Comment lines, end-of-line comments and blank lines at random places."""
    out = []
    for number, line in enumerate(text.splitlines()):
        indent = len(line) - len(line.lstrip())
        if rng.random() < 0.15:
            out.append(" " * indent + f"# note {number}: above")
        if rng.random() < 0.1:
            out.append("")
        out.append(line + (f"   # note {number}: beside" if line.strip() and
                           rng.random() < 0.15 else ""))
    return "\n".join(out) + "\n"


def _shuffled(text: str, rng: random.Random) -> str:
    """The same YAML with every mapping's keys in a random order."""
    rt = YAML()
    rt.preserve_quotes = True
    rt.width = 10_000
    data = rt.load(text)
    stack = [data]
    while stack:
        node = stack.pop()
        if isinstance(node, CommentedMap):
            items = list(node.items())
            rng.shuffle(items)
            for key in list(node):
                del node[key]
            for key, value in items:
                node[key] = value
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)
    out = io.StringIO()
    rt.dump(data, out)
    return out.getvalue()


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.integers(1, 12), st.integers(0, 10**6))
def test_generated_rulesets_round_trip_with_comments(size: int, seed: int) -> None:
    text = _with_comments(generate_ruleset(size, seed=seed), random.Random(seed))
    out = round_trip(text)
    assert comments(out) == comments(text)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.integers(1, 12), st.integers(0, 10**6))
def test_key_order_does_not_depend_on_how_keys_were_written(size: int, seed: int) -> None:
    plain = "".join(line for line in generate_ruleset(size, seed=seed).splitlines(True)
                    if line.strip() and not line.startswith("#"))
    shuffled = _shuffled(plain, random.Random(seed))
    assert format_ruleset(shuffled) == format_ruleset(plain)


# --------------------------------------------------------- the canonical form

HEADER = """\
ruleset: t
dsl: 1
currency: {currency}
timezone: Europe/Berlin
stacking: {{ coupons_per_order: 1, coupon_with_automatic: true, base: discounted }}
promotions:
"""


def ruleset(promotions: str, currency: str = "EUR") -> str:
    return HEADER.format(currency=currency) + promotions


def test_key_order_is_the_models_own_fields_then_inherited_ones() -> None:
    assert key_order(Ruleset)[:3] == ("ruleset", "dsl", "name")
    assert key_order(Promotion) == tuple(Promotion.model_fields)
    assert key_order(Window) == ("from", "until", "days", "hours")
    assert key_order(PercentOff) == ("percent_off", "max_units", "max_units_per_line", "choose",
                                     "max_amount", "target")
    assert key_order(AmountOff) == ("amount_off", "max_amount", "target")
    assert key_order(Gift) == ("gift", "max_amount", "target")
    assert key_order(BuyGet)[:2] == ("buy", "get")


def test_keys_are_put_in_order_in_block_and_flow_mappings() -> None:
    text = ruleset("  - effect: {max_amount: \"5.00\", percent_off: 10}\n"
                   "    group: g\n    id: p\n    when: cart.quantity > 1\n")
    assert format_ruleset(text).endswith(
        "  - id: p\n    when: cart.quantity > 1\n"
        "    effect: { percent_off: 10, max_amount: \"5.00\" }\n    group: g\n")


def test_an_effects_list_is_put_in_order_entry_by_entry() -> None:
    text = ruleset("  - effects:\n"
                   "      - {target: 'item.sku==\"A\"', max_units_per_line: 2, percent_off: 10}\n"
                   "      - {max_amount: 3, amount_off: 5}\n"
                   "    id: p\n")
    assert format_ruleset(text).endswith(
        "  - id: p\n    effects:\n"
        "      - { percent_off: 10, max_units_per_line: 2, target: item.sku == \"A\" }\n"
        "      - { amount_off: \"5.00\", max_amount: \"3.00\" }\n")


@pytest.mark.parametrize(("written", "currency", "canonical"), [
    ("15", "EUR", '"15.00"'), ('"15"', "EUR", '"15.00"'), ('"3.5"', "EUR", '"3.50"'),
    ('" 19.99 "', "EUR", '"19.99"'), ("'7.00'", "EUR", '"7.00"'), ("500", "JPY", '"500"'),
    ('"1.5"', "BHD", '"1.500"'),
])
def test_money_is_quoted_with_the_currencys_decimals(written: str, currency: str,
                                                     canonical: str) -> None:
    text = ruleset(f"  - id: p\n    effect: {{ amount_off: {written} }}\n", currency)
    assert round_trip(text).endswith(f"effect: {{ amount_off: {canonical} }}\n")


def test_percentages_counts_and_thresholds_stay_as_written() -> None:
    text = ruleset("  - id: p\n    effect:\n      tiers:\n        by: subtotal\n"
                   "        steps:\n          - { at: 50, percent_off: 12.5 }\n"
                   "          - { at: \"100\", amount_off: 10 }\n")
    out = round_trip(text)
    assert '{ at: 50, percent_off: 12.5 }' in out
    assert '{ at: "100", amount_off: "10.00" }' in out


def test_conditions_are_spaced_canonically() -> None:
    text = ruleset("  - id: p\n    when: cart.subtotal>=50   and(customer.orders==0)\n"
                   "    target: 'item.category==\"shoes\"'\n    effect: { percent_off: 5 }\n")
    out = round_trip(text)
    assert "    when: cart.subtotal >= 50 and customer.orders == 0\n" in out
    assert "    target: item.category == \"shoes\"\n" in out


def test_a_condition_written_over_several_lines_is_folded_at_and_or() -> None:
    text = ruleset("  - id: p\n    when: |\n      cart.subtotal >= 50 and\n"
                   "        (customer.orders == 0 or customer.segments contains \"vip\")\n"
                   "    effect: { percent_off: 5 }\n")
    assert round_trip(text).endswith(
        "    when: >-\n      cart.subtotal >= 50\n"
        "      and (customer.orders == 0 or customer.segments contains \"vip\")\n"
        "    effect: { percent_off: 5 }\n")


def test_a_long_condition_is_folded_and_a_short_block_joined() -> None:
    long = " and ".join(f'item.tags contains "tag-{i}"' for i in range(5))
    text = ruleset(f"  - id: p\n    target: {long}\n    when: >-\n      cart.quantity > 1\n"
                   "    effect: { percent_off: 5 }\n")
    out = round_trip(text)
    assert "    target: >-\n      item.tags contains \"tag-0\"\n" \
           "      and item.tags contains \"tag-1\"\n" in out
    assert "    when: cart.quantity > 1\n" in out


def test_a_condition_inside_a_flow_mapping_stays_on_one_line() -> None:
    long = " or ".join(f'item.sku == "SKU-{i:04d}"' for i in range(6))
    text = ruleset(f"  - id: p\n    effect: {{ buy: 1, get: 1, get_target: '{long}' }}\n")
    assert f"get_target: {long} }}" in round_trip(text)


def test_comments_move_with_their_key_and_stay_at_their_line() -> None:
    text = ruleset("  # the first promotion\n  - id: p\n"
                   "    # why it is exclusive\n    exclusive: true   # see the brief\n"
                   "\n\n\n    effect: { percent_off: 5 }  # five\n"
                   "                                # percent\n# the end\n")
    assert round_trip(text).endswith(
        "  # the first promotion\n  - id: p\n"
        "\n    effect: { percent_off: 5 }  # five\n"
        "                                # percent\n"
        "    # why it is exclusive\n    exclusive: true   # see the brief\n# the end\n")


def test_line_endings_final_newline_and_byte_order_mark_are_kept() -> None:
    text = ruleset("  - id: p\n    effect: {amount_off: 1}").replace("\n", "\r\n")
    out = format_ruleset("\ufeff" + text)
    assert out == "\ufeff" + ruleset("  - id: p\n    effect: { amount_off: \"1.00\" }"
                                     ).replace("\n", "\r\n")


def test_a_ruleset_that_does_not_load_is_refused_with_the_loaders_errors() -> None:
    text = ruleset("  - id: p\n    effect: { amount_off: 9.99 }\n")
    with pytest.raises(RulesetError) as caught:
        format_ruleset(text, name="shop.yaml")
    assert caught.value.code == "PR105"
    assert caught.value.span is not None and caught.value.span.file == "shop.yaml"


@pytest.mark.parametrize("text", [line for line in (ROOT / "tests/dsl/data/roundtrip.txt")
                                  .read_text(encoding="utf-8").splitlines() if line])
def test_operands_joined_are_the_canonical_text(text: str) -> None:
    node = parse_expression(text)
    lines = format_operands(node)
    assert " ".join(lines) == format_expression(node)
    assert all(line.startswith(("and ", "or ")) for line in lines[1:])


def test_a_text_ruamel_cannot_rewrite_is_refused_not_mangled() -> None:
    """The loader reads a tab before a comment; ruamel.yaml does not: PR520, no traceback."""
    text = ruleset("  - id: p\t# a tab before the comment\n    effect: { percent_off: 5 }\n")
    load_ruleset_text(text)
    with pytest.raises(FormatError) as caught:
        format_ruleset(text, name="shop.yaml")
    assert caught.value.code == "PR520"
    assert str(caught.value).startswith("shop.yaml:1:1: PR520 promo fmt cannot format this "
                                        "file: ruamel.yaml could not re-write it (")
