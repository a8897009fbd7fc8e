"""Reading an order history in chunks, without holding it: JSON lines, CSV, Parquet.

    for chunk in read_orders(path, size=1000): …      # the main process: bytes, rows
    decode_chunk(chunk) → (line, cart), …             # any process: the carts

JSON lines (``.jsonl``, ``.ndjson``): one cart a line, as ``promo eval`` reads
it, with its ``at``.  CSV (``.csv``) and Parquet (``.parquet``): the flat
layout, one row per line item, the rows of one order together (``FLAT``);
read with pyarrow (the ``arrow`` extra), a batch at a time.  A chunk holds
whole orders, so it can be decoded anywhere: in a worker process or on a dask
worker.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Generator, Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

from dsl.codes import (
    CART_ATTRIBUTES_TOO_LARGE,
    DUPLICATE_KEY,
    ORDERS_BAD_LAYOUT,
    ORDERS_UNREADABLE,
)
from dsl.errors import Diagnostic, Span
from dsl.records import record

from ..cart import Cart, CartError, parse_cart
from ..cart_json import DuplicateKey, unique_keys
from .sources import LINES_SUFFIXES, cart_of_line

REQUIRED = ("order_id", "at", "currency", "line_id", "sku", "unit_price", "quantity")
OPTIONAL = ("customer_id", "customer_segments", "customer_orders", "customer_attributes",
            "coupons", "product", "category", "seller", "brand", "tags", "line_attributes",
            "shipping_method", "shipping_price")
FLAT = REQUIRED + OPTIONAL
"""The flat layout's columns (README "Order history"); lists are ``;``-separated text
(or lists in Parquet), attributes JSON text."""
LISTS = {"customer_segments", "coupons", "tags"}
BATCH_ROWS = 65_536

Progress = Callable[[int, int], None]
"""Called with (done, total) in the units of the source (bytes or rows)."""


@record
class Chunk:
    """Whole orders of a history: JSON lines (``kind`` "lines"), or flat rows."""

    file: str
    first: int  # the line (JSON lines) or row (1 = the first data row) of the first item
    kind: str
    payload: Any  # list[bytes] (lines; blank ones kept, so numbers hold) or a pyarrow Table


def unreadable(path: str, reason: str) -> CartError:
    return CartError([Diagnostic(ORDERS_UNREADABLE, f"cannot read orders: {reason}",
                                 Span(path, 1, 1))])


Chunks = Generator[Chunk, None, None]
"""A history read chunk by chunk (a generator: ``close()`` releases its file)."""


def read_orders(path: str, size: int = 1000,
                progress: Progress | None = None) -> Chunks:
    """The history at ``path`` in chunks of about ``size`` orders (``close()`` it when
    stopping early: it holds the file open)."""
    suffix = Path(path).suffix.lower()
    if not os.path.isfile(path):
        raise unreadable(path, "no such file")
    if suffix in LINES_SUFFIXES:
        return _lines(path, size, progress)
    if suffix in (".csv", ".parquet"):
        return _flat(path, suffix, size, progress)
    raise unreadable(path, f"unknown kind of file {suffix or '(no suffix)'}: JSON lines "
                     "(.jsonl, .ndjson), CSV (.csv) or Parquet (.parquet)")


def _lines(path: str, size: int, progress: Progress | None) -> Chunks:
    total = os.path.getsize(path)
    try:
        with open(path, "rb") as handle:
            batch: list[bytes] = []
            first, done = 1, 0
            for number, raw in enumerate(handle, 1):
                batch.append(raw)
                done += len(raw)
                if len(batch) >= size:
                    yield Chunk(path, first, "lines", batch)
                    if progress is not None:
                        progress(done, total)
                    batch, first = [], number + 1
            if batch:
                yield Chunk(path, first, "lines", batch)
            if progress is not None:
                progress(total, total)
    except OSError as err:
        raise unreadable(path, err.strerror or str(err)) from None


def _arrow(path: str) -> Any:
    try:
        import pyarrow  # type: ignore[import-untyped]  # noqa: F401  (an optional extra)
    except ImportError:
        raise unreadable(path, "CSV and Parquet histories need pyarrow: pip install "
                         "'promorules[arrow]'") from None
    import pyarrow.csv  # type: ignore[import-untyped]
    import pyarrow.parquet  # type: ignore[import-untyped]
    return pyarrow


def _batches(path: str, suffix: str) -> tuple[Iterator[Any], Callable[[int], tuple[int, int]]]:
    """Record batches of the file (CSV: every column as text), and how far it is read:
    ``rows read → (done, total)`` (Parquet: in rows; CSV: in bytes)."""
    pa = _arrow(path)
    try:
        if suffix == ".parquet":
            parquet = pa.parquet.ParquetFile(path)
            rows = parquet.metadata.num_rows
            return parquet.iter_batches(batch_size=BATCH_ROWS), lambda done: (done, rows)
        # every CSV column read as text: prices stay exact, codes keep their zeros
        names = pa.csv.open_csv(path).schema.names
        size = os.path.getsize(path)
        read: list[Any] = []  # the open file, once reading has begun

        def batches() -> Iterator[Any]:
            with open(path, "rb") as handle:
                read.append(handle)
                yield from pa.csv.open_csv(handle, convert_options=pa.csv.ConvertOptions(
                    column_types=dict.fromkeys(names, pa.string()),
                    strings_can_be_null=False),
                    read_options=pa.csv.ReadOptions(block_size=1 << 22))

        def position(done: int) -> tuple[int, int]:
            return (size if not read or read[0].closed else min(read[0].tell(), size)), size
        return batches(), position
    except (OSError, pa.ArrowException) as err:
        raise unreadable(path, str(err).splitlines()[0]) from None


def _flat(path: str, suffix: str, size: int, progress: Progress | None) -> Chunks:
    pa = _arrow(path)
    batches, position = _batches(path, suffix)
    try:
        yield from _whole_orders(pa, path, batches, position, size, progress)
    finally:
        close = getattr(batches, "close", None)
        if close is not None:
            close()


def _whole_orders(pa: Any, path: str, batches: Iterator[Any],
                  position: Callable[[int], tuple[int, int]], size: int,
                  progress: Progress | None) -> Iterator[Chunk]:
    pending: list[Any] = []  # rows of orders not yet handed out, as one batch
    first, done = 1, 0
    try:
        for batch in batches:
            if not pending:
                names = batch.schema.names
                twice = sorted({name for name in names if names.count(name) > 1})
                if twice:  # (which of the two holds the order's value would be a guess)
                    raise CartError([Diagnostic(ORDERS_BAD_LAYOUT, "the column "
                                                f"{', '.join(twice)} appears more than once "
                                                "in the header; each column once",
                                                Span(path, 1, 1))])
                missing = [c for c in REQUIRED if c not in names]
                if missing:
                    raise CartError([Diagnostic(ORDERS_BAD_LAYOUT, "missing column "
                                                f"{', '.join(missing)} (the flat layout: "
                                                f"{', '.join(REQUIRED)}; optional "
                                                f"{', '.join(OPTIONAL)})", Span(path, 1, 1))])
            pending.append(batch)
            table = pa.Table.from_batches(pending)
            ids = _values(table.column("order_id"), "order_id", path, first)
            # hand out whole orders: up to the last order that starts in this batch
            cut, orders, previous = 0, 0, None
            for i, order in enumerate(ids):
                if order != previous:
                    orders += 1
                    previous = order
                    if orders > size:
                        yield Chunk(path, first, "rows", table.slice(cut, i - cut))
                        first += i - cut
                        cut, orders = i, 1
            pending = [table.slice(cut).combine_chunks().to_batches()[0]] \
                if cut < len(ids) else []
            done += batch.num_rows
            if progress is not None:
                progress(*position(done))
        if pending:
            yield Chunk(path, first, "rows", pa.Table.from_batches(pending))
    except pa.ArrowException as err:
        raise unreadable(path, str(err).splitlines()[0]) from None


def decode_chunk(chunk: Chunk) -> Iterator[tuple[int, Cart]]:
    """The orders of a chunk as ``(line or row, cart)``, read as they are asked for; bad
    input is ``CartError``.

    One at a time, not the chunk's list: a cart priced and dropped dies young, where
    a chunk's carts all alive make every collection of the garbage collector's young
    generations walk them (a replay ran 10 % slower)."""
    if chunk.kind == "lines":
        for offset, raw in enumerate(chunk.payload):
            number = chunk.first + offset
            try:
                text = raw.decode("utf-8")
            except UnicodeDecodeError:
                raise CartError([Diagnostic(ORDERS_UNREADABLE, "not UTF-8 text",
                                            Span(chunk.file, number, 1))]) from None
            if text.strip():
                yield number, cart_of_line(text, chunk.file, number)
        return
    yield from _flat_carts(chunk)


def _flat_carts(chunk: Chunk) -> Iterator[tuple[int, Cart]]:
    table = chunk.payload
    columns = [c for c in FLAT if c in table.schema.names]
    for column in columns:
        kind = str(table.schema.field(column).type)
        if column in ("unit_price", "shipping_price") and kind in ("float", "double"):
            raise CartError([Diagnostic(ORDERS_BAD_LAYOUT, f"{column}: a price stored as a "
                                        f"float ({kind}) is not exact: store it as text or a "
                                        "decimal", Span(chunk.file, chunk.first, 1))])
        if column not in LISTS and table.schema.field(column).type.num_fields:
            raise CartError([Diagnostic(ORDERS_BAD_LAYOUT, f"{column}: a {kind} column where "
                                        "one value a row is expected", Span(chunk.file,
                                                                             chunk.first, 1))])
    data = {c: _values(table.column(c), c, chunk.file, chunk.first) for c in columns}
    order: dict[str, Any] | None = None
    start, seen = chunk.first, set()
    for i in range(table.num_rows):
        row = {c: data[c][i] for c in columns}
        number = chunk.first + i
        if order is None or row["order_id"] != order["id"]:
            if order is not None:
                yield start, _cart(order, chunk.file, start)
            if row["order_id"] in seen:
                raise CartError([Diagnostic(ORDERS_BAD_LAYOUT, f"order {row['order_id']}: its "
                                            "rows are apart (keep an order's rows together)",
                                            Span(chunk.file, number, 1))])
            seen.add(row["order_id"])
            order, start = _order(row, chunk.file, number), number
        order["lines"].append(_line(row, chunk.file, number))
    if order is not None:
        yield start, _cart(order, chunk.file, start)


def _values(column: Any, name: str, file: str, row: int) -> list[Any]:
    """A column's values as Python's: a timestamp finer than a microsecond read to the
    microsecond, as a time written as text is (``datetime`` holds no finer)."""
    kind = column.type
    if str(kind).startswith("timestamp[ns"):
        import pyarrow as pa

        column = column.cast(pa.timestamp("us", tz=kind.tz), safe=False)
    try:
        return column.to_pylist()  # type: ignore[no-any-return]
    except ValueError as err:  # (a time or duration in nanoseconds)
        raise CartError([Diagnostic(ORDERS_BAD_LAYOUT, f"{name}: values of type {kind} cannot "
                                    f"be read: {str(err).splitlines()[0]}",
                                    Span(file, row, 1))]) from None


def _whole(value: Any) -> Any:
    """A count written with the digits 0-9 as an ``int``; anything else as it is, for
    the cart's checks to refuse (``str.isdigit`` also takes '²' and '٣')."""
    text = str(value)
    return int(text) if text.isascii() and text.isdigit() else value


