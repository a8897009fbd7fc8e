"""Canonical formatting of ruleset files (``promo fmt``): text in, text out.

The canonical form (docs/semantics.md#canonical-form):

* keys in the model's order (``key_order``): a model's own fields as ``model.py``
  declares them, then the fields it inherits (an effect's kind comes before its
  ``max_amount``); keys of free mappings stay as written;
* conditions as ``format_expression`` prints them.  One written over several lines
  (a block scalar), or too long for one line, is a folded block (``>-``) with a line
  per operand of its top-level ``and`` / ``or`` (``format_operands``);
* money amounts quoted, with the currency's decimals (``"15.00"``; yen ``"500"``):
  the same number, written one way;
* two spaces per level, list items indented under their key, flow mappings spaced
  (``{ percent_off: 10 }``);
* comments kept: comment lines (and blank lines; several become one) stay above the
  key or list item below them, a comment at the end of a line stays at the end of
  that line.  Inline suppressions (``# promo: ignore[...]``) therefore keep covering
  what they covered.

Everything else (ids, names, dates, numbers, quoting of other text) is kept as
written.  The file's line endings, final newline and byte-order mark are kept.

Only a ruleset that loads is formatted (else ``RulesetError``: the loader's
diagnostics), and every output is checked before it is returned: it must load to
the same ruleset (conditions compared by syntax tree, amounts by value: ``meaning``)
and hold the same comments; otherwise ``FormatError`` and the text is left alone.
"""

from __future__ import annotations

import bisect
import functools
import inspect
import io
import types
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Annotated, Any, Union, get_args, get_origin

import yaml
from pydantic import BaseModel, Discriminator, Tag, WithJsonSchema
from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.emitter import Emitter
from ruamel.yaml.error import CommentMark
from ruamel.yaml.events import MappingEndEvent
from ruamel.yaml.scalarstring import (
    DoubleQuotedScalarString,
    FoldedScalarString,
    LiteralScalarString,
)
from ruamel.yaml.tokens import CommentToken

from .codes import FORMAT_UNSAFE
from .currencies import MINOR_UNITS
from .decimal_context import in_decimal_context
from .errors import PromoError, RulesetError, Span
from .expr.format import format_expression, format_operands
from .expr.parser import parse_expression
from .loader import SourceFile
from .model import Ruleset
from .records import record
from .ruleset import analyze_source
from .values import MONEY_SCHEMA, Condition

WIDTH = 100
"""A condition whose line would be longer than this is folded (``>-``)."""
INDENT = 2

__all__ = ["FormatError", "format_ruleset", "key_order", "meaning"]


class FormatError(PromoError):
    """The formatter's output would not load to the same ruleset or would lose a comment:
    the file is left as it is (a case the formatter does not handle; please report it)."""

    code = FORMAT_UNSAFE


@in_decimal_context  # (amounts are re-written with the currency's decimals: quantize)
def format_ruleset(text: str, *, name: str = "<string>") -> str:
    """The canonical form of the ruleset written in ``text`` (``name``: for messages).

    Raises ``RulesetError`` when ``text`` does not load, ``FormatError`` when the
    canonical form cannot be made without changing what it loads as."""
    bom = "\ufeff" if text.startswith("\ufeff") else ""
    crlf = "\r\n" in text
    body = text.removeprefix(bom).replace("\r\n", "\n")
    before = analyze_source(SourceFile(name, body))
    if before.ruleset is None:
        raise RulesetError(before.diagnostics)
    try:
        out = _format(body, before.ruleset)
    except Exception as err:  # whatever goes wrong, the file stays as it is
        # (ruamel.yaml refuses a few texts the loader reads, e.g. a tab before a comment)
        reason = str(err).splitlines()[0] if str(err) else type(err).__name__
        raise _unsafe(name, f"ruamel.yaml could not re-write it ({reason})") from None
    if not body.endswith("\n"):
        out = out.rstrip("\n")
    after = analyze_source(SourceFile(name, out))
    if after.ruleset is None:
        first = after.diagnostics[0]
        raise _unsafe(name, f"the formatted text would not load ({first.headline()})")
    if meaning(after.ruleset) != meaning(before.ruleset):
        raise _unsafe(name, "the formatted text would load as a different ruleset")
    if sorted(_comment_texts(body)) != sorted(_comment_texts(out)):
        raise _unsafe(name, "the formatted text would not keep every comment")
    if crlf:
        out = out.replace("\n", "\r\n")
    return bom + out


