"""Wild specimens traded for commercial purposes while that trade was barred: the screen's
criterion ``wild_commercial`` and its data table ``data/trade/wild_commercial.csv``.

Each row of the table names a taxon (species, genus, family, order or class), the kind of bar
(``appendix_i``: the taxon was in Appendix I; ``zero_quota``: a zero annual export quota for
the scope), the dates it was in force (ISO dates; a blank ``to`` means still in force), the
source and purpose codes it covers (``W`` and ``T`` for every row shipped) and its source.
A record counts where the bar was in force on 1 July of the record's year: CITES records carry
a year, not a date, so a bar counts for a year when it was in force for most of it (the CoP11
zero quota, in force 19 July 2000, counts from 2001; the CoP17 Appendix-I listing, in force
2 January 2017, counts for 2017). The flag says so when the bar began inside the first year.

A record whose own appendix column says I, with source W and purpose T, is flagged too where
no table row covers it (the database's appendix is the listing at the time of trade).

Both reports of a shipment are never added: each flag gives the exporter's and the importer's
totals apart (``criterion.sides``). Re-exports are kept (the origin's wild harvest is what the
bar is about) and say so: the specimens may predate the bar, which the origin permit shows.
"""

from __future__ import annotations

import csv
import datetime as dt
from functools import lru_cache
from pathlib import Path
from typing import Any

from wildtrace.errors import DataError
from wildtrace.trade.codes import DATA
from wildtrace.trade.criterion import Criterion, Emitted, Run, base, sides, told

TABLE = DATA / "wild_commercial.csv"
KINDS = ("appendix_i", "zero_quota")
RANKS = ("species", "genus", "family", "order", "class")
#: how a table row matches a record ``r`` (a species row also covers its subspecies)
MATCH = """((t.rank = 'species' AND (r.taxon = t.taxon OR r.taxon LIKE t.taxon || ' %'))
    OR (t.rank = 'genus' AND r.genus = t.taxon) OR (t.rank = 'family' AND r.family = t.taxon)
    OR (t.rank = 'order' AND r."order" = t.taxon) OR (t.rank = 'class' AND r.class = t.taxon))"""
#: a bar counts for a record's year when it was in force on 1 July of that year
IN_FORCE = """t.date_from <= make_date(r.year, 7, 1)
    AND (t.date_to IS NULL OR t.date_to >= make_date(r.year, 7, 1))"""


def in_force(year: int, date_from: dt.date, date_to: dt.date | None) -> bool:
    """The rule of ``IN_FORCE`` in Python (for checks): in force on 1 July of ``year``."""
    mid = dt.date(year, 7, 1)
    return date_from <= mid and (date_to is None or date_to >= mid)


@lru_cache(maxsize=4)
def load_table(path: Path = TABLE) -> tuple[dict[str, Any], ...]:
    """The rows of the table, checked: a known kind and rank, ISO dates in order, a source."""
    out: list[dict[str, Any]] = []
    try:
        with path.open(encoding="utf-8", newline="") as fh:
            for n, row in enumerate(csv.DictReader(fh), start=2):
                try:
                    d0 = dt.date.fromisoformat(row["from"].strip())
                    d1 = dt.date.fromisoformat(row["to"].strip()) if row["to"].strip() else None
                    sources = [s.strip() for s in row["sources"].split(";") if s.strip()]
                    purposes = [s.strip() for s in row["purposes"].split(";") if s.strip()]
                    r: dict[str, Any] = {"taxon": row["taxon"].strip(), "rank": row["rank"].strip(),
                                         "kind": row["kind"].strip(), "date_from": d0, "date_to": d1,
                                         "sources": sources, "purposes": purposes, "rule": row["rule"].strip(),
                                         "ref": row["source"].strip()}
                except (KeyError, ValueError, AttributeError) as exc:
                    raise DataError(f"{path} line {n}: bad row {row!r}: {exc}") from exc
                if (r["kind"] not in KINDS or r["rank"] not in RANKS or not r["taxon"] or not r["ref"]
                        or not sources or not purposes or (d1 is not None and d1 < d0)):
                    raise DataError(f"{path} line {n}: bad row {row!r}")
                out.append(r)
    except OSError as exc:
        raise DataError(f"cannot read the wild-commercial table {path}: {exc}") from exc
    return tuple(out)


