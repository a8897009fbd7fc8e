"""Where the analysis commands read from: rulesets (files, or ``REV:path`` in git) and carts.

    load_ruleset_spec("rulesets/fashion/ruleset.yaml")          # a file
    load_ruleset_spec("main:rulesets/fashion/ruleset.yaml")     # git show main:…
    for where, cart in read_carts(["rulesets/fashion/carts"]): …

A spec is a file when such a file exists; otherwise, with a ``:`` in it, a git
revision and a path (``git show REV:path``, run in the current directory, so
``main:./ruleset.yaml`` is relative to it and ``main:rulesets/…`` to the top of
the repository).
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator, Sequence
from dataclasses import replace
from pathlib import Path

from dsl import Ruleset, load_ruleset, load_ruleset_text
from dsl.codes import CART_UNREADABLE, GIT_UNREADABLE, NO_SUCH_PATH
from dsl.errors import Diagnostic, InputError, Span

from ..cart import Cart, CartError, load_cart, load_cart_text

CART_SUFFIXES = (".json", ".yaml", ".yml")
LINES_SUFFIXES = (".jsonl", ".ndjson")
GIT_TIMEOUT_S = 30


def load_ruleset_spec(spec: str) -> Ruleset:
    """The ruleset a spec names: a file, or ``REV:path`` read from git."""
    if os.path.exists(spec) or ":" not in spec:
        if not os.path.exists(spec):
            raise InputError(f"{spec}: no such ruleset file (nor REV:path for git)",
                             code=NO_SUCH_PATH)
        return load_ruleset(Path(spec))
    revision, _, path = spec.partition(":")
    return load_ruleset_text(git_show(revision, path), name=spec)


def git_show(revision: str, path: str) -> str:
    """The text of ``path`` at ``revision`` (``git show REV:path``), or ``InputError``."""
    if not revision or not path or revision.startswith("-"):
        raise InputError(f"{revision}:{path}: a git revision and a path are both needed "
                         "(REV:path, e.g. main:rulesets/shop.yaml)", code=GIT_UNREADABLE)
    try:
        done = subprocess.run(["git", "show", f"{revision}:{path}"], capture_output=True,
                              timeout=GIT_TIMEOUT_S, check=False,
                              env={**os.environ, "GIT_TERMINAL_PROMPT": "0"})
    except FileNotFoundError:
        raise InputError(f"{revision}:{path}: git is not installed (needed to read a "
                         "ruleset at a revision)", code=GIT_UNREADABLE) from None
    except subprocess.TimeoutExpired:
        raise InputError(f"{revision}:{path}: git show did not answer in "
                         f"{GIT_TIMEOUT_S} s", code=GIT_UNREADABLE) from None
    if done.returncode != 0:
        said = done.stderr.decode("utf-8", "replace").strip().splitlines()
        reason = said[-1].removeprefix("fatal: ") if said else f"exit {done.returncode}"
        raise InputError(f"{revision}:{path}: git cannot read it: {reason}",
                         code=GIT_UNREADABLE)
    try:
        return done.stdout.decode("utf-8")
    except UnicodeDecodeError:
        raise InputError(f"{revision}:{path}: not UTF-8 text", code=GIT_UNREADABLE) from None


def cart_files(paths: Sequence[str]) -> list[Path]:
    """The cart files the paths name: files as given, directories' carts sorted by name."""
    out: list[Path] = []
    for given in paths:
        path = Path(given)
        if path.is_dir():
            out.extend(sorted(p for p in path.rglob("*") if p.is_file()
                              and p.suffix in CART_SUFFIXES + LINES_SUFFIXES))
        elif path.exists():
            out.append(path)
        else:
            raise InputError(f"{given}: no such cart file or directory", code=NO_SUCH_PATH)
    return out


def read_carts(paths: Sequence[str]) -> Iterator[tuple[str, Cart]]:
    """``(where, cart)`` for every cart: ``file`` or ``file:line`` for JSON lines."""
    for path in cart_files(paths):
        if path.suffix in LINES_SUFFIXES:
            yield from read_cart_lines(path)
        else:
            yield str(path), load_cart(path)


def read_cart_lines(path: Path) -> Iterator[tuple[str, Cart]]:
    """The carts of a JSON lines file, one a line (blank lines skipped)."""
    try:
        with open(path, encoding="utf-8") as lines:
            for number, text in enumerate(lines, 1):
                if text.strip():
                    yield f"{path}:{number}", cart_of_line(text, str(path), number)
    except (OSError, UnicodeDecodeError) as err:
        reason = err.strerror if isinstance(err, OSError) and err.strerror else str(err)
        raise CartError([Diagnostic(CART_UNREADABLE, f"cannot read carts: {reason}",
                                    Span(str(path), 1, 1))]) from None


def cart_of_line(text: str, file: str, number: int) -> Cart:
    """The cart on line ``number`` of ``file``; its errors point at that line."""
    text = text.rstrip("\r\n")  # one line: a parser's errors then stay on it
    try:
        return load_cart_text(text, name=file)
    except CartError as err:
        raise CartError([_on_line(d, file, number, text) for d in err.diagnostics]) from None


def _on_line(diagnostic: Diagnostic, file: str, number: int, text: str) -> Diagnostic:
    span = diagnostic.span
    if span is None or span.file != file:  # a JSON path only: say the line
        return replace(diagnostic, span=Span(file, number, 1))
    # the text is one line: a parser that reports the end of the text past it means it
    col = span.col if span.line == 1 else len(text) + 1
    return replace(diagnostic, span=replace(span, line=number, col=col, end_line=None,
                                            end_col=None), source_line=text)
