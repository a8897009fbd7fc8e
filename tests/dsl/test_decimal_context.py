"""Loading, linting and formatting a ruleset do not depend on the caller's decimal
context (docs/semantics.md#decimal-context): under a host application's context they give what
they give in Python's default one."""

from __future__ import annotations

import decimal
from pathlib import Path

import pytest

from dsl import RulesetError, load_ruleset_text
from dsl.fmt import format_ruleset
from dsl.lint import lint_paths
from tests.decimal_contexts import HOSTILE, hostile

ROOT = Path(__file__).resolve().parents[2]
RULESETS = sorted((ROOT / "rulesets").glob("*/ruleset.yaml"))

HEADER = (
    "ruleset: gifts\ndsl: 1\ncurrency: USD\ntimezone: UTC\nstacking:\n"
    "  coupons_per_order: 1\n  coupon_with_automatic: true\n  base: original\npromotions:\n")
HALF_PRICE_GIFT = HEADER + """\
  - id: mug
    effect: { gift: { sku: MUG-1, unit_price: "123456789.99", quantity: 3, percent_off: 12.5 } }
"""
# 500,000,000,000,000.01 × 2 is a cent above the maximum; in 3 or 8 digits it is 10^15
GIFT_ABOVE_THE_MAXIMUM = HEADER + """\
  - id: big
    effect: { gift: { sku: BIG-1, unit_price: "500000000000000.01", quantity: 2 } }
"""


def refusal(text: str) -> list[str]:
    with pytest.raises(RulesetError) as refused:
        load_ruleset_text(text, name=f"{decimal.getcontext().prec}.yaml")
    return [d.code for d in refused.value.diagnostics]


@pytest.mark.parametrize("context", ["prec 3", "prec 8", "ROUND_FLOOR", "everything at once"])
def test_a_gift_a_cent_above_the_maximum_is_refused_in_any_context(context: str) -> None:
    with hostile(context):
        codes = refusal(GIFT_ABOVE_THE_MAXIMUM)
    assert codes == ["PR140"]


def findings(paths: list[Path]) -> list[str]:
    return [d.render() for d in lint_paths(paths).diagnostics]


@pytest.mark.parametrize("context", list(HOSTILE))
def test_lint_finds_the_same_in_any_context(context: str, tmp_path: Path) -> None:
    gift = tmp_path / "gift.yaml"
    gift.write_text(HALF_PRICE_GIFT)
    paths = [*RULESETS, gift]
    with decimal.localcontext(decimal.Context()):
        default = findings(paths)
    assert any("PR232" in f and "pays 324074073.72 more" in f for f in default)
    with hostile(context):
        got = findings(paths)
    assert got == default


@pytest.mark.parametrize("context", ["prec 3", "ROUND_FLOOR", "everything at once"])
def test_a_ruleset_formats_the_same_in_any_context(context: str) -> None:
    texts = [path.read_text() for path in RULESETS] + [HALF_PRICE_GIFT]
    with decimal.localcontext(decimal.Context()):
        default = [format_ruleset(text, name=f"{n}.yaml") for n, text in enumerate(texts)]
    with hostile(context):
        got = [format_ruleset(text, name=f"{context}{n}.yaml") for n, text in enumerate(texts)]
    assert got == default
