"""Index generations: numbered directories under one index root, a pointer file naming the current one.

Layout of an index root::

    DIR/CURRENT                 "gen-000007\n", replaced atomically (write, fsync, rename)
    DIR/gen-000007/             manifest.json, vectors.faiss, chunks.jsonl, documents.json, changes.json, …
    DIR/gen-000006/             an older generation, kept for rollback (`lahde rollback`) until pruned
    DIR/.building-gen-000008-*  a generation being written; removed by the next run if the writer died
    DIR/embeddings.sqlite       the embedding cache, shared by every generation
    DIR/reindex.lock            flock'd by the one re-index allowed at a time

A reader resolves CURRENT once and loads that directory whole; a writer never touches a directory
that CURRENT names, so a reader can never see half a generation.
"""

from __future__ import annotations

import errno
import fcntl
import logging
import os
import re
import shutil
from datetime import datetime, timezone
from pathlib import Path

from .errors import GenerationNotFoundError, ReindexBusyError
from .files import fsync_dir, make_dir, write_file_durably

logger = logging.getLogger(__name__)

POINTER = "CURRENT"
LOCK = "reindex.lock"
CACHE = "embeddings.sqlite"
BUILDING_PREFIX = ".building-"
ACTIVATED = "activated_at"
_GEN_RE = re.compile(r"^gen-(\d{6,})$")


def generation_name(number: int) -> str:
    """``7`` → ``gen-000007``."""
    return f"gen-{number:06d}"


def generation_number(name: str) -> int | None:
    """``gen-000007`` → 7; None for names that are not generations."""
    m = _GEN_RE.match(name)
    return int(m.group(1)) if m else None


def parse_generation(value: str) -> str:
    """Accept ``7``, ``000007`` or ``gen-000007`` and return the generation's directory name."""
    value = value.strip()
    if value.isdigit():
        return generation_name(int(value))
    if generation_number(value) is not None:
        return value
    raise GenerationNotFoundError(f"{value!r} is not a generation (expected e.g. 7 or gen-000007)")


