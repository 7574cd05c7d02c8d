"""Reader for the Stringham et al. (2021) pet-bird ad file used as the real-data benchmark.

Stringham O.C. et al. (2021) Text classification to streamline online wildlife
trade analyses. PLOS ONE 16(7): e0254007. MIT licence. Columns:
``classifieds_unique_listing_id, text_stop_stem, label1`` (poultry),
``label2`` (junk: not a bird for sale), ``label3`` (wanted). The text is already
stop-worded and stemmed; ``NA`` labels are left out. The file has no seller or
user column. Most lines are UTF-8; a few are Latin-1, decoded as such.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

from wildtrace.errors import DataError
from wildtrace.scan.listing import Listing

LABEL_COLUMNS = ("label1", "label2", "label3")


def read(path: Path, label: str = "label2") -> tuple[list[Listing], dict[str, int]]:
    """Listings (text only) and the 0/1 target of ``label`` for rows where it is not NA."""
    if label not in LABEL_COLUMNS:
        raise DataError(f"label must be one of {', '.join(LABEL_COLUMNS)}")
    lines = []
    for raw in path.read_bytes().splitlines():
        try:
            lines.append(raw.decode("utf-8"))
        except UnicodeDecodeError:
            lines.append(raw.decode("latin-1"))
    listings: list[Listing] = []
    targets: dict[str, int] = {}
    for row in csv.DictReader(io.StringIO("\n".join(lines))):
        value = (row.get(label) or "").strip()
        if value not in ("0", "1"):
            continue
        listing_id = row["classifieds_unique_listing_id"]
        listings.append(Listing(id=listing_id, text=row["text_stop_stem"], lang="en",
                                input_sha256=listing_id))
        targets[listing_id] = int(value)
    return listings, targets
