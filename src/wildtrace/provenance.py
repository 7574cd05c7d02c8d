"""The one provenance stamp on derived records: what made it, from what, when.

Every derived record that is not a ScanResult (whose ``model`` field is its stamp) carries
``stamp(...)``: the tool (``wildtrace.<package>.<noun>``) and the package version, the SHA-256
of its input, the time it was made (``wildtrace.clock``) and the parameters that shaped it. Callers
add fields of their own (a trade analysis adds its name; a network adds its counts) but never
rename these.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from wildtrace import __version__, clock

#: The keys every stamp has, in order.
FIELDS = ("tool", "version", "input_sha256", "generated_at", "params")


def stamp(tool: str, *, input_sha256: str = "", params: dict[str, Any] | None = None,
          **extra: Any) -> dict[str, Any]:
    """``{"tool": "wildtrace.<tool>", "version", "input_sha256", "generated_at", "params", **extra}``."""
    name = tool if tool.startswith("wildtrace") else f"wildtrace.{tool}"
    return {"tool": name, "version": __version__, "input_sha256": input_sha256,
            "generated_at": clock.stamp(), "params": dict(params or {}), **extra}


def sha256_file(path: Path | str) -> str:
    """SHA-256 of a file's bytes, read in 1 MiB blocks (the one file hash: evidence, trade
    inputs, patrol inputs and run files)."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def sha256_of(parts: Iterable[str | bytes]) -> str:
    """SHA-256 over ``parts`` in order, each followed by a newline (a stable input hash)."""
    digest = hashlib.sha256()
    for part in parts:
        digest.update(part.encode() if isinstance(part, str) else part)
        digest.update(b"\n")
    return digest.hexdigest()
