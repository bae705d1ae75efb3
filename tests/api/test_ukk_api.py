"""The UKK API through the app: sign-in, roles, CSRF, the entry life cycle, 409, and the problem shape."""

from __future__ import annotations

from pathlib import Path
from typing import get_args

import pytest
from fastapi.testclient import TestClient

from lahde.settings import Settings
from retrieval.search import Searcher
from search_api.app import create_app
from search_api.ukk_schemas import Status, Topic
from tests.fakes import HashingEmbedder
from tests.indexes import build_index
from tests.problems import assert_problem
from tests.samples import ANSWER_CHUNKS
from ukk import accounts
from ukk.store import UkkStore
from ukk.types import STATUSES, TOPICS

PASSWORD = "oikein-hyva-salasana"
QUOTE = "Opiskelija ei saa palkkaa koulutussopimuksen aikana työpaikalla."


@pytest.fixture()
def app(tmp_path: Path):
    embedder = HashingEmbedder(dim=64, model_id="test/hashing-64")
    build_index(ANSWER_CHUNKS, embedder, tmp_path / "idx")
    settings = Settings(
        index_dir=tmp_path / "idx", ukk_db=tmp_path / "ukk.sqlite", cookie_secure=False, ukk_min_score=0.3
    )
    store = UkkStore(settings.ukk_path())
    store.add_institution("esimerkkiopisto", "Esimerkkiopisto")
    store.add_institution("toinenopisto", "Toinen opisto")
    for name, role, inst in [
        ("lukija", "lukija", "esimerkkiopisto"),
        ("valmentaja", "valmentaja", "esimerkkiopisto"),
        ("vieras", "lukija", "toinenopisto"),
    ]:
        accounts.add_user(store, name, name.title(), role, inst, PASSWORD)
    store.close()
    return create_app(settings, searcher=Searcher.open(tmp_path / "idx", embedder))


def signed_in(app, username: str) -> tuple[TestClient, str]:
    client = TestClient(app)
    r = client.post("/api/session", json={"username": username, "password": PASSWORD})
    assert r.status_code == 200, r.text
    cookie = r.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie
    return client, r.json()["csrf"]


BODY = {
    "topic": "tyoelama",
    "question": "Saako opiskelija palkkaa koulutussopimuksella?",
    "answer": "Ei saa [1]. Oppisopimuksessa palkka maksetaan [2].",
    "tags": ["palkka"],
    "citations": [{"chunk_id": "fi.1-2000.s1", "quote": QUOTE}, {"chunk_id": "fi.1-2000.s2"}],
}


def test_schema_literals_match_the_store():
    assert get_args(Topic) == tuple(TOPICS) and get_args(Status) == STATUSES


def test_the_life_cycle_of_an_entry(app):
    coach, csrf = signed_in(app, "valmentaja")
    h = {"X-CSRF-Token": csrf}
    r = coach.post("/api/ukk", json=BODY, headers=h)
    assert r.status_code == 201, r.text
    e = r.json()
    assert (e["status"], e["version"], e["created_by"]) == ("luonnos", 1, "valmentaja")
    assert [(c["n"], c["label"], c["link"]) for c in e["citations"]] == [
        (1, "Testilaki (1/2000) 1 §", "/osio/fi.1-2000.s1"),
        (2, "Testilaki (1/2000) 2 §", "/osio/fi.1-2000.s2"),
    ]
    assert e["citations"][0]["quote"] == QUOTE and e["citations"][0]["generation"].startswith("gen-")
    r = coach.post(f"/api/ukk/{e['id']}/publish", json={"version": 1}, headers=h)
    assert r.json()["status"] == "julkaistu"
    reader, _ = signed_in(app, "lukija")
    assert [x["id"] for x in reader.get("/api/ukk").json()["entries"]] == [e["id"]]
    assert reader.get(f"/api/ukk/{e['id']}").json()["version"] == 2
    hits = reader.get("/api/ukk/search", params={"q": "saako opiskelija palkkaa koulutussopimuksella"}).json()
    assert [h["entry"]["id"] for h in hits] == [e["id"]]
    # Edited by one coach at version 2; a second edit made to version 1 is refused.
    r = coach.put(f"/api/ukk/{e['id']}", json={**BODY, "answer": "Ei [1]. Kyllä [2].", "version": 2}, headers=h)
    assert r.status_code == 200 and r.json()["version"] == 3
    stale = coach.put(f"/api/ukk/{e['id']}", json={**BODY, "version": 2}, headers=h)
    assert "version 3" in assert_problem(stale, 409)["detail"]
    r = coach.post(f"/api/ukk/{e['id']}/verify", json={"version": 3, "note": "ok"}, headers=h)
    assert (r.json()["verified_by"], r.json()["version"]) == ("valmentaja", 4)
    actions = [x["action"] for x in coach.get(f"/api/ukk/{e['id']}/revisions").json()]
    assert actions == ["create", "publish", "update", "verify"]
    # Not shared: another institution's reader does not see it.
    other, _ = signed_in(app, "vieras")
    assert other.get("/api/ukk").json()["entries"] == []
    assert_problem(other.get(f"/api/ukk/{e['id']}"), 404)


