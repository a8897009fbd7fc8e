"""Rule tests: sample carts with the outcome a merchandiser expects, run in CI.

They live beside the rulesets, ``rulesets/<name>/tests/*.yaml``; each file is a
list of tests::

    - name: showcase
      ruleset: ../ruleset.yaml            # relative to this file (the default)
      cart: ../carts/example.yaml         # a file relative to this file, or a mapping
      at: "2026-07-15T14:30:00+02:00"     # optional: overrides the cart's `at`
      expect:                             # at least one of:
        subtotal: "238.45"
        total_discount: "59.16"
        total: "179.29"
        shipping: "0.00"                  # the shipping's final price (all the shipments')
        applied: [summer-swim-30, vip-15] # every applied promotion, in order
        rejected: { student-10: group_taken }        # these ids, with these codes
        rejected_coupons: { SUMMER50: coupon_unknown }   # entered codes no promotion took
        lines: { l1: "34.93" }            # these lines' final totals
        shipments: { s-acme: "0.00" }     # these shipments' final prices

``applied`` is the complete ordered list; ``rejected``, ``rejected_coupons``,
``lines`` and ``shipments`` check the entries they name.  Amounts are quoted decimals (or
integers), like every amount in a ruleset.  Usage-store state (``usage:``)
is not supported yet: rule tests are dry runs without a store.

    report = run_tests(["rulesets/"])
    print(format_report(report)); sys.exit(report.exit_code)
"""

from __future__ import annotations

import datetime as dt
import difflib
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Any

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PlainValidator,
    TypeAdapter,
    ValidationError,
    model_validator,
)
from pydantic_core import PydanticCustomError

from dsl import hints
from dsl.codes import BAD_TEST_FILE, TEST_TARGET_MISSING
from dsl.currencies import MINOR_UNITS
from dsl.errors import Diagnostic, InputError, PromoError, Span, attach_source
from dsl.loader import BareDecimal, Document, compose_document, find_yaml_files, read_source
from dsl.records import record
from dsl.ruleset import analyze_file
from dsl.validation import ValidationCodes, validation_diagnostics
from dsl.values import normalise_code, parse_decimal

from .. import cart as carts
from ..program import Program, compile_ruleset
from ..reasons import REASONS
from ..result import Result
from .select import Selector

TESTS_DIR = "tests"

_CODES = ValidationCodes(missing=BAD_TEST_FILE, unknown=BAD_TEST_FILE, invalid=BAD_TEST_FILE)


# ------------------------------------------------------------------ the file


def _amount(value: Any) -> Decimal:
    if isinstance(value, (BareDecimal, float)):
        raise PydanticCustomError(BAD_TEST_FILE, "amount {value} is written as a bare number; "
                                  "quote it (\"{value}\") like every amount",
                                  {"value": str(value)})
    try:
        return parse_decimal(value, "an amount")
    except PydanticCustomError as err:
        raise PydanticCustomError(BAD_TEST_FILE, err.message()) from None


def _reason(value: Any) -> str:
    if not isinstance(value, str) or value not in REASONS:
        close = difflib.get_close_matches(str(value), list(REASONS), n=1)
        hint = f"; did you mean '{close[0]}'?" if close else \
            " (see the reason codes in the README)"
        raise PydanticCustomError(BAD_TEST_FILE, "'{value}' is not a reason code{hint}",
                                  {"value": str(value), "hint": hint})
    return value


def _moment(value: Any) -> dt.datetime:
    if isinstance(value, str):
        try:
            return dt.datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
        except ValueError:
            pass
    raise PydanticCustomError(BAD_TEST_FILE, "at: expected an ISO-8601 date and time such as "
                              "\"2026-07-15T14:30:00+02:00\", got '{value}'",
                              {"value": str(value)})


