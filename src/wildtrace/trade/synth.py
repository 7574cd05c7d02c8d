"""Seeded generator of synthetic trade files in the real CITES and LEMIS formats.

The clean background is generated inside DuckDB from ``range(n)`` with hash-based
pseudo-random draws (same seed + same DuckDB version -> same files), so 30 million rows
take minutes, not hours. Background routes trade steadily every year from the first to
the last year; about 60% of shipments are reported by both sides with the same export
permit (80% of those carry it on the import side too; 10% are booked by the importer a
year later), 25% only by the exporter and 15% only by the importer. The injected
anomalies use taxa that the background never uses, and ``truth.json`` lists them, so
tests can measure recall on the anomalies and false positives on the background.

Nothing here is a CITES record: species names come from the taxa reference data.
``SYNTHETIC.json`` lists the hash of every file written, so a load cites them as synthetic
(``origin.py``), never as the CITES Trade Database.
"""

from __future__ import annotations

import csv
import json
import random
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb

from wildtrace.provenance import sha256_file
from wildtrace.taxa import refdata
from wildtrace.trade import origin, schema
from wildtrace.trade.codes import load_codes

FIRST_YEAR, LAST_YEAR = 2000, 2019
MAX_ROWS_PER_FILE = 500_000
EXPORTERS = ["ID", "MY", "TH", "VN", "CN", "ZA", "TZ", "KE", "MG", "BR", "PE", "CO", "MX", "US",
             "CA", "AU", "PG", "SB", "GH", "CM", "NG", "IN", "LK", "PH", "SG", "JP", "KR", "DE",
             "NL", "CZ", "BE", "FR", "GB", "IT", "ES", "AR", "EC", "GY", "SR", "TG"]
IMPORTERS = ["US", "JP", "CN", "HK", "DE", "NL", "GB", "FR", "IT", "ES", "CH", "AE", "SG", "KR",
             "TW", "CA", "MX", "RU", "BE", "CZ"]
TERMS = [("LIV", ""), ("LIV", ""), ("SKI", ""), ("MEA", "KIL"), ("BOD", ""), ("EGG", ""),
         ("TRO", ""), ("DER", "KIL")]
SOURCES = ["W", "W", "W", "W", "W", "C", "C", "F", "R", "D"]
PURPOSES = ["T", "T", "T", "T", "T", "T", "S", "Z", "P", "B"]
N_ANOMALY_TAXA = 16


@dataclass
class SynthResult:
    bulk_files: list[Path]
    comptab: Path
    lemis: Path
    ranges: Path
    truth: Path
    rows: int


def _taxa() -> list[tuple[str, ...]]:
    """(taxon, appendix, class, order, family, genus) for species with a plain appendix."""
    out: list[tuple[str, ...]] = []
    for t in refdata.load().taxa:
        if t.rank == "species" and t.cites_appendix in ("I", "II", "III") and "(" not in t.scientific_name:
            out.append((t.scientific_name, t.cites_appendix, t.class_ or "", t.order or "",
                        t.family or "", t.scientific_name.split()[0]))
    return sorted(out)


def _lit_path(path: Path) -> str:
    """A file path as a SQL string literal (quotes doubled)."""
    return "'" + str(path).replace("'", "''") + "'"


def _lit(values: list[str]) -> str:
    return "[" + ", ".join("'" + v.replace("'", "''") + "'" for v in values) + "]"


def _header(snake: bool) -> list[str]:
    cols = schema.BULK_SNAKE if snake else schema.BULK_COLUMNS
    return list(cols.values())


CANON = list(schema.BULK_COLUMNS)


