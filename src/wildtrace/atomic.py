"""Writing a file whole or not at all: the one way WildTrace writes an output file.

``atomic_write(path)`` yields a binary file in the same folder under a hidden temporary name; when
the block ends without error the data is flushed, fsynced and renamed over ``path`` in one step, so a
reader (or a later scan) sees the old file or the new one, never half of one. On any error (a full
disk, Ctrl-C, a bad record that stops an export) the temporary file is removed and ``path`` is left
as it was. A full disk is said in one line (``DataError``), not a traceback.
"""

from __future__ import annotations

import errno
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO

from wildtrace.errors import DataError


@contextmanager
def atomic_write(path: Path | str) -> Iterator[IO[bytes]]:
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    try:
        with open(tmp, "wb") as fh:
            yield fh
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, target)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        if exc.errno in (errno.ENOSPC, errno.EDQUOT):
            raise DataError(f"cannot write {target}: the disk is full; nothing was written") from exc
        raise
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
