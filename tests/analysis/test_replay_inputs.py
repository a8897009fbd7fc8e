"""The history's layouts (JSON lines, CSV, Parquet), the command line, bad input, dask."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from engine.analysis.replay import replay
from engine.cli import cli

from .orders import flat_rows, history, write_lines, write_ruleset


def _seen(ruleset: Path, orders: Path, **options) -> list[tuple]:
    out: list[tuple] = []
    report = replay(ruleset, orders, each=lambda o: out.append(
        (o.order, o.gross, tuple(sorted((u.promotion, u.amount) for u in o.uses)))), **options)
    assert report.orders == len(out)
    return out


@pytest.fixture
def shop(tmp_path: Path) -> tuple[Path, list[dict], Path]:
    orders = history(150, seed=3)
    return write_ruleset(tmp_path / "shop.yaml"), orders, \
        write_lines(tmp_path / "orders.jsonl", orders)


def test_csv_and_parquet_replay_as_json_lines(shop, tmp_path: Path) -> None:
    ruleset, orders, lines = shop
    expected = _seen(ruleset, lines)
    rows = flat_rows(orders)
    with open(tmp_path / "orders.csv", "w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    assert _seen(ruleset, tmp_path / "orders.csv", chunk_orders=7) == expected
    table = pa.Table.from_pylist(rows)
    table = table.set_column(table.schema.get_field_index("tags"), "tags",
                             pa.array([r["tags"].split(";") if r["tags"] else []
                                       for r in rows]))
    pq.write_table(table, tmp_path / "orders.parquet", row_group_size=100)
    assert _seen(ruleset, tmp_path / "orders.parquet", chunk_orders=11, workers=2) == expected


def test_flat_layout_errors(shop, runner, tmp_path: Path) -> None:
    ruleset, orders, _ = shop
    rows = flat_rows(orders[:3])
    table = pa.Table.from_pylist([{**r, "unit_price": float(r["unit_price"])} for r in rows])
    pq.write_table(table, tmp_path / "float.parquet")
    result = runner.invoke(cli, ["replay", str(ruleset), "--orders",
                                 str(tmp_path / "float.parquet")])
    assert result.exit_code == 2 and "PR332" in result.output and "float" in result.output
    pq.write_table(pa.Table.from_pylist([{k: v for k, v in r.items() if k != "sku"}
                                         for r in rows]), tmp_path / "nosku.parquet")
    result = runner.invoke(cli, ["replay", str(ruleset), "--orders",
                                 str(tmp_path / "nosku.parquet")])
    assert result.exit_code == 2 and "PR332 missing column sku" in result.output
    (tmp_path / "nosku.csv").write_text("order_id,at,currency,line_id,unit_price,quantity\n"
                                        "o1,2026-06-01T10:00:00+02:00,EUR,l1,9.90,1\n")
    result = runner.invoke(cli, ["replay", str(ruleset), "--orders",
                                 str(tmp_path / "nosku.csv")])
    assert result.exit_code == 2 and "PR332 missing column sku" in result.output
    apart = rows + [rows[0] | {"line_id": "again"}]
    pq.write_table(pa.Table.from_pylist(apart), tmp_path / "apart.parquet")
    result = runner.invoke(cli, ["replay", str(ruleset), "--orders",
                                 str(tmp_path / "apart.parquet")])
    assert result.exit_code == 2 and "PR332" in result.output and "apart" in result.output


@pytest.mark.parametrize("column", ["unit_price", "order_id", "line_attributes"])
def test_a_column_given_twice_is_refused_not_guessed(shop, runner, tmp_path: Path,
                                                     column: str) -> None:
    ruleset, _, _ = shop
    header = ["order_id", "at", "currency", "line_id", "sku", "unit_price", "quantity",
              "line_attributes", column]
    row = ["o1", "2026-06-01T10:00:00+02:00", "EUR", "l1", "A", "100.00", "1", "{}",
           "o2" if column == "order_id" else "1.00" if column == "unit_price" else "{}"]
    (tmp_path / "twice.csv").write_text(",".join(header) + "\n" + ",".join(row) + "\n")
    table = pa.Table.from_arrays([pa.array([value]) for value in row], names=header)
    pq.write_table(table, tmp_path / "twice.parquet")
    for name in ("twice.csv", "twice.parquet"):
        result = runner.invoke(cli, ["replay", str(ruleset), "--orders", str(tmp_path / name)])
        assert result.exit_code == 2, result.output
        assert f"PR332 the column {column} appears more than once" in result.output
        assert "Traceback" not in result.output


def test_cli_text_json_html(shop, runner, tmp_path: Path) -> None:
    ruleset, orders, lines = shop
    report = tmp_path / "report.html"
    text = runner.invoke(cli, ["replay", str(ruleset), "--orders", str(lines), "--html",
                               str(report)])
    assert text.exit_code == 0, text.output
    assert text.output.startswith("replay of ruleset generated-100-s1 · EUR\n150 orders (")
    data = json.loads(runner.invoke(cli, ["replay", str(ruleset), "--orders", str(lines),
                                          "--format", "json", "--workers", "2"]).output)
    assert data["orders"] == 150 and data["discount"] in text.output
    used = [p for p in data["promotions"] if p["uses"]]
    assert used and all(p["per_order"] for p in used)
    page = report.read_text(encoding="utf-8")
    assert page.count("<svg") == 3 and "Budget burn-down" in page
    assert "http" not in page.replace('lang=en', '')  # nothing fetched


def test_bad_histories_are_named(shop, runner, tmp_path: Path) -> None:
    ruleset, orders, _ = shop
    late_first = write_lines(tmp_path / "late.jsonl", [orders[5], orders[0]])
    result = runner.invoke(cli, ["replay", str(ruleset), "--orders", str(late_first)])
    assert result.exit_code == 2 and f"{late_first}:2:1: PR330" in result.output
    undated = write_lines(tmp_path / "undated.jsonl",
                          [orders[0], {k: v for k, v in orders[1].items() if k != "at"}])
    result = runner.invoke(cli, ["replay", str(ruleset), "--orders", str(undated),
                                 "--workers", "2"])
    assert result.exit_code == 2 and f"{undated}:2:1: PR331" in result.output
    for name, text in (("x.txt", "hello"), ("missing.jsonl", None)):
        path = tmp_path / name
        if text is not None:
            path.write_text(text)
        result = runner.invoke(cli, ["replay", str(ruleset), "--orders", str(path)])
        assert result.exit_code == 2 and "PR333" in result.output, result.output
    broken = tmp_path / "broken.jsonl"
    broken.write_text(json.dumps(orders[0]) + "\n{\"id\": \n")
    result = runner.invoke(cli, ["replay", str(ruleset), "--orders", str(broken)])
    assert result.exit_code == 2 and f"{broken}:2:" in result.output
    assert "Traceback" not in result.output


def test_dask_local_cluster_equals_one_worker(shop) -> None:
    from distributed import LocalCluster

    ruleset, _, lines = shop
    expected = _seen(ruleset, lines)
    with LocalCluster(n_workers=1, threads_per_worker=2, processes=False,
                      dashboard_address=None) as cluster:
        assert _seen(ruleset, lines, dask=cluster.scheduler_address, chunk_orders=20) \
            == expected


def test_dask_unreachable(shop, runner) -> None:
    ruleset, _, lines = shop
    result = runner.invoke(cli, ["replay", str(ruleset), "--orders", str(lines), "--dask",
                                 "tcp://127.0.0.1:9"])
    assert result.exit_code == 2 and "PR536" in result.output, result.output


def test_readme_shows_the_real_replay_output(runner, root: Path, monkeypatch) -> None:
    monkeypatch.chdir(root)
    readme = (root / "README.md").read_text(encoding="utf-8")
    command = ("promo replay rulesets/fashion/ruleset.yaml --orders "
               "rulesets/fashion/orders.jsonl")
    start = readme.index(f"`{command}`:")
    block = readme.index("```text\n", start) + len("```text\n")
    assert readme[block:readme.index("```", block)] == \
        runner.invoke(cli, command.split()[1:]).output
