"""Writers: ScanResults to JSON Lines or CSV (registered by name in ``wildtrace.plugins.writers``)."""

from __future__ import annotations

import csv
import io
from typing import IO, Any

import orjson

from wildtrace.scan.listing import FIELDS
from wildtrace.scan.result import RESULT_FIELDS, ScanResult

# Spreadsheet programs run cells that start with these: neutralise them in CSV.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


class JsonlWriter:
    def __init__(self, stream: IO[bytes]):
        self.stream = stream

    def write(self, result: ScanResult) -> None:
        self.stream.write(orjson.dumps(result.to_dict()) + b"\n")

    def close(self) -> None:
        self.stream.flush()


#: CSV columns: the contract fields flattened, then the listing's own fields.
CSV_COLUMNS = (
    "id", "verdict", "wildlife_score", "risk_score", "taxa", "cites_appendices", "product_types", "lang",
    "reasons", "matches", "model", "input_sha256", "scanned_at",
    *(f"listing_{f}" for f in FIELDS if f != "id"), "listing_extra",
)


def safe_cell(value: Any) -> str:
    """A CSV cell that a spreadsheet shows as text, never runs as a formula."""
    text = "" if value is None else str(value)
    if text.startswith(_FORMULA_START):
        return "'" + text
    return text


class CsvWriter:
    def __init__(self, stream: IO[bytes]):
        self._text = io.TextIOWrapper(stream, encoding="utf-8", newline="", write_through=True)
        self._csv = csv.writer(self._text)
        self._csv.writerow(CSV_COLUMNS)

    def write(self, result: ScanResult) -> None:
        listing = result.listing
        row: list[Any] = [
            result.id, result.verdict, result.wildlife_score, result.risk_score,
            "; ".join(t["scientific_name"] for t in result.taxa),
            "; ".join(t["cites_appendix"] for t in result.taxa),
            "; ".join(result.product_types), result.lang, " | ".join(result.reasons),
            orjson.dumps([m.to_dict() for m in result.matches]).decode(),
            f"{result.model['name']} {result.model['version']}", result.input_sha256, result.scanned_at,
        ]
        for f in FIELDS[1:]:
            value = listing.get(f)
            row.append(" ".join(value) if isinstance(value, list) else value)
        extra = {k: v for k, v in listing.items() if k not in FIELDS}
        row.append(orjson.dumps(extra).decode() if extra else "")
        self._csv.writerow([safe_cell(v) for v in row])

    def close(self) -> None:
        self._text.flush()
        self._text.detach()

assert RESULT_FIELDS[0] == CSV_COLUMNS[0]
