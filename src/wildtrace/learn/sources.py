"""Where the learning commands get their data: listings and labels from files or from the store.

Listings come from a JSONL/CSV file or from the store (``scan --save``, the workbench);
labels from a label file or from the store's one labels table (imported files *and*
workbench labels), resolved by the conflict rule (``labels.resolve``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from wildtrace.errors import ConfigError, DataError, InvalidRecord
from wildtrace.learn import dataset
from wildtrace.learn import labels as lab
from wildtrace.learn.dataset import Dataset
from wildtrace.scan.listing import Listing, listing_from_record
from wildtrace.scan.readers import Reject, read_listing_file
from wildtrace.scan.scanner import Scanner
from wildtrace.settings import Settings
from wildtrace.store import Store, open_store


@dataclass
class Loaded:
    """What was read, and what had to be left out (for the adapter to report)."""

    listings: list[Listing] = field(default_factory=list)
    rejects: list[Reject] = field(default_factory=list)
    label_rejects: list[Reject] = field(default_factory=list)
    unknown: list[str] = field(default_factory=list)  # labelled ids not among the listings


def has_store(settings: Settings) -> bool:
    """A database to read: a server URL, or a SQLite file that exists."""
    target = settings.db_target
    return isinstance(target, str) or Path(target).is_file()


def store(settings: Settings) -> Store:
    return open_store(settings.db_target)


def stored_listings(settings: Settings) -> list[Listing]:
    """The newest version of every listing in the store (none when there is no database)."""
    if not has_store(settings):
        return []
    st = store(settings)
    try:
        records = st.latest_records()
    finally:
        st.close()
    out = []
    for record in records:
        try:
            out.append(listing_from_record(record, limits=settings.record_limits))
        except InvalidRecord:
            continue
    return out


def listings(settings: Settings, path: Path | None, loaded: Loaded) -> list[Listing]:
    if path is None:
        found = stored_listings(settings)
        if not found:
            raise ConfigError(f"no listings given and none saved in {settings.db_target}; "
                              "pass a LISTINGS file or run `wildtrace scan --save` first")
        loaded.listings = found
        return found
    loaded.listings, rejects = read_listing_file(path, settings)
    loaded.rejects.extend(rejects)
    return loaded.listings


def targets(settings: Settings, path: Path | None, loaded: Loaded) -> dict[str, int]:
    """Resolved labels (the conflict rule) as 1 = wildlife_offer, 0 = otherwise."""
    if path is not None:
        items = [item for _, item in lab.read_label_file(path, default_time="")]
        loaded.label_rejects.extend(x for x in items if isinstance(x, Reject))
        resolved = lab.resolve(x for x in items if isinstance(x, lab.Label))
    elif has_store(settings):
        st = store(settings)
        try:
            resolved = lab.resolve(lab.stored(st.engine))
        finally:
            st.close()
    else:
        resolved = {}
    if not resolved:
        raise DataError("no labels: import some with `wildtrace label import FILE`, label listings in "
                        "the workbench, or pass --labels")
    return {k: int(v.positive) for k, v in resolved.items()}


def labelled_ids(settings: Settings, path: Path | None) -> dict[str, int]:
    """Like ``targets``, but empty when there are no labels yet."""
    try:
        return targets(settings, path, Loaded())
    except DataError:
        return {}


def assemble(settings: Settings, listings_path: Path | None, labels_path: Path | None, *,
             group_by: str | None, rules: bool, progress: Callable[[], None] | None = None) -> tuple[Dataset, Loaded]:
    """The labelled data set ``train`` and ``evaluate`` use: listings x resolved labels, featurised."""
    loaded = Loaded()
    items = listings(settings, listings_path, loaded)
    ys = targets(settings, labels_path, loaded)
    detector = Scanner(settings, scorer=None).detector if rules else None
    near = group_by in ("near-duplicates", "neardup")
    ds, loaded.unknown = dataset.build(items, ys, group_by=None if near else group_by, detector=detector,
                                       progress=progress)
    if near:
        ds.groups = dataset.near_duplicate_groups(ds.texts)
    return ds, loaded


def import_labels(settings: Settings, file: Path, *, listings_path: Path | None,
                  unchecked: bool) -> lab.ImportReport:
    """``wildtrace label import``: check the ids (against a listings file or the store), then store."""
    known: set[str] | None = None
    if listings_path is not None:
        known = {x.id for x in read_listing_file(listings_path, settings)[0]}
    st = store(settings)
    try:
        if listings_path is None:
            known = st.listing_ids() or None
            if known is None and not unchecked:
                raise ConfigError("cannot check the label ids: no listings saved in the database; pass "
                                  "--listings FILE, or --unchecked to store them anyway")
        return lab.import_file(st.engine, file, known_ids=known)
    finally:
        st.close()


def resolved_labels(settings: Settings) -> list[lab.Resolved]:
    """Every labelled listing in the store after the conflict rule."""
    if not has_store(settings):
        return []
    st = store(settings)
    try:
        return list(lab.resolve(lab.stored(st.engine)).values())
    finally:
        st.close()
