"""Demo data for the workbench: the bundled synthetic listings (with their URLs on the loopback
demo marketplace, their images and their sellers' network) and a demo login.

``load_demo`` scans and stores the listings, copies their images into the data folder
(``DATA_DIR/demo-images/``, so listing pages show them as the server's own files) and stores the
seller network built from them, in which accounts on different platforms are linked by the
identifiers their sellers share (``seller_contact``: the contact a seller's profile gives, one of
the fields ``sellers.identifiers`` reads) and by
a re-posted photo. It is idempotent: the same content is neither stored nor built twice.

Where the listing URLs point: the demo store keeps the origin its listings were first loaded with
(:func:`demo_origin` reads it back), so a later ``serve --demo`` on another workbench port starts
the demo site where the stored URLs point instead of storing new versions of every listing.
"""

from __future__ import annotations

import io
import secrets
import shutil
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import orjson
import sqlalchemy as sa

from wildtrace import manifest, provenance
from wildtrace.demosite import catalogue
from wildtrace.errors import WildTraceError
from wildtrace.images import gallery
from wildtrace.pipeline import Sinks, ingest
from wildtrace.scan.readers import read_listings
from wildtrace.scan.result import ScanResult
from wildtrace.scan.scanner import Scanner
from wildtrace.sellers.judgements import JudgementStore
from wildtrace.sellers.network import NetworkBuilder, latest_network, save_network
from wildtrace.store import accounts as auth
from wildtrace.store.sql import SQLStore

DEMO_FILE = manifest.path("demo_listings")
DEMO_USER = "demo"
#: the demo listing whose stored URL says where the demo's listing URLs point
PROBE_ID = "d01"
NETWORK_SOURCE = "demo"


@dataclass(frozen=True)
class DemoLoad:
    """What ``load_demo`` did: listings scanned, the network's accounts and links, and the id of
    the stored network (a new one only when the listings or the judgements changed)."""

    listings: int
    accounts: int
    links: int
    linked_accounts: int
    network_id: int


def demo_origin(store: SQLStore, port: int | None = None, *, default_port: int = catalogue.DEFAULT_PORT) -> str:
    """The demo site's origin: ``port`` when given, else the one the stored demo listings point
    at (set when they were first loaded), else ``default_port``."""
    if port is None:
        stored = store.latest_result(PROBE_ID)
        url = ((stored or {}).get("listing") or {}).get("url")
        if isinstance(url, str):
            parts = urlsplit(url)
            if parts.scheme == "http" and parts.hostname == catalogue.HOST and parts.port:
                return f"http://{catalogue.HOST}:{parts.port}"
        port = default_port
    return f"http://{catalogue.HOST}:{port}"


def copy_images(data_dir: Path) -> Path:
    """Copy the demo images into ``DATA_DIR/demo-images`` (a file already there with the same
    bytes is left alone); returns the folder."""
    folder = data_dir / catalogue.IMAGES_FOLDER
    folder.mkdir(parents=True, exist_ok=True)
    for name, source in catalogue.image_files().items():
        target = folder / name
        if not target.is_file() or target.read_bytes() != source.read_bytes():
            partial = target.with_name(f".{name}.partial")
            shutil.copyfile(source, partial)
            partial.replace(target)
    return folder


def load_demo(store: SQLStore, scanner: Scanner, *, origin: str = catalogue.DEFAULT_ORIGIN) -> DemoLoad:
    """Scan and store the demo listings with their URLs on ``origin``, copy their images into the
    data folder and store their seller network (idempotent)."""
    data_dir = Path(scanner.settings.data_dir)
    copy_images(data_dir)
    lines = b"".join(orjson.dumps(catalogue.rebase(r, origin)) + b"\n" for r in catalogue.records())
    results: list[ScanResult] = []

    def save(batch: list[ScanResult]) -> None:
        store.save(batch)
        results.extend(batch)

    items = read_listings(io.BytesIO(lines), fmt="jsonl", max_field_chars=scanner.settings.max_field_chars,
                          max_record_bytes=scanner.settings.max_record_bytes)
    summary = ingest(items, scanner, Sinks(save=save, after_save=gallery.indexer(store.engine, data_dir)))
    network_id, net = _store_network(store.engine, results, data_dir)
    s = net["summary"]
    return DemoLoad(summary.scanned, int(s["accounts"]), int(s["links"]), int(s["linked_accounts"]), network_id)


def _phashes(data_dir: Path, refs: Iterable[str]) -> list[int]:
    try:
        from wildtrace.images.fingerprint import fingerprint
    except WildTraceError:  # no Pillow/ImageHash (the investigations extra): no photo links
        return []
    out = []
    for ref in refs:
        path = data_dir / ref
        if catalogue.image_name(ref) is not None and path.is_file():
            try:
                out.append(fingerprint(path).phash)
            except WildTraceError:
                continue
    return out


def _store_network(engine: sa.Engine, results: list[ScanResult], data_dir: Path) -> tuple[int, dict[str, Any]]:
    """Build the demo listings' network and store it unless the latest stored one was built from
    the same results with the same judgements."""
    builder = NetworkBuilder()
    for result in results:
        record = result.to_dict()
        listing = record.get("listing") or {}
        builder.add_result(record, image_phashes=_phashes(data_dir, [str(x) for x in listing.get("images") or []]))
    with JudgementStore(engine) as judgements:
        in_force = judgements.current()
    net = builder.build(in_force).to_dict()
    built = net["provenance"]
    latest = latest_network(engine)
    judged = provenance.sha256_of(sorted(j.id for j in in_force.values()))
    if latest is not None and latest.provenance.get("source") == NETWORK_SOURCE \
            and latest.provenance.get("input_sha256") == built.get("input_sha256") \
            and latest.provenance.get("judgements_sha256") == judged:
        return latest.id, latest.to_dict()
    return save_network(engine, net, in_force, source=NETWORK_SOURCE), net


def demo_login(engine: sa.Engine) -> tuple[str, str]:
    """A fresh random password for the ``demo`` analyst (created if missing)."""
    password = secrets.token_urlsafe(9)
    auth.reset_user(engine, DEMO_USER, "analyst", password, actor="demo")
    return DEMO_USER, password

