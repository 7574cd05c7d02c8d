"""The pairs ``reconcile`` compares, found on compact keys: each side's permit keys, the permit
pairs, the same permits in other units and the fallback (aggregate) pairs.

Matching on the key's text cost most of reconcile's time (every pass grouped or joined seven text
columns). Here each key is a number made of hashes of its columns (``FAMILIES``, ``HASH``: a
permit key's ``hp`` and ``h5`` hold its permit's ``h3`` in their upper 64 bits), and a record is
its ``rid`` (``record_rows``, ``schema.py``):

- ``rc_k``: one row per permit key (``KEY_P``) with both sides' sums, made straight from
  ``records`` in one pass (the permit pairs are then a filter, ``rc_pp``, not a join): per side
  (``_e``: the exporter's report, ``_i``: the importer's) ``n``, ``q``, ``d``, one of its rows
  (``rid``, for the key's text; ``rid`` without a side: one of the key's) and ``k``: the first
  year and the source and purpose codes in one number (``_pack``; ``rc_kd`` reads them back as
  ``year``, ``sc``, ``pc``). A one-byte
  code is its byte; a key of one record has one source and one purpose, so the codes and ``d``
  (its ``q``) are exact. Records of another reporter type count in the permit coverage only.
- A key one side reported in more than one record is the only one that can hold a copy booked
  again (``permits.drop_duplicates``), a quantity repeated in one year (``d``) or a dominant
  code to choose (by quantity). Those keys, and any with a code longer than one byte, take the
  exact former steps: their records are read in full into ``rc_e`` and ``rc_i`` (``_side``)
  and summed as before (``permit_sums``); their sums replace the key's in ``rc_k`` (longer codes
  numbered from 256 for the run, ``rc_sd``), and the copies set aside go in ``rc_cp``.
- ``rc_pp``, ``rc_pu``, ``rc_g`` and ``rc_gm``: the permit pairs, the pairs in other units, the
  fallback sums of what the permit pass left and the fallback pairs, as the docstring of
  ``reconcile`` says, joined on the hashes.

No result depends on two keys never sharing a hash. ``rc_k`` and ``rc_g`` group on the key's
columns, not its hash (each key's hash is then made once, from its row), so a row is one key;
two rows of one hash are a collision, and so are two of one ``h3`` or ``h5`` whose columns of
it differ. Since a permit key's number holds its permit's ``h3``, only the permits of more than
one row can hide one: ``_collisions_k`` reads those rows' columns (none at all where each permit
is one key), and ``pairs`` compares the columns of ``rc_g``'s rows per ``hg``. Finding them cost
reconcile 0.5 s of its 2.6 at 3M records (1 thread). Where two keys share a hash, that kind
of hash becomes the key's number among every key of the bulk records (``_macro``,
``rc_x<kind>``) and the table is made again: slower (at 3M records, 7 s with one kind numbered,
10 s with all), never wrong. ``tests/trade/test_reconcile_collide.py`` makes every hash weak and
checks the whole result against the former SQL. NULL columns hash consistently and group
together; the rules that need a column known (a permit pair needs taxon, term, exporter and
importer, a fallback pair the taxon) test it beside the hash (``ok``, ``hg`` NULL).
"""

from __future__ import annotations

from typing import Any

import duckdb

from wildtrace.errors import DataError
from wildtrace.trade import permits, schema