Amount = Annotated[Decimal, PlainValidator(_amount)]
Reason = Annotated[str, PlainValidator(_reason)]
Moment = Annotated[dt.datetime, PlainValidator(_moment)]
Text = Annotated[str, Field(strict=True, min_length=1)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Expect(_Strict):
    """What the evaluation must give; only the fields written are checked."""

    subtotal: Amount | None = None
    total_discount: Amount | None = None
    total: Amount | None = None
    shipping: Amount | None = None
    applied: list[Text] | None = None
    rejected: dict[str, Reason] | None = None
    rejected_coupons: dict[str, Reason] | None = None
    lines: dict[str, Amount] | None = None
    shipments: dict[str, Amount] | None = None

    @model_validator(mode="after")
    def _something(self) -> Expect:
        if all(getattr(self, name) is None for name in type(self).model_fields):
            raise PydanticCustomError(BAD_TEST_FILE, "expect needs at least one of: "
                                      + ", ".join(type(self).model_fields))
        return self


class Case(_Strict):
    """One rule test as written."""

    name: Text
    ruleset: Text = "../ruleset.yaml"
    cart: Text | dict[str, Any]
    at: Moment | None = None
    expect: Expect


_FILE = TypeAdapter(list[Case])


@record
class RuleTest:
    """A rule test ready to run: where it is written and what it refers to."""

    __test__ = False  # not a pytest class

    name: str
    file: str
    span: Span
    case: Case
    ruleset_path: Path
    index: int


# ---------------------------------------------------------------- the report


@record
class Difference:
    """One expectation that did not hold."""

    what: str
    expected: str
    actual: str


@dataclass
class TestResult:
    """A test that ran: passed when there is no difference."""

    __test__ = False

    test: RuleTest
    differences: list[Difference] = field(default_factory=list)
    seconds: float = 0.0  # reading the cart and evaluating it
    outcome: Result | None = None  # what the evaluation gave (for --update)

    @property
    def passed(self) -> bool:
        return not self.differences


@dataclass
class TestReport:
    """Every test file looked at, every result, and the files that were invalid."""

    __test__ = False

    files: list[str] = field(default_factory=list)
    results: list[TestResult] = field(default_factory=list)
    errors: list[Diagnostic] = field(default_factory=list)
    deselected: int = 0  # tests that -k left out

    @property
    def passed(self) -> int:
        return sum(1 for r in self.results if r.passed)

    @property
    def failed(self) -> int:
        return sum(1 for r in self.results if not r.passed)

    @property
    def ok(self) -> bool:
        return not self.errors and not self.failed

    @property
    def exit_code(self) -> int:
        """0 all passed, 1 a test failed, 2 a test file (or what it names) is invalid."""
        return 2 if self.errors else (1 if self.failed else 0)


# ---------------------------------------------------------------- discovery


def discover_tests(paths: list[str | Path] | tuple[str | Path, ...]) -> list[Path]:
    """Test files named by ``paths``: files as given; in directories, every
    ``*.yaml`` / ``*.yml`` inside a ``tests/`` folder."""
    return find_yaml_files(paths, lambda root, folders: TESTS_DIR in (root.name, *folders))


def load_test_file(path: str | Path) -> tuple[list[RuleTest], list[Diagnostic]]:
    """The tests of one file, or the diagnostics that make it invalid."""
    path = Path(path)
    try:
        source = read_source(path)
    except (OSError, UnicodeDecodeError) as err:
        reason = err.strerror if isinstance(err, OSError) and err.strerror else str(err)
        return [], [Diagnostic(BAD_TEST_FILE, f"cannot read test file: {reason}",
                               Span(str(path), 1, 1))]
    except PromoError as err:
        return [], err.diagnostics
    doc, diagnostics = compose_document(source)
    if doc is None or diagnostics:
        return [], attach_source(diagnostics, source.lines)
    if not isinstance(doc.data, list):
        where = doc.position(()).value
        return [], attach_source([Diagnostic(
            BAD_TEST_FILE, "a rule test file is a list of tests: - name: ..., cart: ..., "
            "expect: ...", where, hint=hints.other_file(doc.data))], source.lines)
    try:
        cases = _FILE.validate_python(doc.data)
    except ValidationError as err:
        return [], attach_source(validation_diagnostics(doc, err, _CODES), source.lines)
    tests, problems = [], []
    seen: dict[str, int] = {}
    for index, case in enumerate(cases):
        span = doc.position((index, "name")).value
        if case.name in seen:
            problems.append(Diagnostic(BAD_TEST_FILE, f"duplicate test name '{case.name}' "
                                       f"(first at line {seen[case.name]})", span))
            continue
        seen[case.name] = span.line
        tests.append(RuleTest(case.name, str(path), span, case,
                              _beside(path, case.ruleset), index))
    return tests, attach_source(problems, source.lines)


def _beside(test_file: Path, relative: str) -> Path:
    """A path written in a test file, relative to it (``..`` resolved for display)."""
    return Path(os.path.normpath(test_file.parent / relative))


# ------------------------------------------------------------------ running


@dataclass
class _Runner:
    programs: dict[Path, Program | list[Diagnostic]] = field(default_factory=dict)
    documents: dict[str, Document] = field(default_factory=dict)

    def program(self, test: RuleTest, doc: Document) -> Program | list[Diagnostic]:
        path = test.ruleset_path
        key = path.resolve()
        if key not in self.programs:
            if not path.is_file():
                where = doc.position((test.index, "ruleset")).value \
                    if (test.index, "ruleset") in doc.positions else test.span
                self.programs[key] = [Diagnostic(
                    TEST_TARGET_MISSING, f"test '{test.name}': no ruleset at {path} (the path is "
                    "relative to the test file)", where)]
            else:
                analysis = analyze_file(path)
                self.programs[key] = compile_ruleset(analysis.ruleset) \
                    if analysis.ruleset is not None else analysis.diagnostics
        return self.programs[key]

    def cart(self, test: RuleTest, doc: Document, program: Program) -> carts.Cart:
        raw = test.case.cart
        if isinstance(raw, str):
            path = _beside(Path(test.file), raw)
            if not path.is_file():
                raise InputError(f"test '{test.name}': no cart at {path} (the path is "
                                 "relative to the test file)",
                                 doc.position((test.index, "cart")).value, code=TEST_TARGET_MISSING)
            return carts.load_cart(path)
        prefix = (test.index, "cart")
        inner = Document(raw, {p[2:]: pos for p, pos in doc.positions.items()
                               if p[:2] == prefix}, doc.source)
        currency = raw.get("currency")
        context = {"minor_units": MINOR_UNITS.get(currency) if isinstance(currency, str)
                   else None}
        try:
            return carts.Cart.model_validate(raw, context=context)
        except ValidationError as err:
            raise carts.CartError(attach_source(
                validation_diagnostics(inner, err, carts.validation_codes()),
                doc.source.lines)) from None


Observer = Callable[[RuleTest, Program, carts.Cart, Result], None]
"""Called with every test that ran, its program, its cart and the result (coverage)."""


def run_tests(paths: list[str | Path] | tuple[str | Path, ...] = ("rulesets",),
              select: Selector | None = None, observe: Observer | None = None) -> TestReport:
    """Run every rule test under ``paths`` (default ``rulesets/``); with ``select``,
    only the tests it chooses (``select(name, file)``, see ``select.parse_selection``)."""
    report = TestReport()
    runner = _Runner()
    for path in discover_tests(paths):
        report.files.append(str(path))
        tests, problems = load_test_file(path)
        report.errors.extend(problems)
        if not tests:
            continue
        doc, _ = compose_document(read_source(path))
        assert doc is not None
        for test in tests:
            if select is not None and not select(test.name, test.file):
                report.deselected += 1
                continue
            program = runner.program(test, doc)
            if isinstance(program, list):
                _add_errors(report, program, doc)
                continue
            started = time.perf_counter()
            try:
                cart = runner.cart(test, doc, program)
                result = program.evaluate(cart, test.case.at)
            except PromoError as err:
                _add_errors(report, err.diagnostics, doc)
                continue
            seconds = time.perf_counter() - started
            report.results.append(TestResult(test, compare(test.case.expect, result),
                                             seconds, result))
            if observe is not None:
                observe(test, program, cart, result)
    return report


def _add_errors(report: TestReport, found: list[Diagnostic], doc: Document) -> None:
    """Record errors once; those in the test file get its source line for the caret."""
    name = doc.source.name
    here = [d for d in found if d.span is None or d.span.file == name]
    elsewhere = [d for d in found if d not in here]
    for d in attach_source(here, doc.source.lines) + elsewhere:
        if d not in report.errors:
            report.errors.append(d)


# ---------------------------------------------------------------- comparing


def _money(value: Decimal | None) -> str:
    return "(none)" if value is None else format(value, "f")


def compare(expect: Expect, result: Result) -> list[Difference]:
    """Every expectation that ``result`` does not meet."""
    out: list[Difference] = []

    def amount(what: str, wanted: Decimal | None, got: Decimal | None) -> None:
        if wanted is not None and (got is None or wanted != got):
            out.append(Difference(what, _money(wanted), _money(got)))

    amount("subtotal", expect.subtotal, result.subtotal)
    amount("total_discount", expect.total_discount, result.total_discount)
    amount("total", expect.total, result.total)
    amount("shipping", expect.shipping, result.shipping_final
           if result.shipping is not None or result.shipments is not None else None)
    applied = result.applied_ids()
    if expect.applied is not None and expect.applied != applied:
        out.append(Difference("applied", _list(expect.applied), _list(applied)))
    for promotion, code in (expect.rejected or {}).items():
        rejection = result.rejection(promotion)
        if rejection is None:
            got = "applied" if promotion in applied else "not in the result (no such promotion?)"
        else:
            got = rejection.code
        if got != code:
            out.append(Difference(f"rejected.{promotion}", code, got))
    for entered, code in (expect.rejected_coupons or {}).items():
        wanted = normalise_code(entered)
        matches = [r for r in result.rejected
                   if r.coupon and normalise_code(r.coupon) == wanted]
        alone = next((r for r in matches if r.promotion is None), None)
        if alone is not None:
            got = alone.code
        elif matches:
            got = f"taken by {matches[0].promotion} ({matches[0].code})"
        else:
            got = "not rejected"
        if got != code:
            out.append(Difference(f"rejected_coupons.{entered}", code, got))
    finals = {line.id: line.final_total for line in result.lines}
    for line_id, wanted_total in (expect.lines or {}).items():
        if line_id not in finals:
            out.append(Difference(f"lines.{line_id}", _money(wanted_total), "(no such line)"))
        else:
            amount(f"lines.{line_id}", wanted_total, finals[line_id])
    shipped = {shipment.id: shipment.final for shipment in result.shipments or ()}
    for shipment_id, wanted_final in (expect.shipments or {}).items():
        if shipment_id not in shipped:
            out.append(Difference(f"shipments.{shipment_id}", _money(wanted_final),
                                  "(no such shipment)"))
        else:
            amount(f"shipments.{shipment_id}", wanted_final, shipped[shipment_id])
    return out


def _list(items: list[str]) -> str:
    return "[" + ", ".join(items) + "]"


# -------------------------------------------------------------------- output


def format_report(report: TestReport) -> str:
    """One line per test, a diff under each failure, invalid files, the closing count."""
    out: list[str] = []
    for result in report.results:
        test = result.test
        where = f"({test.file}:{test.span.line})"
        out.append(f"{'PASS' if result.passed else 'FAIL'} {test.name}  {where}")
        out.extend(describe_differences(result))
    if report.errors:
        if out:
            out.append("")
        for diagnostic in sorted(report.errors, key=Diagnostic.sort_key):
            out.append(diagnostic.render())
        files = len({d.span.file for d in report.errors if d.span})
        out.append(f"error: {files} rule test file{'s' if files != 1 else ''} could not be "
                   "run (see above)")
    if not report.files:
        out.append("no rule tests found")
    out.append(f"{report.passed} passed, {report.failed} failed"
               + (f", {report.deselected} deselected" if report.deselected else ""))
    return "\n".join(out) + "\n"


def describe_differences(result: TestResult) -> list[str]:
    """The failure's diff, indented: one line per expectation that did not hold."""
    if result.passed:
        return []
    out: list[str] = []
    width = max(len(d.what) for d in result.differences)
    for d in result.differences:
        if d.what == "applied":
            out.append(f"    {d.what:<{width}}  expected {d.expected}")
            out.append(f"    {'':<{width}}  actual   {d.actual}")
            out.extend(_list_diff(d.expected, d.actual, width))
        else:
            out.append(f"    {d.what:<{width}}  expected {d.expected}, actual {d.actual}")
    return out


def _list_diff(expected: str, actual: str, width: int) -> list[str]:
    """``- id`` expected but not applied, ``+ id`` applied but not expected."""
    want = [x for x in expected.strip("[]").split(", ") if x]
    got = [x for x in actual.strip("[]").split(", ") if x]
    pad = f"    {'':<{width}}  "
    lines = [f"{pad}- {x}  (expected, not applied)" for x in want if x not in got]
    lines += [f"{pad}+ {x}  (applied, not expected)" for x in got if x not in want]
    if not lines:
        lines.append(f"{pad}(the same promotions in another order)")
    return lines
