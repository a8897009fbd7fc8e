"""Safe YAML with positions: text → plain Python data + where every node came from.

We compose the document ourselves from PyYAML's event stream (libyaml when
available), iteratively, which lets us:

* refuse every tag but the plain core ones — nothing in a ruleset executes;
* refuse duplicate keys (PyYAML keeps the last one silently);
* cap file size, node count (aliases count with their full expansion, so an
  alias bomb is refused before anything expands it), and nesting depth;
* type plain scalars by YAML 1.2's core schema: ``yes``/``no``/``on`` stay
  strings, dates stay strings for the model to parse, and numbers with a
  fraction become ``BareDecimal`` so money fields can tell ``9.99`` from
  ``"9.99"``;
* record a ``NodePosition`` for every key and value path.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import yaml

from .codes import (
    DUPLICATE_KEY,
    FORBIDDEN_TAG,
    NO_SUCH_PATH,
    NOT_ONE_DOCUMENT,
    TOO_LARGE,
    YAML_SYNTAX,
)
from .errors import Diagnostic, Span

MAX_BYTES = 16 * 1024 * 1024
MAX_NODES = 2_000_000
MAX_DEPTH = 64


try:  # libyaml is ~10x faster; the pure-Python parser gives the same events.
    from yaml import CSafeLoader as _EventLoader
except ImportError:  # pragma: no cover - depends on how PyYAML was built
    from yaml import SafeLoader as _EventLoader  # type: ignore[assignment]

_CORE = "tag:yaml.org,2002:"
_NULL = re.compile(r"^(?:~|null|Null|NULL|)$")
_BOOL = {"true": True, "True": True, "TRUE": True, "false": False, "False": False,
         "FALSE": False}
_INT = re.compile(r"^[-+]?[0-9]+$")
_FLOAT = re.compile(r"^[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?$")


class BareDecimal(Decimal):
    """A number written in YAML without quotes and with a fraction, e.g. ``9.99``.

    Exact (built from the source text), but money fields refuse it so that
    amounts are always written deliberately as ``"9.99"``.
    """


Path_ = tuple[str | int, ...]


@dataclass(frozen=True)
class NodePosition:
    """Where a value (and, in a mapping, its key) sits, and how it was written."""

    value: Span
    key: Span | None = None
    style: str | None = None  # None plain, '"' "'" '|' '>' for scalars


@dataclass
class SourceFile:
    """A file's name and text, split into lines for rendering."""

    name: str
    text: str
    lines: list[str] = field(init=False)

    def __post_init__(self) -> None:
        self.lines = self.text.splitlines()


@dataclass
class Document:
    """Plain data (dicts, lists, scalars) and the position of every path in it."""

    data: Any
    positions: dict[Path_, NodePosition]
    source: SourceFile

    def position(self, path: Path_) -> NodePosition:
        """The position of ``path``, or of its nearest ancestor that has one.

        Components that are not in the data (such as a validator's union tag)
        are skipped, even when a tag happens to equal a key of the data:
        ``effect.percent_off.max_units`` (tag ``percent_off``) finds
        ``effect.max_units``.  The deepest path wins; on a tie, the one that
        matched the later components.
        """
        found: dict[Path_, None] = {(): None}
        for part in path:
            for known in list(found):
                if known + (part,) in self.positions:
                    found[known + (part,)] = None
        best = max(reversed(found), key=len)
        return self.positions.get(best) or NodePosition(Span(self.source.name, 1, 1))


def _span(name: str, start: Any, end: Any) -> Span:
    return Span(name, start.line + 1, start.column + 1, end.line + 1, end.column + 1)


class _Frame:
    __slots__ = (
        "anchor",
        "container",
        "key",
        "key_span",
        "key_spans",
        "nodes_at_start",
        "path",
    )

    def __init__(self, container: Any, path: Path_, anchor: str | None,
                 nodes_at_start: int) -> None:
        self.container = container
        self.path = path
        self.key: Any = None
        self.key_span: Span | None = None
        self.anchor = anchor
        self.nodes_at_start = nodes_at_start
        self.key_spans: dict[Any, Span] = {}


