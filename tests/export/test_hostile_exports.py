"""Exports on hostile text (issue 29, item 7): a case holding a listing with an 8,000-character URL and a
seller name with control characters exports to PDF, GEXF and GraphML; every export is written whole or
not at all; an export path that is evidence is refused."""

from __future__ import annotations

from pathlib import Path

import networkx as nx
import pytest

from wildtrace import Scanner, Settings, cases, plugins
from wildtrace.errors import ConfigError
from wildtrace.store.sql import SQLStore

LONG_URL = "https://shop.example/" + "a" * 8_000
BAD_SELLER = "horn\x07king\x1b[31m\x0b\x0c\x7f"


@pytest.fixture
def case(tmp_path: Path) -> cases.Case:
    store = SQLStore(tmp_path / "w.sqlite")
    listings = [
        {"id": "h1", "title": "Rhino horn cup, genuine, WhatsApp +84 912 345 678", "seller": BAD_SELLER,
         "platform": "fb", "url": LONG_URL, "text": "x" * 20_000},
        {"id": "h2", "title": "Sừng tê giác thật, Zalo 0912345678", "seller": "horn_vn", "platform": "zalo",
         "url": "https://zalo.example/p/2"},
    ]
    results = [r for r in Scanner(Settings(data_dir=tmp_path / "d", text_model="none")).scan(listings)]
    store.save(results)  # type: ignore[arg-type]
    made = cases.create(store, "hostile", "lead", name="hostile")
    cases.add_listings(store, made["id"], ["h1", "h2"], "lead")
    cases.add_sellers(store, made["id"], [f"fb:{BAD_SELLER}"], "lead")
    loaded = cases.load(store, "hostile")
    store.close()
    return loaded


@pytest.mark.parametrize("fmt", ["pdf", "gexf", "graphml", "html", "ftm", "csv", "takedown"])
def test_every_format_exports_hostile_text(case: cases.Case, tmp_path: Path, fmt: str) -> None:
    out = tmp_path / f"out.{ {'ftm': 'jsonl', 'takedown': 'json', 'csv': 'd'}.get(fmt, fmt) }"
    assert cases.export(case, fmt, out) >= 1
    if fmt == "gexf":
        nx.read_gexf(out)  # valid XML
    if fmt == "graphml":
        nx.read_graphml(out)
    if fmt == "pdf":
        assert out.read_bytes().startswith(b"%PDF")
    assert not [p for p in tmp_path.iterdir() if ".tmp" in p.name], "no temporary file left"


def test_an_interrupted_export_leaves_the_old_file_whole(case: cases.Case, tmp_path: Path) -> None:
    out = tmp_path / "entities.jsonl"
    cases.export(case, "ftm", out)
    before = out.read_bytes()

    def broken(case: cases.Case, path: Path) -> int:
        path.write_bytes(b'{"half": true}\n')
        raise KeyboardInterrupt

    plugins.exporters.register("broken-test")(broken)
    try:
        with pytest.raises(KeyboardInterrupt):
            cases.export(case, "broken-test", out)
    finally:
        plugins.exporters._entries.pop("broken-test")
    assert out.read_bytes() == before
    assert not [p.name for p in tmp_path.iterdir() if ".tmp" in p.name], "no temporary file left"


def test_an_export_onto_evidence_is_refused(case: cases.Case, tmp_path: Path) -> None:
    evidence = tmp_path / "ev"
    evidence.mkdir()
    log = evidence / "custody.jsonl"
    log.write_bytes(b'{"seq": 1}\n')
    for target in (log, evidence / "c1" / "page.warc.gz", evidence / "report.pdf"):
        with pytest.raises(ConfigError, match="evidence"):
            cases.export(case, "pdf", target)
    assert log.read_bytes() == b'{"seq": 1}\n'
