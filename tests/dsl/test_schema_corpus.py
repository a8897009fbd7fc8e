"""The editor schema (``schemas/ruleset.schema.json``) agrees with the loader.

Every file of the corpus (``data/schema_corpus/valid`` and ``invalid``, and the bundled
rulesets) goes through the loader and, read as an editor reads YAML, through a JSON Schema
validator with format checks on.  Both accept it or both refuse it, except the files of
``SCHEMA_CANNOT_EXPRESS``, where they must still differ, so that an exception that stops
being one is taken off the list.  An invalid file names the one code the loader refuses it with
(``# loader: PRnnn``), so that it tests what its comment says.

Not in the corpus, and not in the schema: the caps on a file as a whole (its bytes, lines,
YAML nodes and depth; 10,000 promotions; 2,000,000 characters of conditions together), a
number written with more than 10,000 characters, and timezone names only this machine's
own database has (``localtime``, ``posix/…``).
"""

from __future__ import annotations

import importlib.resources
import json
import math
import re
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from dsl import RulesetError, load_ruleset
from dsl.schema import ZONES_WITHOUT_AREA, ruleset_schema
from dsl.values import _coupon_code, _moment, _money, _percent, _timezone

ROOT = Path(__file__).resolve().parents[2]
CORPUS = Path(__file__).parent / "data" / "schema_corpus"
BUNDLED = sorted(ROOT.glob("rulesets/**/ruleset.yaml"))
FILES = sorted(CORPUS.glob("*/*.yaml")) + BUNDLED

JSON_NUMBERS = "JSON has one kind of number: a schema cannot tell the integer 15 from 15.00"
SCHEMA_CANNOT_EXPRESS: dict[str, str] = {
    # the written form of a number, which YAML keeps and JSON does not
    "invalid/amount-bare-whole-decimal.yaml": JSON_NUMBERS + ", and money may be an integer",
    "invalid/count-whole-decimal.yaml": JSON_NUMBERS + ", and a count must be an integer",
    "invalid/percent-too-precise-bare.yaml": "a bare number's decimals: 12.1234567 is a binary "
                                             "float in JSON, and multipleOf on floats errs",
    "invalid/percent-not-a-number.yaml": "YAML's .nan is a number JSON lacks, which fails no "
                                         "comparison: no keyword refuses it",
    "invalid/count-hexadecimal.yaml": "YAML 1.2, and an editor, read 0x10 as 16; the loader reads "
                                      "decimal integers only and takes it for text",
    # what the loader looks up or works out, beyond the shape of a value
    "invalid/timezone-unknown-location.yaml": "the IANA database is data: the schema states "
                                              "the shape of Area/Location names",
    "valid/date-week-form.yaml": "Python's ISO reader takes more forms than the documented ones "
                                 "(week dates, 20260217, an hour alone, offsets with seconds) "
                                 "and which depends on its version: the schema states those",
    # rules across values, which JSON Schema cannot compare
    "invalid/id-duplicate.yaml": "ids unique across promotions: uniqueItems compares whole items",
    "invalid/window-reversed.yaml": "a window's order: JSON Schema does not compare two values",
    # expressions: the schema sees text
    "invalid/expression-syntax.yaml": "an expression's syntax",
    "invalid/expression-unknown-name.yaml": "the names an expression may use",
    "invalid/expression-type-mismatch.yaml": "the types of an expression",
    "invalid/expression-item-in-when.yaml": "where item.* may be used in an expression",
}


class EditorYaml(yaml.SafeLoader):
    """YAML 1.2's core schema, as editors read a ruleset: dates and ``yes``/``no`` stay
    text, ``15.00`` is a number (PyYAML's own resolvers are YAML 1.1's)."""

    yaml_implicit_resolvers: dict[Any, Any] = {}


for _tag, _pattern, _first in [
    ("null", r"^(?:~|null|Null|NULL|)$", ["~", "n", "N", ""]),
    ("bool", r"^(?:true|True|TRUE|false|False|FALSE)$", list("tTfF")),
    ("int", r"^(?:[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+)$", list("-+0123456789")),
    ("float", r"^(?:[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?"
              r"|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$", list("-+0123456789.")),
]:
    EditorYaml.add_implicit_resolver(f"tag:yaml.org,2002:{_tag}", re.compile(_pattern), _first)


