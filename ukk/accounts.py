"""Users, passwords (argon2), sign-in throttling, sessions with their CSRF secret, and API tokens for scripts."""

from __future__ import annotations

import datetime as dt
import hmac
import logging
import re
import secrets
import sqlite3
import time
from dataclasses import dataclass
from functools import lru_cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from ingest.models import text_hash

from .errors import AuthenticationFailed, InvalidInput, NotFound, Throttled
from .store import UkkStore, now_iso
from .types import ROLES, User

logger = logging.getLogger(__name__)

MIN_PASSWORD = 10
TOKEN_PREFIX = "lahde_"


@dataclass(frozen=True)
class Throttle:
    """Failed sign-ins allowed per user name and per address within ``window`` seconds."""

    per_user: int = 5
    per_address: int = 20
    window: float = 15 * 60


@dataclass(frozen=True)
class Session:
    """A new session: the cookie value (shown once, stored only hashed) and its CSRF token."""

    token: str
    csrf: str
    user: User
    expires_at: str


@lru_cache(maxsize=1)
def _hasher() -> PasswordHasher:
    return PasswordHasher()


@lru_cache(maxsize=1)
def _dummy_hash() -> str:
    # Verified against when the user name is unknown, so a miss costs as long as a wrong password.
    return _hasher().hash(secrets.token_urlsafe(16))


def _user(row: sqlite3.Row) -> User:
    return User(
        row["id"], row["username"], row["name"], row["role"], row["institution_id"], bool(row["disabled"]), row["email"]
    )


def add_user(
    store: UkkStore, username: str, name: str, role: str, institution_id: str, password: str, email: str | None = None
) -> User:
    """Create a user; the password is stored as an argon2 hash only."""
    email = (email or "").strip() or None
    if email is not None and not re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", email):
        raise InvalidInput(f"email (sähköposti) {email!r} is not an e-mail address", "email")
    username = username.strip()
    if not username or len(username) > 64 or any(ch.isspace() for ch in username):
        raise InvalidInput("username (käyttäjätunnus) must be 1–64 characters without spaces", "username")
    if role not in ROLES:
        raise InvalidInput(f"role (rooli) must be one of {', '.join(ROLES)}", "role")
    if len(password) < MIN_PASSWORD:
        raise InvalidInput(f"password (salasana) must be at least {MIN_PASSWORD} characters", "password")
    store.institution_name(institution_id)  # NotFound for an unknown institution
    hashed = _hasher().hash(password)

    def run(conn: sqlite3.Connection) -> User:
        if conn.execute("SELECT 1 FROM user WHERE username = ?", (username,)).fetchone():
            raise InvalidInput(f"username {username!r} (käyttäjätunnus) is taken", "username")
        cur = conn.execute(
            "INSERT INTO user(username, name, role, institution_id, password_hash, created_at, email) "
            "VALUES (?, ?, ?, ?, ?, ?, ?)",
            (username, name.strip() or username, role, institution_id, hashed, now_iso(), email),
        )
        return User(int(cur.lastrowid or 0), username, name.strip() or username, role, institution_id, False, email)

    return store.write(run)


def list_users(store: UkkStore) -> list[User]:
    """Every user, by user name."""
    return [_user(r) for r in store.read(lambda c: c.execute("SELECT * FROM user ORDER BY username").fetchall())]


def get_user(store: UkkStore, username: str) -> User:
    """A user by name; NotFound otherwise."""
    row = store.read(lambda c: c.execute("SELECT * FROM user WHERE username = ?", (username,)).fetchone())
    if row is None:
        raise NotFound(f"no user {username!r}", "username")
    return _user(row)


def set_disabled(store: UkkStore, username: str, disabled: bool = True) -> User:
    """Disable (or enable) a user; a disabled user's sessions and tokens stop working at once."""
    user = get_user(store, username)

    def run(conn: sqlite3.Connection) -> None:
        conn.execute("UPDATE user SET disabled = ? WHERE id = ?", (int(disabled), user.id))
        if disabled:
            conn.execute("DELETE FROM session WHERE user_id = ?", (user.id,))

    store.write(run)
    return get_user(store, username)


def set_password(store: UkkStore, username: str, password: str) -> None:
    """Replace a user's password; their sessions end."""
    if len(password) < MIN_PASSWORD:
        raise InvalidInput(f"password (salasana) must be at least {MIN_PASSWORD} characters", "password")
    user = get_user(store, username)
    hashed = _hasher().hash(password)

    def run(conn: sqlite3.Connection) -> None:
        conn.execute("UPDATE user SET password_hash = ? WHERE id = ?", (hashed, user.id))
        conn.execute("DELETE FROM session WHERE user_id = ?", (user.id,))

    store.write(run)


def _check_throttle(store: UkkStore, keys: list[str], limits: list[int], window: float) -> None:
    since = time.time() - window

    def run(conn: sqlite3.Connection) -> list[tuple[int, float]]:
        conn.execute("DELETE FROM failed_login WHERE at < ?", (since,))
        out = []
        for key in keys:
            row = conn.execute("SELECT COUNT(*), MIN(at) FROM failed_login WHERE key = ? AND at >= ?", (key, since))
            count, first = row.fetchone()
            out.append((int(count), float(first or 0)))
        return out

    for (count, first), limit in zip(store.write(run), limits):
        if count >= limit:
            retry = max(1, int(first + window - time.time()))
            raise Throttled(f"too many failed sign-ins; try again in {retry} seconds", retry)


