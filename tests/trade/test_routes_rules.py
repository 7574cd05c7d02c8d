"""Routes rules of issue 26 on hand-written rows in the exact shape of the citesdb-style
shipment export (the real pangolin extract's header): a new route shows each report's
quantities side by side (never their sum) and says which report saw it; re-export checks
follow chains through third countries, and a chain with more out than in is explained (not
flagged) by the years neither country was a CITES Party or by the re-exporter's imports from
all countries."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from wildtrace.cli import cli, load_commands
from wildtrace.trade import accession
from wildtrace.trade.load import load_paths
from wildtrace.trade.routes import routes
from wildtrace.trade.schema import connect

HEAD = ("id,year,appendix,taxon,class,ord,family,genus,term,quantity,unit,importer,exporter,origin,purpose,"
        "source,reporter_type,import_permit_randomid,export_permit_randomid,origin_permit_randomid\n")


def _row(rid: int, year: int, term: str, q: float, imp: str, exp: str, reporter: str, origin: str = "",
         source: str = "W", unit: str = "", purpose: str = "T") -> str:
    return (f'{rid},{year},II,Manis javanica,Mammalia,Pholidota,Manidae,Manis,{term},{q:g},"{unit}",{imp},{exp},'
            f'"{origin}",{purpose},"{source}",{reporter},"","",""\n')


ROWS = [
    _row(4001, 1990, "skins", 100, "JP", "ID", "E"),  # the data start, and the taxon's first year
    # a new route in 1996 reported by both sides: 600 by Malaysia, 500 by Singapore
    _row(4002, 1996, "skins", 600, "SG", "MY", "E"),
    _row(4003, 1996, "skins", 500, "SG", "MY", "I"),
    # a new route only the importer reports, its first records seizures
    _row(4004, 1997, "skins", 40, "KR", "TH", "I", source="I"),
    # 6 skins by each report: 12 only if the two were added, under the minimum of 10 in one report
    _row(4005, 1997, "skins", 6, "CN", "VN", "E"),
    _row(4006, 1997, "skins", 6, "CN", "VN", "I"),
    # a chain ID -> SG -> JP -> US: Japan's imports of Indonesian skins came through Singapore
    _row(4007, 1995, "skins", 300, "SG", "ID", "E"),
    _row(4008, 1996, "skins", 300, "JP", "SG", "E", origin="ID"),
    _row(4009, 1997, "skins", 250, "US", "JP", "E", origin="ID"),
    # Mexico re-exports Laotian shoes in 1992: Laos joined in 2004, Mexico in 1991, so their trade
    # up to 1990 reached the database from no one
    _row(4010, 1992, "shoes", 200, "US", "MX", "E", origin="LA"),
    # ... and Laotian skins in 2000, ten years after those years: a flag
    _row(4011, 2000, "skins", 150, "US", "MX", "I", origin="LA"),
    # the US re-exports Thai skins but imported none from Thailand; it imported 500 from Malaysia
    # (and the 150 Laotian skins from Mexico above)
    _row(4012, 1995, "skins", 500, "US", "MY", "I"),
    _row(4013, 1998, "skins", 80, "CA", "US", "E", origin="TH"),
    # the US seized pangolin medicine of Chinese origin from Viet Nam: a seizure, no re-export
    _row(4014, 2009, "medicine", 2040, "US", "VN", "I", origin="CN", source="I"),
    # 500 g of seized scales South Africa sent Tanzania as evidence (purpose L): no trade route
    _row(4015, 2016, "scales", 500, "TZ", "ZA", "E", source="I", unit="g", purpose="L"),
]


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("rt")
    (folder / "manidae.csv").write_text(HEAD + "".join(ROWS))
    path = folder / "t.duckdb"
    c = connect(path)
    [res] = load_paths(c, [folder / "manidae.csv"])
    assert res.format == "cites_bulk" and res.rows_rejected == 0 and res.rows_loaded == len(ROWS)
    c.close()
    return path


@pytest.fixture(scope="module")
def res(db: Path) -> dict[str, Any]:
    c = connect(db, read_only=True)
    out = routes(c)
    c.close()
    return out


def _of(flags: list[dict[str, Any]], **want: Any) -> list[dict[str, Any]]:
    return [f for f in flags if all(f.get(k) == v for k, v in want.items())]


def test_a_new_route_shows_both_reports_side_by_side_never_their_sum(res: dict[str, Any]) -> None:
    [my] = _of(res["flags"], kind="new_route", exporter="MY", importer="SG")
    assert (my["year"], my["seen_by"]) == (1996, "both reports")
    [q] = my["quantities"]
    assert (q["term"], q["first_year_exporter_report"], q["first_year_importer_report"]) == ("SKI", 600, 500)
    assert (q["total_exporter_report"], q["total_importer_report"]) == (600, 500)
    assert "600 / 500 that year" in my["reasons"][0] and "1100" not in my["reasons"][0]
    [th] = _of(res["flags"], kind="new_route", exporter="TH", importer="KR")
    assert th["seen_by"] == "the importer's report" and th["first_year_exporter_report"] is None
    assert th["first_year_seizures"] == 1
    assert "the exporters' reports never show it; 1 of its 1 first-year records are seizures" in th["reasons"][0]
    # 6 + 6 would reach the minimum of 10; no single report does
    assert not _of(res["flags"], kind="new_route", exporter="VN", importer="CN")


def test_reexports_follow_chains_through_third_countries(res: dict[str, Any]) -> None:
    jp = next(c for c in res["reexport_chains"] if c["exporter"] == "JP" and c["origin"] == "ID")
    assert (jp["q_out"], jp["q_in"], jp["via"]) == (250, 400, ["SG"])  # 100 direct, 300 through SG
    assert not _of(res["flags"], kind="reexport_exceeds_imports", exporter="JP")
    assert not _of(res["reexport_explained"], exporter="JP")


def test_accession_explains_reexports_soon_after_the_unreported_years(res: dict[str, Any]) -> None:
    assert accession.joined()["LA"].year == 2004 and accession.joined()["MX"].year == 1991
    [shoes] = _of(res["reexport_explained"], exporter="MX", term="SHO")
    assert shoes["kind"] == "reexport_explained" and shoes["explained_by"] == ["accession"]
    assert "neither LA (joined CITES 2004-05-30) nor MX (joined 1991-09-30) was a Party in 1975-1990" \
        in shoes["reasons"][0]
    # ten years after: a flag, not explained
    [skins] = _of(res["flags"], kind="reexport_exceeds_imports", exporter="MX")
    assert (skins["origin"], skins["term"], skins["reexported"], skins["explained_by"]) == ("LA", "SKI", 150, [])
    assert accession.unreported_years("LA", "MX", 2000, 2000) is None
    assert accession.unreported_years("LA", "MX", 1995, 1996) == (1975, 1990)
    assert accession.unreported_years("HK", "MX", 1992, 1992) is None  # no date of its own: unknown


def test_imports_from_all_countries_explain_a_reexport_of_another_origin(res: dict[str, Any]) -> None:
    [us] = _of(res["reexport_explained"], exporter="US", origin="TH")
    assert us["explained_by"] == ["third_country_imports"] and us["imported_from_all_countries"] == 650
    assert "US imported 650 SKI (number of specimens) of Manis javanica from all countries (importers' reports: MY 500, MX 150)" \
        in us["reasons"][0]
    assert res["flag_counts"]["reexport_exceeds_imports"] == 1
    assert res["explained_counts"] == {"reexport_explained": 2}
    assert any(n.startswith("2 re-export chain(s) with more out than in are explained, not flagged")
               for n in res["notes"])


def test_a_seizure_with_an_origin_is_no_reexport(res: dict[str, Any]) -> None:
    assert not [c for c in res["reexport_chains"] if c["exporter"] == "VN"]
    assert not _of(res["flags"], kind="reexport_exceeds_imports", exporter="VN")
    assert any(n.startswith("1 re-export chain(s) made of seizures only (source I") for n in res["notes"])


def test_evidence_sent_between_authorities_is_no_new_route(res: dict[str, Any]) -> None:
    assert not _of(res["flags"], kind="new_route", exporter="ZA")
    assert any(n.startswith("new_route leaves out 1 record(s) of purpose L") for n in res["notes"])


def test_the_cli_lists_flags_and_says_what_was_explained(db: Path) -> None:
    load_commands()
    out = CliRunner().invoke(cli, ["trade", "routes", "--db", str(db)])
    assert out.exit_code == 0, out.output
    assert "- reexport_exceeds_imports: Manis javanica, skins (SKI) in number of specimens" in out.output
    assert "note: 2 re-export chain(s) with more out than in are explained" in out.output


def test_no_route_flag_adds_the_two_reports(db: Path) -> None:
    c = connect(db, read_only=True)
    for f in _of(routes(c)["flags"], kind="new_route"):
        for q in f["quantities"]:
            got = {r: c.execute("SELECT sum(quantity) FROM records WHERE exporter = ? AND importer = ? AND term = ? "
                                "AND reporter_type = ?", [f["exporter"], f["importer"], q["term"], r]
                                ).fetchall()[0][0] for r in ("E", "I")}
            assert (q["total_exporter_report"], q["total_importer_report"]) == (got["E"], got["I"])
    c.close()



def test_a_third_countrys_goods_are_not_the_origins_own_imports(tmp_path: Path) -> None:
    # Malaysia sends Singapore 1,000 skins of Indonesian origin; Singapore re-exports 1,000 to Japan
    # as of Malaysian origin. Singapore imported no Malaysian skins: the 1,000 count once, under
    # Indonesia through Malaysia, so the Malaysian-origin chain has nothing in and is flagged
    rows = [_row(5001, 1990, "skins", 100, "JP", "ID", "E"),
            _row(5002, 1995, "skins", 1000, "SG", "MY", "E", origin="ID"),
            _row(5003, 1996, "skins", 1000, "JP", "SG", "E", origin="MY")]
    (tmp_path / "manidae.csv").write_text(HEAD + "".join(rows))
    c = connect(tmp_path / "t.duckdb")
    load_paths(c, [tmp_path / "manidae.csv"])
    out = routes(c)
    chain = next(x for x in out["reexport_chains"] if (x["exporter"], x["origin"]) == ("SG", "MY"))
    assert (chain["in_e"], chain["in_i"], chain["q_out"]) == (0, 0, 1000)
    # Malaysia's own re-export of the Indonesian skins is a chain of its own
    assert any((x["exporter"], x["origin"], x["q_out"]) == ("MY", "ID", 1000) for x in out["reexport_chains"])