def _text(value: Any) -> Any:
    if isinstance(value, Decimal):
        return format(value, "f")
    return str(value) if isinstance(value, int) and not isinstance(value, bool) else value


def _list(value: Any) -> list[Any]:
    if value is None or value == "":
        return []
    return list(value) if isinstance(value, list) else \
        [part.strip() for part in str(value).split(";") if part.strip()]


def _json(value: Any, column: str, file: str, row: int) -> Any:
    if value is None or value == "":
        return {}
    if not isinstance(value, str):  # (a Parquet struct, map or number)
        raise CartError([Diagnostic(ORDERS_BAD_LAYOUT, f"{column}: attributes are JSON text "
                                    f"(got {type(value).__name__})", Span(file, row, 1))])
    try:
        return json.loads(value, object_pairs_hook=unique_keys)
    except DuplicateKey as err:  # (json keeps the last: which one was meant is a guess)
        raise CartError([Diagnostic(DUPLICATE_KEY, f"{column}: duplicate key {err}",
                                    Span(file, row, 1))]) from None
    except RecursionError:
        raise CartError([Diagnostic(CART_ATTRIBUTES_TOO_LARGE, f"{column}: JSON nested too "
                                    "deep", Span(file, row, 1))]) from None
    except ValueError:
        raise CartError([Diagnostic(ORDERS_BAD_LAYOUT, f"{column}: not JSON text",
                                    Span(file, row, 1))]) from None


