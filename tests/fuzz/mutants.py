"""Structure-aware mutations of valid rulesets, carts and command lines, for fuzzing.

Each strategy starts from a real input (the bundled rulesets and sample carts),
parses it to plain data, and changes one to a few places in it: a value replaced
by a hostile one (huge or tiny numbers, floats, long or odd text, edge dates,
deep nesting, the wrong type), a key deleted or duplicated, an entry copied.  The
result is dumped back to YAML or JSON text, or, now and then, its text is cut or
spliced, so the loaders meet both well-formed and broken documents.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import yaml
from hypothesis import strategies as st

ROOT = Path(__file__).resolve().parents[2]
RULESETS = sorted((ROOT / "rulesets").glob("*/ruleset.yaml"))
CARTS = sorted((ROOT / "rulesets").glob("*/carts/*.yaml"))


def _load(path: Path) -> Any:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


SEED_RULESETS = [(p, _load(p)) for p in RULESETS]
SEED_CARTS = [(p, _load(p)) for p in CARTS]

HOSTILE_SCALARS = st.one_of(
    st.sampled_from([
        0, -1, 1, 2**63, -(2**63), 10**30, 10**400, "9" * 5000, "1e-999999999", "1e999999999",
        "NaN", "Infinity", "-0", "0.0000000000000000000000000001", "100000000000000000000000000",
        1.5, -2.25, float("nan"), float("inf"), True, False, None, "", " ", "\x00", "\u200b",
        "ＳＵＭＭＥＲ", "SUMMЕR", "é" * 300, "a" * 100_000, "2026-02-30",
        "0001-01-01T00:00:00+14:00",
        "9999-12-31T23:59:59-23:59", "2026-06-01", "24:00", "Europe/Nowhere", "CET+1",
        "cart.subtotal >", "((((((((", "item.total > 1" + " and item.total > 1" * 300,
        [], {}, [1, 2, 3], {"a": {"b": {"c": {}}}}, [[[[[]]]]], ["x"] * 1000,
    ]),
    st.integers(), st.decimals(allow_nan=True, allow_infinity=True).map(str),
    st.floats(), st.text(max_size=40), st.dates().map(str), st.datetimes().map(str),
)


RAW = ["9" * 5000, "-" + "9" * 4400, "1e-999999999", "1e999999999", "0.1e-30", ".inf", ".nan",
       "0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-23:59", "0001-01-01", "2026-06-01",
       "0x1F", "0o17", "1_000", "+12", "~", "!!binary aGVsbG8=", "[" * 60 + "]" * 60,
       "100000000000000000000000000", "0.000000000000000000000000001"]
"""Text written into the YAML as it stands (unquoted), where a value was: what a
dumper would quote, the loader meets as numbers, dates and tags."""
_MARK = "__raw_{}__"


def _places(data: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every path to a value inside ``data`` (mappings and lists)."""
    out = [path]
    if isinstance(data, dict):
        for key, value in data.items():
            out += _places(value, path + (key,))
    elif isinstance(data, list):
        for index, value in enumerate(data):
            out += _places(value, path + (index,))
    return out


def _parent(data: Any, path: tuple[Any, ...]) -> Any:
    for part in path[:-1]:
        data = data[part]
    return data


@st.composite
def mutated(draw: st.DrawFn, seed: Any) -> Any:
    """``seed`` (plain data) with one to four places changed."""
    data = copy.deepcopy(seed)
    for _ in range(draw(st.integers(1, 4))):
        places = [p for p in _places(data) if p]
        if not places:
            break
        path = draw(st.sampled_from(places))
        parent = _parent(data, path)
        action = draw(st.sampled_from(["replace", "replace", "raw", "delete", "duplicate",
                                       "nest"]))
        if action == "raw":
            parent[path[-1]] = _MARK.format(draw(st.integers(0, len(RAW) - 1)))
        elif action == "replace":
            # a copy: the sampled lists and mappings are shared constants, and a later
            # mutation of this place must not change them for the next example
            parent[path[-1]] = copy.deepcopy(draw(HOSTILE_SCALARS))
        elif action == "delete":
            del parent[path[-1]]
        elif action == "duplicate" and isinstance(parent, list):
            parent.extend(copy.deepcopy(parent[path[-1]]) for _ in range(draw(st.integers(1, 3))))
        elif action == "nest":
            parent[path[-1]] = {"nested": parent[path[-1]]}
    return data


def _text(data: Any, as_json: bool) -> str:
    text = json.dumps(data, default=str) if as_json else \
        yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=2**20)
    for index, raw in enumerate(RAW):
        mark = _MARK.format(index)
        text = text.replace(f'"{mark}"', raw).replace(mark, raw)
    return text


SEEDS = {"rulesets": SEED_RULESETS, "carts": SEED_CARTS}


@st.composite
def texts(draw: st.DrawFn, kind: str, json_too: bool) -> str:
    """A mutated seed of ``kind`` as YAML (or JSON) text; sometimes cut or spliced.

    (The seeds are named, not passed: hypothesis prints a strategy's arguments.)"""
    _, seed = draw(st.sampled_from(SEEDS[kind]))
    text = _text(draw(mutated(seed)), json_too and draw(st.booleans()))
    damage = draw(st.sampled_from(["none", "none", "none", "cut", "splice"]))
    if damage == "cut" and text:
        text = text[:draw(st.integers(0, len(text)))]
    elif damage == "splice" and text:
        at = draw(st.integers(0, len(text)))
        text = text[:at] + draw(st.sampled_from(
            ["\t", ": :", "- ", "&a ", "*a ", "!!python/object ", "{", "]", "\"", "'",
             "\n---\n", "<<: *a\n", "\x00", "\ufeff", " " + "9" * 5000 + " ",
             " 1e-999999999 ", " -0.0 ", " .inf ", " 2026-02-30 "])) + text[at:]
    return text


ruleset_texts = texts("rulesets", json_too=False)
cart_texts = texts("carts", json_too=True)

COMMANDS = ["eval", "lint", "test", "schema", "usage", "reserve", "confirm", "release",
            "expire", "reconcile", "status", "events", "--help", "--version"]
OPTIONS = ["--format", "--at", "--db", "--now", "--order", "--ttl", "--since", "--limit",
           "--select", "--ignore", "--fail-on", "--explain", "--list-rules", "--check",
           "--output-dir", "--config", "--ruleset", "--fix", "-h"]
VALUES = ["json", "text", "sarif", "xml", "2026-07-01T12:00:00+02:00", "yesterday", "-1",
          "0", "99999999999999999999", "PR208", "PR999", "", "nope/", "o-1", "\x00"]


@st.composite
def command_lines(draw: st.DrawFn, paths: list[str]) -> list[str]:
    """A plausible ``promo`` argument list: commands, options, values and paths."""
    words = st.sampled_from(COMMANDS + OPTIONS + VALUES + paths)
    head = [draw(st.sampled_from(COMMANDS))]
    if head[0] == "usage":
        head.append(draw(st.sampled_from(["reserve", "confirm", "release", "expire",
                                          "reconcile", "status", "events", "nope"])))
    return head + draw(st.lists(words, max_size=7))