class _Composer:
    def __init__(self, source: SourceFile) -> None:
        self.source = source
        self.name = source.name
        self.positions: dict[Path_, NodePosition] = {}
        self.diagnostics: list[Diagnostic] = []
        self.anchors: dict[str, tuple[Any, int]] = {}
        self.nodes = 0
        self.documents = 0

    def fail(self, code: str, message: str, span: Span, hint: str | None = None) -> None:
        self.diagnostics.append(Diagnostic(code, message, span, hint=hint))

    def scalar(self, event: yaml.ScalarEvent, span: Span) -> Any:
        value: str = event.value
        tag = event.tag
        if tag is None or tag == "!":
            if event.style or tag == "!":  # quoted or block: always text
                return value
            return self.plain(value, span)
        if not tag.startswith(_CORE):
            self.forbidden(tag, span)
            return value
        kind = tag[len(_CORE):]
        if kind == "str":
            return value
        if kind in ("int", "float", "bool", "null"):
            typed = self.plain(value, span)
            expected = {"int": int, "float": Decimal, "bool": bool, "null": type(None)}[kind]
            if isinstance(typed, expected):
                return typed
            self.fail(YAML_SYNTAX, f"'{value}' is not a valid !!{kind}", span)
            return value
        self.forbidden(tag, span)
        return value

    def plain(self, value: str, span: Span) -> Any:
        if _NULL.match(value):
            return None
        if value in _BOOL:
            return _BOOL[value]
        if _INT.match(value):
            return int(value)
        if _FLOAT.match(value):
            try:
                return BareDecimal(value)
            except InvalidOperation:  # pragma: no cover - the regex admits only decimals
                return value
        return value

    def forbidden(self, tag: str, span: Span) -> None:
        shown = tag.replace(_CORE, "!!")
        self.fail(FORBIDDEN_TAG, f"tag '{shown}' is not allowed", span,
                  "rulesets are plain data: remove the tag (nothing in a ruleset runs)")

    def compose(self, text: str) -> Any:
        root: Any = None
        stack: list[_Frame] = []
        loader = _EventLoader(text)
        try:
            while True:
                event = loader.get_event()
                if event is None or isinstance(event, yaml.StreamEndEvent):
                    break
                if isinstance(event, yaml.DocumentStartEvent):
                    self.documents += 1
                    if self.documents > 1:
                        self.fail(NOT_ONE_DOCUMENT, "a ruleset file holds one YAML document",
                                  _span(self.name, event.start_mark, event.end_mark),
                                  "remove the '---' and what follows, or split the file")
                        break
                    continue
                if isinstance(event, (yaml.StreamStartEvent, yaml.DocumentEndEvent)):
                    continue
                if isinstance(event, (yaml.MappingEndEvent, yaml.SequenceEndEvent)):
                    frame = stack.pop()
                    if frame.anchor is not None:
                        self.anchors[frame.anchor] = (frame.container,
                                                      self.nodes - frame.nodes_at_start)
                    if not stack:
                        root = frame.container
                    continue
                span = _span(self.name, event.start_mark, event.end_mark)
                parent = stack[-1] if stack else None
                if parent is not None and isinstance(parent.container, dict) and \
                        parent.key_span is None:
                    # This event is a mapping key.
                    if not isinstance(event, yaml.ScalarEvent):
                        self.fail(YAML_SYNTAX, "mapping keys must be plain names", span)
                        return None
                    self.nodes += 1
                    key = self.scalar(event, span)
                    if key is None or isinstance(key, (bool, Decimal)):
                        key = event.value
                    if key == "<<":
                        self.fail(YAML_SYNTAX, "merge keys ('<<') are not supported", span,
                                  "write the fields out; an anchor may still name a whole value")
                    parent.key = key
                    parent.key_span = span
                    continue
                value, opened = self.node(event, span, stack)
                if value is _ABORT:
                    return None
                if parent is None:
                    path: Path_ = ()
                elif isinstance(parent.container, dict):
                    path = parent.path + (parent.key,)
                    if parent.key in parent.container:
                        # A duplicate: its positions must not overwrite the first's.
                        path = parent.path + (_Duplicate(),)  # type: ignore[operator]
                else:
                    path = parent.path + (len(parent.container),)
                key_span = parent.key_span if parent and isinstance(parent.container, dict) \
                    else None
                style = event.style or None if isinstance(event, yaml.ScalarEvent) else None
                self.positions[path] = NodePosition(span, key_span, style)
                if parent is not None:
                    self.attach(parent, value)
                if opened is not None:
                    opened.path = path
                    stack.append(opened)
                    if len(stack) > MAX_DEPTH:
                        self.fail(TOO_LARGE, f"nested more than {MAX_DEPTH} levels deep", span)
                        return None
                elif parent is None:
                    root = value
                if self.nodes > MAX_NODES:
                    self.fail(TOO_LARGE, f"more than {MAX_NODES:,} YAML nodes (aliases "
                              "counted with what they expand to)", span,
                              "is an anchor repeated into itself (an alias bomb)?")
                    return None
        except yaml.MarkedYAMLError as err:
            mark = err.problem_mark or err.context_mark
            line, col = (mark.line + 1, mark.column + 1) if mark else (1, 1)
            problem = err.problem or err.context or "invalid YAML"
            self.fail(YAML_SYNTAX, f"YAML syntax error: {problem}", Span(self.name, line, col))
            return None
        except yaml.YAMLError as err:
            self.fail(YAML_SYNTAX, f"YAML error: {err}", Span(self.name, 1, 1))
            return None
        return root

    def node(self, event: Any, span: Span, stack: list[_Frame]) -> tuple[Any, _Frame | None]:
        self.nodes += 1
        if isinstance(event, yaml.AliasEvent):
            if event.anchor not in self.anchors:
                self.fail(YAML_SYNTAX, f"unknown alias '*{event.anchor}'", span)
                return _ABORT, None
            value, size = self.anchors[event.anchor]
            self.nodes += size
            return value, None
        tag = getattr(event, "tag", None)
        if isinstance(event, yaml.ScalarEvent):
            value = self.scalar(event, span)
            if event.anchor:
                self.anchors[event.anchor] = (value, 1)
            return value, None
        if tag is not None and tag not in (_CORE + "map", _CORE + "seq"):
            self.forbidden(tag, span)
        container: Any = {} if isinstance(event, yaml.MappingStartEvent) else []
        return container, _Frame(container, (), event.anchor, self.nodes)

    def attach(self, parent: _Frame, value: Any) -> None:
        if isinstance(parent.container, list):
            parent.container.append(value)
            return
        key, key_span = parent.key, parent.key_span
        parent.key_span = None
        assert key_span is not None
        try:
            hash(key)
        except TypeError:  # pragma: no cover - keys are scalars here
            self.fail(YAML_SYNTAX, "mapping keys must be plain names", key_span)
            return
        if key in parent.container:
            first = parent.key_spans[key]
            self.fail(DUPLICATE_KEY, f"duplicate key '{key}' (first at line {first.line})",
                      key_span, "YAML would silently keep only one; remove the other")
            return
        parent.container[key] = value
        parent.key_spans[key] = key_span


