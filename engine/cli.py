"""The ``promo`` command: a thin click layer over the ``dsl`` and ``engine`` APIs.

Exit codes: 0 ok, 1 findings or failed tests, 2 usage or input error.
Errors are rendered (path:line:col, source line, caret); never a traceback.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from dsl.lint import lint_paths
from dsl.lint.report import format_report

from .clitools import EXIT_FINDINGS, EXIT_OK, handles_errors, parse_moment


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="promorules")
def cli() -> None:
    """promorules: declarative promotions, exact money, explicit stacking."""


@cli.command()
@click.argument("paths", nargs=-1, type=click.Path())
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
@click.option("--config", "config_path", type=click.Path(dir_okay=False), help="Read "
              "[tool.promorules.lint] from this file instead of the nearest pyproject.toml.")
@click.option("--now", "now", metavar="ISO-8601", help="Lint as of this time (rules about "
              "ended windows); default: the current time.")
@click.option("--explain", "explain", metavar="CODE", help="Print a rule's documentation "
              "and exit.")
@click.option("--list-rules", "list_rules", is_flag=True, help="Print the table of every "
              "rule (Markdown) and exit.")
@handles_errors
def lint(paths: tuple[str, ...], fmt: str, fail_on: str | None, select: str | None,
         ignore: str | None, config_path: str | None, now: str | None,
         explain: str | None, list_rules: bool) -> None:
    """Check rulesets: loading errors and semantic rules (files or directories; default:
    rulesets/)."""
    from dsl.errors import InputError, Severity
    from dsl.lint import find_config, load_config
    from dsl.lint.config import check_prefix
    from dsl.lint.rules import BY_CODE, rules_table

    if list_rules:
        click.echo(rules_table(), nl=False)
        sys.exit(EXIT_OK)
    if explain is not None:
        rule = BY_CODE.get(explain.strip().upper())
        if rule is None:
            raise InputError(f"--explain: '{explain}' is not a lint rule code", code="PR501")
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
    moment = parse_moment(now, "--now") if now else None
    report = lint_paths(paths or ("rulesets",), config=config, now=moment)
    click.echo(format_report(report, fmt), nl=False)
    threshold = Severity(fail_on) if fail_on else (config.fail_on or Severity.ERROR)
    sys.exit(EXIT_FINDINGS if report.failed(threshold) else EXIT_OK)


@cli.command(name="test")
@click.argument("paths", nargs=-1, type=click.Path())
@handles_errors
def test_(paths: tuple[str, ...]) -> None:
    """Run rule tests: carts with expected outcomes (files, or directories searched for
    tests/ folders; default: rulesets/)."""
    from .ruletest import format_report as format_tests
    from .ruletest import run_tests

    report = run_tests(paths or ("rulesets",))
    click.echo(format_tests(report), nl=False)
    sys.exit(report.exit_code)


@cli.command()
@click.option("--output-dir", "-o", type=click.Path(file_okay=False), default="schemas",
              show_default=True, help="Directory to write the JSON Schemas to.")
@click.option("--check", is_flag=True, help="Exit 1 if a schema file is missing or stale; "
              "write nothing.")
@handles_errors
def schema(output_dir: str, check: bool) -> None:
    """Write the JSON Schemas (ruleset, cart, result, events) into a directory."""
    from .schemas import all_schemas

    stale = []
    for relative, document in all_schemas().items():
        path = Path(output_dir) / relative
        text = json.dumps(document, indent=2, sort_keys=False) + "\n"
        current = path.read_text(encoding="utf-8") if path.is_file() else None
        if current == text:
            continue
        stale.append(str(path))
        if not check:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
    verb = "stale" if check else "written"
    for path_text in stale:
        click.echo(f"{verb}: {path_text}")
    if not stale:
        click.echo("schemas are up to date")
    sys.exit(EXIT_FINDINGS if check and stale else EXIT_OK)


@cli.command(name="eval")
@click.argument("ruleset", type=click.Path(dir_okay=False))
@click.argument("cart", type=click.Path(dir_okay=False))
@click.option("--at", "at", metavar="ISO-8601", help="Evaluate at this time instead of the "
              "cart's `at` (e.g. 2026-07-01T12:00:00+02:00).")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text",
              show_default=True, help="Output format.")
@click.option("--db", "db", type=click.Path(dir_okay=False), help="A usage store to read "
              "(never written): promotions whose limits are used up are rejected.")
@handles_errors
def eval_(ruleset: str, cart: str, at: str | None, fmt: str, db: str | None) -> None:
    """Dry-run a ruleset against a cart snapshot: priced lines and why."""
    from dsl import load_ruleset

    from .cart import load_cart
    from .evaluate import evaluate
    from .render import render_text
    from .store import StoreView, UsageStore

    moment = parse_moment(at) if at else None
    rules, snapshot = load_ruleset(Path(ruleset)), load_cart(Path(cart))
    if db is None:
        result = evaluate(rules, snapshot, at=moment)
    else:
        with UsageStore(db, readonly=True) as store:
            result = evaluate(rules, snapshot, at=moment, usage=StoreView(store, rules))
    click.echo(result.to_json() if fmt == "json" else render_text(result), nl=False)


def _register_groups() -> None:
    from .cli_usage import usage

    cli.add_command(usage)


_register_groups()


def main() -> None:
    """Console-script entry point."""
    cli(prog_name="promo")
