"""Derive the compact Gippet et al. (2026) species summary WildTrace ships.

    python scripts/build_gippet.py --xlsx /path/to/DataTableS1_Gippet2025_WildlifeTradeZoonoses.xlsx

Reads the ``dataset`` sheet of Data Table S1 of Gippet et al. 2026, Science, "Wildlife trade drives
animal-to-human pathogen transmission over 40 years" (repository JGippet/WildlifeTrade_ZoonoticPathogens;
data CC-BY 4.0, code MIT) and writes ``src/wildtrace/data/zoonotic/gippet_summary.csv.gz``: one row per
mammal species with its MDD names, whether it is traded (any, live, legal, illegal), the pathogens and
viruses it shares with humans (CLOVER; VIRION 2025) and the research-effort variables. The per-year
CITES trade columns, CITES listing, IUCN-derived and phylogenetic columns are left out. The xlsx is
never copied into the repository.
"""

from __future__ import annotations

import argparse
import csv
import gzip
import hashlib
import io
import json
import re
import sys
from pathlib import Path
from typing import Any

import openpyxl

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "src" / "wildtrace" / "data" / "zoonotic"
CITATION = ("Gippet J.M.W. et al. (2026). Wildlife trade drives animal-to-human pathogen transmission "
            "over 40 years. Science. Data Table S1, repository JGippet/WildlifeTrade_ZoonoticPathogens; "
            "data CC-BY 4.0 (code MIT). Derived summary: selected columns, renamed; see gippet_meta.json.")
#: our column -> (their column, kind)
COLUMNS = {
    "species": ("sciName", "name"),
    "names": ("PossibleNames_MDD", "names"),
    "order": ("order", "lower"),
    "family": ("family", "lower"),
    "traded": ("Traded_all", "yesno"),
    "traded_live": ("Traded_all_live", "yesno"),
    "traded_legal": ("Traded_legal", "yesno"),
    "traded_illegal": ("Traded_illegal", "yesno"),
    "years_in_cites_trade": ("timeTraded_all_1980_2019", "int"),
    "zoonotic_pathogens": ("ZOONOTIC_NB_all", "int"),
    "zoonotic_viruses": ("ZOONOTIC_NB_viruses", "int"),
    "virion2025_zoonotic_viruses": ("VIRION_ZOONOTIC_NB_viruses", "int"),
    "pubmed_log": ("pubs_pubmed_all_log", "float"),
    "disease_share_logit": ("pubs_ALLdisease_PROP_logit", "float"),
    "research_effort_index": ("pubs_X", "float"),
    "domesticated": ("DOMESTICATED_large", "yesno"),
    "extinct": ("extinct", "int"),
}


def _cell(value: Any, kind: str) -> str:
    if value is None or value == "NA":
        return ""
    if kind == "name":
        return " ".join(str(value).replace("_", " ").lower().split())
    if kind == "names":  # R's c("a", "b") or a bare name
        found = re.findall(r'"([^"]+)"', str(value)) or [str(value)]
        return ";".join(" ".join(n.lower().split()) for n in found)
    if kind == "lower":
        return str(value).lower()
    if kind == "yesno":
        if str(value) not in ("yes", "no"):
            raise ValueError(f"not yes/no: {value!r}")
        return str(value)
    if kind == "int":
        return str(int(float(value)))
    return f"{float(value):.4f}"


def rows(xlsx: Path) -> list[dict[str, str]]:
    wb = openpyxl.load_workbook(xlsx, read_only=True)
    ws = wb["dataset"]
    it = ws.iter_rows(values_only=True)
    header = [str(h) for h in next(it)]
    missing = [theirs for theirs, _ in COLUMNS.values() if theirs not in header]
    if missing:
        raise SystemExit(f"{xlsx.name}: missing columns {missing}")
    out = []
    for values in it:
        row = dict(zip(header, values, strict=False))
        if not row.get("sciName"):
            continue
        out.append({ours: _cell(row.get(theirs), kind) for ours, (theirs, kind) in COLUMNS.items()})
    out.sort(key=lambda r: r["species"])
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--xlsx", type=Path, required=True)
    ap.add_argument("--out", type=Path, default=OUT)
    args = ap.parse_args(argv)
    table = rows(args.xlsx)
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=list(COLUMNS), lineterminator="\n")
    writer.writeheader()
    writer.writerows(table)
    path = args.out / "gippet_summary.csv.gz"
    with open(path, "wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb", mtime=0) as gz:
        gz.write(buf.getvalue().encode("utf-8"))
    meta = {
        "citation": CITATION,
        "licence": "CC-BY 4.0 (data, per the repository README; its LICENSE file is the GPL-3.0 text, "
                   "which covers the code)",
        "source_file": args.xlsx.name,
        "source_sha256": hashlib.sha256(args.xlsx.read_bytes()).hexdigest(),
        "builder": "scripts/build_gippet.py",
        "columns": {ours: theirs for ours, (theirs, _) in COLUMNS.items()},
        "rows": len(table),
        "changes": "selected columns; names lower-cased with spaces; R name lists split on ';'; "
                   "numbers rounded to 4 decimals",
    }
    (args.out / "gippet_meta.json").write_text(json.dumps(meta, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {len(table)} rows ({path.stat().st_size / 1024:.0f} KiB) to {path}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
