"""Fuzzing in CI, with a bounded number of examples: mutated rulesets, carts and
command lines meet only the documented errors, every accepted input is priced
(a hang fails the example's deadline), and the money invariants hold.

The same properties run for as long as asked, outside CI:
``python tests/fuzz/longrun.py --minutes 30`` (docs/fuzzing.md).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import importlib.util
import os
import sys
import tempfile
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dsl import PromoError, Ruleset, load_ruleset, load_ruleset_text
from engine import Result, evaluate, load_cart, load_cart_text
from engine.cli import cli

_spec = importlib.util.spec_from_file_location("mutants", Path(__file__).parent / "mutants.py")
assert _spec is not None and _spec.loader is not None
mutants = importlib.util.module_from_spec(_spec)
sys.modules["mutants"] = mutants
_spec.loader.exec_module(mutants)

pytestmark = pytest.mark.slow

# In CI the examples are the same every run (a fixed derivation, so CI never fails on a
# lucky draw); the long run (tests/fuzz/longrun.py) sets the count and a fresh seed.
LONG_RUN = "PROMORULES_FUZZ_EXAMPLES" in os.environ
EXAMPLES = int(os.environ.get("PROMORULES_FUZZ_EXAMPLES", "60"))
FUZZ = settings(max_examples=EXAMPLES, deadline=dt.timedelta(seconds=20),
                derandomize=not LONG_RUN, database=None if not LONG_RUN else settings().database,
                suppress_health_check=list(HealthCheck))

NOON = dt.datetime(2026, 7, 15, 12, 0, tzinfo=dt.UTC)
SEED_RULESETS = {p.parent.name: load_ruleset(p) for p in mutants.RULESETS}
SEED_CARTS = [(p.parent.parent.name, load_cart(p)) for p in mutants.CARTS]


def money_holds(result: Result) -> None:
    """Nothing below zero, parts add up to the amounts, totals add up, minor units kept."""
    zero = result.zero
    for line in result.lines:
        assert zero <= line.discount <= line.total
        assert line.final_total == line.total - line.discount >= zero
        assert all(d.amount > zero for d in line.discounts)
    if result.shipping is not None:
        assert zero <= result.shipping.discount <= result.shipping.price
    by_promotion: dict[str, Decimal] = {}
    parts = [d for line in result.lines for d in line.discounts]
    parts += list(result.shipping.discounts) if result.shipping else []
    for part in parts:
        by_promotion[part.promotion] = by_promotion.get(part.promotion, zero) + part.amount
    assert by_promotion == {a.promotion: a.amount for a in result.applied}
    assert result.total == result.subtotal + (result.shipping.price if result.shipping
                                              else zero) - result.total_discount
    exponent = zero.as_tuple().exponent
    assert all(line.final_total.as_tuple().exponent == exponent for line in result.lines)


def price(ruleset: Ruleset, cart: Any) -> None:
    """Evaluate (a cart in another currency is a documented error), check the money,
    read every reason, and evaluate again: the same bytes."""
    at = None if cart.at is not None else NOON  # a cart without `at` is priced now
    try:
        result = evaluate(ruleset, cart, at=at)
    except PromoError:
        return
    money_holds(result)
    assert all(r.code and r.reason for r in result.rejected)
    assert evaluate(ruleset, cart, at=at).to_json() == result.to_json()


@FUZZ
@given(text=mutants.ruleset_texts, pick=st.integers(0, len(SEED_CARTS) - 1))
def test_mutated_rulesets(text: str, pick: int) -> None:
    try:
        ruleset = load_ruleset_text(text, name="fuzz.yaml")
    except PromoError as err:
        assert err.render()
        assert all(d.span is None or d.span.line >= 1 for d in err.diagnostics)
        return
    price(ruleset, SEED_CARTS[pick][1])


@FUZZ
@given(text=mutants.cart_texts)
def test_mutated_carts(text: str) -> None:
    try:
        cart = load_cart_text(text, name="fuzz.json")
    except PromoError as err:
        assert err.render()
        return
    for ruleset in SEED_RULESETS.values():
        if ruleset.currency == cart.currency:
            price(ruleset, cart)


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> list[str]:
    """Paths a command line may name: good and broken rulesets and carts, a missing one."""
    folder = tmp_path_factory.mktemp("cli")
    (folder / "broken.yaml").write_text("ruleset: [\n", encoding="utf-8")
    (folder / "empty.yaml").write_text("", encoding="utf-8")
    return [str(mutants.RULESETS[0]), str(mutants.CARTS[0]), str(folder / "broken.yaml"),
            str(folder / "empty.yaml"), str(folder / "missing.yaml"), str(folder)]


@FUZZ
@given(data=st.data())
def test_command_lines(files: list[str], data: st.DataObject) -> None:
    argv = data.draw(mutants.command_lines(files))
    with tempfile.TemporaryDirectory() as folder, contextlib.chdir(folder):
        result = CliRunner().invoke(cli, argv)  # a store it writes lands in the folder
    assert result.exit_code in (0, 1, 2), (argv, result.output)
    assert result.exception is None or isinstance(result.exception, SystemExit), \
        (argv, repr(result.exception))
    assert "Traceback" not in result.output
