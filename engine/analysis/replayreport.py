"""``promo replay`` output: text for people, json for tools (``html.py``: the report)."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any
from zoneinfo import ZoneInfo

from tabulate import tabulate

from ..money import from_minor
from .replay import PromotionReplay, ReplayReport


def money(report: ReplayReport, minor: int) -> str:
    return str(from_minor(minor, report.minor_units))


def limits_text(entry: PromotionReplay) -> str:
    return ", ".join(f"{k} {v}" for k, v in entry.limits.items())


def local(report: ReplayReport, at: dt.datetime) -> str:
    """A moment as the ruleset's timezone shows it."""
    return at.astimezone(ZoneInfo(report.timezone)).isoformat()


def ran_out_text(report: ReplayReport, entry: PromotionReplay) -> str:
    return ", ".join(f"{scope} {local(report, at)}"
                     for scope, at in entry.exhaustion.ran_out.items())


def average(report: ReplayReport, entry: PromotionReplay) -> str:
    return money(report, round(entry.discount / entry.uses)) if entry.uses else "-"


def summary(report: ReplayReport) -> str:
    span = f"{local(report, report.first)} to {local(report, report.last)}" \
        if report.first and report.last else "no orders"
    return (f"{report.orders} orders ({span}) · revenue {money(report, report.gross)} "
            f"{report.currency} · discount {money(report, report.discount)} "
            f"{report.currency} ({report.share:.2%} of revenue) · "
            f"{report.repriced} orders priced again at a limit")


def format_text(report: ReplayReport) -> str:
    out = [f"replay of ruleset {report.ruleset} · {report.currency}", summary(report), ""]
    rows = [[p.id, p.uses, money(report, p.discount), average(report, p), limits_text(p),
             ran_out_text(report, p)] for p in used(report)]
    out.append(tabulate(rows, headers=["promotion", "uses", "discount", "per order",
                                       "limits", "ran out"],
                        disable_numparse=True, colalign=("left", "right", "right", "right")))
    funded = [f"  {p.id}: " + ", ".join(f"{k}={v}" for k, v in p.metadata.items())
              for p in used(report) if p.metadata]
    if funded:
        out += ["", "Metadata of the promotions that applied:", *funded]
    unused = [p.id for p in report.promotions.values() if not p.uses]
    if unused:
        out += ["", f"Never applied ({len(unused)}): {', '.join(unused)}"]
    return "\n".join(out) + "\n"


def used(report: ReplayReport) -> list[PromotionReplay]:
    """The promotions that applied, most discount first."""
    return sorted((p for p in report.promotions.values() if p.uses),
                  key=lambda p: (-p.discount, p.id))


def to_dict(report: ReplayReport) -> dict[str, Any]:
    return {
        "ruleset": report.ruleset, "currency": report.currency,
        "orders": report.orders, "revenue": money(report, report.gross),
        "discount": money(report, report.discount),
        "discount_share": round(report.share, 6), "repriced": report.repriced,
        "first": local(report, report.first) if report.first else None,
        "last": local(report, report.last) if report.last else None,
        "promotions": [{"promotion": p.id, "uses": p.uses,
                        "discount": money(report, p.discount),
                        "per_order": average(report, p) if p.uses else None,
                        "limits": {k: str(v) for k, v in p.limits.items()},
                        "ran_out": {k: local(report, v)
                                    for k, v in p.exhaustion.ran_out.items()},
                        **({"metadata": p.metadata} if p.metadata else {})}
                       for p in report.promotions.values()],
        "daily": {day: {p: money(report, v) for p, v in sorted(found.items())}
                  for day, found in sorted(report.daily.items())},
    }


def format_json(report: ReplayReport) -> str:
    return json.dumps(to_dict(report), indent=2, ensure_ascii=False) + "\n"