#: source and purpose values that say nothing (never a "flip")
UNKNOWN_CODES = ("U", "?")
_UNKNOWN = ", ".join(f"'{c}'" for c in UNKNOWN_CODES)
#: the source and purpose as compared (an unknown code is NULL)
SRC = f"CASE WHEN source IN ({_UNKNOWN}) THEN NULL ELSE source END"
PUR = f"CASE WHEN purpose IN ({_UNKNOWN}) THEN NULL ELSE purpose END"
SEIZED = "coalesce(source = 'I', false)"
#: one side's report of one permit (seizures apart); over ``rc_e``/``rc_i`` (unit and seized as there)
KEY_P = "export_permit, taxon, term, unit, exporter, importer, seized"
#: the hash a key is matched on, over its columns (``{}``); a test puts a weak one here (say
#: ``hash({}) % 7``) to make keys collide. ``_macro`` makes it the macros ``rc_h3`` etc., per run.
HASH = "hash({})"
#: each hashed part of a key and its columns, over ``records``
FAMILIES = {
    # one permit (id, exporter, importer): of the permit coverage, and the first half of each
    # permit key's number below (two keys with one number share their permit: ``_collisions_k``)
    "h3": ("export_permit", "exporter", "importer"),
    # the rest of the permit key
    "hr": ("taxon", "term", "coalesce(unit, '')", SEIZED),
    # the rest of the permit key without its unit (and seizure: ``rc_pu`` pairs keys with the same seizure)
    "ht": ("taxon", "term"),
    # the fallback key (the year apart)
    "hg": ("taxon", "term", "coalesce(unit, '')", "importer", "exporter", SEIZED),
}
H3 = f"rc_h3({', '.join(FAMILIES['h3'])})"


def _hp(unit: str = "coalesce(unit, '')", seized: str = SEIZED) -> str:
    """The permit key's number: the permit's hash (``h3``) and the rest's in one 128-bit number;
    over ``rc_e``, ``rc_i`` or ``rc_pe``, ``_hp('unit', 'seized')``."""
    return f"(({H3})::UHUGEINT << 64 | (rc_hr(taxon, term, {unit}, {seized}))::UHUGEINT)"


#: one side's report of one permit (seizures apart), over ``records``
HP = _hp()
#: the permit key without its unit (and seizure)
H5 = f"(({H3})::UHUGEINT << 64 | (rc_ht(taxon, term))::UHUGEINT)"


def _hg(unit: str = "coalesce(unit, '')", seized: str = SEIZED) -> str:
    """The fallback key's hash; NULL where the taxon is blank (never paired)."""
    return f"CASE WHEN taxon IS NOT NULL THEN rc_hg(taxon, term, {unit}, importer, exporter, {seized}) END"


#: the fallback key's hash, over ``records``
HG = _hg()
#: the key's columns as ``rc_k`` and ``rc_g`` group on them (beside the hash: each row one key)
TEXT_P = "export_permit, taxon, term, unit, exporter, importer"
TEXT_G = "taxon, term, unit, importer, exporter"
#: the macros of the hashes and the tables of the exact numbers (``_macro``)
MACROS = tuple(f"rc_{f}" for f in FAMILIES)
EXACT = tuple(f"rc_x{f}" for f in FAMILIES)
#: a permit key that can pair (USING and ``=`` never match a blank)
OK = "taxon IS NOT NULL AND term IS NOT NULL AND exporter IS NOT NULL AND importer IS NOT NULL"
#: a code's number in ``rc_k`` for any code but one byte (and the mask of a code's 16 bits)
OTHER = 65535
RT = "CASE reporter_type WHEN 'E' THEN 1 WHEN 'I' THEN 2 ELSE 0 END"
BULK = f"dataset = '{schema.BULK}'"


def _macro(con: duckdb.DuckDBPyConnection, family: str, exact: bool = False) -> None:
    """The macro ``rc_<family>``: ``HASH`` of the key's columns, or (``exact``) the key's number
    in ``rc_x<family>``, every key of the bulk records numbered there (``_exact``)."""
    cols = FAMILIES[family]
    args = ", ".join(f"a{j}" for j in range(len(cols)))
    if exact:
        same = " AND ".join(f"x.c{j} IS NOT DISTINCT FROM a{j}" for j in range(len(cols)))
        con.execute(f"""CREATE OR REPLACE TEMP TABLE rc_x{family} AS
            SELECT *, (row_number() OVER ())::UBIGINT AS id
            FROM (SELECT DISTINCT {', '.join(f'{c} AS c{j}' for j, c in enumerate(cols))} FROM records WHERE {BULK})""")
        body = f"(SELECT id FROM rc_x{family} x WHERE {same})"
    else:
        body = HASH.format(args)
    con.execute(f"CREATE OR REPLACE TEMP MACRO rc_{family}({args}) AS {body}")


def _text(cols: str) -> str:
    """``TEXT_P`` or ``TEXT_G`` read from ``records`` (a blank unit is ``''``, as in the key)."""
    return cols.replace("unit", "coalesce(unit, '') AS unit")


