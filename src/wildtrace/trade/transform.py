"""Each trade format's rows -> the canonical record columns, in SQL (one transform per format),
checked by the checks table (``checks.py``) into ``tx`` (one row per file row, ``reason``
NULL or why it is rejected), and the accepted rows written to ``records``.

CITES bulk: one typed pass over the file straight into ``records`` (``insert_bulk``; the set
checks and warnings then run over the inserted rows). Comparative tabulations and LEMIS
transform the staged text (``st``) into ``tx`` first.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import duckdb

from wildtrace.trade import schema
from wildtrace.trade.checks import reason_sql, run_set_checks
from wildtrace.trade.codes import UNKNOWN_PARTY
from wildtrace.trade.stage import add_words, ensure_words, q, read_csv, seen_codes, words_map


@dataclass(frozen=True)
class Columns:
    """SQL for the canonical columns of one file: canonical name -> its text column ``cN``."""

    fmt: str
    mapping: dict[str, int]
    header: list[str]
    extra: list[str]
    delim: str
    #: may a field begin or end with a space (``bytescan``)? False: the text is read as it is
    padded: bool = True

    def c(self, name: str) -> str:
        """The trimmed text, blank as NULL (and "NA" too in LEMIS: Namibia in CITES files). In a
        file with no padded field (``padded`` False) that is the text as read: trim() changes
        no field, and DuckDB reads a blank field (``""`` too) as NULL, never as ''."""
        if name not in self.mapping:
            return "NULL::VARCHAR"
        ref = f"nullif(trim(c{self.mapping[name]}), '')" if self.padded else f"c{self.mapping[name]}"
        return f"nullif({ref}, 'NA')" if self.fmt == schema.LEMIS else ref

    def party(self, name: str) -> str:
        """A country code; blank and XX (unknown) are NULL: unknown, never a country. (One
        unknown code: ``nullif``, which upper-cases the text once, where the CASE did twice.)"""
        if len(UNKNOWN_PARTY) == 1:
            return f"nullif(upper({self.c(name)}), {q(next(iter(UNKNOWN_PARTY)))})"
        unknown = ", ".join(q(u) for u in sorted(UNKNOWN_PARTY))
        return f"CASE WHEN upper({self.c(name)}) IN ({unknown}) THEN NULL ELSE upper({self.c(name)}) END"

    def num(self, name: str) -> str:
        """A number. NaN, Infinity and 1e400 cast to doubles (the checks reject them). In a
        ';'-separated file a lone comma is the decimal mark ("1,5"); elsewhere a thousands mark."""
        c = self.c(name)
        if self.delim == ";":
            return (f"TRY_CAST(CASE WHEN contains({c}, '.') THEN replace({c}, ',', '') "
                    f"ELSE replace({c}, ',', '.') END AS DOUBLE)")
        # replace() only where there is a comma: most numbers have none, and it copied each one
        return f"TRY_CAST(CASE WHEN contains({c}, ',') THEN replace({c}, ',', '') ELSE {c} END AS DOUBLE)"

    def word(self, name: str) -> str:
        """The CITES code of the term or unit (words resolved by ``words_map``, joined as w_term
        and w_unit), else as written."""
        return f"w_{name}.code" if name in self.mapping else "NULL::VARCHAR"

    def known(self, name: str) -> str:
        return f"coalesce(w_{name}.known, true)" if name in self.mapping else "true"

    def joins(self, raw: Callable[[str], str]) -> str:
        """``words_map`` joined as w_term and w_unit on each one's text, ``raw(name)``."""
        return "".join(f" LEFT JOIN words_map w_{n} ON w_{n}.field = '{n}' AND w_{n}.raw = {raw(n)}"
                       for n in ("term", "unit") if n in self.mapping)

    def extra_json(self) -> str:
        if not self.extra:
            return "NULL::VARCHAR"
        return "json_object(" + ", ".join(f"{q(h)}, c{self.header.index(h)}" for h in self.extra) + ")::VARCHAR"

    def allcols(self) -> str:
        return ", ".join(f"c{i}" for i in range(len(self.header)))

    def cites_text(self) -> str:
        """The CITES columns every CITES format has; the term and unit codes come from words_map."""
        c, party = self.c, self.party
        return f"""{c('appendix')} AS appendix, {c('taxon')} AS taxon, {c('class')} AS class,
              {c('order')} AS "order", {c('family')} AS family, {c('genus')} AS genus,
              {c('term')} AS term_raw, {c('unit')} AS unit_raw,
              {party('importer')} AS importer, {party('exporter')} AS exporter, {party('origin')} AS origin,
              upper({c('purpose')}) AS purpose, upper({c('source')}) AS source, {self.extra_json()} AS extra"""

    def codes(self) -> str:
        return f"""{self.word('term')} AS term, {self.known('term')} AS term_known,
              {self.word('unit')} AS unit, {self.known('unit')} AS unit_known"""


