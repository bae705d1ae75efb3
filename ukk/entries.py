"""UKK entries: drafts, publishing, verification and archiving, every change a revision, stale edits refused.

Who sees what: an institution's entries are its own users'; a published entry shared with the
network is seen by every signed-in user; drafts and archived entries only by the institution's
coaches. Who writes: the coaches (valmentaja, and yllapitaja above them) of the entry's institution.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from .errors import InvalidInput, NotAllowed, NotFound, StaleVersion
from .store import UkkStore, now_iso
from .types import STATUSES, TOPICS, Entry, EntryCitation, ReviewReason, Revision, User

MAX_QUESTION = 1000
MAX_ANSWER = 10_000
MAX_TAGS = 12
MAX_TAG = 40
MAX_CITATIONS = 12
#: An answer's citation mark, [1] … [99].
MARK = re.compile(r"\[(\d{1,2})\]")
#: What readers see: published entries, and those waiting for a check (shown with a warning).
READABLE = ("julkaistu", "tarkistettava")


@dataclass(frozen=True)
class Draft:
    """What a coach writes: the question as asked, the answer with ``[n]`` marks, topic, tags, sharing."""

    topic: str
    question: str
    answer: str
    tags: tuple[str, ...] = ()
    shared: bool = False


def marks(answer: str) -> set[int]:
    """The ``[n]`` citation marks an answer uses."""
    return {int(m) for m in MARK.findall(answer)}


def validate(draft: Draft, citations: Sequence[EntryCitation]) -> Draft:
    """The draft with its text trimmed; InvalidInput naming the field otherwise."""
    question, answer = draft.question.strip(), draft.answer.strip()
    if draft.topic not in TOPICS:
        raise InvalidInput(f"topic (aihealue) must be one of: {', '.join(TOPICS)}", "topic")
    if not question or len(question) > MAX_QUESTION:
        raise InvalidInput(f"question (kysymys) must be 1–{MAX_QUESTION} characters", "question")
    if not answer or len(answer) > MAX_ANSWER:
        raise InvalidInput(f"answer (vastaus) must be 1–{MAX_ANSWER} characters", "answer")
    tags = tuple(dict.fromkeys(t.strip() for t in draft.tags if t.strip()))
    if len(tags) > MAX_TAGS or any(len(t) > MAX_TAG for t in tags):
        raise InvalidInput(f"tags (avainsanat): at most {MAX_TAGS}, each at most {MAX_TAG} characters", "tags")
    if len(citations) > MAX_CITATIONS:
        raise InvalidInput(f"citations (lähteet): at most {MAX_CITATIONS}", "citations")
    unknown = sorted(m for m in marks(answer) if not 1 <= m <= len(citations))
    if unknown:
        raise InvalidInput(
            f"answer (vastaus) cites {', '.join(f'[{m}]' for m in unknown)} but has {len(citations)} citations",
            "answer",
        )
    return Draft(draft.topic, question, answer, tags, bool(draft.shared))


def _citation(r: sqlite3.Row) -> EntryCitation:
    return EntryCitation(
        n=r["n"],
        chunk_id=r["chunk_id"],
        label=r["label"],
        quote=r["quote"],
        quote_hash=r["quote_hash"],
        generation=r["generation"],
        lang=r["lang"],
        statute=r["statute"],
        section_key=r["section_key"],
        acts=tuple(json.loads(r["acts"])),
        url=r["url"],
    )


def _citations(conn: sqlite3.Connection, entry_id: int) -> tuple[EntryCitation, ...]:
    rows = conn.execute("SELECT * FROM citation WHERE entry_id = ? ORDER BY n", (entry_id,)).fetchall()
    return tuple(_citation(r) for r in rows)


def _entries(conn: sqlite3.Connection, rows: list[sqlite3.Row]) -> list[Entry]:
    """Entries of many rows with their citations read in one query (a listing, the search), not one per entry."""
    if not rows:
        return []
    by_entry: dict[int, list[EntryCitation]] = {}
    ids = [r["id"] for r in rows]
    for start in range(0, len(ids), 500):  # SQLite's bound-parameter limit
        part = ids[start : start + 500]
        query = f"SELECT * FROM citation WHERE entry_id IN ({', '.join('?' * len(part))}) ORDER BY entry_id, n"
        for c in conn.execute(query, part):
            by_entry.setdefault(c["entry_id"], []).append(_citation(c))
    return [_entry(conn, r, tuple(by_entry.get(r["id"], ()))) for r in rows]


_SELECT = (
    "SELECT entry.*, author.username AS author, verifier.username AS verifier FROM entry "
    "JOIN user AS author ON author.id = entry.created_by LEFT JOIN user AS verifier ON verifier.id = entry.verified_by"
)


def _entry(conn: sqlite3.Connection, row: sqlite3.Row, citations: tuple[EntryCitation, ...] | None = None) -> Entry:
    return Entry(
        id=row["id"],
        institution_id=row["institution_id"],
        topic=row["topic"],
        question=row["question"],
        answer=row["answer"],
        tags=tuple(json.loads(row["tags"])),
        shared=bool(row["shared"]),
        status=row["status"],
        version=row["version"],
        created_by=row["author"],
        created_at=row["created_at"],
        updated_at=row["updated_at"],
        published_at=row["published_at"],
        verified_by=row["verifier"],
        verified_at=row["verified_at"],
        citations=citations if citations is not None else _citations(conn, row["id"]),
        review_reasons=tuple(ReviewReason.from_dict(r) for r in json.loads(row["review_reasons"])),
    )


def may_read(user: User | None, entry: Entry) -> bool:
    """Whether the user may see the entry at all."""
    if user is None:
        return False
    if entry.institution_id == user.institution_id:
        return entry.status in READABLE or user.can("valmentaja")
    return entry.shared and entry.status in READABLE


def _may_write(user: User, entry: Entry) -> None:
    if not user.can("valmentaja"):
        raise NotAllowed("writing UKK entries needs the valmentaja role")
    if entry.institution_id != user.institution_id:
        raise NotAllowed("only the coaches of the entry's own institution may change it")


def _load(conn: sqlite3.Connection, entry_id: int) -> Entry | None:
    row = conn.execute(_SELECT + " WHERE entry.id = ?", (entry_id,)).fetchone()
    return _entry(conn, row) if row is not None else None


def load(store: UkkStore, entry_id: int) -> Entry | None:
    """An entry whatever its status, for a caller that has checked the right to it (the question channel)."""
    return store.read(lambda c: _load(c, entry_id))


def get(store: UkkStore, user: User | None, entry_id: int) -> Entry:
    """One entry the user may see; NotFound otherwise (never telling whether it exists)."""
    entry = store.read(lambda c: _load(c, entry_id))
    if entry is None or not may_read(user, entry):
        raise NotFound(f"no UKK entry {entry_id}", "id")
    return entry


def _write_citations(conn: sqlite3.Connection, entry_id: int, citations: Sequence[EntryCitation]) -> None:
    conn.execute("DELETE FROM citation WHERE entry_id = ?", (entry_id,))
    conn.executemany(
        "INSERT INTO citation(entry_id, n, chunk_id, label, statute, section_key, quote, quote_hash, generation, "
        "lang, acts, url) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            (
                entry_id,
                i,
                c.chunk_id,
                c.label,
                c.statute,
                c.section_key,
                c.quote,
                c.quote_hash,
                c.generation,
                c.lang,
                json.dumps(list(c.acts)),
                c.url,
            )
            for i, c in enumerate(citations, start=1)
        ],
    )


def _revise(conn: sqlite3.Connection, entry_id: int, user: User | None, action: str, note: str = "") -> Entry:
    entry = _load(conn, entry_id)
    assert entry is not None
    conn.execute(
        "INSERT INTO revision(entry_id, version, user_id, at, action, snapshot, note) VALUES (?, ?, ?, ?, ?, ?, ?)",
        (
            entry_id,
            entry.version,
            user.id if user else None,
            entry.updated_at,
            action,
            json.dumps(entry.to_dict(), ensure_ascii=False),
            note,
        ),
    )
    return entry


def create(store: UkkStore, user: User, draft: Draft, citations: Sequence[EntryCitation]) -> Entry:
    """A new draft (luonnos) of the user's institution."""
    if not user.can("valmentaja"):
        raise NotAllowed("writing UKK entries needs the valmentaja role")
    draft = validate(draft, citations)

    def run(conn: sqlite3.Connection) -> Entry:
        at = now_iso()
        cur = conn.execute(
            "INSERT INTO entry(institution_id, topic, question, answer, tags, shared, status, created_by, created_at, "
            "updated_at) VALUES (?, ?, ?, ?, ?, ?, 'luonnos', ?, ?, ?)",
            (
                user.institution_id,
                draft.topic,
                draft.question,
                draft.answer,
                json.dumps(list(draft.tags)),
                int(draft.shared),
                user.id,
                at,
                at,
            ),
        )
        entry_id = int(cur.lastrowid or 0)
        _write_citations(conn, entry_id, citations)
        return _revise(conn, entry_id, user, "create")

    return store.write(run)


