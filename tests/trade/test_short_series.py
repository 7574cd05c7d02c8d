"""Spikes in short series and per report (``trends.spikes``).

A series with one to four earlier years cannot have a five-year median: the short-series rule
flags a year at least 5x the largest earlier year and above the unit's floor, as its own kind
(``short_series_spike``). Exporter-reported and importer-reported series are separate series,
never added. Fixtures: hand-written rows (invented numbers) in the exact shape of a comparative
tabulation download, after a real jump of 70 kg to 3,310 kg of giant pangolin scales.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import duckdb
from click.testing import CliRunner

from wildtrace.cli import cli, load_commands
from wildtrace.trade import flags as flag_rows
from wildtrace.trade.load import load_paths
from wildtrace.trade.schema import connect
from wildtrace.trade.trends import SHORT_FLOORS, spikes

HEAD = ("Year,App.,Taxon,Class,Order,Family,Genus,Importer,Exporter,Origin,Importer reported quantity,"
        "Exporter reported quantity,Term,Unit,Purpose,Source\n")


def _row(year: int, taxon: str, importer: str, exporter: str, q_i: float | str, q_e: float | str, term: str,
         unit: str = "", source: str = "W") -> str:
    return f"{year},II,{taxon},Mammalia,Pholidota,Manidae,Manis,{importer},{exporter},,{q_i},{q_e},{term},{unit},T,{source}\n"


def _load(folder: Path, rows: list[str]) -> tuple[duckdb.DuckDBPyConnection, Path]:
    (folder / "comptab.csv").write_text(HEAD + "".join(rows))
    db = folder / "t.duckdb"
    con = connect(db)
    [res] = load_paths(con, [folder / "comptab.csv"])
    assert res.status == "loaded" and res.rows_rejected == 0, res
    return con, db


def _of(found: list[dict[str, Any]], **want: Any) -> list[dict[str, Any]]:
    return [f for f in found if all(f.get(k) == v for k, v in want.items())]


#: Uganda's giant pangolin scales: 70, 70, then 3,311 kg by the exporter's report; 70 then 3,198
#: by the importers'. And cases that must not fire.
ROWS = [
    _row(2012, "Manis gigantea", "VN", "UG", "", 70, "scales", "kg"),
    _row(2013, "Manis gigantea", "VN", "UG", 70, 70, "scales", "kg"),
    _row(2014, "Manis gigantea", "CN", "UG", 3198, 3211, "scales", "kg"),
    _row(2014, "Manis gigantea", "MY", "UG", "", 99, "scales", "kg"),
    # below the floor (100 specimens): 2 then 11 skins, 5.5x
    _row(2012, "Manis tricuspis", "US", "CM", "", 2, "skins"),
    _row(2013, "Manis tricuspis", "US", "CM", "", 11, "skins"),
    # under 5x the largest earlier year: 30 then 140 kg (4.7x)
    _row(2012, "Manis tricuspis", "CN", "NG", "", 30, "scales", "kg"),
    _row(2014, "Manis tricuspis", "CN", "NG", "", 140, "scales", "kg"),
    # each report alone stays under the floor; their sum (20 -> 120) would have fired
    _row(2012, "Manis tetradactyla", "FR", "GA", 10, 10, "bodies"),
    _row(2013, "Manis tetradactyla", "FR", "GA", 60, 60, "bodies"),
    # kilograms and grams are separate series: 50 g then 200,000 g fires in grams only
    _row(2012, "Manis tricuspis", "HK", "CI", "", 50, "scales", "g"),
    _row(2013, "Manis tricuspis", "HK", "CI", "", 200000, "scales", "g"),
    _row(2013, "Manis tricuspis", "HK", "CI", "", 1, "scales", "kg"),
]


def test_short_series_spike_per_report(tmp_path: Path) -> None:
    con, _ = _load(tmp_path, ROWS)
    res = spikes(con)
    short = _of(res["flags"], kind="short_series_spike")
    got = {(f["reporter"], f["taxon"], f["exporter"], f["unit"], f["year"], f["quantity"]) for f in short}
    assert got == {("E", "Manis gigantea", "UG", "KIL", 2014, 3310), ("I", "Manis gigantea", "UG", "KIL", 2014, 3198),
                   ("E", "Manis tricuspis", "CI", "GRM", 2013, 200000)}
    e = _of(short, reporter="E", taxon="Manis gigantea")[0]
    assert e["previous"] == [70, 70] and e["largest_previous"] == 70 and e["times_largest_previous"] == 47.29
    assert e["rule"] == "short_series" and e["robust_z"] is None and e["q_e"] == 3310
    # beside it, never added: the importers' figure for that year, flagged too (one event, both sides)
    assert e["q_i"] == 3198 and e["other_report"] == {"reporter": "I", "report": "importer-reported",
                                                      "quantity": 3198, "flagged": True}
    assert e["reasons"][-1] == "the importer-reported figure for that year: 3198 (flagged too: one event seen by both sides)"
    assert "short-series rule" in e["reasons"][0] and "exporter-reported" in e["reasons"][0]
    assert "47.3x the largest of its 2 earlier year(s) [70.0, 70.0]" in e["reasons"][0]
    i = _of(short, reporter="I")[0]
    assert "importers reported 3198 SCA (kg) of Manis gigantea (source W) from UG in 2014" in i["reasons"][0]
    assert i["previous"] == [70] and i["q_i"] == 3198
    # the flag's row puts each report in its own column, the one flagged and the other beside it
    assert (flag_rows.row(e)["exporter_reported"], flag_rows.row(e)["importer_reported"]) == (3310, 3198)
    assert (flag_rows.row(i)["exporter_reported"], flag_rows.row(i)["importer_reported"]) == (3310, 3198)
    # nothing for the sub-floor skins, the 4.7x scales, or the bodies whose reports would only fire added
    for taxon in ("Manis tetradactyla",):
        assert not _of(res["flags"], taxon=taxon)
    assert not _of(res["flags"], exporter="CM") and not _of(res["flags"], exporter="NG")
    assert res["flag_counts"] == {"spike": 0, "onset": 0, "short_series_spike": 3}
    assert res["flag_counts_by_reporter"] == {"E": {"spike": 0, "onset": 0, "short_series_spike": 2},
                                              "I": {"spike": 0, "onset": 0, "short_series_spike": 1}}
    assert res["provenance"]["params"]["short_floors"] == SHORT_FLOORS


def test_one_report_only_and_the_thresholds(tmp_path: Path) -> None:
    con, _ = _load(tmp_path, ROWS)
    only_e = spikes(con, reporter="E")
    assert {f["reporter"] for f in only_e["flags"]} == {"E"} and only_e["reporters"] == ["E"]
    assert len(_of(only_e["flags"], kind="short_series_spike")) == 2
    # a stricter fold: 47x still fires, 4,000x in grams still fires; 50x would drop the pangolin scales
    assert len(spikes(con, short_fold=50)["flags"]) == 1


def test_five_years_of_history_use_the_window_rule_not_the_short_one(tmp_path: Path) -> None:
    """Five earlier years (2009-2013, one of them silent) and a jump: a robust-z spike, and the
    years before it with one to four earlier years are short-series candidates that do not fire."""
    rows = [_row(y, "Manis javanica", "SG", "ID", "", q, "skins") for y, q in
            zip(range(2009, 2015), (400, 420, 0, 380, 410, 5000), strict=True)]
    con, _ = _load(tmp_path, rows)
    [f] = spikes(con)["flags"]
    assert (f["kind"], f["rule"], f["year"], f["reporter"]) == ("spike", "window", 2014, "E")
    assert "robust z" in f["reasons"][0]


def test_cli_trends_counts_each_report(tmp_path: Path) -> None:
    con, db = _load(tmp_path, ROWS)
    con.close()
    load_commands()
    runner = CliRunner()
    r = runner.invoke(cli, ["trade", "trends", "--db", str(db)])
    assert r.exit_code == 0, r.output
    assert "exporter-reported: spike=0, onset=0, short_series_spike=2" in r.output
    assert "importer-reported: spike=0, onset=0, short_series_spike=1" in r.output
    assert "- short_series_spike: Manis gigantea, scales (SCA) in kg, Uganda (UG), 2014" in r.output
    r = runner.invoke(cli, ["trade", "trends", "--db", str(db), "--reporter", "I"])
    assert r.exit_code == 0 and "exporter-reported:" not in r.output and "importer-reported: " in r.output
