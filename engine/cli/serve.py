"""``promo serve``: the checkout service over HTTP (``engine/service/``)."""

from __future__ import annotations

import datetime as dt

import click

from . import common
from .common import handles_errors


@click.command()
@click.argument("sources", nargs=-1, required=True, type=common.Path(exists=False))
@click.option("--db", "db", envvar="PROMO_USAGE_DB", metavar="PATH_OR_URL",
              help="The usage store (created at the first checkout); env PROMO_USAGE_DB. "
                   "Without it the service prices but cannot start checkouts.")
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to listen on; other than loopback needs --token-file or "
                   "--insecure.")
@click.option("--port", type=click.IntRange(0, 65535), default=8080, show_default=True,
              help="Port (0: any free one; the address is printed on stderr).")
@click.option("--workers", type=click.IntRange(1, 64), default=1, show_default=True,
              help="Processes sharing the socket and the store.")
@click.option("--token-file", type=common.Path(dir_okay=False, exists=True),
              help="Bearer tokens, one per line: required on checkouts, the usage read "
                   "model and the event feed.")
@click.option("--protect-reads", is_flag=True, help="With --token-file: every endpoint but "
              "/healthz and /readyz needs a token.")
@click.option("--insecure", is_flag=True, help="Allow a non-loopback address without "
              "--token-file (something in front of the service authenticates).")
@click.option("--max-body", type=click.IntRange(1024, 64 * 1024 * 1024),
              default=1024 * 1024, show_default=True, help="Largest request body, in bytes "
              "(413 above it).")
@click.option("--idempotency-ttl", type=click.IntRange(60, 30 * 24 * 3600), default=86400,
              show_default=True, help="Seconds an Idempotency-Key and its response are kept.")
@click.option("--client-time", is_flag=True, help="Price checkouts at the cart's `at` "
              "instead of the server's clock (staging and tests only).")
@click.option("--no-watch", is_flag=True, help="Do not reload rulesets when their files "
              "change (SIGHUP still reloads).")
@click.option("--quiet", is_flag=True, help="No access log lines (errors are still logged).")
@click.option("--relay-url", help="Also run the outbox relay to this webhook (as `promo "
              "usage relay`).")
@click.option("--relay-secret-file", type=common.Path(dir_okay=False, exists=True),
              help="Sign the relay's requests with this file's secret.")
@click.option("--playground", is_flag=True, help="Also serve the playground page at / and "
              "its endpoints (it shows the rulesets' text: loopback only, never in "
              "production).")
@handles_errors
def serve(sources: tuple[str, ...], db: str | None, host: str, port: int, workers: int,
          token_file: str | None, protect_reads: bool, insecure: bool, max_body: int,
          idempotency_ttl: int, client_time: bool, no_watch: bool, quiet: bool,
          relay_url: str | None, relay_secret_file: str | None, playground: bool) -> None:
    """Serve RULESET_OR_DIR... over HTTP: evaluate, coupons, the checkout saga, events.

    Rulesets are addressed by their `ruleset:` id; a directory serves every ruleset
    file in it (not its carts/ and tests/). The contract is /openapi.json, a page of
    it /docs. SIGHUP, or a changed file, reloads the rulesets; one that fails to load
    keeps its previous version serving.
    """
    from ..service import Settings, missing_dependencies
    from ..service import serve as run

    missing_dependencies()
    run(Settings(sources=sources, db=db, host=host, port=port, workers=workers,
                 token_file=token_file, protect_reads=protect_reads, insecure=insecure,
                 body_limit=max_body, idempotency_ttl=dt.timedelta(seconds=idempotency_ttl),
                 client_time=client_time, watch=not no_watch, access_log=not quiet,
                 relay_url=relay_url, relay_secret_file=relay_secret_file,
                 playground=playground))