def _unsafe(name: str, why: str) -> FormatError:
    return FormatError(f"promo fmt cannot format this file: {why}; it is left as it is",
                       Span(name, 1, 1))


def meaning(ruleset: Ruleset) -> Any:
    """What a ruleset says, without how it is written: fields in the model's order,
    conditions by their canonical text (equal exactly when their syntax trees are),
    amounts and percentages as numbers (``15`` is ``"15.00"``); no positions."""
    return _meaning(ruleset)


def _meaning(value: Any) -> Any:
    if isinstance(value, BaseModel):
        return type(value).__name__, tuple((name, _meaning(getattr(value, name)))
                                           for name in type(value).model_fields)
    if isinstance(value, Condition):
        return "condition", format_expression(value.node) if value.node else value.source
    if isinstance(value, (list, tuple)):
        return tuple(_meaning(item) for item in value)
    if isinstance(value, dict):
        return tuple((key, _meaning(item)) for key, item in value.items())
    return value


# ------------------------------------------------------------------ the model


def key_order(model: type[BaseModel]) -> tuple[str, ...]:
    """The keys of a model's mapping in canonical order: the fields the model declares
    itself, in declaration order, then those it inherits (by their YAML names)."""
    own = inspect.get_annotations(model)
    names = list(model.model_fields)
    ordered = [n for n in names if n in own] + [n for n in names if n not in own]
    return tuple(model.model_fields[n].alias or n for n in ordered)


@record
class _Shape:
    """What a field holds, as far as formatting goes."""

    money: bool = False
    condition: bool = False
    models: dict[str | None, type[BaseModel]] = field(default_factory=dict)
    """The models its mappings are (by the union's tag; ``None`` when there is one)."""
    discriminator: Callable[[Any], Any] | None = None


def _parts(annotation: Any, meta: tuple[Any, ...] = ()) -> Iterator[tuple[Any, tuple[Any, ...]]]:
    """The types an annotation is made of, each with the metadata around it."""
    origin = get_origin(annotation)
    if origin is Annotated:
        base, *extra = get_args(annotation)
        yield from _parts(base, meta + tuple(extra))
    elif origin in (Union, types.UnionType, tuple, list):
        for arg in get_args(annotation):
            if arg is not Ellipsis:
                yield from _parts(arg, meta)
    else:
        yield annotation, meta


@functools.cache
def _shapes(model: type[BaseModel]) -> dict[str, _Shape]:
    """Each key of the model's mapping, in canonical order, and what it holds."""
    shapes: dict[str, _Shape] = {}
    fields = {info.alias or name: info for name, info in model.model_fields.items()}
    for key in key_order(model):
        info = fields[key]
        meta = tuple(info.metadata) + ((info.discriminator,) if info.discriminator else ())
        parts = list(_parts(info.annotation, meta))
        everything = [m for _, found in parts for m in found]
        models = {next((m.tag for m in found if isinstance(m, Tag)), None): tp
                  for tp, found in parts if inspect.isclass(tp) and issubclass(tp, BaseModel)}
        chooser = next((m.discriminator for m in everything if isinstance(m, Discriminator)),
                       None)
        shapes[key] = _Shape(
            money=any(isinstance(m, WithJsonSchema) and m.json_schema is MONEY_SCHEMA
                      for m in everything),
            condition=any(tp is Condition for tp, _ in parts),
            models=models, discriminator=chooser if callable(chooser) else None)
    return shapes


def _model_of(shape: _Shape, value: Any) -> type[BaseModel] | None:
    if len(shape.models) == 1:
        return next(iter(shape.models.values()))
    if shape.discriminator is not None:
        return shape.models.get(shape.discriminator(value))
    return None


# -------------------------------------------------------------- canonical data