_ABORT = object()


class _Duplicate:
    """A path component no lookup can match: the value of a duplicated key."""


def read_source(path: str | Path) -> SourceFile:
    """Read a file as UTF-8 text, refusing huge files before reading them."""
    p = Path(path)
    size = p.stat().st_size
    if size > MAX_BYTES:
        raise _too_large(str(path), size)
    return SourceFile(str(path), p.read_text(encoding="utf-8"))


YAML_SUFFIXES = (".yaml", ".yml")


def find_yaml_files(paths: Iterable[str | Path],
                    wanted: Callable[[Path, tuple[str, ...]], bool]) -> list[Path]:
    """Files named by ``paths``: files as given; in directories, every ``*.yaml`` /
    ``*.yml`` for which ``wanted(root, folders)`` holds (``folders``: the folders
    between ``root`` and the file).  A path that does not exist is an ``InputError``."""
    from .errors import InputError

    found: list[Path] = []
    for raw in paths:
        path = Path(raw)
        if path.is_file():
            found.append(path)
        elif path.is_dir():
            for candidate in sorted(path.rglob("*")):
                folders = candidate.relative_to(path).parts[:-1]
                if candidate.suffix in YAML_SUFFIXES and candidate.is_file() and \
                        wanted(path, folders):
                    found.append(candidate)
        else:
            raise InputError(f"no such file or directory: {raw}", code=NO_SUCH_PATH)
    return list(dict.fromkeys(found))


