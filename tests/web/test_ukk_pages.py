"""The UKK pages without a browser: sign-in with CSRF, picking passages, the editor, the entry page, escaping."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from lahde.settings import Settings
from retrieval.search import Searcher
from search_api.app import create_app
from tests.fakes import HashingEmbedder
from tests.indexes import build_index
from tests.samples import ANSWER_CHUNKS
from ukk import accounts
from ukk.store import UkkStore

PASSWORD = "oikein-hyva-salasana"


@pytest.fixture()
def app(tmp_path: Path):
    embedder = HashingEmbedder(dim=64, model_id="test/hashing-64")
    build_index(ANSWER_CHUNKS, embedder, tmp_path / "idx")
    settings = Settings(
        index_dir=tmp_path / "idx", ukk_db=tmp_path / "ukk.sqlite", cookie_secure=False, ukk_min_score=0.3
    )
    store = UkkStore(settings.ukk_path())
    store.add_institution("esimerkkiopisto", "Esimerkkiopisto")
    accounts.add_user(store, "valmentaja", "Vilma Valmentaja", "valmentaja", "esimerkkiopisto", PASSWORD)
    accounts.add_user(store, "lukija", "Lauri Lukija", "lukija", "esimerkkiopisto", PASSWORD)
    store.close()
    return create_app(settings, searcher=Searcher.open(tmp_path / "idx", embedder))


def _hidden(html: str, name: str) -> str:
    match = re.search(rf'name="{name}" value="([^"]*)"', html)
    assert match, f"no hidden {name}"
    return match.group(1)


def sign_in(client: TestClient, username: str, next_path: str = "/") -> None:
    page = client.get("/kirjaudu", params={"next": next_path})
    r = client.post(
        "/kirjaudu",
        data={"csrf": _hidden(page.text, "csrf"), "next": next_path, "username": username, "password": PASSWORD},
        follow_redirects=False,
    )
    assert r.status_code == 303 and r.headers["location"] == next_path


def test_sign_in_needs_the_form_token_and_the_right_password(app):
    client = TestClient(app)
    page = client.get("/kirjaudu")
    assert page.status_code == 200 and "Kirjaudu sisään" in page.text
    forged = client.post("/kirjaudu", data={"csrf": "forged", "username": "lukija", "password": PASSWORD})
    assert forged.status_code == 403 and "Lomake on vanhentunut" in forged.text
    wrong = client.post(
        "/kirjaudu", data={"csrf": _hidden(page.text, "csrf"), "username": "lukija", "password": "x" * 12}
    )
    assert wrong.status_code == 401 and "Väärä käyttäjätunnus tai salasana" in wrong.text
    # An outside address as next is never followed.
    r = client.post(
        "/kirjaudu",
        data={
            "csrf": _hidden(page.text, "csrf"),
            "username": "lukija",
            "password": PASSWORD,
            "next": "//evil.example/x",
        },
        follow_redirects=False,
    )
    assert r.headers["location"] == "/"


def test_ukk_pages_need_signing_in(app):
    client = TestClient(app)
    r = client.get("/ukk/uusi?c=fi.1-2000.s1", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].startswith("/kirjaudu?next=%2Fukk%2Fuusi")
    sign_in(client, "lukija")
    assert client.get("/ukk").status_code == 200
    assert client.get("/ukk/uusi").status_code == 403  # a reader does not write


def test_pick_write_publish_and_read(app):
    coach = TestClient(app)
    sign_in(coach, "valmentaja")
    results = coach.get("/", params={"q": "palkka koulutussopimus"})
    assert 'form="valitse"' in results.text and 'name="c" value="fi.1-2000.s1"' in results.text
    editor = coach.get("/ukk/uusi", params={"q": "Saako palkkaa?", "c": ["fi.1-2000.s1", "fi.1-2000.s2"]})
    assert editor.status_code == 200
    assert editor.text.count('name="c"') == 2 and "Testilaki (1/2000) 1\u00a0§" in editor.text
    form = {
        "csrf": _hidden(editor.text, "csrf"),
        "topic": "tyoelama",
        "question": "Saako opiskelija palkkaa koulutussopimuksella? <script>alert(1)</script>",
        "answer": "Ei saa [1]. Oppisopimuksessa saa [2].",
        "tags": "palkka, koulutussopimus",
        "c": ["fi.1-2000.s1", "fi.1-2000.s2"],
        "quote": ["Opiskelija ei saa palkkaa koulutussopimuksen aikana työpaikalla.", ""],
        "action": "publish",
    }
    without_token = coach.post("/ukk/uusi", data={**form, "csrf": ""})
    assert without_token.status_code == 403
    r = coach.post("/ukk/uusi", data=form, follow_redirects=False)
    assert r.status_code == 303
    page = coach.get(r.headers["location"])
    assert (
        "julkaistu" in page.text
        and "&lt;script&gt;alert(1)&lt;/script&gt;" in page.text
        and "<script>alert" not in page.text
    )
    assert 'href="/osio/fi.1-2000.s1"' in page.text
    reader = TestClient(app)
    sign_in(reader, "lukija")
    found = reader.get("/", params={"q": "Saako opiskelija palkkaa koulutussopimuksella?"})
    assert "Aiemmin vastattu" in found.text and r.headers["location"] in found.text
    assert 'form="valitse"' not in found.text  # readers do not pick sources


def test_a_stale_edit_is_refused_with_409(app):
    coach = TestClient(app)
    sign_in(coach, "valmentaja")
    editor = coach.get("/ukk/uusi", params={"c": "fi.1-2000.s2"})
    csrf = _hidden(editor.text, "csrf")
    form = {
        "csrf": csrf,
        "topic": "tyoelama",
        "question": "Palkka?",
        "answer": "Saa [1].",
        "c": "fi.1-2000.s2",
        "quote": "",
    }
    location = coach.post("/ukk/uusi", data=form, follow_redirects=False).headers["location"]
    edit_url = f"{location}/muokkaa"
    first = coach.get(edit_url)
    version = _hidden(first.text, "version")
    assert (
        coach.post(
            edit_url, data={**form, "version": version, "answer": "Saa aina [1]."}, follow_redirects=False
        ).status_code
        == 303
    )
    stale = coach.post(edit_url, data={**form, "version": version, "answer": "Ei saa [1]."})
    assert stale.status_code == 409 and "Toinen valmentaja muutti vastausta" in stale.text
    assert '<p>Saa aina <a class="ref" href="#lahde-1" aria-label="lähde 1">[1]</a>.</p>' in coach.get(location).text