def _prepare(run: Run) -> bool:
    run.con.execute("""CREATE OR REPLACE TEMP TABLE ls_wt (taxon VARCHAR, rank VARCHAR, kind VARCHAR,
        date_from DATE, date_to DATE, sources VARCHAR[], purposes VARCHAR[], rule VARCHAR, ref VARCHAR,
        prio INTEGER)""")
    run.con.executemany("INSERT INTO ls_wt VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", [
        (r["taxon"], r["rank"], r["kind"], r["date_from"], r["date_to"], r["sources"], r["purposes"], r["rule"],
         r["ref"], RANKS.index(r["rank"])) for r in load_table()])
    # W/T records of a boundary year that no bar covers (one began or ended inside it, for less than half)
    run.state["wt_edge"] = run.one(f"""SELECT count(*) FROM records r WHERE r.dataset = '{{dataset}}'
        AND EXISTS (SELECT 1 FROM ls_wt t WHERE {MATCH} AND list_contains(t.sources, r.source)
                    AND list_contains(t.purposes, r.purpose)
                    AND (r.year = year(t.date_from) OR r.year = year(t.date_to)))
        AND NOT EXISTS (SELECT 1 FROM ls_wt t WHERE {MATCH} AND list_contains(t.sources, r.source)
                        AND list_contains(t.purposes, r.purpose) AND {IN_FORCE})""")
    # records naming only a higher taxon (Manis spp.) of a genus whose species have a bar in force
    run.state["wt_higher"] = run.one(f"""SELECT count(*) FROM records r WHERE r.dataset = '{{dataset}}'
        AND (r.taxon NOT LIKE '% %' OR r.taxon LIKE '% spp%')
        AND EXISTS (SELECT 1 FROM ls_wt t WHERE t.rank = 'species' AND split_part(t.taxon, ' ', 1) = r.genus
                    AND list_contains(t.sources, r.source) AND list_contains(t.purposes, r.purpose)
                    AND {IN_FORCE})
        AND NOT EXISTS (SELECT 1 FROM ls_wt t WHERE {MATCH} AND {IN_FORCE})""")
    return True


def _emit(r: dict[str, Any], run: Run) -> Emitted:
    both = sides(r)
    reexport = r["origin"] is not None and r["origin"] != r["exporter"]
    d0, d1 = r["date_from"], r["date_to"]
    late_start = d0 is not None and r["y0"] == d0.year and (d0.month, d0.day) > (1, 2)
    caveats = []
    if late_start:
        caveats.append(f"the bar came into force on {d0.isoformat()}, inside {d0.year}: a shipment early that "
                       "year may predate it")
    if reexport:
        caveats.append(f"a re-export of specimens from {r['origin']}: they may have left {r['origin']} before the "
                       "bar, which the origin permit and its date show")
    if r["basis"] == "record" and r["appendix_said"]:
        caveats.append("a Party with a reservation on the listing treats the taxon as Appendix II")
    name = "zero_quota_wild_commercial" if r["kind"] == "zero_quota" else "appendix_i_wild_commercial"
    yield name, {
        **base(r), **both, "criterion": name, "origin": r["origin"], "importers": r["importers"],
        "years": [r["y0"], r["y1"]], "records_exporter_report": r["n_e"], "records_importer_report": r["n_i"],
        "basis": r["basis"], "listed_as": r["listed"], "in_force_from": d0.isoformat() if d0 else None,
        "in_force_to": d1.isoformat() if d1 else None, "rule": r["rule"], "reference": r["ref"],
        "record_ids": r["ids"],
    }, told(r, verb="re-exported" if reexport else "exported",
            origin_txt=f" (origin {r['origin']})" if reexport else "",
            importers=", ".join(i or "?" for i in r["importers"]),
            why=(f"{r['rule']}; in force {d0.isoformat()} to {d1.isoformat()}; source: {r['ref']}" if d0 and d1 else
                 f"{r['rule']}; in force since {d0.isoformat()}; source: {r['ref']}" if d0 else
                 "as the record's own appendix column says: the listing at the time of trade"),
            caveats="".join(f"; {c}" for c in caveats))


