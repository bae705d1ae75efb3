"""The question channel (Kysy valmentajalta): staff ask, coaches claim, hand over and answer with a UKK entry.

Who sees a question: the asker, the coaches and admins of the institution handling it and of the
asker's own institution. Every read by someone other than the asker, and every change, goes to the
audit log. Closed questions are anonymised after the retention period (:func:`apply_retention`).
"""

from __future__ import annotations

import datetime as dt
import sqlite3
import statistics
from collections.abc import Callable
from typing import Any

from . import entries
from .accounts import get_user
from .errors import InvalidInput, NotAllowed, NotFound, StaleVersion
from .privacy import mask
from .store import UkkStore, now_iso
from .types import OPEN_STATUSES, QUESTION_STATUSES, TOPICS, Entry, Question, QuestionEvent, User

MAX_TEXT = 4000

_SELECT = (
    "SELECT question.*, asker.username AS asker_name, coach.username AS coach_name FROM question "
    "LEFT JOIN user AS asker ON asker.id = question.asker_id LEFT JOIN user AS coach ON coach.id = question.claimed_by"
)


def _question(row: sqlite3.Row) -> Question:
    return Question(
        id=row["id"],
        asker=row["asker_name"],
        asker_institution=row["asker_institution"],
        institution_id=row["institution_id"],
        topic=row["topic"],
        text=row["text"],
        status=row["status"],
        claimed_by=row["coach_name"],
        entry_id=row["entry_id"],
        from_existing=bool(row["from_existing"]),
        version=row["version"],
        created_at=row["created_at"],
        first_answered_at=row["first_answered_at"],
        answered_at=row["answered_at"],
        closed_at=row["closed_at"],
        anonymised=row["anonymised_at"] is not None,
    )


def audit(store: UkkStore, user: User | None, action: str, obj: str, detail: str = "") -> None:
    """Record who read or changed what."""
    store.write(
        lambda c: c.execute(
            "INSERT INTO audit(at, user_id, action, object, detail) VALUES (?, ?, ?, ?, ?)",
            (now_iso(), user.id if user else None, action, obj, detail[:500]),
        )
    )


def audit_log(store: UkkStore, obj: str | None = None, limit: int = 200) -> list[dict[str, Any]]:
    """The newest audit rows (of one object, e.g. ``question:7``)."""
    sql = "SELECT audit.at, user.username AS user, action, object, detail FROM audit LEFT JOIN user ON user.id = audit.user_id"
    args: tuple[Any, ...] = ()
    if obj is not None:
        sql, args = sql + " WHERE object = ?", (obj,)
    rows = store.read(lambda c: c.execute(sql + " ORDER BY audit.id DESC LIMIT ?", (*args, limit)).fetchall())
    return [dict(r) for r in rows]


def _is_coach_of(user: User, q: Question) -> bool:
    return user.can("valmentaja") and user.institution_id in (q.institution_id, q.asker_institution)


def _is_asker(user: User, q: Question) -> bool:
    return q.asker is not None and q.asker == user.username


def _load(conn: sqlite3.Connection, qid: int) -> Question | None:
    row = conn.execute(_SELECT + " WHERE question.id = ?", (qid,)).fetchone()
    return _question(row) if row is not None else None


def get(store: UkkStore, user: User, qid: int) -> Question:
    """One question the user may see (NotFound otherwise); a read by anyone but the asker is audited."""
    q = store.read(lambda c: _load(c, qid))
    if q is None or not (_is_asker(user, q) or _is_coach_of(user, q)):
        raise NotFound(f"no question {qid}", "id")
    if not _is_asker(user, q):
        audit(store, user, "read", f"question:{qid}")
    return q


