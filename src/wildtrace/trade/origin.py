"""Where a loaded trade file comes from: the CITES Trade Database, LEMIS, or ``wildtrace trade
synth``. Synthetic files must never be cited as CITES or LEMIS data.

``trade synth`` writes ``SYNTHETIC.json`` beside its files: the tool, version, seed and the
SHA-256 of every file it wrote. A file is synthetic when a manifest in its folder (or in the
same zip) lists its hash, so a real download dropped into that folder stays real, and a
synthetic file renamed or gzipped (the hash is of the unpacked text) stays synthetic.
"""

from __future__ import annotations

import json
import zipfile
from pathlib import Path
from typing import Any

import duckdb

from wildtrace import __version__
from wildtrace.trade import schema

MANIFEST = "SYNTHETIC.json"
SYNTHETIC = "synthetic (wildtrace trade synth)"
#: the origin of real data, per format
REAL = {schema.BULK: "CITES Trade Database", schema.COMPTAB: "CITES Trade Database",
        schema.LEMIS: "LEMIS (US Fish and Wildlife Service)"}
NOTICE = ("Synthetic data: these records were made by `wildtrace trade synth` with injected anomalies; "
          "they are not CITES Trade Database or LEMIS records and must not be cited as such.")


def write_manifest(out_dir: Path, shas: dict[str, str], seed: int, rows: int) -> Path:
    """``SYNTHETIC.json`` in ``out_dir``: file name -> SHA-256 of each file ``synth`` wrote."""
    path = out_dir / MANIFEST
    path.write_text(json.dumps({
        "synthetic": True, "made_by": f"wildtrace trade synth {__version__}", "seed": seed, "rows": rows,
        "note": NOTICE, "files": shas}, indent=1), encoding="utf-8")
    return path


def _read(text: str) -> dict[str, Any] | None:
    try:
        found = json.loads(text)
    except ValueError:
        return None
    return found if isinstance(found, dict) and found.get("synthetic") is True else None


def _manifests(path: Path, member: str | None) -> list[dict[str, Any]]:
    """The manifests that may list the file: beside it, or inside its zip."""
    out = []
    try:
        if member is not None and zipfile.is_zipfile(path):
            with zipfile.ZipFile(path) as zf:
                for info in zf.infolist():
                    if Path(info.filename).name == MANIFEST and info.file_size < 1 << 20:
                        out.append(_read(zf.read(info).decode("utf-8", "replace")))
        else:
            beside = path.parent / MANIFEST
            if beside.is_file() and beside.stat().st_size < 1 << 20:
                out.append(_read(beside.read_text(encoding="utf-8", errors="replace")))
    except (OSError, zipfile.BadZipFile):
        return []
    return [m for m in out if m]


def synthetic(path: str, member: str | None, sha256: str) -> dict[str, Any] | None:
    """The ``synth`` manifest that lists this file's hash, or None (the file is not synthetic)."""
    for found in _manifests(Path(path), member):
        files = found.get("files")
        if isinstance(files, dict) and sha256 in files.values():
            return found
    return None


def origins(con: duckdb.DuckDBPyConnection) -> list[str]:
    """The origins of the loaded files (a database loaded before origins were kept: by format)."""
    cur = con.execute("SELECT * FROM loads WHERE status = 'loaded'")
    names = [d[0] for d in cur.description or []]
    found = set()
    for row in cur.fetchall():
        r = dict(zip(names, row, strict=True))
        found.add(r.get("origin") or REAL.get(str(r.get("format")), str(r.get("format"))))
    return sorted(found)
