"""``[tool.promorules.lint]`` in ``pyproject.toml``: which rules run and how severe.

    [tool.promorules.lint]
    select = ["PR2"]                  # code prefixes to run (default: every rule)
    ignore = ['PR206', 'PR21']        # code prefixes to skip
    severity = { PR205 = "error", PR214 = "info" }
    fail-on = "warning"               # default for promo lint --fail-on

The file is found by walking up from the current directory to the first
``pyproject.toml`` that has the table.  Only semantic rules (``PR2xx``) can be
selected, ignored or re-graded: a file that does not load is always an error.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import field, replace
from pathlib import Path
from typing import Any

from ..codes import BAD_LINT_CONFIG, BAD_OPTION
from ..errors import InputError, Severity, Span
from ..records import record

_PREFIX = re.compile(r"^PR2[0-9]{0,2}$")
_KEYS = ("select", "ignore", "severity", "fail-on")


class ConfigError(InputError):
    """An invalid ``[tool.promorules.lint]`` table."""

    code = BAD_LINT_CONFIG


@record
class LintConfig:
    """Which rules run, at which severity; where the settings came from."""

    select: tuple[str, ...] = ()
    ignore: tuple[str, ...] = ()
    severity: dict[str, Severity] = field(default_factory=dict)
    fail_on: Severity | None = None
    path: Path | None = None

    def enabled(self, code: str) -> bool:
        """Is rule ``code`` selected (every rule when nothing is) and not ignored?"""
        if self.select and not any(code.startswith(p) for p in self.select):
            return False
        return not any(code.startswith(p) for p in self.ignore)

    def severity_of(self, code: str, default: Severity) -> Severity:
        return self.severity.get(code, default)

    def overridden(self, select: tuple[str, ...] | None = None,
                   ignore: tuple[str, ...] = ()) -> LintConfig:
        """Command-line options on top: ``--select`` replaces, ``--ignore`` adds."""
        for prefix in (*(select or ()), *ignore):
            check_prefix(prefix, None)
        return replace(self, select=self.select if select is None else select,
                       ignore=self.ignore + ignore)


def check_prefix(prefix: str, where: Span | None, option: str = "") -> str:
    """A code or code prefix naming at least one lint rule."""
    from .rules import BY_CODE  # (here: settings naming no code need no rule imported)

    if not _PREFIX.match(prefix) or not any(code.startswith(prefix) for code in BY_CODE):
        what = f"{option}: " if option else ""
        message = f"{what}'{prefix}' names no lint rule (codes PR200-PR2xx, or a prefix " \
                  "such as PR2 or PR21)"
        if where is None:
            raise InputError(message, code=BAD_OPTION)
        raise ConfigError(message, where)
    return prefix


def _line_of(text: str, key: str) -> int:
    """The line where ``key`` is set in the lint table (1-based; the table's line if not)."""
    lines = text.splitlines()
    start = next((i for i, line in enumerate(lines)
                  if re.match(r"^\s*\[tool\.promorules\.lint\]", line)), 0)
    for i in range(start, len(lines)):
        if re.match(rf"^\s*{re.escape(key)}\s*=", lines[i]):
            return i + 1
        if i > start and lines[i].lstrip().startswith("["):
            break
    return start + 1


def parse_config(table: Any, path: Path, text: str = "") -> LintConfig:
    """Validate the ``[tool.promorules.lint]`` table read from ``path``."""
    def where(key: str) -> Span:
        return Span(str(path), _line_of(text, key), 1)

    if not isinstance(table, dict):
        raise ConfigError("[tool.promorules.lint] must be a table", where("lint"))
    for key in table:
        if key not in _KEYS:
            raise ConfigError(f"unknown setting '{key}' in [tool.promorules.lint] (known: "
                              f"{', '.join(_KEYS)})", where(key))

    def codes(key: str) -> tuple[str, ...]:
        value = table.get(key, [])
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise ConfigError(f"{key} must be a list of codes, e.g. [\"PR205\"]", where(key))
        return tuple(check_prefix(v, where(key)) for v in value)

    def grade(value: Any, key: str) -> Severity:
        try:
            return Severity(value)
        except ValueError:
            raise ConfigError(f"{key}: '{value}' is not a severity (error, warning, info)",
                              where(key)) from None

    severity = table.get("severity", {})
    if not isinstance(severity, dict):
        raise ConfigError("severity must be a table, e.g. { PR205 = \"error\" }",
                          where("severity"))
    grades = {}
    for code, value in severity.items():
        from .rules import BY_CODE

        if code not in BY_CODE:
            raise ConfigError(f"severity: '{code}' is not a lint rule code", where("severity"))
        grades[code] = grade(value, "severity")
    fail_on = None
    if "fail-on" in table:
        fail_on = grade(table["fail-on"], "fail-on")
        if fail_on is Severity.INFO:
            raise ConfigError("fail-on is error or warning", where("fail-on"))
    return LintConfig(codes("select"), codes("ignore"), grades, fail_on, path)


MAX_CONFIG_BYTES = 1 << 20
"""A configuration file's largest size: a pyproject.toml is a few kilobytes."""


def _read(path: Path) -> LintConfig | None:
    """The table in ``path`` (``None`` when the file has none)."""
    try:
        with path.open("rb") as file:  # (read to a bound: --config /dev/zero never ends)
            raw = file.read(MAX_CONFIG_BYTES + 1)
        if len(raw) > MAX_CONFIG_BYTES:
            raise ConfigError(f"{path} is larger than {MAX_CONFIG_BYTES:,} bytes: not a "
                              "configuration file", Span(str(path), 1, 1))
        text = raw.decode("utf-8")
        data = tomllib.loads(text)
    except OSError as err:
        raise ConfigError(f"cannot read {path}: {err.strerror or err}", Span(str(path), 1, 1)
                          ) from None
    except UnicodeDecodeError:
        raise ConfigError(f"{path} is not UTF-8 text", Span(str(path), 1, 1)) from None
    except RecursionError:
        raise ConfigError(f"{path} is not valid TOML: nested too deep", Span(str(path), 1, 1)
                          ) from None
    except tomllib.TOMLDecodeError as err:
        raise ConfigError(f"{path} is not valid TOML: {err}", Span(str(path), 1, 1)) from None
    tool = data.get("tool")
    promorules = tool.get("promorules") if isinstance(tool, dict) else None
    table = promorules.get("lint") if isinstance(promorules, dict) else None
    return None if table is None else parse_config(table, path, text)


def load_config(path: str | Path) -> LintConfig:
    """Read ``[tool.promorules.lint]`` from a ``pyproject.toml`` (defaults when absent)."""
    path = Path(path)
    return _read(path) or LintConfig(path=path)


def find_config(start: str | Path | None = None) -> LintConfig:
    """The settings of the nearest ``pyproject.toml`` (walking up) that has the table."""
    here = Path(start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        candidate = folder / "pyproject.toml"
        if candidate.is_file():
            config = _read(candidate)
            if config is not None:
                return config
    return LintConfig()
