"""The outbox relay: the store's events to a webhook, in order, at least once.

    cursor ← the store's cursor for this relay (0 at first)
    loop:  events after the cursor (a batch) → POST as JSON → 2xx → cursor ← last id

Delivery is at least once: a batch the receiver took but whose answer was lost
is sent again, so a receiver deduplicates by event ``id`` (ids are the outbox
positions: unique and increasing).  A failure (no connection, a timeout, a
status other than 2xx) is retried with exponential backoff, capped; the cursor
is kept in the store, so a relay started again resumes where it stopped.  With
a secret, each request carries ``Promo-Signature: sha256=<HMAC-SHA256 of the
body>``, which a receiver checks before it trusts the events.

A webhook's address often holds a credential (``https://user:token@host/``, a token
in the query): credentials in it are sent as HTTP Basic authentication (as curl
does), and the address is printed and logged without them and without its query
(``shown_url``).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import threading
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import SplitResult, unquote, urlsplit

from dsl.codes import SERVE_CONFIG
from dsl.errors import PromoError

from ..usage import UsageStore

log = logging.getLogger("promorules.relay")

SIGNATURE = "Promo-Signature"


@dataclass(frozen=True)
class RelaySettings:
    url: str
    secret: bytes | None = None
    name: str = "webhook"  # the cursor's name: several relays may read one outbox
    batch: int = 100
    poll: float = 1.0  # seconds between looks at an empty outbox
    timeout: float = 10.0
    first_backoff: float = 0.2
    max_backoff: float = 30.0


def check_url(url: str, option: str = "--url") -> str:
    """``url`` if the relay can post to it; else a ``PromoError`` at start (naming
    ``option``, the address shown without its credentials), where a URL taken as it is
    would fail every delivery, retried for ever."""
    try:
        parts = urlsplit(url)
    except ValueError as err:  # (an unclosed '[' of an IPv6 address)
        raise PromoError(f"{option}: not a URL: {err}", code=SERVE_CONFIG) from None
    try:
        parts.port  # noqa: B018 (a port not a number, or beyond 65535, raises only here)
    except ValueError as err:  # (it quotes the port, nothing before the host)
        raise PromoError(f"{option} {shown_url(url)}: not a URL: {err}",
                         code=SERVE_CONFIG) from None
    shown = shown_url(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise PromoError(f"{option} {shown}: the relay posts to an http:// or https:// URL",
                         code=SERVE_CONFIG)
    if any(c.isspace() or not c.isprintable() for c in url):
        raise PromoError(f"{option} {shown}: a space or control character in it (write it "
                         "percent-encoded)", code=SERVE_CONFIG)
    return url


def shown_url(url: str) -> str:
    """``url`` as printed and logged: without the credentials before its host and
    without its query (``***`` in their place), where webhooks carry their secrets."""
    parts = urlsplit(url)  # (``check_url`` refused an address this cannot read)
    netloc = parts.netloc
    if "@" in netloc:
        netloc = "***@" + netloc.rpartition("@")[2]
    shown = f"{parts.scheme}://{netloc}{parts.path}" if parts.scheme else f"{netloc}{parts.path}"
    return shown + ("?***" if parts.query else "")


def _credentials(parts: SplitResult) -> tuple[str, dict[str, str]]:
    """The address to post to, without the credentials before its host, and the
    ``Authorization`` header they become (urllib would take ``user:pass@host`` for a
    host with a port that is not a number)."""
    if parts.username is None and parts.password is None:
        return parts.geturl(), {}
    user = unquote(parts.username or "")
    password = unquote(parts.password or "")
    token = base64.b64encode(f"{user}:{password}".encode()).decode("ascii")
    host = parts.netloc.rpartition("@")[2]
    return parts._replace(netloc=host).geturl(), {"Authorization": f"Basic {token}"}


MAX_KEY_FILE = 1 << 20
"""The largest token or secret file read: a file of keys is a few kilobytes."""


def read_bounded(path: str | Path) -> bytes:
    """A token or secret file's bytes; ``OSError`` past ``MAX_KEY_FILE`` (a device such as
    /dev/zero or /dev/urandom never ends)."""
    with open(path, "rb") as file:
        data = file.read(MAX_KEY_FILE + 1)
    if len(data) > MAX_KEY_FILE:
        raise OSError(f"larger than {MAX_KEY_FILE:,} bytes: not a file of keys")
    return data


def read_secret(path: str | Path) -> bytes:
    try:
        secret = read_bounded(path).strip()
    except OSError as err:
        raise PromoError(f"--secret-file {path}: cannot read it: {err.strerror or err}",
                         code=SERVE_CONFIG) from None
    if len(secret) < 16:
        raise PromoError(f"--secret-file {path}: the secret must have at least 16 bytes",
                         code=SERVE_CONFIG)
    return secret


class DeliveryFailed(Exception):
    """The receiver did not take the batch (no 2xx)."""


def signature(secret: bytes, body: bytes) -> str:
    return "sha256=" + hmac.new(secret, body, hashlib.sha256).hexdigest()


def deliver(settings: RelaySettings, events: list[dict[str, Any]]) -> None:
    body = json.dumps({"relay": settings.name, "events": events},
                      ensure_ascii=False).encode()
    url, headers = _credentials(urlsplit(settings.url))
    headers.update({"Content-Type": "application/json", "User-Agent": "promorules-relay"})
    if settings.secret is not None:
        headers[SIGNATURE] = signature(settings.secret, body)
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=settings.timeout) as answer:
            answer.read()
            status = answer.status
    except urllib.error.HTTPError as err:
        raise DeliveryFailed(f"the receiver answered {err.code}") from None
    except (urllib.error.URLError, OSError, ValueError) as err:
        raise DeliveryFailed(f"cannot deliver: {getattr(err, 'reason', err)}") from None
    if not 200 <= status < 300:
        raise DeliveryFailed(f"the receiver answered {status}")


def relay(store: UsageStore, settings: RelaySettings, stop: threading.Event,
          once: bool = False, on_delivered: Callable[[int], None] | None = None) -> int:
    """Deliver until ``stop`` is set (or, with ``once``, until the outbox is drained);
    returns how many events were delivered."""
    delivered = 0
    backoff = settings.first_backoff
    while not stop.is_set():
        cursor = store.relay_cursor(settings.name)
        events = store.events(cursor, settings.batch)
        if not events:
            if once:
                break
            stop.wait(settings.poll)
            continue
        try:
            deliver(settings, events)
        except DeliveryFailed as err:
            log.warning("relay %s: %s; retrying in %.1f s", settings.name, err, backoff)
            stop.wait(backoff)
            backoff = min(backoff * 2, settings.max_backoff)
            continue
        backoff = settings.first_backoff
        last = int(events[-1]["id"])
        store.set_relay_cursor(settings.name, last)
        delivered += len(events)
        if on_delivered is not None:
            on_delivered(last)
    return delivered
