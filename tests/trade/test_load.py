from __future__ import annotations

import csv
import zipfile
from pathlib import Path

from wildtrace.trade.load import load_paths
from wildtrace.trade.schema import BULK_COLUMNS, BULK_SNAKE, connect
from wildtrace.trade.synth import SynthResult, generate

from .conftest import SHARED

ROW = {"Id": "X1", "Year": "2010", "Appendix": "II", "Taxon": "Python regius", "Class": "Reptilia",
       "Order": "Squamata", "Family": "Pythonidae", "Genus": "Python", "Term": "LIV", "Quantity": "10",
       "Unit": "", "Importer": "US", "Exporter": "GH", "Origin": "", "Purpose": "T", "Source": "C",
       "Reporter.type": "E", "Import.permit.RandomID": "", "Export.permit.RandomID": "P1",
       "Origin.permit.RandomID": ""}


def write(path: Path, header: list[str], rows: list[list[str]]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(header)
        w.writerows(rows)
    return path


def test_synth_bulk_comptab_lemis_load_and_reload_is_noop(synth_dir: SynthResult, tmp_path: Path) -> None:
    con = connect(tmp_path / "t.duckdb")
    files = [*synth_dir.bulk_files, synth_dir.comptab, synth_dir.lemis]
    first = load_paths(con, files)
    assert [r.format for r in first] == ["cites_bulk"] * len(synth_dir.bulk_files) + ["cites_comptab", "lemis"]
    assert sum(r.rows_loaded for r in first[:-2]) == synth_dir.rows
    assert all(r.rows_rejected == 0 and len(r.sha256) == 64 and r.citation for r in first), first
    # files made by `trade synth` are cited as synthetic, never as the CITES Trade Database or LEMIS
    # (the real citations: tests/trade/test_origin.py)
    assert all((r.citation or "").startswith("Synthetic data made by wildtrace trade synth") for r in first), first
    assert not any("trade.cites.org" in (r.citation or "") or "Eskew" in (r.citation or "") for r in first)
    n = con.execute("SELECT count(*) FROM records").fetchall()[0][0]
    again = load_paths(con, files)
    assert [r.status for r in again] == ["unchanged"] * len(files)
    assert con.execute("SELECT count(*) FROM records").fetchall()[0][0] == n
    # comparative tabulation: one record per reported side
    ct = con.execute("""SELECT count(*) FROM records WHERE dataset = 'cites_comptab'""").fetchall()[0][0]
    assert ct == first[-2].records_written and ct >= first[-2].rows_loaded


def test_snake_headers_and_zip(tmp_path: Path) -> None:
    res = generate(tmp_path / "s", 3000, seed=5, snake=True)
    header = res.bulk_files[0].read_text().splitlines()[0].split(",")
    assert header == list(BULK_SNAKE.values())
    zpath = tmp_path / "bulk.zip"
    with zipfile.ZipFile(zpath, "w") as zf:
        for f in res.bulk_files:
            zf.write(f, f.name)
    con = connect(tmp_path / "z.duckdb")
    out = load_paths(con, [zpath])
    assert [r.member for r in out] == [f.name for f in res.bulk_files]
    assert out[0].header_style == "snake" and out[0].rows_loaded == res.rows
    # the same rows from a folder in title style would be duplicates by Id: all rejected, none doubled
    title = generate(tmp_path / "t", 3000, seed=5)
    dup = load_paths(con, title.bulk_files)
    assert dup[0].rows_loaded == 0
    assert dup[0].reject_reasons == {"duplicate row (Id already loaded from another file)": res.rows}


def test_bad_input_counted_per_file(tmp_path: Path) -> None:
    title = list(BULK_COLUMNS.values())
    good = list(ROW.values())
    d = tmp_path / "in"
    d.mkdir()
    write(d / "a_wrong_columns.csv", ["foo", "bar", "baz"], [["1", "2", "3"]])
    mixed = [h if i % 2 else BULK_SNAKE[c] for i, (c, h) in enumerate(BULK_COLUMNS.items())]
    write(d / "b_mixed.csv", mixed, [good])
    rows = [good, [*good[:9], "ten", *good[10:]], [*good[:14], "QQ", *good[15:]], good,
            ["X2", *good[1:12], "QX", *good[13:]], ["X3", "20x0", *good[2:]], good[:5]]
    rows[2][0], rows[3][0] = "X9", "X1"
    write(d / "c_rows.csv", title, rows)
    (d / "d_empty.csv").write_text("")
    (d / "e_image.csv").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(200))
    (d / "f_notes.txt").write_text("just some notes\nnot a table\n")
    con = connect(tmp_path / "b.duckdb")
    out = {Path(r.path).name: r for r in load_paths(con, [d])}
    assert out["a_wrong_columns.csv"].status == "skipped"  # not trade data: listed, never an error
    assert (out["a_wrong_columns.csv"].reason or "").startswith("not trade data: 0 of its 3 column names")
    assert out["b_mixed.csv"].rows_loaded == 1
    assert out["b_mixed.csv"].warnings == {"mixed header styles (read by name)": 1}
    c = out["c_rows.csv"]
    assert c.rows_in == 7 and c.rows_loaded == 2 and c.rows_rejected == 5, c
    assert c.reject_reasons == {"non-numeric quantity": 1, "duplicate row (Id repeated in this file)": 1,
                                "duplicate row (Id already loaded from another file)": 1,  # X1 came in b_mixed
                                "bad year": 1, "malformed CSV line: missing columns": 1}, c.reject_reasons
    assert c.warnings == {"unknown purpose code: QQ": 1, "unknown exporter code: QX": 1}
    assert out["d_empty.csv"].status == "empty"
    assert out["e_image.csv"].reason == "not a CSV: binary content (NUL bytes)"
    assert out["e_image.csv"].status == "skipped"
    assert (out["f_notes.txt"].reason or "").startswith("not a CSV")
    raw = con.execute("SELECT reason, raw FROM rejects WHERE reason = 'non-numeric quantity'").fetchall()
    assert '"Quantity":"ten"' in raw[0][1]
    assert con.execute("SELECT count(*) FROM loads").fetchall()[0][0] == 6


