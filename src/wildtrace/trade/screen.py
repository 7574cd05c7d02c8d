"""Captive-breeding laundering screen after CITES Res. Conf. 17.7 (Rev. CoP19) and the
review of trade in specimens of animals reported as produced in captivity.

The claim criteria (a, c, d) look at the records of both reporters declared with source C
(bred in captivity), D (Appendix-I, registered commercial breeding), F (born in captivity)
or R (ranched): a captive claim counts whichever side made it (in a real pangolin extract
the 1,000 ranched Manis pentadactyla skins from Laos in 2010 are in the importer's report
only). Each flag gives each side's total and never adds them. The volume and series
criteria (b, e and the rest) use one reporter's records (exporter-reported by default).
Scientific purpose (S) is left out, and so are re-exports (an origin other than the
exporter: the breeding claim is the origin country's; they are counted apart). Volume rules also leave out scientific specimens (term SPE) and years under
``min_quantity``. Every series is per (term, unit): kilograms never join a count of skins.

Criteria (each flag names its criterion, the numbers and up to ``IDS_PER_FLAG`` record ids)
are one table, ``criteria.CRITERIA``: each with its description, the parameters it reads, its
SQL and its reason templates; ``screen`` prepares the screened records and runs them in order.
``hard_to_breed`` (a), ``wild_to_captive_switch`` (b), ``outside_range`` (c),
``appendix_i_commercial_captive`` (d), ``zero_quota_wild_commercial`` and
``appendix_i_wild_commercial`` (wild specimens traded commercially while barred, ``prohibited.py``),
``reexport_captive_origin_wild`` and ``reexport_captive_no_production`` (captive claims in
re-exports, ``reexport_claims.py``), ``captive_volume_2x|4x`` and ``captive_up_wild_down`` (e),
``c_before_f`` and ``captive_share_disagreement``.

Range states for ``outside_range`` come from a user's CSV (``read_ranges``) or, without one,
from the distributions of the imported Species+ checklist (``checklist_ranges``);
``choose_ranges`` picks and names the source, and each flag says which decided.

These are review triggers, not findings.
"""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

import duckdb

from wildtrace.errors import DataError
from wildtrace.trade import coverage, schema
from wildtrace.trade.criteria import CRITERIA, HARD_TO_BREED
from wildtrace.trade.criterion import CAPTIVE, Run, run_criteria
from wildtrace.trade.provenance import rows, stamp

__all__ = ["CAPTIVE", "CRITERIA", "HARD_TO_BREED", "checklist_ranges", "choose_ranges", "cites_dataset",
           "read_ranges", "read_register", "screen", "series"]



def cites_dataset(con: duckdb.DuckDBPyConnection) -> str:
    """The CITES dataset to analyse: bulk records if any are loaded, else comparative tabulations."""
    n = con.execute(f"SELECT count(*) FROM records WHERE dataset = '{schema.BULK}'").fetchall()[0][0]
    return schema.BULK if n else schema.COMPTAB


def _pairs(path: Path, first: str, second: str) -> dict[str, set[str]]:
    out: dict[str, set[str]] = {}
    try:
        with path.open(encoding="utf-8-sig", newline="") as fh:
            reader = csv.DictReader(fh)
            names = {schema.header_key(n): n for n in reader.fieldnames or []}
            if first not in names or second not in names:
                raise DataError(f"{path}: needs columns {first} and {second}, has {reader.fieldnames}")
            for row in reader:
                t, s = (row[names[first]] or "").strip(), (row[names[second]] or "").strip().upper()
                if t and s:
                    out.setdefault(t, set()).add(s)
    except OSError as exc:
        raise DataError(f"cannot read {path}: {exc}") from exc
    return out


def read_ranges(path: Path) -> dict[str, set[str]]:
    """A CSV with columns ``taxon, range_state`` (ISO 3166 alpha-2)."""
    return _pairs(path, "taxon", "rangestate")


def checklist_ranges(path: Path) -> dict[str, set[str]]:
    """Range states per scientific name (and per synonym) from the imported Species+ checklist:
    every ISO code of a taxon's distribution but where it is extinct
    (``wildtrace.taxa.checklist.ranges``). Taxa without a distribution are left out (no range
    known is not an empty range)."""
    from wildtrace.taxa.checklist import ranges  # the import owns the checklist's shape

    return {name: set(states) for name, states in ranges(path).items() if states}


def choose_ranges(csv_path: Path | None, checklist: Path | None) -> tuple[dict[str, set[str]] | None, str | None]:
    """The range states for ``outside_range`` and where they come from: the user's CSV when
    given, else the imported checklist's distributions when it has any, else none."""
    if csv_path is not None:
        return read_ranges(csv_path), f"the range table {csv_path.name} (--ranges)"
    if checklist is not None and checklist.is_file():
        found = checklist_ranges(checklist)
        if found:
            return found, f"the distributions of the imported Species+ checklist {checklist.name}"
    return None, None


