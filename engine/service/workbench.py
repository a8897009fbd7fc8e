"""The playground's work on texts a person is typing: lint them, price them, say where.

A ruleset and a cart arrive as text with each request, are loaded with every
cap the engine applies to files (size, nodes, depth, the cart's bounds), and
the answer points into those texts by line and column.  Nothing is stored but
a memory of the last few texts: the page sends each edit to lint and to
evaluate at once, and the ruleset is analysed once for both (``analysed``;
the engine compiles each loaded ruleset once), so an edit to the cart alone
prices without loading the ruleset again.
"""

from __future__ import annotations

import datetime as dt
import functools
import threading
from collections import OrderedDict
from collections.abc import Iterable
from concurrent.futures import Future
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from dsl.codes import UNEXPECTED
from dsl.errors import Diagnostic, PromoError
from dsl.lint import lint_analysis
from dsl.loader import Document, SourceFile, compose_document, read_source
from dsl.records import record
from dsl.ruleset import Analysis, analyze_source

from ..cart import CART_CAPS, Cart, load_cart_text
from ..program import compile_ruleset
from ..result import Result
from ..trace import explain_cart

RULESET_NAME = "ruleset.yaml"
CART_NAME = "cart.yaml"
SAMPLE_SUFFIXES = (".yaml", ".yml", ".json")
MAX_SAMPLES = 50
"""Sample carts listed per ruleset (a directory of thousands is not a menu)."""


def diagnostic_dict(diagnostic: Diagnostic, document: str) -> dict[str, Any]:
    """A diagnostic as the page shows it: which text, code, severity, message and where
    (1-based line and column; the end when known)."""
    span = diagnostic.span
    line, column = (span.line, span.col) if span is not None else (1, 1)
    end_line = span.end_line if span is not None and span.end_line else line
    end_column = span.end_col if span is not None and span.end_col else column + 1
    return {"document": document, "path": f"$.{document}", "code": diagnostic.code,
            "severity": diagnostic.severity.value, "message": diagnostic.message,
            "hint": diagnostic.hint, "line": line, "column": column,
            "end_line": end_line, "end_column": end_column}


def _extent(doc: Document, prefix: tuple[Any, ...]) -> dict[str, int]:
    """The lines ``prefix`` (a mapping in a list) covers: from its first key to the last
    line of anything inside it (a mapping's own span marks only where it starts)."""
    start = doc.positions[prefix].value.line
    end = start
    size = len(prefix)
    for path, position in doc.positions.items():
        if path[:size] == prefix:
            span = position.value
            last = span.end_line or span.line
            if span.end_col == 1 and last > span.line:
                last -= 1  # a block scalar ends at the start of the next line
            end = max(end, last)
    return {"line": start, "end_line": end}


def _spans(doc: Document | None, key: str) -> dict[str, dict[str, int]]:
    """Id → lines, for each mapping with an ``id`` in the document's list ``key``."""
    if doc is None or not isinstance(doc.data, dict):
        return {}
    items = doc.data.get(key)
    if not isinstance(items, list):
        return {}
    found: dict[str, dict[str, int]] = {}
    for index, item in enumerate(items):
        if isinstance(item, dict) and isinstance(item.get("id"), str) and \
                (key, index) in doc.positions:
            found.setdefault(item["id"], _extent(doc, (key, index)))
    return found


@dataclass
class Linted:
    """What the linter says about both texts, and where each promotion and line is."""

    diagnostics: list[dict[str, Any]] = field(default_factory=list)
    promotions: dict[str, dict[str, int]] = field(default_factory=dict)
    cart_lines: dict[str, dict[str, int]] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {"diagnostics": self.diagnostics, "promotions": self.promotions,
                "cart_lines": self.cart_lines}


KEEP = 4
"""Ruleset texts whose analysis is kept: the page sends each text to lint and to evaluate
at once, and a person goes back and forth between a few versions."""
_ANALYSES: OrderedDict[str, Future[Analysis]] = OrderedDict()
_ANALYSES_LOCK = threading.Lock()


def analysed(text: str) -> Analysis:
    """The ruleset text loaded, with every diagnostic (``dsl.ruleset.analyze_source``),
    worked out once for concurrent requests with the same text and kept for the
    ``KEEP`` latest texts."""
    with _ANALYSES_LOCK:
        future = _ANALYSES.get(text)
        mine = future is None
        if future is None:
            future = _ANALYSES[text] = Future()
            while len(_ANALYSES) > KEEP:
                _ANALYSES.popitem(last=False)
        else:
            _ANALYSES.move_to_end(text)
    if mine:
        try:
            future.set_result(analyze_source(SourceFile(RULESET_NAME, text)))
        except BaseException as err:  # (a bug): the waiting request sees it too
            with _ANALYSES_LOCK:
                _ANALYSES.pop(text, None)
            future.set_exception(err)
    return future.result()