def _background_sql(seed: int, first: int, last: int, n_routes: int, bg: list[tuple[str, ...]]) -> str:
    years = LAST_YEAR - FIRST_YEAR + 1

    def u(expr: str, k: int) -> str:
        return f"((hash({expr}, {seed}, {k}) % 1000000) / 1000000.0)"

    def pick(lst: str, n: int, expr: str, k: int) -> str:
        return f"{lst}[1 + (hash({expr}, {seed}, {k}) % {n})::INTEGER]"

    taxa, apps = _lit([t[0] for t in bg]), _lit([t[1] for t in bg])
    cls, order, fam, gen = (_lit([t[i] for t in bg]) for i in (2, 3, 4, 5))
    terms, units = _lit([t[0] for t in TERMS]), _lit([t[1] for t in TERMS])
    nt = len(bg)
    return f"""
    WITH s AS (
      SELECT range AS s, range % {n_routes} AS r, {FIRST_YEAR} + ((range // {n_routes}) % {years}) AS year
      FROM range({first}, {last})
    ), a AS (
      SELECT s, r, year,
        (hash(r, {seed}, 1) % {nt})::INTEGER + 1 AS ti,
        {pick(_lit(EXPORTERS), len(EXPORTERS), 'r', 2)} AS exporter,
        {pick(_lit(IMPORTERS), len(IMPORTERS), 'r', 3)} AS importer0,
        (hash(r, {seed}, 4) % {len(TERMS)})::INTEGER + 1 AS termi,
        {pick(_lit(SOURCES), len(SOURCES), 'r', 5)} AS source,
        {pick(_lit(PURPOSES), len(PURPOSES), 'r', 6)} AS purpose,
        10 + (hash(r, {seed}, 7) % 400) AS base,
        {u('s', 8)} AS u_q, (hash(s, {seed}, 9) % 100) AS u_side,
        (hash(s, {seed}, 10) % 100) AS u_perm, (hash(s, {seed}, 11) % 100) AS u_shift
      FROM s
    ), b AS (
      SELECT *, CASE WHEN importer0 = exporter THEN 'HK' ELSE importer0 END AS importer,
        round(base * (0.9 + 0.2 * u_q)) AS quantity,
        'EP' || lpad(to_hex(hash(s, {seed}, 12) % 1000000000000), 11, '0') AS export_permit,
        'IP' || lpad(to_hex(hash(s, {seed}, 13) % 1000000000000), 11, '0') AS import_permit
      FROM a
    ), sides AS (
      SELECT b.*, side FROM b, (VALUES ('E'), ('I')) v(side)
      WHERE (side = 'E' AND u_side < 85) OR (side = 'I' AND (u_side < 60 OR u_side >= 85))
    )
    SELECT 'S{seed}-' || s || '-' || side AS id,
      CASE WHEN side = 'I' AND u_side < 60 AND u_shift < 10 AND year < {LAST_YEAR} THEN year + 1 ELSE year END AS year,
      {apps}[ti] AS appendix, {taxa}[ti] AS taxon, {cls}[ti] AS class, {order}[ti] AS "order",
      {fam}[ti] AS family, {gen}[ti] AS genus, {terms}[termi] AS term, quantity,
      nullif({units}[termi], '') AS unit, importer, exporter, NULL::VARCHAR AS origin, purpose, source,
      side AS reporter_type,
      CASE WHEN side = 'I' THEN import_permit END AS import_permit,
      CASE WHEN side = 'E' OR (u_side < 60 AND u_perm < 80) THEN export_permit END AS export_permit,
      NULL::VARCHAR AS origin_permit
    FROM sides"""