def read_register(path: Path) -> dict[str, set[str]]:
    """A CSV of registered Appendix-I breeding operations: columns ``taxon, country``."""
    return _pairs(path, "taxon", "country")


def series(con: duckdb.DuckDBPyConnection) -> None:
    """Dense yearly series per (taxon, exporter, term, unit) of the screened records: captive,
    wild and total quantity (volume rules: no SPE)."""
    con.execute(f"""CREATE OR REPLACE TEMP TABLE ls_raw AS
        SELECT taxon, exporter, coalesce(term, '?') AS term, coalesce(unit, '') AS unit, year,
               coalesce(sum(quantity) FILTER (WHERE source IN {CAPTIVE}), 0) AS cap,
               coalesce(sum(quantity) FILTER (WHERE source = 'W'), 0) AS wild,
               list(record_id ORDER BY quantity DESC, record_id) FILTER (WHERE source IN {CAPTIVE}) AS ids
        FROM ls_all WHERE term IS DISTINCT FROM 'SPE'
        GROUP BY ALL""")
    con.execute("""CREATE OR REPLACE TEMP TABLE ls_series AS
        WITH span AS (SELECT min(year) AS y0, max(year) AS y1 FROM ls_raw),
        g AS (SELECT taxon, exporter, term, unit, min(year) AS first FROM ls_raw GROUP BY ALL),
        dense AS (SELECT g.taxon, g.exporter, g.term, g.unit, y.year, span.y0
                  FROM g, span, range(span.y0, span.y1 + 1) y(year) WHERE y.year >= g.first)
        SELECT d.*, coalesce(r.cap, 0) AS cap, coalesce(r.wild, 0) AS wild, r.ids
        FROM dense d LEFT JOIN ls_raw r USING (taxon, exporter, term, unit, year)""")


def _records(con: duckdb.DuckDBPyConnection, dataset: str, reporter: str) -> str:
    """``ls_all`` (the reporter's screened records) and ``ls_cap`` (both reporters' captive
    claims); the note of what was left out."""
    # every record of the reporter that the screen may look at: no scientific purpose, no re-export
    con.execute(f"""CREATE OR REPLACE TEMP TABLE ls_all AS SELECT * FROM records
        WHERE dataset = '{dataset}' AND reporter_type = '{reporter}' AND exporter IS NOT NULL
          AND purpose IS DISTINCT FROM 'S' AND (origin IS NULL OR origin = exporter)""")
    # a captive claim counts whichever side made it: in a real pangolin extract, the 1,000 ranched
    # Manis pentadactyla skins from LA in 2010 are in Mexico's (the importer's) report only
    con.execute(f"""CREATE OR REPLACE TEMP TABLE ls_cap AS SELECT * FROM records
        WHERE dataset = '{dataset}' AND exporter IS NOT NULL AND source IN {CAPTIVE}
          AND purpose IS DISTINCT FROM 'S' AND (origin IS NULL OR origin = exporter)""")
    left_out = rows(con, f"""SELECT
        count(*) FILTER (WHERE purpose = 'S') AS scientific,
        count(*) FILTER (WHERE origin IS NOT NULL AND origin <> exporter) AS reexports
        FROM records WHERE dataset = '{dataset}' AND source IN {CAPTIVE}""")[0]
    return (f"left out of the captive-breeding criteria: {left_out['scientific']} captive-source records with "
            f"scientific purpose (S) and {left_out['reexports']} captive-source re-exports (origin other than the "
            "exporter; their claims are checked against the origin by reexport_captive_claim)")


def screen(con: duckdb.DuckDBPyConnection, *, ranges: dict[str, set[str]] | None = None,
           ranges_from: str | None = None, register: dict[str, set[str]] | None = None, reporter: str = "E", rise: float = 1.5,
           fall: float = 0.67, min_quantity: float = 10, window: int = 3, limit: int = 1000) -> dict[str, Any]:
    """Run every criterion of ``criteria.CRITERIA`` over the loaded CITES records."""
    if reporter not in ("E", "I"):
        raise ValueError(f"reporter must be E or I, not {reporter!r}")
    dataset = cites_dataset(con)
    run = Run(con, dataset, ranges=ranges, register=register, rise=rise, fall=fall,
              min_quantity=min_quantity, window=window, ranges_from=ranges_from)
    run.notes.append(_records(con, dataset, reporter))
    series(con)
    flags = run_criteria(run, CRITERIA)
    counts: dict[str, int] = {}
    for f in flags:
        counts[f["criterion"]] = counts.get(f["criterion"], 0) + 1
    cover = coverage.covers(con, "screen", (dataset,))
    if not cover["applies"]:
        run.notes.insert(0, cover["statement"])
    return coverage.apply({"dataset": dataset, "flag_counts": counts, "flags": flags[:limit], "notes": run.notes,
            "provenance": stamp(con, "launder", {"reporter": reporter, "rise": rise, "fall": fall,
                                                 "min_quantity": min_quantity, "window": window,
                                                 "ranges_supplied": bool(ranges), "ranges_from": ranges_from,
                                                 "register_supplied": bool(register)})}, cover)