class _Emitter(Emitter):
    """ruamel's emitter, with a space inside the braces of a flow mapping and at least
    two spaces before a comment that ends a line."""

    def write_comment(self, comment: Any, pre: bool = False) -> None:
        if not pre and self.column and comment.value.startswith("#") and \
                comment.start_mark.column < self.column + 2:
            comment = CommentToken(comment.value, CommentMark(self.column + 2), None)
        super().write_comment(comment, pre)

    def expect_first_flow_mapping_key(self) -> None:
        if not isinstance(self.event, MappingEndEvent) and self.flow_context[-1] == "{":
            self.write_indicator(" ", False, whitespace=True)
        super().expect_first_flow_mapping_key()

    def expect_flow_mapping_key(self) -> None:
        if isinstance(self.event, MappingEndEvent) and self.flow_context[-1] == "{":
            self.write_indicator(" ", False)
        super().expect_flow_mapping_key()


def _yaml() -> YAML:
    rt = YAML(typ="rt")
    rt.indent(mapping=INDENT, sequence=2 * INDENT, offset=INDENT)
    rt.width = 1_000_000  # never wrap: long lines are the author's
    rt.preserve_quotes = True
    rt.Emitter = _Emitter
    rt.representer.add_representer(type(None), _null)
    return rt


def _null(representer: Any, _: None) -> Any:
    """``null`` as written, not an empty value (which reads as a forgotten one)."""
    return representer.represent_scalar("tag:yaml.org,2002:null", "null")


def _format(body: str, ruleset: Ruleset) -> str:
    rt = _yaml()
    source = _scan(body)
    rt.explicit_start, rt.explicit_end = source.explicit_start, source.explicit_end
    data = rt.load(body)
    comments = _place_comments(body, source, data)
    _strip_comments(data)
    _canonical_map(data, Ruleset, MINOR_UNITS[ruleset.currency], 0)
    _attach_comments(data, comments)
    out = io.StringIO()
    rt.dump(data, out)
    return out.getvalue()


def _canonical_map(node: CommentedMap, model: type[BaseModel], units: int,
                   column: int) -> None:
    """Re-order the keys of a mapping of ``model`` and write its values canonically
    (its keys sit at ``column``)."""
    shapes = _shapes(model)
    flow = _is_flow(node)
    order = [k for k in shapes if k in node] + [k for k in node if k not in shapes]
    items = []
    for key in order:
        value, shape = node[key], shapes.get(key)
        if shape is not None:
            start = None if flow else column + len(str(key)) + 2
            value = _canonical_value(value, shape, units, start, column + INDENT)
        items.append((key, value))
    # Emptied and filled again: setting a key in place would keep its old quoting.
    for key in list(node):
        del node[key]
    for key, value in items:
        node[key] = value


def _is_flow(node: Any) -> bool:
    return bool(node.fa.flow_style())


def _canonical_value(value: Any, shape: _Shape, units: int, start: int | None,
                     inner: int) -> Any:
    """``start``: the column where the value begins on its key's line (``None`` inside a
    flow mapping); ``inner``: the column of a block mapping under the key."""
    if shape.condition and isinstance(value, str):
        return _condition(value, start)
    if shape.money and isinstance(value, (int, str)) and not isinstance(value, bool):
        amount = _amount(value, units)
        return value if amount is None else DoubleQuotedScalarString(amount)
    items = value if isinstance(value, CommentedSeq) else [value]
    for item in items:
        model = _model_of(shape, item) if isinstance(item, CommentedMap) else None
        if model is not None:
            column = inner + INDENT if isinstance(value, CommentedSeq) else inner
            _canonical_map(item, model, units, column)
    return value


def _condition(text: str, start: int | None) -> str:
    """A condition's canonical text; folded, a line per top-level operand, when it was
    written as a block or would run past ``WIDTH`` (never inside a flow mapping)."""
    lines = _operands(str(text))
    one = " ".join(lines)
    block = isinstance(text, (FoldedScalarString, LiteralScalarString))
    if len(lines) == 1 or start is None or not (block or start + len(one) > WIDTH):
        return one
    folded = FoldedScalarString(one)
    folded.fold_pos = [sum(len(line) + 1 for line in lines[:i + 1]) - 1
                       for i in range(len(lines) - 1)]
    result: str = folded
    return result


@functools.lru_cache(maxsize=4096)
def _operands(text: str) -> tuple[str, ...]:
    """``format_operands`` of a condition (rulesets repeat their conditions)."""
    return tuple(format_operands(parse_expression(text)))


