"""Names and types of condition expressions, checked before anything runs.

``check_condition(node, context)`` returns every problem found as
``ExpressionError``s (spans relative to the expression).  A node that fails
gets type ``any`` so one mistake does not cascade into several.
"""

from __future__ import annotations

from ..codes import (
    ITEM_IN_SHIPMENT_TARGET,
    ITEM_OUTSIDE_CONTEXT,
    SHIPMENT_OUTSIDE_CONTEXT,
    TYPE_MISMATCH,
    UNKNOWN_FUNCTION,
    UNKNOWN_NAME,
    WRONG_ARITY,
)
from ..errors import ExpressionError, Span
from . import nodes as n
from .format import format_expression
from .types import (
    ATTRIBUTES,
    FUNCTIONS,
    SCOPES,
    SCOPES_WITH_ATTRIBUTES,
    Context,
    Type,
    comparable,
    element_type,
    orderable,
)


def _suggest(word: str, choices: list[str]) -> str | None:
    import difflib  # (here and below: only a mistake needs it, not a valid condition)

    close = difflib.get_close_matches(word, choices, n=1, cutoff=0.6)
    return f"did you mean '{close[0]}'?" if close else None


def _field_hint(name: str, root: str) -> str:
    """A close field of ``root``, and the same field of another object (``cart.orders``
    is ``customer.orders``); else the fields ``root`` has."""
    import difflib

    fields = SCOPES[root]
    close = difflib.get_close_matches(name, [*fields, ATTRIBUTES], n=1, cutoff=0.6)
    elsewhere = [f"{scope}.{name}" for scope in SCOPES if scope != root and name in SCOPES[scope]]
    if close:
        return f"did you mean '{close[0]}'" + "".join(f", or {e}" for e in elsewhere) + "?"
    if elsewhere:
        return f"'{name}' is a field of {elsewhere[0].split('.')[0]}: {elsewhere[0]}"
    return f"{root} has: {', '.join(sorted(fields))}"


def _show(node: n.Node) -> str:
    text = format_expression(node)
    return text if len(text) <= 40 else text[:37] + "..."