class _Anomalies:
    """Builds the injected rows and their truth records."""

    def __init__(self, seed: int, taxa: list[tuple[str, ...]]):
        self.rng = random.Random(seed)
        self.taxa = taxa
        self.rows: list[dict[str, Any]] = []
        self.truth: list[dict[str, Any]] = []
        self.ranges: list[tuple[str, str]] = []
        self.n = 0
        self.seed = seed

    def row(self, t: tuple[str, ...], year: int, exporter: str, importer: str, q: float, side: str,
            *, source: str = "W", purpose: str = "T", term: str = "LIV", permit: str | None = None,
            origin: str | None = None) -> None:
        self.n += 1
        self.rows.append({
            "id": f"A{self.seed}-{self.n}", "year": year, "appendix": t[1], "taxon": t[0],
            "class": t[2], "order": t[3], "family": t[4], "genus": t[5], "term": term,
            "quantity": q, "unit": None, "importer": importer, "exporter": exporter,
            "origin": origin, "purpose": purpose, "source": source, "reporter_type": side,
            "import_permit": f"AIP{self.seed}-{self.n}" if side == "I" else None,
            "export_permit": permit if permit else (f"AEP{self.seed}-{self.n}" if side == "E" else None),
            "origin_permit": None,
        })

    def steady(self, t: tuple[str, ...], exporter: str, importer: str, years: range, q: float,
               **kw: Any) -> None:
        for y in years:
            for _ in range(3):
                self.row(t, y, exporter, importer, round(q / 3 * self.rng.uniform(0.95, 1.05)), "E", **kw)

    def build(self) -> None:
        t = iter(self.taxa)
        all_years = range(FIRST_YEAR, LAST_YEAR + 1)
        # 1. volume spike on a steady wild route
        a = next(t)
        self.steady(a, "TZ", "US", all_years, 600)
        for _ in range(3):
            self.row(a, 2012, "TZ", "US", 1600, "E")
        self.truth.append({"kind": "spike", "taxon": a[0], "exporter": "TZ", "term": "LIV",
                           "source": "W", "year": 2012})
        # 2. captive volume surge above 4x the previous five-year mean
        a = next(t)
        self.steady(a, "CZ", "DE", all_years, 300, source="C")
        self.steady(a, "CZ", "DE", range(FIRST_YEAR, FIRST_YEAR + 2), 300, source="F")
        for _ in range(4):
            self.row(a, 2015, "CZ", "DE", 400, "E", source="C")
        self.truth.append({"kind": "captive_volume_4x", "taxon": a[0], "exporter": "CZ", "year": 2015})
        # 3. captive rises while wild declines
        a = next(t)
        self.steady(a, "SB", "JP", range(FIRST_YEAR, 2010), 900)
        for i, y in enumerate(range(2010, LAST_YEAR + 1)):
            self.steady(a, "SB", "JP", range(y, y + 1), max(900 - 150 * (i + 1), 60))
            self.steady(a, "SB", "JP", range(y, y + 1), 200 + 150 * (i + 1), source="C")
        self.steady(a, "SB", "JP", range(FIRST_YEAR, LAST_YEAR + 1), 150, source="F")
        self.truth.append({"kind": "captive_up_wild_down", "taxon": a[0], "exporter": "SB"})
        # 4. C exported before any F record exists (wild trade before, no F at all)
        a = next(t)
        self.steady(a, "GH", "FR", all_years, 400)
        self.steady(a, "GH", "FR", range(2008, LAST_YEAR + 1), 400, source="C")
        self.truth.append({"kind": "c_before_f", "taxon": a[0], "exporter": "GH", "year": 2008})
        # 5. captive exports from a state outside the species' range
        a = next(t)
        self.steady(a, "PE", "US", all_years, 300)
        self.steady(a, "CO", "US", all_years, 300)
        self.steady(a, "CO", "US", all_years, 100, source="F")
        self.steady(a, "CO", "US", all_years, 100, source="C")
        self.steady(a, "LB", "AE", all_years, 200, source="C")
        self.steady(a, "LB", "AE", all_years, 100, source="F")
        self.ranges += [(a[0], "PE"), (a[0], "CO")]
        self.truth.append({"kind": "outside_range", "taxon": a[0], "exporter": "LB"})
        # 6. importer reports wild what the exporter reported captive (totals agree)
        a = next(t)
        for y in all_years:
            for k in range(3):
                p = f"SHARE{self.seed}-{y}-{k}"
                src_i = "W" if y == 2014 else "C"
                q = 100
                self.row(a, y, "VN", "CN", q, "E", source="C", permit=p)
                self.row(a, y, "VN", "CN", q, "I", source=src_i, permit=p)
        self.steady(a, "VN", "CN", all_years, 60, source="F")
        self.truth.append({"kind": "captive_share_disagreement", "taxon": a[0], "exporter": "VN",
                           "importer": "CN", "year": 2014})
        # 7. quantity mismatches and 8. source/purpose flips on permit-matched pairs
        a = next(t)
        for y in all_years:
            p = f"QM{self.seed}-{y}"
            self.row(a, y, "MG", "JP", 50, "E", permit=p)
            self.row(a, y, "MG", "JP", 500 if y in (2005, 2011) else 50, "I", permit=p)
        for y in (2005, 2011):
            self.truth.append({"kind": "quantity_mismatch", "export_permit": f"QM{self.seed}-{y}"})
        a = next(t)
        for y in all_years:
            p = f"FL{self.seed}-{y}"
            self.row(a, y, "ID", "US", 80, "E", source="C", purpose="T", permit=p)
            flip = y in (2003, 2016)
            self.row(a, y, "ID", "US", 80, "I", source="W" if flip else "C",
                     purpose="P" if y == 2016 else "T", permit=p)
        self.truth.append({"kind": "source_flip", "export_permit": f"FL{self.seed}-2003"})
        self.truth.append({"kind": "source_flip", "export_permit": f"FL{self.seed}-2016"})
        self.truth.append({"kind": "purpose_flip", "export_permit": f"FL{self.seed}-2016"})
        # 9. a new trade route for a long-traded taxon
        a = next(t)
        self.steady(a, "KE", "GB", all_years, 200)
        self.steady(a, "KE", "NL", all_years, 200)
        self.steady(a, "KE", "AE", range(2013, LAST_YEAR + 1), 200)
        self.truth.append({"kind": "new_route", "taxon": a[0], "exporter": "KE", "importer": "AE",
                           "year": 2013})
        # 10. re-exports that exceed what the re-exporter imported from the origin
        a = next(t)
        for y in all_years:
            for _ in range(2):
                self.row(a, y, "CM", "BE", 100, "E")
                self.row(a, y, "BE", "US", 90, "E", origin="CM")
        self.steady(a, "GH", "SG", all_years, 100)
        for y in all_years:
            self.row(a, y, "SG", "JP", 400 if y >= 2010 else 80, "E", origin="GH")
        self.truth.append({"kind": "reexport_exceeds_imports", "taxon": a[0], "exporter": "SG",
                           "origin": "GH"})
        self.truth.append({"kind": "clean_reexport", "taxon": a[0], "exporter": "BE", "origin": "CM"})


