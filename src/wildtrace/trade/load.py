"""Load CITES bulk CSVs (either header style, a folder or a zip of them), CITES comparative
tabulations and LEMIS CSVs into the canonical DuckDB schema (``schema.py``).

Each file (or zip member) is one load: its SHA-256, row counts, rejected rows with reasons,
per-file warning counts and a citation string go in ``loads``/``rejects``/``warnings``.
A file whose hash was loaded before is a no-op. Parsing and validation run inside DuckDB
(``read_csv`` then SQL), so memory stays bounded by DuckDB's ``memory_limit``.
"""

from __future__ import annotations

import bz2
import csv
import glob
import gzip
import hashlib
import io
import tempfile
import time
import zipfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb

from wildtrace import __version__
from wildtrace.errors import ConfigError, DataError
from wildtrace.trade import schema
from wildtrace.trade.codes import UNKNOWN_PARTY, load_codes

TOOL = f"wildtrace.trade.load {__version__}"
#: A quantity above this is no shipment (rejected as implausible): more than all CITES trade of a year.
MAX_QUANTITY = 1e12
#: A zip member may unpack to at most this many bytes (a zip bomb is refused, not unpacked).
MAX_UNZIPPED_BYTES = 4 << 30
#: DuckDB reads a path with these characters as a glob; such a file is read through a plain link.
GLOB_CHARS = set("*?[]{}")
SNIFF_BYTES = 65536
#: Field separators a trade file may use (the citesdb release is tab-separated; spreadsheets
#: in much of Europe save with semicolons)
DELIMITERS = (",", "\t", ";", "|")
MIN_YEAR, MAX_YEAR = 1975, datetime.now(UTC).year + 1

CITATIONS = {
    schema.BULK: "CITES Trade Database, compiled by UNEP-WCMC for the CITES Secretariat, Geneva, "
                 "Switzerland. Available at trade.cites.org. File {name} (sha256 {sha}), loaded {date}.",
    schema.COMPTAB: "CITES Trade Database comparative tabulation, compiled by UNEP-WCMC for the CITES "
                    "Secretariat, Geneva, Switzerland. Available at trade.cites.org. File {name} "
                    "(sha256 {sha}), loaded {date}.",
    schema.LEMIS: "US Fish and Wildlife Service LEMIS data as cleaned by Eskew et al. (2020), "
                  "Sci. Data 7:22, doi:10.1038/s41597-020-0354-5 (MIT licence). File {name} "
                  "(sha256 {sha}), loaded {date}.",
}


@dataclass
class FileLoad:
    """What happened to one input file."""

    path: str
    member: str | None
    sha256: str
    status: str  # loaded | unchanged | empty | skipped (not trade data) | rejected
    format: str | None = None
    header_style: str | None = None
    delimiter: str | None = None
    reason: str | None = None
    rows_in: int = 0
    rows_loaded: int = 0
    rows_rejected: int = 0
    records_written: int = 0
    reject_reasons: dict[str, int] = field(default_factory=dict)
    warnings: dict[str, int] = field(default_factory=dict)
    citation: str | None = None
    load_id: int | None = None

    @property
    def name(self) -> str:
        return f"{self.path}!{self.member}" if self.member else self.path

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def expand_globs(patterns: Iterable[str]) -> list[Path]:
    """The files each pattern matches, sorted (``--glob``); a pattern that matches nothing is an
    error, so a typo is not a silent empty load."""
    out: list[Path] = []
    for pattern in patterns:
        found = sorted(Path(p) for p in glob.glob(pattern, recursive=True) if Path(p).is_file())
        if not found:
            raise ConfigError(f"--glob {pattern!r} matches no file")
        out.extend(p for p in found if p not in out)
    return out


def _unpack(src: io.BufferedIOBase | gzip.GzipFile | bz2.BZ2File, target: Path) -> str | None:
    """Copy a decompressing stream to ``target``; the reason instead when it passes the cap
    (the archive's own size field may lie)."""
    written = 0
    with target.open("wb") as dst:
        for block in iter(lambda: src.read(1 << 20), b""):
            written += len(block)
            if written > MAX_UNZIPPED_BYTES:
                break
            dst.write(block)
    if written > MAX_UNZIPPED_BYTES:
        target.unlink()
        return f"unpacks to more than {MAX_UNZIPPED_BYTES:,} bytes (the archive says less); refused"
    return None


