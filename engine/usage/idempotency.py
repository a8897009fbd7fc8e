"""Idempotency records and relay cursors: their SQL, once for both backends.

An idempotency record remembers, per request key, which request claimed it
(``request_hash``), whether it is still ``running`` (until ``lease_until``)
or ``done`` (with the stored response), and until when it counts
(``expires_at``).  Every function here runs inside a transaction of the
store (``tx``), so a claim is one short transaction and a response stored by
a transition commits with it.  ``lock`` is what makes the read of a record
and the write that follows one step: ``FOR UPDATE`` on PostgreSQL, nothing
on SQLite (``BEGIN IMMEDIATE`` already holds the one write lock).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from .sqltypes import Tx
from .store import IdempotencyClaim, IdempotencyUnclaimed

CLAIMED = IdempotencyClaim("claimed")
RUNNING = IdempotencyClaim("running")
MISMATCH = IdempotencyClaim("mismatch")
RETRIES = 3
"""How often a claim reads again when the record it collided with vanished meanwhile."""


def check_response(status: int, body: bytes, content_type: str) -> None:
    """What may be stored: an HTTP status, bytes, a content type."""
    if not isinstance(status, int) or isinstance(status, bool) or not 100 <= status <= 599:
        raise ValueError(f"an idempotent response needs an HTTP status (100-599), not {status!r}")
    if not isinstance(body, bytes):
        raise ValueError(f"an idempotent response's body must be bytes, not {type(body).__name__}")
    if not isinstance(content_type, str) or not content_type:
        raise ValueError("an idempotent response needs a content type")


def claim(tx: Tx, lock: str, time: Callable[[dt.datetime], Any],
          moment: Callable[[Any], dt.datetime], key: str, request_hash: str,
          now: dt.datetime, lease: dt.timedelta, ttl: dt.timedelta) -> IdempotencyClaim:
    """Claim ``key`` for the request ``request_hash``, or report who holds it."""
    for _ in range(RETRIES):
        inserted = tx.execute(
            "INSERT INTO idempotency (key, request_hash, state, lease_until, expires_at, "
            "created_at) VALUES (?, ?, 'running', ?, ?, ?) ON CONFLICT (key) DO NOTHING",
            (key, request_hash, time(now + lease), time(now + ttl), time(now))).rowcount
        if inserted == 1:
            return CLAIMED
        row = tx.execute("SELECT request_hash, state, status, body, content_type, lease_until, "
                         "expires_at FROM idempotency WHERE key = ?" + lock, (key,)).fetchone()
        if row is not None:
            break
        # abandoned or pruned between the insert and the read: try the insert again
    else:  # pragma: no cover - needs three deletions racing one claim
        raise IdempotencyUnclaimed(f"idempotency key {key}: the record kept vanishing")
    stored_hash, state, status, body, content_type, lease_until, expires_at = row
    if moment(expires_at) <= now:  # an expired record counts as none
        tx.execute("UPDATE idempotency SET request_hash = ?, state = 'running', status = NULL, "
                   "body = NULL, content_type = NULL, lease_until = ?, expires_at = ?, "
                   "created_at = ?, finished_at = NULL WHERE key = ?",
                   (request_hash, time(now + lease), time(now + ttl), time(now), key))
        return CLAIMED
    if stored_hash != request_hash:
        return MISMATCH
    if state == "done":
        return IdempotencyClaim("done", int(status), bytes(body), str(content_type))
    if moment(lease_until) > now:
        return RUNNING
    # the claimant's lease passed (it died): this caller takes the request over
    tx.execute("UPDATE idempotency SET lease_until = ? WHERE key = ?",
               (time(now + lease), key))
    return CLAIMED


def finish(tx: Tx, time: Callable[[dt.datetime], Any], key: str, status: int, body: bytes,
           content_type: str, now: dt.datetime) -> None:
    """Store the response of ``key``: the record is ``done`` from now on."""
    check_response(status, body, content_type)
    done = tx.execute("UPDATE idempotency SET state = 'done', status = ?, body = ?, "
                      "content_type = ?, finished_at = ? WHERE key = ?",
                      (status, body, content_type, time(now), key)).rowcount
    if done != 1:
        raise IdempotencyUnclaimed(f"idempotency key {key} holds no claim (never claimed, "
                                   "abandoned or pruned): nothing was stored")


def abandon(tx: Tx, key: str) -> None:
    """Forget a running claim; a stored response stays."""
    tx.execute("DELETE FROM idempotency WHERE key = ? AND state = 'running'", (key,))


def prune(tx: Tx, time: Callable[[dt.datetime], Any], now: dt.datetime) -> int:
    return int(tx.execute("DELETE FROM idempotency WHERE expires_at <= ?",
                          (time(now),)).rowcount)


def relay_cursor(tx: Tx, name: str) -> int:
    row = tx.execute("SELECT event_id FROM relay_cursors WHERE name = ?", (name,)).fetchone()
    return 0 if row is None else int(row[0])


def set_relay_cursor(tx: Tx, name: str, event_id: int) -> None:
    if isinstance(event_id, bool) or not isinstance(event_id, int) or event_id < 0:
        raise ValueError(f"an event id is an integer >= 0, not {event_id!r}")
    tx.execute("INSERT INTO relay_cursors (name, event_id) VALUES (?, ?) ON CONFLICT (name) "
               "DO UPDATE SET event_id = excluded.event_id "
               "WHERE relay_cursors.event_id < excluded.event_id", (name, event_id))
