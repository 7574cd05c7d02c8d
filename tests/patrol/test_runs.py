"""Run folders (patrol/runs.py): a new folder per run, never an existing one; the manifest written
last and checked against the files; unfinished runs never listed; damaged manifests a DataError
naming the file; run ids, months and file names from outside checked; links refused."""

from __future__ import annotations

import json
import math
import os
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from wildtrace.errors import DataError, Invalid, NotFound
from wildtrace.patrol import runs
from wildtrace.patrol.runs import RunWriter, figure, list_runs, load_run

MONTHS = ["2026-01", "2026-02"]
EVALUATION = {"test_year": 2025, "train_years": [2022, 2023, 2024],
              "model": {"roc_auc": 0.71, "roc_auc_ci": [0.66, 0.76], "pr_auc": 0.31,
                        "pr_auc_ci": [0.25, 0.37], "found_top_10pct": 0.33},
              "baseline": {"roc_auc": 0.62, "roc_auc_ci": [0.57, 0.67], "pr_auc": 0.2,
                           "pr_auc_ci": [0.15, 0.25]},
              "unweighted": {"roc_auc": {"value": 0.65, "ci95": [0.6, 0.7]}}}


def manifest(**changes: Any) -> dict[str, Any]:
    return {"wildtrace_version": "0.1.0", "model_version": "iware-e/1",
            "inputs": [{"name": "patrols.xml", "sha256": "ab" * 32}],
            "config": {"cell_km": 1.0}, "synthetic": True,
            "park": {"name": "Test park", "area_km2": 120.0, "cells": 120, "cell_km": 1.0,
                     "crs": "EPSG:6933"},
            "months": MONTHS,
            "files": {m: {"risk_png": f"risk-{m}.png", "plan_gpx": f"plan-{m}.gpx"} for m in MONTHS},
            "evaluation": "evaluation.json", **changes}


def make_run(root: Path, run_id: str | None = None, **changes: Any) -> str:
    """A finished run with small real files."""
    w = RunWriter(root, run_id)
    for m in MONTHS:
        w.path(f"risk-{m}.png").write_bytes(b"\x89PNG\r\n\x1a\n" + m.encode())
        w.path(f"plan-{m}.gpx").write_text(f"<gpx>{m}</gpx>")
    w.write_json("evaluation.json", EVALUATION)
    return w.finish(manifest(**changes))


def test_a_run_round_trips(tmp_path: Path) -> None:
    run_id = make_run(tmp_path)
    assert runs.RUN_ID.fullmatch(run_id), run_id
    run = load_run(tmp_path, run_id)
    m = run.manifest
    assert m["run_id"] == run_id and m["created"].endswith("Z") and m["synthetic"] is True
    assert m["inputs_hash"] == runs.inputs_hash(m["inputs"]) and len(m["inputs_hash"]) == 64
    assert run.months == MONTHS and run.park["name"] == "Test park"
    assert run.file("risk_png", "2026-02").read_bytes().endswith(b"2026-02")
    assert m["outputs"]["plan-2026-01.gpx"]["bytes"] == len("<gpx>2026-01</gpx>")
    assert run.evaluation() == EVALUATION
    [summary] = list_runs(tmp_path)
    assert summary.run_id == run_id and summary.problem is None
    assert summary.headline["model"]["pr_auc"] == (0.31, [0.25, 0.37])
    assert summary.headline["baseline"]["roc_auc"] == (0.62, [0.57, 0.67])
    assert summary.to_dict()["evaluation"]["model"]["pr_auc"] == {"value": 0.31, "ci95": [0.25, 0.37]}


def test_runs_are_listed_newest_first_and_unfinished_ones_never(tmp_path: Path) -> None:
    old = make_run(tmp_path, "2026-01-01T0000Z-aaaaaa", created="2026-01-01T00:00:00Z")
    new = make_run(tmp_path, "2026-03-01T0000Z-bbbbbb", created="2026-03-01T00:00:00Z")
    mid = make_run(tmp_path, "2026-02-01T0000Z-cccccc", created="2026-02-01T00:00:00Z")
    unfinished = RunWriter(tmp_path, "2026-04-01T0000Z-dddddd")
    unfinished.write_json("evaluation.json", EVALUATION)
    (tmp_path / "notes").mkdir()  # not named like a run
    assert [s.run_id for s in list_runs(tmp_path)] == [new, mid, old]
    with pytest.raises(NotFound, match="never finished"):
        load_run(tmp_path, unfinished.run_id)
    assert list_runs(tmp_path / "nowhere") == []


