"""What the CITES analyses cover: a LEMIS-only database gives no counts (not zeros) and says
"no LEMIS rows in this selection", in the library, the CLI and the HTML report (with LEMIS
charts); the CLI prints names beside term and country codes; charts escape their labels."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest
from click.testing import CliRunner

from wildtrace.cli import cli, load_commands
from wildtrace.trade import charts, names
from wildtrace.trade.load import load_paths
from wildtrace.trade.reconcile import reconcile
from wildtrace.trade.report import html_report, report
from wildtrace.trade.routes import routes
from wildtrace.trade.schema import connect
from wildtrace.trade.screen import screen
from wildtrace.trade.synth import SynthResult
from wildtrace.trade.trends import spikes

ANALYSES = {"reconcile": reconcile, "screen": screen, "trends": spikes, "routes": routes}


@pytest.fixture(scope="module")
def lemis_db(synth_dir: SynthResult, tmp_path_factory: pytest.TempPathFactory) -> Path:
    db = tmp_path_factory.mktemp("lemis") / "l.duckdb"
    con = connect(db)
    load_paths(con, [synth_dir.lemis])
    con.close()
    return db


def test_a_lemis_only_database_counts_nothing_and_says_so(lemis_db: Path) -> None:
    con = connect(lemis_db, read_only=True)
    for name, run in ANALYSES.items():
        res = run(con)
        cover = res["covers"]
        assert cover["applies"] is False and cover["records"] == 0 and cover["lemis_records_not_read"] > 0, cover
        assert res["flag_counts"] == {}, (name, res["flag_counts"])
        assert "no LEMIS rows in this selection" in cover["statement"], cover
    text = html_report(report(con))
    assert "no LEMIS rows in this selection" in text and "spike: 0" not in text
    assert "none counted: this analysis read no records" in text
    # the LEMIS line items get charts of their own, each with a title, and tables
    assert "LEMIS line items, per description and unit" in text
    assert "<title>LEMIS line items per year: all, refused, seized</title>" in text
    assert "US imports (declared to USFWS)" in text and "number of specimens" in text
    con.close()


def test_cites_analyses_say_what_they_read(loaded: duckdb.DuckDBPyConnection) -> None:
    for name, run in ANALYSES.items():
        cover = run(loaded)["covers"]
        assert cover["applies"] and cover["records"] > 0, (name, cover)
        assert "CITES Trade Database shipment records" in cover["statement"], cover


def test_cli_prints_coverage_and_names(lemis_db: Path, loaded: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    load_commands()
    runner = CliRunner()
    env = {"WILDTRACE_DATA_DIR": str(tmp_path / "data")}
    r = runner.invoke(cli, ["trade", "trends", "--db", str(lemis_db)], env=env)
    assert r.exit_code == 0, r.output
    assert r.output.startswith("covers: trends found no CITES records") and "no LEMIS rows in this selection" in r.output
    assert "spike=0" not in r.output and "flag_counts" not in r.output
    db = Path(loaded.execute("SELECT path FROM duckdb_databases() WHERE NOT internal").fetchall()[0][0])
    r = runner.invoke(cli, ["trade", "reconcile", "--db", str(db)], env=env)
    assert r.exit_code == 0, r.output
    flag_lines = [ln for ln in r.output.splitlines() if ln.startswith("- ")]
    assert flag_lines, r.output
    # names beside the codes: "live (LIV) in number of specimens, Madagascar (MG) -> Japan (JP)"
    assert all(" -> " in ln and ln.count("(") >= 3 for ln in flag_lines), flag_lines
    assert any("live (LIV)" in ln for ln in flag_lines), flag_lines


def test_names_and_charts() -> None:
    assert names.country("JP") == "Japan (JP)" and names.country(None) == "unknown" and names.country("ZZ9") == "ZZ9"
    assert names.term("SKI") == "skins (SKI)" and names.term("DEA") == "dead animal (whole) (DEA)"
    assert names.unit(None) == "number of specimens" and names.unit("NO") == "number of specimens"
    assert names.unit("KIL") == names.unit("KG") == "kg"
    evil = "<script>alert(1)</script>"
    svg = charts.bars([(evil, (1.0, 2.0))], f"title {evil}", "kg", series=("exporter-reported", "importer-reported"))
    assert "<script>" not in svg and "&lt;script&gt;" in svg
    assert svg.startswith('<svg class="trade-chart" role="img" aria-label="title &lt;script&gt;')
    assert "<title>title &lt;script&gt;alert(1)&lt;/script&gt;</title>" in svg
    line = charts.lines({"exporter-reported": [(2000, 1.0), (2001, 3.0)], "importer-reported": [(2000, 2.0)]},
                        "per year", "kg")
    assert line.count("<polyline") == 2 and "<title>per year</title>" in line
    assert charts.lines({"a": [(2000, 1.0)]}, "one year", "kg") == ""  # one point is no line
