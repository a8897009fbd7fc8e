"""Safe YAML with positions: text → plain Python data + where every node came from.

We compose the document ourselves from PyYAML's event stream (libyaml when
available), iteratively, which lets us:

* refuse every tag but the plain core ones — nothing in a ruleset executes;
* refuse duplicate keys (PyYAML keeps the last one silently);
* cap the file's size and lines, the nodes (an alias counts with its expansion: an
  alias bomb is refused before anything expands it), the depth, a scalar's length
  and what ``Caps`` names, in a first pass that counts events, building nothing;
* bound numbers (±10^15, 12 decimals): Python reads no integer of 4,300 digits;
* type plain scalars by YAML 1.2's core schema: ``yes``/``no``/``on`` stay
  strings, dates stay strings for the model to parse, and numbers with a
  fraction become ``BareDecimal`` so money fields can tell ``9.99`` from
  ``"9.99"``;
* record a ``NodePosition`` for every key and value path.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

from .codes import (
    DUPLICATE_KEY,
    FORBIDDEN_TAG,
    NO_SUCH_PATH,
    NOT_ONE_DOCUMENT,
    NUMBER_OUT_OF_BOUNDS,
    TEXT_TOO_LONG,
    TOO_LARGE,
    YAML_SYNTAX,
)
from .errors import Diagnostic, PromoError, Span
from .hints import yaml_syntax
from .records import record

if TYPE_CHECKING:
    import yaml

MAX_BYTES = 16 * 1024 * 1024
MAX_LINES = 500_000
MAX_NODES = 300_000
MAX_DEPTH = 64
MAX_SCALAR = 10_000  # characters of one scalar
MAX_NUMBER, MAX_NUMBER_DECIMALS = 10**15, 12  # a number's magnitude and decimals

Path_ = tuple[str | int, ...]
Pattern = tuple[str, ...]  # a path in which "*" stands for any index of a list


class Cap(NamedTuple):
    """At most ``limit`` items or characters, refused with ``code``: "more than {limit} {what}"."""

    limit: int
    code: str
    what: str  # "promotions in a ruleset"


@record
class Caps:
    """A document's caps beyond the file's (``MAX_BYTES``, ``MAX_NODES``, ``MAX_DEPTH``): the
    items of the lists at a pattern, the characters of the scalars at some patterns together;
    the codes the loader refuses with.  ``model.RULESET_CAPS``, ``engine.cart.CART_CAPS``."""

    lists: Mapping[Pattern, Cap] = field(default_factory=dict)
    texts: Mapping[frozenset[Pattern], Cap] = field(default_factory=dict)
    scalar: int = MAX_SCALAR
    number_code: str = NUMBER_OUT_OF_BOUNDS
    text_code: str = TEXT_TOO_LONG


@record
class NodePosition:
    """Where a value (and, in a mapping, its key) sits, and how it was written."""

    value: Span
    key: Span | None = None
    style: str | None = None  # None plain, '"' "'" '|' '>' for scalars


class SourceLines(list[str]):
    """A text's lines as ``str.splitlines`` gives them, split when first read: the
    lines of a file refused over a cap never are (its diagnostic carries its line)."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self._text = text

    def _split(self) -> list[str]:
        if self._text:
            text, self._text = self._text, ""
            self.extend(text.splitlines())
        return self

    def __len__(self) -> int:
        return list.__len__(self._split())

    def __getitem__(self, key: Any) -> Any:
        return list.__getitem__(self._split(), key)

    def __iter__(self) -> Iterator[str]:
        return list.__iter__(self._split())

    def __eq__(self, other: object) -> bool:
        return list.__eq__(self._split(), other)

    def __ne__(self, other: object) -> bool:
        return not self == other

    __hash__ = None


@dataclass
class SourceFile:
    """A file's name and text, and its lines for rendering."""

    name: str
    text: str
    lines: list[str] = field(init=False)
    breaks: int = field(init=False, repr=False)  # line breaks, as str.splitlines sees them

    def __post_init__(self) -> None:
        text, self.breaks = self.text, 0
        if len(text) <= MAX_BYTES:
            self.breaks = sum(map(text.count, _BREAKS)) - text.count("\r\n")
        over = len(text) > MAX_BYTES or self.breaks > MAX_LINES  # refused: never split
        self.lines = SourceLines("" if over else text)


_BREAKS = "\n\r\v\f\x1c\x1d\x1e\x85\u2028\u2029"  # what str.splitlines splits on