def test_roles_csrf_and_tokens(app):
    anonymous = TestClient(app)
    assert_problem(anonymous.get("/api/ukk"), 401)
    assert_problem(anonymous.post("/api/ukk", json=BODY), 401)
    reader, csrf = signed_in(app, "lukija")
    assert_problem(reader.post("/api/ukk", json=BODY, headers={"X-CSRF-Token": csrf}), 403)
    coach, csrf = signed_in(app, "valmentaja")
    body = assert_problem(coach.post("/api/ukk", json=BODY), 403)  # the cookie alone is not enough
    assert body["errors"] == [{"field": "csrf", "message": "missing or wrong"}]
    assert_problem(coach.post("/api/ukk", json=BODY, headers={"X-CSRF-Token": csrf + "x"}), 403)
    store = app.state.ukk
    token = accounts.create_token(store, "valmentaja", "skripti")
    script = TestClient(app)
    r = script.post("/api/ukk", json=BODY, headers={"Authorization": f"Bearer {token}"})
    assert r.status_code == 201  # a token needs no CSRF token: no browser sends it by itself
    assert_problem(script.get("/api/ukk", headers={"Authorization": "Bearer lahde_wrong"}), 401)


def test_bad_input_names_the_field(app):
    coach, csrf = signed_in(app, "valmentaja")
    h = {"X-CSRF-Token": csrf}
    body = assert_problem(coach.post("/api/ukk", json={**BODY, "citations": [{"chunk_id": "nope"}]}, headers=h), 422)
    assert body["errors"][0]["field"] == "citations.0.chunk_id"
    bad_quote = {
        **BODY,
        "citations": [{"chunk_id": "fi.1-2000.s1", "quote": "ei ole tekstissä"}, {"chunk_id": "fi.1-2000.s2"}],
    }
    assert (
        assert_problem(coach.post("/api/ukk", json=bad_quote, headers=h), 422)["errors"][0]["field"]
        == "citations.0.quote"
    )
    assert (
        assert_problem(coach.post("/api/ukk", json={**BODY, "topic": "palkat"}, headers=h), 422)["errors"][0]["field"]
        == "topic"
    )
    assert_problem(coach.post("/api/ukk", json={**BODY, "answer": "Katso [5]."}, headers=h), 422)
    e = coach.post("/api/ukk", json={**BODY, "answer": "Katso [1]."}, headers=h).json()
    body = assert_problem(coach.post(f"/api/ukk/{e['id']}/publish", json={"version": 1}, headers=h), 422)
    assert "[2]" in body["detail"]


def test_sign_in_is_throttled(app):
    client = TestClient(app)
    for _ in range(5):
        assert_problem(client.post("/api/session", json={"username": "lukija", "password": "vaara-salasana"}), 401)
    r = client.post("/api/session", json={"username": "lukija", "password": PASSWORD})
    assert_problem(r, 429)
    assert int(r.headers["retry-after"]) > 0


def test_sign_out_ends_the_session(app):
    client, csrf = signed_in(app, "lukija")
    assert client.get("/api/session").json()["username"] == "lukija"
    assert client.delete("/api/session", headers={"X-CSRF-Token": csrf}).status_code == 204
    assert_problem(client.get("/api/session"), 401)


def test_openapi_names_the_role_of_every_ukk_and_question_operation(app):
    doc = TestClient(app).get("/openapi.json").json()
    ops = [
        (path, method, op)
        for path, methods in doc["paths"].items()
        if path.startswith(("/api/ukk", "/api/kysymykset"))
        for method, op in methods.items()
    ]
    assert len(ops) == 20  # 9 of the UKK, 11 of the question channel
    for path, method, op in ops:
        assert op["x-required-role"] in ("lukija", "valmentaja"), (method, path)
        assert {"401", "403"} <= set(op["responses"]), (method, path)
        assert f"needs {op['x-required-role']}" in op["description"], (method, path)
    assert doc["components"]["securitySchemes"]["apiToken"]["scheme"] == "bearer"
