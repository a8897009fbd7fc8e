"""YAML text → validated ``Ruleset``: the DSL pipeline in one place.

    text ─compose_document→ Document ─parse conditions→ Document with Conditions
         ─pydantic (model.Ruleset)→ Ruleset

Every stage collects what it finds, so a file with five mistakes reports
five diagnostics.  ``load_ruleset`` raises them together as one
``RulesetError``; ``analyze_source`` returns them for the linter.
"""

from __future__ import annotations

import functools
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from . import hints, loader
from .codes import (
    COUPON_BATCH_FIELDS,
    DUPLICATE_PROMOTION_ID,
    NOT_A_MAPPING,
    NOT_A_RULESET,
    UNREADABLE,
)
from .couponbatch import CodePattern, default_pattern
from .decimal_context import in_decimal_context
from .errors import (
    Diagnostic,
    ExpressionError,
    PromoError,
    RulesetError,
    Span,
    attach_source,
)
from .expr.check import check_condition
from .expr.nodes import Node
from .expr.parser import parse_expression
from .expr.types import Context
from .gc_pause import gc_paused
from .loader import (
    Document,
    Path_,
    SourceFile,
    compose_document,
    read_source,
)
from .locate import expression_location
from .model import CONDITION_FIELDS, Ruleset, values_at
from .validation import validation_diagnostics
from .values import Condition


@dataclass
class Analysis:
    """What loading one source found: the ruleset (if valid) and every diagnostic."""

    source: SourceFile
    ruleset: Ruleset | None
    diagnostics: list[Diagnostic] = field(default_factory=list)
    document: Document | None = None
    """The positioned document (when the YAML parsed): where every node sits."""

    @property
    def ok(self) -> bool:
        return self.ruleset is not None


# ----------------------------------------------------------- conditions


def _condition_sites(data: Any) -> list[tuple[Path_, Context]]:
    """Paths of every condition text in raw data (``CONDITION_FIELDS`` of each
    promotion), and what each is about."""
    sites: list[tuple[Path_, Context]] = []
    promotions = data.get("promotions") if isinstance(data, dict) else None
    if not isinstance(promotions, list):
        return sites
    for index, promo in enumerate(promotions):
        for fields, context in CONDITION_FIELDS:
            for path, value in values_at(promo, fields):
                if isinstance(value, str):
                    sites.append((("promotions", index, *path), context))
    return sites


@functools.lru_cache(maxsize=4096)
def _parse_and_check(text: str, context: Context,
                     ) -> tuple[Node | None, tuple[ExpressionError, ...]]:
    """Parse and check one condition; memoised, since rulesets repeat conditions
    (nodes are frozen and their spans are relative to the expression)."""
    try:
        node = parse_expression(text)
    except ExpressionError as err:
        return None, (err,)
    return node, tuple(check_condition(node, context))


def _parse_conditions(doc: Document) -> tuple[dict[Path_, Condition], list[Diagnostic]]:
    """Every condition of the document parsed and checked, by path; and their errors."""
    parsed: dict[Path_, Condition] = {}
    diagnostics = []
    for path, context in _condition_sites(doc.data):
        text: str = _at(doc.data, path)
        node, errors = _parse_and_check(text, context)
        for err in errors:
            where = err.span or Span("<expr>", 1, 1)
            span = expression_location(doc, path, where.line, where.col)
            width = (where.end_col - where.col) if where.end_col and \
                where.end_line == where.line else None
            if width:
                span = Span(span.file, span.line, span.col, span.line, span.col + width,
                            span.expr_col)
            diagnostics.append(Diagnostic(err.code, err.message, span, hint=err.hint))
        parsed[path] = Condition(text, None if errors else node, doc.position(path).value)
    return parsed, diagnostics


def _at(data: Any, path: Path_) -> Any:
    for part in path:
        data = data[part]
    return data


def _with_conditions(data: Any, parsed: dict[Path_, Condition]) -> Any:
    """The document's data for the model, with each condition text replaced by its
    parsed ``Condition``: containers on the way are copied, the document is left as
    it was read."""
    if not parsed:
        return data
    out = dict(data)
    for path, condition in parsed.items():
        parent: Any = out
        for part in path[:-1]:
            child = parent[part]
            parent[part] = child = list(child) if isinstance(child, list) else dict(child)
            parent = child
        parent[path[-1]] = condition
    return out


def _duplicate_ids(doc: Document) -> list[Diagnostic]:
    """A promotion id used twice: usage, budgets, reservations and reasons are keyed by it."""
    promotions = doc.data.get("promotions")
    if not isinstance(promotions, list):
        return []
    first: dict[str, Path_] = {}
    out = []
    for index, promo in enumerate(promotions):
        pid = promo.get("id") if isinstance(promo, dict) else None
        if not isinstance(pid, str):
            continue
        path: Path_ = ("promotions", index, "id")
        if pid in first:
            earlier = doc.position(first[pid]).value
            out.append(Diagnostic(
                DUPLICATE_PROMOTION_ID,
                f"promotion id '{pid}' is already used at line {earlier.line}, column "
                f"{earlier.col}", doc.position(path).value,
                hint="usage limits, budgets, reservations and reasons are keyed by id: "
                     "give each promotion its own"))
        else:
            first[pid] = path
    return out


