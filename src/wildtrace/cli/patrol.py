"""``wildtrace patrol``: import SMART/EarthRanger records, predict where illegal activity will be
found, plan patrols. A thin adapter over ``wildtrace.patrol`` (the ``patrol`` extra)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click
import orjson

from wildtrace.cli import EXIT_REJECTS, HelpGroup
from wildtrace.errors import ConfigError
from wildtrace.settings import Settings

_patrol_dir = click.option("--patrol-dir", type=click.Path(file_okay=False, path_type=Path), default=None,
                           help="Where run folders are written (default: DATA_DIR/patrol, which the workbench reads).")
_offset = click.option("--utc-offset", default=None, metavar="±HH:MM",
                       help="The site's offset from UTC, for times the export writes without a zone "
                            "(default: read as UTC, and said so).")
_crs = click.option("--crs", default=None, metavar="EPSG:CODE",
                    help="The CRS of SMART CSV X/Y columns that state none (default: WGS84 longitude/latitude).")
_json = click.option("--json", "as_json", is_flag=True, help="Print one JSON object instead of the summary.")
_config = [
    click.option("--cell-km", type=click.FloatRange(0.1, 10), default=1.0, show_default=True,
                 help="Side of a grid cell in km."),
    click.option("--budget-km", type=click.FloatRange(1, 500), default=20.0, show_default=True,
                 help="Distance budget of each route from its ranger post and back, in km."),
    click.option("--test-year", type=int, default=None,
                 help="The year held out for the year-ahead evaluation (default: the last year of the records)."),
    click.option("--reps", type=click.IntRange(50, 10_000), default=1000, show_default=True,
                 help="Bootstrap resamples for the evaluation's confidence intervals."),
    click.option("--seed", type=int, default=0, show_default=True, help="Seed of the model and the bootstrap."),
]


def _with_config(f: Any) -> Any:
    for option in reversed(_config):
        f = option(f)
    return f


def _config_of(cell_km: float, budget_km: float, test_year: int | None, reps: int, seed: int) -> Any:
    from wildtrace.patrol.loop import LoopConfig

    return LoopConfig(cell_km=cell_km, budget_km=budget_km, test_year=test_year, reps=reps, seed=seed)


def _pairs(values: tuple[str, ...], option: str) -> dict[str, Path]:
    out: dict[str, Path] = {}
    for value in values:
        name, sep, path = value.partition("=")
        if not sep or not name.strip() or not path.strip():
            raise ConfigError(f"{option} {value!r}: write NAME=PATH (e.g. {option} roads=roads.geojson)")
        out[name.strip()] = Path(path.strip())
    return out


def _report_rejects(rejects: list[Any], rejects_path: Path | None) -> None:
    for r in rejects[:20]:
        where = f"{r.source}: " if getattr(r, "source", "") else ""
        click.echo(f"wildtrace: {where}line {r.line}" + (f" (id {r.record_id})" if r.record_id else "")
                   + f": rejected: {r.reason}", err=True)
    if len(rejects) > 20:
        click.echo(f"wildtrace: ... and {len(rejects) - 20:,} more rejected records"
                   + (f" (all in {rejects_path})" if rejects_path else " (write them all with --rejects FILE)"),
                   err=True)
    if rejects_path is not None:
        rejects_path.write_bytes(b"".join(orjson.dumps(r.to_dict()) + b"\n" for r in rejects))


def _summary(result: Any) -> None:
    ev = result.evaluation or {}
    click.echo(f"run {result.run_id}: {result.run_dir}")
    c = result.counts
    click.echo(f"  {c['patrols']:,} patrols, {c['waypoints']:,} waypoints, {c['observations']:,} observations, "
               f"{c['cells']:,} cells, {c['detections']:,} illegal-activity finds in {c['cell_months']:,} cell-months")
    if ev:
        click.echo(f"  year-ahead evaluation: trained on {ev['train_years']}, tested on {ev['test_year']} "
                   f"({ev.get('unit', '')})")
    else:
        click.echo("  no year-ahead evaluation (see the notes)")
    click.echo("  told the effort each test cell-month received (compare these two):")
    for name in ("model", "baseline"):
        _figures(ev, name)
    click.echo("  planned ahead, nothing of the test year known (compare these three):")
    for name in ("model_planned", "baseline_planned", "unweighted"):
        _figures(ev, name)
    if "truth" in ev:
        click.echo("  against the synthetic park's ground truth:")
        for name in ("model", "baseline", "unweighted"):
            m = ev["truth"].get(name)
            if isinstance(m, dict):
                click.echo(f"    {name:<16} AUC {_ci(m, 'roc_auc')}   Spearman {_ci(m, 'spearman')}")
    plan = result.plan
    if plan:
        used = sum(1 for route in plan.get("routes", []) if route.get("stops"))
        click.echo(f"  plan {result.months[-1]}: {used} of {len(plan.get('routes', []))} posts' routes visit cells "
                   f"within {plan.get('budget_km')} km, "
                   f"{plan.get('share_covered') or 0:.1%} of the month's predicted risk covered"
                   + (f" ({plan['reason']})" if plan.get('reason') else ""))
    for name, t in result.timings.items():
        click.echo(f"  {name:<11} {t.cpu_s:8.2f} CPU-s {t.wall_s:8.2f} s  peak {t.peak_rss_mb:,.0f} MB")
    for note in result.notes:
        click.echo(f"  note: {note}")


def _figures(ev: dict[str, Any], name: str) -> None:
    m = ev.get(name)
    if m:
        click.echo(f"    {name:<16} AUC {_ci(m, 'roc_auc')}   PR-AUC {_ci(m, 'pr_auc')}   "
                   f"found in top 10 % {_ci(m, 'found_top_10pct')}")


def _ci(m: dict[str, Any], key: str) -> str:
    value = m.get(key)
    if value is None:
        return "-"
    ci = m.get(f"{key}_ci")
    return f"{value:.3f}" + (f" [{ci[0]:.3f}, {ci[1]:.3f}]" if ci else "")


@click.group(cls=HelpGroup)
def patrol() -> None:
    """Patrols: where illegal activity will be found next, from SMART and EarthRanger records."""


@patrol.command("import")
@click.argument("files", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
@click.option("-o", "--output", type=click.Path(file_okay=False, path_type=Path), required=True,
              help="Folder for patrols.csv, waypoints.csv and observations.csv (WGS84, UTC).")
@click.option("--rejects", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Write every rejected record here (JSON Lines: file, line, id, why).")
@_offset
@_crs
def patrol_import(files: tuple[Path, ...], output: Path, rejects: Path | None, utc_offset: str | None,
                  crs: str | None) -> None:
    """Read SMART patrol XML, SMART query CSV or EarthRanger JSON into one set of tables.

    FILES are export files or folders of them (SMART writes one XML file per patrol; EarthRanger's
    patrols, events and tracks files are read together).

    Coordinates are reprojected from whatever CRS each file states; records that cannot be used
    are reported with their file, line and why (exit 3), never dropped silently.

    Example: wildtrace patrol import park/records -o patrol-tables
    """
    from wildtrace.patrol.imports import read_patrols, write_tables

    data = read_patrols(list(files), crs=crs, utc_offset=utc_offset)
    write_tables(data, output)
    click.echo(f"{data.patrols['patrol_id'].nunique():,} patrols, {len(data.waypoints):,} waypoints, "
               f"{len(data.observations):,} observations, {len(data.rejects):,} rejected -> {output}")
    for note in data.notes:
        click.echo(f"note: {note}", err=True)
    _report_rejects(data.rejects, rejects)
    if data.rejects:
        raise SystemExit(EXIT_REJECTS)


@patrol.command("run")
@click.argument("records", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
@click.option("--boundary", type=click.Path(exists=True, dir_okay=False, path_type=Path), required=True,
              help="The park boundary (GeoJSON, GeoPackage or shapefile with a CRS).")
@click.option("--posts", type=click.Path(exists=True, dir_okay=False, path_type=Path), required=True,
              help="Ranger posts (points; GeoJSON, GeoPackage or shapefile): where routes start and end.")
@click.option("--layer", "layers", multiple=True, metavar="NAME=PATH",
              help="A vector layer to measure distances to (roads=roads.geojson, rivers=..., villages=...).")
@click.option("--raster", "rasters", multiple=True, metavar="NAME=PATH",
              help="A raster to sample per cell (elevation=dem.tif, landcover=lc.tif).")
@click.option("--name", "park_name", default="park", show_default=True, help="The park's name on maps and plans.")
@_with_config
@_patrol_dir
@_json
@click.option("--rejects", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Write every rejected record here (JSON Lines).")
@_offset
@_crs
@click.pass_obj
def patrol_run(settings: Settings, records: tuple[Path, ...], boundary: Path, posts: Path,
               layers: tuple[str, ...], rasters: tuple[str, ...], park_name: str, cell_km: float,
               budget_km: float, test_year: int | None, reps: int, seed: int, patrol_dir: Path | None,
               as_json: bool, rejects: Path | None, utc_offset: str | None, crs: str | None) -> None:
    """Learn from patrol records and write next month's risk map, a patrol plan and GPX.

    Year-ahead evaluation (train on earlier years, test on the last), the effort-aware model
    against the same classifier without effort and the past-activity baseline, with bootstrap
    CIs; the run folder holds the maps (GeoTIFF, GeoJSON, PNG), the plan (GeoJSON, GPX) and a
    manifest with the model version and every input's hash.

    Example: wildtrace patrol run park/records --boundary park/boundary.geojson --posts park/posts.geojson --layer roads=park/roads.geojson --raster elevation=park/elevation.tif
    """
    from wildtrace.patrol.loop import run_files

    result, data_rejects = run_files(list(records), boundary, posts, layers=_pairs(layers, "--layer"),
                                     rasters=_pairs(rasters, "--raster"),
                                     config=_config_of(cell_km, budget_km, test_year, reps, seed),
                                     patrol_dir=patrol_dir or settings.patrol_dir, park_name=park_name,
                                     crs=crs, utc_offset=utc_offset)
    if as_json:
        sys.stdout.write(orjson.dumps(result.to_dict(), option=orjson.OPT_INDENT_2).decode() + "\n")
    else:
        _summary(result)
    _report_rejects(data_rejects, rejects)
    if data_rejects:
        raise SystemExit(EXIT_REJECTS)


@patrol.command("demo")
@click.option("--area-km2", type=click.FloatRange(50, 20_000), default=800, show_default=True,
              help="Size of the synthetic park (below about 600 km² a year of finds is too few to tell the "
                   "models apart).")
@click.option("--years", type=click.IntRange(3, 20), default=4, show_default=True,
              help="Years of synthetic patrols (three at least: two to train, one to test).")
@click.option("--park-seed", type=int, default=7, show_default=True, help="Seed of the synthetic park.")
@_with_config
@_patrol_dir
@_json
@click.pass_obj
def patrol_demo(settings: Settings, area_km2: float, years: int, park_seed: int, cell_km: float,
                budget_km: float, test_year: int | None, reps: int, seed: int, patrol_dir: Path | None,
                as_json: bool) -> None:
    """The whole loop on a SYNTHETIC park with known ground truth (no real data involved).

    Makes the park, its patrols and finds (`wildtrace.patrol.synthetic`), then runs what
    `patrol run` runs, and also scores every model against the park's ground truth.

    Example: wildtrace patrol demo --json
    """
    from wildtrace.patrol.loop import demo

    result = demo(park_seed, area_km2=area_km2, years=years,
                  config=_config_of(cell_km, budget_km, test_year, reps, seed),
                  patrol_dir=patrol_dir or settings.patrol_dir)
    if as_json:
        sys.stdout.write(orjson.dumps({"synthetic": True, **result.to_dict()},
                                      option=orjson.OPT_INDENT_2).decode() + "\n")
    else:
        click.echo("SYNTHETIC park: every figure below is on made-up data with known ground truth.")
        _summary(result)


@patrol.command("synth")
@click.argument("folder", type=click.Path(file_okay=False, path_type=Path))
@click.option("--area-km2", type=click.FloatRange(50, 20_000), default=400, show_default=True,
              help="Size of the synthetic park.")
@click.option("--years", type=click.IntRange(1, 20), default=4, show_default=True,
              help="Years of synthetic patrols, from 2019.")
@click.option("--seed", type=int, default=7, show_default=True, help="Seed of the synthetic park (same seed, same park).")
@click.option("--format", "fmt", type=click.Choice(["smart-xml", "smart-csv", "earthranger"]), default="smart-xml",
              show_default=True, help="The export format the patrol records are written in.")
def patrol_synth(folder: Path, area_km2: float, years: int, seed: int, fmt: str) -> None:
    """Write a SYNTHETIC park as a site would have it: records, boundary, posts, layers, rasters.

    For trying `patrol import` and `patrol run` on files in the real formats; everything written
    is made up and says so (SYNTHETIC.txt).

    Example: wildtrace patrol synth park --years 3
    """
    from wildtrace.patrol.loop import write_synthetic

    written = write_synthetic(folder, seed=seed, area_km2=area_km2, years=years, fmt=fmt)
    for name, path in written.items():
        click.echo(f"{name:<11} {path}")
