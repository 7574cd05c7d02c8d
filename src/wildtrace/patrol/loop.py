"""The whole patrol loop in one call: records in, a run folder out.

``run_loop`` takes what a site has (its patrol records, the park boundary, ranger posts, optional
feature layers and rasters) and goes: grid -> effort per cell and month -> static features ->
cell-month panel -> year-ahead evaluation (train on years before the last, test on the last) ->
the model refitted on every year -> the risk map for the month after the records end -> a patrol
plan within the distance budget -> GPX, written into a new run folder whose manifest names the
model version and the hash of every input. Each stage is timed (CPU and wall seconds, peak
memory) so the benchmark and the CLI can say where the time goes.

``demo`` does the same on the synthetic park (``synthetic.make_park``), with the park's ground
truth passed to the evaluation; everything it writes says SYNTHETIC.
"""

from __future__ import annotations

import resource
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from wildtrace import __version__
from wildtrace.errors import ConfigError
from wildtrace.patrol.records import PatrolData
from wildtrace.provenance import sha256_file, sha256_of


@dataclass(frozen=True)
class LoopConfig:
    """What shapes one run; stored whole in the run's manifest."""

    cell_km: float = 1.0
    #: Full width of the ground a patrol sees along its track (ecoscope's ``swath_width_meters``):
    #: coverage counts what lies within half of it on either side.
    swath_m: float = 100.0
    #: The year held out for the evaluation (default: the last year whose twelve months all hold
    #: records; a patrol that runs into a new year's first day does not make that year the test).
    test_year: int | None = None
    #: Distance budget of each patrol route from its post and back, in km.
    budget_km: float = 20.0
    #: Bootstrap resamples for the evaluation's confidence intervals.
    reps: int = 1000
    seed: int = 0
    #: Months to map after the records end (1: the next month).
    months_ahead: int = 1


@dataclass
class Stage:
    cpu_s: float
    wall_s: float
    peak_rss_mb: float


@dataclass
class LoopResult:
    run_id: str
    run_dir: Path
    #: None when the records are too short for a year-ahead test (the notes say so)
    evaluation: dict[str, Any] | None
    months: list[str]
    plan: dict[str, Any]
    timings: dict[str, Stage] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)
    #: Records the loop could not place (an illegal-activity find outside the grid or the months...).
    rejects: list[Any] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {"run_id": self.run_id, "run_dir": str(self.run_dir), "months": self.months,
                "evaluation": self.evaluation, "plan": self.plan, "counts": self.counts,
                "timings": {k: asdict(v) for k, v in self.timings.items()}, "notes": self.notes}


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


@contextmanager
def _timed(timings: dict[str, Stage], name: str) -> Iterator[None]:
    cpu, wall = time.process_time(), time.perf_counter()
    yield
    timings[name] = Stage(cpu_s=round(time.process_time() - cpu, 3),
                          wall_s=round(time.perf_counter() - wall, 3), peak_rss_mb=round(_peak_rss_mb(), 1))


def default_test_year(table: pd.DataFrame) -> int:
    """The last year whose twelve months all hold patrol effort (else the last year with any)."""
    patrolled = table.loc[table["effort_km"] > 0, ["year", "month"]].drop_duplicates()
    months = patrolled.groupby("year")["month"].nunique()
    full = months[months == 12]
    return int(full.index.max()) if len(full) else int(table["year"].max())


def next_periods(last: str, n: int) -> list[str]:
    """The ``n`` months after ``last`` ('YYYY-MM')."""
    start = pd.Period(last, freq="M")
    return [str(start + i) for i in range(1, n + 1)]


