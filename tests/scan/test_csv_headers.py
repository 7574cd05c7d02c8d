"""CSV exports as users have them (issue 14): capitalised and synonym headers, other separators,
unmapped columns said aloud, an empty input said aloud."""

from __future__ import annotations

import io
from pathlib import Path

from click.testing import CliRunner

from wildtrace.cli import cli, load_commands
from wildtrace.scan.listing import Listing
from wildtrace.scan.readers import column_fields, read_csv


def _read(text: str, **kw: object) -> tuple[list[Listing], list[str]]:
    notes: list[str] = []
    items = list(read_csv(io.BufferedReader(io.BytesIO(text.encode())), max_field_chars=10_000,
                          max_record_bytes=100_000, on_notice=notes.append, **kw))  # type: ignore[arg-type]
    return [i for i in items if isinstance(i, Listing)], notes


def test_capitalised_and_synonym_headers_fill_the_listing_fields() -> None:
    got, notes = _read("ID,Item Name,Price,Seller,Colour\n1,ivory bead bracelet,100,bob,white\n")
    [listing] = got
    assert (listing.id, listing.title, listing.price, listing.seller) == ("1", "ivory bead bracelet", "100", "bob")
    assert listing.extra == {"Colour": "white"}
    assert notes == ["CSV columns not mapped to a listing field (kept in listing_extra; use --map FIELD=COLUMN): Colour"]
    keys, unmapped = column_fields(["listing_id", "price_usd", "seller_name", "Description"], None)
    assert keys == ["id", "price", "seller", "text"] and unmapped == []


def test_map_wins_over_the_synonyms() -> None:
    keys, _ = column_fields(["Name", "Headline"], {"title": "Headline"})
    assert keys == ["Name", "title"]


def test_semicolon_tab_and_pipe_separated_files() -> None:
    for sep in (";", "\t", "|"):
        [listing], notes = _read(f"id{sep}title{sep}price\n7{sep}pangolin scales{sep}50\n")
        assert (listing.id, listing.title, listing.price) == ("7", "pangolin scales", "50"), sep
        assert notes == [f"CSV separator {sep!r} (sniffed from the header)"]


def test_cli_warns_on_unmapped_columns_and_on_empty_input(tmp_path: Path) -> None:
    load_commands()
    runner = CliRunner()
    src = tmp_path / "ads.csv"
    src.write_text("ID;Title;Price;Seller;Shipping\n1;ivory bead bracelet;100;bob;worldwide\n")
    r = runner.invoke(cli, ["scan", str(src), "--rules-only"])
    assert r.exit_code == 0, r.output
    assert '"id":"1"' in r.stdout and "Shipping" in r.stderr and "separator ';'" in r.stderr
    empty = tmp_path / "empty.jsonl"
    empty.write_text("")
    r = runner.invoke(cli, ["scan", str(empty)])
    assert r.exit_code == 0 and "holds no listings" in r.stderr and r.stdout == ""
