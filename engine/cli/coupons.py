"""``promo coupons …``: the single-use codes of a coupon batch in the usage store.

``generate`` writes new codes (and creates the store where there is none, as a
batch is often made before the first checkout); ``export`` is the one command
that prints codes, as CSV; ``status`` counts them by state.
"""

from __future__ import annotations

import csv
import json
import sys
import time
from pathlib import Path
from typing import IO, TYPE_CHECKING

import click

from dsl.codes import BAD_OPTION, UNKNOWN_PROMOTION
from dsl.errors import InputError

from ..usage import open_store
from . import common
from .common import handles_errors
from .usage import DB_OPTION, FORMAT_OPTION

if TYPE_CHECKING:
    from dsl.model import Promotion

STATES = ("unused", "reserved", "used")


def _batch_promotion(ruleset: str, promotion: str) -> Promotion:
    """The promotion ``promotion`` of the ruleset file, which must take a coupon batch."""
    from dsl import load_ruleset

    rules = load_ruleset(Path(ruleset))
    found = next((p for p in rules.promotions if p.id == promotion), None)
    if found is None:
        raise InputError(f"{ruleset}: no promotion '{promotion}' (promotions: "
                         f"{', '.join(p.id for p in rules.promotions) or 'none'})",
                         code=UNKNOWN_PROMOTION)
    if found.coupon_batch is None:
        raise InputError(f"{promotion}: not a batch promotion (it has no coupon_batch)",
                         code=BAD_OPTION)
    return found


@click.group()
def coupons() -> None:
    """Coupon batches: generate single-use codes into the usage store, export, status."""


@coupons.command()
@click.argument("ruleset", type=common.Path(dir_okay=False, exists=True))
@click.argument("promotion")
@click.option("--count", type=click.IntRange(min=1), required=True,
              help="How many new codes to add to the batch.")
@click.option("--pattern", metavar="PATTERN",
              help="The promotion's coupon_pattern, repeated to check it (a different one is "
                   "refused: its codes would not be recognised).")
@DB_OPTION
@FORMAT_OPTION
@handles_errors
def generate(ruleset: str, promotion: str, count: int, pattern: str | None, db: str,
             fmt: str) -> None:
    """Generate COUNT new unique, unguessable single-use codes of PROMOTION's batch."""
    promo = _batch_promotion(ruleset, promotion)
    wanted = promo.batch_pattern
    assert wanted is not None and promo.coupon_batch is not None
    if pattern is not None and pattern.upper() != wanted.text.upper():
        raise InputError(f"--pattern {pattern}: {promotion}'s codes are written "
                         f"{wanted.text} (its coupon_pattern); codes of another pattern "
                         "would not be recognised: change coupon_pattern in the ruleset",
                         code=BAD_OPTION)
    started = time.perf_counter()
    with open_store(db, create=True) as store:
        total = store.generate_codes(promo.coupon_batch, wanted, count)
        counts = store.batch_status(promo.coupon_batch)
    seconds = time.perf_counter() - started
    if fmt == "json":
        click.echo(json.dumps({"batch": promo.coupon_batch, "pattern": wanted.text,
                               "generated": count, "total": total, **counts,
                               "seconds": round(seconds, 3)}, indent=2))
    else:
        click.echo(f"{promo.coupon_batch}: {count:,} codes generated ({wanted.text}) in "
                   f"{seconds:.1f} s; the batch holds {total:,} ({counts['unused']:,} "
                   "unused). `promo coupons export` writes them out.")


@coupons.command()
@click.argument("ruleset", type=common.Path(dir_okay=False, exists=True))
@click.argument("promotion")
@click.option("--output", "-o", type=common.Path(dir_okay=False, writable=True),
              help="Write the CSV to this file (default: standard output).")
@click.option("--state", type=click.Choice(STATES), help="Only the codes in this state.")
@DB_OPTION
@handles_errors
def export(ruleset: str, promotion: str, output: str | None, state: str | None,
           db: str) -> None:
    """Write PROMOTION's batch codes as CSV (batch, code, state): the one command that
    prints codes."""
    promo = _batch_promotion(ruleset, promotion)
    batch = promo.coupon_batch
    assert batch is not None
    with open_store(db, readonly=True, create=False) as store:
        if output is None:
            _write_csv(store, batch, state, sys.stdout)
        else:
            try:
                with open(output, "w", newline="", encoding="utf-8") as stream:
                    written = _write_csv(store, batch, state, stream)
            except OSError as err:
                raise common.cannot_write(output, err) from None
            click.echo(f"{batch}: {written:,} codes written to {output}", err=True)


def _write_csv(store: object, batch: str, state: str | None, stream: IO[str]) -> int:
    writer = csv.writer(stream, lineterminator="\n")
    writer.writerow(["batch", "code", "state"])

    def write(rows: list[tuple[str, str]]) -> None:
        # codes are stored normalised (case-folded); they are handed out in capitals
        writer.writerows((batch, code.upper(), found) for code, found in rows)

    return int(store.export_codes(batch, write, state))  # type: ignore[attr-defined]


@coupons.command()
@click.argument("ruleset", type=common.Path(dir_okay=False, exists=True))
@click.argument("promotion")
@DB_OPTION
@FORMAT_OPTION
@handles_errors
def status(ruleset: str, promotion: str, db: str, fmt: str) -> None:
    """Count PROMOTION's batch codes: unused, reserved (held by a checkout), used."""
    promo = _batch_promotion(ruleset, promotion)
    batch = promo.coupon_batch
    assert batch is not None
    with open_store(db, readonly=True, create=False) as store:
        counts = store.batch_status(batch)
    if fmt == "json":
        click.echo(json.dumps({"batch": batch, **counts,
                               "total": sum(counts.values())}, indent=2))
    else:
        click.echo(f"{batch}: {sum(counts.values()):,} codes: " +
                   ", ".join(f"{counts[s]:,} {s}" for s in STATES))
