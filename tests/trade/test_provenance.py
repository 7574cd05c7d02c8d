"""Trade analyses carry the one provenance stamp (wildtrace.provenance) plus their own keys."""

from __future__ import annotations

from typing import Any

import duckdb

from wildtrace import __version__, manifest
from wildtrace.provenance import FIELDS
from wildtrace.trade.provenance import input_hash
from wildtrace.trade.reconcile import reconcile
from wildtrace.trade.routes import routes
from wildtrace.trade.screen import screen
from wildtrace.trade.trends import spikes


def test_every_analysis_is_stamped_with_the_one_stamp(loaded: duckdb.DuckDBPyConnection) -> None:
    digest = input_hash(loaded)
    results: dict[str, dict[str, Any]] = {"launder": screen(loaded, min_quantity=25),
                                          "reconcile": reconcile(loaded), "routes": routes(loaded),
                                          "spikes": spikes(loaded)}
    for analysis, result in results.items():
        prov = result["provenance"]
        assert list(prov)[: len(FIELDS)] == list(FIELDS), prov
        assert prov["tool"] == f"wildtrace.trade.{analysis}" and prov["version"] == __version__, prov
        assert prov["analysis"] == analysis and prov["input_sha256"] == prov["input_hash"] == digest, prov
        assert prov["data_sha256"] == manifest.sha256("trade")[:16], prov
        assert prov["generated_at"].endswith("Z"), prov
    assert results["launder"]["provenance"]["params"]["min_quantity"] == 25
