"""promorules DSL: YAML rulesets and condition expressions → a validated rule AST.

    from dsl import load_ruleset, parse_expression
    ruleset = load_ruleset("rulesets/fashion/ruleset.yaml")
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .lazy import lazy_exports

if TYPE_CHECKING:
    from .errors import (
        Diagnostic,
        ExpressionError,
        PromoError,
        RulesetError,
        Severity,
        Span,
    )
    from .expr.format import format_expression
    from .expr.parser import parse_expression
    from .model import Promotion, Ruleset
    from .ruleset import (
        Analysis,
        analyze_file,
        analyze_source,
        load_ruleset,
        load_ruleset_text,
    )
    from .values import Condition

# Each name is imported from its module when first read: a command that needs only
# the error codes does not pay for the parser and the models.
_FROM = {
    **dict.fromkeys(["Diagnostic", "ExpressionError", "PromoError", "RulesetError",
                     "Severity", "Span"], "errors"),
    "format_expression": "expr.format", "parse_expression": "expr.parser",
    "Promotion": "model", "Ruleset": "model", "Condition": "values",
    **dict.fromkeys(["Analysis", "analyze_file", "analyze_source", "load_ruleset",
                     "load_ruleset_text"], "ruleset"),
}

__all__ = [
    "Analysis",
    "Condition",
    "Diagnostic",
    "ExpressionError",
    "PromoError",
    "Promotion",
    "Ruleset",
    "RulesetError",
    "Severity",
    "Span",
    "analyze_file",
    "analyze_source",
    "format_expression",
    "load_ruleset",
    "load_ruleset_text",
    "parse_expression",
]


__getattr__ = lazy_exports(__name__, _FROM)