def _shared(con: duckdb.DuckDBPyConnection, table: str, h: str, text: str) -> bool:
    """Whether two rows of ``table`` with different ``text`` share the hash ``h``."""
    return bool(con.execute(f"""SELECT count(*) FROM (SELECT {h} FROM (SELECT DISTINCT {h}, {text} FROM {table}
        WHERE {h} IS NOT NULL) GROUP BY {h} HAVING count(*) > 1)""").fetchall()[0][0])


def _side(con: duckdb.DuckDBPyConnection, side: str, only: str = "") -> None:
    """``rc_e`` or ``rc_i``: the side's bulk records with the columns the exact steps read (all of
    them, or those ``only`` selects, in the table's order), and each one's ``rid``."""
    con.execute(f"""CREATE OR REPLACE TEMP TABLE rc_{side} AS
        SELECT record_id, year, taxon, term, coalesce(unit, '') AS unit, importer, exporter, quantity,
               {SRC} AS source, {PUR} AS purpose, export_permit,
               {SEIZED} AS seized, false AS again, rid
        FROM record_rows WHERE {BULK} AND reporter_type = '{side.upper()}' {only} ORDER BY rid""")


def _agg(key: str, extra: str = "") -> str:
    """Sums per key and the dominant known source and purpose (by quantity; of equal quantities,
    the first record's, whatever order the rows reach the aggregate in)."""
    return f"""{key}, sum(quantity) AS q, count(*) AS n,
        arg_max(source, (quantity, -rid)) FILTER (WHERE source IS NOT NULL AND quantity IS NOT NULL) AS source,
        arg_max(purpose, (quantity, -rid)) FILTER (WHERE purpose IS NOT NULL AND quantity IS NOT NULL)
            AS purpose{extra}"""


def permit_sums(con: duckdb.DuckDBPyConnection) -> None:
    """``rc_pe`` and ``rc_pi``: the records of ``rc_e`` and ``rc_i`` summed per permit key
    (``_agg``), with ``d`` the sum counting a quantity repeated in one year once. The repeats are
    few: one aggregation finds the (key, year, quantity) held more than once and only their
    records are numbered (a window over every record cost more than the sums)."""
    key_p = KEY_P
    same = " AND ".join(f"r.{k} IS NOT DISTINCT FROM d.{k}" for k in (*key_p.split(", "), "year", "quantity"))
    for s in ("e", "i"):
        # ``again``: each record but the first of a quantity its side's permit key repeats in a year
        con.execute(f"""UPDATE rc_{s} SET again = true WHERE record_id IN (
            SELECT record_id FROM (SELECT r.record_id,
                row_number() OVER (PARTITION BY {', '.join('r.' + k for k in key_p.split(', '))}, r.year,
                                   r.quantity ORDER BY r.record_id) AS rep
              FROM rc_{s} r SEMI JOIN (SELECT {key_p}, year, quantity FROM rc_{s} WHERE export_permit IS NOT NULL
                                       GROUP BY ALL HAVING count(*) > 1) d ON {same}
              WHERE r.export_permit IS NOT NULL) WHERE rep > 1)""")
        con.execute(f"""CREATE OR REPLACE TEMP TABLE rc_p{s} AS
            SELECT {_agg(key_p, ', min(year) AS year, sum(quantity) FILTER (WHERE NOT again) AS d')}
            FROM rc_{s} WHERE export_permit IS NOT NULL GROUP BY {key_p}""")


def _small(expr: str) -> str:
    """A one-byte code as its byte (exact: 1 to 127), 0 for none, ``OTHER`` for any other text."""
    return f"CASE WHEN ({expr}) IS NULL THEN 0 WHEN strlen({expr}) = 1 AND ascii({expr}) > 0 THEN ascii({expr}) " \
           f"ELSE {OTHER} END"


def _pack(year: str, src: str, pur: str) -> str:
    """The year and both codes in one number (one aggregate instead of three; the operators bind
    alike and from the left, hence the brackets)."""
    return f"((({year})::BIGINT << 32) | (({src})::BIGINT << 16) | ({pur})::BIGINT)"


