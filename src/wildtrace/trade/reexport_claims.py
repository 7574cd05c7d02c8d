"""Captive-breeding claims in re-exports: the screen's criterion ``reexport_captive_claim``.

A re-export (a record whose origin is another country than its exporter) declared C, D or F
(bred or born in captivity) carries the origin country's claim. Two checks, in this order:

- ``reexport_captive_origin_wild``: the origin's own record of the shipment says wild (W): the
  export permit the re-export's origin permit names (bulk data with permit ids), else the
  origin's exports of the taxon and term to the re-exporter up to that year are all declared
  W (none C, D, F or R);
- ``reexport_captive_no_production``: a commercial or medical re-export (purpose T or M) whose
  origin has no captive production of the taxon on record up to that year: no export of it
  declared C, D, F or R and no live import (a stock to breed from); at least ``min_quantity``
  on one side (zoo and circus transfers of a few zoo-bred animals are not laundering leads).

Scientific purpose (S), scientific specimens (SPE) and origins that are not countries (blank,
``XX`` unknown, ``XV`` various and the other ``X?`` region codes) are left out. Each flag gives each side's total apart (``criterion.sides``); these are review triggers
(the origin's records may be missing from the loaded data), not findings.
"""

from __future__ import annotations

from typing import Any

from wildtrace.trade.criterion import Criterion, Emitted, Run, base, sides, told

CLAIMS = "('C', 'D', 'F')"
#: the purposes of a re-export whose origin must show captive production (commercial, medical):
#: zoo, circus and personal transfers of a few animals bred in zoos are left to origin_wild
PRODUCTION_PURPOSES = "('T', 'M')"


def _prepare(run: Run) -> bool:
    run.state["rx_total"] = run.one(f"""SELECT count(*) FROM records WHERE dataset = '{{dataset}}'
        AND origin IS NOT NULL AND origin NOT LIKE 'X_' AND origin <> exporter AND source IN {CLAIMS}
        AND purpose IS DISTINCT FROM 'S' AND term IS DISTINCT FROM 'SPE'""")
    return True


def _emit(r: dict[str, Any], run: Run) -> Emitted:
    name = f"reexport_captive_{r['kind']}"
    if r["kind"] == "origin_wild":
        how = (f"the origin's export permit{'s' if len(r['origin_ids']) > 1 else ''} of the shipment "
               f"({', '.join(r['origin_ids'][:5])}) declare{'' if len(r['origin_ids']) > 1 else 's'} it wild (W)"
               if r["by_permit"] else
               f"{r['origin']}'s own exports of {r['taxon']} {r['term']} to {r['exporter']} up to {r['y1']} are "
               "all declared wild (W), none captive")
    else:
        how = (f"{r['origin']} has no captive production of {r['taxon']} on record up to {r['y1']}: no export "
               "declared C, D, F or R and no live import to breed from")
    yield name, {
        **base(r), **sides(r), "criterion": name, "origin": r["origin"], "sources": r["sources"],
        "years": [r["y0"], r["y1"]], "importers": r["importers"], "by_origin_permit": r["by_permit"],
        "origin_record_ids": r["origin_ids"][:20], "record_ids": r["ids"],
    }, told(r, how=how, sources=", ".join(r["sources"]), importers=", ".join(i or "?" for i in r["importers"]))


def _finish(run: Run) -> None:
    run.notes.append(f"{run.state['rx_total']} re-export records declared C, D or F (origin other than the "
                     "exporter, no scientific purpose or specimens) were checked against their origin "
                     "(reexport_captive_claim)")


