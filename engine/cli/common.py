"""Pieces every ``promo`` command shares: error rendering, exit codes, option parsing."""

from __future__ import annotations

import functools
import os
import re
import sys
from collections.abc import Callable
from datetime import datetime, tzinfo
from typing import TYPE_CHECKING, Any, TypeVar

import click

from dsl.codes import BAD_OPTION, OUTPUT_UNWRITABLE
from dsl.errors import InputError, PromoError

if TYPE_CHECKING:
    from dsl.model import Ruleset

F = TypeVar("F", bound=Callable[..., Any])

EXIT_OK, EXIT_FINDINGS, EXIT_USAGE = 0, 1, 2


def handles_errors(func: F) -> F:
    """Render a ``PromoError`` to stderr and exit 2 instead of a traceback."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except PromoError as err:
            echo(err.render(), err=True)
            sys.exit(EXIT_USAGE)

    return wrapper  # type: ignore[return-value]


def parse_moment(text: str, option: str = "--at") -> datetime:
    """An ISO-8601 date or date-time given on the command line."""
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise InputError(f"{option}: '{text}' is not an ISO-8601 date and time",
                         code=BAD_OPTION) from None


def cannot_write(path: object, err: OSError) -> InputError:
    """The error of a file or directory a command writes that cannot be written."""
    return InputError(f"{path}: cannot write: {err.strerror or err}", code=OUTPUT_UNWRITABLE)


class Path(click.Path):
    """``click.Path`` that refuses a name with a NUL byte as a usage error: the
    operating system cannot name such a file, and ``os.stat`` raises on it."""

    def convert(self, value: Any, param: click.Parameter | None,
                ctx: click.Context | None) -> Any:
        if isinstance(value, str) and "\x00" in value:
            self.fail("a path cannot contain a NUL character", param, ctx)
        return super().convert(value, param, ctx)


# ------------------------------------------------------------------ conventions


def shown_time(moment: datetime, zone: tzinfo | None = None) -> str:
    """A time as text output prints it: in ``zone`` (the ruleset's timezone; else as
    it is), to the second."""
    return (moment.astimezone(zone) if zone is not None else moment).isoformat(
        timespec="seconds")


def written_codes(ruleset: Ruleset) -> dict[str, str]:
    """Each coupon code as the ruleset writes it, by its normalised form (the form the
    store and the matching use)."""
    from dsl.values import normalise_code

    written: dict[str, str] = {}
    for promotion in ruleset.promotions:
        for code in ([promotion.coupon] if promotion.coupon else [*(promotion.coupons or ())]):
            written.setdefault(normalise_code(code), code)
    return written


def colour_wanted(err: bool = False) -> bool:
    """Colour only on a terminal: ``NO_COLOR`` (set and not empty) turns it off, then
    ``FORCE_COLOR`` (set and not empty) on, whatever the output is; ``TERM=dumb`` off."""
    if os.environ.get("NO_COLOR"):
        return False
    if os.environ.get("FORCE_COLOR"):
        return True
    stream = sys.stderr if err else sys.stdout
    return os.environ.get("TERM") != "dumb" and stream.isatty()


# The patterns are compiled when first painted (by ``re``'s cache): output to a pipe or
# a file never is, and compiling them all takes about half a millisecond of every start.
_PAINTED = [  # a diagnostic's code (and severity) coloured by its severity
    (r"^(\S[^\n]*?:\d+:\d+: )(PR\d{3} \[warning\])", "yellow"),
    (r"^(\S[^\n]*?:\d+:\d+: )(PR\d{3} \[info\])", "blue"),
    (r"^(\S[^\n]*?:\d+:\d+: )(PR\d{3}(?: \[error\])?)(?=\s)", "red"),
]


def _verdict(match: re.Match[str], colour: str) -> str:
    return click.style(match.group(0), fg=colour, bold=True)


def _code(match: re.Match[str], colour: str) -> str:
    return match.group(1) + click.style(match.group(2), fg=colour, bold=True)


_CARET = r"^( +\| *)(\^+)$"
_HINT = r"^( += )(hint:)"
_VERDICT = [(r"^PASS(?= )", "green"), (r"^FAIL(?= )", "red"),
            ("✓", "green"), ("✗", "red")]  # promo test, promo explain
_HEADING = r"^(Applied:|Capped:|Not applied:|Summary of \d+ carts:|==> .* <==)$"


def paint(text: str) -> str:
    """``text`` with the parts people look for first in colour: codes by severity, the
    carets, hints, the headings of ``promo eval``, the verdicts of ``promo test`` and
    ``promo explain``."""
    for pattern, colour in _PAINTED:
        text = re.sub(pattern, functools.partial(_code, colour=colour), text, flags=re.M)
    text = re.sub(_CARET, lambda m: m.group(1) + click.style(m.group(2), fg="red"), text,
                  flags=re.M)
    text = re.sub(_HINT, lambda m: m.group(1) + click.style(m.group(2), fg="cyan"), text,
                  flags=re.M)
    for pattern, colour in _VERDICT:
        text = re.sub(pattern, functools.partial(_verdict, colour=colour), text, flags=re.M)
    return re.sub(_HEADING, lambda m: click.style(m.group(1), bold=True), text, flags=re.M)


def echo(text: str, *, err: bool = False, nl: bool = True) -> None:
    """``click.echo`` in colour where ``colour_wanted`` says so, plain elsewhere."""
    if colour_wanted(err):
        click.echo(paint(text), err=err, nl=nl, color=True)
    else:
        click.echo(text, err=err, nl=nl)
