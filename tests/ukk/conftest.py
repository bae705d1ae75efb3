"""A UKK store with two institutions and a user of every role (fast: argon2 at its defaults, a few hashes)."""

from __future__ import annotations

from pathlib import Path

import pytest

from ukk import accounts
from ukk.store import UkkStore

PASSWORD = "oikein-hyva-salasana"


@pytest.fixture()
def store(tmp_path: Path):
    s = UkkStore(tmp_path / "ukk.sqlite")
    s.add_institution("esimerkkiopisto", "Esimerkkiopisto")
    s.add_institution("toinenopisto", "Toinen opisto")
    for username, role, inst in [
        ("lukija", "lukija", "esimerkkiopisto"),
        ("valmentaja", "valmentaja", "esimerkkiopisto"),
        ("toinen", "valmentaja", "esimerkkiopisto"),
        ("admin", "yllapitaja", "esimerkkiopisto"),
        ("vieras", "valmentaja", "toinenopisto"),
        ("vieraslukija", "lukija", "toinenopisto"),
    ]:
        accounts.add_user(s, username, username.title(), role, inst, PASSWORD)
    yield s
    s.close()


@pytest.fixture()
def users(store):
    return {u.username: u for u in accounts.list_users(store)}