def _finish(run: Run) -> None:
    if run.state.get("wt_edge"):
        run.notes.append(f"wild_commercial leaves out {run.state['wt_edge']} records of a year in which a bar of "
                         "data/trade/wild_commercial.csv began or ended and was in force for less than half of it "
                         "(records carry a year, not a date)")
    if run.state.get("wt_higher"):
        run.notes.append(f"wild_commercial does not flag {run.state['wt_higher']} wild commercial records that name "
                         "only a genus or higher taxon (e.g. Manis spp.) of which some species were barred at the "
                         "time: the species is not known")


WILD_COMMERCIAL = Criterion(
    "wild_commercial",
    "wild (W) specimens traded for commercial purposes (T) while the taxon was in Appendix I or under a zero "
    "export quota for that trade (data/trade/wild_commercial.csv, each row with its dates and source; a year "
    "counts when the bar was in force on 1 July), or while the record's own appendix column says I; each "
    "side's total apart; re-exports kept and named",
    (), f"""
    WITH m AS (SELECT r.*, t.kind, t.taxon AS listed, t.date_from, t.date_to, t.rule, t.ref, 'table' AS basis,
                      row_number() OVER (PARTITION BY r.record_id ORDER BY t.prio, t.kind) AS k
               FROM records r JOIN ls_wt t ON {MATCH} AND list_contains(t.sources, r.source)
                    AND list_contains(t.purposes, r.purpose) AND {IN_FORCE}
               WHERE r.dataset = '{{dataset}}' AND r.exporter IS NOT NULL),
    own AS (SELECT r.*, 'appendix_i' AS kind, r.taxon AS listed, NULL::DATE AS date_from, NULL::DATE AS date_to,
                   'the record''s own appendix column (the listing at the time of trade)' AS rule,
                   'CITES Trade Database record, App. column' AS ref, 'record' AS basis, 1 AS k
            FROM records r WHERE r.dataset = '{{dataset}}' AND r.exporter IS NOT NULL AND r.appendix = 'I'
              AND r.source = 'W' AND r.purpose = 'T'
              AND r.record_id NOT IN (SELECT record_id FROM m WHERE k = 1)),
    a AS (SELECT * FROM m WHERE k = 1 UNION ALL BY NAME SELECT * FROM own)
    SELECT kind, basis, listed, date_from, date_to, rule, ref, taxon, exporter, origin, term, unit, {{sides}},
           count(*) FILTER (WHERE reporter_type = 'E') AS n_e, count(*) FILTER (WHERE reporter_type = 'I') AS n_i,
           bool_or(appendix = 'I') AS appendix_said, min(year) AS y0, max(year) AS y1,
           list(DISTINCT importer ORDER BY importer) AS importers,
           list(record_id ORDER BY quantity DESC, record_id)[1:{{ids}}] AS ids
    FROM a GROUP BY kind, basis, listed, date_from, date_to, rule, ref, taxon, exporter, origin, term, unit
    ORDER BY kind, taxon, greatest(coalesce(q_e, 0), coalesce(q_i, 0)) DESC, exporter""",
    _emit,
    {"zero_quota_wild_commercial": "{exporter} {verb} {said} {term} ({unit}) of {taxon}{origin_txt} declared wild "
                                   "(W) for commercial purpose (T) in {span} to {importers}, while {listed} was "
                                   "under a zero export quota for that trade ({why})"
                                   "{caveats}",
     "appendix_i_wild_commercial": "{exporter} {verb} {said} {term} ({unit}) of {taxon}{origin_txt} declared wild "
                                   "(W) for commercial purpose (T) in {span} to {importers}, while {listed} was in "
                                   "Appendix I ({why}): Article III allows no import of "
                                   "Appendix-I specimens for primarily commercial purposes{caveats}"},
    prepare=_prepare, finish=_finish)
