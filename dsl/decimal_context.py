"""The decimal context every computation on amounts runs in, whatever the caller's.

``Decimal`` arithmetic, ``quantize`` and ``scaleb`` round and signal in the calling
thread's context (``decimal.getcontext()``), which a host application may have
changed: fewer digits (``prec = 3`` makes pricing raise ``InvalidOperation``),
another rounding (``ROUND_FLOOR`` writes 4.95 - 4.95 as ``-0.00``), a trap on
``Inexact`` or ``Rounded`` (a ``max_discount`` share raises).  The public entry
points of ``dsl`` and ``engine`` are decorated with ``in_decimal_context``, so they
compute in ``DECIMAL_CONTEXT`` and the caller's context is an input that changes
nothing (docs/semantics.md#money).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from decimal import (
    ROUND_HALF_EVEN,
    Context,
    DivisionByZero,
    InvalidOperation,
    Overflow,
    getcontext,
    localcontext,
)
from typing import ParamSpec, TypeVar

P = ParamSpec("P")
R = TypeVar("R")

PRECISION = 28
"""Digits of every ``Decimal`` result.  Enough for every bound (docs/semantics.md#maximum):
an amount is at most 10^15 with at most 4 decimals (``dsl.values.MAX_AMOUNT``, CLF's
minor units), 20 digits; a sum of amounts at most 21; the largest product, a subtotal
times a ``percent_of_subtotal`` over 100 (6 decimals: 8 after the division, at most 1),
at most 28.  A line's total before its bound is checked (10^15 × 10^9 quantities,
``MAX_COUNT``) is computed with its own wider context (``engine.cart``).  Not more:
the condition language's division is defined at these 28 digits, so a wider context
would change what ``cart.subtotal / 3`` compares equal to."""

DECIMAL_CONTEXT = Context(
    prec=PRECISION,
    # Every quantize without a rounding of its own is exact on valid input (an amount
    # written with at most the currency's decimals); the conditions' division and a
    # Cart built in Python with a finer price round half to even, as Python does.
    rounding=ROUND_HALF_EVEN,
    Emax=999_999, Emin=-999_999, capitals=1, clamp=0, flags=[],
    traps=[InvalidOperation, DivisionByZero, Overflow],
)
"""Python's default context, declared here so that no caller can change it: the
engine's code and its tests were written against exactly this."""

_TRAPS = DECIMAL_CONTEXT.traps  # (one comparison: two of C's signal dicts compare as integers)
_EMAX, _EMIN = DECIMAL_CONTEXT.Emax, DECIMAL_CONTEXT.Emin


def in_decimal_context(func: Callable[P, R]) -> Callable[P, R]:
    """``func`` run in ``DECIMAL_CONTEXT`` (a copy of it: flags raised stay there).

    When the caller's context already computes as ``DECIMAL_CONTEXT`` (Python's default,
    the usual case), ``func`` runs in it: comparing the settings that change a result
    costs half as much as entering a context (0.3 against 0.8 µs on the benchmark
    machine, where an evaluation takes 25 µs or more).  Those settings are the digits,
    the rounding, the traps and the exponent limits.  Not compared: the flags (they
    record what happened), ``capitals`` (the engine writes numbers with ``format(x,
    "f")``, never in exponent notation) and ``clamp`` (it changes the exponent of
    numbers above 10^999,972, not their value or their digits in ``"f"``)."""

    @functools.wraps(func)
    def run(*args: P.args, **kwargs: P.kwargs) -> R:
        context = getcontext()
        if (context.prec == PRECISION and context.rounding == ROUND_HALF_EVEN
                and context.traps == _TRAPS and context.Emax == _EMAX
                and context.Emin == _EMIN):
            return func(*args, **kwargs)
        with localcontext(DECIMAL_CONTEXT):
            return func(*args, **kwargs)

    return run
