"""The one extension mechanism: named registries of readers, writers, enrichers, exporters and commands.

The core registers its own built-ins at the end of this module, as ``"module:attribute"``
targets imported on first use (``register_lazy``), so that a registry can be listed
(``names()``) without importing what it holds: this keeps ``wildtrace --help`` fast. Code
can also register an object directly::

    from wildtrace.plugins import readers

    @readers.register("marketplace-x")
    def read_marketplace_x(stream, **options): ...
 Other packages add entries through the entry-point group
``wildtrace.<registry>`` (for example ``wildtrace.exporters``), loaded on first use; a
name already taken by a built-in is never replaced.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from importlib.metadata import entry_points
from typing import Any, Generic, TypeVar

from wildtrace.errors import ConfigError

T = TypeVar("T")


class Registry(Generic[T]):
    """Named entries of one kind; ``get`` imports a lazy entry on first use."""

    def __init__(self, kind: str):
        self.kind = kind
        self._entries: dict[str, T | str] = {}
        self._help: dict[str, str] = {}
        self._external_loaded = False

    def register(self, name: str, *, help: str = "") -> Callable[[T], T]:
        def add(obj: T) -> T:
            self._entries[name] = obj
            self._help.setdefault(name, help)
            return obj
        return add

    def register_lazy(self, name: str, target: str, *, help: str = "") -> None:
        """Register ``"module:attribute"``, imported when the entry is first asked for."""
        self._entries.setdefault(name, target)
        self._help[name] = help

    def _load_external(self) -> None:
        if self._external_loaded:
            return
        self._external_loaded = True
        for ep in entry_points(group=f"wildtrace.{self.kind}"):
            self._entries.setdefault(ep.name, ep.value)

    def names(self) -> list[str]:
        self._load_external()
        return list(self._entries)

    def help(self, name: str) -> str:
        return self._help.get(name, "")

    def get(self, name: str) -> T:
        self._load_external()
        if name not in self._entries:
            raise ConfigError(f"unknown {self.kind[:-1]} {name!r}; known: {', '.join(self._entries)}")
        entry = self._entries[name]
        if isinstance(entry, str):
            module, _, attr = entry.partition(":")
            loaded: T = getattr(importlib.import_module(module), attr)
            self._entries[name] = loaded
            return loaded
        return entry


#: ``(stream, *, max_field_chars, max_record_bytes, encoding, mapping) -> Iterator[Listing | Reject]``
readers: Registry[Callable[..., Any]] = Registry("readers")
#: ``(stream) -> writer`` with ``write(result)`` and ``close()``
writers: Registry[Callable[..., Any]] = Registry("writers")
#: ``(result) -> None``, adding facts to a ScanResult in place (the module may define ``warm()``)
enrichers: Registry[Callable[..., Any]] = Registry("enrichers")
#: ``(case, path) -> int`` writing one export format of a case
exporters: Registry[Callable[..., Any]] = Registry("exporters")
#: click commands and groups of the ``wildtrace`` command line
commands: Registry[Any] = Registry("commands")
#: ``(settings, choice) -> Scorer | None``: the text model a scan combines with its rules, by the
#: ``text_model`` setting (``none``, ``shipped``, ``workbench``: the model accepted in the workbench;
#: any other value is a folder, read by ``folder``)
scorers: Registry[Callable[..., Any]] = Registry("scorers")
#: ``(settings) -> (entries, code words, stamp)``: terms an analyst added, scanned beside the built-ins
lexicons: Registry[Callable[..., Any]] = Registry("lexicons")

# The built-ins.
for _name, _target in {"jsonl": "wildtrace.scan.readers:read_jsonl", "csv": "wildtrace.scan.readers:read_csv",
                       "json": "wildtrace.scan.formats:read_json", "xlsx": "wildtrace.scan.formats:read_xlsx"}.items():
    readers.register_lazy(_name, _target)
for _name, _target in {"jsonl": "wildtrace.scan.writers:JsonlWriter", "csv": "wildtrace.scan.writers:CsvWriter"}.items():
    writers.register_lazy(_name, _target)
enrichers.register_lazy("zoonotic", "wildtrace.zoonotic.profile:enrich")
for _name, _target in {"none": "wildtrace.scan.scorers:no_scorer", "shipped": "wildtrace.learn.shipped:shipped_scorer",
                       "folder": "wildtrace.learn.shipped:folder_scorer",
                       "workbench": "wildtrace.learn.workbench:workbench_scorer"}.items():
    scorers.register_lazy(_name, _target)
lexicons.register_lazy("local", "wildtrace.lexicons:local")
for _name, _target in {
    "ftm": "wildtrace.export.ftm:write", "gexf": "wildtrace.export.graph:write_gexf",
    "graphml": "wildtrace.export.graph:write_graphml", "csv": "wildtrace.export.graph:write_csv",
    "html": "wildtrace.export.report:write_html", "pdf": "wildtrace.export.report:write_pdf",
    "takedown": "wildtrace.export.takedown:write",
}.items():
    exporters.register_lazy(_name, _target)
