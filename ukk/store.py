"""The UKK store: one SQLite connection behind a lock, institutions, time and hashing helpers."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from ingest.models import now_iso

from . import db
from .errors import InvalidInput, NotFound

T = TypeVar("T")


class UkkStore:
    """Everything users write: one database file; every operation is one short transaction under one lock.

    One lock rather than a connection per thread: SQLite serialises writers anyway, and a shared
    connection must never interleave two threads' statements inside one transaction.
    """

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._conn = db.connect(self.path)
        self._lock = threading.RLock()

    def close(self) -> None:
        """Close the connection."""
        with self._lock:
            self._conn.close()

    def read(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        """Run a read under the lock."""
        with self._lock:
            return fn(self._conn)

    def write(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        """Run ``fn`` in one write transaction (all of it is stored, or none)."""
        with self._lock, db.transaction(self._conn):
            return fn(self._conn)

    def backup(self, target: Path) -> Path:
        """A consistent copy of the database at ``target`` (SQLite's backup API; serving goes on)."""
        with self._lock:
            return db.backup(self._conn, target)

    # ---- institutions (koulutuksen järjestäjät) --------------------------------------------------
    def add_institution(self, institution_id: str, name: str) -> None:
        """Add an institution, or rename it when its id exists."""
        if not institution_id.strip() or not name.strip():
            raise InvalidInput("institution id and name (koulutuksen järjestäjä) must not be empty", "institution")

        def run(conn: sqlite3.Connection) -> None:
            conn.execute(
                "INSERT INTO institution(id, name, created_at) VALUES (?, ?, ?) "
                "ON CONFLICT(id) DO UPDATE SET name = excluded.name",
                (institution_id.strip(), name.strip(), now_iso()),
            )

        self.write(run)

    def institution_name(self, institution_id: str) -> str:
        """The institution's name; NotFound for an unknown id."""
        row = self.read(lambda c: c.execute("SELECT name FROM institution WHERE id = ?", (institution_id,)).fetchone())
        if row is None:
            raise NotFound(f"no institution {institution_id!r}", "institution")
        return str(row["name"])

    def institutions(self) -> list[tuple[str, str]]:
        """(id, name) of every institution."""
        rows = self.read(lambda c: c.execute("SELECT id, name FROM institution ORDER BY id").fetchall())
        return [(r["id"], r["name"]) for r in rows]