def run_loop(data: PatrolData, boundary: Any, posts: Any, *, patrol_dir: Path,
             layers: Mapping[str, Any] | None = None, rasters: Mapping[str, Path] | None = None,
             config: LoopConfig = LoopConfig(), inputs: Mapping[str, str] | None = None,
             park_name: str = "park", synthetic: bool = False,
             truth: Callable[[Any], pd.DataFrame] | None = None,
             timings: dict[str, Stage] | None = None) -> LoopResult:
    """Grid, effort, features, panel, evaluation, model, map, plan and GPX into a new run folder.

    ``inputs`` maps each input's name to its SHA-256 (the manifest's provenance); ``truth``, for
    the synthetic park only, gives the true probability of illegal activity per cell and month
    (``SyntheticPark.truth_table``: cell_id, period, truth).
    """
    from wildtrace.patrol import effort as effort_mod
    from wildtrace.patrol import evaluate, features, gpx, grid, model, panel, plan, riskmap, runs

    timings = {} if timings is None else timings
    notes = list(data.notes)
    if data.waypoints.empty:
        raise ConfigError("no patrol track points to learn from: the records hold no waypoints with coordinates")
    with _timed(timings, "grid"):
        cells = grid.make_grid(boundary, cell_km=config.cell_km)
    with _timed(timings, "effort"):
        effort = effort_mod.effort_per_cell(cells, data, swath_m=config.swath_m)
        notes.extend(effort.attrs.get("notes", []))
    with _timed(timings, "features"):
        static, feature_notes = features.static_features(cells, {"posts": posts, **(layers or {})},
                                                         dict(rasters or {}))
        notes.extend(feature_notes)
        table = panel.build_panel(cells, effort, data.observations, static,
                                  utc_offset_minutes=data.utc_offset_minutes)
    years = sorted(int(y) for y in table["year"].unique())
    notes.extend(table.attrs.get("notes", []))
    if len(years) < 2:
        raise ConfigError(f"the records span {len(years)} year ({years[0]}): the model needs two or more "
                          "(it calibrates on the last), and the year-ahead evaluation three")
    test_year = config.test_year or default_test_year(table)
    earlier = [y for y in years if y < test_year]
    evaluation: dict[str, Any] | None = None
    if config.test_year is not None and (test_year not in years or len(earlier) < 2):
        raise ConfigError(f"--test-year {test_year}: it must be a year of the records with two earlier "
                          f"years before it (one to fit, the last to calibrate); the records span "
                          f"{years[0]}-{years[-1]}")
    if len(earlier) < 2:
        notes.append(f"no year-ahead evaluation: it needs two years of records before the test year "
                     f"{test_year} (one to fit, the last to calibrate); these span {years[0]}-{years[-1]}. "
                     "The map and plan are made, but nothing says how good they are")
    else:
        truth_table = truth(cells) if truth is not None else None
        with _timed(timings, "evaluation"):
            evaluation = evaluate.year_ahead(table, test_year, reps=config.reps, seed=config.seed,
                                             truth=truth_table)
    full = default_test_year(table)
    train = table[table["year"] <= full] if full > years[0] else table
    if len(train) < len(table):  # a year begun by a few days of patrols cannot calibrate the model
        notes.append(f"the map's model is trained on {years[0]}-{full} (the last year whose twelve months "
                     f"were all patrolled; the months after it still feed the history features)")
    with _timed(timings, "training"):
        fitted = model.fit(train, features=None, config=None)
    last = str(table["period"].max())
    months = next_periods(last, config.months_ahead)
    writer = runs.RunWriter(patrol_dir)
    files: dict[str, dict[str, str]] = {}
    plan_summary: dict[str, Any] = {}
    inputs_hash = runs.inputs_hash([{"name": k, "sha256": v} for k, v in sorted((inputs or {}).items())])
    with _timed(timings, "map"):
        for month in months:
            risk = fitted.predict(panel.future_rows(table, month))
            provenance = {"model_version": fitted.version, "input_hash": inputs_hash, "period": month,
                          "synthetic": synthetic, "wildtrace_version": __version__}
            names = {"risk_tif": f"risk-{month}.tif", "risk_geojson": f"risk-{month}.geojson",
                     "risk_png": f"risk-{month}.png", "plan_geojson": f"plan-{month}.geojson",
                     "plan_gpx": f"plan-{month}.gpx", "plan_json": f"plan-{month}.json"}
            riskmap.write_geotiff(cells, risk, writer.path(names["risk_tif"]),
                                  tags={k: str(v) for k, v in provenance.items()})
            riskmap.write_geojson(cells, risk, writer.path(names["risk_geojson"]), properties=provenance)
            route_plan = plan.make_plan(cells, risk, posts, budget_km=config.budget_km, meta=provenance)
            route_plan.to_geojson(writer.path(names["plan_geojson"]))
            gpx.write_gpx(route_plan, writer.path(names["plan_gpx"]), name=f"{park_name} {month}")
            plan_summary = route_plan.to_dict()
            writer.write_json(names["plan_json"], plan_summary)
            riskmap.render_png(cells, risk, boundary, writer.path(names["risk_png"]), posts=posts,
                               plan=route_plan, title=f"{park_name}: risk of illegal activity",
                               period=month, synthetic=synthetic)
            files[month] = names
    if evaluation is not None:
        writer.write_json("evaluation.json", evaluation)
    manifest = {
        "wildtrace_version": __version__, "model_version": fitted.version,
        "inputs": [{"name": k, "sha256": v} for k, v in sorted((inputs or {}).items())],
        "config": asdict(config) | {"test_year": test_year}, "synthetic": synthetic,
        "park": {"name": park_name, "area_km2": round(float(cells["inside"].sum()) * config.cell_km ** 2, 1),
                 "cells": int(len(cells)), "cell_km": config.cell_km, "crs": str(cells.crs)},
        "months": months, "files": files, "evaluation": "evaluation.json" if evaluation else None,
        "notes": notes,
    }
    run_id = writer.finish(manifest)
    counts = {"patrols": int(data.patrols["patrol_id"].nunique()), "waypoints": int(len(data.waypoints)),
              "observations": int(len(data.observations)), "rejects": len(data.rejects),
              "cells": int(len(cells)), "cell_months": int(len(table)),
              "detections": int(table["detections"].sum())}
    return LoopResult(run_id=run_id, run_dir=writer.dir, evaluation=evaluation, months=months,
                      plan=plan_summary, timings=timings, notes=notes, counts=counts,
                      rejects=list(table.attrs.get("rejects", [])))


