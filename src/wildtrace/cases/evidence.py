"""A case's evidence: every file its captures hold (hash, size, time, who) and its verify status.

- ``files(case_row)``: one row per captured file of the case's captures (custody entries), with
  the capture's URL, time and operator;
- ``verify_case(store, case_id, author)``: runs ``evidence.verify`` on every evidence folder the
  case's captures live in, gives each file ``ok``, ``tampered`` (its SHA-256 no longer matches the
  custody log) or ``missing`` with the reason, and records the outcome in the case's audit trail
  (``case.verify``, with the user's name), so viewers see the last result;
- ``last_verification(store, case_id)``: that record, or None;
- ``file_path(case_row, capture_id, path)``: where one listed file lives (for the workbench to
  send it), refusing anything the case's custody entries do not list; ``thumbnail(path)`` the top
  of a screenshot, small.
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

from wildtrace import clock
from wildtrace.errors import NotFound
from wildtrace.evidence.verify import verify
from wildtrace.store import cases
from wildtrace.store.sql import SQLStore

#: Problems kept in one recorded verification (the rest are counted)
MAX_PROBLEMS = 50
THUMB_WIDTH = 320
STATUS = {"changed": "tampered", "removed": "missing"}


def files(case_row: dict[str, Any]) -> list[dict[str, Any]]:
    """Every file of every capture of the case (``store.cases.get_case``), in capture order."""
    out = []
    for c in case_row.get("captures", []):
        for f in c.get("files") or []:
            out.append({"capture_id": c.get("capture_id"), "path": str(f.get("path", "")),
                        "name": str(f.get("path", "")).rsplit("/", 1)[-1], "sha256": f.get("sha256"),
                        "bytes": f.get("bytes"), "captured_at": c.get("captured_at"), "operator": c.get("operator"),
                        "url": c.get("final_url") or c.get("url"), "evidence_dir": c.get("evidence_dir"),
                        "status": c.get("status")})
    return out


def _key(evidence_dir: object, path: object) -> str:
    return f"{evidence_dir}|{path}"


def verify_case(store: SQLStore, case_id: int, author: str, public_key: Path | None = None) -> dict[str, Any]:
    """Verify every evidence folder of the case; record and return ``{ok, checked_at, by, files:
    {capture_id/path: {status, reason}}, problems: [...], counts}``."""
    row = cases.get_case(store.engine, case_id)
    rows = files(row)
    folders = sorted({str(c.get("evidence_dir")) for c in row["captures"] if c.get("evidence_dir")})
    found: dict[str, tuple[str, str]] = {}
    problems: list[str] = []
    for folder in folders:
        report = verify(Path(folder), public_key=public_key)
        for p in report.problems:
            rel = p.what[5:] if p.what.startswith("file ") else None
            if rel is not None and p.kind in STATUS:
                found[_key(folder, rel)] = (STATUS[p.kind], p.detail)
            else:
                problems.append(f"{Path(folder).name}: {p}")
    out: dict[str, dict[str, str]] = {}
    for f in rows:
        status, reason = found.get(_key(f["evidence_dir"], f["path"]), ("ok", ""))
        out[f"{f['capture_id']}/{f['name']}"] = {"status": status, "reason": reason}
    counts = {s: sum(1 for v in out.values() if v["status"] == s) for s in ("ok", "tampered", "missing")}
    result = {"ok": not problems and counts["ok"] == len(out), "checked_at": clock.iso(clock.now()), "by": author,
              "counts": counts, "files": out, "problems": problems[:MAX_PROBLEMS],
              "more_problems": max(0, len(problems) - MAX_PROBLEMS)}
    cases.record_verification(store.engine, case_id, author, result)
    return result


def last_verification(store: SQLStore, case_id: int) -> dict[str, Any] | None:
    """The case's last recorded verification, or None."""
    return cases.last_verification(store.engine, case_id)


def thumbnail(path: Path) -> bytes:
    """The top of a screenshot (its banner and first screen), ``THUMB_WIDTH`` pixels wide, as PNG:
    a view for the page, never evidence itself."""
    from PIL import Image  # an extra, as for the screenshot

    with Image.open(path) as image:
        top = image.crop((0, 0, image.width, min(image.height, image.width)))
        top.thumbnail((THUMB_WIDTH, THUMB_WIDTH))
        out = io.BytesIO()
        top.convert("RGB").save(out, format="PNG")
    return out.getvalue()


def file_path(case_row: dict[str, Any], capture_id: str, name: str) -> Path:
    """The file ``name`` of capture ``capture_id`` as the case's custody entry lists it; NotFound
    for anything else (no path is ever built from what the client sent)."""
    for f in files(case_row):
        if f["capture_id"] == capture_id and f["name"] == name and f["evidence_dir"]:
            root = Path(str(f["evidence_dir"])).resolve()
            path = (root / f["path"]).resolve()
            if root in path.parents and path.is_file():
                return path
            raise NotFound(f"{name} of capture {capture_id} is missing from its evidence folder")
    raise NotFound(f"no file {name!r} in capture {capture_id!r} of this case")


__all__ = ["file_path", "files", "last_verification", "thumbnail", "verify_case"]
