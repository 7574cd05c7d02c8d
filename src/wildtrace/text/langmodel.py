"""py3langid's classifier, decompressed once: the language model without 0.4 CPU-s at every start.

py3langid ships its model LZMA-compressed (4.5 MB, 68 MB unpacked); unpacking it was a fifth
of a one-listing scan. ``identifier`` keeps the model as the classifier uses it (restricted to
the languages asked for) in plain NumPy ``.npy`` files under a cache folder
(``Settings.refdata_cache_dir``), read back with ``allow_pickle=False``: numbers and strings only,
never code, so a damaged or foreign file can at worst be refused. The folder's name is the key:
the SHA-256 of the model file, py3langid's version and the languages. A file that is missing,
cut short or of another shape is rebuilt from the package's model, never used.
"""

from __future__ import annotations

import hashlib
import os
import shutil
from array import array
from pathlib import Path
from typing import Any

import numpy as np
import py3langid  # type: ignore[import-untyped]
from py3langid.langid import MODEL_DIR, MODEL_FILE, LanguageIdentifier  # type: ignore[import-untyped]

#: Bump when the files below change.
FORMAT = "langid-1"
_PARTS = ("ptc", "pc", "classes", "nextmove", "row", "output")


def identifier(langs: list[str], cache_dir: Path | None = None) -> Any:
    """A ``LanguageIdentifier`` restricted to ``langs`` (raw scores, as ``text.lang`` uses it);
    from ``cache_dir`` when a current copy is there (else built and the copy written)."""
    folder = cache_dir / f"langid-{_key(langs)[:32]}" if cache_dir is not None else None
    if folder is not None:
        found = _read(folder, langs)
        if found is not None:
            return found
    ident = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=False)
    ident.set_languages(langs)
    if folder is not None:
        _write(folder, ident)
    return ident


def _key(langs: list[str]) -> str:
    model = Path(MODEL_FILE) if Path(MODEL_FILE).is_absolute() else Path(MODEL_DIR) / MODEL_FILE
    parts = [FORMAT, str(getattr(py3langid, "__version__", "")), ",".join(langs),
             hashlib.sha256(model.read_bytes()).hexdigest()]
    return hashlib.sha256("\0".join(parts).encode()).hexdigest()


def _read(folder: Path, langs: list[str]) -> Any:
    try:
        # memory-mapped: the 39 MB transition table is paged in as the classifier walks it
        a = {name: np.load(folder / f"{name}.npy", allow_pickle=False, mmap_mode="r") for name in _PARTS}
        classes = [str(c) for c in a["classes"].tolist()]
        n = len(classes)
        if (sorted(classes) != sorted(langs) or a["ptc"].ndim != 2 or a["ptc"].shape[1] != n
                or a["pc"].shape != (n,) or a["row"].ndim != 1 or a["output"].shape != a["row"].shape
                or a["nextmove"].dtype != np.uint32 or a["row"].dtype != np.uint16):
            return None
        nextmove = memoryview(a["nextmove"]).cast("B").cast("I")  # indexed like array("I"), no copy
        return LanguageIdentifier(np.asarray(a["ptc"]), np.asarray(a["pc"]), classes, nextmove,
                                  a["output"].tolist(), norm_probs=False, tk_row=_to_array(a["row"], "H"))
    except Exception:  # noqa: BLE001 - a damaged or foreign copy is rebuilt, never used
        return None


def _to_array(values: Any, code: str) -> array[int]:
    out = array(code)
    out.frombytes(np.ascontiguousarray(values).tobytes())
    return out


def _write(folder: Path, ident: Any) -> None:
    """Write the copy into a fresh folder, then rename it into place (whole or not at all)."""
    tmp = folder.with_name(f".{folder.name}.{os.getpid()}.tmp")
    try:
        shutil.rmtree(tmp, ignore_errors=True)
        tmp.mkdir(parents=True)
        parts = {"ptc": np.ascontiguousarray(ident.nb_ptc), "pc": np.asarray(ident.nb_pc),
                 "classes": np.array(ident.nb_classes), "nextmove": np.frombuffer(ident.tk_nextmove, np.uint32),
                 "row": np.frombuffer(ident.tk_row, np.uint16), "output": np.array(ident.tk_output, np.int32)}
        for name, values in parts.items():
            np.save(tmp / f"{name}.npy", values, allow_pickle=False)
        shutil.rmtree(folder, ignore_errors=True)  # a damaged copy (a reader's mapped files stay readable)
        os.replace(tmp, folder)
    except OSError:  # a cache that cannot be written only costs the next start its unpacking
        pass
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