def lint_texts(ruleset: str, cart: str | None, now: dt.datetime | None) -> Linted:
    """Every diagnostic of the ruleset (loading errors, then the lint rules as of ``now``)
    and of the cart (loading errors), in text order."""
    analysis = analysed(ruleset)
    linted = Linted([diagnostic_dict(d, "ruleset") for d in lint_analysis(analysis, now=now)],
                    _spans(analysis.document, "promotions"))
    if cart is not None:
        try:
            _cart(cart)
        except PromoError as err:
            linted.diagnostics.extend(diagnostic_dict(d, "cart") for d in err.diagnostics)
        linted.cart_lines = cart_lines(cart)
    return linted


@functools.lru_cache(maxsize=KEEP)
def _cart(text: str) -> Cart:
    """The cart in the text (kept for a few texts: an edit to the ruleset alone reuses
    it); a cart that does not load raises ``CartError`` (not kept)."""
    return load_cart_text(text, name=CART_NAME)


@functools.lru_cache(maxsize=KEEP)
def cart_lines(text: str) -> dict[str, dict[str, int]]:
    """Line id → the lines of the cart text it is written on."""
    try:
        doc, _ = compose_document(SourceFile(CART_NAME, text), CART_CAPS)
    except PromoError:
        return {}
    return _spans(doc, "lines")


class TextsInvalid(Exception):
    """The ruleset or the cart does not load: every diagnostic, each naming its text."""

    def __init__(self, diagnostics: list[dict[str, Any]]) -> None:
        super().__init__(f"{diagnostics[0]['document']}:{diagnostics[0]['line']}:"
                         f"{diagnostics[0]['column']}: {diagnostics[0]['message']}")
        self.diagnostics = diagnostics


@dataclass
class Priced:
    """A result, with the cart it priced and where its promotions and lines are written."""

    result: Result
    cart: Cart
    promotions: dict[str, dict[str, int]]
    cart_lines: dict[str, dict[str, int]]
    trace: dict[str, Any] | None = None

    def to_dict(self) -> dict[str, Any]:
        data = {"result": self.result.to_dict(), "promotions": self.promotions,
                "cart_lines": self.cart_lines}
        if self.trace is not None:
            data["explain"] = self.trace
        return data


def price_texts(ruleset: str, cart: str, at: dt.datetime | None,
                explain: bool = False) -> Priced:
    """Load both texts and evaluate (a dry run: no usage store); with ``explain``, record
    the trace of every promotion while pricing (``engine.trace``).  ``TextsInvalid``
    when either text does not load, with the diagnostics of both."""
    analysis = analysed(ruleset)
    problems = [diagnostic_dict(d, "ruleset") for d in analysis.diagnostics
                if analysis.ruleset is None]
    loaded_cart = None
    try:
        loaded_cart = _cart(cart)
    except PromoError as err:
        problems.extend(diagnostic_dict(d, "cart") for d in err.diagnostics)
    if problems or analysis.ruleset is None or loaded_cart is None:
        raise TextsInvalid(problems or [diagnostic_dict(
            Diagnostic(UNEXPECTED, "the ruleset did not load"), "ruleset")])
    program = compile_ruleset(analysis.ruleset)
    where = _spans(analysis.document, "promotions")
    if explain:
        trace, result = explain_cart(program, loaded_cart, at)
        return Priced(result, loaded_cart, where, cart_lines(cart), trace.to_dict())
    result = program.evaluate(loaded_cart, at)
    return Priced(result, loaded_cart, where, cart_lines(cart))


@record
class Sample:
    """A sample cart offered beside a served ruleset."""

    name: str
    path: Path
    given: bool = False  # named on the command line (``promo play RULESET CART``)


def samples_of(ruleset_path: Path, extra: Iterable[Path] = ()) -> list[Sample]:
    """The sample carts of a ruleset: the files in the ``carts/`` folder beside its file
    (the layout of ``rulesets/<name>/``), and any cart named on the command line."""
    found = [Sample(p.name, p, given=True) for p in extra]
    folder = ruleset_path.parent / "carts"
    if folder.is_dir():
        files = sorted(p for p in folder.iterdir()
                       if p.suffix in SAMPLE_SUFFIXES and p.is_file())
        names = {s.name for s in found}
        found.extend(Sample(p.name, p) for p in files if p.name not in names)
    return found[:MAX_SAMPLES]


def read_text(path: Path) -> str | None:
    """A sample's text, or ``None`` when it cannot be read (it is then not offered)."""
    try:
        return read_source(path).text
    except (OSError, UnicodeDecodeError, PromoError):
        return None
