"""The outbox relay delivers every event to a webhook, in order, at least once, signed;
through failures (500s, a connection closed without an answer) it retries; its cursor
is kept in the store, so a second run delivers nothing it delivered before."""

from __future__ import annotations

import base64
import contextlib
import datetime as dt
import hashlib
import hmac
import json
import subprocess
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from dsl.ruleset import load_ruleset_text
from engine import parse_cart
from engine.usage import checkout_aborted, open_store, payment_captured, start_checkout
from tests.service.conftest import FASHION, ROOT, RULESETS, cart_json
from tests.service.helpers import wait_for

RULESET = RULESETS / "fashion" / "ruleset.yaml"
SECRET = b"relay-secret-0123456789abcdef"


class _Hook(BaseHTTPRequestHandler):
    """A webhook's handler on loopback: silent, answering without a body."""

    def answer(self, status: int, **headers: str) -> None:
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args: Any) -> None:
        pass


@contextlib.contextmanager
def _listening(handler: type[BaseHTTPRequestHandler]) -> Iterator[int]:
    """``handler`` served on a loopback port (yielded) while the block runs."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield server.server_address[1]
    finally:
        server.shutdown()
        server.server_close()


@dataclass
class Receiver:
    """A webhook on loopback: the first ``failures`` deliveries get a 500, the next one
    is taken and its connection closed without an answer (the relay cannot know it
    arrived), then every delivery is taken.  Events are counted once by id."""

    failures: int
    url: str = ""
    attempts: int = 0
    dropped: bool = False
    deliveries: list[list[int]] = field(default_factory=list)  # ids of each one taken
    signatures_ok: list[bool] = field(default_factory=list)
    events: dict[int, dict[str, Any]] = field(default_factory=dict)  # by id, first copy
    order: list[int] = field(default_factory=list)  # ids as first taken
    lock: threading.Lock = field(default_factory=threading.Lock)

    def take(self, body: bytes, signature: str | None) -> str:
        """``fail``, ``drop`` or ``ok`` for one delivery."""
        with self.lock:
            self.attempts += 1
            if self.attempts <= self.failures:
                return "fail"
            expected = "sha256=" + hmac.new(SECRET, body, hashlib.sha256).hexdigest()
            self.signatures_ok.append(signature is not None and
                                      hmac.compare_digest(signature, expected))
            batch = json.loads(body)
            ids = [event["id"] for event in batch["events"]]
            self.deliveries.append(ids)
            for event in batch["events"]:
                if event["id"] not in self.events:
                    self.events[event["id"]] = event
                    self.order.append(event["id"])
            if not self.dropped:
                self.dropped = True
                return "drop"
            return "ok"


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    state = Receiver(failures=2)

    class Hook(_Hook):
        def do_POST(self) -> None:  # noqa: N802 (the http.server name)
            body = self.rfile.read(int(self.headers["Content-Length"]))
            verdict = state.take(body, self.headers.get("Promo-Signature"))
            if verdict == "drop":
                self.close_connection = True  # no status line, no answer
                return
            self.answer(500 if verdict == "fail" else 200)

    with _listening(Hook) as port:
        state.url = f"http://127.0.0.1:{port}/hook"
        yield state


@pytest.fixture
def secret_file(tmp_path: Path) -> Path:
    path = tmp_path / "secret"
    path.write_bytes(SECRET + b"\n")
    return path


def checkouts(db: Path, prefix: str, carts: list[str]) -> None:
    """Real checkouts on the store: each cart starts; every other one is paid for, the
    rest aborted (events: reserved, then confirmed or released)."""
    ruleset = load_ruleset_text(RULESET.read_text(encoding="utf-8"), name=str(RULESET))
    with open_store(db) as store:
        for n, name in enumerate(carts):
            cart = parse_cart(cart_json(RULESETS / "fashion" / "carts" / f"{name}.yaml"))
            assert cart.at is not None
            ref = f"{prefix}-{n}"
            start_checkout(store, ruleset, cart, ref, at=cart.at)
            later = cart.at + dt.timedelta(minutes=1)
            if n % 2 == 0:
                payment_captured(store, ref, ruleset, now=later)
            else:
                checkout_aborted(store, ref, now=later)


def store_events(db: Path) -> list[dict[str, Any]]:
    with open_store(db) as store:
        return store.events()


def relay_once(db: Path, url: str, secret: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "engine.cli", "usage", "relay", "--db", str(db),
                           "--url", url, "--secret-file", str(secret), "--once", "--batch", "4"],
                          cwd=ROOT, capture_output=True, text=True, timeout=120)


def assert_delivered(receiver: Receiver, events: list[dict[str, Any]]) -> None:
    """Each event once (deduplicated by id) and as the store has it, in the store's order;
    every request signed; the dropped batch came again."""
    assert receiver.order == [event["id"] for event in events]
    assert receiver.events == {event["id"]: event for event in events}
    assert all(receiver.signatures_ok) and receiver.signatures_ok
    taken = [i for ids in receiver.deliveries for i in ids]
    assert len(taken) > len(events)  # at least once: the unanswered batch was sent again
    for ids in receiver.deliveries:
        assert ids == sorted(ids)
    firsts = [ids[0] for ids in receiver.deliveries]
    assert firsts == sorted(firsts)  # a retry sends the same batch again, never an older one


CARTS = ["example", "welcome-new-customer", "socks-exclusive", "summer-student",
         "black-friday", "returning-customer"]


@pytest.mark.slow
def test_the_relay_delivers_every_event_in_order_at_least_once(
        tmp_path: Path, receiver: Receiver, secret_file: Path) -> None:
    db = tmp_path / "usage.db"
    checkouts(db, "relay", CARTS)
    events = store_events(db)
    assert len(events) >= 12 and len({e["event"] for e in events}) >= 3

    done = relay_once(db, receiver.url, secret_file)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().startswith(f"delivered {len(events)} events"), done.stdout
    assert receiver.attempts > len(receiver.deliveries) >= -(-len(events) // 4)
    assert_delivered(receiver, events)
    assert "Traceback" not in done.stderr
    with open_store(db) as store:
        assert store.relay_cursor("webhook") == events[-1]["id"]

    # again: nothing new to deliver, nothing sent
    attempts = receiver.attempts
    again = relay_once(db, receiver.url, secret_file)
    assert again.returncode == 0, again.stderr
    assert again.stdout.strip().startswith("delivered 0 events"), again.stdout
    assert receiver.attempts == attempts

    # new events: only they are delivered
    checkouts(db, "later", ["example"])
    newer = store_events(db)[len(events):]
    assert newer
    more = relay_once(db, receiver.url, secret_file)
    assert more.stdout.strip().startswith(f"delivered {len(newer)} event"), more.stdout
    assert receiver.order == [e["id"] for e in events + newer]


@pytest.mark.slow
def test_serve_runs_the_relay(serve: Any, tmp_path: Path, receiver: Receiver,
                              secret_file: Path) -> None:
    db = tmp_path / "usage.db"
    checkouts(db, "served", CARTS[:3])
    server = serve(str(RULESET), "--no-watch", "--db", str(db), "--relay-url", receiver.url,
                   "--relay-secret-file", str(secret_file))
    events = store_events(db)
    wait_for(lambda: len(receiver.order) == len(events), 60, "the relay to deliver")
    # a checkout through the service itself: its events follow
    with server.client() as client:
        started = client.post(f"/v1/rulesets/{FASHION}/checkouts",
                              json={"order_ref": "served-http", "cart": cart_json(
                                  RULESETS / "fashion" / "carts" / "example.yaml")},
                              headers={"Idempotency-Key": "relay-http-1"})
    assert started.status_code == 200, started.text
    wait_for(lambda: len(receiver.order) == len(store_events(db)), 60, "the new events")
    assert_delivered(receiver, store_events(db))

    def cursor() -> int:  # moved once the receiver has answered: just after it took them
        with open_store(db) as store:
            return store.relay_cursor("webhook")
    wait_for(lambda: cursor() == receiver.order[-1], 30, "the cursor to follow")


@pytest.mark.parametrize(("url", "message"), [
    ("http://[::1", "not a URL: its host cannot be read"),  # was a ValueError traceback
    ("http://hooks.example:notaport/in", "not a URL: its port is not a number"),
    ("http://hooks.example:99999/in", "not a URL: its port is not a number"),
    ("http://hooks.example/in box", "a space or control character"),
    ("http://hooks.example/in\nX-Injected: 1", "a space or control character"),
    ("ftp://hooks.example/in", "an http:// or https:// URL"),
])
def test_a_url_no_delivery_could_reach_is_refused_at_start(url: str, message: str) -> None:
    # taken as it was, every delivery failed and was retried for ever
    done = _relay_refusing(url)
    assert "PR614" in done.stderr and message in done.stderr, done.stderr
    assert "Traceback" not in done.stderr


def _relay_refusing(url: str) -> subprocess.CompletedProcess[str]:
    """``promo usage relay --url URL``, refused at start (exit 2)."""
    done = subprocess.run([sys.executable, "-m", "engine.cli", "usage", "relay", "--url", url,
                           "--db", "unused.sqlite"], cwd=ROOT, capture_output=True, text=True,
                          timeout=60)
    assert done.returncode == 2, done
    return done


@pytest.mark.parametrize("option", ["--relay-secret-file", "--token-file"])
def test_a_key_file_that_never_ends_is_read_to_a_bound(option: str, tmp_path: Path) -> None:
    # read whole, /dev/zero filled memory until the process was killed
    done = subprocess.run([sys.executable, "-m", "engine.cli", "serve", str(RULESET), "--db",
                           str(tmp_path / "usage.sqlite"), "--relay-url", "http://127.0.0.1:9/",
                           option, "/dev/zero", "--port", "0", "--no-watch"], cwd=ROOT,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 2, done
    assert "PR614" in done.stderr and "larger than 1,048,576 bytes" in done.stderr, done.stderr


@pytest.mark.parametrize(("url", "message"), [
    ("http://relay:s3cret-token@[::1", "--url: not a URL: its host cannot be read"),
    # urlsplit's own messages quote what is in brackets, or the whole user:password@host
    ("http://u:a[s3cret]b@127.0.0.1:8080/h", "--url: not a URL: its host cannot be read"),
    ("http://u:s3cr\uff0fet@127.0.0.1:8080/h", "--url: not a URL: its host cannot be read"),
    ("http://relay:s3cret-token@hooks.example:bad/in?key=s3cret-token",
     "--url http://***@hooks.example:bad/…: not a URL: its port is not a number"),
    ("ftp://relay:s3cret-token@hooks.example/in",
     "--url ftp://***@hooks.example/…: the relay posts to an http://"),
    ("http://hooks.example/in box?token=s3cret-token",
     "--url http://hooks.example/…: a space"),
    # a password with an unencoded '/', '#' or '?' ends the host inside it: the part
    # before was read as a host and a port, the rest as the path (and with digits
    # first, the URL was taken: posted to host 'hook', printed whole)
    ("https://hook:s3cret/et@hooks.example/h", "--url https://***: an '@' after the host"),
    ("https://hook:s3cret#et@hooks.example/h", "--url https://***: an '@' after the host"),
    ("http://hook:8931/s3cret@127.0.0.1/h", "--url http://***: an '@' after the host"),
])
def test_a_refused_url_is_shown_without_its_credentials(url: str, message: str) -> None:
    done = _relay_refusing(url)
    assert message in done.stderr and "s3cr" not in done.stderr, done.stderr


def test_serve_names_its_own_option_for_a_bad_relay_url(tmp_path: Path) -> None:
    done = subprocess.run([sys.executable, "-m", "engine.cli", "serve", str(RULESET), "--db",
                           str(tmp_path / "usage.sqlite"), "--relay-url",
                           "ftp://relay:s3cret@hooks.example/in", "--port", "0", "--no-watch"],
                          cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert done.returncode == 2, done
    assert "--relay-url ftp://***@hooks.example/…" in done.stderr, done.stderr
    assert "s3cret" not in done.stderr


def test_credentials_in_the_url_are_sent_as_basic_authentication(tmp_path: Path) -> None:
    # before, urllib read ``relay:p%40ss@127.0.0.1`` as a host whose port was not a
    # number: every delivery failed, retried for ever; the address was printed whole
    seen: list[tuple[str, str | None]] = []

    class Hook(_Hook):
        def do_POST(self) -> None:  # noqa: N802 (the http.server name)
            self.rfile.read(int(self.headers["Content-Length"]))
            seen.append((self.path, self.headers.get("Authorization")))
            self.answer(200)

    db = tmp_path / "usage.db"
    checkouts(db, "auth", CARTS[:1])
    with _listening(Hook) as port:
        done = subprocess.run(
            [sys.executable, "-m", "engine.cli", "usage", "relay", "--db", str(db), "--url",
             f"http://relay:p%40ss@127.0.0.1:{port}/hook?token=t0k", "--once"],
            cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == \
        f"delivered {len(store_events(db))} events to http://***@127.0.0.1:{port}/…"
    expected = "Basic " + base64.b64encode(b"relay:p@ss").decode()
    assert seen and all(entry == ("/hook?token=t0k", expected) for entry in seen), seen


def test_a_redirect_is_a_failed_delivery_not_followed(tmp_path: Path) -> None:
    # urllib followed it: the credentials went to the host it named, and the POST became
    # a GET without the events, whose 200 counted as delivered (the events were lost)
    elsewhere: list[str | None] = []

    class Elsewhere(_Hook):
        def do_GET(self) -> None:  # noqa: N802 (the http.server name)
            elsewhere.append(self.headers.get("Authorization"))
            self.answer(200)

        do_POST = do_GET  # noqa: N815

    from engine.service.relay import DeliveryFailed, RelaySettings, deliver

    with _listening(Elsewhere) as other:

        class Moved(_Hook):
            def do_POST(self) -> None:  # noqa: N802
                self.rfile.read(int(self.headers["Content-Length"]))
                self.answer(302, Location=f"http://127.0.0.1:{other}/x")

        with _listening(Moved) as moved:
            settings = RelaySettings(f"http://relay:s3cret@127.0.0.1:{moved}/h")
            with pytest.raises(DeliveryFailed, match="302 \\(redirects are not followed\\)"):
                deliver(settings, [{"id": 1}])
    assert elsewhere == []
