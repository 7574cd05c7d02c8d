"""Scorers by name: the text model a scan combines with its rules, chosen by one setting.

``text_model`` (``WILDTRACE_TEXT_MODEL``, ``--model``, ``--rules-only``) names the scorer:
``none`` (the rules alone), ``shipped`` (the model inside the package, the default) or a folder
written by ``wildtrace train``. The names are entries of ``wildtrace.plugins.scorers`` (the one
extension mechanism), so the scan never imports the learning code itself, and a plugin can add a
scorer under a new name. ``Scanner`` resolves the setting through ``resolve``: the library, the
CLI, the API and the workbench build the same scanner from the same settings.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

from wildtrace import plugins

if TYPE_CHECKING:
    from wildtrace.scan.listing import Listing
    from wildtrace.scan.result import ScanResult
    from wildtrace.settings import Settings

NONE = "none"
SHIPPED = "shipped"
#: The registry entry that reads a model folder (any ``text_model`` that is not a registered name).
FOLDER = "folder"


class Scorer(Protocol):
    """Rescores results after the rules, a chunk at a time (``chunk`` listings)."""

    chunk: int

    def score(self, pairs: list[tuple[ScanResult, Listing]]) -> None:
        """Adjust each result in place (score, verdict, reasons, ``model`` stamp)."""


def no_scorer(settings: Settings, choice: str) -> None:
    """``none``: the rules alone."""
    return None


def resolve(settings: Settings) -> Scorer | None:
    """The scorer ``settings.text_model`` names: a registered name, else a model folder."""
    choice = settings.text_model or NONE
    names = plugins.scorers.names()
    factory = plugins.scorers.get(choice if choice in names and choice != FOLDER else FOLDER)
    scorer: Scorer | None = factory(settings, choice)
    return scorer
