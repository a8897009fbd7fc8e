"""promo eval with several carts, and with a cart on standard input."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
from click.testing import CliRunner

from engine.cli import cli

RULESET = "rulesets/fashion/ruleset.yaml"
CARTS = sorted(f"rulesets/fashion/carts/{p.name}"
               for p in (Path(__file__).resolve().parents[2] / "rulesets/fashion/carts")
               .glob("*.yaml"))
EXAMPLE = "rulesets/fashion/carts/example.yaml"


def _eval(runner: CliRunner, *args: str, stdin: str | bytes | None = None) -> tuple[int, str, str]:
    result = runner.invoke(cli, ["eval", *args], input=stdin)
    return result.exit_code, result.stdout, result.stderr


def test_json_lines_one_result_per_cart_naming_its_file(root: Path, monkeypatch) -> None:
    monkeypatch.chdir(root)
    runner = CliRunner()
    code, out, _ = _eval(runner, RULESET, *CARTS, "--format", "json")
    assert code == 0
    lines = [json.loads(line) for line in out.splitlines()]
    assert [line["file"] for line in lines] == CARTS
    schema = json.loads((root / "schemas" / "result.schema.json").read_text())
    for line in lines:
        jsonschema.validate(line["result"], schema)
        _, alone, _ = _eval(runner, RULESET, line["file"], "--format", "json")
        assert line["result"] == json.loads(alone)  # the same result as priced alone


def test_text_blocks_then_a_summary_table(root: Path, monkeypatch) -> None:
    monkeypatch.chdir(root)
    runner = CliRunner()
    code, out, _ = _eval(runner, RULESET, *CARTS)
    assert code == 0
    for cart in CARTS:
        _, alone, _ = _eval(runner, RULESET, cart)
        assert f"==> {cart} <==\n{alone}\n" in out  # each cart's block, as printed alone
    summary = out[out.index(f"Summary of {len(CARTS)} carts:"):].splitlines()
    assert summary[1].split() == ["file", "cart", "subtotal", "discount", "total", "applied"]
    example = next(row for row in summary if row.startswith(EXAMPLE))
    assert example.split(None, 5) == [EXAMPLE, "nl-cart-100231", "238.45", "-64.11", "179.29",
                                      "summer-swim-30, vip-15, basics-tee-12, free-shipping-75"]


def test_one_cart_prints_exactly_what_it_always_did(root: Path, monkeypatch) -> None:
    """One cart: the result alone (no file header, no summary), in both formats."""
    monkeypatch.chdir(root)
    runner = CliRunner()
    for fmt in ("text", "json"):
        _, out, _ = _eval(runner, RULESET, EXAMPLE, "--format", fmt)
        assert out.startswith("ruleset nordlicht" if fmt == "text" else "{\n  \"ruleset\"")
        assert "==>" not in out and "Summary" not in out


def test_a_dash_reads_the_cart_from_standard_input(root: Path, monkeypatch) -> None:
    monkeypatch.chdir(root)
    runner = CliRunner()
    text = (root / EXAMPLE).read_text()
    _, from_file, _ = _eval(runner, RULESET, EXAMPLE)
    code, from_stdin, _ = _eval(runner, RULESET, "-", stdin=text)
    assert code == 0 and from_stdin == from_file
    code, out, _ = _eval(runner, RULESET, EXAMPLE, "-", "--format", "json", stdin=text)
    assert [json.loads(line)["file"] for line in out.splitlines()] == [EXAMPLE, "<stdin>"]


def test_standard_input_only_once(root: Path, monkeypatch) -> None:
    monkeypatch.chdir(root)
    code, out, err = _eval(CliRunner(), RULESET, "-", "-", stdin="{}")
    assert code == 2 and out == ""
    assert "standard input ('-') can be given as a cart only once" in err


def test_an_invalid_cart_on_standard_input_is_named(root: Path, monkeypatch) -> None:
    monkeypatch.chdir(root)
    code, out, err = _eval(CliRunner(), RULESET, "-", stdin="id: c\ncurrency: EUR\nlines: x\n")
    assert code == 2 and out == ""
    assert err.startswith("<stdin>:3:8: PR300")


def test_standard_input_is_read_up_to_a_carts_size(root: Path, monkeypatch) -> None:
    from dsl.loader import MAX_BYTES

    monkeypatch.chdir(root)
    code, out, err = _eval(CliRunner(), RULESET, "-", stdin="#" * (MAX_BYTES + 10))
    assert code == 2 and out == ""
    assert "<stdin>:1:1: PR104 standard input holds more than" in err


def test_every_invalid_cart_reported_and_nothing_printed(root: Path, tmp_path: Path,
                                                         monkeypatch) -> None:
    """A CI reads every mistake at once, and no partial output that looks complete."""
    monkeypatch.chdir(root)
    usd = tmp_path / "usd.yaml"
    usd.write_text("id: c1\ncurrency: USD\nlines: []\n")
    bad_price = tmp_path / "price.json"
    bad_price.write_text('{"id": "c2", "currency": "EUR", "lines": '
                         '[{"id": "a", "sku": "X", "unit_price": 9.99, "quantity": 1}]}')
    missing = tmp_path / "missing.yaml"
    for fmt in ("text", "json"):
        code, out, err = _eval(CliRunner(), RULESET, EXAMPLE, str(usd), str(bad_price),
                               str(missing), "--format", fmt)
        assert code == 2
        assert out == ""
        assert f"{usd}:1:1: PR305 currency: the cart is in USD but the ruleset is in EUR" in err
        assert f"{bad_price}:1:" in err and "PR303 lines[0].unit_price" in err
        assert f"{missing}:1:1: PR307" in err
        assert err.endswith("3 of 4 carts invalid: nothing was priced\n")
        assert "Traceback" not in err


def test_one_invalid_cart_alone_names_its_file(root: Path, tmp_path: Path,
                                               monkeypatch) -> None:
    monkeypatch.chdir(root)
    usd = tmp_path / "usd.yaml"
    usd.write_text("id: c1\ncurrency: USD\nlines: []\n")
    code, out, err = _eval(CliRunner(), RULESET, str(usd))
    assert code == 2 and out == ""
    assert err == f"{usd}:1:1: PR305 currency: the cart is in USD but the ruleset is in EUR\n"


def test_a_cart_is_required(root: Path, monkeypatch) -> None:
    monkeypatch.chdir(root)
    code, _, err = _eval(CliRunner(), RULESET)
    assert code == 2 and "Missing argument 'CART...'" in err


def test_standard_input_that_is_not_text(root: Path, monkeypatch) -> None:
    monkeypatch.chdir(root)
    code, out, err = _eval(CliRunner(), RULESET, "-", stdin=b"\xff\xfe\x00id")
    assert code == 2 and out == ""
    assert err.startswith("<stdin>:1:1: PR307 cannot read cart: standard input is not UTF-8")
