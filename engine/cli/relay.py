"""``promo usage relay``: deliver the outbox's events to a webhook (``engine/service/relay.py``)."""

from __future__ import annotations

import signal
import threading

import click

from ..usage import DEFAULT_PATH
from .common import handles_errors


@click.command()
@click.option("--db", "db", default=DEFAULT_PATH, show_default=True, envvar="PROMO_USAGE_DB",
              metavar="PATH_OR_URL", help="The usage store; env PROMO_USAGE_DB.")
@click.option("--url", required=True, help="The webhook: each batch is POSTed there as JSON.")
@click.option("--secret-file", help="Sign each request: Promo-Signature: sha256=<HMAC-SHA256 "
              "of the body with this file's secret>.")
@click.option("--name", default="webhook", show_default=True, help="The relay's name: its "
              "cursor in the store (several relays may read one outbox).")
@click.option("--batch", type=click.IntRange(1, 1000), default=100, show_default=True,
              help="Events per request at most.")
@click.option("--once", is_flag=True, help="Stop when the outbox is drained.")
@handles_errors
def relay(db: str, url: str, secret_file: str | None, name: str, batch: int,
          once: bool) -> None:
    """Deliver events in order, at least once, retrying with capped backoff; the cursor is
    kept in the store, so a restart resumes where it stopped."""
    from ..service.relay import RelaySettings, check_url, read_secret, shown_url
    from ..service.relay import relay as run
    from ..usage import open_store

    settings = RelaySettings(check_url(url), read_secret(secret_file) if secret_file else None,
                             name, batch)
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    with open_store(db, create=False) as store:
        delivered = run(store, settings, stop, once=once)
    click.echo(f"delivered {delivered} event{'s' if delivered != 1 else ''} to {shown_url(url)}")
