"""The decimal context every computation on amounts runs in, whatever the caller's.

``Decimal`` arithmetic, ``quantize`` and ``scaleb`` round and signal in the calling
thread's context (``decimal.getcontext()``), which a host application may have
changed: fewer digits (``prec = 3`` makes pricing raise ``InvalidOperation``),
another rounding (``ROUND_FLOOR`` writes 4.95 - 4.95 as ``-0.00``), a trap on
``Inexact`` or ``Rounded`` (a ``max_discount`` share raises).  The public entry
points of ``dsl`` and ``engine`` are decorated with ``in_decimal_context``, so they
compute in ``DECIMAL_CONTEXT`` and the caller's context is an input that changes
nothing (docs/semantics.md#decimal-context).
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
"""Python's default context, declared here rather than read from the thread: the
engine's code and its tests were written against exactly this one."""

_TRAPS = DECIMAL_CONTEXT.traps  # (one comparison: two of C's signal dicts compare as integers)


def in_decimal_context(func: Callable[P, R]) -> Callable[P, R]:
    """``func`` run in ``DECIMAL_CONTEXT`` (a copy of it: flags raised stay there).

    When the caller's context has the engine's digits, rounding and traps (Python's
    default, the usual case), ``func`` runs in it: three settings compared cost a third
    of entering a context (about 2,900 machine instructions with the call, against
    8,100; an evaluation of one line against ten promotions is 210,000), and each
    further setting read costs another 550.  So these are not compared: the flags (they
    record what happened and change no result), ``capitals`` (the engine writes numbers
    with ``format(x, "f")``, never in exponent notation), ``clamp`` (it changes the
    exponent of numbers above 10^999,972, not their value) and the exponent limits
    ``Emax`` and ``Emin``: a context with Python's 28 digits and other limits is one set
    by hand (the IEEE formats, decimal64 and decimal128, change the digits too), and the
    engine computes in it as it is (docs/semantics.md#decimal-context)."""

    @functools.wraps(func)
    def run(*args: P.args, **kwargs: P.kwargs) -> R:
        context = getcontext()
        if (context.prec == PRECISION and context.rounding == ROUND_HALF_EVEN
                and context.traps == _TRAPS):
            return func(*args, **kwargs)
        with localcontext(DECIMAL_CONTEXT):
            return func(*args, **kwargs)

    return run