def _order(row: dict[str, Any], file: str, number: int) -> dict[str, Any]:
    at = row["at"]
    order: dict[str, Any] = {
        "id": _text(row["order_id"]), "currency": row["currency"],
        "at": at.isoformat() if hasattr(at, "isoformat") else at, "lines": [],
        "customer": {"id": _text(row.get("customer_id")) or "",
                     "segments": _list(row.get("customer_segments")),
                     "attributes": _json(row.get("customer_attributes"),
                                         "customer_attributes", file, number)},
        "coupons": _list(row.get("coupons"))}
    orders = row.get("customer_orders")
    if orders not in (None, ""):
        order["customer"]["orders"] = _whole(orders)
    if row.get("shipping_method"):
        order["shipping"] = {"method": row["shipping_method"],
                             "price": _text(row.get("shipping_price"))}
    return order


def _line(row: dict[str, Any], file: str, number: int) -> dict[str, Any]:
    line = {"id": _text(row["line_id"]), "sku": _text(row["sku"]),
            "unit_price": _text(row["unit_price"]),
            "quantity": _whole(row["quantity"]),
            "tags": _list(row.get("tags")),
            "attributes": _json(row.get("line_attributes"), "line_attributes", file, number)}
    for field in ("product", "category", "seller", "brand"):
        if row.get(field):
            line[field] = row[field]
    return line


def _cart(order: dict[str, Any], file: str, row: int) -> Cart:
    try:
        return parse_cart(order)
    except CartError as err:
        raise CartError([Diagnostic(d.code, f"order {order['id']}: {d.message}",
                                    Span(file, row, 1), hint=d.hint)
                         for d in err.diagnostics]) from None
