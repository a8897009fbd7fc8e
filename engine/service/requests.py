"""Reading a request: its JSON body (bounded before parsing), fields and query values.

Every way a request can be malformed is a ``Problem`` with its own code and
the JSON path of the offending member; nothing here lets an exception escape
that a client could provoke (a body nested 100,000 deep included).  A member
given twice in one object is refused (``PR103``, as a cart file's duplicate key
is): JSON leaves which one counts to the reader, and a proxy or a client
library in front of the service may read the other one.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import re
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

from starlette.requests import Request

from dsl.codes import (
    BAD_REQUEST_BODY,
    BAD_REQUEST_FIELD,
    BODY_TOO_LARGE,
    CART_NUMBER_OUT_OF_BOUNDS,
    DUPLICATE_KEY,
    NOT_JSON,
)
from dsl.errors import PromoError
from dsl.loader import MAX_NUMBER, bare_number, number_out_of_bounds
from dsl.values import YEARS

from ..cart import Cart, json_cart, parse_cart
from ..cart_json import ESCAPED_SURROGATE, DuplicateKey, unique_keys
from .problems import Problem, problem_from


async def read_json(request: Request, limit: int) -> Any:
    """The body as JSON: 415 unless ``application/json``, 413 over ``limit`` bytes,
    400 when it is not one JSON document (``parse_json``)."""
    return parse_json(await read_body(request, limit))


async def read_cart(request: Request, limit: int) -> Cart:
    """The body as a cart (``read_json``'s checks, then ``cart_body``)."""
    return cart_body(await read_body(request, limit))


async def read_body(request: Request, limit: int) -> bytes:
    """The body's bytes: 415 unless ``application/json``, 413 over ``limit`` bytes."""
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if kind != "application/json" and not (kind.startswith("application/")
                                           and kind.endswith("+json")):
        raise Problem(NOT_JSON, f"the body must be application/json, not {kind or 'untyped'}")
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise Problem(BODY_TOO_LARGE, f"the body is {int(declared):,} bytes; the limit is "
                      f"{limit:,}")
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise Problem(BODY_TOO_LARGE, f"the body is over the limit of {limit:,} bytes")
        chunks.append(chunk)
    return b"".join(chunks)


def _ignored(text: str) -> None:
    """A number, where only the members are looked at (none is read: an integer of
    5,000 digits included)."""


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


_SURROGATE_ESCAPE = re.compile(ESCAPED_SURROGATE.encode())  # (in the body's bytes)


class _Written(str):
    """A number beyond the loader's bounds, as written: ``parse_json`` reads the whole
    body first (it may be no JSON at all, or name a member twice), then refuses it."""


def parse_json(raw: bytes) -> Any:
    """One JSON document, every object's members named once, its numbers within a file's
    bounds and its fractions exact (``number``: a body's cart reads as the same cart in a file
    does)."""
    beyond: list[str] = []  # numbers beyond the bounds, as written

    def number(text: str) -> Decimal | _Written:
        """A JSON fraction as a cart file's is read (``dsl.loader``): exact, a
        ``BareDecimal`` (money refuses it as a bare number; attributes compare it
        exactly), within the loader's bounds; beyond them marked, and the body refused
        as a cart file is (``PR309``: a float kept another number than the one sent)."""
        found = bare_number(text)
        if found is None:
            beyond.append(text)
            return _Written(text)  # (the body is refused below)
        return found

    def integer(text: str) -> int | _Written:
        """A JSON integer, within the same bounds (a file's: at most 10^15; read only
        when short enough to be, where ``int`` refuses more than 4,300 digits)."""
        if len(text) <= 17 and abs(number := int(text)) <= MAX_NUMBER:
            return number
        beyond.append(text)
        return _Written(text)

    try:
        data = json.loads(raw, parse_float=number, parse_int=integer,
                          parse_constant=_refuse_constant, object_pairs_hook=unique_keys)
        if _SURROGATE_ESCAPE.search(raw):
            # a lone surrogate (``"\ud800"``) is valid JSON but no text: nothing could
            # store, log or answer it; a pair is one character and passes
            json.dumps(data, ensure_ascii=False, default=str).encode("utf-8")
    except DuplicateKey:  # (its path is found again for the message, in the whole body)
        try:
            path, name = _given_twice(raw)
        except (RecursionError, ValueError, UnicodeDecodeError) as err:
            raise _malformed(err) from None  # (wrong after the repeated member)
        raise Problem(DUPLICATE_KEY, f"{path}: the member {name!r} is given twice; send it "
                      "once", extra={"path": path}) from None
    except UnicodeEncodeError:
        raise Problem(BAD_REQUEST_BODY, "the body holds a lone surrogate escape (\\ud800 to "
                      "\\udfff without its pair): not text") from None
    except (RecursionError, ValueError, UnicodeDecodeError) as err:
        raise _malformed(err) from None
    if beyond:
        path = _first_beyond(data)
        raise Problem(CART_NUMBER_OUT_OF_BOUNDS, f"{path}: {number_out_of_bounds(beyond[0])}",
                      extra={"path": path})
    return data


def _malformed(err: Exception) -> Problem:
    """The refusal of a body ``json`` could not read (``err``: why)."""
    if isinstance(err, RecursionError):
        return Problem(BAD_REQUEST_BODY, "the body is nested too deep")
    return Problem(BAD_REQUEST_BODY, f"the body is not JSON: {err}")


class _Pairs(list[tuple[str, Any]]):
    """An object's members as written, repeats kept."""


def _walk(data: Any) -> Iterator[tuple[str, Any]]:
    """Every value of read JSON with its JSON path, in the document's order (iterative:
    a body may be nested as deep as ``json`` reads)."""
    pending: list[tuple[str, Any]] = [("$", data)]
    while pending:
        path, node = pending.pop()
        yield path, node
        if isinstance(node, _Pairs):
            members = [(f"{path}.{name}", value) for name, value in node]
        elif isinstance(node, dict):
            members = [(f"{path}.{name}", value) for name, value in node.items()]
        elif isinstance(node, list):
            members = [(f"{path}[{index}]", value) for index, value in enumerate(node)]
        else:
            continue
        pending.extend(reversed(members))


def _first_beyond(data: Any) -> str:
    """The JSON path of the first number beyond the bounds in ``data``."""
    return next((path for path, node in _walk(data) if isinstance(node, _Written)), "$")


def _given_twice(raw: bytes) -> tuple[str, str]:
    """The JSON path of the first member given twice in ``raw`` (whose objects
    ``json`` read already), and its name."""
    data = json.loads(raw, parse_int=_ignored, parse_float=_ignored,
                      parse_constant=_refuse_constant, object_pairs_hook=_Pairs)
    for path, node in _walk(data):
        if isinstance(node, _Pairs):
            seen = set()
            for name, _ in node:
                if name in seen:
                    return f"{path}.{name}", name
                seen.add(name)
    raise AssertionError("unique_keys found a member given twice")


def cart_body(raw: bytes) -> Cart:
    """A request body that is a cart.  Read as a cart file in JSON is
    (``engine.cart.json_cart``: ``json`` and the cart's own checks, a duplicate key
    counted off the text) when it can be; otherwise as JSON (``parse_json``), then
    checked with each diagnostic's JSON path (``cart_from``)."""
    try:
        cart = json_cart(raw.decode("utf-8"))
    except UnicodeDecodeError:
        cart = None
    return cart if cart is not None else cart_from(parse_json(raw))


def cart_from(data: Any, path: str = "$") -> Cart:
    """A cart from request JSON; an invalid one is 422 with each diagnostic's JSON path."""
    try:
        return parse_cart(data)
    except RecursionError:
        raise Problem(BAD_REQUEST_BODY, "the cart is nested too deep") from None
    except PromoError as err:
        raise problem_from(err, path) from None


def member(body: Any, name: str, kind: type | tuple[type, ...], *, required: bool = True,
           ) -> Any:
    """``body[name]``, checked to be of ``kind`` (400 naming ``$.name`` otherwise)."""
    if not isinstance(body, dict):
        raise Problem(BAD_REQUEST_FIELD, "the body must be a JSON object", extra={"path": "$"})
    if name not in body:
        if required:
            raise Problem(BAD_REQUEST_FIELD, f"$.{name} is required",
                          extra={"path": f"$.{name}"})
        return None
    value = body[name]
    if isinstance(value, (float, Decimal)) and int in _kinds(kind) and _whole(value):
        value = int(value)  # JSON (Schema) has no integer type of its own: 900.0 is 900
    if not isinstance(value, kind) or isinstance(value, bool) and bool not in _kinds(kind):
        raise Problem(BAD_REQUEST_FIELD, f"$.{name} must be {_describe(kind)}",
                      extra={"path": f"$.{name}"})
    return value


def _whole(value: float | Decimal) -> bool:
    """Whether a fraction is a whole number (exact, in no decimal context)."""
    return math.isfinite(value) and value.as_integer_ratio()[1] == 1


def _kinds(kind: type | tuple[type, ...]) -> tuple[type, ...]:
    return kind if isinstance(kind, tuple) else (kind,)


def _describe(kind: type | tuple[type, ...]) -> str:
    names = {str: "a string", int: "an integer", dict: "an object", list: "an array",
             bool: "true or false"}
    return " or ".join(names.get(k, k.__name__) for k in _kinds(kind))


def only_members(body: dict[str, Any], allowed: set[str]) -> None:
    """Refuse members the endpoint does not know (a typo must not be ignored)."""
    for name in body:
        if name not in allowed:
            raise Problem(BAD_REQUEST_FIELD, f"$.{name}: unknown member (expected "
                          f"{', '.join(sorted(allowed))})", extra={"path": f"$.{name}"})


def query_value(request: Request, name: str) -> str | None:
    """The query parameter ``name`` (``None`` when absent); given twice it is refused,
    as a body member given twice is (which one counts would be the reader's guess)."""
    values = request.query_params.getlist(name)
    if len(values) > 1:
        raise Problem(BAD_REQUEST_FIELD, f"{name}: the parameter is given {len(values)} times; "
                      "give it once", extra={"path": name})
    return values[0] if values else None


def moment(text: str | None, where: str) -> dt.datetime | None:
    """An ISO-8601 date-time from a query value or member; 400 naming ``where``."""
    if text is None:
        return None
    try:
        found = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise Problem(BAD_REQUEST_FIELD, f"{where}: {text[:64]!r} is not an ISO-8601 "
                      "date-time", extra={"path": where}) from None
    if not YEARS[0] <= found.year <= YEARS[1]:
        raise Problem(BAD_REQUEST_FIELD, f"{where}: {text[:64]!r} is outside the years "
                      f"{YEARS[0]} to {YEARS[1]}", extra={"path": where})
    return found


MAX_TTL = dt.timedelta(days=7)


def ttl_of(seconds: Any) -> dt.timedelta | None:
    """``ttl`` in seconds: a whole number from 1 to 7 days."""
    if seconds is None:
        return None
    if not isinstance(seconds, int) or isinstance(seconds, bool) or not \
            1 <= seconds <= MAX_TTL.total_seconds():
        raise Problem(BAD_REQUEST_FIELD, f"$.ttl must be a whole number of seconds from 1 "
                      f"to {int(MAX_TTL.total_seconds()):,}", extra={"path": "$.ttl"})
    return dt.timedelta(seconds=seconds)
