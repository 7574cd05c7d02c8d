"""The captive-breeding criteria table drives the screen."""

from __future__ import annotations

import inspect

import duckdb

from wildtrace.trade.criteria import CRITERIA
from wildtrace.trade.screen import screen


def test_the_table_names_real_parameters_and_describes_each_criterion() -> None:
    accepted = set(inspect.signature(screen).parameters)
    names = [c.name for c in CRITERIA]
    assert len(names) == len(set(names)), names
    for c in CRITERIA:
        assert set(c.params) <= accepted, (c.name, c.params)
        assert c.description and c.reasons and c.sql.strip(), c.name


def test_every_flag_comes_from_a_criterion_of_the_table(loaded: duckdb.DuckDBPyConnection) -> None:
    out = screen(loaded)
    templates = {name for c in CRITERIA for name in c.reasons}
    emitted = set(out["flag_counts"])
    assert emitted, out["notes"]
    for flag in out["flags"]:
        assert flag["reasons"] and all(isinstance(r, str) and r for r in flag["reasons"]), flag
        assert list(flag)[-1] == "reasons", flag
    # captive_volume_2x / _4x share the template captive_volume; every other flag names its own
    assert {c if not c.startswith("captive_volume_") else "captive_volume" for c in emitted} <= templates, emitted
