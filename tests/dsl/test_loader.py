"""The positioned safe YAML layer: scalar typing, positions, tags, duplicates, caps (PR10x)."""

from __future__ import annotations

import time
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from dsl import PromoError, analyze_file, loader
from dsl.loader import BareDecimal, Document, SourceFile, compose_document, read_source


def compose(text: str) -> Document:
    doc, diagnostics = compose_document(SourceFile("x.yaml", text))
    assert diagnostics == []
    assert doc is not None
    return doc


def value_of(scalar: str) -> Any:
    return compose(f"key: {scalar}\n").data["key"]


def problems(text: str) -> list[tuple[str, int, int]]:
    _, diagnostics = compose_document(SourceFile("x.yaml", text))
    return [(d.code, d.span.line, d.span.col) for d in diagnostics if d.span]


# ------------------------------------------------- YAML 1.2 core scalars


@pytest.mark.parametrize(
    ("scalar", "expected"),
    [
        # YAML 1.1 booleans stay text
        ("yes", "yes"), ("no", "no"), ("on", "on"), ("off", "off"), ("y", "y"), ("n", "n"),
        ("Yes", "Yes"), ("NO", "NO"),
        # YAML 1.2 booleans
        ("true", True), ("false", False), ("True", True), ("FALSE", False),
        # null
        ("null", None), ("~", None), ("", None), ("Null", None),
        # integers
        ("0", 0), ("42", 42), ("-7", -7), ("+3", 3), ("007", 7),
        # not numbers in YAML 1.2's core schema
        ("1_000", "1_000"), ("0x1F", "0x1F"), ("0o17", "0o17"), (".inf", ".inf"),
        ("-.inf", "-.inf"), (".nan", ".nan"), ("1:30", "1:30"),
        # dates and times stay text for the model to read
        ("2026-06-01", "2026-06-01"),
        ("2026-06-01T09:00:00Z", "2026-06-01T09:00:00Z"),
        ("2026-06-01 09:00:00+02:00", "2026-06-01 09:00:00+02:00"),
        # quoted and block scalars are always text
        ('"1.5"', "1.5"), ("'true'", "true"), ('"2026-06-01"', "2026-06-01"), ("''", ""),
        # explicit core tags
        ("!!str 1.5", "1.5"), ("!!str yes", "yes"), ("!!int 12", 12), ("!!bool true", True),
        ("!!null ''", None), ("! 12", "12"),
    ],
)
def test_scalars_follow_yaml_1_2(scalar: str, expected: Any) -> None:
    value = value_of(scalar)
    assert type(value) is type(expected)
    assert value == expected


@pytest.mark.parametrize(
    ("scalar", "exact"),
    [("1.5", "1.5"), ("9.99", "9.99"), ("0.10", "0.10"), ("-0.5", "-0.5"), (".5", ".5"),
     ("1.", "1."), ("1e3", "1e3"), ("2.5E-2", "2.5E-2"), ("!!float 9.99", "9.99")],
)
def test_numbers_with_a_fraction_are_bare_decimals(scalar: str, exact: str) -> None:
    value = value_of(scalar)
    assert type(value) is BareDecimal
    assert isinstance(value, Decimal)
    assert value.as_tuple() == Decimal(exact).as_tuple()  # built from the text, not a float


def test_bare_decimals_are_exact() -> None:
    data = compose("a: 0.1\nb: 0.2\n").data
    assert data["a"] + data["b"] == Decimal("0.3")


def test_block_scalars_are_text() -> None:
    data = compose("a: |\n  1.5\nb: >-\n  yes\n").data
    assert data == {"a": "1.5\n", "b": "yes"}


def test_keys_are_text_even_when_they_look_like_values() -> None:
    assert compose("yes: 1\n1.5: 2\nnull: 3\ntrue: 4\n12: 5\n").data == {
        "yes": 1, "1.5": 2, "null": 3, "true": 4, 12: 5}


def test_invalid_explicit_core_tag() -> None:
    assert problems("a: !!int 1.5\n") == [("PR101", 1, 4)]
    assert problems("a: !!bool yes\n") == [("PR101", 1, 4)]


# --------------------------------------------------------------- positions


def test_every_value_and_key_has_a_position() -> None:
    doc = compose("a:\n  b: [10, 'x']\n  c: {d: 1}\ne: |\n  text\n")
    value = doc.positions[("a", "b", 1)].value
    assert (value.line, value.col) == (2, 11)
    pos = doc.positions[("a", "c", "d")]
    assert pos.key is not None
    assert (pos.key.line, pos.key.col, pos.value.line, pos.value.col) == (3, 7, 3, 10)
    assert doc.positions[("a", "b", 1)].style == "'"
    assert doc.positions[("e",)].style == "|"
    assert doc.positions[("a", "c", "d")].style is None
    root = doc.positions[()].value
    assert (root.file, root.line, root.col) == ("x.yaml", 1, 1)