class Checker(n.Visitor):
    """Infers a ``Type`` for every node and records errors."""

    def __init__(self, context: Context) -> None:
        self.context = context
        self.in_call = False
        self.errors: list[ExpressionError] = []

    def error(self, code: str, message: str, span: Span, hint: str | None = None) -> Type:
        self.errors.append(ExpressionError(message, span, code=code, hint=hint))
        return Type.ANY

    # literals
    def visit_Number(self, node: n.Number) -> Type:
        return Type.NUMBER

    def visit_String(self, node: n.String) -> Type:
        return Type.STRING

    def visit_Boolean(self, node: n.Boolean) -> Type:
        return Type.BOOL

    def visit_Date(self, node: n.Date) -> Type:
        return Type.DATETIME if hasattr(node.value, "hour") else Type.DATE

    def visit_ListLit(self, node: n.ListLit) -> Type:
        if not node.items:
            return Type.EMPTY_LIST
        kinds = {self.visit(item) for item in node.items} - {Type.ANY}
        if not kinds:
            return Type.ANY
        if kinds <= {Type.NUMBER, Type.MONEY}:
            return Type.NUMBER_LIST
        if kinds == {Type.STRING}:
            return Type.STRING_LIST
        return self.error(TYPE_MISMATCH, "a list holds only strings or only numbers", node.span)

    # names
    def visit_Path(self, node: n.Path) -> Type:
        root, rest = node.parts[0], node.parts[1:]
        if root == ATTRIBUTES:
            root, rest = "cart", node.parts
        if root not in SCOPES:
            roots = [*SCOPES, ATTRIBUTES]
            return self.error(UNKNOWN_NAME, f"unknown name '{node.dotted}'", node.span,
                              _suggest(root, roots) or "names start with cart., customer., "
                              "item., shipment. or attributes.")
        if root == "item" and not (self.context is Context.ITEM or self.in_call):
            if self.context is Context.SHIPMENT:
                return self.error(
                    ITEM_IN_SHIPMENT_TARGET, f"'{node.dotted}' names a line, but a "
                    "shipment_target is about one shipment", node.span,
                    "use shipment.* here, or item.* inside any(), count(), sum() ...")
            return self.error(
                ITEM_OUTSIDE_CONTEXT, f"'{node.dotted}' names a line, but here there is no line",
                node.span, "use item.* in target:, or inside any(), count(), sum() ...")
        if root == "shipment" and self.context is not Context.SHIPMENT:
            return self.error(
                SHIPMENT_OUTSIDE_CONTEXT, f"'{node.dotted}' names a shipment, but here there "
                "is no shipment", node.span, "use shipment.* in shipment_target: (of a "
                "promotion with a shipping effect)")
        fields = SCOPES[root]
        if not rest:
            return self.error(UNKNOWN_NAME, f"'{root}' needs a field, e.g. '{root}."
                              f"{next(iter(fields))}'", node.span)
        if rest[0] == ATTRIBUTES and root not in SCOPES_WITH_ATTRIBUTES:
            return self.error(UNKNOWN_NAME, f"a {root} has no attributes", node.span,
                              _field_hint(rest[0], root))
        if rest[0] == ATTRIBUTES:
            if len(rest) != 2:
                return self.error(UNKNOWN_NAME, f"write '{root}.attributes.<name>', not "
                                  f"'{node.dotted}'", node.span)
            return Type.ANY
        if rest[0] not in fields or len(rest) > 1:
            if rest[0] in fields:
                return self.error(UNKNOWN_NAME, f"'{root}.{rest[0]}' has no field "
                                  f"'{rest[1]}'", node.span)
            return self.error(UNKNOWN_NAME, f"unknown field '{rest[0]}' of {root}", node.span,
                              _field_hint(rest[0], root))
        return fields[rest[0]].type

    # operators
    def visit_Compare(self, node: n.Compare) -> Type:
        left, right = self.visit(node.left), self.visit(node.right)
        op = node.op
        if op in ("==", "!="):
            ok = comparable(left, right)
        elif op in ("<", "<=", ">", ">="):
            ok = orderable(left, right)
        elif op in ("in", "not in"):
            ok = right.is_list and comparable(left, element_type(right))
        else:  # contains: a list holds a value (text is not searched: compare it with ==)
            ok = left.is_list and comparable(element_type(left), right)
        if not ok:
            self.error(TYPE_MISMATCH, f"cannot use '{op}' between {left} "
                       f"({_show(node.left)}) and {right} ({_show(node.right)})", node.span,
                       self._compare_hint(op, left, right))
        return Type.BOOL

    @staticmethod
    def _compare_hint(op: str, left: Type, right: Type) -> str | None:
        if Type.MONEY in (left, right) and Type.STRING in (left, right):
            return 'money compares with numbers: write 100 or 19.99, not "100"'
        if op in ("in", "not in") and not right.is_list:
            return "the right side of 'in' must be a list, e.g. [\"a\", \"b\"]"
        if op == "contains" and not left.is_list:
            return "'contains' asks a list whether it holds a value; compare text with =="
        return None

    def visit_Arith(self, node: n.Arith) -> Type:
        left, right = self.visit(node.left), self.visit(node.right)
        if not (left.numeric and right.numeric):
            bad = node.left if not left.numeric else node.right
            return self.error(TYPE_MISMATCH, f"'{node.op}' needs numbers or money, but "
                              f"{_show(bad)} is {left if bad is node.left else right}",
                              node.span)
        if Type.ANY in (left, right):
            return Type.ANY
        money = (left == Type.MONEY, right == Type.MONEY)
        if node.op in ("+", "-"):
            return Type.MONEY if any(money) else Type.NUMBER
        if node.op == "*":
            if all(money):
                return self.error(TYPE_MISMATCH, "cannot multiply money by money", node.span)
            return Type.MONEY if any(money) else Type.NUMBER
        if money == (False, True):
            return self.error(TYPE_MISMATCH, "cannot divide a number by money", node.span)
        return Type.NUMBER if all(money) else left

    def visit_Neg(self, node: n.Neg) -> Type:
        operand: Type = self.visit(node.operand)
        if not operand.numeric:
            return self.error(TYPE_MISMATCH, f"'-' needs a number, but {_show(node.operand)} "
                              f"is {operand}", node.span)
        return operand

    def _boolean(self, node: n.Node, operand: n.Node, word: str) -> None:
        kind = self.visit(operand)
        if kind not in (Type.BOOL, Type.ANY):
            self.error(TYPE_MISMATCH, f"'{word}' needs true or false, but {_show(operand)} "
                       f"is {kind}", operand.span)

    def visit_And(self, node: n.And) -> Type:
        self._boolean(node, node.left, "and")
        self._boolean(node, node.right, "and")
        return Type.BOOL

    def visit_Or(self, node: n.Or) -> Type:
        self._boolean(node, node.left, "or")
        self._boolean(node, node.right, "or")
        return Type.BOOL

    def visit_Not(self, node: n.Not) -> Type:
        self._boolean(node, node.operand, "not")
        return Type.BOOL

    def visit_Call(self, node: n.Call) -> Type:
        fn = FUNCTIONS.get(node.name)
        if fn is None:
            return self.error(UNKNOWN_FUNCTION, f"unknown function '{node.name}'", node.span,
                              _suggest(node.name, list(FUNCTIONS))
                              or f"functions: {', '.join(sorted(FUNCTIONS))}")
        if self.in_call:
            return self.error(ITEM_OUTSIDE_CONTEXT, f"'{node.name}()' cannot sit inside "
                              "another function over lines", node.span)
        if not fn.min_args <= len(node.args) <= fn.max_args:
            want = (str(fn.min_args) if fn.min_args == fn.max_args
                    else f"{fn.min_args} to {fn.max_args}")
            return self.error(WRONG_ARITY, f"{fn.name}() takes {want} argument"
                              f"{'' if want == '1' else 's'}, got {len(node.args)}", node.span)
        if node.where is not None and not fn.allows_where:
            return self.error(WRONG_ARITY, f"{fn.name}() takes no 'where'", node.span,
                              f"write {fn.name}(<condition>)")
        self.in_call = True
        try:
            arg_types = [self.visit(arg) for arg in node.args]
            if node.where is not None:
                self._boolean(node, node.where, "where")
        finally:
            self.in_call = False
        if fn.name in ("any", "all", "count", "lines"):
            for arg, kind in zip(node.args, arg_types, strict=True):
                if kind not in (Type.BOOL, Type.ANY):
                    self.error(TYPE_MISMATCH, f"{fn.name}() needs a condition, but "
                               f"{_show(arg)} is {kind}", arg.span)
            return Type.BOOL if fn.name in ("any", "all") else Type.NUMBER
        (kind,) = arg_types
        if not kind.numeric:
            return self.error(TYPE_MISMATCH, f"{fn.name}() needs a number or money, but "
                              f"{_show(node.args[0])} is {kind}", node.args[0].span)
        return Type.NUMBER if kind == Type.ANY else kind


def infer_type(node: n.Node, context: Context = Context.CART,
               ) -> tuple[Type, list[ExpressionError]]:
    """The type of an expression and the errors found on the way."""
    checker = Checker(context)
    kind = checker.visit(node)
    return kind, checker.errors


def check_condition(node: n.Node, context: Context = Context.CART) -> list[ExpressionError]:
    """Every name and type error of a condition, which must be true or false."""
    kind, errors = infer_type(node, context)
    if not errors and kind not in (Type.BOOL, Type.ANY):
        errors.append(ExpressionError(
            f"a condition must be true or false, but this is {kind}", node.span,
            code=TYPE_MISMATCH, hint="compare it, e.g. '... >= 100'"))
    return errors
