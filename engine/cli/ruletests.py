"""``promo test``: run the rule tests beside the rulesets."""

from __future__ import annotations

import json
import sys
from typing import TYPE_CHECKING, Any

import click

from . import common
from .common import handles_errors

if TYPE_CHECKING:
    from ..ruletests.coverage import Coverage
    from ..ruletests.runner import TestReport


@click.command(name="test")
@click.argument("paths", nargs=-1, type=common.Path())
@click.option("--format", "fmt", type=click.Choice(["text", "json", "junit"]), default="text",
              show_default=True, help="Output format: text for people, json, junit (JUnit XML "
              "for CI test reports).")
@click.option("-k", "--keyword", "keyword", metavar="EXPR", default="",
              help="Run only the tests whose name or file contains these words, combined with "
              "and, or, not and parentheses (like pytest -k).")
@click.option("--update", is_flag=True, help="Rewrite each failing test's expectations from "
              "the actual outcome, keeping the file's comments and layout; prints the diff.")
@click.option("--coverage", "with_coverage", is_flag=True,
              help="Report what the tests exercise per ruleset: promotions applied and "
              "rejected, condition parts seen true and false, tiers, caps, stacking rules.")
@click.option("--fail-under", type=click.FloatRange(0, 100), metavar="PERCENT",
              help="With --coverage: exit 1 when the total coverage is below PERCENT.")
@click.option("--examples", "examples", type=click.IntRange(min=1, max=100_000), metavar="N",
              help="Also check the invariants each ruleset declares on N generated carts "
              "(hypothesis; the analysis extra).")
@handles_errors
def test_(paths: tuple[str, ...], fmt: str, keyword: str, update: bool, with_coverage: bool,
          fail_under: float | None, examples: int | None) -> None:
    """Run rule tests: carts with expected outcomes (files, or directories searched for
    tests/ folders; default: rulesets/)."""
    from ..ruletests.runner import run_tests
    from ..ruletests.select import parse_selection

    if update and fmt != "text":
        raise click.UsageError("--update prints a diff; it takes no --format")
    if fail_under is not None and not with_coverage:
        raise click.UsageError("--fail-under needs --coverage")
    if examples is not None and fmt != "text":
        raise click.UsageError("--examples prints text; it takes no --format")
    if with_coverage and fmt == "junit":
        raise click.UsageError("--coverage prints text or JSON; JUnit XML has no place "
                               "for it (run promo test twice in CI)")
    select = parse_selection(keyword) if keyword else None
    coverage = _new_coverage() if with_coverage else None
    observe = coverage.observe if coverage is not None else None
    report = run_tests(paths or ("rulesets",), select=select, observe=observe)
    if update and report.failed:
        _update(report)
        coverage = _new_coverage() if with_coverage else None
        observe = coverage.observe if coverage is not None else None
        report = run_tests(paths or ("rulesets",), select=select, observe=observe)
    exit_code = report.exit_code
    if coverage is not None and fail_under is not None and exit_code == 0:
        seen, total = coverage.total
        if total and 100 * seen < fail_under * total:
            exit_code = 1
    output = _render(report, fmt, coverage, fail_under)
    if fmt == "text":
        common.echo(output, nl=False)  # colour on a terminal
    else:
        click.echo(output, nl=False)
    if examples is not None:
        from ..analysis.examples import check_examples, format_examples

        checked = check_examples(paths or ("rulesets",), examples)
        click.echo(format_examples(checked), nl=False)
        exit_code = max(exit_code, 1 if checked.failed else 0)
    sys.exit(exit_code)


def _new_coverage() -> Coverage:
    from ..ruletests.coverage import Coverage

    return Coverage()


def _render(report: TestReport, fmt: str, coverage: Coverage | None,
            fail_under: float | None) -> str:
    from ..ruletests import formats
    from ..ruletests.runner import format_report

    if fmt == "json":
        data: dict[str, Any] = formats.report_dict(report)
        if coverage is not None:
            from ..ruletests.coverage import coverage_dict

            data["coverage"] = coverage_dict(coverage, fail_under)
        return json.dumps(data, indent=2, ensure_ascii=False) + "\n"
    if fmt == "junit":
        return formats.junit_xml(report)
    text = format_report(report)
    if coverage is not None:
        text += _coverage_text(coverage, fail_under)
    return text


def _coverage_text(coverage: Coverage, fail_under: float | None) -> str:
    """Per ruleset: a line per kind of check, then what was not covered (file:line:col)."""
    from ..ruletests.coverage import KINDS, percent

    titles = {"promotions": "applied, rejected", "conditions": "condition parts true, false",
              "effects": "tiers reached, max_amount cuts",
              "stacking": "exclusive, groups, coupon limits, max_discount"}
    out = []
    for found in coverage.rulesets.values():
        tests = f"{found.tests} test{'s' if found.tests != 1 else ''}"
        out += ["", f"coverage of {found.ruleset} ({tests})"]
        for kind in KINDS:
            seen, total = found.count(kind)
            out.append(f"  {kind:<11} {seen:>3}/{total:<3} {titles[kind]}")
        both, parts = found.conditions
        out.append(f"  condition parts seen both ways: {both}/{parts} "
                   f"({percent(both, parts):.1f}%)")
        seen, total = found.total
        out.append(f"  total: {seen}/{total} ({percent(seen, total):.1f}%)")
        missing = found.uncovered()
        if missing:
            out.append("  not covered:")
            out += [f"    {span}  {what}" for span, what in missing]
    seen, total = coverage.total
    both, parts = coverage.conditions
    line = f"coverage {percent(seen, total):.1f}% ({seen}/{total} checks), condition parts " \
           f"both ways {percent(both, parts):.1f}% ({both}/{parts})"
    if fail_under is not None:
        below = total and 100 * seen < fail_under * total
        line += f"; {'below' if below else 'meets'} --fail-under {fail_under:g}"
    out += ["", line]
    return "\n".join(out) + "\n"


def _update(report: TestReport) -> None:
    """Rewrite the failing tests' expectations and print each file's diff."""
    import difflib

    from ..ruletests.update import plan_updates

    updates = plan_updates(report.results)
    for update in updates:
        diff = difflib.unified_diff(update.before.splitlines(keepends=True),
                                    update.after.splitlines(keepends=True),
                                    f"{update.path}", f"{update.path} (updated)")
        click.echo("".join(diff), nl=False)
        try:
            update.path.write_text(update.after, encoding="utf-8", newline="")
        except OSError as err:
            raise common.cannot_write(update.path, err) from None
        tests = len(update.tests)
        click.echo(f"updated {tests} test{'s' if tests != 1 else ''} in {update.path}")
    rewritten = {(str(u.path), name) for u in updates for name in u.tests}
    for result in report.results:
        if not result.passed and (result.test.file, result.test.name) not in rewritten:
            click.echo(f"not updated: {result.test.name} ({result.test.file}:"
                       f"{result.test.span.line}): nothing it checks would be left; "
                       "edit it by hand")