def _change(
    store: UkkStore, user: User | None, entry_id: int, version: int | None, action: str, apply: Any, note: str = ""
) -> Entry:
    """Load, check the version and rights, apply, bump the version, record the revision — one transaction."""

    def run(conn: sqlite3.Connection) -> Entry:
        entry = _load(conn, entry_id)
        if entry is None or (user is not None and not may_read(user, entry)):
            raise NotFound(f"no UKK entry {entry_id}", "id")
        if user is not None:
            _may_write(user, entry)
        if version is not None and version != entry.version:
            raise StaleVersion(
                f"entry {entry_id} is at version {entry.version}, the change was made to version {version}; "
                "reload it and make the change again",
                "version",
            )
        sets: dict[str, Any] = apply(conn, entry)
        sets.update(version=entry.version + 1, updated_at=now_iso())
        conn.execute(f"UPDATE entry SET {', '.join(f'{k} = ?' for k in sets)} WHERE id = ?", (*sets.values(), entry_id))
        return _revise(conn, entry_id, user, action, note)

    return store.write(run)


def update(
    store: UkkStore, user: User, entry_id: int, version: int, draft: Draft, citations: Sequence[EntryCitation]
) -> Entry:
    """Replace the text, topic, tags and citations; the status stays (a published entry stays published)."""
    draft = validate(draft, citations)

    def apply(conn: sqlite3.Connection, entry: Entry) -> dict[str, Any]:
        if entry.status == "arkistoitu":
            raise InvalidInput("an archived entry cannot be edited; publish it again first", "status")
        _write_citations(conn, entry_id, citations)
        return {
            "topic": draft.topic,
            "question": draft.question,
            "answer": draft.answer,
            "tags": json.dumps(list(draft.tags)),
            "shared": int(draft.shared),
        }

    return _change(store, user, entry_id, version, "update", apply)


