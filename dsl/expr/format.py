"""AST → canonical expression text, with the fewest parentheses that keep the tree.

``parse_expression(format_expression(node)) == node`` for every node the parser
can produce; the round-trip tests hold that.
"""

from __future__ import annotations

import datetime as dt

from . import nodes as n

_OR, _AND, _NOT, _COMPARE, _SUM, _PRODUCT, _UNARY, _ATOM = range(1, 9)
_ARITH_LEVEL = {"+": _SUM, "-": _SUM, "*": _PRODUCT, "/": _PRODUCT}


def format_expression(node: n.Node) -> str:
    """Canonical text of an expression."""
    text: str = _Formatter().visit(node)
    return text


def format_operands(node: n.Node) -> list[str]:
    """Canonical text cut before each ``and`` / ``or`` of the top-level chain: the first
    operand, then one line per operator and its operand (a single line when the top is
    neither).  ``" ".join(format_operands(x)) == format_expression(x)``: a condition
    written over several lines (``promo fmt``) reads the same as on one."""
    formatter = _Formatter()
    if not isinstance(node, (n.And, n.Or)):
        return [formatter.visit(node)]
    chain, word, left, right = type(node), ("and" if isinstance(node, n.And) else "or"), \
        (_AND if isinstance(node, n.And) else _OR), (_NOT if isinstance(node, n.And) else _AND)
    lines: list[str] = []
    while isinstance(node, chain):
        lines.append(f"{word} {formatter.wrap(node.right, right)}")
        node = node.left
    lines.append(formatter.wrap(node, left))
    return lines[::-1]


def _quote(value: str) -> str:
    escaped = (value.replace("\\", "\\\\").replace('"', '\\"')
               .replace("\n", "\\n").replace("\t", "\\t"))
    return f'"{escaped}"'


def _level(node: n.Node) -> int:
    if isinstance(node, n.Or):
        return _OR
    if isinstance(node, n.And):
        return _AND
    if isinstance(node, n.Not):
        return _NOT
    if isinstance(node, n.Compare):
        return _COMPARE
    if isinstance(node, n.Arith):
        return _ARITH_LEVEL[node.op]
    if isinstance(node, n.Neg) or (isinstance(node, n.Number) and node.value.is_signed()):
        return _UNARY
    return _ATOM


class _Formatter(n.Visitor):
    def wrap(self, node: n.Node, minimum: int) -> str:
        text: str = self.visit(node)
        return f"({text})" if _level(node) < minimum else text

    def visit_Number(self, node: n.Number) -> str:
        text = format(node.value, "f")
        return text

    def visit_String(self, node: n.String) -> str:
        return _quote(node.value)

    def visit_Boolean(self, node: n.Boolean) -> str:
        return "true" if node.value else "false"

    def visit_Date(self, node: n.Date) -> str:
        value = node.value
        if isinstance(value, dt.datetime):
            return value.isoformat(timespec="seconds")
        return value.isoformat()

    def visit_ListLit(self, node: n.ListLit) -> str:
        return "[" + ", ".join(self.visit(item) for item in node.items) + "]"

    def visit_Path(self, node: n.Path) -> str:
        return node.dotted

    def visit_Call(self, node: n.Call) -> str:
        parts = [", ".join(self.visit(arg) for arg in node.args)] if node.args else []
        if node.where is not None:
            parts.append("where " + self.visit(node.where))
        return f"{node.name}({' '.join(parts)})"

    def visit_Compare(self, node: n.Compare) -> str:
        return f"{self.wrap(node.left, _SUM)} {node.op} {self.wrap(node.right, _SUM)}"

    def visit_Arith(self, node: n.Arith) -> str:
        level = _ARITH_LEVEL[node.op]
        return f"{self.wrap(node.left, level)} {node.op} {self.wrap(node.right, level + 1)}"

    def visit_Neg(self, node: n.Neg) -> str:
        operand = self.wrap(node.operand, _UNARY)
        # "- -x" keeps a space so it never reads as a decrement.
        return f"- {operand}" if operand.startswith("-") else f"-{operand}"

    def visit_And(self, node: n.And) -> str:
        return f"{self.wrap(node.left, _AND)} and {self.wrap(node.right, _NOT)}"

    def visit_Or(self, node: n.Or) -> str:
        return f"{self.wrap(node.left, _OR)} or {self.wrap(node.right, _AND)}"

    def visit_Not(self, node: n.Not) -> str:
        return f"not {self.wrap(node.operand, _NOT)}"
