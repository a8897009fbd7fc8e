"""Pricing does not depend on the caller's decimal context (docs/semantics.md#decimal-context):
under every context of ``tests/decimal_contexts.py`` a ruleset loads, a cart reads, a
program compiles and prices, and the result writes itself byte for byte as in Python's
default context; the caller's context is the same object with the same settings
afterwards, in the calling thread and in a thread with a context of its own."""

from __future__ import annotations

import decimal
import json
import threading
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from benchmarks.reference import generate_workload
from dsl import load_ruleset_text
from dsl.decimal_context import DECIMAL_CONTEXT, in_decimal_context
from engine import CartError, compile_ruleset, load_cart, load_cart_text, parse_cart
from engine.cart import Cart
from engine.result import Result
from tests.decimal_contexts import HOSTILE, hostile
from tests.engine.test_exact_at_maxima import cases

ROOT = Path(__file__).resolve().parents[2]
RULESETS = sorted((ROOT / "rulesets").glob("*/ruleset.yaml"))


def written(result: Result) -> tuple[Any, ...]:
    """Everything a result says: its JSON, its dict, its totals, each line's and the
    shipping's amounts, and its rejections read first (they are worked out when read)."""
    rejected = tuple(result.rejected)
    shipping = result.shipping
    return (rejected, result.to_json(), result.to_dict(), result.subtotal, result.total,
            result.total_discount, result.item_discount, result.shipping_discount,
            result.shipping_final,
            tuple((line.discount, line.final_total) for line in result.lines),
            None if shipping is None else (shipping.discount, shipping.final))


def bundled(name: str, ruleset: Path) -> list[tuple[Any, ...]]:
    """Every sample cart of a bundled ruleset priced, each step in the current context.
    The ruleset is loaded under ``name`` (loading is cached per name and text), so it
    is loaded and compiled again here."""
    program = compile_ruleset(load_ruleset_text(ruleset.read_text(), name=name))
    out = []
    for path in sorted((ruleset.parent / "carts").iterdir()):
        cart = load_cart(path)
        out.append((cart, written(program.evaluate(cart))))
    return out


@pytest.fixture(scope="module")
def expected() -> dict[Path, list[tuple[Any, ...]]]:
    with decimal.localcontext(decimal.Context()):
        return {ruleset: bundled(f"{ruleset}:default", ruleset) for ruleset in RULESETS}


@pytest.mark.parametrize("context", list(HOSTILE))
def test_the_bundled_carts_price_the_same_in_any_context(
        context: str, expected: dict[Path, list[tuple[Any, ...]]]) -> None:
    assert len(RULESETS) >= 5
    for ruleset in RULESETS:
        with hostile(context):
            got = bundled(f"{ruleset}:{context}", ruleset)
        assert got == expected[ruleset], (ruleset, context)


def test_a_cart_of_every_bundled_ruleset_takes_money_off() -> None:
    """(The comparisons above compare discounts, not only empty results.)"""
    for ruleset in RULESETS:
        program = compile_ruleset(load_ruleset_text(ruleset.read_text()))
        assert any(program.evaluate(load_cart(cart)).applied
                   for cart in (ruleset.parent / "carts").iterdir())


def priced_json(text: str, data: dict[str, Any]) -> str:
    program = compile_ruleset(load_ruleset_text(text, name=f"r{decimal.getcontext().prec}"))
    return program.evaluate(parse_cart(data)).to_json()


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                  HealthCheck.data_too_large])
@given(case=cases(), context=st.sampled_from(list(HOSTILE)))
def test_amounts_at_the_maxima_price_the_same_in_any_context(
        case: tuple[str, dict[str, Any]], context: str) -> None:
    text, data = case
    with decimal.localcontext(decimal.Context()):
        default = priced_json(text, data)
    with hostile(context):
        got = priced_json(text, data)
    assert got == default


def test_generated_workloads_price_the_same_in_any_context() -> None:
    workload = generate_workload(50, seed=3, variety=True)
    carts = [workload.cart(lines, seed=k) for lines in (1, 10, 40) for k in range(4)]
    with decimal.localcontext(decimal.Context()):
        program = compile_ruleset(load_ruleset_text(workload.text, name="default"))
        default = [written(program.evaluate(parse_cart(c))) for c in carts]
    assert any(r[2]["applied"] for r in default)
    for context in HOSTILE:
        with hostile(context):
            program = compile_ruleset(load_ruleset_text(workload.text, name=context))
            got = [written(program.evaluate(parse_cart(c))) for c in carts]
        assert got == default, context


# ------------------------------------------------------------------- reading carts

BOUNDARY = ('{"id": "c", "currency": "USD", "lines": ['
            '{"id": "a", "sku": "A", "unit_price": "500000000000000.01", "quantity": 2}]}')