def insert_bulk(con: duckdb.DuckDBPyConnection, cols: Columns, local: Path, load_id: int) -> None:
    """A CITES bulk file in one typed pass: read, transformed, checked and inserted straight into
    ``records``, every row the reader parsed, in the file's order. Until the load settles
    (``ledger.bulk_rejects``) a row the checks reject carries its reason in ``dataset`` (the
    accepted ones the dataset's name). Each term and unit gets its code in the insert from the
    words resolved before (``stage.seen_codes``: a lookup, not a join, which could reorder the
    rows); the file's new words are resolved after it and their rows given their code. The
    rows are numbered in the file's order: by the insert on one thread, else by one UPDATE from
    their rowids (the table keeps the insertion order); the set checks run over the inserted
    rows."""
    c = cols.c
    rid = c("id") if "id" in cols.mapping else "NULL::VARCHAR"
    ensure_words(con)
    words = {n: seen_codes(con, n, f"{n}_raw") for n in ("term", "unit") if n in cols.mapping}
    codes = "".join(f", {sql} AS {n}" for n, (sql, _) in words.items())
    con.execute("SET preserve_insertion_order = true")
    # one thread: the rows are numbered as read (a streaming row_number(), which costs next to
    # nothing there and no UPDATE of every row); with more, the UPDATE below numbers them, as
    # the streaming window would run the whole read on one thread
    serial = str(con.execute("SELECT current_setting('threads')").fetchall()[0][0]) == "1"
    number, drop, ids = "", "", ""
    if serial:
        number = ', row_number() OVER () AS "row"'
        if "id" not in cols.mapping:
            drop = ", record_id"
            ids = f", CASE WHEN reason IS NULL THEN 'b{load_id}:' || \"row\" END AS record_id"
    table = schema.records_table(cols.fmt)
    con.execute(f"""
        INSERT INTO {table} BY NAME SELECT * EXCLUDE (q_raw, reason{drop}), {load_id} AS load_id,
          coalesce(reason, '{schema.BULK}') AS dataset{ids}
        FROM (SELECT *, {reason_sql(cols.fmt, cols.mapping)} AS reason{codes} FROM (SELECT
          {rid} AS record_id, TRY_CAST({c('year')} AS INTEGER) AS year, {cols.cites_text()},
          {cols.num('quantity')} AS quantity, {c('quantity')} AS q_raw,
          upper({c('reporter_type')}) AS reporter_type, {c('import_permit')} AS import_permit,
          {c('export_permit')} AS export_permit, {c('origin_permit')} AS origin_permit{number}
        FROM {read_csv(local, cols.header, cols.delim)}))""")
    first = con.execute(f"SELECT min(rowid) FROM {table} WHERE load_id = {load_id}").fetchall()[0][0]
    if first is None:
        return
    for n, (_, seen) in words.items():  # words the lookup did not know: resolved, their rows coded
        missed = sorted(r for (r,) in con.execute(f"""SELECT DISTINCT {n}_raw FROM {table} WHERE load_id = {load_id}
            AND {n} IS NULL AND {n}_raw IS NOT NULL""").fetchall() if r not in seen)
        if missed:
            had = {r for (r,) in con.execute("SELECT raw FROM words_seen WHERE field = ? AND raw IN "
                                             "(SELECT unnest(?::VARCHAR[]))", [n, missed]).fetchall()}
            add_words(con, [(n, r) for r in missed if r not in had])
            con.execute(f"""UPDATE {table} SET {n} = w.code FROM words_seen w WHERE {table}.load_id = {load_id}
                AND w.field = '{n}' AND w.raw = {table}.{n}_raw AND w.raw IN (SELECT unnest(?::VARCHAR[]))""",
                        [missed])
    if not serial:
        row = f"(rowid - {int(first)} + 1)"
        sets = [f'"row" = {row}']
        if "id" not in cols.mapping:
            sets.append(f"record_id = CASE WHEN dataset = '{schema.BULK}' THEN 'b{load_id}:' || {row} END")
        con.execute(f"UPDATE {table} SET {', '.join(sets)} WHERE load_id = {load_id}")
    run_set_checks(con, cols.fmt, cols.mapping, load_id)


def _comptab(con: duckdb.DuckDBPyConnection, cols: Columns, local: Path) -> None:
    c = cols.c
    words_map(con, cols.mapping)
    con.execute(f"""
        CREATE TEMP TABLE tx0 AS SELECT _row,
          TRY_CAST({c('year')} AS INTEGER) AS year, {cols.cites_text()}, {cols.codes()},
          {cols.num('importer_quantity')} AS qi, {c('importer_quantity')} AS qi_raw,
          {cols.num('exporter_quantity')} AS qe, {c('exporter_quantity')} AS qe_raw,
          row_number() OVER (PARTITION BY {cols.allcols()} ORDER BY _row) AS _dup
        FROM st{cols.joins(lambda n: f'trim(st.c{cols.mapping[n]})')}""")
    con.execute(f"CREATE TEMP TABLE tx AS SELECT *, {reason_sql(cols.fmt, cols.mapping)} AS reason FROM tx0")


