"""How training and evaluation keep related listings apart: by seller, unless told otherwise.

One seller's listings look alike (the same words, the same photos, the same contact), so a model
validated on a seller it was trained on looks better than it is. ``wildtrace train``,
``wildtrace evaluate`` and the workbench's retraining therefore group by ``seller`` by default;
where no labelled listing has a seller, they fall back to near-duplicate groups (one seller's
lightly edited copies end up together) and say so in one line. ``none`` turns grouping off (each
listing its own group); any other listing column (``platform``…) or ``near-duplicates`` may be named.
"""

from __future__ import annotations

from wildtrace.learn import dataset
from wildtrace.learn.dataset import Dataset

DEFAULT = "seller"
NONE = "none"
NEAR = ("near-duplicates", "neardup")
NEAR_NAME = NEAR[0]


def column(requested: str | None) -> str | None:
    """What ``sources.assemble`` takes as ``group_by`` for a ``--group-by`` value (None: default)."""
    choice = (requested or DEFAULT).strip()
    return None if choice.lower() == NONE else choice


def settle(ds: Dataset, requested: str | None) -> tuple[str, str | None]:
    """The grouping ``ds`` ends up with, and a one-line note when it had to fall back.

    ``ds`` was built with ``column(requested)``: a column none of its listings has left every
    listing its own group; then near-duplicate groups replace them (``ds.groups``, in place).
    """
    group_by = column(requested)
    if group_by is None:
        return NONE, None
    if group_by in NEAR:
        return NEAR_NAME, None
    if any(str(g).startswith(f"{group_by}:") for g in ds.groups.tolist()):
        return group_by, None
    ds.groups = dataset.near_duplicate_groups(ds.texts)
    return NEAR_NAME, (f"no labelled listing has a {group_by}: grouped by near-duplicates instead "
                       "(--group-by none turns grouping off)")