def _table_k(con: duckdb.DuckDBPyConnection) -> None:
    """``rc_k``: one row per permit key (grouped on its columns: a row is one key even where two
    keys share a hash), its hashes, both sides' sums and ``rid``, one of its records."""
    side = {s: {c: f"CASE WHEN rt = {rt} THEN {c} END" for c in ("quantity", "rid", "k")}
            for s, rt in (("e", 1), ("i", 2))}
    sums = ", ".join(f"""count({c['rid']}) AS n_{s}, sum({c['quantity']}) AS q_{s}, min({c['rid']}) AS rid_{s},
               min({c['k']}) AS k_{s}""" for s, c in side.items())
    # the hashes once per key, from its columns: not per record
    con.execute(f"""CREATE OR REPLACE TEMP TABLE rc_k AS
        SELECT {_hp('unit', 'seized')} AS hp, {OK} AS ok, seized, {H5} AS h5, {H3} AS h3,
               * EXCLUDE ({TEXT_P}, seized), q_e AS d_e, q_i AS d_i FROM (
        SELECT {TEXT_P}, seized, {sums}, min(rid) AS rid
        FROM (SELECT {RT} AS rt, {SEIZED} AS seized, quantity, rid,
                     {_pack('year', _small(SRC), _small(PUR))} AS k, {_text(TEXT_P)}
              FROM record_rows WHERE {BULK} AND export_permit IS NOT NULL)
        GROUP BY {TEXT_P}, seized)""")


def _collisions_k(con: duckdb.DuckDBPyConnection) -> list[str]:
    """``rc_h3``: ``rc_k`` per permit (``h3``) with the bits of the permit coverage; return the
    hashed parts two different keys share. A row of ``rc_k`` is one key and its number (``hp``,
    ``h5``) holds its permit's ``h3``: two numbers alike are in one permit's rows, so only the
    permits of more than one row are read (their columns from one record of each row)."""
    bits = """bit_or(CASE WHEN n_e > 0 THEN 1 | (CASE WHEN seized THEN 4 ELSE 8 END) ELSE 0 END
                      | CASE WHEN n_i > 0 THEN 2 | (CASE WHEN seized THEN 16 ELSE 32 END) ELSE 0 END)"""
    con.execute(f"CREATE OR REPLACE TEMP TABLE rc_h3 AS SELECT h3, count(*) AS n, {bits} AS b FROM rc_k GROUP BY h3")
    if not con.execute("SELECT count(*) FROM rc_h3 WHERE n > 1").fetchall()[0][0]:
        return []
    con.execute(f"""CREATE OR REPLACE TEMP TABLE rc_km AS
        SELECT k.hp, k.h5, k.h3, r.* EXCLUDE (rid)
        FROM (SELECT hp, h5, h3, rid FROM rc_k WHERE h3 IN (SELECT h3 FROM rc_h3 WHERE n > 1)) k
        JOIN (SELECT rid, {TEXT_P} FROM record_rows) r USING (rid)""")
    shared = [f for f, h, text in (("h3", "h3", "export_permit, exporter, importer"),
                                   ("ht", "h5", "export_permit, exporter, importer, taxon, term"))
              if _shared(con, "rc_km", h, text)]
    # the rows are different keys: two with one number are a collision
    if con.execute("SELECT count(*) FROM (SELECT hp FROM rc_km GROUP BY hp HAVING count(*) > 1)").fetchall()[0][0]:
        shared.append("hr")
    return shared


