"""Takedown report per platform: each flagged listing's URL, reasons and policy category.

Written as JSON (``{platform: [{id, url, policy_category, reasons, risk_score,
evidence}]}``) or, when the path ends in ``.csv``, one CSV row per listing.
Categories come from ``data/takedown_policies.yaml``.
"""

from __future__ import annotations

import csv
from collections import defaultdict
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

import orjson
import yaml

from wildtrace import manifest
from wildtrace.csvcell import safe_cell as _safe

if TYPE_CHECKING:
    from wildtrace.cases import Case

_DATA = manifest.path("takedown_policies")


@lru_cache(maxsize=1)
def _policies() -> dict[str, Any]:
    with open(_DATA, encoding="utf-8") as fh:
        doc: dict[str, Any] = yaml.safe_load(fh)
    return doc


def policy_categories(result: dict[str, Any]) -> list[str]:
    doc = _policies()
    cats = [doc["by_product_type"].get(p, doc["default"]) for p in result.get("product_types") or []]
    if any(t.get("cites_appendix") in ("I", "I/II", "II", "II/III", "III") for t in result.get("taxa") or []):
        cats.append(doc["protected_species"])
    return list(dict.fromkeys(cats)) or [doc["default"]]


def takedowns(case: Case) -> dict[str, list[dict[str, Any]]]:
    evidence: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for cap in case.captures:
        if cap.get("status") == "captured":
            evidence[str(cap.get("listing_id") or cap.get("url"))].append(
                {"capture_id": cap["capture_id"], "captured_at": cap["captured_at"],
                 "payload_sha256": cap["payload_sha256"]})
    out: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for r in sorted(case.results, key=lambda r: -float(r.get("risk_score") or 0)):
        listing = r.get("listing") or {}
        url = listing.get("url")
        out[str(listing.get("platform") or "unknown")].append({
            "id": r["id"], "url": url, "policy_category": "; ".join(policy_categories(r)),
            "reasons": r.get("reasons") or [], "risk_score": r.get("risk_score"),
            "evidence": evidence.get(str(r["id"])) or evidence.get(str(url)) or []})
    return dict(sorted(out.items()))


def write(case: Case, path: Path) -> int:
    data = takedowns(case)
    if path.suffix.lower() == ".csv":
        with open(path, "w", newline="", encoding="utf-8") as fh:
            w = csv.writer(fh)
            w.writerow(["platform", "listing_id", "url", "policy_category", "reasons", "risk_score",
                        "evidence_sha256"])
            for platform, rows in data.items():
                for row in rows:
                    w.writerow([_safe(x) for x in (
                        platform, row["id"], row["url"], row["policy_category"], " | ".join(row["reasons"]),
                        row["risk_score"], " ".join(e["payload_sha256"] for e in row["evidence"]))])
    else:
        path.write_bytes(orjson.dumps(data, option=orjson.OPT_INDENT_2))
    return sum(len(v) for v in data.values())
