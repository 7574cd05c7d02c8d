"""The model the workbench scans with: the one an analyst accepted (``store.text_models``).

- ``active_scorer(engine)``: the accepted model as a scorer, or None when none is accepted;
- ``workbench_scorer``: the scorer registered as ``workbench`` in ``wildtrace.plugins.scorers``,
  so ``WILDTRACE_TEXT_MODEL=workbench`` makes ``wildtrace scan`` and the library use the model the
  workbench uses (the database of ``WILDTRACE_DB``); with none accepted, the rules alone;
- ``scanner_for(settings, engine)``: the workbench's scanner: the accepted model once there is
  one, else what ``settings.text_model`` names. Accepting a model is an analyst's explicit choice
  made after the server was configured, so it wins over the setting in the workbench.

Applying a model needs numpy only: this module never imports scikit-learn.
"""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa

from wildtrace.errors import ConfigError
from wildtrace.learn.combine import TextModelScorer
from wildtrace.learn.model import ModelError
from wildtrace.scan.scanner import Scanner
from wildtrace.settings import Settings
from wildtrace.store import open_store, text_models

NAME = "workbench"


def active_scorer(engine: sa.Engine) -> TextModelScorer | None:
    """The accepted model as a scorer; None when none is accepted. A folder that is gone or
    broken is a ``ConfigError`` naming the model (the workbench never scans with a stand-in)."""
    row = text_models.active(engine)
    if row is None:
        return None
    try:
        return TextModelScorer.load(Path(row["path"]))
    except ModelError as exc:
        raise ConfigError(f"the accepted model {row['id']} cannot be read: {exc}; accept another one "
                          "in the workbench (/models)") from exc


def workbench_scorer(settings: Settings, choice: str = NAME) -> TextModelScorer | None:
    """``text_model = workbench``: the model accepted in the database's workbench, else None."""
    target = settings.db_target
    if not isinstance(target, str) and not Path(target).is_file():
        return None  # no database yet: nothing was accepted (and none is made here)
    st = open_store(target)
    try:
        return active_scorer(st.engine)
    finally:
        st.close()


def scanner_for(settings: Settings, engine: sa.Engine) -> Scanner:
    """The workbench's scanner: the accepted model once there is one, else the setting's."""
    scorer = active_scorer(engine)
    return Scanner(settings, scorer=scorer) if scorer is not None else Scanner(settings)


def in_use(settings: Settings, engine: sa.Engine) -> str:
    """Which model the workbench scans with, in words (for the pages)."""
    row = text_models.active(engine)
    if row is not None:
        return f"{row['name']} {row['version']} (accepted by {row['accepted_by']} at {row['accepted_at']})"
    choice = settings.text_model or "none"
    if choice == "none":
        return "the rules alone (text_model none)"
    if choice == "shipped":
        return "the rules with the shipped text model (text_model shipped)"
    return f"the rules with text_model {choice}"
