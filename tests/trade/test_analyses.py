from __future__ import annotations

from typing import Any

import duckdb

from wildtrace.trade.reconcile import reconcile
from wildtrace.trade.routes import routes
from wildtrace.trade.screen import read_ranges, screen
from wildtrace.trade.synth import SynthResult
from wildtrace.trade.trends import spikes


def split(flags: list[dict[str, Any]], truth: dict[str, Any]) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    anomaly = set(truth["anomaly_taxa"])
    return [f for f in flags if f["taxon"] in anomaly], [f for f in flags if f["taxon"] not in anomaly]


def kinds(truth: dict[str, Any], kind: str) -> list[dict[str, Any]]:
    return [a for a in truth["anomalies"] if a["kind"] == kind]


def test_reconcile_finds_injected_mismatches_and_reports_coverage(loaded: duckdb.DuckDBPyConnection, truth: dict[str, Any]) -> None:
    res = reconcile(loaded)
    cov = res["coverage"]
    assert cov["exporter_records"] + cov["importer_records"] == truth["rows"]
    assert cov["permit_pairs"] > 0 and cov["fallback_pairs"] > 0
    # background: 60% of shipments both-sided, 80% of those with the permit on both sides
    assert 0.5 < cov["exporter_share_permit_matched"] < 0.6, cov
    assert cov["exporter_records_one_sided"] > 0  # one-sided records are counted, not flagged
    hits, background = split(res["flags"], truth)
    assert background == [], background[:3]
    for kind in ("quantity_mismatch", "source_flip", "purpose_flip"):
        want = {a["export_permit"] for a in kinds(truth, kind)}
        got = {f["export_permit"] for f in hits if kind in f["kinds"]}
        assert want <= got, (kind, want - got)
    qm = next(f for f in hits if "quantity_mismatch" in f["kinds"])
    assert abs(qm["log_ratio"]) > 2 and "ln ratio" in qm["reasons"][0]


def test_screen_recall_and_no_background_flags(loaded: duckdb.DuckDBPyConnection, truth: dict[str, Any], synth_dir: SynthResult) -> None:
    res = screen(loaded, ranges=read_ranges(synth_dir.ranges))
    # the synthetic background gives random captive sources to every taxon, great apes and
    # Appendix-I commercial trade included (wild, too): those two rules are tested on hand-written fixtures
    modelled = [f for f in res["flags"] if f["criterion"] not in ("hard_to_breed", "appendix_i_commercial_captive",
                 "appendix_i_wild_commercial", "zero_quota_wild_commercial")]
    hits, background = split(modelled, truth)
    assert background == [], background[:3]
    got = {(f["criterion"], f["taxon"], f["exporter"]) for f in hits}
    expected = {
        ("captive_volume_4x", "captive_volume_4x"), ("captive_up_wild_down", "captive_up_wild_down"),
        ("c_before_f", "c_before_f"), ("outside_range", "outside_range"),
        ("captive_share_disagreement", "captive_share_disagreement"),
    }
    for kind, crit in expected:
        for a in kinds(truth, kind):
            assert (crit, a["taxon"], a["exporter"]) in got, (kind, a)
    surge = next(f for f in hits if f["criterion"] == "captive_volume_4x")
    assert surge["captive_quantity"] > 4 * surge["captive_prev5_mean"] and len(surge["captive_prev5"]) == 5
    assert all(f["reasons"] for f in hits)


def test_spikes_and_routes(loaded: duckdb.DuckDBPyConnection, truth: dict[str, Any]) -> None:
    sp = spikes(loaded)
    # the generator's importer side books 10% of shipments a year late and skips a quarter at
    # random: its background swings are the generator's, so background is checked on exporters' series
    hits, background = split([f for f in sp["flags"] if f["reporter"] == "E"], truth)
    assert background == [] and sp["series"] > 100
    for a in kinds(truth, "spike"):
        assert any(f["taxon"] == a["taxon"] and f["year"] == a["year"] and f["source"] == a["source"] for f in hits)
    rt = routes(loaded)
    hits, background = split(rt["flags"], truth)
    assert background == [], background[:3]
    for a in kinds(truth, "new_route"):
        assert any(f["kind"] == "new_route" and f["importer"] == a["importer"] and f["year"] == a["year"] for f in hits)
    rx = {(f["taxon"], f["exporter"], f["origin"]) for f in hits if f["kind"] == "reexport_exceeds_imports"}
    assert {(a["taxon"], a["exporter"], a["origin"]) for a in kinds(truth, "reexport_exceeds_imports")} == rx
    clean = kinds(truth, "clean_reexport")[0]
    assert any(c["exporter"] == clean["exporter"] and c["origin"] == clean["origin"] for c in rt["reexport_chains"])
    assert rt["flows"]["by_unit"][0]["by_year"] and rt["provenance"]["input_hash"]
