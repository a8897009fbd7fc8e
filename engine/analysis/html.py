"""``promo replay --html``: one self-contained page (inline CSS and SVG, nothing fetched).

Three charts a merchandiser reads at a glance: discount per day per promotion
(stacked bars, the largest promotions and "other"), the budget burn-down of
each promotion with a budget, and the distribution of the discount per order;
then the table of every promotion.
"""

from __future__ import annotations

from decimal import Decimal
from html import escape
from pathlib import Path

from ..money import from_minor, to_minor
from .replay import ReplayReport
from .replayreport import average, limits_text, money, ran_out_text, summary, used

COLORS = ("#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f", "#edc948", "#b07aa1",
          "#ff9da7", "#9c755f", "#bab0ac")
WIDTH, HEIGHT, PAD = 900, 260, 48
SHOWN = 9  # promotions drawn apart in the daily chart; the rest are "other"


def _axis(top: float, label: str) -> str:
    out = [f'<line x1="{PAD}" y1="{HEIGHT - PAD}" x2="{WIDTH - 10}" y2="{HEIGHT - PAD}" '
           'stroke="#888"/>',
           f'<line x1="{PAD}" y1="10" x2="{PAD}" y2="{HEIGHT - PAD}" stroke="#888"/>']
    for i in range(5):
        value = top * i / 4
        y = HEIGHT - PAD - (HEIGHT - PAD - 10) * i / 4
        out.append(f'<text x="{PAD - 4}" y="{y + 4:.1f}" text-anchor="end">{value:,.0f}'
                   '</text>')
    out.append(f'<text x="12" y="{HEIGHT / 2}" transform="rotate(-90 12 {HEIGHT / 2})" '
               f'text-anchor="middle">{escape(label)}</text>')
    return "".join(out)


def _ends(first: str, last: str) -> str:
    """Labels under both ends of the horizontal axis."""
    y = HEIGHT - PAD + 16
    return (f'<text x="{PAD}" y="{y}">{escape(first)}</text>'
            f'<text x="{WIDTH - 10}" y="{y}" text-anchor="end">{escape(last)}</text>')


def _svg(body: str, title: str) -> str:
    return (f'<figure><figcaption>{escape(title)}</figcaption><svg viewBox="0 0 {WIDTH} '
            f'{HEIGHT}" role="img" aria-label="{escape(title)}">{body}</svg></figure>')


def _units(report: ReplayReport, minor: int) -> float:
    return float(from_minor(minor, report.minor_units))


def daily_chart(report: ReplayReport) -> str:
    days = sorted(report.daily)
    if not days:
        return ""
    top = [p.id for p in used(report)[:SHOWN]]
    series = top + ["other"]
    stacks = []
    for day in days:
        found = report.daily[day]
        values = [found.get(p, 0) for p in top]
        values.append(sum(v for p, v in found.items() if p not in top))
        stacks.append([_units(report, v) for v in values])
    peak = max(sum(s) for s in stacks) or 1
    plot_w, plot_h = WIDTH - PAD - 10, HEIGHT - PAD - 10
    bar = plot_w / len(days)
    out = [_axis(peak, report.currency)]
    for i, (day, stack) in enumerate(zip(days, stacks, strict=True)):
        y: float = HEIGHT - PAD
        for k, value in enumerate(stack):
            h = value / peak * plot_h
            if h <= 0:
                continue
            y -= h
            out.append(f'<rect x="{PAD + i * bar:.2f}" y="{y:.2f}" width="{max(bar - 1, 0.5):.2f}" '
                       f'height="{h:.2f}" fill="{COLORS[k % len(COLORS)]}"><title>{day} '
                       f'{escape(series[k])}: {value:,.2f}</title></rect>')
    out.append(_ends(days[0], days[-1]))
    legend = "".join(f'<span><i style="background:{COLORS[k % len(COLORS)]}"></i>'
                     f'{escape(name)}</span>' for k, name in enumerate(series))
    return _svg("".join(out), "Discount per day, per promotion") + \
        f'<p class="legend">{legend}</p>'