def ask(store: UkkStore, user: User, topic: str, text: str, mask_personal: bool = False) -> Question:
    """A new question (uusi) to the coaches of the asker's institution."""
    text = text.strip()
    if topic not in TOPICS:
        raise InvalidInput(f"topic (aihealue) must be one of: {', '.join(TOPICS)}", "topic")
    if not text or len(text) > MAX_TEXT:
        raise InvalidInput(f"text (kysymys) must be 1–{MAX_TEXT} characters", "text")
    if mask_personal:
        text = mask(text)

    def run(conn: sqlite3.Connection) -> Question:
        cur = conn.execute(
            "INSERT INTO question(asker_institution, institution_id, asker_id, topic, text, status, created_at) "
            "VALUES (?, ?, ?, ?, ?, 'uusi', ?)",
            (user.institution_id, user.institution_id, user.id, topic, text, now_iso()),
        )
        qid = int(cur.lastrowid or 0)
        _event(conn, qid, user, "ask")
        found = _load(conn, qid)
        assert found is not None
        return found

    q = store.write(run)
    audit(store, user, "create", f"question:{q.id}")
    return q


def _event(conn: sqlite3.Connection, qid: int, user: User | None, action: str, note: str = "") -> None:
    conn.execute(
        "INSERT INTO question_event(question_id, user_id, at, action, note) VALUES (?, ?, ?, ?, ?)",
        (qid, user.id if user else None, now_iso(), action, note[:1000]),
    )


def _change(
    store: UkkStore,
    user: User,
    qid: int,
    version: int,
    action: str,
    allowed: Callable[[Question], None],
    sets: Callable[[sqlite3.Connection, Question], dict[str, Any]],
    note: str = "",
) -> Question:
    def run(conn: sqlite3.Connection) -> Question:
        q = _load(conn, qid)
        if q is None or not (_is_asker(user, q) or _is_coach_of(user, q)):
            raise NotFound(f"no question {qid}", "id")
        if version != q.version:
            raise StaleVersion(
                f"question {qid} is at version {q.version}, the change was made to version {version}; reload it",
                "version",
            )
        allowed(q)
        values = {**sets(conn, q), "version": q.version + 1}
        conn.execute(
            f"UPDATE question SET {', '.join(f'{k} = ?' for k in values)} WHERE id = ?", (*values.values(), qid)
        )
        _event(conn, qid, user, action, note)
        found = _load(conn, qid)
        assert found is not None
        return found

    q = store.write(run)
    audit(store, user, action, f"question:{qid}", note)
    return q


def _coach_only(user: User) -> Callable[[Question], None]:
    def check(q: Question) -> None:
        if not _is_coach_of(user, q):
            raise NotAllowed("only the institution's coaches may do this")

    return check


def claim(store: UkkStore, coach: User, qid: int, version: int) -> Question:
    """uusi → tyon_alla, claimed by this coach (the other coaches see who has it)."""

    def allowed(q: Question) -> None:
        _coach_only(coach)(q)
        if q.status != "uusi":
            raise InvalidInput(
                f"question {qid} is {q.status}" + (f" (claimed by {q.claimed_by})" if q.claimed_by else ""), "status"
            )

    return _change(
        store, coach, qid, version, "claim", allowed, lambda _c, _q: {"status": "tyon_alla", "claimed_by": coach.id}
    )


def hand_over(
    store: UkkStore, coach: User, qid: int, version: int, to_user: str | None = None, to_institution: str | None = None
) -> Question:
    """Give an open question to another coach of the institution, or to the coaches of another institution."""
    if (to_user is None) == (to_institution is None):
        raise InvalidInput(
            "name exactly one of to_user (valmentaja) or to_institution (koulutuksen järjestäjä)", "to_user"
        )
    target_user: User | None = None
    if to_user is not None:
        target_user = get_user(store, to_user)
        if (
            not target_user.can("valmentaja")
            or target_user.institution_id != coach.institution_id
            or target_user.disabled
        ):
            raise InvalidInput(f"{to_user!r} is not an active coach of {coach.institution_id}", "to_user")
    elif to_institution is not None:
        store.institution_name(to_institution)

    def allowed(q: Question) -> None:
        _coach_only(coach)(q)
        if q.status not in OPEN_STATUSES:
            raise InvalidInput(f"question {qid} is {q.status}; only an open question is handed over", "status")

    def sets(_conn: sqlite3.Connection, _q: Question) -> dict[str, Any]:
        if target_user is not None:
            return {"status": "tyon_alla", "claimed_by": target_user.id}
        return {"status": "uusi", "claimed_by": None, "institution_id": to_institution}

    note = f"→ {to_user}" if to_user else f"→ {to_institution}"
    return _change(store, coach, qid, version, "hand_over", allowed, sets, note)


