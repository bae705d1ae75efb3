"""The question pages without a browser: CSRF on every form, who sees what, the two-step ask, escaping."""

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
from tests.web.test_ukk_pages import sign_in
from ukk import accounts
from ukk.store import UkkStore

PASSWORD = "oikein-hyva-salasana"


@pytest.fixture()
def app(tmp_path: Path):
    embedder = HashingEmbedder(dim=64, model_id="test/hashing-64")
    build_index(ANSWER_CHUNKS, embedder, tmp_path / "idx")
    settings = Settings(index_dir=tmp_path / "idx", cookie_secure=False, ukk_min_score=0.3)
    store = UkkStore(settings.ukk_path())
    store.add_institution("esimerkkiopisto", "Esimerkkiopisto")
    store.add_institution("toinenopisto", "Toinen")
    accounts.add_user(store, "lukija", "Lauri", "lukija", "esimerkkiopisto", PASSWORD)
    accounts.add_user(store, "valmentaja", "Vilma", "valmentaja", "esimerkkiopisto", PASSWORD)
    accounts.add_user(store, "vieras", "Ville", "valmentaja", "toinenopisto", PASSWORD)
    store.close()
    return create_app(settings, searcher=Searcher.open(tmp_path / "idx", embedder))


def _csrf(html: str) -> str:
    return re.search(r'name="csrf" value="([^"]*)"', html).group(1)


def test_ask_in_two_steps_and_only_the_right_people_see_it(app):
    staff = TestClient(app)
    sign_in(staff, "lukija")
    form = staff.get("/kysy")
    data = {"csrf": _csrf(form.text), "topic": "tyoelama", "text": "Saako palkkaa? <b>hetu 131052-308T</b>"}
    assert staff.post("/kysy", data={**data, "csrf": "forged", "action": "send"}).status_code == 403
    checked = staff.post("/kysy", data={**data, "action": "check"})
    assert checked.status_code == 200 and "Onko tämä jo vastattu?" in checked.text
    assert "henkilötunnus" in checked.text and "&lt;b&gt;" in checked.text and "<b>hetu" not in checked.text
    sent = staff.post("/kysy", data={**data, "action": "send", "mask": "1"}, follow_redirects=False)
    assert sent.status_code == 303
    url = sent.headers["location"]
    page = staff.get(url)
    assert "[henkilötunnus]" in page.text and "131052-308T" not in page.text
    coach = TestClient(app)
    sign_in(coach, "valmentaja")
    assert url in coach.get("/kysymykset").text
    claim = coach.post(f"{url}/toiminto", data={"csrf": "forged", "action": "claim", "version": "1"})
    assert claim.status_code == 403
    ok = coach.post(
        f"{url}/toiminto",
        data={"csrf": _csrf(coach.get(url).text), "action": "claim", "version": "1"},
        follow_redirects=False,
    )
    assert ok.status_code == 303 and "työn alla" in coach.get(url).text
    stale = coach.post(f"{url}/toiminto", data={"csrf": _csrf(coach.get(url).text), "action": "claim", "version": "1"})
    assert stale.status_code == 409
    outsider = TestClient(app)
    sign_in(outsider, "vieras")
    assert outsider.get(url).status_code == 404
    assert staff.get("/kysymykset").status_code == 403  # the queue is the coaches'
    assert TestClient(app).get("/kysy", follow_redirects=False).status_code == 303
