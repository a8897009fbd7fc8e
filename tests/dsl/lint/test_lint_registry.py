"""The rule registry: names, codes and files agree; docs are complete; the README is current."""

from __future__ import annotations

import re
from pathlib import Path

from dsl.codes import ERROR_CODES
from dsl.errors import Severity
from dsl.lint import RULES
from dsl.lint.rules import BY_CODE, MODULES, REGISTRY, RETIRED, rules_table

ROOT = Path(__file__).resolve().parents[3]
RULES_DIR = ROOT / "dsl" / "lint" / "rules"


def test_file_name_code_and_name_agree() -> None:
    for module in MODULES:
        file = Path(module.__file__ or "").name
        assert file == f"{module.CODE}_{module.NAME.replace('-', '_')}.py", file
        assert module.__name__.rsplit(".", 1)[-1] == file[:-3]
        assert re.fullmatch(r"PR2[0-9]{2}", module.CODE)
        assert re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", module.NAME)
        assert isinstance(module.SEVERITY, Severity)
        assert callable(module.check)


def test_every_rule_module_is_registered_once() -> None:
    on_disk = sorted(p.stem for p in RULES_DIR.glob("PR2*.py"))
    registered = [m.__name__.rsplit(".", 1)[-1] for m in MODULES]
    assert sorted(registered) == on_disk
    assert len(set(registered)) == len(registered)


def test_codes_are_unique_ordered_and_never_reused() -> None:
    codes = [rule.code for rule in REGISTRY]
    assert codes == sorted(codes)
    assert len(set(codes)) == len(codes)
    assert not set(codes) & set(RETIRED), "a retired code is never given to a new rule"
    assert not {c for c in ERROR_CODES if c.startswith("PR2")}, "PR2xx belong to lint rules"
    assert [r.code for r in RULES] == codes
    names = [rule.name for rule in REGISTRY]
    assert len(set(names)) == len(names)


def test_docstrings_document_each_rule() -> None:
    for rule in REGISTRY:
        doc = rule.doc
        assert rule.summary and rule.summary.endswith("."), rule.code
        assert "What it finds" in doc, rule.code
        assert "Why it costs money" in doc, rule.code
        assert "Avoid" in doc and "Prefer" in doc, rule.code


def test_readme_table_matches_the_registry() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    match = re.search(r"<!-- lint-rules:start[^\n]*-->\n(.*?)<!-- lint-rules:end -->",
                      readme, re.S)
    assert match, "README.md needs the generated rule table (promo lint --list-rules)"
    assert match.group(1) == rules_table(), "regenerate with: promo lint --list-rules"
    for code in BY_CODE:
        assert f"`{code}`" in readme


def test_rules_learn_the_time_only_through_the_lint_ruleset() -> None:
    # What findings depend on of the time is recorded by LintRuleset (has_passed,
    # linted_at, now): a rule reading the clock itself would make promo lint keep
    # findings that no longer hold (dsl.lint.results.FileLint.holds_at).
    import inspect

    for module in MODULES:
        source = inspect.getsource(module)
        assert "datetime.now(" not in source and "._now" not in source, module.__name__
        assert "time.time(" not in source and "date.today(" not in source, module.__name__