def answer(store: UkkStore, coach: User, qid: int, version: int, entry_id: int) -> Question:
    """Answer with a UKK entry the coach may see (a new draft, or an existing published one)."""
    entry = entries.get(store, coach, entry_id)

    def allowed(q: Question) -> None:
        _coach_only(coach)(q)
        if q.status not in OPEN_STATUSES:
            raise InvalidInput(f"question {qid} is {q.status}; only an open question is answered", "status")
        if not entry.citations:
            raise InvalidInput("the answer must cite at least one passage", "entry_id")

    def sets(_conn: sqlite3.Connection, q: Question) -> dict[str, Any]:
        at = now_iso()
        existing = entry.published_at is not None and entry.published_at < q.created_at
        return {
            "status": "vastattu",
            "entry_id": entry.id,
            "from_existing": int(existing),
            "answered_at": at,
            "first_answered_at": q.first_answered_at or at,
            "claimed_by": _user_id(_conn, q.claimed_by) if q.claimed_by else coach.id,
        }

    return _change(store, coach, qid, version, "answer", allowed, sets, f"entry {entry_id}")


def _user_id(conn: sqlite3.Connection, username: str) -> int | None:
    row = conn.execute("SELECT id FROM user WHERE username = ?", (username,)).fetchone()
    return int(row[0]) if row else None


def reopen(store: UkkStore, asker: User, qid: int, version: int, note: str = "") -> Question:
    """The asker says the answer did not answer the question ('ei vastannut kysymykseeni'): open again."""

    def allowed(q: Question) -> None:
        if not _is_asker(asker, q):
            raise NotAllowed("only the asker may reopen a question")
        if q.status != "vastattu":
            raise InvalidInput(f"question {qid} is {q.status}; only an answered question is reopened", "status")

    def sets(_conn: sqlite3.Connection, q: Question) -> dict[str, Any]:
        return {"status": "tyon_alla" if q.claimed_by else "uusi"}

    return _change(store, asker, qid, version, "reopen", allowed, sets, note or "ei vastannut kysymykseeni")


def withdraw(store: UkkStore, asker: User, qid: int, version: int) -> Question:
    """The asker withdraws an open question (an earlier answer was enough)."""

    def allowed(q: Question) -> None:
        if not _is_asker(asker, q):
            raise NotAllowed("only the asker may withdraw a question")
        if q.status not in OPEN_STATUSES:
            raise InvalidInput(f"question {qid} is {q.status}; only an open question is withdrawn", "status")

    return _change(
        store, asker, qid, version, "withdraw", allowed, lambda _c, _q: {"status": "peruttu", "closed_at": now_iso()}
    )


def close(store: UkkStore, user: User, qid: int, version: int) -> Question:
    """An answered question is closed (by the asker or a coach)."""

    def allowed(q: Question) -> None:
        if q.status != "vastattu":
            raise InvalidInput(f"question {qid} is {q.status}; only an answered question is closed", "status")

    return _change(
        store, user, qid, version, "close", allowed, lambda _c, _q: {"status": "suljettu", "closed_at": now_iso()}
    )


def mine(store: UkkStore, user: User) -> list[Question]:
    """The user's own questions, newest first."""
    rows = store.read(
        lambda c: c.execute(_SELECT + " WHERE question.asker_id = ? ORDER BY question.id DESC", (user.id,)).fetchall()
    )
    return [_question(r) for r in rows]