def authenticate(
    store: UkkStore, username: str, password: str, address: str = "", throttle: Throttle | None = None
) -> User:
    """The user whose password this is; AuthenticationFailed otherwise, Throttled after too many failures."""
    throttle = throttle or Throttle()
    keys = [f"user:{username.strip().lower()}", f"addr:{address}"]
    _check_throttle(store, keys, [throttle.per_user, throttle.per_address], throttle.window)
    row = store.read(lambda c: c.execute("SELECT * FROM user WHERE username = ?", (username.strip(),)).fetchone())
    ok: bool
    try:
        ok = _hasher().verify(row["password_hash"] if row is not None else _dummy_hash(), password)
    except (VerificationError, InvalidHashError):
        ok = False
    if not ok or row is None or row["disabled"]:
        at = time.time()
        store.write(lambda c: c.executemany("INSERT INTO failed_login(key, at) VALUES (?, ?)", [(k, at) for k in keys]))
        logger.info("failed sign-in for a user name (%s)", "known" if row is not None else "unknown")
        raise AuthenticationFailed("wrong user name or password (käyttäjätunnus tai salasana)")
    store.write(lambda c: c.execute("DELETE FROM failed_login WHERE key = ?", (keys[0],)))
    if _hasher().check_needs_rehash(row["password_hash"]):
        set_password(store, username, password)
    return _user(row)


def start_session(store: UkkStore, user: User, hours: float) -> Session:
    """A new session for a signed-in user; the cookie value is returned once and stored only hashed.

    Sessions past their expiry are deleted in the same transaction, so the table holds only live ones.
    """
    token, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
    expires = (dt.datetime.now(dt.UTC) + dt.timedelta(hours=hours)).replace(microsecond=0).isoformat()

    def run(conn: sqlite3.Connection) -> None:
        now = now_iso()
        conn.execute("DELETE FROM session WHERE expires_at <= ?", (now,))
        conn.execute(
            "INSERT INTO session(id_hash, user_id, csrf, created_at, expires_at) VALUES (?, ?, ?, ?, ?)",
            (text_hash(token), user.id, csrf, now, expires),
        )

    store.write(run)
    return Session(token, csrf, user, expires)


def session_user(store: UkkStore, token: str) -> tuple[User, str] | None:
    """The (user, CSRF token) of a live session cookie; None for an unknown, expired or disabled one."""
    if not token:
        return None
    row = store.read(
        lambda c: c.execute(
            "SELECT user.*, session.csrf AS csrf, session.expires_at AS expires_at FROM session "
            "JOIN user ON user.id = session.user_id WHERE session.id_hash = ?",
            (text_hash(token),),
        ).fetchone()
    )
    if row is None or row["disabled"] or row["expires_at"] <= now_iso():
        return None
    return _user(row), str(row["csrf"])


def end_session(store: UkkStore, token: str) -> None:
    """Sign out: the session is deleted."""
    store.write(lambda c: c.execute("DELETE FROM session WHERE id_hash = ?", (text_hash(token),)))


def csrf_ok(expected: str, given: str | None) -> bool:
    """Constant-time check of a form's CSRF token against the session's."""
    return bool(given) and hmac.compare_digest(expected.encode(), (given or "").encode())


def create_token(store: UkkStore, username: str, label: str, days: int | None = None) -> str:
    """A new API token for a user (shown once; stored only as its hash)."""
    user = get_user(store, username)
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    expires = (dt.datetime.now(dt.UTC) + dt.timedelta(days=days)).replace(microsecond=0).isoformat() if days else None
    store.write(
        lambda c: c.execute(
            "INSERT INTO api_token(token_hash, user_id, label, created_at, expires_at) VALUES (?, ?, ?, ?, ?)",
            (text_hash(token), user.id, label.strip() or "token", now_iso(), expires),
        )
    )
    return token


def token_user(store: UkkStore, token: str) -> User | None:
    """The user of a live API token; None for an unknown, revoked, expired or disabled one."""
    if not token.startswith(TOKEN_PREFIX):
        return None
    digest = text_hash(token)
    row = store.read(
        lambda c: c.execute(
            "SELECT user.*, api_token.token_hash AS token_hash, api_token.expires_at AS expires_at, "
            "api_token.revoked AS revoked FROM api_token JOIN user ON user.id = api_token.user_id "
            "WHERE api_token.token_hash = ?",
            (digest,),
        ).fetchone()
    )
    if row is None or not hmac.compare_digest(str(row["token_hash"]), digest):
        return None
    if row["revoked"] or row["disabled"] or (row["expires_at"] and row["expires_at"] <= now_iso()):
        return None
    return _user(row)


def revoke_tokens(store: UkkStore, username: str) -> int:
    """Revoke every API token of a user; returns how many."""
    user = get_user(store, username)
    cur = store.write(
        lambda c: c.execute("UPDATE api_token SET revoked = 1 WHERE user_id = ? AND revoked = 0", (user.id,))
    )
    return int(cur.rowcount)
