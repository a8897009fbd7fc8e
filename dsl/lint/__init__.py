"""``promo lint``: load every ruleset under the given paths and collect every diagnostic.

A file is loaded first (YAML, model, expressions: ``PR1xx`` errors); a
ruleset that loads is then checked by the semantic rules (``PR2xx``), each a
module in ``dsl/lint/rules/`` listed in its explicit registry.  Rules see a
``LintRuleset`` (the model, the positioned document, "now").  The
configuration (``[tool.promorules.lint]``) selects rules and re-grades them;
inline ``# promo: ignore[...]`` comments silence findings on one promotion.

    report = lint_paths(["rulesets/"], config=find_config(), now=None)
    report.failed(Severity.WARNING)
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from ..lazy import lazy_exports

if TYPE_CHECKING:
    from .config import LintConfig, find_config, load_config
    from .context import LintRuleset
    from .files import NOT_RULESET_DIRS, discover
    from .invariants import InvariantChecker
    from .results import FileLint, LintReport
    from .run import RULES, Rule, lint_analysis, lint_file, lint_paths

# Each name is imported from its module when first read: the report and the
# configuration do not import the rules (``promo lint`` prints a report its cache
# holds without them).
_FROM = {
    **dict.fromkeys(["LintConfig", "find_config", "load_config"], "config"),
    "LintRuleset": "context", "InvariantChecker": "invariants",
    **dict.fromkeys(["NOT_RULESET_DIRS", "discover"], "files"),
    **dict.fromkeys(["FileLint", "LintReport"], "results"),
    **dict.fromkeys(["RULES", "Rule", "lint_analysis", "lint_file", "lint_paths"], "run"),
}

__all__ = ["NOT_RULESET_DIRS", "RULES", "FileLint", "InvariantChecker", "LintConfig",
           "LintReport", "LintRuleset", "Rule", "discover", "find_config", "lint_analysis",
           "lint_file", "lint_paths", "load_config"]

__getattr__ = lazy_exports(__name__, _FROM)
