"""``promo replay``: what a ruleset would have given on an order history, limits included."""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Any

import click

from . import common
from .common import handles_errors

PROGRESS_AFTER_S = 1.0


class _Progress:
    """A progress bar on standard error, once the replay has run a moment (a terminal only)."""

    def __init__(self) -> None:
        self.started = time.monotonic()
        self.bar: Any = None
        self.done = 0

    def __call__(self, done: int, total: int) -> None:
        if self.bar is None:
            if time.monotonic() - self.started < PROGRESS_AFTER_S or not sys.stderr.isatty():
                return
            self.bar = click.progressbar(length=max(total, 1), label="replaying",
                                         file=sys.stderr, show_eta=True)
            self.bar.__enter__()
        self.bar.update(done - self.done)
        self.done = done

    def close(self) -> None:
        if self.bar is not None:
            self.bar.__exit__(None, None, None)


@click.command(name="replay")
@click.argument("ruleset", type=common.Path(exists=True, dir_okay=False))
@click.option("--orders", "orders", required=True, type=common.Path(dir_okay=False),
              metavar="PATH", help="The order history: JSON lines (.jsonl) of carts with `at`, "
              "or CSV / Parquet in the flat layout (one row per line item), in time order.")
@click.option("--workers", "workers", type=click.IntRange(1, 256), default=1,
              show_default=True, help="Processes pricing the orders (1: this one).")
@click.option("--dask", "dask", metavar="ADDRESS", help="Price the orders on a "
              "dask.distributed cluster (its scheduler, e.g. tcp://10.0.0.5:8786).")
@click.option("--html", "html", type=common.Path(dir_okay=False), metavar="REPORT",
              help="Also write a self-contained HTML report with charts to REPORT.")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text",
              show_default=True, help="Output format.")
@handles_errors
def replay(ruleset: str, orders: str, workers: int, dask: str | None, html: str | None,
           fmt: str) -> None:
    """Price an order history with RULESET, applying the usage limits and budgets in
    time order as the usage store would: uses, discount and when limits ran out."""
    from ..analysis.replay import replay as run
    from ..analysis.replayreport import format_json, format_text

    progress = _Progress()
    try:
        report = run(Path(ruleset), orders, workers=workers, dask=dask, progress=progress)
    finally:
        progress.close()
    if html is not None:
        from ..analysis.html import write_html
        write_html(report, html)
    click.echo(format_json(report) if fmt == "json" else format_text(report), nl=False)
