"""The rulesets a service serves, by id: loaded, compiled, versioned, reloaded atomically.

A reload reads every file again; a file whose text changed is loaded and
compiled beside the serving version and swapped in only when that succeeds
(one assignment: a request sees the old or the new version, never a mix).
A file that fails keeps its previous version serving; its rendered
diagnostics are logged and reported by ``/readyz``.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import threading
from pathlib import Path
from typing import Any

from dsl import Ruleset
from dsl.codes import SERVE_CONFIG
from dsl.errors import PromoError
from dsl.lint import discover
from dsl.loader import read_source
from dsl.records import record
from dsl.ruleset import load_ruleset_text

from ..program import Program, compile_ruleset

log = logging.getLogger("promorules.service")


@record
class Served:
    """One ruleset as it is being served."""

    path: Path
    ruleset: Ruleset
    program: Program
    version: str  # the first 16 hex digits of the SHA-256 of the file's text
    loaded_at: str

    @property
    def id(self) -> str:
        return self.ruleset.ruleset


def version_of(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:16]


class Catalog:
    """Rulesets by id, from files and directories (``dsl.lint.discover`` finds them)."""

    def __init__(self, sources: list[str | Path]) -> None:
        self.sources = list(sources)
        self.files = discover(self.sources)
        if not self.files:
            raise PromoError(f"no ruleset files in {', '.join(map(str, sources))}",
                             code=SERVE_CONFIG)
        self._by_path: dict[Path, Served] = {}
        self._by_id: dict[str, Served] = {}
        self.failures: dict[str, list[dict[str, Any]]] = {}
        """Path → where its last load failed: code, line and column of each error (their
        messages and source lines only go to the log: they may quote a coupon code)."""
        self._lock = threading.Lock()  # one reload at a time; readers never wait
        self.reload()

    def get(self, ruleset_id: str) -> Served | None:
        return self._by_id.get(ruleset_id)

    def ruleset(self, ruleset_id: str) -> Ruleset | None:
        """The ruleset served under ``ruleset_id`` now (a ``RulesetLookup``)."""
        served = self._by_id.get(ruleset_id)
        return served.ruleset if served is not None else None

    def served(self) -> list[Served]:
        return sorted(self._by_id.values(), key=lambda s: s.id)

    def ready(self) -> bool:
        """Every file is loaded as it is now (none failed, none never loaded)."""
        return not self.failures and len(self._by_path) == len(self.files)

    def reload(self) -> list[str]:
        """Read every file again; returns the ids whose version changed."""
        with self._lock:
            by_path = dict(self._by_path)
            failures: dict[str, list[dict[str, Any]]] = {}
            changed = []
            for path in self.files:
                try:
                    fresh = self._load(path, by_path.get(path))
                except PromoError as err:
                    failures[str(path)] = [
                        {"code": d.code, "line": d.span.line if d.span else None,
                         "column": d.span.col if d.span else None} for d in err.diagnostics]
                    log.error("ruleset %s failed to load; %s", path,
                              "the previous version keeps serving" if path in by_path
                              else "it is not served", extra={"diagnostics": err.render()})
                    continue
                if fresh is not by_path.get(path):
                    by_path[path] = fresh
                    changed.append(fresh.id)
            by_id: dict[str, Served] = {}
            for path, served in by_path.items():
                other = by_id.get(served.id)
                if other is not None:
                    failures[str(path)] = [{"code": SERVE_CONFIG, "line": None,
                                            "column": None}]
                    log.error("%s: ruleset id %r is already served from %s", path,
                              served.id, other.path)
                    continue
                by_id[served.id] = served
            self._by_path, self._by_id, self.failures = by_path, by_id, failures
            for ruleset_id in changed:
                log.info("serving ruleset %s version %s", ruleset_id,
                         by_id[ruleset_id].version if ruleset_id in by_id else "-")
            return changed

    @staticmethod
    def _load(path: Path, current: Served | None) -> Served:
        try:
            source = read_source(path)
        except (OSError, UnicodeDecodeError) as err:
            raise PromoError(f"{path}: cannot read the ruleset: {err}",
                             code=SERVE_CONFIG) from None
        version = version_of(source.text)
        if current is not None and current.version == version:
            return current
        ruleset = load_ruleset_text(source.text, name=str(path))
        loaded_at = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
        return Served(path, ruleset, compile_ruleset(ruleset), version, loaded_at)