def burn_down_chart(report: ReplayReport) -> str:
    budgeted = [p for p in used(report) if "budget" in p.limits][:len(COLORS)]
    days = sorted(report.daily)
    if not budgeted or not days:
        return ""
    plot_w, plot_h = WIDTH - PAD - 10, HEIGHT - PAD - 10
    out = [_axis(100, "% of budget left")]
    step = plot_w / max(len(days) - 1, 1)
    for k, entry in enumerate(budgeted):
        budget = int(to_minor(Decimal(str(entry.limits["budget"])), report.minor_units))
        left, points = budget, []
        for i, day in enumerate(days):
            left -= report.daily[day].get(entry.id, 0)
            share = left / budget if budget else 0
            points.append(f"{PAD + i * step:.2f},{HEIGHT - PAD - share * plot_h:.2f}")
        out.append(f'<polyline fill="none" stroke-width="2" stroke="{COLORS[k]}" '
                   f'points="{" ".join(points)}"><title>{escape(entry.id)}</title></polyline>')
    out.append(_ends(days[0], days[-1]))
    legend = "".join(f'<span><i style="background:{COLORS[k]}"></i>{escape(p.id)} '
                     f'({p.limits["budget"]})</span>' for k, p in enumerate(budgeted))
    return _svg("".join(out), "Budget burn-down") + f'<p class="legend">{legend}</p>'


def distribution_chart(report: ReplayReport) -> str:
    bins = report.per_order.bins(40)
    if not bins:
        return ""
    peak = max(n for _, _, n in bins) or 1
    plot_w, plot_h = WIDTH - PAD - 10, HEIGHT - PAD - 10
    bar = plot_w / len(bins)
    out = [_axis(peak, "orders")]
    for i, (low, high, count) in enumerate(bins):
        h = count / peak * plot_h
        out.append(f'<rect x="{PAD + i * bar:.2f}" y="{HEIGHT - PAD - h:.2f}" '
                   f'width="{max(bar - 1, 0.5):.2f}" height="{h:.2f}" fill="{COLORS[0]}">'
                   f'<title>{money(report, low)} to {money(report, high)}: {count} orders'
                   '</title></rect>')
    out.append(_ends(money(report, 0), money(report, bins[-1][1])))
    return _svg("".join(out), f"Discount per order ({report.currency})")


STYLE = """body{font:14px system-ui,sans-serif;margin:2em auto;max-width:960px;color:#222}
figure{margin:1.5em 0}figcaption{font-weight:600;margin-bottom:.3em}svg{width:100%;height:auto}
svg text{font-size:11px;fill:#555}.legend span{margin-right:1em;white-space:nowrap}
.legend i{display:inline-block;width:.8em;height:.8em;margin-right:.3em}
table{border-collapse:collapse;width:100%}td,th{padding:.25em .5em;border-bottom:1px solid #ddd}
td.n{text-align:right;font-variant-numeric:tabular-nums}"""


def render_html(report: ReplayReport) -> str:
    rows = "".join(
        f"<tr><td>{escape(p.id)}</td><td class=n>{p.uses}</td>"
        f"<td class=n>{money(report, p.discount)}</td><td class=n>{average(report, p)}</td>"
        f"<td>{escape(limits_text(p))}</td><td>{escape(ran_out_text(report, p))}</td></tr>"
        for p in used(report))
    return (f"<!doctype html><html lang=en><head><meta charset=utf-8><title>Replay of "
            f"{escape(report.ruleset)}</title><style>{STYLE}</style></head><body>"
            f"<h1>Replay of {escape(report.ruleset)}</h1><p>{escape(summary(report))}</p>"
            f"{daily_chart(report)}{burn_down_chart(report)}{distribution_chart(report)}"
            "<h2>Promotions</h2><table><tr><th>promotion</th><th>uses</th><th>discount</th>"
            f"<th>per order</th><th>limits</th><th>ran out</th></tr>{rows}</table>"
            "</body></html>\n")


def write_html(report: ReplayReport, path: str | Path) -> None:
    from dsl.codes import ORDERS_UNREADABLE
    from dsl.errors import InputError
    try:
        Path(path).write_text(render_html(report), encoding="utf-8")
    except OSError as err:
        raise InputError(f"{path}: cannot write the report: {err.strerror or err}",
                         code=ORDERS_UNREADABLE) from None
