"""``promo eval``: a dry run of a ruleset against one cart snapshot, or many.

With one cart the output is the single result (text, or one JSON document).  With
several, every cart is read and priced before anything is printed: when one of
them is invalid, every invalid cart's errors go to standard error (each naming its
file), nothing goes to standard output and the exit code is 2, so a pipeline never
reads a partial set of results as if it were complete.
"""

from __future__ import annotations

import contextlib
import json
import sys
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

import click

from dsl.errors import PromoError
from dsl.model import Ruleset

from ..program import evaluate
from . import common, diskcache
from .common import EXIT_USAGE, handles_errors, parse_moment
from .render import render_summary, render_text

if TYPE_CHECKING:
    from ..cart import Cart

STDIN = "-"
STDIN_NAME = "<stdin>"


@click.command(name="eval")
@click.argument("ruleset", type=common.Path(dir_okay=False))
@click.argument("carts", nargs=-1, required=True, metavar="CART...",
                type=common.Path(dir_okay=False, allow_dash=True))
@click.option("--at", "at", metavar="ISO-8601", help="Evaluate at this time instead of the "
              "cart's `at` (e.g. 2026-07-01T12:00:00+02:00).")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text",
              show_default=True, help="Output format; with several carts, json is one JSON "
              "line per cart ({\"file\", \"result\"}).")
@click.option("--db", "db", type=common.Path(dir_okay=False), metavar="PATH_OR_URL",
              help="A usage store to read, a SQLite file or a postgresql:// URL (it must "
              "exist; opened read-only, never written): promotions whose limits are used up "
              "are rejected.")
@click.option("--no-cache", "no_cache", is_flag=True, help="Load the ruleset from its file "
              "even when the cache holds it (the cache: README \"Start-up\"; also "
              "PROMO_NO_CACHE=1).")
@handles_errors
def eval_(ruleset: str, carts: tuple[str, ...], at: str | None, fmt: str,
          db: str | None, no_cache: bool) -> None:
    """Dry-run a ruleset against cart snapshots: priced lines and why.  CART may be
    `-` (standard input); several carts give one block each and a summary."""
    if carts.count(STDIN) > 1:
        raise click.UsageError("standard input ('-') can be given as a cart only once")
    moment = parse_moment(at) if at else None
    cache = diskcache.directory(not no_cache)
    rules = diskcache.cached(cache, ruleset, Ruleset, lambda: _load_ruleset(ruleset))
    codes = common.written_codes(rules)
    results, errors = [], []
    with contextlib.ExitStack() as stack:
        usage = None
        if db is not None:
            from ..usage import StoreView, open_store  # (only here: the store's import costs)

            usage = StoreView(stack.enter_context(open_store(db, readonly=True)), rules)
        for name in carts:
            try:
                results.append((_shown(name), evaluate(rules, _read_cart(name, cache),
                                                        at=moment, usage=usage)))
            except PromoError as err:
                if len(carts) == 1:
                    raise _naming(err, _shown(name)) from None
                errors.append(_naming(err, _shown(name)))
    if errors:
        for error in errors:
            common.echo(error.render(), err=True)
        click.echo(f"{len(errors)} of {len(carts)} carts invalid: nothing was priced",
                   err=True)
        sys.exit(EXIT_USAGE)
    if len(results) == 1:
        result = results[0][1]
        if fmt == "json":
            click.echo(result.to_json(), nl=False)
        else:
            common.echo(render_text(result, codes), nl=False)
    elif fmt == "json":
        for name, result in results:
            click.echo(json.dumps({"file": name, "result": result.to_dict()},
                                  ensure_ascii=False))
    else:
        for name, result in results:
            common.echo(f"==> {name} <==\n{render_text(result, codes)}")
        common.echo(render_summary(results), nl=False)


def _load_ruleset(path: str) -> Ruleset:
    from dsl import load_ruleset  # (here: the parser is imported only when the cache misses)

    return load_ruleset(Path(path))


def _shown(name: str) -> str:
    return STDIN_NAME if name == STDIN else name


def _read_cart(name: str, cache: Path | None) -> Cart:
    """The cart in the file ``name`` (from the cache when it holds it), or on standard
    input for ``-`` (read up to the size a cart file may have, so a runaway pipe is
    refused, not buffered)."""
    from dsl.codes import CART_UNREADABLE, TOO_LARGE
    from dsl.errors import PromoError, Span
    from dsl.loader import MAX_BYTES

    from ..cart import Cart, CartError, load_cart, load_cart_text
    from . import diskcache

    if name != STDIN:
        try:
            return diskcache.cached(cache, name, Cart, lambda: load_cart(Path(name)))
        except CartError as err:
            raise _other_kind(name) or err from None
    try:
        text = sys.stdin.read(MAX_BYTES + 1)
    except UnicodeDecodeError as err:
        raise PromoError(f"cannot read cart: standard input is not UTF-8 text ({err.reason})",
                         Span(STDIN_NAME, 1, 1), code=CART_UNREADABLE) from None
    if len(text) > MAX_BYTES:
        raise PromoError(f"standard input holds more than {MAX_BYTES:,} characters; "
                         "the limit of a cart", Span(STDIN_NAME, 1, 1), code=TOO_LARGE)
    return load_cart_text(text, name=STDIN_NAME)


def _other_kind(name: str) -> PromoError | None:
    """A ruleset or rule tests given as a cart, said so in one error (not a dozen unknown
    fields); ``None`` for a cart with mistakes."""
    from dsl import hints
    from dsl.codes import NOT_A_RULESET
    from dsl.errors import PromoError
    from dsl.loader import compose_document, read_source

    try:
        doc, _ = compose_document(read_source(name))
    except (OSError, UnicodeDecodeError, PromoError):  # unreadable: the cart's error says so
        return None
    found = hints.not_a_cart(doc.data) if doc is not None else None
    if doc is None or found is None:
        return None
    at = doc.position(()).value
    return PromoError(found[0], at, code=NOT_A_RULESET, hint=found[1],
                      source_line=doc.source.lines[at.line - 1])


def _naming(err: PromoError, name: str) -> PromoError:
    """``err`` with the cart's file named where a diagnostic has no position (the cart's
    currency, its evaluation time: checked once the cart is read)."""
    from dsl.errors import DiagnosticsError, Span

    if all(d.span is not None for d in err.diagnostics):
        return err
    return DiagnosticsError([d if d.span is not None else replace(d, span=Span(name, 1, 1))
                             for d in err.diagnostics])