def test_a_run_is_never_overwritten(tmp_path: Path) -> None:
    run_id = make_run(tmp_path)
    before = (tmp_path / run_id / "manifest.json").read_bytes()
    with pytest.raises(Invalid, match="never overwritten"):
        RunWriter(tmp_path, run_id)
    assert (tmp_path / run_id / "manifest.json").read_bytes() == before
    other = make_run(tmp_path)
    assert other != run_id
    with pytest.raises(Invalid, match="run ids look like"):
        RunWriter(tmp_path, "../escape")
    assert not (tmp_path.parent / "escape").exists()


@pytest.mark.parametrize("name", ["../x.png", "a/b.png", ".hidden", "manifest.json", "", "/etc/passwd",
                                  "..", "risk..png", "a\\b", "risk\x00.png", "é.png", "x" * 200])
def test_writers_get_plain_names_only(tmp_path: Path, name: str) -> None:
    w = RunWriter(tmp_path)
    with pytest.raises(Invalid):
        w.path(name)
    assert sorted(p.name for p in w.dir.iterdir()) == []


def test_a_finished_run_takes_no_more_files(tmp_path: Path) -> None:
    w = RunWriter(tmp_path)
    w.write_json("evaluation.json", EVALUATION)
    w.finish(manifest(months=[], files={}))
    with pytest.raises(Invalid, match="finished"):
        w.path("late.json")
    with pytest.raises(Invalid, match="finished"):
        w.finish(manifest(months=[], files={}))


def test_finish_checks_the_manifest_against_the_files(tmp_path: Path) -> None:
    w = RunWriter(tmp_path)
    w.write_json("evaluation.json", EVALUATION)
    with pytest.raises(DataError, match="names plan-2026-01.gpx, which was not written"):
        w.finish(manifest())
    with pytest.raises(Invalid, match="lacks model_version"):
        w.finish({k: v for k, v in manifest().items() if k != "model_version"})
    with pytest.raises(Invalid, match="2026-13"):
        w.finish(manifest(months=["2026-13"], files={}))
    with pytest.raises(Invalid, match="plain name"):
        w.finish(manifest(months=[], files={"2026-01": {"risk_png": "../../etc/passwd"}}))
    assert not (w.dir / "manifest.json").exists() and list_runs(tmp_path) == []


def test_write_json_writes_plain_json(tmp_path: Path) -> None:
    w = RunWriter(tmp_path)
    path = w.write_json("evaluation.json", {"auc": np.float64(0.5), "n": np.int64(3), "nan": math.nan,
                                            "inf": np.float64("inf"), "arr": np.array([1, 2]),
                                            "path": Path("x")})
    assert json.loads(path.read_text()) == {"auc": 0.5, "n": 3, "nan": None, "inf": None,
                                            "arr": [1, 2], "path": "x"}
    assert not [p for p in w.dir.iterdir() if p.name.startswith(".")]  # no temporary left


@pytest.mark.parametrize("body", [b"{not json", b"[1, 2]", b"\xff\xfe",
                                  b'{"run_id": "2020-01-01T0000Z-000000"}',
                                  b'{"run_id": "RID", "months": ["2026-01"], "files": {"2026-01": '
                                  b'{"risk_png": "../../../etc/passwd"}}}',
                                  b'{"run_id": "RID", "months": "2026-01", "files": {}}'])
def test_a_damaged_manifest_is_a_data_error_naming_the_file(tmp_path: Path, body: bytes) -> None:
    run_id = make_run(tmp_path)
    (tmp_path / run_id / "manifest.json").write_bytes(body.replace(b"RID", run_id.encode()))
    with pytest.raises(DataError, match=f"patrol run {run_id}: manifest.json is damaged"):
        load_run(tmp_path, run_id)
    [summary] = list_runs(tmp_path)  # listed, with what is wrong: never hidden, never a traceback
    assert summary.run_id == run_id and summary.problem and "manifest.json is damaged" in summary.problem


def test_a_damaged_evaluation_is_a_data_error(tmp_path: Path) -> None:
    w = RunWriter(tmp_path)
    w.path("evaluation.json").write_text("{oops")
    run_id = w.finish(manifest(months=[], files={}))
    with pytest.raises(DataError, match="evaluation.json is damaged"):
        load_run(tmp_path, run_id).evaluation()
    assert "evaluation.json is damaged" in (list_runs(tmp_path)[0].problem or "")


