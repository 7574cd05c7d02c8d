"""`wildtrace patrol`: the whole loop from files in real export formats to a run folder the
workbench lists, the demo's JSON interface, and a user's mistakes as one line and exit 2."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from wildtrace.cli import cli
from wildtrace.patrol import runs

WILDTRACE = str(Path(sys.executable).with_name("wildtrace"))


@pytest.fixture(scope="module")
def park(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small SYNTHETIC park written as a site has it (SMART XML, one file per patrol)."""
    folder = tmp_path_factory.mktemp("park") / "park"
    r = CliRunner().invoke(cli, ["patrol", "synth", str(folder), "--area-km2", "150", "--years", "3"])
    assert r.exit_code == 0, r.output
    assert (folder / "SYNTHETIC.txt").is_file() and any((folder / "records").glob("patrol-*.xml"))
    return folder


def test_demo_json_carries_the_year_ahead_evaluation_and_a_listed_run(tmp_path: Path) -> None:
    out = subprocess.run([WILDTRACE, "patrol", "demo", "--json", "--area-km2", "150", "--years", "3",
                          "--reps", "100", "--patrol-dir", str(tmp_path / "runs")],
                         capture_output=True, text=True, timeout=600, check=False)
    assert out.returncode == 0, out.stderr
    doc = json.loads(out.stdout)
    ev = doc["evaluation"]
    assert doc["synthetic"] is True
    for name in ("model", "baseline", "unweighted"):
        assert isinstance(ev[name]["pr_auc"], float) and 0 <= ev[name]["pr_auc"] <= 1
        lo, hi = ev[name]["pr_auc_ci"]
        assert lo <= ev[name]["pr_auc"] <= hi
    assert ev["test_year"] not in ev["train_years"] and max(ev["train_years"]) < ev["test_year"]
    assert "truth" in ev, "the synthetic park's ground truth scores every model"
    listed = runs.list_runs(tmp_path / "runs")
    assert [r.run_id for r in listed] == [doc["run_id"]]
    run = runs.load_run(tmp_path / "runs", doc["run_id"])
    assert run.manifest["synthetic"] is True and run.manifest["model_version"].startswith("iware-e")
    month = doc["months"][0]
    assert run.read_bytes(run.manifest["files"][month]["risk_png"]).startswith(b"\x89PNG")


def test_synth_import_run_round_trip_in_real_formats(park: Path, tmp_path: Path) -> None:
    r = CliRunner().invoke(cli, ["patrol", "import", str(park / "records"), "-o", str(tmp_path / "tables")])
    assert r.exit_code == 0, r.output
    waypoints = (tmp_path / "tables" / "waypoints.csv").read_text().splitlines()
    assert waypoints[0].startswith("patrol_id,leg_id,time,lon,lat") and len(waypoints) > 1000
    r = CliRunner().invoke(cli, [
        "patrol", "run", str(park / "records"), "--boundary", str(park / "boundary.geojson"),
        "--posts", str(park / "posts.geojson"), "--layer", f"roads={park / 'roads.geojson'}",
        "--raster", f"elevation={park / 'elevation.tif'}", "--reps", "100", "--json",
        "--patrol-dir", str(tmp_path / "runs")])
    assert r.exit_code == 0, r.output
    doc = json.loads(r.output)
    run = runs.load_run(tmp_path / "runs", doc["run_id"])
    names = {i["name"] for i in run.manifest["inputs"]}
    assert {"boundary", "posts", "layer:roads", "raster:elevation"} <= names
    assert sum(n.startswith("records:patrol-") for n in names) > 100, "every record file is hashed"
    assert run.manifest["synthetic"] is False  # the CLI cannot know; the files say SYNTHETIC themselves
    plan = run.plan(doc["months"][0])
    assert plan is not None and plan["routes"] and all(route["distance_km"] <= plan["budget_km"] + 1e-6 for route in plan["routes"])
    gpx = run.read_bytes(run.manifest["files"][doc["months"][0]]["plan_gpx"]).decode()
    assert 'xmlns="http://www.topografix.com/GPX/1/1"' in gpx and "<rte>" in gpx


