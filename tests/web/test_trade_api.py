"""The trade analyses over HTTP (/api/v1/trade/...): a real server on loopback reading a
DuckDB loaded from the seeded synthetic generator; the injected anomalies come back,
login is required, and a missing or unreadable database gives the one error shape."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import duckdb
import httpx
import pytest

from wildtrace import Settings
from wildtrace.store import accounts as auth
from wildtrace.trade.load import load_paths
from wildtrace.trade.schema import connect
from wildtrace.trade.synth import SynthResult, generate
from wildtrace.web.app import create_app

from .conftest import PASSWORD, ROLES, Server, _free_port, running
from .test_errors import assert_error

ENDPOINTS = ("reconcile", "screen", "trends", "routes", "report")


@contextmanager
def _running(tmp: Path, trade_db: Path | None, trade_ranges: Path | None = None,
             trade_register: Path | None = None) -> Iterator[Server]:
    """A workbench on loopback (SQLite store, one user and token per role) with this trade database."""
    tmp.mkdir(parents=True, exist_ok=True)
    settings = Settings(data_dir=tmp / "data")
    app = create_app(str(tmp / "w.sqlite"), settings, trade_db=trade_db, trade_ranges=trade_ranges,
                     trade_register=trade_register)
    server = Server(f"http://127.0.0.1:{_free_port()}", app)
    for role in ROLES:
        auth.add_user(app.state.store.engine, role, role, PASSWORD, actor="test")
        server.tokens[role] = auth.create_token(app.state.store.engine, role, "tests")
    with running(app, int(server.url.rsplit(":", 1)[1])):
        yield server


@pytest.fixture(scope="module")
def synth(tmp_path_factory: pytest.TempPathFactory) -> SynthResult:
    return generate(tmp_path_factory.mktemp("trade-synth"), 30_000, seed=11)


@pytest.fixture(scope="module")
def truth(synth: SynthResult) -> dict[str, Any]:
    return json.loads(synth.truth.read_text())  # type: ignore[no-any-return]


@pytest.fixture(scope="module")
def trade_server(synth: SynthResult, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    tmp = tmp_path_factory.mktemp("web-trade")
    db = tmp / "trade.duckdb"
    con = connect(db)
    results = load_paths(con, synth.bulk_files)
    assert all(r.status == "loaded" and r.rows_rejected == 0 for r in results), results
    con.close()  # the server opens it read-only
    with _running(tmp, db, synth.ranges) as server:
        yield server


def _get(server: Server, name: str, role: str = "viewer", **params: Any) -> dict[str, Any]:
    with server.api(role) as c:
        r = c.get(f"/api/v1/trade/{name}", params=params)
    assert r.status_code == 200, r.text[:500]
    assert r.headers["content-type"].startswith("application/json")
    body = r.json()
    assert body["provenance"]["input_hash"] and body["provenance"]["tool"].startswith("wildtrace.trade.")
    return body  # type: ignore[no-any-return]


def _kinds(truth: dict[str, Any], kind: str) -> list[dict[str, Any]]:
    return [a for a in truth["anomalies"] if a["kind"] == kind]


def _background(flags: list[dict[str, Any]], truth: dict[str, Any]) -> list[dict[str, Any]]:
    anomaly = set(truth["anomaly_taxa"])
    return [f for f in flags if f["taxon"] not in anomaly]


def test_reconcile_returns_the_injected_mismatches(trade_server: Server, truth: dict[str, Any]) -> None:
    body = _get(trade_server, "reconcile")
    cov = body["coverage"]
    assert cov["exporter_records"] + cov["importer_records"] == truth["rows"]
    assert 0.5 < cov["exporter_share_permit_matched"] < 0.6, cov
    assert _background(body["flags"], truth) == []
    for kind in ("quantity_mismatch", "source_flip", "purpose_flip"):
        want = {a["export_permit"] for a in _kinds(truth, kind)}
        got = {f["export_permit"] for f in body["flags"] if kind in f["kinds"]}
        assert want and want <= got, (kind, want - got)
    assert all(f["reasons"] for f in body["flags"])
    # the ratio option is the CLI's --ratio: a huge ratio leaves no quantity mismatch
    loose = _get(trade_server, "reconcile", ratio=1e5)
    assert not any("quantity_mismatch" in f["kinds"] for f in loose["flags"] if f["match"] == "permit")


def test_screen_returns_each_injected_trigger(trade_server: Server, truth: dict[str, Any]) -> None:
    body = _get(trade_server, "screen", role="analyst")
    # the synthetic background gives captive sources to great apes and Appendix-I commercial trade:
    # those two rules are tested on hand-written fixtures (tests/trade/test_real_formats.py)
    assert _background([f for f in body["flags"] if f["criterion"] not in
                        ("hard_to_breed", "appendix_i_commercial_captive",
                 "appendix_i_wild_commercial", "zero_quota_wild_commercial")], truth) == []
    got = {(f["criterion"], f["taxon"], f["exporter"]) for f in body["flags"]}
    for kind in ("captive_volume_4x", "captive_up_wild_down", "c_before_f", "outside_range",
                 "captive_share_disagreement"):
        cases = _kinds(truth, kind)
        assert cases, kind
        for a in cases:
            assert (kind, a["taxon"], a["exporter"]) in got, (kind, a)


def test_trends_and_routes_return_the_injected_spikes_routes_and_reexports(trade_server: Server,
                                                                           truth: dict[str, Any]) -> None:
    sp = _get(trade_server, "trends")  # the generator's importer side books some shipments a year late
    assert _background([f for f in sp["flags"] if f["reporter"] == "E"], truth) == [] and sp["series"] > 100
    for a in _kinds(truth, "spike"):
        assert any(f["taxon"] == a["taxon"] and f["year"] == a["year"] and f["source"] == a["source"]
                   for f in sp["flags"]), a
    rt = _get(trade_server, "routes", role="admin")
    assert _background(rt["flags"], truth) == []
    for a in _kinds(truth, "new_route"):
        assert any(f["kind"] == "new_route" and f["importer"] == a["importer"] and f["year"] == a["year"]
                   for f in rt["flags"]), a
    rx = {(f["taxon"], f["exporter"], f["origin"]) for f in rt["flags"] if f["kind"] == "reexport_exceeds_imports"}
    assert rx == {(a["taxon"], a["exporter"], a["origin"]) for a in _kinds(truth, "reexport_exceeds_imports")}
    assert rt["flows"]["by_unit"] and rt["flows"]["by_unit"][0]["by_year"]


def test_taxon_year_and_limit_narrow_the_flags(trade_server: Server, truth: dict[str, Any]) -> None:
    spike = _kinds(truth, "spike")[0]
    full = _get(trade_server, "trends")
    one = _get(trade_server, "trends", taxon=spike["taxon"].upper(), year_from=spike["year"], year_to=spike["year"])
    assert one["flags"] and all(f["taxon"] == spike["taxon"] and f["year"] == spike["year"] for f in one["flags"])
    assert one["flags_matching"] == len(one["flags"]) < len(full["flags"])
    assert one["query"]["taxon"] == spike["taxon"].upper()
    assert one["flag_counts"] == full["flag_counts"], "counts stay database totals"
    none = _get(trade_server, "screen", taxon="Nonexistent species")
    assert none["flags"] == [] and none["flags_matching"] == 0
    every = _get(trade_server, "reconcile")["flags"]
    cut = sorted(f["year_e"] for f in every)[len(every) // 2]
    later = _get(trade_server, "reconcile", year_from=cut)["flags"]
    assert later and len(later) < len(every) and all(f["year_e"] >= cut for f in later)
    capped = _get(trade_server, "screen", limit=1)
    assert len(capped["flags"]) == 1 and capped["flags_matching"] > 1
    with trade_server.api("viewer") as c:
        assert_error(c.get("/api/v1/trade/screen", params={"limit": 0}), 422, "invalid_request")
        assert_error(c.get("/api/v1/trade/reconcile", params={"ratio": "x"}), 422, "invalid_request")
        assert_error(c.get("/api/v1/trade/trends", params={"year_from": "'; DROP TABLE records"}),
                     422, "invalid_request")


def test_report_is_html_with_charts_and_the_flags(trade_server: Server, truth: dict[str, Any]) -> None:
    with trade_server.api("viewer") as c:
        r = c.get("/api/v1/trade/report")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    assert "<svg" in r.text and "<script" not in r.text.lower()
    assert "script-src" not in r.headers["content-security-policy"]
    assert _kinds(truth, "spike")[0]["taxon"] in r.text


def test_every_endpoint_needs_login_and_no_writes(trade_server: Server) -> None:
    anon = httpx.Client(base_url=trade_server.url, timeout=30)
    for name in ENDPOINTS:
        assert_error(anon.get(f"/api/v1/trade/{name}"), 401, "login_required")
    bad = httpx.Client(base_url=trade_server.url, headers={"Authorization": "Bearer wt_nope"}, timeout=30)
    assert bad.get("/api/v1/trade/screen").status_code == 401
    with trade_server.api("admin") as c:
        assert_error(c.post("/api/v1/trade/screen"), 405, "method_not_allowed")
    # a browser session works too
    client, _ = trade_server.login("viewer")
    try:
        assert client.get("/api/v1/trade/routes").status_code == 200
    finally:
        client.close()
    anon.close()
    bad.close()


def test_missing_or_unreadable_database_gives_the_error_shape(tmp_path: Path) -> None:
    with _running(tmp_path / "missing", tmp_path / "nope" / "trade.duckdb") as server, server.api("viewer") as c:
        for name in ENDPOINTS:
            err = assert_error(c.get(f"/api/v1/trade/{name}"), 404, "not_found")
            assert "trade load" in err["message"] and str(tmp_path) not in err["message"]
        assert_error(httpx.get(f"{server.url}/api/v1/trade/screen"), 401, "login_required")
    junk = tmp_path / "junk.duckdb"
    junk.write_text("Id,Year\n1,2000\n")
    with _running(tmp_path / "junk", junk) as server, server.api("viewer") as c:
        err = assert_error(c.get("/api/v1/trade/reconcile"), 409, "trade_db_unavailable")
        assert "not a readable DuckDB" in err["message"] and str(tmp_path) not in err["message"]
    empty = tmp_path / "empty.duckdb"
    duckdb.connect(str(empty)).close()  # a DuckDB file with no trade tables
    with _running(tmp_path / "empty", empty) as server, server.api("viewer") as c:
        assert_error(c.get("/api/v1/trade/routes"), 404, "not_found")


def test_default_database_is_the_clis(tmp_path: Path) -> None:
    # no trade_db: DATA_DIR/trade.duckdb, the same file `wildtrace trade` uses by default
    data = tmp_path / "d" / "data"
    con = connect(data / "trade.duckdb")
    con.close()
    with _running(tmp_path / "d", None) as server, server.api("viewer") as c:
        r = c.get("/api/v1/trade/reconcile")
        assert r.status_code == 200, r.text
        assert r.json()["coverage"]["exporter_records"] == 0


def test_a_database_locked_by_a_writer_gives_409(tmp_path: Path) -> None:
    db = tmp_path / "busy.duckdb"
    connect(db).close()
    writer = subprocess.Popen([sys.executable, "-c", "import duckdb, sys, time\n"
                               f"c = duckdb.connect({str(db)!r}); print('held', flush=True); sys.stdin.read()"],
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert writer.stdout is not None and writer.stdout.readline().strip() == "held"
        with _running(tmp_path / "srv", db) as server, server.api("viewer") as c:
            err = assert_error(c.get("/api/v1/trade/screen"), 409, "trade_db_unavailable")
            assert "locked by a writer" in err["message"] and "PID" not in err["message"]
    finally:
        writer.kill()
        writer.wait(10)


def test_the_screen_checks_source_d_against_the_servers_register(tmp_path: Path) -> None:
    """``serve --trade-register``: Appendix-I D exports are checked against the register file."""
    db = tmp_path / "trade.duckdb"
    fixture = Path(__file__).resolve().parents[1] / "trade" / "data" / "trade_db_1.csv"
    rows = fixture.read_text().splitlines()
    # the Appendix-I grey parrots exported from ZA for commercial purpose, declared D this time
    rows = [r.replace(",T,C,E,,nn16c6d7e8,", ",T,D,E,,nn16c6d7e8,") for r in rows]
    (tmp_path / "t.csv").write_text("\n".join(rows) + "\n")
    con = connect(db)
    load_paths(con, [tmp_path / "t.csv"])
    con.close()
    register = tmp_path / "register.csv"
    register.write_text("taxon,country\nPsittacus erithacus,BE\n")
    with _running(tmp_path / "srv", db, trade_register=register) as server:
        body = _get(server, "screen")
    assert body["provenance"]["params"]["register_supplied"] is True
    [flag] = [f for f in body["flags"] if f["criterion"] == "appendix_i_commercial_captive"]
    assert (flag["taxon"], flag["exporter"], flag["source"]) == ("Psittacus erithacus", "ZA", "D")
