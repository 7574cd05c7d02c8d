"""Writers: ScanResults to JSON Lines or CSV (registered by name in ``wildtrace.plugins.writers``)."""

from __future__ import annotations

import csv
import io
from typing import IO, Any

import orjson

from wildtrace.csvcell import safe_cell
from wildtrace.scan.listing import FIELDS
from wildtrace.scan.result import RESULT_FIELDS, ScanResult


class JsonlWriter:
    def __init__(self, stream: IO[bytes]):
        self.stream = stream

    def write(self, result: ScanResult) -> None:
        self.stream.write(orjson.dumps(result.to_dict()) + b"\n")

    def close(self) -> None:
        self.stream.flush()


#: The one CSV layout of results (``scan --format csv`` and the workbench export): the contract
#: fields flattened, the analyst's newest label (empty from a scan), then the listing's own fields.
CSV_COLUMNS = (
    "id", "verdict", "wildlife_score", "risk_score", "specimen", "intent", "taxa", "cites_appendices", "product_types", "lang",
    "reasons", "matches", "model", "input_sha256", "scanned_at", "label",
    *(f"listing_{f}" for f in FIELDS if f != "id"), "listing_extra",
)
def csv_row(result: ScanResult, label: str = "") -> list[str]:
    """One result in the CSV layout, every cell guarded."""
    listing = result.listing
    row: list[Any] = [
        result.id, result.verdict, result.wildlife_score, result.risk_score,
        result.specimen.get("value", ""), result.intent.get("value", ""),
        "; ".join(str(t.get("scientific_name", "")) for t in result.taxa),
        "; ".join(str(t.get("cites_appendix", "")) for t in result.taxa),
        "; ".join(result.product_types), result.lang, " | ".join(result.reasons),
        orjson.dumps([m.to_dict() for m in result.matches]).decode(),
        f"{result.model.get('name')} {result.model.get('version')}", result.input_sha256, result.scanned_at,
        label,
    ]
    for f in FIELDS[1:]:
        value = listing.get(f)
        row.append(" ".join(map(str, value)) if isinstance(value, list) else value)
    extra = {k: v for k, v in listing.items() if k not in FIELDS}
    row.append(orjson.dumps(extra).decode() if extra else "")
    return [safe_cell(v) for v in row]


class CsvWriter:
    def __init__(self, stream: IO[bytes]):
        self._text = io.TextIOWrapper(stream, encoding="utf-8", newline="", write_through=True)
        self._csv = csv.writer(self._text)
        self._csv.writerow(CSV_COLUMNS)

    def write(self, result: ScanResult) -> None:
        self._csv.writerow(csv_row(result))

    def close(self) -> None:
        self._text.flush()
        self._text.detach()

assert RESULT_FIELDS[0] == CSV_COLUMNS[0]
