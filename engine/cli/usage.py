"""``promo usage …``: the usage store's lifecycle, jobs and read models from the shell.

Only ``reserve`` (starting a checkout) creates the store; every other command
on a path with no store is an error naming it, and creates nothing.  The
commands that only read (``status``, ``events``, ``reconcile`` without
``--fix``) open it read-only, so they work on a read-only file or file system.
"""

from __future__ import annotations

import datetime as dt
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click
from tabulate import tabulate

from ..reasons import BUDGET_EXHAUSTED, LIMIT_REACHED
from ..result import Result
from ..usage import DEFAULT_PATH, UsageStore, open_store
from ..usage.backend import URL
from . import common
from .common import EXIT_FINDINGS, EXIT_OK, handles_errors, parse_moment

if TYPE_CHECKING:
    from dsl.model import Ruleset


class Location(common.Path):
    """Where a store lives: a ``postgresql://`` URL as it is, or the path of a SQLite file."""

    name = "path|url"

    def convert(self, value: Any, param: click.Parameter | None,
                ctx: click.Context | None) -> Any:
        if isinstance(value, str) and URL.match(value):
            if "\x00" in value:
                self.fail("a URL cannot contain a NUL character", param, ctx)
            return value
        return super().convert(value, param, ctx)


LOCATION = Location(dir_okay=False)
DB_OPTION = click.option("--db", "db", default=DEFAULT_PATH, show_default=True,
                         envvar="PROMO_USAGE_DB", type=LOCATION,
                         help="Usage store: a SQLite file, or a postgresql://user@host:port/db "
                              "URL; env PROMO_USAGE_DB. Only `reserve` creates it.")
STORE_REASONS = (LIMIT_REACHED, BUDGET_EXHAUSTED)
FORMAT_OPTION = click.option("--format", "fmt", type=click.Choice(["text", "json"]),
                             default="text", show_default=True, help="Output format.")


def _aware(text: str | None) -> dt.datetime | None:
    if text is None:
        return None
    moment = parse_moment(text, "--now/--at")
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


def _echo_reservation(store: UsageStore, order_ref: str, fmt: str,
                      rules: Ruleset | None = None) -> None:
    """The reservation; in text, its time in ``rules``' timezone (else as stored, UTC)."""
    res = store.reservation(order_ref)
    data = {"order_ref": res.order_ref, "state": res.state, "customer": res.customer,
            "expires_at": res.expires_at.isoformat(),
            "uses": [{"promotion": u.promotion, "coupon": u.coupon} for u in res.uses]}
    if fmt == "json":
        click.echo(json.dumps(data, indent=2))
    else:
        uses = ", ".join(u.promotion for u in res.uses) or "no promotions"
        click.echo(f"{res.order_ref}: {res.state} ({uses}); hold until "
                   f"{common.shown_time(res.expires_at, rules.zone if rules else None)}")


def _echo_not_applied(result: Result, rules: Ruleset) -> None:
    """Why an entered code, or a promotion the limits refused, is not in the price (a
    code that matched a promotion as the ruleset writes it)."""
    from dsl.values import normalise_code

    written = common.written_codes(rules)
    for rejected in result.rejected:
        if rejected.coupon is None and rejected.code not in STORE_REASONS:
            continue
        what = rejected.promotion or f"code {rejected.coupon}"
        if rejected.promotion and rejected.coupon:
            what += f" ({written.get(normalise_code(rejected.coupon), rejected.coupon)})"
        click.echo(f"not applied: {what}: {rejected.code}: {rejected.reason}")
    for cap in result.capped:
        if cap.source == "budget":
            click.echo(f"capped to the budget left: {cap.promotion} {cap.before} -> "
                       f"{cap.after}")


@click.group()
def usage() -> None:
    """Usage limits: reserve, confirm, release, expire, reconcile, status, events, migrate."""


@usage.command()
@click.argument("ruleset", type=common.Path(dir_okay=False))
@click.argument("cart", type=common.Path(dir_okay=False))
@click.option("--order", "order_ref", required=True, help="The order reference (idempotent).")
@click.option("--ttl", type=click.IntRange(min=1), default=900, show_default=True,
              help="Seconds the hold lasts before `promo usage expire` releases it.")