def _too_large(name: str, size: int) -> Exception:
    from .errors import PromoError

    return PromoError(f"file is {size:,} bytes; the limit is {MAX_BYTES:,}",
                      Span(name, 1, 1), code=TOO_LARGE)


def compose_document(source: SourceFile) -> tuple[Document | None, list[Diagnostic]]:
    """Parse YAML text into a positioned ``Document`` (or diagnostics)."""
    if len(source.text) > MAX_BYTES:
        return None, [Diagnostic(TOO_LARGE, f"text is {len(source.text):,} characters; the "
                                 f"limit is {MAX_BYTES:,}", Span(source.name, 1, 1))]
    composer = _Composer(source)
    data = composer.compose(source.text)
    if composer.documents == 0 and not composer.diagnostics:
        composer.fail(NOT_ONE_DOCUMENT, "the file is empty", Span(source.name, 1, 1))
    if composer.diagnostics and data is None:
        return None, composer.diagnostics
    return Document(data, composer.positions, source), composer.diagnostics


def expression_location(doc: Document, path: Path_, line: int, col: int) -> Span:
    """Map a (line, col) inside the expression at ``path`` onto the YAML file.

    Folding and block indentation change only whitespace, so the k-th
    non-blank character of the expression is the k-th non-blank character of
    the scalar's source (after its quote or block indicator), counting an
    escape sequence of a quoted scalar as the one character it writes.
    """
    pos = doc.position(path)
    value: Any = doc.data
    for part in path:
        value = value[part]
    text = str(value)
    lines = text.split("\n")
    offset = sum(len(x) + 1 for x in lines[: line - 1]) + col - 1
    wanted = sum(1 for ch in text[:offset] if not ch.isspace())
    src = doc.source.lines
    row, column = pos.value.line - 1, pos.value.col - 1
    if pos.style in ("|", ">"):
        row, column = row + 1, 0
    elif pos.style in ('"', "'"):
        column += 1
    seen = 0
    while row < len(src):
        current = src[row]
        while column < len(current):
            char, width = _written(current, column, pos.style)
            if not char.isspace():
                if seen == wanted:
                    return Span(doc.source.name, row + 1, column + 1, expr_col=col)
                seen += 1
            column += width
        row, column = row + 1, 0
    return Span(doc.source.name, pos.value.line, pos.value.col, expr_col=col)


_DQ_ESCAPES = {"0": "\0", "a": "\a", "b": "\b", "t": "\t", "n": "\n", "v": "\v", "f": "\f",
               "r": "\r", "e": "\x1b", "N": "\x85", "_": "\xa0", "L": "\u2028",
               "P": "\u2029"}
_HEX_ESCAPES = {"x": 2, "u": 4, "U": 8}


def _written(line: str, column: int, style: str | None) -> tuple[str, int]:
    """The value character written at ``line[column]`` and how many source characters
    it takes: an escape in a quoted scalar (a backslash sequence in double quotes,
    a doubled quote in single quotes) writes one character."""
    if style == "'" and line.startswith("''", column):
        return "'", 2
    if style != '"' or line[column] != "\\":
        return line[column], 1
    escaped = line[column + 1:column + 2]
    if not escaped:  # an escaped line break writes nothing
        return " ", 1
    digits = _HEX_ESCAPES.get(escaped)
    if digits:
        try:
            return chr(int(line[column + 2:column + 2 + digits], 16)), 2 + digits
        except ValueError:
            return escaped, 2
    return _DQ_ESCAPES.get(escaped, escaped), 2