def test_position_falls_back_to_the_nearest_ancestor() -> None:
    doc = compose("a:\n  b: 1\n")
    pos = doc.position(("a", "function-after[check]", "b", "missing"))
    assert (pos.value.line, pos.value.col) == (2, 6)
    assert doc.position(("nothing", "here")).value.line == 1


def test_position_skips_a_union_tag_that_equals_a_key() -> None:
    # pydantic reports effect errors under the union's tag: effect.percent_off.max_units
    doc = compose("effect: { percent_off: 10, max_units: 0 }\n")
    pos = doc.position(("effect", "percent_off", "max_units"))
    assert pos.key is not None
    assert (pos.key.col, pos.value.line, pos.value.col) == (28, 1, 39)
    assert doc.position(("effect", "percent_off", "percent_off")).value.col == 24
    assert doc.position(("effect", "percent_off")).value.col == 24


def test_source_file_lines() -> None:
    source = SourceFile("s.yaml", "a: 1\nb: 2\n")
    assert source.lines == ["a: 1", "b: 2"]


def test_anchors_and_aliases_share_values() -> None:
    data = compose("base: &b {percent_off: 10}\nother: *b\n").data
    assert data["other"] == {"percent_off": 10}


# ------------------------------------------------------------ PR101 syntax


@pytest.mark.parametrize(
    ("text", "line", "col"),
    [
        ("a: b: c\n", 1, 5),
        ("a: 1\n b: 2\n", 2, 3),
        ("- a\nb: 1\n", 2, 1),
        ("a:\n  b: 1\n c: 2\n", 3, 2),
        ("a: [1, 2\nb: 3\n", 2, 2),
        ("a: 'unterminated\n", 2, 1),
        ("a:\n\t- b\n", 2, 1),
        ("a: *nowhere\n", 1, 4),  # unknown alias
        ("base: &b {x: 1}\nother:\n  <<: *b\n", 3, 3),  # merge keys are refused
        ("? [a, b]\n: 1\n", 1, 3),  # a key that is not a scalar
    ],
)
def test_yaml_syntax_errors(text: str, line: int, col: int) -> None:
    assert problems(text) == [("PR101", line, col)]


# ---------------------------------------------------------- PR102 tags


@pytest.mark.parametrize(
    ("text", "col", "shown"),
    [
        ("a: !!python/object/apply:os.system ['true']\n", 4, "!!python/object/apply:os.system"),
        ("a: !!python/name:os.system ''\n", 4, "!!python/name:os.system"),
        ("a: !!python/object:collections.OrderedDict {}\n", 4,
         "!!python/object:collections.OrderedDict"),
        ("a: !custom text\n", 4, "!custom"),
        ("a: !!binary aGVsbG8=\n", 4, "!!binary"),
        ("a: !!timestamp 2026-06-01\n", 4, "!!timestamp"),
        ("a: !!set {x, y}\n", 4, "!!set"),
        ("a: !!omap [x: 1]\n", 4, "!!omap"),
    ],
)
def test_forbidden_tags(text: str, col: int, shown: str) -> None:
    _, diagnostics = compose_document(SourceFile("x.yaml", text))
    assert [(d.code, d.span.line, d.span.col) for d in diagnostics] == [("PR102", 1, col)]
    assert diagnostics[0].message == f"tag '{shown}' is not allowed"