def _yaml12_int(loader: EditorYaml, node: yaml.ScalarNode) -> int:
    text = loader.construct_scalar(node)
    bases = {"0o": 8, "0x": 16}
    return int(text[2:], bases[text[:2]]) if text[:2] in bases else int(text)


def _yaml12_float(loader: EditorYaml, node: yaml.ScalarNode) -> float:
    text = loader.construct_scalar(node).lower()
    if text.lstrip("+-") == ".inf":
        return -math.inf if text.startswith("-") else math.inf
    return math.nan if text == ".nan" else float(text)


EditorYaml.add_constructor("tag:yaml.org,2002:int", _yaml12_int)
EditorYaml.add_constructor("tag:yaml.org,2002:float", _yaml12_float)


def editor_view(path: Path) -> Any:
    return yaml.load(path.read_text(encoding="utf-8"), Loader=EditorYaml)


def corpus_id(path: Path) -> str:
    return path.relative_to(CORPUS if CORPUS in path.parents else ROOT).as_posix()


@pytest.fixture(scope="module")
def validator() -> jsonschema.Draft202012Validator:
    schema = json.loads((ROOT / "schemas" / "ruleset.schema.json").read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(
        schema, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER)


def loader_codes(path: Path) -> set[str]:
    """The codes the loader refuses ``path`` with (none: it loads)."""
    try:
        load_ruleset(path)
    except RulesetError as err:
        return {d.code for d in err.diagnostics}
    return set()


def expected_code(path: Path) -> str | None:
    found = re.search(r"^# loader: (PR\d+)$", path.read_text(encoding="utf-8"), re.MULTILINE)
    return found.group(1) if found else None


@pytest.mark.parametrize("path", FILES, ids=corpus_id)
def test_the_schema_agrees_with_the_loader(
        path: Path, validator: jsonschema.Draft202012Validator) -> None:
    codes = loader_codes(path)
    meant_valid = path.parent.name != "invalid"
    assert codes == (set() if meant_valid else {expected_code(path)})
    errors = [f"{e.json_path}: {e.message[:200]}" for e in validator.iter_errors(editor_view(path))]
    schema_accepts = not errors
    why_not = SCHEMA_CANNOT_EXPRESS.get(corpus_id(path))
    if why_not is None:
        assert schema_accepts == meant_valid, errors or "the schema accepts it"
    else:
        assert schema_accepts != meant_valid, (
            f"listed as beyond the schema ({why_not}), but the schema now agrees with the "
            "loader: remove it from SCHEMA_CANNOT_EXPRESS")


def test_every_exception_is_a_corpus_file() -> None:
    assert set(SCHEMA_CANNOT_EXPRESS) <= {corpus_id(path) for path in FILES}


def test_the_corpus_covers_the_bundled_rulesets_and_enough_of_each_kind() -> None:
    assert len(BUNDLED) >= 4
    assert len(list(CORPUS.glob("valid/*.yaml"))) >= 25
    assert len(list(CORPUS.glob("invalid/*.yaml"))) >= 40
    undocumented = [corpus_id(path) for path in FILES if path.parent.parent == CORPUS
                    and not path.read_text(encoding="utf-8").startswith("# ")]
    assert undocumented == [], "each corpus file starts with a comment saying what it tests"


def test_every_format_the_schema_uses_is_checked(
        validator: jsonschema.Draft202012Validator) -> None:
    """A format the validator cannot check passes here and fails in an editor (``date-time``
    needs a package ``jsonschema`` does without): the schema uses patterns instead."""
    text = (ROOT / "schemas" / "ruleset.schema.json").read_text(encoding="utf-8")
    formats = set(re.findall(r'"format": "([^"]+)"', text))
    assert validator.format_checker is not None
    assert formats <= set(validator.format_checker.checkers)


# The values' patterns against their validators, on texts the corpus does not spell out.


def _value_schema(*path: str) -> jsonschema.Draft202012Validator:
    node: Any = ruleset_schema()
    for key in path:
        node = node[key]
    return jsonschema.Draft202012Validator(node)


def _accepts(validate: Any, value: Any) -> bool:
    try:
        validate(value)
    except Exception:  # a pydantic custom error, or ValueError: refused
        return False
    return True


class _Context:
    """What a money validator is given when no currency is known: no decimals to check."""

    context = None


AMOUNTS = ["0", "9.99", " 9.99 ", "009.99", "-0", "-0.00", "-1", "+1", "1.", ".5", "1e3",
           "1,5", "1000000000000000", "1000000000000000.000", "1000000000000000.001",
           "999999999999999.999999", "10000000000000000", "", " ", "9.99\n", "٣"]
PERCENTS = ["0", "0.0", "-0", "0.000001", "0.0000001", "12.5", " 12.5 ", "100", "100.000000",
            "100.0000001", "100.1", "0100", "99.999999", "1e2", "50%", "", "-5"]
MOMENTS = ["2026-06-01", "2026-06-01T09:00", "2026-06-01T09:00:00", "2026-06-01T09:00:00.5",
           "2026-06-01T09:00:00.1234567", "2026-06-01 09:00", "2026-06-01T09:00Z",
           "2026-06-01T09:00:00-04:00", "2026-06-01T09:00+23:59", "2026-06-01T09:00+24:00",
           "2026-06-01T23:59:59", "2026-06-01T23:59:60", "2026-06-01T24:00", "2026-13-01",
           "2026-00-10", "2026-04-31", "2026-12-31", "2000-02-29", "1900-02-29", "2024-02-29",
           "1900-01-01", "1899-12-31T23:59", "9000-12-31T23:59", "9001-01-01", " 2026-06-01 ",
           "2026-06-01T", "2026-06-01T9:00", "2026-6-1", "2026-06-01t09:00", "2026-06-01Z",
           "2026-06-01  09:00", "26-06-01", "2026-06-01T09:00:00.", "2026-06-01T09:00+1"]
MOMENTS_PYTHON_ADDS = ["20260601", "2026-W22-1", "2026W22", "2026-06-01T09", "2026-06-01T0900",
                       "2026-06-01T09:00:00,5", "2026-06-01T09:00+01", "2026-06-01T09:00+0100",
                       "2026-06-01T09:00+01:00:30"]
CODES = ["SUMMER", " SUMMER ", "S", "", "   ", "\tX\t", "C" * 100, " " + "C" * 100 + " ",
         "C" * 101, "C" + " " * 98 + "C", "C" + " " * 99 + "C"]
ZONES = ["Europe/Berlin", "America/Argentina/Buenos_Aires", "Etc/GMT+5", "UTC", "GMT+0",
         "CET+1", "GMT+1", "Europe", "europe/berlin", "Europe/Berlin ", "/Europe/Berlin",
         "Europe//Berlin", "Europe/../Europe/Berlin", "US/Eastern", "Zulu", ""]


@pytest.mark.parametrize(("path", "validate", "samples"), [
    pytest.param(("$defs", "AmountOff", "properties", "amount_off"),
                 lambda value: _money(value, _Context()), AMOUNTS, id="amount"),
    pytest.param(("$defs", "PercentOff", "properties", "percent_off"), _percent, PERCENTS,
                 id="percent"),
    pytest.param(("$defs", "Window", "properties", "from", "anyOf", 0), _moment, MOMENTS,
                 id="moment"),
    pytest.param(("$defs", "Promotion", "properties", "coupon", "anyOf", 0), _coupon_code,
                 CODES, id="coupon-code"),
    pytest.param(("properties", "timezone"), _timezone, ZONES + list(ZONES_WITHOUT_AREA),
                 id="timezone"),
])
def test_a_value_pattern_agrees_with_its_validator(path: tuple[str, ...], validate: Any,
                                                   samples: list[str]) -> None:
    schema = _value_schema(*path)
    differ = [text for text in samples if schema.is_valid(text) != _accepts(validate, text)]
    assert differ == []


def test_every_name_of_the_tzdata_package_is_a_timezone_of_the_schema() -> None:
    names = (importlib.resources.files("tzdata") / "zones").read_text(encoding="utf-8").split()
    schema = _value_schema("properties", "timezone")
    assert len(names) > 500
    assert [name for name in names if not schema.is_valid(name)] == []


def test_the_moment_pattern_states_only_the_documented_forms() -> None:
    """The loader reads what Python's ``fromisoformat`` reads, which grows with its version;
    the schema states the forms the documentation gives (``valid/date-week-form.yaml``)."""
    schema = _value_schema("$defs", "Window", "properties", "from", "anyOf", 0)
    assert not any(schema.is_valid(text) for text in MOMENTS_PYTHON_ADDS)
