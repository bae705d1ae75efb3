"""Users, passwords, throttling, sessions and API tokens on a real SQLite file."""

from __future__ import annotations

import sqlite3

import pytest

from ingest.models import text_hash
from ukk import accounts
from ukk.errors import AuthenticationFailed, InvalidInput, NotFound, Throttled
from ukk.types import User

from .conftest import PASSWORD


def test_passwords_are_stored_as_argon2_hashes_only(store):
    rows = sqlite3.connect(store.path).execute("SELECT username, password_hash FROM user ORDER BY id").fetchall()
    assert [r[0] for r in rows][:2] == ["lukija", "valmentaja"]
    assert all(r[1].startswith("$argon2id$") and PASSWORD not in r[1] for r in rows)


def test_authenticate_right_and_wrong(store):
    user = accounts.authenticate(store, "Valmentaja", PASSWORD, "10.0.0.1")  # user names ignore case
    assert (user.username, user.role, user.institution_id) == ("valmentaja", "valmentaja", "esimerkkiopisto")
    with pytest.raises(AuthenticationFailed):
        accounts.authenticate(store, "valmentaja", "vaara-salasana-123", "10.0.0.1")
    with pytest.raises(AuthenticationFailed):
        accounts.authenticate(store, "eiole", PASSWORD, "10.0.0.1")


def test_failed_sign_ins_are_throttled_per_user_name(store):
    throttle = accounts.Throttle(per_user=3, per_address=100, window=60)
    for _ in range(3):
        with pytest.raises(AuthenticationFailed):
            accounts.authenticate(store, "lukija", "vaara-salasana-123", "10.0.0.2", throttle)
    with pytest.raises(Throttled) as caught:
        accounts.authenticate(store, "lukija", PASSWORD, "10.0.0.2", throttle)  # even the right password
    assert 1 <= caught.value.retry_after <= 60
    # Another user from the same address is not locked out.
    assert accounts.authenticate(store, "valmentaja", PASSWORD, "10.0.0.2", throttle).username == "valmentaja"


def test_bad_new_users_are_refused_naming_the_field(store):
    with pytest.raises(InvalidInput) as caught:
        accounts.add_user(store, "uusi", "Uusi", "pomo", "esimerkkiopisto", PASSWORD)
    assert caught.value.field == "role"
    with pytest.raises(InvalidInput) as caught:
        accounts.add_user(store, "uusi", "Uusi", "lukija", "esimerkkiopisto", "lyhyt")
    assert caught.value.field == "password"
    with pytest.raises(InvalidInput) as caught:
        accounts.add_user(store, "LUKIJA", "Kopio", "lukija", "esimerkkiopisto", PASSWORD)
    assert caught.value.field == "username"
    with pytest.raises(NotFound):
        accounts.add_user(store, "uusi", "Uusi", "lukija", "eiole", PASSWORD)


def test_sessions_end_on_sign_out_and_when_the_user_is_disabled(store, users):
    session = accounts.start_session(store, users["lukija"], hours=1)
    found = accounts.session_user(store, session.token)
    assert found is not None and found[0].username == "lukija" and found[1] == session.csrf
    stored = sqlite3.connect(store.path).execute("SELECT id_hash FROM session").fetchall()
    assert [r[0] for r in stored] != [session.token]  # only the hash is stored
    accounts.end_session(store, session.token)
    assert accounts.session_user(store, session.token) is None
    again = accounts.start_session(store, users["lukija"], hours=1)
    accounts.set_disabled(store, "lukija")
    assert accounts.session_user(store, again.token) is None
    with pytest.raises(AuthenticationFailed):
        accounts.authenticate(store, "lukija", PASSWORD)


def test_expired_session_is_refused(store, users):
    session = accounts.start_session(store, users["lukija"], hours=1e-9)
    assert accounts.session_user(store, session.token) is None


def test_expired_sessions_are_deleted_when_a_new_one_starts(store, users):
    expired = [accounts.start_session(store, users["lukija"], hours=1e-9) for _ in range(2)]
    live = accounts.start_session(store, users["valmentaja"], hours=1)
    fresh = accounts.start_session(store, users["lukija"], hours=1)
    hashes = {r[0] for r in store.read(lambda c: c.execute("SELECT id_hash FROM session").fetchall())}
    assert hashes == {text_hash(live.token), text_hash(fresh.token)}
    assert not hashes & {text_hash(s.token) for s in expired}


def test_api_tokens(store):
    token = accounts.create_token(store, "valmentaja", "skripti")
    assert token.startswith("lahde_")
    user = accounts.token_user(store, token)
    assert isinstance(user, User) and user.username == "valmentaja"
    assert accounts.token_user(store, token + "x") is None
    assert accounts.token_user(store, "something-else") is None
    assert accounts.revoke_tokens(store, "valmentaja") == 1
    assert accounts.token_user(store, token) is None


def test_csrf_check_is_exact():
    assert accounts.csrf_ok("abc", "abc")
    assert not accounts.csrf_ok("abc", "abd")
    assert not accounts.csrf_ok("abc", None)
    assert not accounts.csrf_ok("abc", "")
