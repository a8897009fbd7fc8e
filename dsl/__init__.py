"""promorules DSL: YAML rulesets and condition expressions → a validated rule AST.

    from dsl import load_ruleset, parse_expression
    ruleset = load_ruleset("rulesets/fashion/ruleset.yaml")
"""

from .errors import Diagnostic, ExpressionError, PromoError, RulesetError, Severity, Span
from .expr.format import format_expression
from .expr.parser import parse_expression
from .model import Promotion, Ruleset
from .ruleset import Analysis, analyze_file, analyze_source, load_ruleset, load_ruleset_text
from .values import Condition

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
