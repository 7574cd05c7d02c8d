"""Bad input is reported with its line and reason; the batch goes on; nothing is lost."""

from __future__ import annotations

import io
import json

import pytest

from wildtrace import ConfigError, Listing, Reject, read_listings
from wildtrace.scan.readers import parse_mapping

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
    assert "field larger than field limit" in rejects[3]
    assert rejects[4] in ("not valid utf-8 text", "field 'title' contains NUL bytes (binary data?)"), rejects