def iter_inputs(paths: list[Path], workdir: Path) -> Iterator[tuple[str, str | None, Path | str]]:
    """Yield (path, zip member or None, local file) for files, folders, zips and ``.gz``/``.bz2``
    files; instead of the local file, the reason when a member is refused (it would unpack past
    the size cap)."""
    for path in paths:
        if path.is_dir():
            yield from iter_inputs(sorted(p for p in path.rglob("*") if p.is_file()), workdir)
        elif zipfile.is_zipfile(path):
            with zipfile.ZipFile(path) as zf:
                for n, info in enumerate(i for i in zf.infolist() if not i.is_dir()):
                    target = workdir / f"member-{n}.csv"
                    if info.file_size > MAX_UNZIPPED_BYTES:
                        yield str(path), info.filename, (f"unpacks to {info.file_size:,} bytes, over the limit of "
                                                         f"{MAX_UNZIPPED_BYTES:,}; unzip it yourself if it is genuine")
                        continue
                    with zf.open(info) as src:
                        refused = _unpack(src, target)  # type: ignore[arg-type]
                    if refused:
                        yield str(path), info.filename, refused
                        continue
                    yield str(path), info.filename, target
                    target.unlink()
        elif path.suffix.lower() in (".gz", ".bz2") and path.exists():
            target = workdir / "unpacked.csv"
            opener = gzip.open if path.suffix.lower() == ".gz" else bz2.open
            try:
                with opener(path, "rb") as src:
                    refused = _unpack(src, target)  # type: ignore[arg-type]
            except (OSError, EOFError) as exc:
                yield str(path), None, f"not a readable {path.suffix} file: {exc}"
                continue
            yield str(path), None, refused or target
            if not refused:
                target.unlink()
        elif path.exists():
            if GLOB_CHARS & set(str(path)):
                link = Path(tempfile.mkdtemp(dir=workdir)) / "input.csv"  # a literal name DuckDB cannot glob
                link.symlink_to(path.resolve())
                yield str(path), None, link
                link.unlink()
                continue
            yield str(path), None, path
        else:
            raise DataError(f"no such file or folder: {path}")


def _sniff(local: Path) -> tuple[str | None, list[str], str]:
    """Return (problem, header, delimiter). Problem is 'empty' or 'not a CSV: ...'."""
    with local.open("rb") as fh:
        head = fh.read(SNIFF_BYTES)
    if not head.strip():
        return "empty", [], ","
    if b"\x00" in head:
        return "not a CSV: binary content (NUL bytes)", [], ","
    try:
        text = head.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        if exc.start < len(head) - 4:
            first = head[: exc.start].decode("utf-8-sig", "replace")
            if "\n" not in first:
                return "not a CSV: header is not UTF-8 text", [], ","
        text = head[: exc.start].decode("utf-8-sig")
    first_line = text.splitlines()[0] if text.splitlines() else ""
    # the separator that splits the header into the most names
    best: tuple[int, str, list[str]] = (0, ",", [])
    for delim in DELIMITERS:
        header = next(csv.reader(io.StringIO(first_line), delimiter=delim), [])
        if len(header) > best[0]:
            best = (len(header), delim, header)
    _, delim, header = best
    if len(header) < 2:
        return "not a CSV: the first line has no header of separated names", header, delim
    return None, [h.strip() for h in header], delim