@dataclass
class Document:
    """Plain data (dicts, lists, scalars) and the position of every path in it."""

    data: Any
    positions: dict[Path_, NodePosition]
    source: SourceFile

    def position(self, path: Path_) -> NodePosition:
        """The position of ``path``, or of its nearest ancestor that has one.

        Components that are not in the data (such as a validator's union tag) are
        skipped, even when a tag happens to equal a key of the data: ``effect.percent_off.
        max_units`` (tag ``percent_off``) finds ``effect.max_units``.  The deepest path
        wins; on a tie, the one that matched the later components."""
        found: dict[Path_, None] = {(): None}
        for part in path:
            for known in list(found):
                if known + (part,) in self.positions:
                    found[known + (part,)] = None
        best = max(reversed(found), key=len)
        return self.positions.get(best) or NodePosition(Span(self.source.name, 1, 1))



def _event_loader(text: str) -> Any:
    """PyYAML's loader of ``text``, for its events.  PyYAML is imported here, when a
    document is first read: a command that reads none (a ruleset from the cache) does
    not pay for it."""
    try:  # libyaml is ~10x faster; the pure-Python parser gives the same events.
        from yaml import CSafeLoader as Loader
    except ImportError:  # pragma: no cover - depends on how PyYAML was built
        from yaml import SafeLoader as Loader  # type: ignore[assignment]
    return Loader(text)

_CORE = "tag:yaml.org,2002:"
_NULL = re.compile(r"^(?:~|null|Null|NULL|)$")
_BOOL = {"true": True, "True": True, "TRUE": True, "false": False, "False": False,
         "FALSE": False}
_INT = re.compile(r"^[-+]?[0-9]+$")
_FLOAT = re.compile(r"^[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?$")


class BareDecimal(Decimal):
    """A number written in YAML without quotes and with a fraction, e.g. ``9.99``: exact
    (built from the text), but money fields refuse it, so that amounts are written
    deliberately as ``"9.99"``."""


def bare_number(text: str) -> BareDecimal | None:
    """The fraction written ``text``, exact, when it is within a number's bounds (finite,
    at most ``MAX_NUMBER`` in size, at most ``MAX_NUMBER_DECIMALS`` decimals); ``None``
    beyond them.  What YAML's plain scalars, cart text in JSON and request bodies read
    a fraction as."""
    with contextlib.suppress(InvalidOperation):  # an exponent Decimal cannot hold
        number = BareDecimal(text)
        exponent = number.as_tuple().exponent
        if number.is_finite() and number.copy_abs() <= MAX_NUMBER and \
                isinstance(exponent, int) and exponent >= -MAX_NUMBER_DECIMALS:
            return number
    return None


def number_out_of_bounds(written: str) -> str:
    """What is said of a number written ``written`` that ``bare_number`` refuses."""
    shown = written if len(written) <= 30 else \
        f"{written[:24]}… ({len(written):,} characters)"
    return (f"the number {shown} is out of bounds: at most 10^15 in size, with at most "
            f"{MAX_NUMBER_DECIMALS} decimals")


def _span(name: str, start: Any, end: Any) -> Span:
    return Span(name, start.line + 1, start.column + 1, end.line + 1, end.column + 1)


class _Count:  # an open collection while ``_scan`` counts: where it is, what it holds
    __slots__ = ("anchor", "awaiting_key", "cap", "is_map", "items", "key", "pattern", "start")

    def __init__(self, pattern: Pattern | None, is_map: bool, start: int, anchor: str | None,
                 cap: Cap | None) -> None:
        self.pattern, self.is_map, self.start, self.anchor, self.cap = \
            pattern, is_map, start, anchor, cap
        self.awaiting_key, self.items, self.key = is_map, 0, ""


