"""``promo test --update``: rewrite failing tests' expectations from the actual outcome.

The rewrite is targeted, not a re-dump of the YAML: only the text of the values
that differ changes, so comments, blank lines, quoting and flow or block style
stay as written, and passing tests are not touched.

* an amount or reason code that differs: its scalar is replaced (quoted as it was);
* ``applied``: the list is rewritten in its own style (``[a, b]`` or ``- a`` lines);
* an entry of ``rejected``, ``rejected_coupons``, ``lines`` or ``shipments`` that no
  longer holds at all (the promotion applied, the coupon was taken or not rejected,
  the line or shipment does not exist), or a ``shipping`` with no shipping in the
  cart: the entry is
  removed (its lines in block style; a flow mapping is rewritten as one).
"""

from __future__ import annotations

import copy
import json
import re
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from dsl.codes import BAD_TEST_FILE
from dsl.errors import InputError, Span
from dsl.loader import Document, NodePosition, SourceFile, compose_document
from dsl.records import record

from ..reasons import REASONS
from .runner import TestResult

_AMOUNTS = ("subtotal", "total_discount", "total", "shipping")
_ENTRIES = ("rejected", "rejected_coupons", "lines", "shipments")
_REMOVE = object()
_PLAIN = re.compile(r"^[A-Za-z_][A-Za-z0-9_.\-]*$")


@record
class FileUpdate:
    """A test file before and after the rewrite, and the tests rewritten."""

    path: Path
    before: str
    after: str
    tests: tuple[str, ...]


def plan_updates(results: list[TestResult]) -> list[FileUpdate]:
    """The rewrite of every file that holds a failing test in ``results``."""
    failing: dict[str, list[TestResult]] = {}
    for result in results:
        if not result.passed and result.outcome is not None:
            failing.setdefault(result.test.file, []).append(result)
    updates = []
    for file, tests in failing.items():
        path = Path(file)
        with path.open(encoding="utf-8", newline="") as handle:
            before = handle.read()
        doc, problems = compose_document(SourceFile(file, before))
        if doc is None or problems:  # changed since it ran
            raise InputError(f"{file} changed while the tests ran; run again",
                             Span(file, 1, 1), code=BAD_TEST_FILE)
        edits, rewritten = [], []
        for result in tests:
            found = _edits(doc, before, result)
            if found:
                edits += found
                rewritten.append(result.test.name)
        if not edits:
            continue
        after = before
        for start, end, text in sorted(edits, reverse=True):
            after = after[:start] + text + after[end:]
        updates.append(FileUpdate(path, before, after, tuple(rewritten)))
    return updates


# -------------------------------------------------------------- what changes


def _new_values(result: TestResult) -> dict[str, Any]:
    """For each key of ``expect`` to change: its new value (``_REMOVE`` to drop it); for
    the mappings, a dict of entry → new value or ``_REMOVE``."""
    changes: dict[str, Any] = {}
    for d in result.differences:
        key, _, entry = d.what.partition(".")
        if key in _AMOUNTS:
            changes[key] = _amount(d.actual)
        elif key == "applied":
            changes[key] = d.actual.strip("[]").split(", ") if d.actual != "[]" else []
        elif key in ("lines", "shipments"):
            changes.setdefault(key, {})[entry] = _amount(d.actual)
        elif key in _ENTRIES:
            changes.setdefault(key, {})[entry] = d.actual if d.actual in REASONS else _REMOVE
    return changes


def _amount(shown: str) -> Any:
    try:
        Decimal(shown)
    except InvalidOperation:
        return _REMOVE  # "(none)", "(no such line)"
    return shown


# ---------------------------------------------------------------- the edits