def test_one_hostile_file_among_the_records_is_a_reject_and_exit_3(park: Path, tmp_path: Path) -> None:
    records = tmp_path / "records"
    records.mkdir()
    for f in sorted((park / "records").glob("patrol-*.xml"))[:40]:
        (records / f.name).write_bytes(f.read_bytes())
    (records / "evil.xml").write_text('<?xml version="1.0"?>\n<!DOCTYPE x [<!ENTITY a "aaaa">]>\n<x>&a;</x>\n')
    r = CliRunner().invoke(cli, ["patrol", "import", str(records), "-o", str(tmp_path / "t"),
                                 "--rejects", str(tmp_path / "rejects.jsonl")])
    assert r.exit_code == 3, r.output
    assert "evil.xml" in r.output and "whole file was not read" in r.output
    rejects = [json.loads(line) for line in (tmp_path / "rejects.jsonl").read_text().splitlines()]
    assert len(rejects) == 1 and rejects[0]["reason"].startswith("evil.xml:")
    assert len((tmp_path / "t" / "waypoints.csv").read_text().splitlines()) > 100, "the other files were read"


@pytest.mark.parametrize("args, says", [
    (["--layer", "roads"], "write NAME=PATH"),
    (["--layer", "roads=/nonexistent.geojson"], "no such file"),
    (["--test-year", "1990"], "--test-year 1990"),
    (["--utc-offset", "soon"], "UTC offset"),
])
def test_a_users_mistake_is_one_line_and_exit_2(park: Path, tmp_path: Path, args: list[str], says: str) -> None:
    r = CliRunner().invoke(cli, ["patrol", "run", str(park / "records"), "--boundary", str(park / "boundary.geojson"),
                                 "--posts", str(park / "posts.geojson"), "--reps", "50",
                                 "--patrol-dir", str(tmp_path / "runs"), *args])
    assert r.exit_code == 2, r.output
    lines = [line for line in r.output.splitlines() if line.startswith("wildtrace: error:")]
    assert len(lines) == 1 and says in lines[0], r.output
    assert "Traceback" not in r.output
    assert not runs.list_runs(tmp_path / "runs"), "nothing half-written is listed"


def test_boundary_and_posts_that_are_not_usable_are_one_line(park: Path, tmp_path: Path) -> None:
    no_crs = tmp_path / "nocrs.csv"
    no_crs.write_text("x,y\n1,2\n")
    lines = tmp_path / "posts.geojson"
    lines.write_text(json.dumps({"type": "FeatureCollection", "features": [{"type": "Feature", "properties": {},
                     "geometry": {"type": "LineString", "coordinates": [[30.1, 0.2], [30.2, 0.3]]}}]}))
    for args, says in (([ "--boundary", str(no_crs), "--posts", str(park / "posts.geojson")], "nocrs.csv"),
                       (["--boundary", str(park / "boundary.geojson"), "--posts", str(lines)], "points")):
        r = CliRunner().invoke(cli, ["patrol", "run", str(park / "records"), *args, "--patrol-dir", str(tmp_path)])
        assert r.exit_code == 2 and says in r.output and "Traceback" not in r.output, r.output


def test_two_years_give_a_map_and_plan_without_an_evaluation_and_one_year_is_one_line(tmp_path: Path) -> None:
    for years in (2, 1):
        folder = tmp_path / f"park{years}"
        r = CliRunner().invoke(cli, ["patrol", "synth", str(folder), "--area-km2", "100", "--years", str(years)])
        assert r.exit_code == 0, r.output
        r = CliRunner().invoke(cli, ["patrol", "run", str(folder / "records"), "--boundary",
                                     str(folder / "boundary.geojson"), "--posts", str(folder / "posts.geojson"),
                                     "--patrol-dir", str(tmp_path / "runs"), "--json"])
        if years == 1:
            assert r.exit_code == 2 and "needs two or more" in r.output and "Traceback" not in r.output, r.output
            continue
        assert r.exit_code == 0, r.output
        doc = json.loads(r.output)
        assert doc["evaluation"] is None
        assert any(n.startswith("no year-ahead evaluation") for n in doc["notes"])
        run = runs.load_run(tmp_path / "runs", doc["run_id"])
        assert run.manifest["evaluation"] is None and run.evaluation() is None
        assert run.read_bytes(run.manifest["files"][doc["months"][0]]["risk_png"]).startswith(b"\x89PNG")
