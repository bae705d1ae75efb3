"""How the index stage writes files: whole or not at all, durably, and with explicit modes.

Every file of an index is written ``FILE_MODE`` (0644) and every directory ``DIR_MODE`` (0755)
whatever the writer's umask, so that a server running as another user than the builder can read
the index (docs/operations.md). Nothing an index holds is secret: the texts are public statutes
and the institution's own published guides; the embedding cache, which a server also writes,
lives beside the generations and follows the umask.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

FILE_MODE = 0o644
DIR_MODE = 0o755


def fsync_dir(path: Path) -> None:
    """Flush a directory entry so a rename inside it survives a power cut."""
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def write_atomic(path: Path, data: bytes, mode: int = FILE_MODE) -> None:
    """Write a file whole or not at all (temporary sibling, fsync, rename), with an explicit mode."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        os.fchmod(fd, mode)
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_file_durably(path: Path, data: bytes, mode: int = FILE_MODE) -> None:
    """Write a file and fsync it, with an explicit mode (inside a staging directory: no rename needed)."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    try:
        os.fchmod(fd, mode)  # O_CREAT's mode is filtered by the umask; fchmod is not
        with os.fdopen(fd, "wb") as fh:
            fd = -1
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
    finally:
        if fd >= 0:
            os.close(fd)


def make_dir(path: Path, mode: int = DIR_MODE) -> None:
    """Create a directory (and missing parents) with an explicit mode; an existing one is left as it is."""
    missing = []
    p = path
    while not p.exists():
        missing.append(p)
        p = p.parent
    for d in reversed(missing):
        d.mkdir(exist_ok=True)
        os.chmod(d, mode)


def set_tree_modes(directory: Path) -> None:
    """Give every file and directory under ``directory`` the index modes (after a library wrote them)."""
    os.chmod(directory, DIR_MODE)
    for p in directory.rglob("*"):
        os.chmod(p, DIR_MODE if p.is_dir() else FILE_MODE)
