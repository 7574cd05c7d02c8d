"""One verdict everywhere: the library's ``scan()``, ``wildtrace scan``, the API and the workbench's
stored result and listing page give the same result for the same listing and settings."""

from __future__ import annotations

import html
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from wildtrace.cli import cli as wildtrace_cli
from wildtrace.scan import scanner as scanner_module
from wildtrace.scan.scanner import scan

from .conftest import Server, _serve

LISTINGS: list[dict[str, Any]] = [
    {"id": "one-1", "title": "Sisik trenggiling asli, harga murah", "text": "Dijual per kg, hubungi WA 0812-3456-7890",
     "price": "1500000", "currency": "IDR", "seller": "obat_tradisional", "platform": "facebook"},
    {"id": "one-2", "title": "Tame galah, eight months old", "platform": "gumtree"},
    {"id": "one-3", "title": "Antique ivory netsuke, sold for 450 GBP at the spring sale"},
    {"id": "one-4", "title": "Resin tiger figurine, hand painted", "price": "12", "currency": "USD"},
    {"id": "one-5", "title": "Black genuine leather belt", "url": "https://www.ebay.co.uk/itm/1"},
]
COMPARED = ("verdict", "wildlife_score", "risk_score", "specimen", "intent", "taxa", "product_types", "reasons",
            "model", "input_sha256")


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    tmp = tmp_path_factory.mktemp("one-verdict")
    yield from _serve(str(tmp / "w.sqlite"), tmp)


def _picked(result: dict[str, Any]) -> dict[str, Any]:
    return {k: result[k] for k in COMPARED}


def test_library_cli_api_and_workbench_agree(server: Server, monkeypatch: pytest.MonkeyPatch) -> None:
    data_dir = Path(server.app.state.settings.data_dir)  # the workbench's settings, for the library and CLI
    monkeypatch.setenv("WILDTRACE_DATA_DIR", str(data_dir))
    monkeypatch.setenv("WILDTRACE_TEXT_MODEL", "none")
    monkeypatch.setattr(scanner_module, "_DEFAULT", None)  # the library's default scanner, from these settings
    library = {r.id: _picked(json.loads(json.dumps(r.to_dict()))) for r in scan(LISTINGS)}  # type: ignore[union-attr]
    assert len(library) == len(LISTINGS)

    out = CliRunner().invoke(wildtrace_cli, ["scan", "-"], input="".join(json.dumps(x) + "\n" for x in LISTINGS))
    assert out.exit_code == 0, out.output
    cli = {r["id"]: _picked(r) for r in map(json.loads, out.stdout.splitlines())}
    assert cli == library

    with server.api("analyst") as api:
        got = api.post("/api/v1/scan", json={"listings": LISTINGS, "save": True})
        assert got.status_code == 200, got.text
        body = got.json()
        assert body["rejected"] == 0
        assert {r["id"]: _picked(r) for r in body["results"]} == library
        for listing in LISTINGS:  # what the workbench stored and shows
            stored = api.get(f"/api/v1/listings/{listing['id']}").json()["result"]
            assert _picked(stored) == library[listing["id"]], listing["id"]

    page, _ = server.login("viewer")
    try:
        for listing in LISTINGS:
            text = html.unescape(page.get("/listing", params={"id": listing["id"]}).text)
            expected = library[listing["id"]]
            assert expected["verdict"] in text, listing["id"]
            assert expected["reasons"][0] in text, listing["id"]
    finally:
        page.close()
    verdicts = {k: v["verdict"] for k, v in library.items()}
    assert verdicts == {"one-1": "wildlife_offer", "one-2": "wildlife_offer", "one-3": "not_wildlife",
                        "one-4": "depiction_or_faux", "one-5": "not_wildlife"}
