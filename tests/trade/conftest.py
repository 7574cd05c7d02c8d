from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import duckdb
import pytest

from wildtrace.trade.load import load_paths
from wildtrace.trade.schema import connect
from wildtrace.trade.synth import SynthResult, generate

SHARED = Path(__file__).resolve().parents[2].parent / "shared" / "data"


@pytest.fixture(scope="session")
def synth_dir(tmp_path_factory: pytest.TempPathFactory) -> SynthResult:
    return generate(tmp_path_factory.mktemp("synth"), 30_000, seed=11)


@pytest.fixture(scope="session")
def truth(synth_dir: SynthResult) -> dict[str, Any]:
    return json.loads(synth_dir.truth.read_text())


@pytest.fixture(scope="session")
def loaded(synth_dir: SynthResult, tmp_path_factory: pytest.TempPathFactory) -> duckdb.DuckDBPyConnection:
    con = connect(tmp_path_factory.mktemp("db") / "trade.duckdb")
    results = load_paths(con, synth_dir.bulk_files)
    assert all(r.status == "loaded" and r.rows_rejected == 0 for r in results), results
    return con