class IndexRoot:
    """The directory that holds an index's generations, pointer, cache and lock."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)

    @property
    def pointer(self) -> Path:
        """The file naming the current generation."""
        return self.path / POINTER

    @property
    def cache_path(self) -> Path:
        """The embedding cache kept with the index."""
        return self.path / CACHE

    def is_generational(self) -> bool:
        """True when the root holds a pointer (as opposed to a legacy single-directory index)."""
        return self.pointer.is_file()

    def current_name(self) -> str | None:
        """Name of the current generation, or None when there is none yet."""
        try:
            name = self.pointer.read_text(encoding="utf-8").strip()
        except FileNotFoundError:
            return None
        return name or None

    def current_dir(self) -> Path | None:
        """Directory of the current generation, or None."""
        name = self.current_name()
        return self.path / name if name else None

    def generations(self) -> list[str]:
        """Complete generation directories, oldest first."""
        if not self.path.is_dir():
            return []
        names = [p.name for p in self.path.iterdir() if p.is_dir() and generation_number(p.name) is not None]
        return sorted(names, key=lambda n: generation_number(n) or 0)

    def generation_dir(self, name: str) -> Path:
        """Directory of a named generation; raises when it does not exist."""
        path = self.path / parse_generation(name)
        if not path.is_dir():
            have = ", ".join(self.generations()) or "none"
            raise GenerationNotFoundError(f"generation {name} not found under {self.path} (have: {have})")
        return path

    def next_number(self) -> int:
        """One more than any generation ever seen here, finished or not."""
        numbers = [generation_number(n) or 0 for n in self.generations()]
        for p in self.path.glob(f"{BUILDING_PREFIX}gen-*"):
            m = re.match(rf"^{re.escape(BUILDING_PREFIX)}gen-(\d+)", p.name)
            if m:
                numbers.append(int(m.group(1)))
        return max(numbers, default=0) + 1

    def staging_dir(self, number: int) -> Path:
        """Create the hidden directory a generation is written into."""
        make_dir(self.path)
        path = self.path / f"{BUILDING_PREFIX}{generation_name(number)}-{os.getpid()}"
        make_dir(path)
        return path

    def publish(self, staging: Path, number: int) -> Path:
        """Rename a finished staging directory to its generation name and point CURRENT at it."""
        for f in staging.iterdir():
            if f.is_file():
                with open(f, "rb") as fh:
                    os.fsync(fh.fileno())
        fsync_dir(staging)
        final = self.path / generation_name(number)
        os.replace(staging, final)
        fsync_dir(self.path)
        checkpoint("renamed")
        self.switch(final.name)
        return final

    def switch(self, name: str) -> None:
        """Point CURRENT at a generation: write a temporary file, fsync, rename over the pointer."""
        if not (self.path / name).is_dir():
            raise GenerationNotFoundError(f"cannot switch to {name}: no such generation under {self.path}")
        tmp = self.path / f".{POINTER}.{os.getpid()}.tmp"
        write_file_durably(tmp, f"{name}\n".encode("utf-8"))
        os.replace(tmp, self.pointer)
        fsync_dir(self.path)
        # Marks the generation as having served, so recovery never mistakes it for an unfinished
        # one after a rollback makes an older generation current again.
        write_file_durably(
            self.path / name / ACTIVATED, datetime.now(timezone.utc).isoformat(timespec="seconds").encode()
        )
        logger.info("index %s now serves generation %s", self.path, name)

    def rollback(self, to: str | None = None) -> str:
        """Point CURRENT back at ``to`` (default: the newest generation older than the current one)."""
        current = generation_number(self.current_name() or "")
        if to is not None:
            target = parse_generation(to)
            self.generation_dir(target)
        else:
            older = [n for n in self.generations() if current is not None and (generation_number(n) or 0) < current]
            if not older:
                raise GenerationNotFoundError(f"no generation older than {self.current_name()} under {self.path}")
            target = older[-1]
        self.switch(target)
        return target

    def recover(self) -> list[str]:
        """Remove what a killed writer left behind: staging dirs, pointer temp files, unpublished generations."""
        removed: list[str] = []
        if not self.path.is_dir():
            return removed
        current = generation_number(self.current_name() or "") or 0
        for p in self.path.iterdir():
            stale = p.name.startswith(BUILDING_PREFIX) or (
                p.name.startswith(f".{POINTER}.") and p.name.endswith(".tmp")
            )
            number = generation_number(p.name)
            # A complete directory newer than CURRENT was renamed but never switched to: the run
            # that wrote it died before finishing, so it never served and its report never printed.
            if number is not None and number > current and not (p / ACTIVATED).exists():
                stale = True
            if stale:
                if p.is_dir():
                    shutil.rmtree(p, ignore_errors=True)
                else:
                    p.unlink(missing_ok=True)
                removed.append(p.name)
        if removed:
            logger.warning("recovered index %s: removed unfinished %s", self.path, ", ".join(sorted(removed)))
        return removed

    def prune(self, keep: int) -> list[str]:
        """Delete all but the newest ``keep`` generations (never the current one)."""
        keep = max(1, keep)
        current = self.current_name()
        names = self.generations()
        doomed = [n for n in names[: max(0, len(names) - keep)] if n != current]
        for name in doomed:
            shutil.rmtree(self.path / name, ignore_errors=True)
        if doomed:
            logger.info("pruned generations %s", ", ".join(doomed))
        return doomed


def resolve_index_dir(path: str | Path) -> Path:
    """The directory holding manifest.json for ``path``: its current generation, or itself (legacy)."""
    root = IndexRoot(path)
    current = root.current_dir()
    return current if current is not None else Path(path)


class ReindexLock:
    """An exclusive flock on DIR/reindex.lock; the kernel drops it when the holder dies (even SIGKILL)."""

    def __init__(self, root: str | Path) -> None:
        self.path = Path(root) / LOCK
        self._fd: int | None = None

    def acquire(self, *, wait: bool = False) -> "ReindexLock":
        """Take the lock; without ``wait`` raise ReindexBusyError at once when another process holds it."""
        make_dir(self.path.parent)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB))
        except OSError as exc:
            os.close(fd)
            if exc.errno in (errno.EWOULDBLOCK, errno.EAGAIN, errno.EACCES):
                holder = self._holder()
                raise ReindexBusyError(
                    f"another re-index of {self.path.parent} is running{holder}; wait for it to finish "
                    f"(`lahde reindex --wait` waits) or check its status"
                ) from exc
            raise
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode())
        self._fd = fd
        return self

    def _holder(self) -> str:
        try:
            pid = self.path.read_text(encoding="utf-8").strip()
        except OSError:
            return ""
        return f" (process {pid})" if pid else ""

    def release(self) -> None:
        """Drop the lock."""
        if self._fd is not None:
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None

    @property
    def held(self) -> bool:
        """True while this object holds the lock."""
        return self._fd is not None

    def __enter__(self) -> "ReindexLock":
        if not self.held:
            self.acquire()
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()


#: Name of the environment variable that makes a re-index kill itself at a named point (crash tests).
KILL_AT_ENV = "LAHDE_TEST_KILL_AT"


def checkpoint(stage: str) -> None:
    """Crash-test hook: SIGKILL this process at ``stage`` when LAHDE_TEST_KILL_AT names it."""
    if os.environ.get(KILL_AT_ENV) == stage:
        import signal

        logger.warning("test hook: killing myself at %s", stage)
        os.kill(os.getpid(), signal.SIGKILL)