def generate(out_dir: Path, rows: int, seed: int = 0, *, snake: bool = False,
             con: duckdb.DuckDBPyConnection | None = None) -> SynthResult:
    """Write bulk CSVs (<= 500k rows each), a comparative tabulation, a LEMIS file, a range
    table and ``truth.json`` into ``out_dir``. ``rows`` is the background size (approx.)."""
    out_dir.mkdir(parents=True, exist_ok=True)
    taxa = _taxa()
    anomaly_taxa, bg = taxa[:N_ANOMALY_TAXA], taxa[N_ANOMALY_TAXA:]
    random.Random(seed).shuffle(anomaly_taxa)
    an = _Anomalies(seed, anomaly_taxa)
    an.build()
    own = con is None
    con = con or duckdb.connect()
    shipments = max(int(rows / 1.6), 1)
    years = LAST_YEAR - FIRST_YEAR + 1
    n_routes = max(shipments // (years * 8), 1)
    header = _header(snake)
    # terms and units as the real download writes them: English words ("live", "kg"), a count blank
    words = {"term": load_codes().term, "unit": load_codes().unit}

    def written(c: str) -> str:
        if c not in words:
            return f'"{c}"'
        cases = " ".join(f"WHEN '{code}' THEN '{name}'" for code, name in words[c].items() if "'" not in name)
        return f'CASE "{c}" {cases} ELSE "{c}" END'

    cols = ", ".join(f'{written(c)} AS "{h}"' for c, h in zip(CANON, header, strict=True))
    con.execute("CREATE OR REPLACE TEMP TABLE anom (" + ", ".join(
        f'"{c}" {"DOUBLE" if c == "quantity" else "INTEGER" if c == "year" else "VARCHAR"}'
        for c in CANON) + ")")
    con.executemany(f"INSERT INTO anom VALUES ({', '.join('?' * len(CANON))})",
                    [[r[c] for c in CANON] for r in an.rows])
    files: list[Path] = []
    per_file = MAX_ROWS_PER_FILE * 10 // 17  # shipments per file: <= 1.7 rows each
    start = 0
    n = 0
    while start < shipments or not files:
        stop = min(start + per_file, shipments)
        sql = _background_sql(seed, start, stop, n_routes, bg)
        if stop >= shipments:
            sql = f"{sql} UNION ALL SELECT * FROM anom"
        path = out_dir / f"trade_db_{len(files) + 1}.csv"
        con.execute(f"COPY (SELECT {cols} FROM ({sql})) TO {_lit_path(path)} (HEADER, DELIMITER ',')")
        n += int(con.execute(f"SELECT count(*) FROM read_csv({_lit_path(path)}, all_varchar=true)").fetchall()[0][0])
        files.append(path)
        start = stop
    comptab = out_dir / "comparative_tabulation.csv"
    bulk_glob = _lit([str(f) for f in files])
    ct_cols = schema.COMPTAB_COLUMNS
    back = ", ".join(f'"{h}"{"::INTEGER" if c == "year" else "::DOUBLE" if c == "quantity" else ""} AS "{c}"'
                     for c, h in zip(CANON, header, strict=True))
    con.execute(f"""COPY (
        SELECT year AS "{ct_cols['year']}", appendix AS "{ct_cols['appendix']}", taxon AS "Taxon",
          class AS "Class", "order" AS "Order", family AS "Family", genus AS "Genus",
          importer AS "Importer", exporter AS "Exporter", origin AS "Origin",
          sum(quantity) FILTER (WHERE reporter_type = 'I') AS "{ct_cols['importer_quantity']}",
          sum(quantity) FILTER (WHERE reporter_type = 'E') AS "{ct_cols['exporter_quantity']}",
          term AS "Term", unit AS "Unit", purpose AS "Purpose", source AS "Source"
        FROM (SELECT {back} FROM read_csv({bulk_glob}, header=true, all_varchar=true))
        GROUP BY ALL ORDER BY ALL) TO {_lit_path(comptab)} (HEADER, DELIMITER ',')""")
    lemis = out_dir / "lemis.csv"
    write_lemis(lemis, min(max(rows // 10, 200), 50_000), seed)
    ranges = out_dir / "ranges.csv"
    with ranges.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["taxon", "range_state"])
        w.writerows(an.ranges)
    truth = out_dir / "truth.json"
    truth.write_text(json.dumps({
        "seed": seed, "rows": n, "background_taxa": [t[0] for t in bg],
        "anomaly_taxa": [t[0] for t in anomaly_taxa], "anomalies": an.truth,
        "first_year": FIRST_YEAR, "last_year": LAST_YEAR,
    }, indent=1), encoding="utf-8")
    if own:
        con.close()
    origin.write_manifest(out_dir, {p.name: sha256_file(p) for p in [*files, comptab, lemis, ranges]}, seed, n)
    return SynthResult(files, comptab, lemis, ranges, truth, n)


def write_lemis(path: Path, rows: int, seed: int) -> None:
    """A LEMIS-format file (28 columns) with ~3% refused/seized line items."""
    rng = random.Random(seed)
    species = [("Dendrobates", "tinctorius", "DETI"), ("Rana", "catesbeiana", "RACA"),
               ("Xenopus", "laevis", "XELA"), ("Ambystoma", "mexicanum", "AMME"),
               ("Bombina", "orientalis", "BOOR"), ("Pyxicephalus", "adspersus", "PYAD")]
    countries = ["CN", "PE", "MX", "TZ", "ID", "VN", "TH", "GH", "TG"]
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(list(schema.LEMIS_COLUMNS))
        for i in range(rows):
            g, s, code = rng.choice(species)
            year = rng.randint(2000, 2021)
            date = f"{year}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
            src = rng.choice("WWWWCCCFRU")
            bad = rng.random() < (0.4 if src == "U" else 0.02)
            action, disp = ("R", rng.choice("SRA")) if bad else ("C", "C")
            country = rng.choice(countries)
            w.writerow([f"{year}{i:07d}", code, "amphibian", "Amphibia", g, s, "NA", "NA", "FROG",
                        rng.choice(["LIV", "LIV", "MEA", "DEA"]), rng.randint(1, 2000),
                        rng.choice(["NO", "NO", "KG"]), rng.choice(["NA", str(rng.randint(10, 9000))]),
                        country, country, rng.choice("TTTTSPZ"), src, action, disp, date, year,
                        date, year, "I", rng.choice(["LA", "NY", "MI", "DF"]), "NA", "NA", "NA"])
