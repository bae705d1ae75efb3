"""The question channel through the API: ask (with the personal-data check), the queue, claim, answer with a
UKK entry, the e-mail to the asker (a real SMTP server on loopback), reopen, figures, and the problem shape."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from lahde.settings import Settings
from retrieval.search import Searcher
from search_api.app import create_app
from tests.fakes import HashingEmbedder
from tests.indexes import build_index
from tests.problems import assert_problem
from tests.samples import ANSWER_CHUNKS
from tests.servers import smtp_server
from ukk import accounts
from ukk.store import UkkStore

PASSWORD = "oikein-hyva-salasana"


@pytest.fixture()
def mail():
    with smtp_server() as server:
        yield server


@pytest.fixture()
def clients(tmp_path: Path, mail):
    port, _sink = mail
    embedder = HashingEmbedder(dim=64, model_id="test/hashing-64")
    build_index(ANSWER_CHUNKS, embedder, tmp_path / "idx")
    settings = Settings(
        index_dir=tmp_path / "idx",
        ukk_min_score=0.3,
        smtp_host="127.0.0.1",
        smtp_port=port,
        public_url="https://lahde.example.fi",
        smtp_password="not-logged-ever",
    )
    store = UkkStore(settings.ukk_path())
    store.add_institution("esimerkkiopisto", "Esimerkkiopisto")
    accounts.add_user(store, "liisa", "Liisa Lukija", "lukija", "esimerkkiopisto", PASSWORD, "liisa@koulu.example")
    accounts.add_user(store, "vilma", "Vilma", "valmentaja", "esimerkkiopisto", PASSWORD)
    tokens = {u: accounts.create_token(store, u, "t") for u in ("liisa", "vilma")}
    store.close()
    app = create_app(settings, searcher=Searcher.open(tmp_path / "idx", embedder))
    return {u: TestClient(app, headers={"Authorization": f"Bearer {t}"}) for u, t in tokens.items()}


def test_ask_check_claim_answer_mail_reopen(clients, mail, caplog):
    _port, sink = mail
    staff, coach = clients["liisa"], clients["vilma"]
    text = "Saako opiskelija (131052-308T) palkkaa koulutussopimuksen aikana?"
    check = staff.post("/api/kysymykset/tarkista", json={"text": text}).json()
    assert [p["kind"] for p in check["personal_data"]] == ["hetu"]
    assert check["masked"] == "Saako opiskelija ([henkilötunnus]) palkkaa koulutussopimuksen aikana?"
    assert check["passages"][0]["id"] == "fi.1-2000.s1"
    r = staff.post("/api/kysymykset", json={"topic": "tyoelama", "text": text, "mask": True})
    assert r.status_code == 201
    q = r.json()
    assert (q["status"], q["asker"], q["text"]) == ("uusi", "liisa", check["masked"])
    assert [x["id"] for x in coach.get("/api/kysymykset", params={"scope": "jono"}).json()] == [q["id"]]
    assert_problem(staff.get("/api/kysymykset", params={"scope": "jono"}), 403)  # staff do not see the queue
    q = coach.post(f"/api/kysymykset/{q['id']}/claim", json={"version": 1}).json()
    assert (q["status"], q["claimed_by"]) == ("tyon_alla", "vilma")
    entry = coach.post(
        "/api/ukk",
        json={
            "topic": "tyoelama",
            "question": "Saako opiskelija palkkaa koulutussopimuksen aikana?",
            "answer": "Ei saa [1]. Oppisopimuksessa saa [2].",
            "citations": [{"chunk_id": "fi.1-2000.s1"}, {"chunk_id": "fi.1-2000.s2"}],
        },
    ).json()
    q = coach.post(f"/api/kysymykset/{q['id']}/answer", json={"version": q["version"], "entry_id": entry["id"]}).json()
    assert q["status"] == "vastattu"
    (message,) = sink.messages
    assert message["To"] == "liisa@koulu.example"
    body = message.get_content()
    assert f"https://lahde.example.fi/kysymykset/{q['id']}" in body
    assert "palkkaa" not in body and "131052" not in body  # a link, never the question or the answer
    assert "not-logged-ever" not in caplog.text
    seen = staff.get(f"/api/kysymykset/{q['id']}").json()
    assert seen["answer"]["answer"] == "Ei saa [1]. Oppisopimuksessa saa [2]."
    assert [c["label"] for c in seen["answer"]["citations"]] == ["Testilaki (1/2000) 1 §", "Testilaki (1/2000) 2 §"]
    q = staff.post(f"/api/kysymykset/{q['id']}/reopen", json={"version": q["version"], "note": "ei vastannut"}).json()
    assert q["status"] == "tyon_alla"
    figures = coach.get("/api/kysymykset/tilastot").json()
    assert figures["open_by_topic"]["tyoelama"] == 1 and figures["answered"] == 1
    assert_problem(staff.get("/api/kysymykset/tilastot"), 403)
    metrics = coach.get("/metrics").text
    assert 'lahde_questions_open{topic="tyoelama"} 1.0' in metrics
    # The UKK entry carries no trace of the asker.
    published = coach.post(f"/api/ukk/{entry['id']}/publish", json={"version": entry["version"]}).json()
    assert "liisa" not in str(published).lower() and "131052" not in str(published)


def test_bad_requests_name_the_field(clients):
    staff = clients["liisa"]
    assert (
        assert_problem(staff.post("/api/kysymykset", json={"topic": "palkat", "text": "x"}), 422)["errors"][0]["field"]
        == "topic"
    )
    assert_problem(staff.post("/api/kysymykset", json={"topic": "hoks", "text": ""}), 422)
    assert_problem(staff.get("/api/kysymykset/999"), 404)
    q = staff.post("/api/kysymykset", json={"topic": "hoks", "text": "Kuka hyväksyy HOKSin?"}).json()
    assert_problem(staff.post(f"/api/kysymykset/{q['id']}/withdraw", json={"version": 5}), 409)
    assert staff.post(f"/api/kysymykset/{q['id']}/withdraw", json={"version": 1}).json()["status"] == "peruttu"
    assert_problem(TestClient(staff.app).post("/api/kysymykset", json={"topic": "hoks", "text": "x"}), 401)
