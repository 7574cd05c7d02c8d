"""The demo marketplace's catalogue: the bundled synthetic demo listings and their images, and
where each lives on the demo site.

The listings file (``data/demo_listings.jsonl``) gives every listing a URL on the default origin
(:data:`DEFAULT_ORIGIN`, the port after the workbench's default 8150); :func:`rebase` moves them to
the origin a site was started on. Images are named in the file as the data folder will hold them
(``demo-images/d04.png``: ``wildtrace serve --demo`` copies ``data/demo/*`` there) and are served
by the site under ``/images/<name>``.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path, PurePosixPath
from typing import Any
from urllib.parse import quote

import orjson

from wildtrace import manifest
from wildtrace.errors import DataError

HOST = "127.0.0.1"
DEFAULT_PORT = 8151
DEFAULT_ORIGIN = f"http://{HOST}:{DEFAULT_PORT}"
#: the folder under the data folder that the listings' ``images`` name
IMAGES_FOLDER = "demo-images"


def listing_path(listing_id: str) -> str:
    """The path of a listing's page on the site."""
    return f"/listing/{quote(listing_id, safe='')}"


def image_path(name: str) -> str:
    return f"/images/{quote(name, safe='')}"


@cache
def records() -> tuple[dict[str, Any], ...]:
    """The demo listings as written in the file (on :data:`DEFAULT_ORIGIN`)."""
    out = []
    with open(manifest.path("demo_listings"), "rb") as fh:
        for number, line in enumerate(fh, 1):
            if line.strip():
                try:
                    out.append(orjson.loads(line))
                except orjson.JSONDecodeError as exc:
                    raise DataError(f"demo_listings.jsonl line {number}: {exc}") from exc
    return tuple(out)


def rebase(record: dict[str, Any], origin: str) -> dict[str, Any]:
    """The record with its URL on ``origin`` (``http://127.0.0.1:PORT``) instead of the default."""
    url = record.get("url")
    if origin == DEFAULT_ORIGIN or not isinstance(url, str) or not url.startswith(DEFAULT_ORIGIN + "/"):
        return record
    return {**record, "url": origin + url[len(DEFAULT_ORIGIN):]}


def image_name(ref: str) -> str | None:
    """The file name of an image ref of a demo listing (``demo-images/d04.png`` -> ``d04.png``)."""
    path = PurePosixPath(ref)
    return path.name if path.parent == PurePosixPath(IMAGES_FOLDER) else None


@cache
def image_files() -> dict[str, Path]:
    """Image file name -> the bundled file (``data/demo/``)."""
    return {p.name: p for p in manifest.paths("demo_images")}
