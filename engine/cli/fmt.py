"""``promo fmt``: rewrite rulesets in the canonical form (``dsl.fmt``), or check them."""

from __future__ import annotations

import difflib
import os
import sys
import tempfile
from pathlib import Path

import click

from . import common
from .common import EXIT_FINDINGS, EXIT_OK, EXIT_USAGE, handles_errors


@click.command("fmt")
@click.argument("paths", nargs=-1, type=common.Path())
@click.option("--check", is_flag=True, help="Write nothing; list the files that would be "
              "reformatted and exit 1 if there are any.")
@click.option("--diff", "show_diff", is_flag=True, help="Write nothing; print a unified "
              "diff of the changes and exit 1 if there are any.")
@handles_errors
def fmt(paths: tuple[str, ...], check: bool, show_diff: bool) -> None:
    """Format rulesets: canonical key order, conditions and quoted money, comments kept
    (files or directories; default: rulesets/)."""
    from dsl.errors import PromoError
    from dsl.fmt import format_ruleset
    from dsl.lint import discover

    changed = unchanged = failed = 0
    for path in discover(paths or ("rulesets",)):
        try:
            raw = path.read_bytes()
            text = raw.decode("utf-8")
            formatted = format_ruleset(text, name=str(path))
        except PromoError as err:
            click.echo(err.render(), err=True)
            failed += 1
            continue
        except (OSError, UnicodeDecodeError) as err:
            reason = err.strerror if isinstance(err, OSError) and err.strerror else str(err)
            click.echo(f"{path}: cannot read file: {reason}", err=True)
            failed += 1
            continue
        if formatted == text:
            unchanged += 1
            continue
        if show_diff:
            click.echo(_diff(str(path), text, formatted), nl=False)
        elif check:
            click.echo(f"would reformat {path}")
        else:
            try:
                _write_atomically(path, formatted)
            except OSError as err:
                click.echo(common.cannot_write(path, err).render(), err=True)
                failed += 1
                continue
            click.echo(f"reformatted {path}")
        changed += 1
    click.echo(_summary(changed, unchanged, failed, dry=check or show_diff), err=True)
    if failed:
        sys.exit(EXIT_USAGE)
    sys.exit(EXIT_FINDINGS if changed and (check or show_diff) else EXIT_OK)


def _diff(name: str, text: str, formatted: str) -> str:
    """A unified diff, marking a last line without a line break as ``diff`` does."""
    lines = difflib.unified_diff(text.splitlines(keepends=True),
                                 formatted.splitlines(keepends=True), name, f"{name} (formatted)")
    return "".join(line if line.endswith("\n") else f"{line}\n\\ No newline at end of file\n"
                   for line in lines)


def _summary(changed: int, unchanged: int, failed: int, *, dry: bool) -> str:
    def files(n: int) -> str:
        return f"{n} file{'' if n == 1 else 's'}"

    parts = [f"{files(changed)} {'would be reformatted' if dry else 'reformatted'}"] \
        if changed else []
    if unchanged:
        parts.append(f"{files(unchanged)} already formatted")
    if failed:
        parts.append(f"{files(failed)} with errors (left unchanged)")
    return ", ".join(parts) or "no rulesets found"


def _write_atomically(path: Path, text: str) -> None:
    """Replace ``path`` by ``text`` in one step: a temporary file beside it, flushed to
    disk, then renamed over it (with the file's permissions), so that a reader (or a
    crash) sees either the old text or the new, never half of one.  A symbolic link is
    written through, not replaced."""
    path = path.resolve()
    mode = path.stat().st_mode & 0o7777
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.",
                                         suffix=".tmp")
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(text.encode("utf-8"))
            out.flush()
            os.fsync(out.fileno())
        os.chmod(temporary, mode)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
