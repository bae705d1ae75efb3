"""The UKK database: one SQLite file (WAL), versioned migrations, short transactions.

Everything users write lives here, apart from the index: a re-index or a rollback of the index
never touches this file. Migrations are numbered; ``PRAGMA user_version`` records the last applied.
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

logger = logging.getLogger(__name__)

MIGRATIONS: tuple[str, ...] = (
    # 1: institutions, users, sessions, API tokens, failed sign-ins
    """
    CREATE TABLE institution (
        id TEXT PRIMARY KEY,
        name TEXT NOT NULL,
        created_at TEXT NOT NULL
    );
    CREATE TABLE user (
        id INTEGER PRIMARY KEY,
        username TEXT NOT NULL UNIQUE COLLATE NOCASE,
        name TEXT NOT NULL,
        role TEXT NOT NULL CHECK (role IN ('lukija', 'valmentaja', 'yllapitaja')),
        institution_id TEXT NOT NULL REFERENCES institution(id),
        password_hash TEXT NOT NULL,
        disabled INTEGER NOT NULL DEFAULT 0,
        created_at TEXT NOT NULL
    );
    CREATE TABLE session (
        id_hash TEXT PRIMARY KEY,
        user_id INTEGER NOT NULL REFERENCES user(id),
        csrf TEXT NOT NULL,
        created_at TEXT NOT NULL,
        expires_at TEXT NOT NULL
    );
    CREATE TABLE api_token (
        id INTEGER PRIMARY KEY,
        token_hash TEXT NOT NULL UNIQUE,
        user_id INTEGER NOT NULL REFERENCES user(id),
        label TEXT NOT NULL,
        created_at TEXT NOT NULL,
        expires_at TEXT,
        revoked INTEGER NOT NULL DEFAULT 0
    );
    CREATE TABLE failed_login (
        key TEXT NOT NULL,
        at REAL NOT NULL
    );
    CREATE INDEX failed_login_key ON failed_login(key, at);
    """,
    # 2: entries, their citations and revisions, the checks after re-indexing
    """
    CREATE TABLE entry (
        id INTEGER PRIMARY KEY,
        institution_id TEXT NOT NULL REFERENCES institution(id),
        topic TEXT NOT NULL,
        question TEXT NOT NULL,
        answer TEXT NOT NULL,
        tags TEXT NOT NULL DEFAULT '[]',
        shared INTEGER NOT NULL DEFAULT 0,
        status TEXT NOT NULL CHECK (status IN ('luonnos', 'julkaistu', 'tarkistettava', 'arkistoitu')),
        version INTEGER NOT NULL DEFAULT 1,
        review_reasons TEXT NOT NULL DEFAULT '[]',
        created_by INTEGER NOT NULL REFERENCES user(id),
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL,
        published_at TEXT,
        verified_by INTEGER REFERENCES user(id),
        verified_at TEXT
    );
    CREATE INDEX entry_scope ON entry(institution_id, status);
    CREATE TABLE citation (
        entry_id INTEGER NOT NULL REFERENCES entry(id) ON DELETE CASCADE,
        n INTEGER NOT NULL,
        chunk_id TEXT NOT NULL,
        label TEXT NOT NULL,
        statute TEXT,
        section_key TEXT,
        quote TEXT NOT NULL,
        quote_hash TEXT NOT NULL,
        generation TEXT NOT NULL,
        lang TEXT NOT NULL DEFAULT 'fi',
        acts TEXT NOT NULL DEFAULT '[]',
        url TEXT,
        PRIMARY KEY (entry_id, n)
    );
    CREATE TABLE revision (
        id INTEGER PRIMARY KEY,
        entry_id INTEGER NOT NULL REFERENCES entry(id) ON DELETE CASCADE,
        version INTEGER NOT NULL,
        user_id INTEGER REFERENCES user(id),
        at TEXT NOT NULL,
        action TEXT NOT NULL,
        snapshot TEXT NOT NULL,
        note TEXT NOT NULL DEFAULT ''
    );
    CREATE INDEX revision_entry ON revision(entry_id, id);
    CREATE TABLE citation_check (
        id INTEGER PRIMARY KEY,
        generation TEXT NOT NULL,
        at TEXT NOT NULL,
        entry_id INTEGER NOT NULL REFERENCES entry(id) ON DELETE CASCADE,
        n INTEGER NOT NULL,
        reason TEXT NOT NULL,
        detail TEXT NOT NULL,
        diff TEXT NOT NULL DEFAULT ''
    );
    CREATE INDEX citation_check_generation ON citation_check(generation);
    """,
    # 3: the question channel (kysymykset), users' e-mail addresses, the audit log
    """
    ALTER TABLE user ADD COLUMN email TEXT;
    CREATE TABLE question (
        id INTEGER PRIMARY KEY,
        asker_institution TEXT NOT NULL REFERENCES institution(id),
        institution_id TEXT NOT NULL REFERENCES institution(id),
        asker_id INTEGER REFERENCES user(id),
        topic TEXT NOT NULL,
        text TEXT NOT NULL,
        status TEXT NOT NULL CHECK (status IN ('uusi', 'tyon_alla', 'vastattu', 'suljettu', 'peruttu')),
        claimed_by INTEGER REFERENCES user(id),
        entry_id INTEGER REFERENCES entry(id),
        from_existing INTEGER NOT NULL DEFAULT 0,
        version INTEGER NOT NULL DEFAULT 1,
        created_at TEXT NOT NULL,
        first_answered_at TEXT,
        answered_at TEXT,
        closed_at TEXT,
        anonymised_at TEXT
    );
    CREATE INDEX question_queue ON question(institution_id, status);
    CREATE INDEX question_asker ON question(asker_id);
    CREATE TABLE question_event (
        id INTEGER PRIMARY KEY,
        question_id INTEGER NOT NULL REFERENCES question(id) ON DELETE CASCADE,
        user_id INTEGER REFERENCES user(id),
        at TEXT NOT NULL,
        action TEXT NOT NULL,
        note TEXT NOT NULL DEFAULT ''
    );
    CREATE TABLE audit (
        id INTEGER PRIMARY KEY,
        at TEXT NOT NULL,
        user_id INTEGER REFERENCES user(id),
        action TEXT NOT NULL,
        object TEXT NOT NULL,
        detail TEXT NOT NULL DEFAULT ''
    );
    CREATE INDEX audit_object ON audit(object);
    """,
)


def connect(path: Path) -> sqlite3.Connection:
    """Open the database (creating it and applying migrations); WAL, foreign keys, a busy timeout."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(path, timeout=10.0, isolation_level=None, check_same_thread=False)
    conn.row_factory = sqlite3.Row
    conn.execute("PRAGMA journal_mode=WAL")
    # FULL: a published answer is on disk when the request returns, even if the machine loses power.
    conn.execute("PRAGMA synchronous=FULL")
    conn.execute("PRAGMA foreign_keys=ON")
    migrate(conn)
    return conn