@click.option("--at", "at", metavar="ISO-8601", help="Price and reserve as of this time.")
@DB_OPTION
@FORMAT_OPTION
@handles_errors
def reserve(ruleset: str, cart: str, order_ref: str, ttl: int, at: str | None, db: str,
            fmt: str) -> None:
    """Start a checkout: price CART seeing the limits, then hold every use it takes."""
    from dsl import load_ruleset

    from ..cart import load_cart
    from ..usage.checkout import start_checkout

    rules, snapshot = load_ruleset(Path(ruleset)), load_cart(Path(cart))
    with open_store(db, create=True) as store:  # starting a checkout creates the store
        checkout = start_checkout(store, rules, snapshot, order_ref,
                                  dt.timedelta(seconds=ttl), at=_aware(at))
        if fmt == "json":
            click.echo(json.dumps({"result": checkout.result.to_dict(),
                                   "state": checkout.reservation.state,
                                   "expires_at": checkout.reservation.expires_at.isoformat()},
                                  indent=2))
        else:
            click.echo(f"total {checkout.result.total} (discount "
                       f"{checkout.result.total_discount})")
            _echo_not_applied(checkout.result, rules)
            _echo_reservation(store, order_ref, fmt, rules)


@usage.command()
@click.argument("order_ref")
@click.option("--ruleset", type=common.Path(dir_okay=False),
              help="The ruleset; needed to re-take the uses of a hold that expired.")
@DB_OPTION
@FORMAT_OPTION
@handles_errors
def confirm(order_ref: str, ruleset: str | None, db: str, fmt: str) -> None:
    """Payment captured: make the held uses final (idempotent)."""
    from dsl import load_ruleset

    rules = load_ruleset(Path(ruleset)) if ruleset else None
    with open_store(db, create=False) as store:
        store.confirm(order_ref, rules, retake_expired=rules is not None)
        _echo_reservation(store, order_ref, fmt, rules)


@usage.command()
@click.argument("order_ref")
@DB_OPTION
@FORMAT_OPTION
@handles_errors
def release(order_ref: str, db: str, fmt: str) -> None:
    """Checkout aborted: give the held uses back (idempotent)."""
    with open_store(db, create=False) as store:
        store.release(order_ref)
        _echo_reservation(store, order_ref, fmt)


@usage.command()
@click.option("--now", "now", metavar="ISO-8601", help="Expire as of this time (default now).")
@DB_OPTION
@FORMAT_OPTION
@handles_errors
def expire(now: str | None, db: str, fmt: str) -> None:
    """Background job: release every hold past its TTL; prune old idempotency records."""
    moment = _aware(now)
    with open_store(db, create=False) as store:
        expired = store.expire(moment)
        pruned = store.prune_idempotency(moment)
    if fmt == "json":
        click.echo(json.dumps({"expired": expired, "idempotency_pruned": pruned}, indent=2))
        return
    for order_ref in expired:
        click.echo(f"expired {order_ref}")
    click.echo(f"{len(expired)} reservation{'s' if len(expired) != 1 else ''} expired")
    click.echo(f"{pruned} idempotency record{'s' if pruned != 1 else ''} pruned")


@usage.command()
@click.option("--fix", is_flag=True, help="Repair the counters that drifted.")
@DB_OPTION
@FORMAT_OPTION
@handles_errors
def reconcile(fix: bool, db: str, fmt: str) -> None:
    """Background job: recompute counters and batch codes from the reservations; exit 1 on
    unrepaired drift."""
    with open_store(db, readonly=not fix, create=False) as store:
        drift = store.reconcile(fix=fix)
    if fmt == "json":
        click.echo(json.dumps({"drift": [d.to_dict() for d in drift], "fixed": fix},
                              indent=2))
    elif drift:
        click.echo(tabulate([d.to_dict().values() for d in drift],
                            headers=["scope", "key", "counter", "from reservations"]))
        click.echo(f"{len(drift)} counter{'s' if len(drift) != 1 else ''} "
                   f"{'repaired' if fix else 'drifted (run with --fix to repair)'}")
    else:
        click.echo("no drift: every counter matches the reservations")
    sys.exit(EXIT_FINDINGS if drift and not fix else EXIT_OK)


@usage.command()
@click.argument("ruleset", type=common.Path(dir_okay=False))
@click.option("--at", "at", metavar="ISO-8601",
              help="Which promotions are active at this time (default now).")
