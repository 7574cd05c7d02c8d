"""The files people have (issue 29): Excel workbooks, gzipped and zipped files, Excel's UTF-16
"Unicode Text", cp1252 CSVs, JSON arrays and pretty-printed JSON: read, or one clear hint."""

from __future__ import annotations

import codecs
import gzip
import json
import zipfile
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner

from wildtrace.cli import cli, load_commands

ROWS = [{"id": "a1", "title": "Sisik trenggiling asli", "price": "150000"},
        {"id": "a2", "title": "Garden hose 20 m", "price": "12"}]


def _scan(path: Path, tmp_path: Path, *extra: str) -> tuple[int, list[dict], str]:  # type: ignore[type-arg]
    load_commands()
    r = CliRunner().invoke(cli, ["scan", str(path), "--rules-only", *extra],
                           env={"WILDTRACE_DATA_DIR": str(tmp_path / "data")})
    assert "Traceback" not in r.stderr, r.stderr
    return r.exit_code, [json.loads(line) for line in r.stdout.splitlines() if line.strip()], r.stderr


def _csv(delim: str = ",") -> str:
    return "\r\n".join([delim.join(["Ad ID", "Item Name", "Price"]),
                        *(delim.join([r["id"], r["title"], r["price"]]) for r in ROWS)]) + "\r\n"


def test_an_excel_workbook(tmp_path: Path) -> None:
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["Ad ID", "Item Name", "Price"])
    for r in ROWS:
        sheet.append([r["id"], r["title"], int(r["price"])])
    book.create_sheet("notes").append(["not read"])
    book.save(tmp_path / "ads.xlsx")
    code, out, err = _scan(tmp_path / "ads.xlsx", tmp_path)
    assert code == 0 and [o["id"] for o in out] == ["a1", "a2"], err
    assert out[0]["verdict"] == "wildlife_offer" and out[0]["listing"]["price"] == "150000"
    assert "2 sheets" in err


def test_a_workbook_renamed_or_piped_is_recognised_by_its_bytes(tmp_path: Path) -> None:
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["id", "title"])
    sheet.append(["x1", "ivory bangle"])
    book.save(tmp_path / "export.bin")
    code, out, _ = _scan(tmp_path / "export.bin", tmp_path)
    assert code == 0 and [o["id"] for o in out] == ["x1"]


@pytest.mark.parametrize("name", ["listings.jsonl.gz", "listings.gz", "listings"])
def test_gzipped_json_lines(tmp_path: Path, name: str) -> None:
    path = tmp_path / name
    path.write_bytes(gzip.compress("".join(json.dumps(r) + "\n" for r in ROWS).encode()))
    code, out, err = _scan(path, tmp_path)
    assert code == 0 and [o["id"] for o in out] == ["a1", "a2"], err


def test_a_zip_with_one_csv_and_a_zip_with_two(tmp_path: Path) -> None:
    with zipfile.ZipFile(tmp_path / "one.zip", "w") as z:
        z.writestr("ads.csv", _csv())
    code, out, err = _scan(tmp_path / "one.zip", tmp_path)
    assert code == 0 and [o["id"] for o in out] == ["a1", "a2"], err
    with zipfile.ZipFile(tmp_path / "two.zip", "w") as z:
        z.writestr("a.csv", _csv())
        z.writestr("b.csv", _csv())
    code, out, err = _scan(tmp_path / "two.zip", tmp_path)
    assert code == 2 and len(err.strip().splitlines()) == 1 and "unzip it" in err


@pytest.mark.parametrize("bom", [True, False])
def test_excel_unicode_text_utf16_tab_separated(tmp_path: Path, bom: bool) -> None:
    text = _csv("\t").replace("trenggiling", "trenggiling 穿山甲")
    data = (codecs.BOM_UTF16_LE if bom else b"") + text.encode("utf-16-le")
    (tmp_path / "ads.txt").write_bytes(data)
    code, out, err = _scan(tmp_path / "ads.txt", tmp_path)
    assert code == 0 and [o["id"] for o in out] == ["a1", "a2"], err
    assert "穿山甲" in out[0]["listing"]["title"] if "title" in out[0]["listing"] else True
    assert "UTF-16" in err


def test_a_cp1252_csv_gets_a_hint_and_reads_with_the_encoding(tmp_path: Path) -> None:
    path = tmp_path / "ads.csv"
    path.write_bytes("Ad ID;Item Name;Price\r\nb1;Défense d'éléphant sculptée;300\r\n".encode("cp1252"))
    code, _, err = _scan(path, tmp_path)
    assert code == 3 and "--encoding cp1252" in err
    code, out, err = _scan(path, tmp_path, "--encoding", "cp1252")
    assert code == 0 and out[0]["id"] == "b1", err


@pytest.mark.parametrize("document", [
    json.dumps(ROWS),
    json.dumps(ROWS, indent=2),
    json.dumps({"data": ROWS, "paging": {"next": None}}, indent=2),
])
def test_json_arrays_and_api_responses_are_records(tmp_path: Path, document: str) -> None:
    (tmp_path / "ads.json").write_text(document)
    code, out, err = _scan(tmp_path / "ads.json", tmp_path)
    assert code == 0 and [o["id"] for o in out] == ["a1", "a2"], err
    (tmp_path / "piped").write_text(document)  # no telling name: the first bytes decide
    code, out, err = _scan(tmp_path / "piped", tmp_path)
    assert code == 0 and [o["id"] for o in out] == ["a1", "a2"], err


def test_one_pretty_printed_object_and_a_bad_element(tmp_path: Path) -> None:
    (tmp_path / "one.json").write_text(json.dumps(ROWS[0], indent=2))
    code, out, _ = _scan(tmp_path / "one.json", tmp_path)
    assert code == 0 and [o["id"] for o in out] == ["a1"]
    (tmp_path / "mixed.json").write_text(json.dumps([ROWS[0], "oops", ROWS[1]]))
    code, out, err = _scan(tmp_path / "mixed.json", tmp_path)
    assert code == 3 and [o["id"] for o in out] == ["a1", "a2"] and "line 2" in err


def test_a_stray_quote_does_not_swallow_the_rows_after_it(tmp_path: Path) -> None:
    """Issue 29, item 5: a row opening a quote that a later row closes lost the rows between, exit 0."""
    lines = ["id,title,price", '1,"ivory bangle,100', "2,rhino horn cup,200", "3,pangolin scales,300",
             '4,tiger claw",400', "5,garden hose,12"]
    (tmp_path / "stray.csv").write_text("\n".join(lines) + "\n")
    code, out, err = _scan(tmp_path / "stray.csv", tmp_path)
    assert code == 3 and "line 2" in err and "read as rows of their own" in err, err
    assert [o["id"] for o in out] == ["2", "3", "4", "5"], out


def test_a_description_with_line_breaks_is_still_one_record(tmp_path: Path) -> None:
    text = 'id,title,text\n1,Carved bangle,"Old piece.\nGood condition, ships fast.\nAsk me"\n2,Hose,green\n'
    (tmp_path / "multi.csv").write_text(text)
    code, out, err = _scan(tmp_path / "multi.csv", tmp_path)
    assert code == 0 and [o["id"] for o in out] == ["1", "2"], err