def read_posts(path: Path) -> Any:
    """Ranger posts: points with a CRS (routes start and end there)."""
    import geopandas as gpd

    try:
        posts = gpd.read_file(path)
    except Exception as exc:  # pyogrio names the problem; the user gets one line
        raise ConfigError(f"--posts {path}: cannot read it as a vector file ({str(exc).splitlines()[0]})") from None
    if not isinstance(posts, gpd.GeoDataFrame):  # a table without geometry
        raise ConfigError(f"--posts {path}: holds no geometry (give points in a GeoJSON, GeoPackage or shapefile)")
    if posts.crs is None:
        raise ConfigError(f"--posts {path}: the file states no CRS")
    posts = posts[posts.geometry.notna() & ~posts.geometry.is_empty]
    if posts.empty or not (posts.geom_type == "Point").all():
        raise ConfigError(f"--posts {path}: give ranger posts as points (found {sorted(set(posts.geom_type))})")
    return posts


def run_files(records: list[Path], boundary: Path, posts: Path, *, layers: Mapping[str, Path],
              rasters: Mapping[str, Path], config: LoopConfig, patrol_dir: Path,
              park_name: str = "park", crs: str | None = None,
              utc_offset: str | None = None) -> tuple[LoopResult, list[Any]]:
    """``run_loop`` on files: the records (SMART XML/CSV, EarthRanger JSON), the boundary, posts,
    layers and rasters, each hashed into the run's manifest. Returns the result and the records'
    rejects (the caller reports them; the run used every record it could)."""
    from wildtrace.patrol.grid import read_boundary
    from wildtrace.patrol.imports import expand, read_patrols

    for name, path in {**layers, **rasters}.items():
        if not Path(path).is_file():
            raise ConfigError(f"layer {name}: no such file: {path}")
    timings: dict[str, Stage] = {}
    with _timed(timings, "import"):
        data = read_patrols(records, crs=crs, utc_offset=utc_offset)
    park = read_boundary(boundary)
    post_points = read_posts(posts)
    inputs = {f"records:{p.name}": sha256_file(p) for p in expand(records)}
    inputs |= {"boundary": sha256_file(boundary), "posts": sha256_file(posts)}
    inputs |= {f"layer:{k}": sha256_file(v) for k, v in layers.items()}
    inputs |= {f"raster:{k}": sha256_file(v) for k, v in rasters.items()}
    result = run_loop(data, park, post_points, patrol_dir=patrol_dir, layers=layers, rasters=rasters,
                      config=config, inputs=inputs, park_name=park_name, timings=timings)
    return result, [*data.rejects, *result.rejects]


def demo(seed: int = 7, *, area_km2: float = 800, years: int = 4, config: LoopConfig = LoopConfig(),
         patrol_dir: Path) -> LoopResult:
    """The loop on a SYNTHETIC park (``synthetic.make_park``), scored also against its truth."""
    import tempfile

    from wildtrace.patrol.synthetic import make_park

    timings: dict[str, Stage] = {}
    with tempfile.TemporaryDirectory(prefix="wildtrace-park-") as tmp:
        with _timed(timings, "synthetic"):
            park = make_park(seed, area_km2=area_km2, years=years, folder=Path(tmp))
        layers = {k: v for k, v in park.layers.items() if k != "posts"}
        return run_loop(park.data, park.boundary, park.layers["posts"], patrol_dir=patrol_dir,
                        layers=layers, rasters=park.rasters, config=config,
                        inputs={"synthetic_park": sha256_of([f"make_park(seed={seed}, area_km2={area_km2}, "
                                                             f"years={years})", __version__])},
                        park_name=f"Synthetic park {seed}", synthetic=True, truth=park.truth_table,
                        timings=timings)


def write_synthetic(folder: Path, *, seed: int = 7, area_km2: float = 400, years: int = 4,
                    fmt: str = "smart-xml") -> dict[str, Path]:
    """A SYNTHETIC park written as a site would have it: the records in a real export format, the
    boundary, posts and layers (GeoJSON), rasters (GeoTIFF) and SYNTHETIC.txt."""
    from wildtrace.patrol import earthranger, smart_csv, smart_xml
    from wildtrace.patrol.synthetic import make_park

    folder.mkdir(parents=True, exist_ok=True)
    park = make_park(seed, area_km2=area_km2, years=years, folder=folder)
    written = dict(park.files) | dict(park.rasters)
    records = written["records"] = folder / "records"
    records.mkdir(exist_ok=True)
    if fmt == "smart-xml":  # SMART exports one file per patrol (and per incident)
        smart_xml.write_smart_xml(park.data, records)
    elif fmt == "smart-csv":
        smart_csv.write_smart_csv(park.data, records / "patrol-query.csv")
    else:  # EarthRanger's patrols, events and tracks endpoints, one file each
        earthranger.write_earthranger_json(park.data, records / "earthranger.json")
    return written
