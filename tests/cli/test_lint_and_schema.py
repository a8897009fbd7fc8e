"""promo lint and promo schema: exit codes, rendered errors, stale schemas."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
from click.testing import CliRunner

from dsl.lint import discover
from dsl.loader import compose_document, read_source
from engine.cli import cli
from engine.schemas import all_schemas, schema_text

FIVE_MISTAKES = "tests/dsl/data/five_mistakes.yaml"


def test_lint_bundled_rulesets_clean(runner: CliRunner, root: Path, monkeypatch) -> None:
    monkeypatch.chdir(root)
    result = runner.invoke(cli, ["lint"])
    assert result.exit_code == 0, result.output
    assert "All clean" in result.output


def test_lint_reports_every_mistake_with_caret(runner: CliRunner, root: Path,
                                                monkeypatch) -> None:
    monkeypatch.chdir(root)
    result = runner.invoke(cli, ["lint", FIVE_MISTAKES])
    assert result.exit_code == 1
    out = result.output
    for where in ("14:40: PR126", "16:42: PR170", "22:36: PR171", "23:27: PR105",
                  "24:5: PR103"):
        assert f"{FIVE_MISTAKES}:{where}" in out
    assert "  16 |     target: item.category == \"shoes\" and item.seler != \"outlet\"" in out
    assert "Found 5 errors and 0 warnings in 1 file." in out
    assert "Traceback" not in out


def test_lint_json_format(runner: CliRunner, root: Path, monkeypatch) -> None:
    monkeypatch.chdir(root)
    result = runner.invoke(cli, ["lint", "--format", "json", FIVE_MISTAKES])
    assert result.exit_code == 1
    data = json.loads(result.output)
    assert [d["code"] for d in data["diagnostics"]] == ["PR126", "PR170", "PR171", "PR105",
                                                        "PR103"]
    assert data["diagnostics"][1]["expr_col"] == 30
    assert data["summary"]["error"] == 5


def test_lint_missing_path_is_usage_error(runner: CliRunner, tmp_path: Path) -> None:
    result = runner.invoke(cli, ["lint", str(tmp_path / "nope")])
    assert result.exit_code == 2
    assert "PR500 no such file or directory" in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)


def test_lint_skips_carts_and_tests_folders(tmp_path: Path) -> None:
    (tmp_path / "shop" / "carts").mkdir(parents=True)
    (tmp_path / "shop" / "ruleset.yaml").write_text("x: 1\n")
    (tmp_path / "shop" / "carts" / "a.yaml").write_text("id: c\n")
    assert discover([tmp_path]) == [tmp_path / "shop" / "ruleset.yaml"]


def test_checked_in_schemas_are_current(root: Path) -> None:
    for name, schema in all_schemas().items():
        path = root / "schemas" / name
        assert path.is_file(), f"missing {path}: run `promo schema`"
        assert path.read_text(encoding="utf-8") == schema_text(name, schema), \
            f"{path} is stale: run `promo schema`"


def test_schema_command_regenerates_identical_files(runner: CliRunner, root: Path,
                                                    monkeypatch) -> None:
    monkeypatch.chdir(root)
    result = runner.invoke(cli, ["schema", "--check"])
    assert result.exit_code == 0, result.output
    assert "up to date" in result.output


def test_schema_command_writes_into_directory(runner: CliRunner, tmp_path: Path) -> None:
    result = runner.invoke(cli, ["schema", "-o", str(tmp_path)])
    assert result.exit_code == 0
    written = sorted(str(p.relative_to(tmp_path)) for p in tmp_path.rglob("*.*"))
    assert written == sorted(all_schemas())


def test_bundled_rulesets_validate_against_schema(root: Path) -> None:
    schema = json.loads((root / "schemas" / "ruleset.schema.json").read_text())
    jsonschema.Draft202012Validator.check_schema(schema)
    files = discover([root / "rulesets"])
    assert len(files) >= 3
    for path in files:
        doc, diagnostics = compose_document(read_source(path))
        assert doc is not None and not diagnostics
        jsonschema.validate(doc.data, schema)


def test_writing_the_schemas_needs_no_service_library() -> None:
    """`promo schema` writes the service's contract too, without the `serve` extra."""
    import subprocess
    import sys

    check = "import sys, engine.schemas; sys.exit('starlette' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", check]).returncode == 0


def test_schema_into_a_place_that_cannot_be_written_is_named(runner: CliRunner,
                                                             tmp_path: Path) -> None:
    a_file = tmp_path / "file"
    a_file.write_text("")
    result = runner.invoke(cli, ["schema", "-o", str(a_file / "schemas")])
    assert result.exit_code == 2, result.output
    assert f"PR509 {a_file / 'schemas'}: cannot write: Not a directory" in result.output