def test_real_lemis_files_load_with_counts(tmp_path: Path) -> None:
    con = connect(tmp_path / "l.duckdb")
    out = load_paths(con, sorted((SHARED / "lemis").glob("*.csv")))
    assert [r.rows_in for r in out] == [7823, 16366]
    assert all(r.rows_in == r.rows_loaded + r.rows_rejected for r in out)
    # a real line item whose partner country is NA (missing, or Namibia) is a record with an
    # unknown partner, loaded and counted, not a rejected row
    assert [r.rows_rejected for r in out] == [0, 0]
    assert out[0].warnings["country_imp_exp is NA: the partner is unknown (missing, or Namibia: ambiguous in LEMIS)"] == 9
    assert any(k.startswith("row identical to an earlier row (kept") for k in out[0].warnings)
    y = con.execute("SELECT min(year), max(year), count(DISTINCT exporter) FROM records").fetchall()[0]
    assert y[0] == 1999 and y[1] == 2021 and y[2] > 20


def _row(**kw: str) -> list[str]:
    return [{**ROW, **kw}[c] for c in BULK_COLUMNS.values()]


def test_a_path_with_a_star_is_read_literally(tmp_path: Path) -> None:
    """Before: `star*.csv` was a DuckDB glob and loaded another file's rows too."""
    header = list(BULK_COLUMNS.values())
    star = write(tmp_path / "star*.csv", header, [_row(Id="S1")])
    write(tmp_path / "star-other.csv", header, [_row(Id="O1"), _row(Id="O2")])
    con = connect(tmp_path / "t.duckdb")
    [res] = load_paths(con, [star])
    assert res.rows_loaded == 1
    assert [r[0] for r in con.execute("SELECT record_id FROM records ORDER BY 1").fetchall()] == ["S1"]


def test_non_finite_and_absurd_quantities_are_rejected_per_row(tmp_path: Path) -> None:
    """Before: NaN, Infinity and 1e400 loaded as quantities and the trade report answered 500."""
    header = list(BULK_COLUMNS.values())
    rows = [_row(Id="A", Quantity="NaN"), _row(Id="B", Quantity="Infinity"), _row(Id="C", Quantity="1e400"),
            _row(Id="D", Quantity="-inf"), _row(Id="E", Quantity="5e15"), _row(Id="F", Quantity="12")]
    con = connect(tmp_path / "t.duckdb")
    [res] = load_paths(con, [write(tmp_path / "q.csv", header, rows)])
    assert res.rows_loaded == 1
    reasons = dict(con.execute("SELECT json_extract_string(raw, '$.Id'), reason FROM rejects").fetchall())
    assert reasons == {"A": "non-finite quantity (NaN or infinity)", "B": "non-finite quantity (NaN or infinity)",
                       "C": "non-finite quantity (NaN or infinity)", "D": "non-finite quantity (NaN or infinity)",
                       "E": "implausible quantity (over 1e+12)"}
    assert con.execute("SELECT count(*) FROM records WHERE NOT isfinite(quantity)").fetchall()[0][0] == 0