def keys(con: duckdb.DuckDBPyConnection, ratio: float, limit: int) -> tuple[list[dict[str, Any]], int, int]:
    """``rc_k`` (and ``rc_cp``, the copies set aside, ``rc_sd``, the codes of more than one
    byte); return the first ``limit`` ``duplicate_report`` flags, how many there are and how many
    records they set aside."""
    for f in FAMILIES:
        _macro(con, f)
    # a hash two keys share is found here, and every key of its kind is then numbered instead
    # (an exact number is never shared: at most one round per kind)
    for _ in FAMILIES:
        _table_k(con)
        shared = _collisions_k(con)
        if not shared:
            break
        for f in shared:
            _macro(con, f, exact=True)
    else:
        raise AssertionError("hashed keys still collide after every kind was numbered")
    con.execute(f"""CREATE OR REPLACE TEMP VIEW rc_kd AS SELECT *,
        k_e >> 32 AS year_e, nullif((k_e >> 16) & {OTHER}, 0) AS sc_e, nullif(k_e & {OTHER}, 0) AS pc_e,
        k_i >> 32 AS year_i, nullif((k_i >> 16) & {OTHER}, 0) AS sc_i, nullif(k_i & {OTHER}, 0) AS pc_i FROM rc_k""")
    con.execute("CREATE OR REPLACE TEMP TABLE rc_cp (rid BIGINT, rt INTEGER, seized BOOLEAN)")
    con.execute("CREATE OR REPLACE TEMP TABLE rc_sd (s VARCHAR, c INTEGER)")
    # keys of more than one record, and any whose code is more than one byte, take the exact steps
    con.execute(f"""CREATE OR REPLACE TEMP TABLE rc_c AS SELECT hp FROM rc_kd WHERE n_e > 1 OR n_i > 1
        OR {OTHER} IN (sc_e, pc_e, sc_i, pc_i)""")
    if not con.execute("SELECT count(*) FROM rc_c").fetchall()[0][0]:
        return [], 0, 0
    only = f"AND export_permit IS NOT NULL AND {HP} IN (SELECT hp FROM rc_c)"
    _side(con, "e", only)
    _side(con, "i", only)
    con.execute("""CREATE OR REPLACE TEMP TABLE rc_c0 AS SELECT rid, 1 AS rt, seized FROM rc_e
                   UNION ALL SELECT rid, 2, seized FROM rc_i""")
    dups = permits.drop_duplicates(con, ratio, limit)
    n_dups, n_copies = permits.set_aside(con)
    con.execute("""INSERT INTO rc_cp SELECT * FROM rc_c0
                   WHERE rid NOT IN (SELECT rid FROM rc_e UNION ALL SELECT rid FROM rc_i)""")
    permit_sums(con)
    # codes of more than one byte are numbered (from 256: never a byte) for this run
    con.execute(f"""INSERT INTO rc_sd SELECT s, 255 + row_number() OVER (ORDER BY s) FROM (
        SELECT DISTINCT s FROM (SELECT unnest([source, purpose]) AS s FROM rc_pe
                                UNION ALL SELECT unnest([source, purpose]) FROM rc_pi)
        WHERE {_small('s')} = {OTHER})""")
    if con.execute("SELECT count(*) FROM rc_sd").fetchall()[0][0] >= OTHER - 256:
        raise DataError("more than 65,000 different source and purpose codes: not CITES codes")
    code = {c: f"coalesce((SELECT c FROM rc_sd WHERE rc_sd.s = x.{c}), {_small('x.' + c)})"
            for c in ("source", "purpose")}
    for s in ("e", "i"):
        con.execute(f"""UPDATE rc_k SET n_{s} = x.n, q_{s} = x.q, d_{s} = x.d,
                k_{s} = {_pack('x.year', code['source'], code['purpose'])}
            FROM (SELECT {_hp('unit', 'seized')} AS hp, * FROM rc_p{s}) x WHERE rc_k.hp = x.hp""")
    return dups, n_dups, n_copies


def _table_g(con: duckdb.DuckDBPyConnection, not_copy: str) -> None:
    """``rc_g``: each side's sums per year and fallback key of the records the permit pass left
    (grouped on the key's columns: a row is one key even where two share a hash; its hash made
    once per row)."""
    con.execute(f"""CREATE OR REPLACE TEMP TABLE rc_g AS
        SELECT rt, year, {_hg('unit', 'seized')} AS hg, * EXCLUDE (rt, year) FROM (SELECT rt, year, sum(quantity) AS q, count(*) AS n, min(rid) AS rid,
               coalesce(bit_or(1::BIGINT << (ascii(source) - 63)), 0) AS sources,
               coalesce(bit_or(1::BIGINT << (ascii(purpose) - 63)), 0) AS purposes, {TEXT_G}, seized
        FROM (SELECT {RT} AS rt, year, quantity, rid, {SRC} AS source, {PUR} AS purpose,
                     CASE WHEN export_permit IS NOT NULL THEN {HP} END AS hp, {_text(TEXT_G)}, {SEIZED} AS seized
              FROM record_rows WHERE {BULK} AND reporter_type IN ('E', 'I') AND importer IS NOT NULL
                AND exporter IS NOT NULL {not_copy}) r ANTI JOIN (SELECT hp FROM rc_pp) m ON r.hp = m.hp
        GROUP BY rt, year, {TEXT_G}, seized)""")