def _amount(value: int | str, units: int) -> str | None:
    """The amount with the currency's decimals, if that is the same number."""
    try:
        number = Decimal(str(value).strip())
        fixed = number.quantize(Decimal(1).scaleb(-units))
    except InvalidOperation:
        return None
    return format(fixed, "f") if fixed == number and number.is_finite() else None


# ------------------------------------------------------------------- comments

try:  # libyaml scans ~10x faster; the pure-Python scanner gives the same tokens
    from yaml import CSafeLoader as _Scanner
except ImportError:  # pragma: no cover - depends on how PyYAML was built
    from yaml import SafeLoader as _Scanner  # type: ignore[assignment]

_Key = tuple[int, Any]  # (id of the mapping or list, key or index)


@dataclass
class _Placed:
    """Where each comment of the source goes (lines: comment text, or "" for a blank)."""

    before: dict[_Key, list[str]] = field(default_factory=dict)
    eol: dict[_Key, tuple[int, str]] = field(default_factory=dict)  # column, text
    """An end-of-line comment, with the comment lines under it that continue it (aligned
    to its right of the next line's text) as further lines of the text."""
    trailing: list[str] = field(default_factory=list)


@dataclass
class _Source:
    """What scanning a YAML text finds besides its data."""

    comments: dict[int, tuple[int, str]]
    """Line → column and text of the comment on it (0-based); not a ``#`` inside text."""
    blanks: set[int]
    explicit_start: bool = False  # ``---``
    explicit_end: bool = False  # ``...``


def _scan(body: str) -> _Source:
    lines = body.split("\n")
    explicit = {yaml.DocumentStartToken: False, yaml.DocumentEndToken: False}
    covered: dict[int, list[tuple[int, float]]] = {}

    def cover(line: int, start: int, end: float) -> None:
        covered.setdefault(line, []).append((start, end))

    for token in yaml.scan(body, Loader=_Scanner):
        if type(token) in explicit:
            explicit[type(token)] = True
        if not isinstance(token, yaml.ScalarToken):
            continue
        first, last = token.start_mark, token.end_mark
        if token.style in ("|", ">"):
            header = lines[first.line][first.column:].split("#")[0].rstrip()
            cover(first.line, first.column, first.column + len(header))
            end = last.line if lines[last.line][:last.column].strip() else last.line - 1
            if "+" not in header:  # trailing blank lines are not the text's
                while end > first.line and not lines[end].strip():
                    end -= 1
            for row in range(first.line + 1, end + 1):
                cover(row, 0, float("inf"))
        else:
            for row in range(first.line, last.line + 1):
                cover(row, first.column if row == first.line else 0,
                      last.column if row == last.line else float("inf"))
    comments: dict[int, tuple[int, str]] = {}
    blanks: set[int] = set()
    for number, line in enumerate(lines):
        spans = covered.get(number, [])
        if not line.strip():
            if not spans:
                blanks.add(number)
            continue
        at = line.find("#")
        while at >= 0:
            if (at == 0 or line[at - 1] in " \t") and \
                    not any(start <= at < end for start, end in spans):
                comments[number] = (at, line[at:].rstrip())
                break
            at = line.find("#", at + 1)
    return _Source(comments, blanks, explicit[yaml.DocumentStartToken],
                   explicit[yaml.DocumentEndToken])


def _comment_texts(body: str) -> list[str]:
    return [text for _, text in _scan(body).comments.values()]


def _block(node: Any) -> bool:
    return isinstance(node, (CommentedMap, CommentedSeq)) and not _is_flow(node)


def _positions(data: Any) -> list[tuple[int, int, int, Any, Any]]:
    """Every key and list item outside flow collections: (line, depth, order, container,
    key or index), sorted by line, outermost first."""
    found: list[tuple[int, int, int, Any, Any]] = []
    stack: list[tuple[Any, int]] = [(data, 0)]
    while stack:
        node, depth = stack.pop()
        children = []
        for key in (node if isinstance(node, CommentedMap) else range(len(node))):
            line = node.lc.key(key)[0] if isinstance(node, CommentedMap) else \
                node.lc.item(key)[0]
            found.append((line, depth, len(found), node, key))
            if _block(node[key]):
                children.append((node[key], depth + 1))
        stack.extend(reversed(children))
    found.sort(key=lambda item: item[:3])
    return found


