"""Bad input is reported with its line and reason; the batch goes on; nothing is lost."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from wildtrace import ConfigError, Listing, Reject, read_listings
from wildtrace.scan.readers import parse_mapping, read_csv

LIMITS = {"max_field_chars": 100_000, "max_record_bytes": 2_000_000}


def read(data: bytes, **kw):  # type: ignore[no-untyped-def]
    return list(read_listings(io.BytesIO(data), **{**LIMITS, **kw}))


def test_jsonl_all_fields_and_unknown_fields_kept() -> None:
    record = {"id": 7, "title": "t", "text": "x", "price": 12.5, "currency": "USD", "seller": "s",
              "seller_description": "d", "url": "https://e.example/1", "platform": "p", "location": "l",
              "posted_at": "2026-01-01", "images": ["a.jpg", "b.jpg"], "lang": "en", "shop_rating": 4.5}
    (listing,) = read(json.dumps(record).encode())
    assert isinstance(listing, Listing)
    assert listing.id == "7" and listing.price == "12.5" and listing.images == ["a.jpg", "b.jpg"]
    assert listing.extra == {"shop_rating": 4.5}
    assert listing.to_dict()["shop_rating"] == 4.5
    assert len(listing.input_sha256) == 64


def test_bad_lines_are_rejected_with_line_numbers_and_the_rest_goes_on() -> None:
    lines = [
        b'{"id": "ok1", "title": "fine"}',
        b'{"id": "broken", "title": ',  # malformed JSON
        b'{"title": "no id"}',  # missing id
        b'{"id": "enc", "title": "caf\xe9"}',  # latin-1 byte in UTF-8 input
        b'{"id": "big", "title": "' + b"x" * 200_000 + b'"}',  # over the field limit
        b"\x00\x01\x02\xff\xfe binary garbage",
        b"[1, 2, 3]",  # not an object
        b'{"id": "", "title": "empty id"}',
        b'{"id": "nested", "title": {"a": 1}}',  # wrong type
        b"",  # blank line: not a record
        b'{"id": "ok2", "title": "also fine"}',
    ]
    items = read(b"\n".join(lines) + b"\n")
    assert [i.id for i in items if isinstance(i, Listing)] == ["ok1", "ok2"]
    rejects = {r.line: r.reason for r in items if isinstance(r, Reject)}
    assert set(rejects) == {2, 3, 4, 5, 6, 7, 8, 9}, rejects
    assert "malformed JSON" in rejects[2]
    assert rejects[3] == "missing id"
    assert "not valid utf-8" in rejects[4]
    assert "over the limit" in rejects[5] and "title" in rejects[5]
    assert "NUL" in rejects[6] or "utf-8" in rejects[6]
    assert "JSON object" in rejects[7]
    assert rejects[8] == "missing id"
    assert "must be text" in rejects[9]


def test_ten_megabyte_line_is_rejected_without_stopping() -> None:
    huge = b'{"id": "huge", "title": "' + b"a" * 10_000_000 + b'"}'
    items = read(huge + b'\n{"id": "after"}\n')
    assert isinstance(items[0], Reject) and items[0].line == 1 and "bytes long" in items[0].reason
    assert isinstance(items[1], Listing) and items[1].id == "after"


def test_csv_with_mapping_and_passthrough() -> None:
    data = b"Item ID,Item Name,Body,Cost,Rating\n1,Rhino horn,for sale,100,5\n2,Shark toy,,5,3\n"
    mapping = parse_mapping(["id=Item ID", 'title="Item Name"', "text=Body", "price=Cost"])
    items = read(data, mapping=mapping)
    assert [(i.id, i.title, i.price) for i in items] == [("1", "Rhino horn", "100"), ("2", "Shark toy", "5")]
    assert items[0].extra == {"Rating": "5"}
    assert items[1].text is None


def test_csv_bad_rows() -> None:
    data = b"id,title\n1,good\n,no id\n3,caf\xe9\n4,a,extra cell\n5,\"multi\nline\"\n"
    items = read(data)
    assert [i.id for i in items if isinstance(i, Listing)] == ["1", "5"]
    rejects = {r.line: r.reason for r in items if isinstance(r, Reject)}
    assert rejects[3] == "missing id"
    assert "not valid utf-8" in rejects[4]
    assert "3 cells" in rejects[5]


def test_csv_latin1_with_encoding_option() -> None:
    items = read("id,title\n1,Défense\n".encode("latin-1"), encoding="latin-1")
    assert isinstance(items[0], Listing) and items[0].title == "Défense"


def test_format_detection_from_content() -> None:
    assert isinstance(read(b'{"id": "1"}\n')[0], Listing)
    assert isinstance(read(b"id,title\n1,x\n")[0], Listing)


def test_mapping_errors() -> None:
    with pytest.raises(ConfigError):
        parse_mapping(["nonsense"])
    with pytest.raises(ConfigError):
        parse_mapping(["colour=Colour"])
    with pytest.raises(ConfigError):
        read(b"id,title\n1,x\n", mapping={"title": "Missing Column"})


def test_csv_ten_megabyte_field_and_binary_garbage() -> None:
    data = b"id,title\n1,ok\n2," + b"x" * 10_000_000 + b"\n3,\x00\xff\xfe\x01garbage\n4,after\n"
    items = read(data)
    assert [i.id for i in items if isinstance(i, Listing)] == ["1", "4"]
    rejects = {r.line: r.reason for r in items if isinstance(r, Reject)}
    assert "over the limit of" in rejects[3]
    assert rejects[4] in ("not valid utf-8 text", "field 'title' contains NUL bytes (binary data?)"), rejects


def test_a_non_utf8_csv_header_is_read_with_replacement_and_reported(tmp_path: Path) -> None:
    """Before: a header cell "cat\\xe9gorie" crashed the scan with a traceback, 0 output, 0 rejects."""
    from click.testing import CliRunner

    from wildtrace.cli import cli, load_commands

    src = tmp_path / "in.csv"
    src.write_bytes(b"id,title,cat\xe9gorie\n1,ivory bangle for sale,bijoux\n2,rhino horn,x\n")
    out = tmp_path / "out.jsonl"
    load_commands()
    res = CliRunner().invoke(cli, ["scan", "--rules-only", str(src), "-o", str(out)],
                             env={"WILDTRACE_DATA_DIR": str(tmp_path)})
    assert res.exit_code == 3 and "Traceback" not in res.output, res.output
    assert "line 1: rejected: CSV header is not valid utf-8 text" in res.output and "cat\ufffdgorie" in res.output
    assert [json.loads(line)["id"] for line in out.read_text().splitlines()] == ["1", "2"]


@pytest.mark.parametrize("rows", [1_000, 20_000])
def test_an_unclosed_quote_costs_its_row_not_the_rows_after_it(rows: int) -> None:
    """Before: on 1,000 rows an unclosed quote left 10 results and 0 rejects, exit 0; on 200,000
    rows 59,800 rows vanished inside one field."""
    lines = ["id,title,price"] + [f"{i},tiger skin {i} for sale,{i}" for i in range(1, rows + 1)]
    lines[10] = '10,"tiger skin 10 for sale,10'
    out = list(read_csv(io.BytesIO(("\n".join(lines) + "\n").encode()), max_field_chars=100_000,
                        max_record_bytes=2_000_000))
    rejects = [o for o in out if isinstance(o, Reject)]
    assert [(r.line, "not closed" in r.reason) for r in rejects] == [(11, True)]
    assert len(out) == rows
