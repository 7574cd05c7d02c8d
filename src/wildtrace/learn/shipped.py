"""The text model that ships inside the package (``data/model/``), as the scorers ``shipped`` and ``folder``.

Trained by ``scripts/train_shipped_model.py`` on the self-generated listings of
``learn/synthetic.py`` (the project's own vocabulary in the eight languages; no real listing);
its ``model.json`` records the training data hash, the rules it was combined with and its
validation figures (out-of-fold over whole frames of synthetic text: not a measure of quality on
real text; docs/evaluation.md has those).

Which model a scan uses is one setting, ``text_model`` (``WILDTRACE_TEXT_MODEL``): ``shipped``
(the default), ``none`` (the rules alone) or a folder written by ``wildtrace train``. The names
are entries of ``wildtrace.plugins.scorers``; ``Scanner(settings)`` resolves them
(``wildtrace.scan.scorers``), so the library, the CLI, the API and the demo give the same results.
Applying a model needs numpy and scipy only (no scikit-learn).
"""

from __future__ import annotations

from pathlib import Path

from wildtrace import manifest
from wildtrace.errors import ConfigError
from wildtrace.learn.combine import TextModelScorer
from wildtrace.learn.model import ModelError
from wildtrace.scan import scorers as scan_scorers
from wildtrace.scan.scorers import NONE, SHIPPED
from wildtrace.settings import Settings

MODEL_DIR: Path = manifest.folder("model")

__all__ = ["MODEL_DIR", "NONE", "SHIPPED", "folder_scorer", "scorer", "shipped_scorer"]


def shipped_scorer(settings: Settings | None = None, choice: str = SHIPPED) -> TextModelScorer:
    """``shipped``: the model inside the package (a broken one is a broken install: ``ModelError``)."""
    return TextModelScorer.load(MODEL_DIR)


def folder_scorer(settings: Settings | None, choice: str) -> TextModelScorer:
    """A folder written by ``wildtrace train``; one that is not a usable model is the user's mistake."""
    try:
        return TextModelScorer.load(Path(choice))
    except ModelError as exc:
        raise ConfigError(f"text model {choice!r}: {exc}; use {SHIPPED}, {NONE} or a folder written by "
                          "wildtrace train") from exc


def scorer(choice: str = SHIPPED) -> TextModelScorer | None:
    """The scorer for a ``text_model`` value (``none`` gives None), resolved as the scanner does."""
    found = scan_scorers.resolve(Settings(text_model=choice))
    assert found is None or isinstance(found, TextModelScorer)
    return found