def _scan(source: SourceFile, caps: Caps) -> Diagnostic | None:
    """The first cap the document breaks, found by counting its events (nodes, an alias with
    all it expands to; depth; scalars; what ``caps`` names), building nothing.  ``None`` also
    when the YAML is broken or composing it stops early: composing reports those."""
    name, max_nodes, max_depth, longest = source.name, MAX_NODES, MAX_DEPTH, caps.scalar
    lists, texts = caps.lists, caps.texts
    watched = {p[:k] for p in [*lists, *(q for patterns in texts for q in patterns)]
               for k in range(len(p) + 1)}  # a path not in it holds nothing capped
    used, stack = [0] * len(texts), list[_Count]()
    anchors: dict[str, tuple[int, int, int]] = {}  # anchor → (nodes inside, items, characters)
    nodes = documents = 0
    import yaml

    scalar_event, alias_event = yaml.ScalarEvent, yaml.AliasEvent
    loader = _event_loader(source.text)
    skipped = (yaml.StreamStartEvent, yaml.DocumentStartEvent, yaml.DocumentEndEvent)
    event: Any = None

    def refuse(code: str, message: str, hint: str | None = None) -> Diagnostic:
        text, at = source.text, event.start_mark.index  # its line: the file is not split
        start = max(text.rfind("\n", 0, at), text.rfind("\r", 0, at)) + 1
        end = min([i for i in (text.find("\n", at), text.find("\r", at)) if i >= 0] or [len(text)])
        return Diagnostic(code, message, _span(name, event.start_mark, event.end_mark),
                          hint=hint, source_line=text[start:end])

    try:
        while True:
            event = loader.get_event()
            kind = type(event)
            if event is None or kind is yaml.StreamEndEvent:
                return None
            if kind is yaml.MappingEndEvent or kind is yaml.SequenceEndEvent:
                frame = stack.pop()
                if frame.anchor is not None:
                    anchors[frame.anchor] = (nodes - frame.start, frame.items, 0)
                continue
            documents += kind is yaml.DocumentStartEvent
            if documents > 1:
                return None
            if kind in skipped:
                continue
            parent = stack[-1] if stack else None
            if kind is scalar_event and len(event.value) > longest:
                return refuse(caps.text_code, f"a text of {len(event.value):,} characters; "
                              f"the limit is {longest:,}")
            if parent is not None and parent.awaiting_key:
                if kind is not scalar_event:
                    return None
                nodes += 1
                parent.key, parent.awaiting_key = event.value, False
                continue
            pattern: Pattern | None = ()
            if parent is not None:
                pattern = None if parent.pattern is None else \
                    parent.pattern + ((parent.key if parent.is_map else "*"),)
                pattern = pattern if pattern in watched else None
                parent.items += 1
                parent.awaiting_key = parent.is_map
                if parent.cap is not None and parent.items > parent.cap.limit:
                    return refuse(parent.cap.code, f"more than {parent.cap.limit:,} "
                                  f"{parent.cap.what}")
            nodes += 1
            chars = 0
            if kind is scalar_event:
                chars = len(event.value)
                if event.anchor:
                    anchors[event.anchor] = (1, 0, chars)
            elif kind is alias_event:
                if event.anchor not in anchors:
                    return None
                size, items, chars = anchors[event.anchor]
                nodes += size
                if (cap := lists.get(pattern or ())) is not None and items > cap.limit:
                    return refuse(cap.code, f"more than {cap.limit:,} {cap.what}")
            else:
                stack.append(_Count(pattern, kind is yaml.MappingStartEvent, nodes,
                                    event.anchor, lists.get(pattern or ())))
                if len(stack) > max_depth:
                    return refuse(TOO_LARGE, f"nested more than {max_depth} levels deep")
            if chars and pattern is not None:
                for index, (patterns, cap) in enumerate(texts.items()):
                    if pattern in patterns:
                        used[index] += chars
                        if used[index] > cap.limit:
                            return refuse(cap.code, f"more than {cap.limit:,} {cap.what}")
            if nodes > max_nodes:
                return refuse(TOO_LARGE, f"more than {max_nodes:,} YAML nodes (aliases "
                              "counted with what they expand to)",
                              "an alias bomb (an anchor repeated into itself)? Otherwise "
                              "split the file")
    except yaml.YAMLError:
        return None
    finally:
        loader.dispose()


class _Frame:
    __slots__ = ("anchor", "container", "key", "key_span", "key_spans", "path")

    def __init__(self, container: Any, path: Path_, anchor: str | None) -> None:
        self.container, self.path, self.anchor = container, path, anchor
        self.key: Any = None
        self.key_span: Span | None = None
        self.key_spans: dict[Any, Span] = {}