def _detect(header: list[str]) -> tuple[str | None, dict[str, int], list[str], list[str], int]:
    """Pick the format whose names the header matches best (``headers.yaml``).

    Returns (format or None, canonical column -> position, missing required columns, extra
    columns, how many names matched)."""
    fmts, _ = schema.formats()
    keys = [schema.header_key(h) for h in header]
    best: tuple[int, str] | None = None
    for name, fmt in fmts.items():
        score = len(set(fmt.keys()) & set(keys))
        if best is None or score > best[0]:
            best = (score, name)
    assert best is not None
    fmt = fmts[best[1]]
    known = fmt.keys()
    mapping: dict[str, int] = {}
    for i, k in enumerate(keys):
        canon = known.get(k)
        if canon is not None and canon not in mapping:
            mapping[canon] = i
    missing = [fmt.columns[c][0] for c in fmt.required if c not in mapping]
    extra = [header[i] for i in range(len(header)) if i not in mapping.values()]
    return fmt.name, mapping, missing, extra, best[0]


def _ensure_known_codes(con: duckdb.DuckDBPyConnection) -> None:
    codes = load_codes()
    rows = [(f, c) for f in ("purpose", "source", "term", "unit", "party") for c in codes.known(f)]
    con.execute("CREATE TEMP TABLE IF NOT EXISTS known_codes (field VARCHAR, code VARCHAR)")
    if con.execute("SELECT count(*) FROM known_codes").fetchall()[0][0] == 0:
        con.executemany("INSERT INTO known_codes VALUES (?, ?)", rows)


def _q(s: str) -> str:
    return "'" + s.replace("'", "''") + "'"


#: progress(files done, files known, bytes done, bytes in all, the FileLoad, its seconds, seconds so far)
ProgressHook = Callable[[int, int, int, int, "FileLoad", float, float], None]


def _files(paths: list[Path]) -> list[Path]:
    out: list[Path] = []
    for p in paths:
        out.extend(sorted(q for q in p.rglob("*") if q.is_file()) if p.is_dir() else [p])
    return out


def load_paths(con: duckdb.DuckDBPyConnection, paths: list[Path], *,
               progress: ProgressHook | None = None) -> list[FileLoad]:
    """Load every file; return one FileLoad per file or zip member, in order. ``progress`` is
    called after each one (the CLI prints rows/s and the time left from it)."""
    _ensure_known_codes(con)
    sizes = {str(p): (p.stat().st_size if p.exists() else 0) for p in _files(paths)}
    total, done_bytes, current = sum(sizes.values()), 0, None
    results: list[FileLoad] = []
    start = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="wildtrace-trade-") as tmp:
        for path, member, local in iter_inputs(paths, Path(tmp)):
            t0 = time.perf_counter()
            if isinstance(local, str):  # refused before loading: the reason
                res = FileLoad(path=path, member=member, sha256="", status="rejected", reason=local)
            else:
                res = load_file(con, local, display_path=path, member=member)
            results.append(res)
            if path != current:
                done_bytes += sizes.get(path, 0)
                current = path
            if progress is not None:
                now = time.perf_counter()
                progress(len(results), max(len(results), len(sizes)), done_bytes, total, res, now - t0, now - start)
    return results