def test_a_zip_bomb_is_refused_not_unpacked(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """Before: a 1 MB zip became 1 GiB in the temp folder. The cap is lowered here to keep the test small."""
    from wildtrace.trade import load as load_mod

    monkeypatch.setattr(load_mod, "MAX_UNZIPPED_BYTES", 1 << 20)
    bomb = tmp_path / "bomb.zip"
    header = list(BULK_COLUMNS.values())
    good = write(tmp_path / "good.csv", header, [_row(Id="G1")])
    with zipfile.ZipFile(bomb, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("big.csv", b"Id,Year\n" + b"0" * (8 << 20))
        zf.write(good, "good.csv")
    con = connect(tmp_path / "t.duckdb")
    big, ok = load_paths(con, [bomb])
    assert (big.member, big.status) == ("big.csv", "rejected") and "over the limit" in (big.reason or "")
    assert (ok.member, ok.status, ok.rows_loaded) == ("good.csv", "loaded", 1)


def test_globs_only_with_an_explicit_glob_option(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from wildtrace.cli import cli, load_commands

    header = list(BULK_COLUMNS.values())
    star = write(tmp_path / "star*.csv", header, [_row(Id="S1")])
    write(tmp_path / "star-other.csv", header, [_row(Id="O1"), _row(Id="O2")])
    load_commands()
    env = {"WILDTRACE_DATA_DIR": str(tmp_path / "data")}
    literal = CliRunner().invoke(cli, ["trade", "load", str(star), "--db", str(tmp_path / "a.duckdb")], env=env)
    assert literal.exit_code == 0 and "loaded=1" in literal.output, literal.output
    globbed = CliRunner().invoke(cli, ["trade", "load", "--glob", str(tmp_path / "star*.csv"),
                                       "--db", str(tmp_path / "b.duckdb")], env=env)
    assert globbed.exit_code == 0 and globbed.output.count("loaded") >= 2, globbed.output
    none = CliRunner().invoke(cli, ["trade", "load", "--glob", str(tmp_path / "nothing*.csv"),
                                    "--db", str(tmp_path / "c.duckdb")], env=env)
    assert none.exit_code == 2 and "matches no file" in none.output and "Traceback" not in none.output


def test_synth_writes_into_a_folder_whose_name_has_a_quote(tmp_path: Path) -> None:
    """The folder name goes into DuckDB's COPY as a quoted literal, never spliced raw."""
    out = tmp_path / "o'brien; DROP TABLE records; --"
    made = generate(out, 500, seed=3)
    assert made.bulk_files and all(f.parent == out and f.exists() for f in made.bulk_files)
    con = connect(tmp_path / "t.duckdb")
    results = load_paths(con, made.bulk_files)
    assert [r.status for r in results] == ["loaded"] * len(results)
    assert sum(r.rows_loaded for r in results) == made.rows > 0


def test_row_numbers_are_the_files_own(tmp_path: Path) -> None:
    """``row`` of each record and reject is its place in the file (1 = the first record), for
    the bulk path (one pass) and the staged one (comparative tabulation), inside the load's
    transaction (where DuckDB's row ids start at 2**55)."""
    bulk = tmp_path / "b.csv"
    rows = [_row(Id=f"R{i}", Quantity="x" if i == 3 else str(i)) for i in range(1, 6)]
    bulk.write_text(",".join(BULK_COLUMNS.values()) + "\n" + "".join(",".join(r) + "\n" for r in rows))
    comptab = tmp_path / "c.csv"
    comptab.write_text("Year,App.,Taxon,Importer,Exporter,Origin,Importer reported quantity,"
                       "Exporter reported quantity,Term,Unit,Purpose,Source\n"
                       + "".join(f"2010,II,Manis javanica,US,MY,,{i},,skins,,T,W\n" for i in range(1, 4)))
    con = connect(tmp_path / "r.duckdb")
    load_paths(con, [bulk, comptab])
    got = con.execute("""SELECT dataset, record_id, "row" FROM records ORDER BY dataset, "row" """).fetchall()
    assert [(d, r) for d, _, r in got] == [("cites_bulk", 1), ("cites_bulk", 2), ("cites_bulk", 4), ("cites_bulk", 5),
                                          ("cites_comptab", 1), ("cites_comptab", 2), ("cites_comptab", 3)]
    assert [i for d, i, _ in got if d == "cites_bulk"] == ["R1", "R2", "R4", "R5"]
    assert con.execute('SELECT "row", reason FROM rejects').fetchall() == [(3, "non-numeric quantity")]