def test_files_are_read_only_as_the_run_wrote_them(tmp_path: Path) -> None:
    run = load_run(tmp_path, make_run(tmp_path))
    assert run.read_bytes("plan-2026-01.gpx") == b"<gpx>2026-01</gpx>"
    assert run.sha256("plan-2026-01.gpx") == run.manifest["outputs"]["plan-2026-01.gpx"]["sha256"]
    (run.folder / "plan-2026-01.gpx").write_text("<gpx>tampered</gpx>")
    with pytest.raises(DataError, match="plan-2026-01.gpx has changed since the run finished"):
        run.read_bytes("plan-2026-01.gpx")
    (run.folder / "evaluation.json").write_text('{"model": {}}')
    with pytest.raises(DataError, match="evaluation.json has changed"):
        run.evaluation()
    with pytest.raises(DataError, match="over 3 bytes"):
        run.read_bytes("plan-2026-02.gpx", limit=3)


@pytest.mark.parametrize("run_id", ["../etc", "..", "", "/etc", "%2e%2e%2fetc", "2026-12-07T0612Z-ABCDEF",
                                    "2026-12-07T0612Z-abcdef/../x", "2026-12-07T0612Z-abcdeg"])
def test_run_ids_from_outside_are_checked(tmp_path: Path, run_id: str) -> None:
    make_run(tmp_path)
    with pytest.raises(NotFound):
        load_run(tmp_path, run_id)


def test_links_are_refused(tmp_path: Path) -> None:
    root = tmp_path / "patrol"
    run_id = make_run(root)
    secret = tmp_path / "secret.txt"
    secret.write_text("server secret")
    run = load_run(root, run_id)
    target = run.folder / "risk-2026-01.png"
    target.unlink()
    os.symlink(secret, target)  # a link in the run folder pointing outside
    with pytest.raises(NotFound, match="not a plain file"):
        run.file("risk_png", "2026-01")
    with pytest.raises(NotFound, match="not a plain file"):
        run.named("risk-2026-01.png")
    inside = run.folder / "plan-2026-01.gpx"
    inside.unlink()
    os.symlink(run.folder / "plan-2026-02.gpx", inside)  # even one pointing inside
    with pytest.raises(NotFound, match="not a plain file"):
        run.file("plan_gpx", "2026-01")
    # a run folder that is a link to a run elsewhere
    elsewhere = tmp_path / "elsewhere"
    other = make_run(elsewhere)
    os.symlink(elsewhere / other, root / other)
    with pytest.raises(NotFound):
        load_run(root, other)
    assert [s.run_id for s in list_runs(root)] == [run_id]
    # a manifest that is a link
    (elsewhere / other / "manifest.json").rename(tmp_path / "m.json")
    os.symlink(tmp_path / "m.json", elsewhere / other / "manifest.json")
    with pytest.raises(NotFound, match="not a plain file"):
        load_run(elsewhere, other)


def test_only_files_the_manifest_names_are_served(tmp_path: Path) -> None:
    run = load_run(tmp_path, make_run(tmp_path))
    (run.folder / "extra.png").write_bytes(b"x")
    for name in ("extra.png", "manifest.json", "../manifest.json", "nope.gpx"):
        with pytest.raises(NotFound):
            run.named(name)
    with pytest.raises(NotFound, match="no risk_tif"):
        run.file("risk_tif", "2026-01")
    with pytest.raises(NotFound):
        run.file("risk_png", "2027-01")
    with pytest.raises(Invalid):
        run.file("risk_png", "../2026-01")
    assert run.plan("2026-01") is None  # this run has no plan_json


def test_figures_read_both_shapes() -> None:
    assert figure(EVALUATION["model"], "pr_auc") == (0.31, [0.25, 0.37])
    assert figure(EVALUATION["model"], "found_top_10pct") == (0.33, None)
    assert figure(EVALUATION["unweighted"], "roc_auc") == (0.65, [0.6, 0.7])
    assert figure({"pr_auc": None, "pr_auc_ci": [None, None]}, "pr_auc") == (None, None)
    assert figure({"pr_auc": True}, "pr_auc") == (None, None)
    assert figure(None, "pr_auc") == (None, None)
