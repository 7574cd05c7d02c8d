"""The LEMIS outcome model without suspected leaks reads origin ``XX`` as missing (inspectors
set it when a seized or refused shipment's origin cannot be established), and its intervals
resample whole shipments (LEMIS control numbers). Run on the real amphibian LEMIS files of
``../shared/data/lemis``."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from wildtrace.trade.load import load_paths
from wildtrace.trade.outcome import OUTCOME_VALUES, _features, metrics, outcome_model
from wildtrace.trade.schema import connect

from .conftest import SHARED


def test_origin_xx_is_read_as_missing_only_where_asked() -> None:
    r = {"origin": "XX", "exporter": "CN", "quantity": 4, "value": None, "month": 3}
    fields = ["origin", "exporter", "quantity"]
    assert _features(r, fields) == {"origin": "XX", "exporter": "CN", "log_quantity": np.log1p(4)}
    assert _features(r, fields, OUTCOME_VALUES) == {"exporter": "CN", "log_quantity": np.log1p(4)}
    assert _features({**r, "origin": "VN"}, fields, OUTCOME_VALUES)["origin"] == "VN"


def test_intervals_resample_whole_shipments() -> None:
    """Two line items per shipment, with one outcome each: shipments are counted and drawn."""
    y = np.array([1, 1, 0, 0, 0, 0, 1, 1, 0, 0])
    s = np.array([0.9, 0.8, 0.1, 0.2, 0.3, 0.1, 0.7, 0.6, 0.2, 0.4])
    groups = np.repeat(np.arange(5), 2)
    out = metrics(y, s, groups=groups, boot=50)
    assert out["shipments"] == 5 and out["n"] == 10 and out["positives"] == 4
    lo, hi = out["pr_auc"]["ci95"]
    assert lo <= out["pr_auc"]["value"] <= hi


def test_leak_free_model_on_real_lemis_drops_origin_xx(tmp_path: Path) -> None:
    con = connect(tmp_path / "l.duckdb")
    load_paths(con, sorted((SHARED / "lemis").glob("*.csv")))
    res = outcome_model(con, boot=30)
    free, kept = res["without_suspected_leaks"], res["without_suspected_leaks_keeping_outcome_values"]
    assert free["values_read_as_missing"] == {"origin": ["XX"]} and kept["values_read_as_missing"] == {}
    assert free["fields"] == kept["fields"] and "origin" in free["fields"] and "source" not in free["fields"]
    [xx] = res["outcome_values"]
    assert (xx["field"], xx["value"]) == ("origin", "XX")
    assert xx["test"] == {"refused_or_seized": 76, "cleared": 10, "of_refused_or_seized": 231}
    # without the outcome-recorded value the figure drops (0.67 -> 0.60 on these files) and stays
    # well above the base rate and the exporter baseline
    t = free["test"]
    assert t["pr_auc"]["value"] < kept["test"]["pr_auc"]["value"] - 0.03
    effect = res["outcome_values_effect"]  # paired over the same resampled shipments
    assert abs(effect["value"] - (kept["test"]["pr_auc"]["value"] - t["pr_auc"]["value"])) < 2e-4
    assert 0 < effect["ci95"][0] <= effect["value"] <= effect["ci95"][1]
    assert t["pr_auc"]["value"] > res["baseline_exporter_rate"]["test"]["pr_auc"]["value"] + 0.2
    assert t["pr_auc"]["ci95"][0] <= t["pr_auc"]["value"] <= t["pr_auc"]["ci95"][1]
    # the intervals resample shipments: the test years' LEMIS control numbers
    n_shipments = con.execute("SELECT count(DISTINCT control_number) FROM records WHERE year > 2018").fetchall()[0][0]
    assert t["shipments"] == n_shipments == res["bootstrap"]["test_shipments"] < t["n"]
    assert res["bootstrap"]["reps"] == 30 and "control number" in res["bootstrap"]["resampled"]
