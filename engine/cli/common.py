"""Pieces every ``promo`` command shares: error rendering, exit codes, option parsing."""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable
from datetime import datetime
from typing import Any, TypeVar

import click

from dsl.codes import BAD_OPTION
from dsl.errors import InputError, PromoError

F = TypeVar("F", bound=Callable[..., Any])

EXIT_OK, EXIT_FINDINGS, EXIT_USAGE = 0, 1, 2


def handles_errors(func: F) -> F:
    """Render a ``PromoError`` to stderr and exit 2 instead of a traceback."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except PromoError as err:
            click.echo(err.render(), err=True)
            sys.exit(EXIT_USAGE)

    return wrapper  # type: ignore[return-value]


def parse_moment(text: str, option: str = "--at") -> datetime:
    """An ISO-8601 date or date-time given on the command line."""
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise InputError(f"{option}: '{text}' is not an ISO-8601 date and time",
                         code=BAD_OPTION) from None


class Path(click.Path):
    """``click.Path`` that refuses a name with a NUL byte as a usage error: the
    operating system cannot name such a file, and ``os.stat`` raises on it."""

    def convert(self, value: Any, param: click.Parameter | None,
                ctx: click.Context | None) -> Any:
        if isinstance(value, str) and "\x00" in value:
            self.fail("a path cannot contain a NUL character", param, ctx)
        return super().convert(value, param, ctx)