def _shared_batches(doc: Document) -> list[Diagnostic]:
    """Two batch promotions one code could belong to: the same batch, or patterns that
    overlap (an entered code finds its promotion by its pattern)."""
    promotions = doc.data.get("promotions")
    if not isinstance(promotions, list):
        return []
    seen: list[tuple[str, CodePattern, int]] = []
    out = []
    for index, promo in enumerate(promotions):
        batch = promo.get("coupon_batch") if isinstance(promo, dict) else None
        written = promo.get("coupon_pattern") if isinstance(promo, dict) else None
        if not isinstance(batch, str) or not isinstance(written, (str, type(None))):
            continue
        pattern = CodePattern(written or default_pattern(batch))
        for other, other_pattern, at in seen:
            same = other.casefold() == batch.casefold()
            if same or pattern.overlaps(other_pattern):
                line = doc.position(("promotions", at, "coupon_batch")).value.line
                what = f"the batch {other}" if same else \
                    f"codes of the pattern {other_pattern.text} (batch {other})"
                key = "coupon_batch" if same or written is None else "coupon_pattern"
                out.append(Diagnostic(
                    COUPON_BATCH_FIELDS, f"the promotion at line {line} already takes {what}",
                    doc.position(("promotions", index, key)).value,
                    hint="give each batch promotion its own batch and a pattern no other "
                         "batch's code fits (another literal prefix)"))
                break
        seen.append((batch, pattern, index))
    return out


def _minor_units(data: Any) -> int | None:
    from .currencies import MINOR_UNITS

    currency = data.get("currency") if isinstance(data, dict) else None
    return MINOR_UNITS.get(currency) if isinstance(currency, str) else None


@in_decimal_context  # (a gift's value is a product of amounts, checked against the maximum)
def analyze_source(source: SourceFile) -> Analysis:
    """Run the whole DSL pipeline on one source, collecting every diagnostic."""
    with gc_paused():
        return _analyze(source)


def _analyze(source: SourceFile) -> Analysis:
    doc, diagnostics = compose_document(source)
    ruleset = None
    if doc is not None:
        if (found_else := hints.not_a_ruleset(doc.data)) is not None:
            message, hint = found_else
            diagnostics.append(Diagnostic(NOT_A_RULESET, message, doc.position(()).value,
                                          hint=hint))
        elif not isinstance(doc.data, dict):
            diagnostics.append(Diagnostic(NOT_A_MAPPING, "a ruleset is a mapping with "
                                          "ruleset:, dsl:, currency:, stacking:, "
                                          "promotions: ...", doc.position(()).value))
        else:
            parsed, found = _parse_conditions(doc)
            diagnostics.extend(found)
            diagnostics.extend(_duplicate_ids(doc))
            diagnostics.extend(_shared_batches(doc))
            try:
                ruleset = Ruleset.model_validate(
                    _with_conditions(doc.data, parsed),
                    context={"minor_units": _minor_units(doc.data)})
            except ValidationError as err:
                diagnostics.extend(validation_diagnostics(doc, err, model=Ruleset))
    unique = list(dict.fromkeys(diagnostics))
    unique = sorted(attach_source(unique, source.lines), key=Diagnostic.sort_key)
    if unique:
        ruleset = None
    elif ruleset is not None:
        ruleset._source = source
    return Analysis(source, ruleset, unique, doc)


def analyze_file(path: str | Path) -> Analysis:
    """``analyze_source`` for a file; an unreadable file is a diagnostic too."""
    try:
        source = read_source(path)
    except (OSError, UnicodeDecodeError) as err:
        reason = err.strerror if isinstance(err, OSError) and err.strerror else str(err)
        source = SourceFile(str(path), "")
        return Analysis(source, None, [Diagnostic(UNREADABLE, f"cannot read file: {reason}",
                                                  Span(str(path), 1, 1))])
    except PromoError as err:  # the size cap
        return Analysis(SourceFile(str(path), ""), None, err.diagnostics)
    return analyze_source(source)


def load_ruleset(path: str | Path) -> Ruleset:
    """Load and validate the ruleset in the file at ``path``.

    Raises ``RulesetError`` holding every diagnostic when anything is wrong
    (an unreadable file included)."""
    if not isinstance(path, (str, os.PathLike)):
        raise TypeError(f"load_ruleset takes a path; for text use load_ruleset_text "
                        f"(got {type(path).__name__})")
    try:
        read = read_source(path)
    except (OSError, UnicodeDecodeError, PromoError):
        raise RulesetError(analyze_file(path).diagnostics) from None
    return _load_text(read.name, read.text, _limits())


def load_ruleset_text(text: str, *, name: str = "<string>") -> Ruleset:
    """Load and validate the ruleset written in ``text``; ``name`` is where errors
    say it is.  Raises ``RulesetError`` holding every diagnostic."""
    return _load_text(name, text, _limits())


def _limits() -> tuple[int, ...]:
    return loader.MAX_BYTES, loader.MAX_NODES, loader.MAX_DEPTH


@functools.lru_cache(maxsize=16)
def _load_text(name: str, text: str, limits: tuple[int, ...]) -> Ruleset:
    """A ruleset is immutable, so the same text under the same name (and the same
    loading limits) loads once: a service reloading an unchanged file gets the same
    object, and with it the engine's compiled form (``engine.compile_ruleset``)."""
    analysis = analyze_source(SourceFile(name, text))
    if analysis.ruleset is None:
        raise RulesetError(analysis.diagnostics)
    return analysis.ruleset
