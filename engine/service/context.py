"""What every endpoint shares: the service's state, replies, the ruleset asked for, tokens."""

from __future__ import annotations

import datetime as dt
import hmac
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from dsl.codes import AUTH_REFUSED, AUTH_REQUIRED, SERVE_CONFIG, UNKNOWN_RULESET
from dsl.codes import RULESET_UNAVAILABLE as NEVER_LOADED
from dsl.errors import PromoError

from .catalog import Catalog, Served
from .gate import StoreGate
from .observe import note
from .problems import Problem
from .relay import read_bounded
from .server import DEFAULT_BODY_LIMIT

VERSION_HEADER = "promo-ruleset-version"
"""The content hash of the ruleset that answered: a checkout knows what priced it."""


@dataclass
class Service:
    """One worker's state: the catalog, the store gate and the settings."""

    catalog: Catalog
    gate: StoreGate
    tokens: tuple[bytes, ...] = ()
    protect_reads: bool = False
    body_limit: int = DEFAULT_BODY_LIMIT
    idempotency_ttl: dt.timedelta = dt.timedelta(hours=24)
    client_time: bool = False  # price checkouts at the cart's `at` (staging, tests)
    playground: bool = False  # the page at / and its endpoints (playground.py)
    sample_carts: tuple[str, ...] = ()  # carts offered first in the playground
    started: dt.datetime = field(default_factory=lambda: dt.datetime.now(dt.UTC))

    def allows(self, request: Request, operator: bool) -> None:
        """Refuse (401/403) a call without an accepted token, where tokens are required:
        on state-changing and operator endpoints (``operator``), and on all with
        ``protect_reads``."""
        if not self.tokens or not (operator or self.protect_reads):
            return
        scheme, _, given = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not given.strip():
            raise Problem(AUTH_REQUIRED, "this endpoint needs an Authorization: Bearer token",
                          headers={"www-authenticate": 'Bearer realm="promorules"'})
        candidate = given.strip().encode()
        # compare with every token, always: the time taken says nothing about which matched
        matched = False
        for token in self.tokens:
            matched |= hmac.compare_digest(candidate, token)
        if not matched:
            raise Problem(AUTH_REFUSED, "the bearer token is not accepted",
                          headers={"www-authenticate": 'Bearer error="invalid_token"'})


def read_tokens(path: str | Path) -> tuple[bytes, ...]:
    """Bearer tokens, one per line (blank lines and ``#`` comments skipped)."""
    try:
        text = read_bounded(path).decode("utf-8")
    except (OSError, UnicodeDecodeError) as err:
        raise PromoError(f"--token-file {path}: cannot read it: {err}",
                         code=SERVE_CONFIG) from None
    tokens = tuple(line.strip().encode() for line in text.splitlines()
                   if line.strip() and not line.lstrip().startswith("#"))
    if not tokens:
        raise PromoError(f"--token-file {path}: no token in it (one per line)",
                         code=SERVE_CONFIG)
    short = [t for t in tokens if len(t) < 16]
    if short:
        raise PromoError(f"--token-file {path}: a token of {len(short[0])} characters; "
                         "use at least 16 (e.g. `python -c 'import secrets; "
                         "print(secrets.token_urlsafe(32))'`)", code=SERVE_CONFIG)
    return tokens


def service_of(request: Request) -> Service:
    service: Service = request.app.state.service
    return service


def served_ruleset(request: Request) -> tuple[Service, Served]:
    """The ruleset named by the path's ``{id}``: 404 when none is served under it, 503
    when its file has never loaded."""
    service = service_of(request)
    ruleset_id = request.path_params["id"]
    served = service.catalog.get(ruleset_id)
    if served is None:
        failed = [path for path in service.catalog.failures
                  if Path(path).stem == ruleset_id or Path(path).parent.name == ruleset_id]
        if failed:
            raise Problem(NEVER_LOADED, f"ruleset {ruleset_id!r} is not loaded: its file has "
                          "errors (see /readyz)")
        raise Problem(UNKNOWN_RULESET, f"no ruleset {ruleset_id!r} is served here",
                      extra={"rulesets": [s.id for s in service.catalog.served()]})
    note(request.scope, ruleset=served.id, ruleset_version=served.version)
    return service, served


def encoded(data: Any) -> bytes:
    """A reply's JSON: indented and ending in a newline, as ``promo eval`` prints it."""
    return (json.dumps(data, indent=2, ensure_ascii=False) + "\n").encode()


def nested(written: str) -> str:
    """A value ``encoded`` wrote at the top (a result's ``to_json()``, say) as it is written
    one level down, as a member's value: every line after the first indented two more
    spaces (JSON text holds no raw line break inside a string)."""
    return written.rstrip("\n").replace("\n", "\n  ")


def json_response(data: Any, served: Served | None = None, status: int = 200,
                  headers: dict[str, str] | None = None) -> Response:
    """JSON as it is (bytes) or dumped; the ruleset's version in a header."""
    body = data if isinstance(data, bytes) else encoded(data)
    all_headers = dict(headers or {})
    if served is not None:
        all_headers[VERSION_HEADER] = served.version
    return Response(body, status_code=status, headers=all_headers,
                    media_type="application/json")