def _ready(entry: Entry) -> None:
    if not entry.citations:
        raise InvalidInput("an answer needs at least one citation (lähde) before it is published", "citations")
    missing = sorted(set(range(1, len(entry.citations) + 1)) - marks(entry.answer))
    if missing:
        raise InvalidInput(
            f"answer (vastaus) never cites {', '.join(f'[{m}]' for m in missing)}; mark or remove those citations",
            "answer",
        )


def publish(store: UkkStore, user: User, entry_id: int, version: int) -> Entry:
    """luonnos (or arkistoitu) → julkaistu; publishing counts as the first verification."""

    def apply(_conn: sqlite3.Connection, entry: Entry) -> dict[str, Any]:
        if entry.status not in ("luonnos", "arkistoitu"):
            raise InvalidInput(
                f"entry {entry_id} is {entry.status}; only a draft or an archived entry is published", "status"
            )
        _ready(entry)
        at = now_iso()
        return {
            "status": "julkaistu",
            "published_at": at,
            "verified_by": user.id,
            "verified_at": at,
            "review_reasons": "[]",
        }

    return _change(store, user, entry_id, version, "publish", apply)


def verify(store: UkkStore, user: User, entry_id: int, version: int, note: str = "") -> Entry:
    """A coach confirms the answer still holds (julkaistu or tarkistettava → julkaistu), recording who and when."""

    def apply(_conn: sqlite3.Connection, entry: Entry) -> dict[str, Any]:
        if entry.status not in READABLE:
            raise InvalidInput(f"entry {entry_id} is {entry.status}; only a published entry is verified", "status")
        _ready(entry)
        return {"status": "julkaistu", "verified_by": user.id, "verified_at": now_iso(), "review_reasons": "[]"}

    return _change(store, user, entry_id, version, "verify", apply, note[:500])


