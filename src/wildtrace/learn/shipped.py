"""The text model that ships inside the package (``data/model/``), and the scanner that uses it.

Trained by ``scripts/train_shipped_model.py`` on the self-generated listings of
``learn/synthetic.py`` (the project's own vocabulary in the eight languages; no real listing);
its ``model.json`` records the training data hash, the rules it was combined with and its
validation figures (out-of-fold over whole frames of synthetic text: not a measure of quality on
real text; docs/evaluation.md has those).

Which model a scan uses is one setting, ``text_model`` (``WILDTRACE_TEXT_MODEL``): ``shipped``
(the default), ``none`` (the rules alone) or a folder written by ``wildtrace train``. The CLI,
the workbench API and the demo build their scanner with ``scanner(settings)``; the library's
``Scanner()`` is the rules alone unless given a scorer.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from wildtrace.errors import ConfigError
from wildtrace.learn.combine import TextModelScorer
from wildtrace.learn.model import ModelError
from wildtrace.scan.scanner import Scanner
from wildtrace.settings import PACKAGE_DATA, Settings

MODEL_DIR: Path = PACKAGE_DATA / "model"
SHIPPED = "shipped"
NONE = "none"


def scorer(choice: str = SHIPPED) -> TextModelScorer | None:
    """The scorer for a ``text_model`` value.

    A folder that is not a usable model is the user's mistake (``ConfigError``, exit 2); a broken
    shipped model is a broken install (``ModelError``).
    """
    if choice == NONE:
        return None
    if choice == SHIPPED:
        return TextModelScorer.load(MODEL_DIR)
    try:
        return TextModelScorer.load(Path(choice))
    except ModelError as exc:
        raise ConfigError(f"text model {choice!r}: {exc}; use {SHIPPED}, {NONE} or a folder written by "
                          "wildtrace train") from exc


def scanner(settings: Settings, **kwargs: Any) -> Scanner:
    """A scanner with the text model the settings name (``Scanner`` keyword arguments pass through)."""
    return Scanner(settings, scorer=scorer(settings.text_model), **kwargs)
