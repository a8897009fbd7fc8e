"""``promo lint``: loading errors and the semantic rules, in every output format."""

from __future__ import annotations

import datetime as dt
import functools
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

from dsl.codes import BAD_OPTION
from dsl.errors import InputError, Severity
from dsl.lint.config import check_prefix, find_config, load_config
from dsl.lint.files import discover
from dsl.lint.report import format_report
from dsl.lint.results import FileLint, LintReport

from . import common, diskcache
from .common import EXIT_FINDINGS, EXIT_OK, handles_errors, parse_moment

if TYPE_CHECKING:
    from collections.abc import Sequence

    from dsl.lint import LintConfig
    from dsl.lint.invariants import InvariantVerdict
    from dsl.model import Ruleset


@click.command()
@click.argument("paths", nargs=-1, type=common.Path())
@click.option("--format", "fmt", type=click.Choice(["text", "json", "github", "sarif"]),
              default="text", show_default=True, help="Output format: text for people, json, "
              "github (workflow annotations), sarif (2.1.0, for code scanning).")
@click.option("--fail-on", "fail_on", type=click.Choice(["error", "warning"]), default=None,
              help="Exit 1 when a finding is at least this severe (default: error, or the "
              "configuration's fail-on).")
@click.option("--select", "select", metavar="CODES", help="Only these rules: comma-separated "
              "codes or prefixes (e.g. PR205,PR21); replaces the configuration's select.")
@click.option("--ignore", "ignore", metavar="CODES", help="Skip these rules (codes or "
              "prefixes), on top of the configuration's ignore.")
@click.option("--config", "config_path", type=common.Path(dir_okay=False), help="Read "
              "[tool.promorules.lint] from this file instead of the nearest pyproject.toml.")
@click.option("--now", "now", metavar="ISO-8601", help="Lint as of this time (rules about "
              "ended windows); default: the current time.")
@click.option("--explain", "explain", metavar="CODE", help="Print a rule's documentation "
              "and exit.")
@click.option("--list-rules", "list_rules", is_flag=True, help="Print the table of every "
              "rule (Markdown) and exit.")
@click.option("--no-cache", "no_cache", is_flag=True, help="Lint every file even when the "
              "cache holds its findings (the cache: README \"Start-up\"; also "
              "PROMO_NO_CACHE=1).")
@handles_errors
def lint(paths: tuple[str, ...], fmt: str, fail_on: str | None, select: str | None,
         ignore: str | None, config_path: str | None, now: str | None,
         explain: str | None, list_rules: bool, no_cache: bool) -> None:
    """Check rulesets: loading errors and semantic rules (files or directories; default:
    rulesets/)."""
    if list_rules:
        from dsl.lint.rules import rules_table

        click.echo(rules_table(), nl=False)
        sys.exit(EXIT_OK)
    if explain is not None:
        from dsl.lint.rules import BY_CODE

        rule = BY_CODE.get(explain.strip().upper())
        if rule is None:
            raise InputError(f"--explain: '{explain}' is not a lint rule code", code=BAD_OPTION)
        click.echo(f"{rule.code} {rule.name} (default severity: {rule.severity.value})\n")
        click.echo(rule.doc)
        sys.exit(EXIT_OK)

    def codes(text: str | None, option: str) -> tuple[str, ...] | None:
        if text is None:
            return None
        parts = [p.strip().upper() for p in text.split(",") if p.strip()]
        return tuple(check_prefix(p, None, option) for p in parts)

    config = load_config(config_path) if config_path else find_config()
    config = config.overridden(codes(select, "--select"), codes(ignore, "--ignore") or ())
    # one moment for every file (each ruleset reads a time without offset in its zone)
    moment = parse_moment(now, "--now") if now else dt.datetime.now(dt.UTC).replace(
        microsecond=0)
    cache = diskcache.directory(not no_cache)
    report = LintReport()
    for path in discover(paths or ("rulesets",)):
        found = diskcache.cached(cache, str(path), FileLint,
                                 functools.partial(_lint_file, path, config, moment),
                                 extra=[repr(config)], holds=lambda f: f.holds_at(moment))
        report.add(str(path), found)
    if fmt == "text":
        common.echo(format_report(report, fmt), nl=False)  # colour on a terminal
    else:
        click.echo(format_report(report, fmt), nl=False)
    threshold = Severity(fail_on) if fail_on else (config.fail_on or Severity.ERROR)
    sys.exit(EXIT_FINDINGS if report.failed(threshold) else EXIT_OK)


def _lint_file(path: Path, config: LintConfig, moment: dt.datetime) -> FileLint:
    """The file linted (the rules imported here: a report the cache holds needs none)."""
    from dsl.lint import lint_file

    return lint_file(path, config=config, now=moment, invariants=_check_invariants)


def _check_invariants(ruleset: Ruleset) -> Sequence[InvariantVerdict]:
    """The engine's invariant checker, imported when a ruleset declares invariants."""
    from ..analysis.invariants import check_invariants

    return check_invariants(ruleset)