def test_a_forbidden_tag_never_runs(tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    text = f"ruleset: !!python/object/apply:os.system ['touch {marker}']\n"
    _, diagnostics = compose_document(SourceFile("x.yaml", text))
    assert [d.code for d in diagnostics] == ["PR102"]
    assert not marker.exists()


# ---------------------------------------------------- PR103 duplicate keys


def test_duplicate_keys() -> None:
    text = "a: 1\nb:\n  c: 1\n  d: 2\n  c: 3\na: 4\n"
    doc, diagnostics = compose_document(SourceFile("x.yaml", text))
    assert [(d.code, d.span.line, d.span.col, d.message) for d in diagnostics] == [
        ("PR103", 5, 3, "duplicate key 'c' (first at line 3)"),
        ("PR103", 6, 1, "duplicate key 'a' (first at line 1)"),
    ]
    # The first value wins, and keeps its position.
    assert doc is not None
    assert doc.data == {"a": 1, "b": {"c": 1, "d": 2}}
    assert doc.positions[("b", "c")].value.line == 3
    assert doc.positions[("a",)].value.line == 1


def test_duplicate_keys_in_flow_mappings() -> None:
    assert problems("effect: {amount_off: '1', amount_off: '2'}\n") == [("PR103", 1, 27)]


# ------------------------------------------------------------- PR104 caps


BILLION_LAUGHS = """\
a: &a ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]
b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]
c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]
d: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c]
e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d]
f: &f [*e, *e, *e, *e, *e, *e, *e, *e, *e]
g: &g [*f, *f, *f, *f, *f, *f, *f, *f, *f]
h: &h [*g, *g, *g, *g, *g, *g, *g, *g, *g]
i: &i [*h, *h, *h, *h, *h, *h, *h, *h, *h]
"""


def test_an_alias_bomb_is_refused_quickly() -> None:
    start = time.perf_counter()
    doc, diagnostics = compose_document(SourceFile("bomb.yaml", BILLION_LAUGHS))
    assert time.perf_counter() - start < 1.0
    assert doc is None
    assert [(d.code, d.span.line) for d in diagnostics] == [("PR104", 6)]
    assert diagnostics[0].hint is not None and "alias bomb" in diagnostics[0].hint


def test_the_node_cap_counts_aliases_with_their_expansion(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(loader, "MAX_NODES", 50)
    text = "a: &a [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]\nb: [*a, *a, *a, *a, *a]\n"
    assert problems(text) == [("PR104", 2, 17)]  # the fourth *a passes 50
    assert problems("a: &a [1, 2, 3]\nb: [*a, *a]\n") == []


@pytest.mark.parametrize(
    "text",
    [
        "a: " + "[" * (loader.MAX_DEPTH + 10) + "]" * (loader.MAX_DEPTH + 10) + "\n",
        "".join("  " * i + f"k{i}:\n" for i in range(loader.MAX_DEPTH + 10)),
    ],
)
def test_nesting_too_deep(text: str) -> None:
    found = problems(text)
    assert [code for code, _, _ in found] == ["PR104"]


def test_nesting_at_the_limit_is_fine() -> None:
    depth = loader.MAX_DEPTH - 1  # the root mapping is one level
    assert problems("a: " + "[" * depth + "]" * depth + "\n") == []


def test_a_too_large_text(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(loader, "MAX_BYTES", 10)
    doc, diagnostics = compose_document(SourceFile("big.yaml", "ruleset: much-too-long\n"))
    assert doc is None
    assert [(d.code, d.span.file, d.span.line, d.span.col) for d in diagnostics] == [
        ("PR104", "big.yaml", 1, 1)]
    assert "the limit is 10" in diagnostics[0].message


def test_a_too_large_file_is_not_read(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    path = tmp_path / "big.yaml"
    path.write_text("ruleset: much-too-long\n")
    monkeypatch.setattr(loader, "MAX_BYTES", 10)
    with pytest.raises(PromoError) as caught:
        read_source(path)
    assert caught.value.code == "PR104"
    analysis = analyze_file(path)
    assert analysis.ruleset is None
    assert [(d.code, d.span.file, d.span.line, d.span.col) for d in analysis.diagnostics] == [
        ("PR104", str(path), 1, 1)]


# ------------------------------------------------------ PR106 documents


def test_two_documents() -> None:
    doc, diagnostics = compose_document(SourceFile("x.yaml", "a: 1\n---\nb: 2\n"))
    assert [(d.code, d.span.line, d.span.col) for d in diagnostics] == [("PR106", 2, 1)]
    assert doc is not None and doc.data == {"a": 1}  # the first document is kept


@pytest.mark.parametrize("text", ["", "\n\n", "# only a comment\n"])
def test_an_empty_file(text: str) -> None:
    doc, diagnostics = compose_document(SourceFile("x.yaml", text))
    assert doc is None
    assert [(d.code, d.span.line, d.span.col, d.message) for d in diagnostics] == [
        ("PR106", 1, 1, "the file is empty")]


def test_one_explicit_document_is_fine() -> None:
    assert compose("---\na: 1\n...\n").data == {"a": 1}


# ------------------------------------------------------------ reading files


def test_read_source(tmp_path: Path) -> None:
    path = tmp_path / "r.yaml"
    path.write_text("a: é\n", encoding="utf-8")
    source = read_source(path)
    assert (source.name, source.text, source.lines) == (str(path), "a: é\n", ["a: é"])


def test_unreadable_files_are_diagnostics(tmp_path: Path) -> None:
    missing = analyze_file(tmp_path / "missing.yaml")
    assert [(d.code, d.span.line, d.span.col) for d in missing.diagnostics] == [("PR100", 1, 1)]
    binary = tmp_path / "binary.yaml"
    binary.write_bytes(b"\xff\xfe\x00garbage")
    assert [d.code for d in analyze_file(binary).diagnostics] == ["PR100"]
