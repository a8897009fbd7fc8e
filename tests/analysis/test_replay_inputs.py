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


_HEADER = "order_id,at,currency,line_id,sku,unit_price,quantity,customer_orders,line_attributes"


def _csv_row(quantity: str = "1", orders: str = "0", attributes: str = "{}") -> str:
    return f"o1,2026-06-01T10:00:00+02:00,EUR,l1,A,100.00,{quantity},{orders},\"{attributes}\""


@pytest.mark.parametrize(("row", "expected"), [
    # json would keep the last of the two: which one was meant is a guess
    (_csv_row(attributes='{""size"": ""S"", ""size"": ""XL""}'),
     "PR103 line_attributes: duplicate key 'size'"),
    (_csv_row(attributes="[" * 100_000 + "]" * 100_000), "PR313 line_attributes: JSON nested"),
    (_csv_row(attributes='{""a"": ' * 3000 + "1" + "}" * 3000), "PR313"),
    # digits that are not 0-9: int('²') raised, int('٣') read 3
    (_csv_row(quantity="²"), "PR300 order o1: lines[0].quantity"),
    (_csv_row(quantity="٣"), "PR300 order o1: lines[0].quantity"),
    (_csv_row(orders="²"), "PR300 order o1: customer.orders"),
])
def test_hostile_csv_cells_are_named_not_a_traceback(shop, runner, tmp_path: Path, row: str,
                                                     expected: str) -> None:
    ruleset, _, _ = shop
    path = tmp_path / "orders.csv"
    path.write_text(f"{_HEADER}\n{row}\n", encoding="utf-8")
    result = runner.invoke(cli, ["replay", str(ruleset), "--orders", str(path)])
    assert result.exit_code == 2, result.output
    assert f"{path}:1:1: {expected}" in result.output
    assert "Traceback" not in result.output


def _parquet(tmp_path: Path, **columns) -> Path:
    rows = {"order_id": ["o1", "o1"], "at": ["2026-06-01T10:00:00+02:00"] * 2,
            "currency": ["EUR"] * 2, "line_id": ["l1", "l2"], "sku": ["A", "B"],
            "unit_price": ["100.00", "10.00"], "quantity": [1, 2]} | columns
    pq.write_table(pa.table(rows), tmp_path / "orders.parquet")
    return tmp_path / "orders.parquet"


@pytest.mark.parametrize(("columns", "expected"), [
    ({"order_id": [["o1"], ["o1"]]}, "PR332 order_id: a list<element: string> column where "
                                     "one value a row is expected"),
    ({"sku": [["A", "B"], ["C"]]}, "PR332 sku: a list<element: string> column"),
    ({"line_attributes": [{"size": "S"}, {"size": "M"}]},
     "PR332 line_attributes: a struct<size: string> column"),
    ({"customer_attributes": [1, 2]}, "PR332 customer_attributes: attributes are JSON text"),
    ({"sku": pa.array([10**18 + 1] * 2, pa.time64("ns"))}, "PR332 sku: values of type time64"),
    ({"order_id": pa.array([10**18 + 1] * 2, pa.time64("ns"))},
     "PR332 order_id: values of type time64"),
])
def test_hostile_parquet_columns_are_named_not_a_traceback(shop, runner, tmp_path: Path,
                                                           columns: dict,
                                                           expected: str) -> None:
    ruleset, _, _ = shop
    path = _parquet(tmp_path, **columns)
    result = runner.invoke(cli, ["replay", str(ruleset), "--orders", str(path)])
    assert result.exit_code == 2, result.output
    assert f"{path}:1:1: {expected}" in result.output
    assert "Traceback" not in result.output


def test_a_parquet_time_in_nanoseconds_is_read_to_the_microsecond(shop, tmp_path: Path) -> None:
    ruleset, _, _ = shop
    # 2026-06-01T08:00:00.123456789Z; to_pylist raised on nanoseconds it cannot hold
    at = pa.array([1_780_300_800_123_456_789] * 2, pa.timestamp("ns", tz="UTC"))
    seen: list = []
    replay(ruleset, _parquet(tmp_path, at=at), each=seen.append)
    assert [o.instant.isoformat() for o in seen] == ["2026-06-01T08:00:00.123456+00:00"]