def pairs(con: duckdb.DuckDBPyConnection) -> None:
    """``rc_pp`` (permit pairs: a view of ``rc_k``), ``rc_pu`` (the same permit in other units),
    ``rc_g`` (each side's sums per year and fallback key of the records the permit pass left) and
    ``rc_gm`` (their pairs: the same year first, then the importer's a year later, then a year
    earlier)."""
    con.execute("""CREATE OR REPLACE TEMP VIEW rc_pp AS SELECT * FROM rc_kd
        WHERE ok AND n_e > 0 AND n_i > 0 AND abs(year_i - year_e) <= 1""")
    con.execute("""CREATE OR REPLACE TEMP TABLE rc_pu AS
        WITH k AS (SELECT * FROM rc_kd k WHERE ok AND NOT EXISTS (SELECT 1 FROM rc_pp m WHERE m.h5 = k.h5))
        SELECT e.hp AS hp_e, i.hp AS hp_i, e.seized, e.year_e, i.year_i, e.q_e, i.q_i, e.rid_e, i.rid_i
        FROM (FROM k WHERE n_e > 0) e JOIN (FROM k WHERE n_i > 0) i
          ON e.h5 = i.h5 AND e.seized = i.seized AND e.hp <> i.hp AND abs(i.year_i - e.year_e) <= 1""")
    copies = con.execute("SELECT count(*) FROM rc_cp").fetchall()[0][0]
    not_copy = "AND rid NOT IN (SELECT rid FROM rc_cp)" if copies else ""
    _table_g(con, not_copy)
    if _shared(con, "rc_g", "hg", f"{TEXT_G}, seized"):
        _macro(con, "hg", exact=True)
        _table_g(con, not_copy)
    con.execute("""CREATE OR REPLACE TEMP TABLE rc_gm (year_e INTEGER, year_i INTEGER, hg UBIGINT, q_e DOUBLE,
        q_i DOUBLE, n_e BIGINT, n_i BIGINT, sources_e BIGINT, sources_i BIGINT, purposes_e BIGINT,
        purposes_i BIGINT, dy INTEGER, rid_e BIGINT, rid_i BIGINT)""")
    for dy in (0, 1, -1):
        con.execute(f"""INSERT INTO rc_gm SELECT e.year, i.year, e.hg, e.q, i.q, e.n, i.n, e.sources, i.sources,
                e.purposes, i.purposes, {dy}, e.rid, i.rid
            FROM (SELECT * FROM (FROM rc_g WHERE rt = 1 AND hg IS NOT NULL)
                  ANTI JOIN (SELECT year_e AS year, hg FROM rc_gm) USING (year, hg)) e
            JOIN (SELECT * FROM (FROM rc_g WHERE rt = 2 AND hg IS NOT NULL)
                  ANTI JOIN (SELECT year_i AS year, hg FROM rc_gm) USING (year, hg)) i
              ON i.year = e.year + ({dy}) AND e.hg = i.hg""")


def permit_coverage(con: duckdb.DuckDBPyConnection) -> dict[str, object]:
    """``permits.permit_coverage`` of the bulk records, from ``rc_h3``: ``rc_k`` per permit, made
    by ``_collisions_k`` (each key is one permit's report on one side, declared or seized; copies
    set aside never remove a key). The six facts of a permit are bits of one number (one
    aggregate instead of six)."""
    return permits.coverage_of(con, """SELECT b & 1 <> 0 AS by_e, b & 2 <> 0 AS by_i, b & 4 <> 0 AS seized_e,
            b & 8 <> 0 AS declared_e, b & 16 <> 0 AS seized_i, b & 32 <> 0 AS declared_i FROM rc_h3""")