REEXPORT_CLAIM = Criterion(
    "reexport_captive_claim",
    "a re-export declared captive (C, D or F) whose origin record says wild (W) (by origin permit where "
    "permits exist, else all the origin's exports of the taxon and term to the re-exporter), or a commercial "
    "or medical one (T, M; >= min_quantity) whose origin has no captive production of the taxon on record "
    "(no C/D/F/R export, no live import); each side's total apart",
    ("min_quantity",), f"""
    WITH rx AS (SELECT * FROM records WHERE dataset = '{{dataset}}' AND exporter IS NOT NULL
                  AND origin IS NOT NULL AND origin NOT LIKE 'X_' AND origin <> exporter
                  AND source IN {CLAIMS} AND purpose IS DISTINCT FROM 'S' AND term IS DISTINCT FROM 'SPE'),
    direct AS (SELECT * FROM records WHERE dataset = '{{dataset}}' AND exporter IS NOT NULL
                 AND (origin IS NULL OR origin = exporter)),
    -- the origin's export permits the re-export names (bulk data): their sources
    byp AS (SELECT x.record_id, list(DISTINCT o.source) AS srcs, list(DISTINCT o.record_id ORDER BY o.record_id) AS oids
            FROM rx x JOIN direct o ON x.origin_permit IS NOT NULL AND o.export_permit = x.origin_permit
                 AND o.exporter = x.origin AND o.taxon = x.taxon
            GROUP BY x.record_id),
    -- else the origin's exports of the taxon and term to the re-exporter, up to the re-export's year
    agg AS (SELECT x.record_id, count(*) FILTER (WHERE o.source = 'W') AS n_w,
                   count(*) FILTER (WHERE o.source IN {{captive}}) AS n_c,
                   list(o.record_id ORDER BY o.year DESC, o.record_id) FILTER (WHERE o.source = 'W') AS oids
            FROM rx x JOIN direct o ON o.exporter = x.origin AND o.importer = x.exporter AND o.taxon = x.taxon
                 AND o.term IS NOT DISTINCT FROM x.term AND o.year <= x.year
            GROUP BY x.record_id),
    prod AS (SELECT party, taxon, min(year) AS y FROM (
                SELECT exporter AS party, taxon, year FROM direct WHERE source IN {{captive}}
                UNION ALL SELECT importer AS party, taxon, year FROM records
                WHERE dataset = '{{dataset}}' AND term = 'LIV' AND importer IS NOT NULL) GROUP BY ALL),
    k AS (SELECT x.*,
                 CASE WHEN p.srcs IS NOT NULL THEN (list_contains(p.srcs, 'W') AND NOT list_has_any(p.srcs, ['C', 'D', 'F', 'R']))
                      ELSE coalesce(a.n_w > 0 AND a.n_c = 0, false) END AS wild,
                 p.srcs IS NOT NULL AS by_permit, coalesce(p.oids, a.oids, []) AS oids,
                 NOT EXISTS (SELECT 1 FROM prod WHERE prod.party = x.origin AND prod.taxon = x.taxon
                             AND prod.y <= x.year) AS no_prod
          FROM rx x LEFT JOIN byp p USING (record_id) LEFT JOIN agg a USING (record_id)),
    f AS (SELECT *, CASE WHEN wild THEN 'origin_wild' ELSE 'no_production' END AS kind FROM k
          WHERE wild OR (no_prod AND purpose IN {PRODUCTION_PURPOSES}))
    SELECT kind, taxon, exporter, origin, term, unit, bool_or(by_permit) AS by_permit, {{sides}},
           min(year) AS y0, max(year) AS y1, list(DISTINCT source ORDER BY source) AS sources,
           list(DISTINCT importer ORDER BY importer) AS importers,
           list_distinct(flatten(list(oids))) AS origin_ids,
           list(record_id ORDER BY quantity DESC, record_id)[1:{{ids}}] AS ids
    FROM f GROUP BY kind, taxon, exporter, origin, term, unit
    HAVING kind = 'origin_wild' OR greatest(coalesce(q_e, 0), coalesce(q_i, 0)) >= {{min_quantity}}
    ORDER BY kind DESC, greatest(coalesce(q_e, 0), coalesce(q_i, 0)) DESC, taxon, exporter""",
    _emit,
    {"reexport_captive_origin_wild": "{exporter} re-exported {said} {term} ({unit}) of {taxon} of origin {origin} "
                                     "declared captive ({sources}) in {span} to {importers}, but {how}",
     "reexport_captive_no_production": "{exporter} re-exported {said} {term} ({unit}) of {taxon} of origin "
                                       "{origin} declared captive ({sources}) in {span} to {importers}, but {how}"},
    prepare=_prepare, finish=_finish)
