"""Writing a file whole or not at all: the one way adgrader replaces a file's contents."""

from __future__ import annotations

import contextlib
import os
import stat
from pathlib import Path


def write_atomically(path: Path, data: bytes | str, durable: bool = True) -> None:
    """Replace `path` with `data` (a str is written as UTF-8) in one step.

    The data goes to a new temporary file beside `path`, is flushed to the disk (unless
    not `durable`: a cache entry lost to a power cut is only computed again) and then
    renamed over `path`, so a reader (or a crash) sees the old contents or the new
    ones, never a part. The temporary file is created with the usual permissions (the
    umask applies), as `path` itself would be. Raises OSError, with nothing left behind,
    for the caller to decide whether that matters.
    """
    import secrets  # here: most commands never write a file

    payload = data.encode("utf-8") if isinstance(data, str) else data
    partial = path.with_name(f".{path.name}.{secrets.token_hex(6)}.tmp")
    fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(payload)
            out.flush()
            if durable:
                os.fsync(out.fileno())
        os.replace(partial, path)
    except BaseException:
        with contextlib.suppress(OSError):
            partial.unlink()
        raise


def regular_file(path: str) -> bool:
    """Whether `path` is a regular file itself (not a link, FIFO or device)."""
    try:
        return stat.S_ISREG(os.lstat(path).st_mode)
    except OSError:
        return False