@DB_OPTION
@FORMAT_OPTION
@handles_errors
def status(ruleset: str, at: str | None, db: str, fmt: str) -> None:
    """Per promotion and coupon: active?, limit, reserved, confirmed, remaining, budget left."""
    from dsl import load_ruleset

    from ..program import compile_ruleset

    rules = load_ruleset(Path(ruleset))
    moment = _aware(at) or dt.datetime.now(dt.UTC)
    active = set(compile_ruleset(rules).active_ids(moment))
    with open_store(db, readonly=True) as store:
        rows = store.status(rules)
    for row in rows:
        row["active"] = row["promotion"] in active
    if fmt == "json":
        click.echo(json.dumps(rows, indent=2))
        return
    written = common.written_codes(rules)  # the store keeps codes normalised
    click.echo(tabulate(
        [[r["promotion"], written.get(r["coupon"], r["coupon"]) if r["coupon"] else "",
          "yes" if r["active"] else "no",
          "-" if r["limit"] is None else r["limit"], r["reserved"], r["confirmed"],
          "-" if r["remaining"] is None else r["remaining"],
          "-" if r["budget_left"] is None else f"{r['budget_left']} of {r['budget']}"]
         for r in rows],
        headers=["promotion", "coupon", "active", "limit", "reserved", "confirmed",
                 "remaining", "budget left"], disable_numparse=True))


@usage.command()
@click.option("--since", type=click.IntRange(min=0), default=0, show_default=True,
              help="Print events after this outbox id.")
@click.option("--limit", type=click.IntRange(min=1), help="At most this many events.")
@DB_OPTION
@click.option("--format", "fmt", type=click.Choice(["json", "text"]), default="json",
              show_default=True, help="json: one event a line, as a relay reads them; "
              "text: a table for people.")
@click.option("--ruleset", type=common.Path(dir_okay=False), help="With --format text: "
              "times in this ruleset's timezone, coupon codes as it writes them.")
@handles_errors
def events(since: int, limit: int | None, db: str, fmt: str, ruleset: str | None) -> None:
    """The outbox, oldest first: JSON lines for a relay to publish, or a table."""
    from dsl import load_ruleset

    rules = load_ruleset(Path(ruleset)) if ruleset else None
    with open_store(db, readonly=True) as store:
        found = store.events(since, limit)
    if fmt == "json":
        for event in found:
            click.echo(json.dumps(event, sort_keys=True))
        return
    zone, written = (rules.zone, common.written_codes(rules)) if rules else (None, {})
    rows = [[e["id"], common.shown_time(dt.datetime.fromisoformat(e["occurred_at"]), zone),
             e["event"], e["order_ref"], e.get("promotion", ""),
             written.get(e.get("coupon") or "", e.get("coupon") or ""),
             e.get("customer") or "-", f"{e.get('amount', '')} {e.get('currency', '')}".strip()]
            for e in found]
    click.echo(tabulate(rows, headers=["id", "occurred at", "event", "order", "promotion",
                                       "coupon", "customer", "amount"], disable_numparse=True))
    click.echo(f"{len(rows)} event{'s' if len(rows) != 1 else ''}")


@usage.command()
@click.option("--from", "source", required=True, type=LOCATION, metavar="PATH_OR_URL",
              help="The store to copy (read only).")
@click.option("--to", "target", required=True, type=LOCATION, metavar="PATH_OR_URL",
              help="Where to copy it: an empty store, or none yet (it is created).")
@FORMAT_OPTION
@handles_errors
def migrate(source: str, target: str, fmt: str) -> None:
    """Copy a store to another backend or place: every row exactly, then verify the copy."""
    from ..usage.migrate import migrate as copy

    done = copy(source, target)
    if fmt == "json":
        click.echo(json.dumps({"from": done.source, "to": done.target, "copied": done.copied,
                               "verified": True,
                               "drift": [d.to_dict() for d in done.drift]}, indent=2))
        return
    counts = ", ".join(f"{n} {table.replace('_', ' ')}" for table, n in done.copied.items())
    click.echo(f"copied {done.source} -> {done.target}: {counts}")
    click.echo("verified: the target shows the same reservations, counters, events and "
               "drift as the source")
    if done.drift:
        click.echo(f"note: both stores show {len(done.drift)} drifted counter"
                   f"{'s' if len(done.drift) != 1 else ''}: run `promo usage reconcile "
                   "--fix` on the target")
