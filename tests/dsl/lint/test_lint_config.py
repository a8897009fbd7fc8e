"""[tool.promorules.lint] and inline suppressions."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from dsl.errors import Severity
from dsl.lint import LintConfig, find_config, lint_paths, load_config
from dsl.lint.config import ConfigError

NOW = dt.datetime(2026, 7, 1, tzinfo=dt.UTC)

RULESET = """\
ruleset: cfg
dsl: 1
currency: EUR
timezone: Europe/Berlin
stacking:
  coupons_per_order: 1
  coupon_with_automatic: true
  base: discounted
promotions:
  - id: take-10
    coupon: TAKE10
    when: cart.subtotal >= 50
    effect: { amount_off: "10.00" }
  - id: hats
    group: hats
    effect: { percent_off: 5 }
"""


def _codes(path: Path, config: LintConfig | None = None) -> list[tuple[str, str]]:
    report = lint_paths([path], config=config, now=NOW)
    return [(d.code, d.severity.value) for d in report.diagnostics]


@pytest.fixture
def ruleset(tmp_path: Path) -> Path:
    path = tmp_path / "rulesets" / "ruleset.yaml"
    path.parent.mkdir()
    path.write_text(RULESET, encoding="utf-8")
    return path


def test_defaults(ruleset: Path) -> None:
    assert _codes(ruleset) == [("PR206", "warning"), ("PR205", "warning"),
                               ("PR214", "warning")]


def test_select_ignore_and_severity(tmp_path: Path, ruleset: Path) -> None:
    (tmp_path / "pyproject.toml").write_text(
        '[project]\nname = "shop"\n\n[tool.promorules.lint]\nselect = ["PR20"]\n'
        'ignore = ["PR206"]\nseverity = { PR205 = "error" }\nfail-on = "warning"\n',
        encoding="utf-8")
    config = find_config(ruleset.parent)
    assert config.path == tmp_path / "pyproject.toml"
    assert config.fail_on is Severity.WARNING
    assert _codes(ruleset, config) == [("PR205", "error")]
    wider = config.overridden(select=("PR2",), ignore=("PR205",))
    assert _codes(ruleset, wider) == [("PR214", "warning")]


def test_the_nearest_pyproject_with_the_table_wins(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text('[tool.promorules.lint]\nignore = ["PR214"]\n',
                                             encoding="utf-8")
    inner = tmp_path / "sub" / "deeper"
    inner.mkdir(parents=True)
    (tmp_path / "sub" / "pyproject.toml").write_text('[project]\nname = "x"\n',
                                                     encoding="utf-8")
    assert find_config(inner).ignore == ("PR214",)
    assert find_config(Path("/")).path is None or find_config(Path("/")).ignore == ()


@pytest.mark.parametrize(("table", "message", "line"), [
    ('selct = ["PR2"]', "unknown setting 'selct'", 2),
    ('select = ["PR105"]', "'PR105' names no lint rule", 2),
    ('ignore = "PR205"', "ignore must be a list of codes", 2),
    ('severity = { PR999 = "error" }', "'PR999' is not a lint rule code", 2),
    ('severity = { PR205 = "fatal" }', "'fatal' is not a severity", 2),
    ('fail-on = "info"', "fail-on is error or warning", 2),
])
def test_invalid_settings_are_pr502_with_the_line(tmp_path: Path, table: str, message: str,
                                                  line: int) -> None:
    path = tmp_path / "pyproject.toml"
    path.write_text(f"[tool.promorules.lint]\n{table}\n", encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    assert caught.value.code == "PR502"
    assert message in caught.value.message
    assert caught.value.span is not None and caught.value.span.line == line


def test_broken_toml_is_pr502(tmp_path: Path) -> None:
    path = tmp_path / "pyproject.toml"
    path.write_text("[tool.promorules.lint\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="not valid TOML"):
        find_config(tmp_path)


@pytest.mark.parametrize(("content", "message"), [
    (b"[tool.promorules.lint]\nselect = ['\xff']\n", "is not UTF-8 text"),
    (b"a = " + b"[" * 100_000 + b"]" * 100_000 + b"\n", "is not valid TOML: nested too deep"),
    (b"# " + b"x" * (2 << 20) + b"\n", "is larger than 1,048,576 bytes"),
])
def test_a_hostile_config_file_is_pr502_not_a_traceback(tmp_path: Path, content: bytes,
                                                       message: str) -> None:
    path = tmp_path / "pyproject.toml"
    path.write_bytes(content)
    with pytest.raises(ConfigError, match=message) as caught:
        load_config(path)
    assert caught.value.code == "PR502"


def test_a_config_that_never_ends_is_read_to_a_bound() -> None:
    with pytest.raises(ConfigError, match="larger than"):  # read whole, it never ended
        load_config("/dev/zero")


def test_suppressions(tmp_path: Path) -> None:
    text = RULESET.replace(
        "  - id: take-10\n",
        "  # promo: ignore[PR205] one campaign, ends with the flyer\n  - id: take-10\n",
    ).replace(
        "  - id: hats\n", "  - id: hats    # promo: ignore[PR214, PR213]\n",
    ).replace("stacking:\n", "stacking:   # promo: ignore[PR206] capped per promotion\n")
    path = tmp_path / "r.yaml"
    path.write_text(text, encoding="utf-8")
    report = lint_paths([path], now=NOW)
    found = [(d.code, d.span.line if d.span else 0, d.message) for d in report.diagnostics]
    assert found == [("PR200", 15, "the suppression of PR213 (buy-get-ratio) is unused: "
                                   "nothing here is reported by it")]
    assert report.suppressed == 3


def test_an_unused_suppression_of_a_disabled_rule_is_not_reported(tmp_path: Path) -> None:
    text = RULESET.replace("  - id: hats\n", "  - id: hats    # promo: ignore[PR213]\n")
    path = tmp_path / "r.yaml"
    path.write_text(text, encoding="utf-8")
    config = LintConfig(ignore=("PR213",))
    assert "PR200" not in [code for code, _ in _codes(path, config)]
    assert "PR200" in [code for code, _ in _codes(path)]