def migrate(conn: sqlite3.Connection) -> int:
    """Apply the migrations not yet applied, each in its own transaction; returns the schema version."""
    version = conn.execute("PRAGMA user_version").fetchone()[0]
    if version > len(MIGRATIONS):
        raise RuntimeError(f"the UKK database has schema version {version}; this program knows {len(MIGRATIONS)}")
    for number, script in enumerate(MIGRATIONS[version:], start=version + 1):
        conn.execute("BEGIN IMMEDIATE")
        try:
            for statement in script.split(";"):
                if statement.strip():
                    conn.execute(statement)
            conn.execute(f"PRAGMA user_version={number}")
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        logger.info("UKK database migrated to version %d", number)
    return len(MIGRATIONS)


@contextmanager
def transaction(conn: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """One write transaction, taken at once (BEGIN IMMEDIATE) so two writers queue instead of failing later."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield conn
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")


def backup(conn: sqlite3.Connection, target: Path) -> Path:
    """A consistent copy with SQLite's online backup API (readers and writers may go on meanwhile)."""
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(target.name + ".partial")
    partial.unlink(missing_ok=True)
    copy = sqlite3.connect(partial)
    try:
        conn.backup(copy)
        copy.execute("PRAGMA journal_mode=DELETE")
    finally:
        copy.close()
    partial.replace(target)
    return target
