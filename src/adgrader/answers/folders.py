"""The folders answer processes work in: made fresh for each submission, and removed
afterwards whatever the submission left in them.

An answer process may write anything in its own folder, so removal assumes the worst:
a chain of folders thousands deep (`shutil.rmtree` recurses once per level, and the
RecursionError it raised at 1000 levels came out of `check` as a traceback), links to
anywhere (never followed), folders made without read or write permission for their
owner. `remove_tree` walks with one open folder at a time and an explicit stack, and
never raises: what cannot be removed is left where it is.
"""

from __future__ import annotations

import contextlib
import os
import stat
import tempfile
from collections.abc import Iterator
from pathlib import Path

_DIR = os.O_RDONLY | os.O_DIRECTORY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)


@contextlib.contextmanager
def job_folder(prefix: str = "adgrader-") -> Iterator[Path]:
    """A new private folder for one submission's answer processes, removed on leaving."""
    path = Path(tempfile.mkdtemp(prefix=prefix))
    try:
        yield path
    finally:
        remove_tree(path)


def remove_tree(root: Path) -> bool:
    """Remove `root` and everything under it, however deep, without following links;
    whether it is gone. Call it only once nothing writes there any more."""
    try:
        fd = _open_dir(str(root), None)
    except OSError:
        return not os.path.lexists(root)
    names: list[str] = []  # the path from `root` to the folder `fd` is open on
    pending = [_empty(fd)]  # per level, the subfolders still to remove
    try:
        while pending:
            if pending[-1]:
                name = pending[-1].pop()
                try:
                    child = _open_dir(name, fd)
                except OSError:
                    continue  # left behind
                os.close(fd)
                fd = child
                names.append(name)
                pending.append(_empty(fd))
                continue
            pending.pop()
            if not names:
                break
            parent = os.open("..", _DIR, dir_fd=fd)  # its real parent: links are never followed
            os.close(fd)
            fd = parent
            with contextlib.suppress(OSError):
                os.rmdir(names.pop(), dir_fd=fd)
    except OSError:
        pass
    finally:
        os.close(fd)
    with contextlib.suppress(OSError):
        os.rmdir(root)
    return not os.path.lexists(root)


def _open_dir(name: str, dir_fd: int | None) -> int:
    """Open a folder (never through a link), giving its owner the rights to empty it."""
    try:
        fd = os.open(name, _DIR, dir_fd=dir_fd)
    except PermissionError:
        os.chmod(name, stat.S_IRWXU, dir_fd=dir_fd)
        fd = os.open(name, _DIR, dir_fd=dir_fd)
    with contextlib.suppress(OSError):
        if stat.S_IMODE(os.fstat(fd).st_mode) & stat.S_IRWXU != stat.S_IRWXU:
            os.chmod(fd, stat.S_IRWXU)
    return fd


def _empty(fd: int) -> list[str]:
    """Remove every entry of the folder open on `fd` but its subfolders; their names."""
    folders = []
    with contextlib.suppress(OSError), os.scandir(fd) as entries:
        for entry in entries:
            try:
                if entry.is_dir(follow_symlinks=False):
                    folders.append(entry.name)
                else:
                    os.unlink(entry.name, dir_fd=fd)
            except OSError:
                continue
    return folders