def load_file(con: duckdb.DuckDBPyConnection, local: Path, *, display_path: str | None = None,
              member: str | None = None) -> FileLoad:
    """Load one CSV file. A file with an already-loaded hash is a no-op ('unchanged')."""
    _ensure_known_codes(con)
    sha = sha256_file(local)
    res = FileLoad(path=display_path or str(local), member=member, sha256=sha, status="loaded")
    found = con.execute("SELECT load_id, format, citation FROM loads WHERE sha256 = ? AND status = 'loaded' "
                        "ORDER BY load_id LIMIT 1", [sha]).fetchall()
    prior = found[0] if found else None
    if prior:
        res.status, res.load_id, res.format, res.citation = "unchanged", prior[0], prior[1], prior[2]
        res.reason = f"same content as load {prior[0]}; nothing to do"
        return res
    row = con.execute("SELECT nextval('load_ids')").fetchall()[0]
    assert row is not None
    load_id = int(row[0])
    res.load_id = load_id
    problem, header, delim = _sniff(local)
    res.delimiter = delim
    fmt: str | None = None
    mapping: dict[str, int] = {}
    extra: list[str] = []
    status = "rejected"
    if problem is None:
        fmt, mapping, missing, extra, matched = _detect(header)
        res.header_style = schema.header_style(header)
        aggregate = schema.records_free(header)
        if aggregate:
            problem, status = aggregate, "skipped"
        elif matched < schema.formats()[1]:
            problem, status = (f"not trade data: {matched} of its {len(header)} column names are known "
                               "(CITES bulk, comparative tabulation or LEMIS)"), "skipped"
        elif missing:
            problem = f"not a complete {fmt} file: missing column(s) " + ", ".join(missing)
        else:
            res.format = fmt
            for col in extra:
                res.warnings["extra column (kept with each record, in 'extra'): " + col] = 1
            if res.header_style == "mixed":
                res.warnings["mixed header styles (read by name)"] = 1
    elif problem.startswith("not a CSV"):
        status = "skipped"
    if problem is not None:
        res.status = "empty" if problem == "empty" else status
        res.reason = problem
        _log(con, res)
        return res
    assert fmt is not None
    date = datetime.now(UTC).date().isoformat()
    res.citation = CITATIONS[fmt].format(name=Path(member or res.path).name, sha=sha[:16], date=date)
    con.execute("BEGIN TRANSACTION")
    try:
        if fmt != schema.BULK:  # the bulk transform reads the file itself, in one pass
            _stage(con, local, header, delim)
        _transform(con, fmt, mapping, header, extra, delim, local)
        _commit_rows(con, res, fmt, load_id, header, local, delim)
        _log(con, res)
        con.execute("COMMIT")
    except Exception:
        con.execute("ROLLBACK")
        raise
    finally:
        _drop_temp(con, ("st", "st_rows", "tx", "tx_rows", "tx0", "dups", "rj_errors", "rj_scans", "words_map"))
    return res


def _row_number(con: duckdb.DuckDBPyConnection, table: str, alias: str) -> str:
    """SQL for the row number of a staged row: its rowid counted from the table's first, plus 1
    (the first rowid is read once: a constant in the views that use it)."""
    first = con.execute(f"SELECT coalesce(min(rowid), 0) FROM {table}").fetchall()[0][0]
    return f"({alias}.rowid - {int(first)} + 1)"


def _drop_temp(con: duckdb.DuckDBPyConnection, names: tuple[str, ...]) -> None:
    """Drop these temporary tables and views, whichever each is."""
    views = {r[0] for r in con.execute("SELECT view_name FROM duckdb_views() WHERE temporary").fetchall()}
    for name in names:
        con.execute(f"DROP {'VIEW' if name in views else 'TABLE'} IF EXISTS {name}")


def _read_csv(local: Path, header: list[str], delim: str, *, store_rejects: bool = True) -> str:
    """The file as text columns c0..cN, malformed lines skipped (and, with ``store_rejects``,
    listed in rj_errors)."""
    cols = ", ".join(f"'c{i}': 'VARCHAR'" for i in range(len(header)))
    rejects = ("store_rejects=true, rejects_table='rj_errors', rejects_scan='rj_scans', "
               if store_rejects else "")
    return (f"""read_csv({_q(str(local))}, header=true, auto_detect=false, delim={_q(delim)}, quote='"',
                      escape='"', columns={{{cols}}}, {rejects}ignore_errors=true, encoding='utf-8')""")


def _stage(con: duckdb.DuckDBPyConnection, local: Path, header: list[str], delim: str,
           *, store_rejects: bool = True) -> None:
    """The file's rows as text, ``st``, with ``_row`` their number in the file (1 = the first
    record). The table keeps the file's order (insertion order is preserved), so ``_row`` is
    its rowid counted from the table's first: no serial row_number() pass (it cost a quarter of
    the staging). (Inside a transaction rowids start at 2**55, hence the offset.)"""
    con.execute("SET preserve_insertion_order = true")
    con.execute(f"CREATE TEMP TABLE st_rows AS SELECT * FROM {_read_csv(local, header, delim, store_rejects=store_rejects)}")
    con.execute(f"CREATE TEMP VIEW st AS SELECT {_row_number(con, 'st_rows', 'st_rows')} AS _row, * FROM st_rows")