class _Text:
    """Offsets in the file's text from 1-based lines and columns."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.starts = [0]
        for line in text.splitlines(keepends=True):
            self.starts.append(self.starts[-1] + len(line))

    def offset(self, line: int, col: int) -> int:
        return self.starts[line - 1] + col - 1

    def line_range(self, first: int, last: int) -> tuple[int, int]:
        """The offsets of whole lines ``first``..``last`` with their line breaks."""
        return self.starts[first - 1], self.starts[min(last, len(self.starts) - 1)]


def _edits(doc: Document, text: str, result: TestResult) -> list[tuple[int, int, str]]:
    where = (result.test.index, "expect")
    source = _Text(text)
    written = doc.data[result.test.index]["expect"]
    changes = _new_values(result)
    wanted = copy.deepcopy(written)
    for key, value in changes.items():
        if isinstance(value, dict):
            for entry, new in value.items():
                if new is _REMOVE:
                    wanted[key].pop(entry, None)
                else:
                    wanted[key][entry] = new
            if not wanted[key]:
                changes[key] = _REMOVE
        if changes[key] is _REMOVE:
            wanted.pop(key, None)
        elif not isinstance(value, dict):
            wanted[key] = value
    if not wanted:
        return []  # nothing would be left to check: leave the test for a person to rewrite
    if _is_flow(doc, source, where) and any(v is _REMOVE for v in changes.values()):
        return [_replace_flow(doc, source, where, wanted)]
    edits = []
    for key, value in changes.items():
        path = where + (key,)
        if value is _REMOVE:
            edits.append(_delete_entry(doc, source, path))
        elif key == "applied":
            edits.append(_replace_list(doc, source, path, value))
        elif isinstance(value, dict):
            if _is_flow(doc, source, path) and _REMOVE in value.values():
                edits.append(_replace_flow(doc, source, path, wanted[key]))
                continue
            for entry, new in value.items():
                if new is _REMOVE:
                    edits.append(_delete_entry(doc, source, path + (entry,)))
                else:
                    edits.append(_replace_scalar(doc, source, path + (entry,), new))
        else:
            edits.append(_replace_scalar(doc, source, path, value))
    return edits


def _position(doc: Document, path: tuple[str | int, ...]) -> NodePosition:
    return doc.positions[path]


def _start(doc: Document, source: _Text, path: tuple[str | int, ...]) -> int:
    span = _position(doc, path).value
    return source.offset(span.line, span.col)


def _is_flow(doc: Document, source: _Text, path: tuple[str | int, ...]) -> bool:
    return source.text[_start(doc, source, path)] in "[{"


def _replace_scalar(doc: Document, source: _Text, path: tuple[str | int, ...],
                    value: str) -> tuple[int, int, str]:
    position = _position(doc, path)
    span = position.value
    assert span.end_line is not None and span.end_col is not None
    quote = position.style if position.style in ('"', "'") else None
    if quote is None and (path[-2] in _ENTRIES[:2]) and _PLAIN.match(value):
        text = value  # a reason code written plain stays plain
    elif quote == "'":
        text = f"'{value}'"
    else:
        text = _scalar(value)
    return (source.offset(span.line, span.col), source.offset(span.end_line, span.end_col),
            text)


def _scalar(value: Any) -> str:
    """A value as a rule test writes it: amounts quoted, names plain when they can be."""
    if isinstance(value, str) and _PLAIN.match(value) and value.lower() not in \
            ("true", "false", "null", "yes", "no", "on", "off"):
        return value
    return json.dumps(str(value), ensure_ascii=False)


def _flow(value: Any, padded: bool) -> str:
    pad = " " if padded else ""
    if isinstance(value, dict):
        inner = ", ".join(f"{_scalar(k)}: {_flow(v, padded)}" for k, v in value.items())
        return f"{{{pad}{inner}{pad}}}" if inner else "{}"
    if isinstance(value, list):
        return "[" + ", ".join(_flow(v, padded) for v in value) + "]"
    return _scalar(value)


def _flow_end(text: str, start: int) -> int:
    """The offset just after the bracket that closes the flow collection at ``start``."""
    depth, at = 0, start
    while at < len(text):
        char = text[at]
        if char in "[{":
            depth += 1
        elif char in "]}":
            depth -= 1
            if depth == 0:
                return at + 1
        elif char in "\"'":
            at += 1
            while at < len(text) and text[at] != char:
                at += 2 if char == '"' and text[at] == "\\" else 1
        elif char == "#" and text[at - 1] in " \t\n":
            while at < len(text) and text[at] != "\n":
                at += 1
        at += 1
    raise AssertionError("an unclosed flow collection passed the YAML parser")


def _replace_flow(doc: Document, source: _Text, path: tuple[str | int, ...],
                  value: Any) -> tuple[int, int, str]:
    start = _start(doc, source, path)
    padded = source.text[start + 1:start + 2] == " "
    return start, _flow_end(source.text, start), _flow(value, padded)


def _replace_list(doc: Document, source: _Text, path: tuple[str | int, ...],
                  items: list[str]) -> tuple[int, int, str]:
    if _is_flow(doc, source, path) or not items:
        if not _is_flow(doc, source, path):  # a block list becomes empty: `key: []`
            key = _position(doc, path).key
            assert key is not None and key.end_line is not None and key.end_col is not None
            start = source.offset(key.end_line, key.end_col)
            end = _block_end(doc, source, path)
            return start, end, ": []"
        return _replace_flow(doc, source, path, items)
    first = _position(doc, path + (0,)).value
    line_start = source.starts[first.line - 1]
    dash = source.text.rindex("-", line_start, source.offset(first.line, first.col))
    indent = " " * (dash - line_start)
    text = f"\n{indent}".join(f"- {_scalar(item)}" for item in items)
    return dash, _block_end(doc, source, path), text


def _block_end(doc: Document, source: _Text, path: tuple[str | int, ...]) -> int:
    """The offset after the last item of the block list at ``path``."""
    last = max((p for p in doc.positions if p[:-1] == path and isinstance(p[-1], int)),
               key=lambda p: p[-1])
    span = doc.positions[last].value
    assert span.end_line is not None and span.end_col is not None
    return source.offset(span.end_line, span.end_col)


def _delete_entry(doc: Document, source: _Text,
                  path: tuple[str | int, ...]) -> tuple[int, int, str]:
    """The whole lines of a block mapping's entry (its key starts its line)."""
    position = _position(doc, path)
    key = position.key
    assert key is not None
    if source.text[source.starts[key.line - 1]:source.offset(key.line, key.col)].strip():
        raise InputError(f"cannot remove '{path[-1]}' from a line it shares; "
                         "edit the test by hand", key, code=BAD_TEST_FILE)
    last = max(s.value.end_line or s.value.line for p, s in doc.positions.items()
               if p[:len(path)] == path)
    start, end = source.line_range(key.line, last)
    return start, end, ""