class _Composer:
    def __init__(self, source: SourceFile, caps: Caps) -> None:
        self.source, self.name, self.caps = source, source.name, caps
        self.positions: dict[Path_, NodePosition] = {}
        self.diagnostics: list[Diagnostic] = []
        self.anchors: dict[str, Any] = {}
        self.documents, self.stopped = 0, False  # stopped: by a number out of bounds

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
            digits = value.lstrip("+-").lstrip("0")  # int() reads at most 4,300 digits
            if len(digits) <= 16 and (number := int(digits or "0")) <= MAX_NUMBER:
                return -number if value.startswith("-") else number
            return self.out_of_bounds(value, span)
        if _FLOAT.match(value):
            if (decimal := bare_number(value)) is not None:
                return decimal
            return self.out_of_bounds(value, span)
        return value

    def out_of_bounds(self, value: str, span: Span) -> str:
        self.fail(self.caps.number_code, number_out_of_bounds(value), span,
                  "quote it if it is text (an id, a code)")
        self.stopped = True
        return value

    def forbidden(self, tag: str, span: Span) -> None:
        shown = tag.replace(_CORE, "!!")
        self.fail(FORBIDDEN_TAG, f"tag '{shown}' is not allowed", span,
                  "rulesets are plain data: remove the tag (nothing in a ruleset runs)")

    def compose(self, text: str) -> Any:
        root: Any = None
        stack: list[_Frame] = []
        import yaml

        loader = _event_loader(text)
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
                        self.anchors[frame.anchor] = frame.container
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
                    key = self.scalar(event, span)
                    if self.stopped:
                        return None
                    if key is None or isinstance(key, (bool, Decimal)):
                        key = event.value
                    if key == "<<":
                        self.fail(YAML_SYNTAX, "merge keys ('<<') are not supported", span,
                                  "write the fields out; an anchor may still name a whole value")
                    parent.key = key
                    parent.key_span = span
                    continue
                value, opened = self.node(event, span, stack)
                if value is _ABORT or self.stopped:
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
                elif parent is None:
                    root = value
        except yaml.MarkedYAMLError as err:
            mark = err.problem_mark or err.context_mark
            line, col = (mark.line + 1, mark.column + 1) if mark else (1, 1)
            problem = err.problem or err.context or "invalid YAML"
            source_line = self.source.lines[line - 1] if line <= len(self.source.lines) else None
            self.fail(YAML_SYNTAX, f"YAML syntax error: {problem}", Span(self.name, line, col),
                      yaml_syntax(problem, source_line, col))
            return None
        except yaml.YAMLError as err:
            self.fail(YAML_SYNTAX, f"YAML error: {err}", Span(self.name, 1, 1))
            return None
        return root

    def node(self, event: Any, span: Span, stack: list[_Frame]) -> tuple[Any, _Frame | None]:
        import yaml

        if isinstance(event, yaml.AliasEvent):
            if event.anchor not in self.anchors:
                self.fail(YAML_SYNTAX, f"unknown alias '*{event.anchor}'", span)
                return _ABORT, None
            return self.anchors[event.anchor], None
        tag = getattr(event, "tag", None)
        if isinstance(event, yaml.ScalarEvent):
            value = self.scalar(event, span)
            if event.anchor:
                self.anchors[event.anchor] = value
            return value, None
        if tag is not None and tag not in (_CORE + "map", _CORE + "seq"):
            self.forbidden(tag, span)
        container: Any = {} if isinstance(event, yaml.MappingStartEvent) else []
        return container, _Frame(container, (), event.anchor)

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
    if (size := Path(path).stat().st_size) > MAX_BYTES:
        raise PromoError(f"file is {size:,} bytes; the limit is {MAX_BYTES:,}",
                         Span(str(path), 1, 1), code=TOO_LARGE)
    return SourceFile(str(path), Path(path).read_text(encoding="utf-8"))


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


def compose_document(source: SourceFile, caps: Caps | None = None,
                     ) -> tuple[Document | None, list[Diagnostic]]:
    """Parse YAML text into a positioned ``Document`` (or diagnostics); ``caps`` are a
    ruleset's unless given.  A document over a cap is refused before anything is built."""
    from .model import RULESET_CAPS  # (model imports this module)
    caps = caps or RULESET_CAPS
    over = f"text is {len(source.text):,} characters; the limit is {MAX_BYTES:,}" \
        if len(source.text) > MAX_BYTES else \
        f"more than {MAX_LINES:,} lines" if source.breaks > MAX_LINES else None
    refused = Diagnostic(TOO_LARGE, over, Span(source.name, 1, 1)) if over else \
        _scan(source, caps)
    if refused is not None:
        return None, [refused]
    composer = _Composer(source, caps)
    data = composer.compose(source.text)
    if composer.documents == 0 and not composer.diagnostics:
        composer.fail(NOT_ONE_DOCUMENT, "the file is empty", Span(source.name, 1, 1))
    if composer.diagnostics and data is None:
        return None, composer.diagnostics
    return Document(data, composer.positions, source), composer.diagnostics
