"""Decimal contexts a host application may leave in its thread, for the tests that
price, read and store under them (docs/semantics.md#decimal-context: results do not depend
on the caller's decimal context).

    with hostile("prec 3") as context:   # the thread's own context, changed in place
        ...                              # (``context`` is ``decimal.getcontext()``)
    assert_unchanged(context, before)    # what the caller set is still there

Each is applied to the thread's current context object, as a host application
does (``getcontext().prec = 3``), not entered as a copy the engine could tell apart.
"""

from __future__ import annotations

import decimal
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

Setup = Callable[[decimal.Context], None]


def _setting(**values: Any) -> Setup:
    def apply(context: decimal.Context) -> None:
        for name, value in values.items():
            setattr(context, name, value)
    return apply


def _trapping(*signals: type[decimal.DecimalException]) -> Setup:
    def apply(context: decimal.Context) -> None:
        for signal in signals:
            context.traps[signal] = True
    return apply


def _flagged(context: decimal.Context) -> None:
    for signal in list(context.flags):
        context.flags[signal] = True


def _everything(context: decimal.Context) -> None:
    for apply in (_setting(prec=5, rounding=decimal.ROUND_CEILING, Emax=40, Emin=-40,
                           capitals=0, clamp=1),
                  _trapping(decimal.Inexact, decimal.Rounded, decimal.FloatOperation,
                            decimal.Underflow, decimal.Subnormal, decimal.Clamped),
                  _flagged):
        apply(context)
    context.traps[decimal.InvalidOperation] = False  # NaN instead of an error
    context.traps[decimal.DivisionByZero] = False


HOSTILE: dict[str, Setup] = {
    "prec 3": _setting(prec=3),
    "prec 8": _setting(prec=8),
    "prec 60": _setting(prec=60),  # wider: a condition's division would change
    "ROUND_UP": _setting(rounding=decimal.ROUND_UP),
    "ROUND_FLOOR": _setting(rounding=decimal.ROUND_FLOOR),  # 4.95 - 4.95 is -0.00
    "ROUND_HALF_UP": _setting(rounding=decimal.ROUND_HALF_UP),
    "traps Inexact and Rounded": _trapping(decimal.Inexact, decimal.Rounded),
    "trap FloatOperation": _trapping(decimal.FloatOperation),
    "flags left set": _flagged,
    # the IEEE interchange formats (their precision differs: the exponent limits alone are
    # not compared, dsl/decimal_context.py)
    "decimal64": _setting(prec=16, Emax=384, Emin=-383, clamp=1),
    "decimal128": _setting(prec=34, Emax=6144, Emin=-6143, clamp=1),
    "everything at once": _everything,
}


def settings(context: decimal.Context) -> tuple[Any, ...]:
    """All a context holds, flags included."""
    return (context.prec, context.rounding, context.Emax, context.Emin, context.capitals,
            context.clamp, dict(context.traps), dict(context.flags))


@contextmanager
def hostile(name: str) -> Iterator[decimal.Context]:
    """The thread's context changed in place by ``HOSTILE[name]`` (put back afterwards);
    checks on the way out that it is still the same object with the same settings."""
    with decimal.localcontext():  # (a copy of the test's context: restored on exit)
        context = decimal.getcontext()
        HOSTILE[name](context)
        before = settings(context)
        yield context
        assert decimal.getcontext() is context, "the caller's context was replaced"
        assert settings(context) == before, "the caller's context was changed"