def test_a_json_cart_reads_the_same_under_prec_3() -> None:
    text = (ROOT / "rulesets/marketplace/carts/big-order-capped.yaml").read_text()
    data = load_cart(ROOT / "rulesets/marketplace/carts/big-order-capped.yaml").model_dump(
        mode="json")
    as_json = json.dumps(data)
    with decimal.localcontext(decimal.Context()):
        default = load_cart_text(as_json), parse_cart(data), load_cart_text(text)
    with hostile("prec 3"):
        got = load_cart_text(as_json), parse_cart(data), load_cart_text(text)
    assert got == default
    assert all(isinstance(cart, Cart) for cart in got)


@pytest.mark.parametrize("context", ["prec 3", "prec 8", "ROUND_FLOOR", "everything at once"])
def test_a_subtotal_a_cent_above_the_maximum_is_refused_in_any_context(context: str) -> None:
    """1,000,000,000,000,000.02 rounds to 10^15 in 3 or 8 digits: it must still be refused."""
    with hostile(context), pytest.raises(CartError) as refused:
        load_cart_text(BOUNDARY)
    assert refused.value.diagnostics[0].code == "PR308"


# ---------------------------------------------------------------------- threads


def test_a_thread_with_its_own_context_prices_the_same() -> None:
    ruleset = RULESETS[0]
    with decimal.localcontext(decimal.Context()):
        default = bundled(f"{ruleset}:default", ruleset)
    found: dict[str, Any] = {}

    def price(context: str) -> None:
        with hostile(context):  # (a new thread starts with a copy of DefaultContext)
            found[context] = bundled(f"{ruleset}:{context}:thread", ruleset)

    threads = [threading.Thread(target=price, args=(context,)) for context in HOSTILE]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert found == dict.fromkeys(HOSTILE, default)


def test_threads_in_the_default_and_a_hostile_context_at_once_both_price_right() -> None:
    """The amounts the engine caches (shared by every thread) stay right."""
    workload = generate_workload(20, seed=5)
    program = compile_ruleset(load_ruleset_text(workload.text))
    carts = [parse_cart(workload.cart(5, seed=k)) for k in range(30)]
    with decimal.localcontext(decimal.Context()):
        default = [program.evaluate(cart).to_json() for cart in carts]
    found: dict[str, list[str]] = {}

    def price(context: str | None) -> None:
        if context is None:
            found["default"] = [program.evaluate(cart).to_json() for cart in carts * 3]
            return
        with hostile(context):
            found[context] = [program.evaluate(cart).to_json() for cart in carts * 3]

    threads = [threading.Thread(target=price, args=(context,))
               for context in (None, "prec 3", "ROUND_FLOOR", None, "everything at once")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(found) == 4 and all(got == default * 3 for got in found.values())


# ------------------------------------------------------------------- the guard


def test_the_callers_context_is_used_as_it_is_when_it_computes_as_the_engines() -> None:
    seen = []
    current = in_decimal_context(lambda: seen.append(decimal.getcontext()))
    with decimal.localcontext(decimal.Context()) as context:
        current()
        context.flags[decimal.Inexact] = True  # (flags change no result)
        current()
    assert seen == [context, context]


def test_another_context_is_replaced_by_a_copy_of_the_engines_for_the_call() -> None:
    seen = []
    current = in_decimal_context(lambda: seen.append(decimal.getcontext()))
    with hostile("everything at once") as context:
        current()
        current()
    first, second = seen
    assert first is not context and first is not DECIMAL_CONTEXT and second is not first
    assert (first.prec, first.rounding, dict(first.traps), first.Emax, first.Emin) == (
        28, decimal.ROUND_HALF_EVEN, dict(decimal.Context().traps), 999_999, -999_999)


def test_the_exponent_limits_alone_are_not_compared() -> None:
    """(They cost a comparison each on every call: docs/semantics.md#decimal-context.)"""
    seen = []
    current = in_decimal_context(lambda: seen.append(decimal.getcontext()))
    with decimal.localcontext(decimal.Context(Emax=999, Emin=-999, clamp=1, capitals=0)) \
            as context:
        current()
    assert seen == [context]


def test_an_error_inside_leaves_the_callers_context_in_place() -> None:
    @in_decimal_context
    def fails() -> None:
        raise ValueError("inside")

    with hostile("prec 3"), pytest.raises(ValueError, match="inside"):
        fails()


@pytest.mark.parametrize("context", ["prec 3", "ROUND_FLOOR", "everything at once"])
def test_an_explanation_is_the_same_in_any_context(context: str) -> None:
    from engine.trace import explain_cart

    def explained(name: str) -> list[Any]:
        """(The text ends with a comment of its own: loading is cached per name and text,
        and the trace names the file.)"""
        ruleset = RULESETS[0]
        program = compile_ruleset(load_ruleset_text(ruleset.read_text() + f"# {name}\n",
                                                    name="ruleset.yaml"))
        out = []
        for path in sorted((ruleset.parent / "carts").iterdir()):
            trace, result = explain_cart(program, load_cart(path))
            out.append((trace.to_dict(), result.to_json()))
        return out

    with decimal.localcontext(decimal.Context()):
        default = explained("default")
    with hostile(context):
        got = explained(context)
    assert got == default
