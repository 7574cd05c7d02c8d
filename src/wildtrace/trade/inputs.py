"""The input files of a trade load: globs expanded, folders walked, zips and ``.gz``/``.bz2``
files unpacked to a work folder (with a size cap against zip bombs), names that DuckDB would
read as globs reached through a plain link, and each file's SHA-256.

Nothing here reads a row: it yields local files for ``load.load_file`` (and, for a file whose
line ends DuckDB cannot read, a copy with one kind of line end: ``unify_line_ends``).
"""

from __future__ import annotations

import bz2
import glob
import gzip
import io
import tempfile
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from wildtrace.errors import ConfigError, DataError

#: A zip member may unpack to at most this many bytes (a zip bomb is refused, not unpacked).
MAX_UNZIPPED_BYTES = 4 << 30
#: A physical line longer than this is no trade record; DuckDB drops such a line without a word
#: (33 MB and more), so the load finds them first and rejects them by line number.
MAX_LINE_BYTES = 1 << 20
#: DuckDB reads a path with these characters as a glob; such a file is read through a plain link.
GLOB_CHARS = set("*?[]{}")

#: (path as given, zip member or None, the local file, or the reason it was refused)
Input = tuple[str, str | None, Path | str]


def expand_globs(patterns: Iterable[str]) -> list[Path]:
    """The files each pattern matches, sorted (``--glob``); a pattern that matches nothing is an
    error, so a typo is not a silent empty load."""
    out: list[Path] = []
    for pattern in patterns:
        found = sorted(Path(p) for p in glob.glob(pattern, recursive=True) if Path(p).is_file())
        if not found:
            raise ConfigError(f"--glob {pattern!r} matches no file")
        out.extend(p for p in found if p not in out)
    return out


def files(paths: list[Path]) -> list[Path]:
    """The files named, folders walked (sorted): what the progress hook counts bytes of."""
    out: list[Path] = []
    for p in paths:
        out.extend(sorted(q for q in p.rglob("*") if q.is_file()) if p.is_dir() else [p])
    return out


def _unpack(src: io.BufferedIOBase | gzip.GzipFile | bz2.BZ2File, target: Path, cap: int) -> str | None:
    """Copy a decompressing stream to ``target``; the reason instead when it passes the cap
    (the archive's own size field may lie)."""
    written = 0
    with target.open("wb") as dst:
        for block in iter(lambda: src.read(1 << 20), b""):
            written += len(block)
            if written > cap:
                break
            dst.write(block)
    if written > cap:
        target.unlink()
        return f"unpacks to more than {cap:,} bytes (the archive says less); refused"
    return None


def iter_inputs(paths: list[Path], workdir: Path, *, cap: int = MAX_UNZIPPED_BYTES) -> Iterator[Input]:
    """Yield (path, zip member or None, local file) for files, folders, zips and ``.gz``/``.bz2``
    files; instead of the local file, the reason when a member is refused (it would unpack past
    ``cap`` bytes)."""
    for path in paths:
        if path.is_dir():
            yield from iter_inputs(sorted(p for p in path.rglob("*") if p.is_file()), workdir, cap=cap)
        elif path.exists() and not path.is_file():  # /dev/zero, a pipe: it never ends
            yield str(path), None, "not a regular file (a device or a pipe); copy it to a file first"
        elif zipfile.is_zipfile(path):
            yield from _zip_members(path, workdir, cap)
        elif path.suffix.lower() in (".gz", ".bz2") and path.exists():
            target = workdir / "unpacked.csv"
            opener = gzip.open if path.suffix.lower() == ".gz" else bz2.open
            try:
                with opener(path, "rb") as src:
                    refused = _unpack(src, target, cap)  # type: ignore[arg-type]
            except (OSError, EOFError) as exc:
                yield str(path), None, f"not a readable {path.suffix} file: {exc}"
                continue
            yield str(path), None, refused or target
            if not refused:
                target.unlink()
        elif path.exists():
            if GLOB_CHARS & set(str(path)):
                link = Path(tempfile.mkdtemp(dir=workdir)) / "input.csv"  # a literal name DuckDB cannot glob
                link.symlink_to(path.resolve())
                yield str(path), None, link
                link.unlink()
                continue
            yield str(path), None, path
        else:
            raise DataError(f"no such file or folder: {path}")


def long_lines(path: Path, limit: int = MAX_LINE_BYTES) -> list[tuple[int, int, bytes]]:
    """(line number, length in bytes, its first 200 bytes) of each physical line longer than
    ``limit``: one streaming pass, vectorised (about a second per gigabyte)."""
    found: list[tuple[int, int, bytes]] = []
    line, start, offset = 1, 0, 0  # the current line's number and where it starts in the file
    head = b""
    with path.open("rb") as fh:
        while chunk := fh.read(16 << 20):
            if offset == start:
                head = chunk[:200]
            ends = np.flatnonzero(np.frombuffer(chunk, dtype=np.uint8) == 10) + offset
            if ends.size:
                starts = np.concatenate(([start], ends[:-1] + 1))
                for i in np.flatnonzero(ends - starts > limit):
                    first = head if i == 0 else chunk[starts[i] - offset:starts[i] - offset + 200]
                    found.append((line + int(i), int(ends[i] - starts[i]), bytes(first)))
                line += ends.size
                start = int(ends[-1]) + 1
                head = chunk[start - offset:start - offset + 200]
            offset += len(chunk)
    if offset - start > limit:
        found.append((line, offset - start, head))
    return found


def _zip_members(path: Path, workdir: Path, cap: int) -> Iterator[Input]:
    with zipfile.ZipFile(path) as zf:
        for n, info in enumerate(i for i in zf.infolist() if not i.is_dir()):
            target = workdir / f"member-{n}.csv"
            if info.file_size > cap:
                yield str(path), info.filename, (f"unpacks to {info.file_size:,} bytes, over the limit of "
                                                 f"{cap:,}; unzip it yourself if it is genuine")
                continue
            with zf.open(info) as src:
                refused = _unpack(src, target, cap)  # type: ignore[arg-type]
            if refused:
                yield str(path), info.filename, refused
                continue
            yield str(path), info.filename, target
            target.unlink()


@dataclass(frozen=True)
class LineEnds:
    """What ``unify_line_ends`` found: lines ending in CRLF, in LF alone, and the lines that hold
    a carriage return ending no line (line number, its first 200 bytes)."""

    crlf: int
    lf: int
    bare_cr: list[tuple[int, bytes]]


def unify_line_ends(src: Path, dst: Path) -> LineEnds:
    """Copy ``src`` to ``dst`` with every line ending in LF: a CRLF file with some lines ending in
    LF alone (or the other way round) is one DuckDB's reader refuses whole ("the CSV Parser
    state machine reached an invalid state"), so not one of its rows would load. A line holding
    a carriage return that ends no line cannot be read either way: it is left blank in the copy
    (DuckDB skips a blank line, and the lines keep their numbers) and listed, to be rejected.
    (A CRLF inside a quoted field becomes LF too: the copy is read only when the file itself
    cannot be.)"""
    crlf = lf = 0
    bare: list[tuple[int, bytes]] = []
    with src.open("rb") as fh, dst.open("wb") as out:
        for n, line in enumerate(fh, 1):
            ended = line.endswith(b"\n")
            body = line[:-1] if ended else line
            if body.endswith(b"\r"):
                body = body[:-1]
                crlf += ended
            else:
                lf += ended
            if b"\r" in body:
                bare.append((n, body[:200]))
                body = b""
            out.write(body + b"\n" if ended else body)
    return LineEnds(crlf, lf, bare)