def archive(store: UkkStore, user: User, entry_id: int, version: int) -> Entry:
    """Any status → arkistoitu (kept, with its revisions, but no longer shown to readers)."""
    return _change(store, user, entry_id, version, "archive", lambda _c, _e: {"status": "arkistoitu"})


def flag(store: UkkStore, entry_id: int, reasons: Sequence[ReviewReason], note: str) -> Entry:
    """The system marks a published entry tarkistettava with its reasons (after a re-index, or when due)."""

    def apply(_conn: sqlite3.Connection, entry: Entry) -> dict[str, Any]:
        kept = [r for r in entry.review_reasons if r not in reasons]
        return {
            "status": "tarkistettava",
            "review_reasons": json.dumps([r.to_dict() for r in [*kept, *reasons]], ensure_ascii=False),
        }

    return _change(store, None, entry_id, None, "flag", apply, note)


def listing(
    store: UkkStore,
    user: User | None,
    *,
    topic: str | None = None,
    status: str | None = None,
    limit: int = 200,
    offset: int = 0,
) -> list[Entry]:
    """The entries the user may see, newest change first; ``status`` and ``topic`` narrow it."""
    if user is None:
        return []
    if topic is not None and topic not in TOPICS:
        raise InvalidInput(f"topic (aihealue) must be one of: {', '.join(TOPICS)}", "topic")
    if status is not None and status not in STATUSES:
        raise InvalidInput(f"status (tila) must be one of: {', '.join(STATUSES)}", "status")
    own = "entry.institution_id = ?"
    readable = f"entry.status IN ({', '.join('?' * len(READABLE))})"
    scope = f"(({own}{'' if user.can('valmentaja') else ' AND ' + readable}) OR (entry.shared = 1 AND {readable}))"
    args: list[Any] = [user.institution_id, *([] if user.can("valmentaja") else READABLE), *READABLE]
    where = [scope]
    if topic is not None:
        where.append("entry.topic = ?")
        args.append(topic)
    if status is not None:
        where.append("entry.status = ?")
        args.append(status)
    sql = f"{_SELECT} WHERE {' AND '.join(where)} ORDER BY entry.updated_at DESC, entry.id DESC LIMIT ? OFFSET ?"
    return store.read(lambda c: _entries(c, c.execute(sql, (*args, limit, offset)).fetchall()))


def published(store: UkkStore) -> list[Entry]:
    """Every published or to-be-checked entry of every institution (the search and the checks filter them)."""
    return store.read(lambda c: _entries(c, c.execute(_SELECT + " WHERE entry.status IN (?, ?)", READABLE).fetchall()))


def revisions(store: UkkStore, user: User, entry_id: int) -> list[Revision]:
    """An entry's revisions, oldest first (who, when, what)."""
    get(store, user, entry_id)
    rows = store.read(
        lambda c: c.execute(
            "SELECT revision.*, user.username AS username FROM revision LEFT JOIN user ON user.id = revision.user_id "
            "WHERE entry_id = ? ORDER BY revision.id",
            (entry_id,),
        ).fetchall()
    )
    return [
        Revision(
            r["id"],
            r["entry_id"],
            r["version"],
            r["username"],
            r["at"],
            r["action"],
            r["note"],
            json.loads(r["snapshot"]),
        )
        for r in rows
    ]


def is_due(entry: Entry, interval_days: int, today: dt.date | None = None) -> bool:
    """A published entry whose last verification is older than the interval."""
    today = today or dt.datetime.now(dt.UTC).date()
    cutoff = (today - dt.timedelta(days=interval_days)).isoformat()
    return entry.status == "julkaistu" and (entry.verified_at or entry.created_at)[:10] < cutoff


def due(store: UkkStore, interval_days: int, today: dt.date | None = None) -> list[Entry]:
    """Published entries whose last verification is older than the interval."""
    return [e for e in published(store) if is_due(e, interval_days, today)]
