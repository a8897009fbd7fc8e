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
in its path or query): credentials before the host are sent as HTTP Basic
authentication (as curl does); the address is printed and logged as its scheme, host
and port only (``shown_url``).  A redirect is not followed: it fails the delivery.
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
from pathlib import Path
from typing import Any
from urllib.parse import SplitResult, unquote_to_bytes, urlsplit

from dsl.codes import SERVE_CONFIG
from dsl.errors import PromoError
from dsl.records import record

from ..usage import UsageStore

log = logging.getLogger("promorules.relay")

SIGNATURE = "Promo-Signature"


@record
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
    except ValueError:  # (its message may quote the credentials: it is not shown)
        raise PromoError(f"{option}: not a URL: its host cannot be read (an unclosed '[' of "
                         "an IPv6 address, or credentials to percent-encode)",
                         code=SERVE_CONFIG) from None
    if "@" in parts.path + parts.query + parts.fragment:
        # A password with an unencoded '/', '?' or '#' ends the host there: what follows
        # (the rest of the password) would be read as the path, and the part before as a
        # host and a port. Nothing of it can be shown.
        raise PromoError(f"{option} {parts.scheme}://***: an '@' after the host; write it "
                         "%40 (in a password, '/', '?' and '#' too: %2F, %3F, %23)",
                         code=SERVE_CONFIG)
    shown = shown_url(url)
    try:
        parts.port  # noqa: B018 (a port not a number, or beyond 65535, raises only here)
    except ValueError:
        raise PromoError(f"{option} {shown}: not a URL: its port is not a number from 0 to "
                         "65535", code=SERVE_CONFIG) from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise PromoError(f"{option} {shown}: the relay posts to an http:// or https:// URL",
                         code=SERVE_CONFIG)
    if any(c.isspace() or not c.isprintable() for c in url):
        raise PromoError(f"{option} {shown}: a space or control character in it (write it "
                         "percent-encoded)", code=SERVE_CONFIG)
    return url


def shown_url(url: str) -> str:
    """``url`` as printed and logged: its scheme, host and port; the credentials before
    the host, and the path and query after it, as ``***`` and ``…``, where webhooks
    carry their secrets (``https://hooks.example/services/T0/B0/secret``)."""
    parts = urlsplit(url)  # (``check_url`` refused an address this cannot read)
    netloc = parts.netloc
    if "@" in netloc:
        netloc = "***@" + netloc.rpartition("@")[2]
    rest = "/…" if parts.path.strip("/") or parts.query or parts.fragment else parts.path
    return f"{parts.scheme}://{netloc}{rest}"


def _credentials(parts: SplitResult) -> tuple[str, dict[str, str]]:
    """The address to post to, without the credentials before its host, and the
    ``Authorization`` header they become (urllib would take ``user:pass@host`` for a
    host with a port that is not a number)."""
    host = parts.netloc.rpartition("@")[2]
    url = parts._replace(netloc=host).geturl()
    if not (parts.username or parts.password):  # (``http://@host/``: none)
        return url, {}
    pair = unquote_to_bytes(parts.username or "") + b":" + \
        unquote_to_bytes(parts.password or "")
    return url, {"Authorization": "Basic " + base64.b64encode(pair).decode("ascii")}


class _RedirectRefused(urllib.request.HTTPRedirectHandler):
    """A redirect is an answer, not followed: urllib would send the credentials to
    whatever host it names, and turn the POST into a GET without the events, whose 2xx
    would then count as delivered."""

    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


_OPENER = urllib.request.build_opener(_RedirectRefused)
_REDIRECTS = {301, 302, 303, 307, 308}


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
        with _OPENER.open(request, timeout=settings.timeout) as answer:
            answer.read()
            status = answer.status
    except urllib.error.HTTPError as err:
        moved = " (redirects are not followed)" if err.code in _REDIRECTS else ""
        raise DeliveryFailed(f"the receiver answered {err.code}{moved}") from None
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