def _words_map(con: duckdb.DuckDBPyConnection, mapping: dict[str, int], source: str = "st",
               columns: dict[str, str] | None = None) -> None:
    """Each distinct term and unit of the file, as written, -> its CITES code: resolved once per
    value in Python (``codes.resolve``: codes, or English, French and Spanish words), joined in SQL."""
    codes = load_codes()
    found: list[tuple[str, str, str | None, bool]] = []
    for name in ("term", "unit"):
        if name in mapping:
            col = (columns or {}).get(name) or f"trim(c{mapping[name]})"
            for (raw,) in con.execute(f"SELECT DISTINCT {col} FROM {source} WHERE nullif({col}, '') IS NOT NULL").fetchall():
                code, known = codes.resolve(name, raw)
                found.append((name, raw, code, known))
    con.execute("CREATE OR REPLACE TEMP TABLE words_map (field VARCHAR, raw VARCHAR, code VARCHAR, known BOOLEAN)")
    if found:
        con.executemany("INSERT INTO words_map VALUES (?, ?, ?, ?)", found)


def _transform(con: duckdb.DuckDBPyConnection, fmt: str, mapping: dict[str, int],
               header: list[str], extra: list[str], delim: str, local: Path) -> None:
    na_null = fmt == schema.LEMIS  # "NA" is Namibia in CITES files, a missing value in LEMIS

    def c(name: str) -> str:
        if name not in mapping:
            return "NULL::VARCHAR"
        ref = f"nullif(trim(c{mapping[name]}), '')"
        return f"nullif({ref}, 'NA')" if na_null else ref

    def party(name: str) -> str:
        """A country code; blank and XX (unknown) are NULL: unknown, never a country."""
        unknown = ", ".join(_q(u) for u in sorted(UNKNOWN_PARTY))
        return f"CASE WHEN upper({c(name)}) IN ({unknown}) THEN NULL ELSE upper({c(name)}) END"

    def num(name: str) -> str:
        # NaN, Infinity and 1e400 cast to doubles; they are no quantity (reason: non-finite quantity).
        # In a ';'-separated file a lone comma is the decimal mark ("1,5"); elsewhere a thousands mark.
        if delim == ";":
            return (f"TRY_CAST(CASE WHEN contains({c(name)}, '.') THEN replace({c(name)}, ',', '') "
                    f"ELSE replace({c(name)}, ',', '.') END AS DOUBLE)")
        return f"TRY_CAST(replace({c(name)}, ',', '') AS DOUBLE)"

    def word(name: str) -> str:
        """The CITES code of the term or unit (words resolved by ``words_map``, joined as w_term
        and w_unit), else as written."""
        return f"w_{name}.code" if name in mapping else "NULL::VARCHAR"

    def known(name: str) -> str:
        return f"coalesce(w_{name}.known, true)" if name in mapping else "true"

    joins = "".join(f" LEFT JOIN words_map w_{n} ON w_{n}.field = '{n}' AND w_{n}.raw = trim(st.c{mapping[n]})"
                    for n in ("term", "unit") if n in mapping)

    extra_json = ("json_object(" + ", ".join(f"{_q(h)}, c{header.index(h)}" for h in extra) + ")::VARCHAR"
                  if extra else "NULL::VARCHAR")
    allcols = ", ".join(f"c{i}" for i in range(len(header)))
    year_ok = f"BETWEEN {MIN_YEAR} AND {MAX_YEAR}"
    # the CITES columns every CITES format has; the term and unit codes come from words_map
    cites_text = f"""{c('appendix')} AS appendix, {c('taxon')} AS taxon, {c('class')} AS class,
              {c('order')} AS "order", {c('family')} AS family, {c('genus')} AS genus,
              {c('term')} AS term_raw, {c('unit')} AS unit_raw,
              {party('importer')} AS importer, {party('exporter')} AS exporter, {party('origin')} AS origin,
              upper({c('purpose')}) AS purpose, upper({c('source')}) AS source, {extra_json} AS extra"""
    codes = f"""{word('term')} AS term, {known('term')} AS term_known,
              {word('unit')} AS unit, {known('unit')} AS unit_known"""
    cites_common = f"{cites_text}, {codes}"
    if fmt != schema.LEMIS and fmt != schema.BULK:
        _words_map(con, mapping)
    if fmt == schema.BULK:
        # one pass over the file: read, transform and check each row into tx_rows (its rowid, from
        # the first, is the row number: the table keeps the file's order); term and unit codes are joined in
        # the view tx from the file's distinct words; the raw text is re-read only for rejects
        rid = c("id") if "id" in mapping else "NULL::VARCHAR"
        id_rule = "WHEN record_id IS NULL THEN 'missing Id'" if "id" in mapping else ""
        con.execute("SET preserve_insertion_order = true")
        con.execute(f"""
            CREATE TEMP TABLE tx_rows AS SELECT *, CASE
              {id_rule}
              WHEN year IS NULL OR NOT (year {year_ok}) THEN 'bad year'
              WHEN q_raw IS NULL THEN 'missing quantity'
              WHEN quantity IS NULL THEN 'non-numeric quantity'
              WHEN NOT isfinite(quantity) THEN 'non-finite quantity (NaN or infinity)'
              WHEN quantity > {MAX_QUANTITY:g} THEN 'implausible quantity (over {MAX_QUANTITY:g})'
              WHEN quantity < 0 THEN 'negative quantity'
              WHEN reporter_type IS NULL OR reporter_type NOT IN ('E', 'I') THEN 'bad Reporter.type (not E or I)'
              WHEN taxon IS NULL THEN 'missing taxon'
            END AS reason FROM (SELECT
              {rid} AS record_id, TRY_CAST({c('year')} AS INTEGER) AS year, {cites_text},
              {num('quantity')} AS quantity, {c('quantity')} AS q_raw,
              upper({c('reporter_type')}) AS reporter_type, {c('import_permit')} AS import_permit,
              {c('export_permit')} AS export_permit, {c('origin_permit')} AS origin_permit
            FROM {_read_csv(local, header, delim)})""")
        _words_map(con, mapping, "tx_rows", {"term": "term_raw", "unit": "unit_raw"})
        words = "".join(f" LEFT JOIN words_map w_{n} ON w_{n}.field = '{n}' AND w_{n}.raw = t.{n}_raw"
                        for n in ("term", "unit") if n in mapping)
        con.execute(f"""CREATE TEMP VIEW tx AS SELECT {_row_number(con, 'tx_rows', 't')} AS _row, t.*,
            {codes} FROM tx_rows t{words}""")
        con.execute("""
            UPDATE tx_rows SET reason = 'duplicate row (Id repeated in this file)'
            FROM (SELECT record_id AS rid, min(rowid) AS first FROM tx_rows WHERE record_id IS NOT NULL
                  GROUP BY record_id HAVING count(*) > 1) d
            WHERE tx_rows.reason IS NULL AND tx_rows.record_id = d.rid AND tx_rows.rowid > d.first""")
        # the file's Id range first: records' row-group statistics then skip the groups outside it
        # (the download's Ids rise from file to file), instead of a scan of every loaded record
        lo, hi = con.execute("SELECT min(record_id), max(record_id) FROM tx_rows").fetchall()[0]
        if lo is not None:
            con.execute("""
                UPDATE tx_rows SET reason = 'duplicate row (Id already loaded from another file)'
                FROM (SELECT record_id AS rid FROM records WHERE dataset = 'cites_bulk' AND record_id BETWEEN ? AND ?
                      AND record_id IN (SELECT record_id FROM tx_rows)) AS old
                WHERE tx_rows.reason IS NULL AND tx_rows.record_id = old.rid""", [lo, hi])
    elif fmt == schema.COMPTAB:
        con.execute(f"""
            CREATE TEMP TABLE tx0 AS SELECT _row,
              TRY_CAST({c('year')} AS INTEGER) AS year, {cites_common},
              {num('importer_quantity')} AS qi, {c('importer_quantity')} AS qi_raw,
              {num('exporter_quantity')} AS qe, {c('exporter_quantity')} AS qe_raw,
              row_number() OVER (PARTITION BY {allcols} ORDER BY _row) AS _dup
            FROM st{joins}""")
        con.execute(f"""
            CREATE TEMP TABLE tx AS SELECT *, CASE
              WHEN year IS NULL OR NOT (year {year_ok}) THEN 'bad year'
              WHEN qi_raw IS NULL AND qe_raw IS NULL THEN 'missing quantity'
              WHEN (qi_raw IS NOT NULL AND qi IS NULL) OR (qe_raw IS NOT NULL AND qe IS NULL)
                THEN 'non-numeric quantity'
              WHEN NOT isfinite(qi) OR NOT isfinite(qe) THEN 'non-finite quantity (NaN or infinity)'
              WHEN qi > {MAX_QUANTITY:g} OR qe > {MAX_QUANTITY:g} THEN 'implausible quantity (over {MAX_QUANTITY:g})'
              WHEN qi < 0 OR qe < 0 THEN 'negative quantity'
              WHEN taxon IS NULL THEN 'missing taxon'
            END AS reason FROM tx0""")
    else:
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
              {c('cleaning_notes')} AS cleaning_notes, {extra_json} AS extra,
              row_number() OVER (PARTITION BY {allcols} ORDER BY _row) AS _dup
            FROM st""")
        con.execute(f"""
            CREATE TEMP TABLE tx AS SELECT *, CASE
              WHEN year IS NULL OR NOT (year {year_ok}) THEN 'bad year'
              WHEN q_raw IS NULL THEN 'missing quantity'
              WHEN quantity IS NULL THEN 'non-numeric quantity'
              WHEN NOT isfinite(quantity) THEN 'non-finite quantity (NaN or infinity)'
              WHEN quantity > {MAX_QUANTITY:g} THEN 'implausible quantity (over {MAX_QUANTITY:g})'
              WHEN quantity < 0 THEN 'negative quantity'
              WHEN taxon IS NULL THEN 'missing taxon'
            END AS reason FROM tx0""")


_CANON = ("year, appendix, taxon, class, \"order\", family, genus, term, {q} AS quantity, unit, "
          "importer, exporter, origin, purpose, source, term_raw, unit_raw, extra")


def _commit_rows(con: duckdb.DuckDBPyConnection, res: FileLoad, fmt: str, load_id: int,
                 header: list[str], local: Path, delim: str) -> None:
    ok = "reason IS NULL"
    if fmt == schema.BULK:
        con.execute(f"""INSERT INTO records BY NAME SELECT coalesce(record_id, 'b{load_id}:' || _row) AS record_id,
            {load_id} AS load_id, _row AS "row",
            '{fmt}' AS dataset, {_CANON.format(q='quantity')}, reporter_type, import_permit,
            export_permit, origin_permit FROM tx WHERE {ok}""")
    elif fmt == schema.COMPTAB:
        for side, q in (("I", "qi"), ("E", "qe")):
            con.execute(f"""INSERT INTO records BY NAME SELECT 'ct{load_id}:' || _row || ':{side}' AS record_id,
                {load_id} AS load_id, _row AS "row", '{fmt}' AS dataset, {_CANON.format(q=q)},
                '{side}' AS reporter_type FROM tx WHERE {ok} AND {q} IS NOT NULL""")
    else:
        con.execute(f"""INSERT INTO records BY NAME SELECT 'lemis{load_id}:' || _row AS record_id,
            {load_id} AS load_id, _row AS "row", '{fmt}' AS dataset, {_CANON.format(q='quantity')},
            reporter_type, control_number, species_code, value, port, shipment_date, import_export,
            us_co, foreign_co, action, disposition, disposition_date, cleaning_notes FROM tx WHERE {ok}""")
        con.execute(f"""INSERT INTO warnings SELECT {load_id},
            'country_imp_exp is NA: the partner is unknown (missing, or Namibia: ambiguous in LEMIS)', NULL,
            count(*), min(_row) FROM tx WHERE {ok} AND (importer IS NULL OR exporter IS NULL) HAVING count(*) > 0""")
    if fmt != schema.BULK:  # rows with no record id: identical ones can be separate records
        dup = con.execute("SELECT count(*), min(_row) FROM tx WHERE _dup > 1 AND reason IS NULL").fetchall()[0]
        if dup and dup[0]:
            why = ("LEMIS line items have no record id" if fmt == schema.LEMIS else
                   "comparative tabulation rows have no record id; the real downloads hold such pairs")
            con.execute("INSERT INTO warnings VALUES (?, ?, NULL, ?, ?)",
                        [load_id, f"row identical to an earlier row (kept: {why})", dup[0], dup[1]])
    raw = "json_object(" + ", ".join(f"{_q(h)}, c{i}" for i, h in enumerate(header)) + ")"
    rejected = fmt != schema.BULK or con.execute("SELECT count(*) FROM tx WHERE reason IS NOT NULL").fetchall()[0][0]
    if rejected:
        if fmt == schema.BULK:  # the raw text of the rejected rows, read again (the transform kept none)
            _stage(con, local, header, delim, store_rejects=False)
        con.execute(f"""INSERT INTO rejects SELECT {load_id}, tx._row, NULL, reason, {raw}
            FROM tx JOIN st USING (_row) WHERE reason IS NOT NULL""")
    con.execute(f"""INSERT INTO rejects SELECT {load_id}, NULL, line,
        'malformed CSV line: ' || lower(arg_min(error_type::VARCHAR, column_idx)), any_value(csv_line)
        FROM rj_errors GROUP BY line""")
    fields = [("purpose", "purpose"), ("source", "source"), ("importer", "party"),
              ("exporter", "party"), ("origin", "party")]
    for col, table in fields:
        con.execute(f"""INSERT INTO warnings SELECT {load_id}, 'unknown {col} code', {col}, count(*), min(_row)
            FROM tx WHERE {ok} AND {col} IS NOT NULL
              AND {col} NOT IN (SELECT code FROM known_codes WHERE field = '{table}')
            GROUP BY {col}""")
    if fmt != schema.LEMIS:  # LEMIS uses its own description and unit codes
        for col in ("term", "unit"):
            con.execute(f"""INSERT INTO warnings SELECT {load_id}, 'unknown {col} (kept as written)', {col}_raw,
                count(*), min(_row) FROM tx WHERE {ok} AND NOT {col}_known GROUP BY {col}_raw""")
        con.execute(f"""INSERT INTO warnings SELECT {load_id}, 'importer or exporter unknown (blank or XX)', NULL,
            count(*), min(_row) FROM tx WHERE {ok} AND (importer IS NULL OR exporter IS NULL) HAVING count(*) > 0""")
    for reason, value in res.warnings.items():
        con.execute("INSERT INTO warnings VALUES (?, ?, NULL, ?, NULL)", [load_id, reason, value])
    counts = con.execute(f"""SELECT count(*) FILTER (WHERE {ok}), count(*) FILTER (WHERE NOT {ok})
                             FROM tx""").fetchall()[0]
    assert counts is not None
    malformed = con.execute("SELECT count(DISTINCT line) FROM rj_errors").fetchall()[0]
    res.rows_loaded = int(counts[0])
    res.rows_rejected = int(counts[1]) + int(malformed[0] if malformed else 0)
    res.rows_in = res.rows_loaded + res.rows_rejected
    written = con.execute("SELECT count(*) FROM records WHERE load_id = ?", [load_id]).fetchall()[0]
    res.records_written = int(written[0]) if written else 0
    res.reject_reasons = dict(con.execute(
        "SELECT reason, count(*) FROM rejects WHERE load_id = ? GROUP BY 1 ORDER BY 2 DESC",
        [load_id]).fetchall())
    res.warnings = {(r if v is None else f"{r}: {v}"): int(n) for r, v, n in con.execute(
        "SELECT reason, value, n FROM warnings WHERE load_id = ? ORDER BY n DESC", [load_id]).fetchall()}


def _log(con: duckdb.DuckDBPyConnection, res: FileLoad) -> None:
    con.execute(
        "INSERT INTO loads VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [res.load_id, res.path, res.member, res.sha256, res.format, res.header_style, res.status,
         res.reason, res.rows_in, res.rows_loaded, res.rows_rejected, res.records_written,
         sum(res.warnings.values()), res.citation, TOOL, datetime.now(UTC).replace(tzinfo=None)])
