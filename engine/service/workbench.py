"""The playground's work on texts a person is typing: lint them, price them, say where.

Nothing here is stored or shared between requests: a ruleset and a cart
arrive as text, are loaded with every cap the engine applies to files (size,
nodes, depth, the cart's bounds), and the answer points into those texts by
line and column.  The same text loads once (``dsl.ruleset.load_ruleset_text``
keeps a few recent ones, and the engine compiles each once), so an edit to
the cart alone prices without loading the ruleset again.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from dsl.errors import Diagnostic, PromoError
from dsl.lint import lint_analysis
from dsl.loader import Document, SourceFile, compose_document, read_source
from dsl.ruleset import analyze_source, load_ruleset_text

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


def lint_texts(ruleset: str, cart: str | None, now: dt.datetime | None) -> Linted:
    """Every diagnostic of the ruleset (loading errors, then the lint rules as of ``now``)
    and of the cart (loading errors), in text order."""
    analysis = analyze_source(SourceFile(RULESET_NAME, ruleset))
    linted = Linted([diagnostic_dict(d, "ruleset") for d in lint_analysis(analysis, now=now)],
                    _spans(analysis.document, "promotions"))
    if cart is not None:
        try:
            load_cart_text(cart, name=CART_NAME)
        except PromoError as err:
            linted.diagnostics.extend(diagnostic_dict(d, "cart") for d in err.diagnostics)
        linted.cart_lines = cart_lines(cart)
    return linted


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
    problems: list[dict[str, Any]] = []
    rules = loaded_cart = None
    try:
        rules = load_ruleset_text(ruleset, name=RULESET_NAME)
    except PromoError as err:
        problems.extend(diagnostic_dict(d, "ruleset") for d in err.diagnostics)
    try:
        loaded_cart = load_cart_text(cart, name=CART_NAME)
    except PromoError as err:
        problems.extend(diagnostic_dict(d, "cart") for d in err.diagnostics)
    if problems or rules is None or loaded_cart is None:
        raise TextsInvalid(problems)
    program = compile_ruleset(rules)
    if explain:
        trace, result = explain_cart(program, loaded_cart, at)
        return Priced(result, loaded_cart, promotion_lines(ruleset), cart_lines(cart),
                      trace.to_dict())
    result = program.evaluate(loaded_cart, at)
    return Priced(result, loaded_cart, promotion_lines(ruleset), cart_lines(cart))


@functools.lru_cache(maxsize=16)
def promotion_lines(text: str) -> dict[str, dict[str, int]]:
    """Promotion id → the lines of the ruleset text it is written on (kept for the few
    latest texts, like the rulesets loaded from them: an edit to the cart reuses it)."""
    doc, _ = compose_document(SourceFile(RULESET_NAME, text))
    return _spans(doc, "promotions")


@dataclass(frozen=True)
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