def _lemis(con: duckdb.DuckDBPyConnection, cols: Columns, local: Path) -> None:
    c, num = cols.c, cols.num
    con.execute(f"""
        CREATE TEMP TABLE tx0 AS SELECT _row,
          coalesce(TRY_CAST({c('shipment_year')} AS INTEGER),
                   year(TRY_CAST(substr({c('shipment_date')}, 1, 10) AS DATE))) AS year,
          NULL::VARCHAR AS appendix,
          coalesce(nullif(trim(concat_ws(' ', {c('genus')}, {c('species')}, {c('subspecies')})), ''),
                   'LEMIS species code ' || {c('species_code')}, {c('generic_name')}) AS taxon,
          {c('class')} AS class, NULL::VARCHAR AS "order", NULL::VARCHAR AS family,
          {c('genus')} AS genus, upper({c('description')}) AS term, {c('description')} AS term_raw,
          true AS term_known, {num('quantity')} AS quantity,
          {c('quantity')} AS q_raw, upper({c('unit')}) AS unit, {c('unit')} AS unit_raw, true AS unit_known,
          CASE WHEN upper({c('import_export')}) = 'E' THEN upper({c('country_imp_exp')}) ELSE 'US' END AS importer,
          CASE WHEN upper({c('import_export')}) = 'E' THEN 'US' ELSE upper({c('country_imp_exp')}) END AS exporter,
          -- LEMIS country codes are its own: its XX (origin unknown) stays a value, as the
          -- outcome model learnt it (mapping it to NULL cost 0.07 PR-AUC on the real data)
          upper({c('country_origin')}) AS origin, upper({c('purpose')}) AS purpose,
          upper({c('source')}) AS source,
          CASE WHEN upper({c('import_export')}) = 'E' THEN 'E' ELSE 'I' END AS reporter_type,
          {c('control_number')} AS control_number, {c('species_code')} AS species_code,
          {num('value')} AS value, upper({c('port')}) AS port,
          TRY_CAST(substr({c('shipment_date')}, 1, 10) AS DATE) AS shipment_date,
          upper({c('import_export')}) AS import_export, {c('us_co')} AS us_co,
          {c('foreign_co')} AS foreign_co, upper({c('action')}) AS action,
          upper({c('disposition')}) AS disposition,
          TRY_CAST(substr({c('disposition_date')}, 1, 10) AS DATE) AS disposition_date,
          {c('cleaning_notes')} AS cleaning_notes, {cols.extra_json()} AS extra,
          row_number() OVER (PARTITION BY {cols.allcols()} ORDER BY _row) AS _dup
        FROM st""")
    con.execute(f"CREATE TEMP TABLE tx AS SELECT *, {reason_sql(cols.fmt, cols.mapping)} AS reason FROM tx0")


#: format -> its transform of the staged ``st`` into ``tx`` (CITES bulk: ``insert_bulk``)
TRANSFORMS: dict[str, Callable[[duckdb.DuckDBPyConnection, Columns, Path], None]] = {
    schema.COMPTAB: _comptab, schema.LEMIS: _lemis}
#: formats loaded straight into ``records`` (no staged copy of the text, no ``tx``)
READS_FILE = frozenset({schema.BULK})


def transform(con: duckdb.DuckDBPyConnection, cols: Columns, local: Path) -> None:
    """``tx``: the file's rows in canonical columns, each with its reject ``reason`` or NULL."""
    TRANSFORMS[cols.fmt](con, cols, local)


_CANON = ("year, appendix, taxon, class, \"order\", family, genus, term, {q} AS quantity, unit, "
          "importer, exporter, origin, purpose, source, term_raw, unit_raw, extra")
OK = "reason IS NULL"


def insert_records(con: duckdb.DuckDBPyConnection, fmt: str, load_id: int) -> None:
    """The accepted rows of ``tx`` into ``records``: one per LEMIS row, one per reported side of
    a comparative tabulation row (CITES bulk rows are inserted by ``insert_bulk``)."""
    table = schema.records_table(fmt)
    if fmt == schema.COMPTAB:
        for side, qcol in (("I", "qi"), ("E", "qe")):
            con.execute(f"""INSERT INTO {table} BY NAME SELECT 'ct{load_id}:' || _row || ':{side}' AS record_id,
                {load_id} AS load_id, _row AS "row", '{fmt}' AS dataset, {_CANON.format(q=qcol)},
                '{side}' AS reporter_type FROM tx WHERE {OK} AND {qcol} IS NOT NULL""")
    else:
        con.execute(f"""INSERT INTO {table} BY NAME SELECT 'lemis{load_id}:' || _row AS record_id,
            {load_id} AS load_id, _row AS "row", '{fmt}' AS dataset, {_CANON.format(q='quantity')},
            reporter_type, control_number, species_code, value, port, shipment_date, import_export,
            us_co, foreign_co, action, disposition, disposition_date, cleaning_notes FROM tx WHERE {OK}""")
