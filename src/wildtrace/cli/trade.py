"""``wildtrace trade ...``: load CITES/LEMIS files and run the supply-chain analyses."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from wildtrace.cli import EXIT_REJECTS, HelpGroup
from wildtrace.errors import ConfigError
from wildtrace.settings import Settings
from wildtrace.trade import flags, names
from wildtrace.trade.load import expand_globs, load_paths
from wildtrace.trade.outcome import outcome_model
from wildtrace.trade.reconcile import reconcile as reconcile_records
from wildtrace.trade.report import html_report
from wildtrace.trade.report import report as make_report
from wildtrace.trade.routes import routes as find_routes
from wildtrace.trade.schema import connect, open_loaded
from wildtrace.trade.screen import choose_ranges, cites_dataset, read_ranges, read_register
from wildtrace.trade.screen import screen as screen_records
from wildtrace.trade.selection import Selection
from wildtrace.trade.synth import generate
from wildtrace.trade.trends import REPORTS, spikes
from wildtrace.trade.units import woe_summary
from wildtrace.trade.volumes import volumes


def _db(settings: Settings, db: Path | None) -> Path:
    return db or settings.trade_db_target


def _emit(result: dict[str, Any], as_json: bool) -> None:
    """JSON, or lines for people: what the analysis covers, counts (none when it read nothing),
    notes, then each flag as a line with names beside its codes and its reasons under it."""
    if as_json:
        click.echo(json.dumps(result, default=str))
        return
    if "covers" in result:
        click.echo(f"covers: {result['covers']['statement']}")
    if "coverage" in result and result.get("covers", {}).get("applies", True):
        click.echo("coverage: " + ", ".join(f"{a}={b}" for a, b in result["coverage"].items()))
    if result.get("flag_counts"):
        click.echo("flag_counts: " + ", ".join(f"{a}={b}" for a, b in result["flag_counts"].items()))
    for note in result.get("notes", []):
        if note != result.get("covers", {}).get("statement"):
            click.echo(f"note: {note}")
    for f in result.get("flags", []) + result.get("comptab", {}).get("flags", []):
        click.echo(flag_line(f))
        for r in f.get("reasons", []):
            click.echo(f"    {r}")


def flag_line(flag: dict[str, Any]) -> str:
    """``- quantity_mismatch: Acipenser stellatus, live (LIV) in number of specimens, Madagascar (MG)
    -> Japan (JP), 2005``: the flag with names beside its codes (``trade.flags.row``)."""
    r = flags.row(flag)
    parts = [r["taxon"]]
    if r["term_name"]:
        parts.append(f"{r['term_name']} in {r['unit_name']}")
    route = " -> ".join(p for p in (r["origin"] if r["origin"] != r["exporter"] else "", r["exporter"],
                                    r["importer"]) if p)
    parts += [route, r["years"]]
    return f"- {r['kind']}: " + ", ".join(p for p in parts if p)


db_option = click.option("--db", type=click.Path(path_type=Path), help="DuckDB file (default: DATA_DIR/trade.duckdb)")
json_option = click.option("--json", "as_json", is_flag=True, help="one JSON object on stdout")


@click.group(cls=HelpGroup)
def trade() -> None:
    """CITES trade database and LEMIS shipment analytics."""


def analysis(func: Callable[..., None]) -> click.Command:
    """A ``trade`` analysis command: ``--db`` and ``--json``, the settings passed in."""
    return trade.command()(db_option(json_option(click.pass_obj(func))))




@trade.command()
@click.argument("files", nargs=-1, type=click.Path(exists=True, path_type=Path))
@db_option
@json_option
@click.option("--memory-limit", default="2GB", show_default=True, help="DuckDB's memory limit for the load.")
@click.option("--glob", "patterns", multiple=True, metavar="PATTERN",
              help="Also load the files this pattern matches (e.g. 'downloads/trade_db_*.csv'); "
                   "FILES themselves are always read literally, a '*' in a name included.")
@click.option("-q", "--quiet", is_flag=True, help="No per-file progress lines on stderr.")
@click.pass_obj
def load(settings: Settings, files: tuple[Path, ...], db: Path | None, as_json: bool, memory_limit: str,
         patterns: tuple[str, ...], quiet: bool) -> None:
    """Load CITES bulk/comparative CSVs, LEMIS CSVs, folders or zips. Reloading is a no-op.

    Example: wildtrace trade load trade_db_1.csv comparative_tabulation.csv lemis.csv
    """
    paths = [*files, *expand_globs(patterns)]
    if not paths:
        raise click.UsageError("give FILES or --glob PATTERN")
    con = connect(_db(settings, db), memory_limit=memory_limit)
    results = load_paths(con, paths, progress=None if quiet else _progress)
    if not results:
        raise ConfigError("no files to load: " + ", ".join(str(p) for p in paths[:5])
                          + " holds none (an empty folder?)")
    for r in results:
        if as_json:
            click.echo(json.dumps(r.to_dict(), default=str))
        else:
            click.echo(f"{r.name}: {r.status} {r.format or ''} rows={r.rows_in} loaded={r.rows_loaded} "
                       f"rejected={r.rows_rejected} {r.reason or ''}".rstrip())
            for reason, n in {**r.reject_reasons, **r.warnings}.items():
                click.echo(f"  {n} x {reason}", err=True)
    skipped = [r for r in results if r.status in ("skipped", "empty")]
    if skipped and not as_json:
        click.echo(f"skipped {len(skipped)} file(s) that are not trade data: "
                   + ", ".join(Path(r.name).name for r in skipped[:10]) + ("..." if len(skipped) > 10 else ""), err=True)
    if results and all(r.status in ("skipped", "empty") for r in results):
        raise click.UsageError("none of the inputs is a CITES or LEMIS trade file (see the reasons above)")
    if any(r.rows_rejected or r.status == "rejected" for r in results):
        raise SystemExit(EXIT_REJECTS)


def _progress(done: int, total: int, bytes_done: int, bytes_total: int, res: Any, seconds: float,
              elapsed: float) -> None:
    """One line on stderr per file: rows, rate, and the time left by bytes still to read."""
    rate = res.rows_in / seconds if seconds > 0 else 0.0
    eta = elapsed / bytes_done * (bytes_total - bytes_done) if bytes_done else 0.0
    click.echo(f"[{done}/{total}] {res.name}: {res.status}, {res.rows_in:,} rows in {seconds:.1f} s "
               f"({rate:,.0f} rows/s)" + (f"; about {eta:,.0f} s left" if done < total and elapsed > 2 else ""),
               err=True)


@analysis
@click.option("--ratio", default=1.5, show_default=True, help="flag permit matches beyond this quantity ratio")
def reconcile(settings: Settings, db: Path | None, as_json: bool, ratio: float) -> None:
    """Match exporter and importer reports per term and unit; coverage and mismatch flags.

    Example: wildtrace trade reconcile --json
    """
    _emit(reconcile_records(open_loaded(_db(settings, db)), ratio=ratio), as_json)


@analysis
@click.option("--ranges", type=click.Path(exists=True, path_type=Path),
              help="CSV taxon,range_state (ISO alpha-2): captive exports from outside the range are flagged "
                   "(default: the distributions of the imported Species+ checklist, where imported)")
@click.option("--register", type=click.Path(exists=True, path_type=Path),
              help="CSV taxon,country of registered Appendix-I captive-breeding operations (source D is checked against it)")
def screen(settings: Settings, db: Path | None, as_json: bool, ranges: Path | None, register: Path | None) -> None:
    """Captive-breeding laundering screen (Res. Conf. 17.7 (Rev. CoP19) review triggers), wild
    commercial trade while barred (Appendix I, zero quotas) and captive claims in re-exports.

    Example: wildtrace trade screen --ranges ranges.csv --register ap1_register.csv --json
    """
    states, states_from = choose_ranges(ranges, settings.cites_checklist_path)
    _emit(screen_records(open_loaded(_db(settings, db)), ranges=states, ranges_from=states_from,
                         register=read_register(register) if register else None), as_json)


@analysis
@click.option("--taxon", default=None, help="only this taxon (exact, case-insensitive)")
@click.option("--reporter", type=click.Choice(["E", "I"]), default="E", show_default=True,
              help="whose reports to count: exporters (E) or importers (I)")
def woe(settings: Settings, db: Path | None, as_json: bool, taxon: str | None, reporter: str) -> None:
    """Whole-organism equivalents where a published or anatomical factor exists (data/trade/woe.csv).

    Example: wildtrace trade woe --taxon "Manis crassicaudata" --json
    """
    con = open_loaded(_db(settings, db))
    res = woe_summary(con, cites_dataset(con), reporter=reporter, taxon=taxon)
    if as_json:
        click.echo(json.dumps(res, default=str))
        return
    click.echo(f"converted {res['records_converted']:,} of {res['records']:,} records ({res['note']})")
    for r in res["factors_used"]:
        click.echo(f"- {names.term(r['term'])} ({r['unit_label']}) x {r['factor']:g} for {r['scope']}: {r['records']:,} records, "
                   f"{r['woe']:,.6g} organisms [{r['source']}]")
    for r in res["not_converted"][:10]:
        click.echo(f"  not converted: {names.term(r['term'])} ({r['unit_label']}), {r['records']:,} records")


@analysis
@click.option("--z", default=3.5, show_default=True, help="Flag a year whose robust z-score is at least this.")
@click.option("--reporter", type=click.Choice(["E", "I", "both"]), default="both", show_default=True,
              help="whose reports: exporters' (E), importers' (I) or both, each report its own series")
def trends(settings: Settings, db: Path | None, as_json: bool, z: float, reporter: str) -> None:
    """Volume spikes per report and (taxon, exporter, term, unit, source): robust z-scores, and a
    short-series rule for series with under five years of history.

    Example: wildtrace trade trends --reporter both --json
    """
    res = spikes(open_loaded(_db(settings, db)), z=z, reporter=None if reporter == "both" else reporter)
    _emit(res, as_json)
    if not as_json:
        for rep, counts in res.get("flag_counts_by_reporter", {}).items():
            click.echo(f"{REPORTS[rep]}: " + ", ".join(f"{k}={v}" for k, v in counts.items())
                       + f" over {res['series_by_reporter'].get(rep, 0):,} series")


@analysis
@click.option("--taxon", default=None, help="only this taxon (exact, case-insensitive)")
@click.option("--year-from", type=int, default=None, help="from this year on")
@click.option("--year-to", type=int, default=None, help="up to this year")
@click.option("--term", default=None, help="only this term code (e.g. SCA)")
@click.option("--unit", default=None, help="only this unit code (e.g. KIL; COUNT for a count)")
@click.option("--country", default=None, help="only records this country exported, imported or is the origin of")
@click.option("--exporter", default=None, help="only this exporter (code)")
@click.option("--importer", default=None, help="only this importer (code)")
@click.option("--units", "n_units", default=3, show_default=True,
              help="top lists for this many (term, unit) series (the most records); every series is listed")
@click.option("--top", default=10, show_default=True, help="countries and flows in each top list")
def flows(settings: Settings, db: Path | None, as_json: bool, taxon: str | None, year_from: int | None,
          year_to: int | None, term: str | None, unit: str | None, country: str | None, exporter: str | None,
          importer: str | None, n_units: int, top: int) -> None:
    """Every (term, unit) series with the exporter-reported and the importer-reported quantity
    side by side (never added), and top exporters, importers and flows of the top series.

    Example: wildtrace trade flows --term SCA --unit KIL --year-from 2010
    """
    con = open_loaded(_db(settings, db))
    sel = Selection(taxon=taxon, year_from=year_from, year_to=year_to, term=term, unit=unit, country=country,
                    exporter=exporter, importer=importer)
    res = volumes(con, sel, top=top, units=n_units)
    if as_json:
        click.echo(json.dumps(res, default=str))
        return
    sides = res["sides"]

    def both(r: dict[str, Any]) -> str:
        return "; ".join(f"{name} {r['q_' + k.lower()]:,.6g}" for k, name in sides.items())

    click.echo(f"{res['records']:,} records; {len(res['series'])} (term, unit) series; both reports side by side, "
               "never added")
    for r in res["series"]:
        click.echo(f"- {r['term_name']} in {r['unit_name']}: {both(r)} ({r['records_e']:,} and {r['records_i']:,} "
                   f"records), {r['years'][0]}-{r['years'][1]}")
    click.echo(f"top series: {res['top_rule']}")
    for u in res["by_unit"]:
        click.echo(f"{u['term_name']} in {u['unit_name']}:")
        for r in u["by_year"]:
            click.echo(f"    {r['year']}: {both(r)} ({r['records']:,} records)")
        for part, title in (("top_exporters", "exporter"), ("top_importers", "importer"), ("top_flows", "flow")):
            for r in u[part]:
                click.echo(f"    {title} {r['name']}: {both(r)}")


@analysis
def routes(settings: Settings, db: Path | None, as_json: bool) -> None:
    """New routes, re-export chains and flows, per term and unit.

    Example: wildtrace trade routes --json
    """
    _emit(find_routes(open_loaded(_db(settings, db))), as_json)


@analysis
@click.option("--boot", default=1000, show_default=True, help="bootstrap resamples of shipments for the CIs")
def outcome(settings: Settings, db: Path | None, as_json: bool, boot: int) -> None:
    """LEMIS refused/seized model with a leakage audit (time-forward split); the leak-free
    figure drops suspected leaks and outcome-recorded values (origin XX), CIs over shipments.

    Example: wildtrace trade outcome --json
    """
    res = outcome_model(open_loaded(_db(settings, db)), boot=boot)
    if as_json:
        click.echo(json.dumps(res, default=str))
        return
    if "error" in res:
        raise ConfigError(res["error"])
    for k in ("all_declaration_fields", "without_suspected_leaks", "without_suspected_leaks_keeping_outcome_values",
              "baseline_exporter_rate"):
        if k in res:
            t = res[k]["test"]
            click.echo(f"{k}: PR-AUC {t['pr_auc']['value']} {t['pr_auc']['ci95']}, "
                       f"P@1% {t['precision_at_1pct']['value']}, P@5% {t['precision_at_5pct']['value']}, "
                       f"lift@1% {t['lift_at_1pct']}, lift@5% {t['lift_at_5pct']}")
    for v in res.get("outcome_values", []):
        click.echo(f"read as missing in the leak-free model: {v['field']}={v['value']} "
                   f"({v['test']['refused_or_seized']} of {v['test']['of_refused_or_seized']} refused or seized test "
                   f"line items, {v['test']['cleared']} cleared)")
    if "outcome_values_effect" in res:
        e = res["outcome_values_effect"]
        click.echo(f"{e['what']}: {e['value']} {e['ci95']} (paired)")
    b = res.get("bootstrap", {})
    click.echo(f"95% CIs: {b.get('reps')} resamples of {b.get('resampled')}; {b.get('test_shipments')} test shipments")


@trade.command()
@db_option
@json_option
@click.option("--ranges", type=click.Path(exists=True, path_type=Path), help="CSV taxon,range_state for the screen")
@click.option("--register", type=click.Path(exists=True, path_type=Path),
              help="CSV taxon,country of registered Appendix-I breeding operations for the screen")
@click.option("--html", "html_out", type=click.Path(path_type=Path), help="write the HTML report here")
@click.option("--taxon", default=None, help="only flags for this taxon (exact, case-insensitive)")
@click.option("--year-from", type=int, default=None, help="only flags from this year on")
@click.option("--year-to", type=int, default=None, help="only flags up to this year")
@click.option("--limit", type=int, default=1000, show_default=True, help="at most this many flags per analysis")
@click.pass_obj
def report(settings: Settings, db: Path | None, as_json: bool, ranges: Path | None, register: Path | None,
           html_out: Path | None,
           taxon: str | None, year_from: int | None, year_to: int | None, limit: int) -> None:
    """All analyses; JSON on stdout and/or an HTML report with charts.

    Example: wildtrace trade report --html report.html --taxon "Manis pentadactyla"
    """
    con = open_loaded(_db(settings, db))
    result = make_report(con, ranges=read_ranges(ranges) if ranges else None,
                         register=read_register(register) if register else None, taxon=taxon,
                         year_from=year_from, year_to=year_to, limit=limit)
    if html_out:
        html_out.write_text(html_report(result), encoding="utf-8")
    if as_json or not html_out:
        click.echo(json.dumps(result, default=str))


@trade.command("export")
@db_option
@click.option("--parquet", "outdir", required=True, type=click.Path(file_okay=False, path_type=Path),
              help="Write the canonical tables into this new folder as Parquet: records partitioned by dataset "
                   "and year (Hive-style folders that Spark, Trino and DuckDB read; docs/scale.md).")
@click.option("--compression", type=click.Choice(["zstd", "snappy", "gzip", "uncompressed"]), default="zstd",
              show_default=True, help="Parquet compression (snappy for older readers).")
@click.pass_obj
def export(settings: Settings, db: Path | None, outdir: Path, compression: str) -> None:
    """Export the loaded trade tables as partitioned Parquet for engines on many machines.

    Example: wildtrace trade export --parquet trade-parquet/
    """
    from wildtrace.trade.export import export_parquet

    con = open_loaded(_db(settings, db), read_only=True)
    try:
        click.echo(json.dumps(export_parquet(con, outdir, compression=compression)))
    finally:
        con.close()


@trade.command()
@click.option("--rows", default=100_000, show_default=True, help="About this many bulk records (plus injected anomalies).")
@click.option("--seed", default=0, show_default=True, help="Random seed: the same seed writes the same files.")
@click.option("--out", type=click.Path(path_type=Path), default=Path("trade-synth"), show_default=True,
              help="Folder to write the files into.")
@click.option("--snake", is_flag=True, help="lower-case snake_case headers")
def synth(rows: int, seed: int, out: Path, snake: bool) -> None:
    """Write synthetic CITES bulk, comparative tabulation and LEMIS files with injected anomalies.

    Example: wildtrace trade synth --rows 100000 --seed 1 --out synth/
    """
    r = generate(out, rows, seed, snake=snake)
    click.echo(json.dumps({"bulk": [str(p) for p in r.bulk_files], "comptab": str(r.comptab), "lemis": str(r.lemis),
                           "ranges": str(r.ranges), "truth": str(r.truth), "rows": r.rows}))
