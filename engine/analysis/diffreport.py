"""``promo diff`` output formats: text, json, markdown (a pull-request comment), github.

Every format lists the carts largest change first; markdown and github list at
most ``SHOWN`` carts (a comment and a run's annotations have limits) and say
how many more there are.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from decimal import Decimal

from tabulate import tabulate

from .diff import CartChange, Diff

FORMATS = ("text", "json", "markdown", "github")
SHOWN = 50


def signed(amount: Decimal) -> str:
    return f"+{amount}" if amount > 0 else str(amount)


def _promotions(change: CartChange, plain: bool = True) -> tuple[str, str, str]:
    quote = (lambda s: s) if plain else (lambda s: f"`{s}`")
    gained = ", ".join(quote(p) for p in change.gained)
    lost = ", ".join(quote(p) for p in change.lost)
    moved = ", ".join(f"{quote(p)} {a} → {b}" for p, a, b in change.moved)
    return gained, lost, moved


def headline(diff: Diff) -> str:
    """The summary in one sentence."""
    changed = len(diff.total_changes)
    only = len(diff.changes) - changed
    text = (f"{changed} of {diff.carts} carts change total ({diff.cheaper} cheaper, "
            f"{diff.dearer} dearer)")
    if only:
        text += f", {only} more change promotions only"
    if changed:
        net = diff.net
        pay = f"{abs(net)} {diff.currency} {'more' if net > 0 else 'less'}" if net \
            else "the same"
        text += (f"; customers pay {pay} in all, {diff.moved} {diff.currency} moved "
                 f"either way, largest {diff.largest} {diff.currency}")
    return text


def _distribution(diff: Diff) -> str:
    found = diff.distribution()
    return " · ".join(f"{name} {signed(value)}" for name, value in found.items())


def format_text(diff: Diff) -> str:
    out = [f"promo diff {diff.old} → {diff.new} · {diff.currency}", headline(diff)]
    if diff.total_changes:
        out.append(f"change per cart: {_distribution(diff)}")
    if diff.changes:
        rows = []
        for change in diff.changes:
            gained, lost, moved = _promotions(change)
            rows.append([change.where, change.cart, change.old_total, change.new_total,
                         signed(change.change), gained, lost, moved])
        out += ["", tabulate(rows, headers=["where", "cart", "old", "new", "change", "gained",
                                           "lost", "changed"],
                             disable_numparse=True, colalign=("left", "left", "right",
                                                              "right", "right"))]
    return "\n".join(out) + "\n"


def format_json(diff: Diff) -> str:
    return json.dumps(diff.to_dict(), indent=2, ensure_ascii=False) + "\n"


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def format_markdown(diff: Diff) -> str:
    out = [f"### promo diff: `{_cell(diff.old)}` → `{_cell(diff.new)}`", "",
           f"**{headline(diff)}.**", ""]
    if diff.total_changes:
        out += [f"Change per cart ({diff.currency}): {_distribution(diff)}", ""]
    if diff.changes:
        out += ["| cart | where | old | new | change | gained | lost | changed |",
                "|---|---|--:|--:|--:|---|---|---|"]
        for change in diff.changes[:SHOWN]:
            gained, lost, moved = (_cell(x) for x in _promotions(change, plain=False))
            out.append(f"| {_cell(change.cart)} | `{_cell(change.where)}` | "
                       f"{change.old_total} | {change.new_total} | "
                       f"**{signed(change.change)}** | {gained} | {lost} | {moved} |")
        if len(diff.changes) > SHOWN:
            out += ["", f"… and {len(diff.changes) - SHOWN} more carts (`--format json` "
                        "lists them all)."]
    else:
        out.append("No cart changes.")
    return "\n".join(out) + "\n"


def _escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(text: str) -> str:
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")


def format_github(diff: Diff, fail_above: Decimal | None = None) -> str:
    """One workflow command per changed cart (an error past ``--fail-above``), then
    the summary as a notice."""
    out = []
    for change in diff.changes[:SHOWN]:
        file, _, line = change.where.rpartition(":")
        props = [f"file={_escape_property(file)}", f"line={line}"] if line.isdigit() and file \
            else [f"file={_escape_property(change.where)}"]
        props.append("title=promo diff")
        gained, lost, moved = _promotions(change)
        message = (f"cart {change.cart}: total {change.old_total} → {change.new_total} "
                   f"({signed(change.change)} {diff.currency})")
        message += "".join(f"; {label} {names}" for label, names in
                           (("gained", gained), ("lost", lost), ("changed", moved)) if names)
        level = "error" if fail_above is not None and abs(change.change) > fail_above \
            else "warning"
        out.append(f"::{level} {','.join(props)}::{_escape_data(message)}")
    summary = headline(diff)
    if len(diff.changes) > SHOWN:
        summary += f" (annotated: the {SHOWN} largest)"
    out.append(f"::notice title=promo diff::{_escape_data(summary)}")
    return "".join(line + "\n" for line in out)


def render(diff: Diff, fmt: str, fail_above: Decimal | None = None) -> str:
    formats: dict[str, Callable[[Diff], str]] = {
        "text": format_text, "json": format_json, "markdown": format_markdown,
        "github": lambda d: format_github(d, fail_above)}
    return formats[fmt](diff)