def _place_comments(body: str, source: _Source, data: Any) -> _Placed:
    """Each comment line and blank line goes before the first key or item below it
    (the outermost when several start on that line); a comment at the end of a line
    goes with the innermost key or item that starts on it (or on the nearest line
    above); those after the last node stay at the end."""
    comments, blanks = source.comments, source.blanks
    lines = body.split("\n")
    nodes = _positions(data) if _block(data) else []
    starts = [node[0] for node in nodes]
    placed = _Placed()
    continued: _Key | None = None  # the end-of-line comment on the line above
    for number in sorted(set(comments) | blanks):
        column, text = comments.get(number, (0, ""))
        alone = not lines[number][:column].strip() or lines[number].strip() in ("---", "...")
        if alone and text and continued is not None and column > _indent_below(lines, number):
            eol_column, eol_text = placed.eol[continued]
            placed.eol[continued] = (eol_column, f"{eol_text}\n{' ' * column}{text}")
            continue
        continued = None
        if not alone:
            at = bisect.bisect_right(starts, number) - 1
            if at >= 0:
                _, _, _, container, key = nodes[at]
                continued = (id(container), key)
                placed.eol[continued] = (column, text)
                continue
        at = bisect.bisect_right(starts, number)
        if at < len(nodes):
            _, _, _, container, key = nodes[at]
            placed.before.setdefault((id(container), key), []).append(text)
        else:
            placed.trailing.append(text)
    return placed


def _indent_below(lines: list[str], number: int) -> int:
    """The indentation of the first line below ``number`` that is not a comment."""
    for line in lines[number + 1:]:
        text = line.lstrip()
        if text and not text.startswith("#"):
            return len(line) - len(text)
    return 0


def _strip_comments(data: Any) -> None:
    stack = [data]
    while stack:
        node = stack.pop()
        if isinstance(node, (CommentedMap, CommentedSeq)):
            node.ca.comment = None
            node.ca.items.clear()
            node.ca.end = []
            stack.extend(node.values() if isinstance(node, CommentedMap) else node)
        elif isinstance(node, (FoldedScalarString, LiteralScalarString)):
            setattr(node, "comment", None)  # noqa: B010 (a slot the stubs do not declare)


def _token(text: str, column: int) -> CommentToken:
    return CommentToken(f"{text}\n" if text else "\n", CommentMark(column if text else 0), None)


def _collapsed(lines: list[str]) -> list[str]:
    """Runs of blank lines as one."""
    return [line for i, line in enumerate(lines) if line or i == 0 or lines[i - 1]]


def _attach_comments(data: Any, placed: _Placed) -> None:
    """Put the comments back, at the columns of the canonical layout."""
    if not _block(data):
        return
    stack: list[tuple[Any, int]] = [(data, 0)]
    while stack:
        node, column = stack.pop()
        is_map = isinstance(node, CommentedMap)
        children = []
        for key in (node if is_map else range(len(node))):
            value = node[key]
            before = _collapsed(placed.before.get((id(node), key), []))
            eol = placed.eol.get((id(node), key))
            if eol is not None and isinstance(value, (FoldedScalarString, LiteralScalarString)):
                before, eol = before + [eol[1]], None  # a block's first line is its text's
            slots: list[Any] = [None] * 4
            if before:
                slots[1] = [_token(line, column) for line in before]
            if eol is not None:
                slots[2 if is_map else 0] = _token(eol[1], eol[0])
            if before or eol is not None:
                node.ca.items[key] = slots
            if _block(value):
                children.append((value, column + INDENT))
        stack.extend(reversed(children))
    trailing = _collapsed(placed.trailing)
    while trailing and not trailing[-1]:
        trailing.pop()
    if trailing:
        node, key = _last_node(data)
        slot = 2 if isinstance(node, CommentedMap) else 0
        slots = node.ca.items.setdefault(key, [None] * 4)
        eol_token = slots[slot]
        head = eol_token.value.rstrip("\n") if eol_token is not None else ""
        column = eol_token.column if eol_token is not None else 0
        slots[slot] = CommentToken(head + "\n" + "".join(f"{line}\n" for line in trailing),
                                   CommentMark(column), None)


def _last_node(data: Any) -> tuple[Any, Any]:
    node = data
    while True:
        key = list(node)[-1] if isinstance(node, CommentedMap) else len(node) - 1
        if not _block(node[key]) or not node[key]:
            return node, key
        node = node[key]
