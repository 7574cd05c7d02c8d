"""Derive the compact CITES code tables shipped in ``src/wildtrace/data/trade/``.

Reads ``../shared/data/cites_codes/`` (EcoHealth Alliance, MIT; UNEP-WCMC SAPI
code lists, BSD-3) and writes two small CSV files with a ``source`` column on
every row. Run: ``python scripts/build_trade_codes.py [SHARED_DIR]``.
"""

from __future__ import annotations

import csv
import sys
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_SHARED = ROOT.parent / "shared" / "data" / "cites_codes"
OUT = ROOT / "src" / "wildtrace" / "data" / "trade"

EHA = "EcoHealth Alliance cites package (MIT, (c) 2019 EcoHealth Alliance): cites_codes.tsv"
SAPI = "UNEP-WCMC Species+/SAPI code lists (BSD-3, (c) 2013 UNEP-WCMC): {name}"
PARTIES = "EcoHealth Alliance cites package (MIT): cites_parties.tsv, after {src}"


def _rows(path: Path, delimiter: str = ",") -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh, delimiter=delimiter))


def build(shared: Path, out: Path) -> tuple[int, int]:
    today = date.today().isoformat()
    codes: dict[tuple[str, str], dict[str, str]] = {}
    for row in _rows(shared / "cites_codes.tsv", "\t"):
        key = (row["field"].lower(), row["code"].strip())
        codes[key] = {"field": key[0], "code": key[1], "description": row["description"].strip(),
                      "source": EHA, "verified_on": today}
    for field, name, code_col, desc_col in (
        ("purpose", "sapi_purpose_codes.csv", "Purpose_code", "English_Purpose_Name"),
        ("source", "sapi_source_codes.csv", "Source_code", "Source_English_Name"),
        ("term", "sapi_term_codes.csv", "Term_code", "English_Term_Name"),
        ("unit", "sapi_unit_codes.csv", "Unit_code", "English_Unit_Name"),
    ):
        for row in _rows(shared / name):
            code = row[code_col].strip()
            if not code:
                continue
            key = (field, code)
            # the English, French and Spanish names, as trade files spell them (terms and units)
            names = [v.strip() for k, v in row.items() if k != code_col and k.lower().endswith("_name") and v.strip()]
            if key in codes:  # keep the short SAPI label, credit both
                codes[key]["description"] = row[desc_col].strip()
                codes[key]["source"] = codes[key]["source"] + "; " + SAPI.format(name=name)
            else:
                codes[key] = {"field": field, "code": code, "description": row[desc_col].strip(),
                              "source": SAPI.format(name=name), "verified_on": today}
            if field in ("term", "unit"):
                codes[key]["names"] = " | ".join(dict.fromkeys(names))
    out.mkdir(parents=True, exist_ok=True)
    with (out / "codes.csv").open("w", encoding="utf-8", newline="") as fh:
        w = csv.DictWriter(fh, ["field", "code", "description", "names", "source", "verified_on"])
        w.writeheader()
        for key in sorted(codes):
            w.writerow(codes[key])
    parties = []
    for row in _rows(shared / "cites_parties.tsv", "\t"):
        parties.append({
            "code": row["code"].strip(), "name": row["country"].strip(),
            "former_code": row["former_code"].strip().lower() == "true",
            "non_iso": row["non_ISO_code"].strip().lower() == "true",
            "joined": "" if row["date"] in ("NA", "") else row["date"],
            "source": PARTIES.format(src=row["data_source"].strip()), "verified_on": today,
        })
    with (out / "parties.csv").open("w", encoding="utf-8", newline="") as fh:
        w = csv.DictWriter(fh, ["code", "name", "former_code", "non_iso", "joined", "source", "verified_on"])
        w.writeheader()
        w.writerows(sorted(parties, key=lambda r: (str(r["code"]), str(r["name"]))))
    return len(codes), len(parties)


def main() -> None:
    shared = Path(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT_SHARED
    n_codes, n_parties = build(shared, OUT)
    print(f"wrote {n_codes} codes and {n_parties} parties to {OUT}")


if __name__ == "__main__":
    main()