def queue(store: UkkStore, coach: User, status: str | None = None, topic: str | None = None) -> list[Question]:
    """Questions the coach's institution handles, oldest first (open ones unless a status is asked)."""
    if not coach.can("valmentaja"):
        raise NotAllowed("the queue is the coaches'")
    if status is not None and status not in QUESTION_STATUSES:
        raise InvalidInput(f"status (tila) must be one of: {', '.join(QUESTION_STATUSES)}", "status")
    if topic is not None and topic not in TOPICS:
        raise InvalidInput(f"topic (aihealue) must be one of: {', '.join(TOPICS)}", "topic")
    statuses = (status,) if status else OPEN_STATUSES
    sql = _SELECT + f" WHERE question.institution_id = ? AND question.status IN ({', '.join('?' * len(statuses))})"
    args: list[Any] = [coach.institution_id, *statuses]
    if topic:
        sql, args = sql + " AND question.topic = ?", [*args, topic]
    rows = store.read(lambda c: c.execute(sql + " ORDER BY question.created_at, question.id", args).fetchall())
    return [_question(r) for r in rows]


def events(store: UkkStore, user: User, qid: int) -> list[QuestionEvent]:
    """A question's steps, oldest first."""
    get(store, user, qid)
    rows = store.read(
        lambda c: c.execute(
            "SELECT user.username AS user, at, action, note FROM question_event LEFT JOIN user ON user.id = "
            "question_event.user_id WHERE question_id = ? ORDER BY question_event.id",
            (qid,),
        ).fetchall()
    )
    return [QuestionEvent(r["user"], r["at"], r["action"], r["note"]) for r in rows]


def answer_entry(store: UkkStore, user: User, q: Question) -> Entry | None:
    """The entry that answers a question, for its asker and coaches (even while it is the coach's draft)."""
    if q.entry_id is None:
        return None
    if not (_is_asker(user, q) or _is_coach_of(user, q)):
        raise NotFound(f"no question {q.id}", "id")
    return entries.load(store, q.entry_id)


def stats(store: UkkStore, institution_id: str | None = None) -> dict[str, Any]:
    """Open questions per topic, the median hours to a first answer, the share answered from existing entries."""
    where, args = ("WHERE institution_id = ?", (institution_id,)) if institution_id else ("", ())
    rows = store.read(lambda c: c.execute(f"SELECT * FROM question {where}", args).fetchall())
    open_by_topic = {code: 0 for code in TOPICS}
    waits: list[float] = []
    answered = existing = 0
    for r in rows:
        if r["status"] in OPEN_STATUSES:
            open_by_topic[r["topic"]] += 1
        if r["first_answered_at"]:
            delta = dt.datetime.fromisoformat(r["first_answered_at"]) - dt.datetime.fromisoformat(r["created_at"])
            waits.append(delta.total_seconds() / 3600)
        if r["entry_id"] is not None:
            answered += 1
            existing += int(r["from_existing"])
    return {
        "open_by_topic": open_by_topic,
        "questions": len(rows),
        "median_hours_to_first_answer": round(statistics.median(waits), 2) if waits else None,
        "answered": answered,
        "share_answered_from_existing": round(existing / answered, 3) if answered else None,
    }


def apply_retention(store: UkkStore, days: int, now: dt.datetime | None = None) -> int:
    """Anonymise questions closed or withdrawn more than ``days`` ago: the asker and the text go, the figures stay."""
    now = now or dt.datetime.now(dt.UTC)
    cutoff = (now - dt.timedelta(days=days)).replace(microsecond=0).isoformat()

    def run(conn: sqlite3.Connection) -> int:
        ids = [
            r[0]
            for r in conn.execute(
                "SELECT id FROM question WHERE status IN ('suljettu', 'peruttu') AND closed_at < ? AND anonymised_at IS NULL",
                (cutoff,),
            )
        ]
        for qid in ids:
            conn.execute(
                "UPDATE question SET asker_id = NULL, text = '', anonymised_at = ? WHERE id = ?", (now_iso(), qid)
            )
            conn.execute("UPDATE question_event SET note = '', user_id = NULL WHERE question_id = ?", (qid,))
        return len(ids)

    count = store.write(run)
    if count:
        audit(store, None, "anonymise", "question:*", f"{count} questions closed before {cutoff}")
    return count
