"""/api/ask, /api/sections, /api/documents, /readyz, /metrics, CORS and request logging (in-process, fake embedder)."""

from __future__ import annotations

import logging
import time
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from lahde.service import make_app
from lahde.settings import Settings
from retrieval.search import Searcher
from search_api.app import create_app
from tests.fakes import HashingEmbedder, fake_wiring
from tests.indexes import build_index
from tests.problems import assert_problem
from tests.samples import ANSWER_CHUNKS as CHUNKS


def _app(tmp_path: Path, **overrides):
    embedder = HashingEmbedder(dim=256, model_id="test/hashing-256")
    build_index(CHUNKS, embedder, tmp_path / "idx")
    settings = Settings(
        index_dir=tmp_path / "idx",
        cache_path=tmp_path / "cache.sqlite",
        max_k=20,
        max_query_chars=100,
        ask_min_score=0.3,
        ask_max_k=5,
        **overrides,
    )
    return create_app(settings, searcher=Searcher.open(tmp_path / "idx", embedder))


@pytest.fixture()
def client(tmp_path: Path):
    with TestClient(_app(tmp_path)) as c:
        yield c


def test_ask_drafts_verbatim_cited_sentences(client: TestClient):
    body = client.post(
        "/api/ask", json={"question": "saako opiskelija palkkaa koulutussopimuksen aikana", "k": 3}
    ).json()
    assert body["answered"] is True and body["message"] is None
    assert body["answer"] == "Opiskelija ei saa palkkaa koulutussopimuksen aikana työpaikalla. [1]"
    assert [(s["n"], s["id"]) for s in body["sources"]] == [(1, "fi.1-2000.s1")]
    assert body["sources"][0]["citation"]["label"] == "Testilaki (1/2000) 1 §"
    for s in body["sentences"]:
        assert body["sources"][s["source"] - 1]["text"][s["start"] : s["end"]] == s["text"]
    assert body["nearest"] == [] and body["signal"] == "sentence" and body["threshold"] == 0.3


def test_ask_abstains_with_nearest_passages(client: TestClient):
    body = client.post("/api/ask", json={"question": "Läroavtalet", "filters": {"lang": "fi"}}).json()
    assert body["answered"] is False and body["answer"] == body["message"] == "riittävää lähdettä ei löytynyt"
    assert body["sentences"] == [] and body["sources"] == []
    assert len(body["nearest"]) == 3 and all(h["citation"]["lang"] == "fi" for h in body["nearest"])


def test_section_and_documents(client: TestClient):
    section = client.get("/api/sections/fi.1-2000.s2").json()
    assert section["label"] == "Testilaki (1/2000) 2 §" and section["text"] == CHUNKS[1].text
    assert (section["previous_id"], section["next_id"]) == ("fi.1-2000.s1", "fi.1-2000.s3")
    assert section["other_languages"] == [{"lang": "sv", "id": "sv.1-2000.s2", "label": "Testilaki (1/2000) 2 §"}]
    assert [p["id"] for p in section["parts"]] == ["fi.1-2000.s2"] and section["amendments"] == []
    docs = client.get("/api/documents").json()["documents"]
    assert [(d["id"], d["section_count"], d["other_languages"]) for d in docs] == [
        ("fi.1-2000", 3, ["sv.1-2000"]),
        ("sv.1-2000", 1, ["fi.1-2000"]),
    ]
    one = client.get("/api/documents/fi.1-2000").json()
    assert one["section_ids"] == ["fi.1-2000.s1", "fi.1-2000.s2", "fi.1-2000.s3"] and one["title"] == "Testilaki"


def test_readyz_and_metrics(client: TestClient):
    ready = client.get("/readyz").json()
    assert ready["status"] == "ready" and ready["chunk_count"] == 4 and ready["model_id"] == "test/hashing-256"
    # The generation served, by its directory name (it once reported the build time instead).
    assert ready["generation"] == "gen-000001" and ready["built_at"].startswith("20")
    client.get("/api/search", params={"q": "palkka"})
    client.get("/api/search", params={"q": ""})
    client.get("/api/sections/nope")
    text = client.get("/metrics").text
    assert 'lahde_requests_total{endpoint="/api/search",method="GET",status="200"} 1.0' in text
    assert 'lahde_requests_total{endpoint="/api/search",method="GET",status="422"} 1.0' in text
    assert 'lahde_requests_total{endpoint="/api/sections/{chunk_id}",method="GET",status="404"} 1.0' in text
    assert 'lahde_request_duration_seconds_count{endpoint="/api/search"} 2.0' in text
    assert "lahde_index_chunks 4.0" in text
    assert 'lahde_index_generation{generation="gen-000001",model_id="test/hashing-256"} 1.0' in text


ALL_ERRORS = [
    ("GET", "/api/search", {"params": {"q": "x" * 101}}, 422, "q"),
    ("GET", "/api/search", {"params": {"q": "palkka", "k": 21}}, 422, "k"),
    ("POST", "/api/ask", {"json": {}}, 422, "question"),
    ("POST", "/api/ask", {"json": {"question": "   "}}, 422, "question"),
    ("POST", "/api/ask", {"json": {"question": "x" * 101}}, 422, "question"),
    ("POST", "/api/ask", {"json": {"question": "palkka", "k": 6}}, 422, "k"),
    ("POST", "/api/ask", {"json": {"question": "palkka", "k": 0}}, 422, "k"),
    ("POST", "/api/ask", {"json": {"question": "palkka", "filters": {"colour": "red"}}}, 422, "filters.colour"),
    ("POST", "/api/ask", {"json": {"question": "palkka", "extra": 1}}, 422, "extra"),
    ("POST", "/api/ask", {"content": b"{not json", "headers": {"content-type": "application/json"}}, 422, None),
    ("GET", "/api/ask", {}, 405, None),
    ("GET", "/api/sections/no.such.id", {}, 404, "chunk_id"),
    ("GET", "/api/sections/" + "x" * 201, {}, 422, "chunk_id"),
    ("GET", "/api/documents/no.such.doc", {}, 404, "doc_id"),
    ("POST", "/api/documents", {}, 405, None),
    ("POST", "/readyz", {}, 405, None),
    ("POST", "/metrics", {}, 405, None),
    ("GET", "/nowhere", {}, 404, None),
    ("GET", "/api/search", {"params": {"q": "palkka", "date": "2024-02-30"}}, 422, "date"),
    ("GET", "/api/search", {"params": {"q": "palkka", "date": "1700000000"}}, 422, "date"),
    ("GET", "/api/sections/fi.1-2000.s1", {"params": {"date": "31.7.2021"}}, 422, "date"),
    # The UKK needs signing in: every endpoint says so in the one shape.
    ("POST", "/api/session", {"json": {"username": "nobody", "password": "wrong-password"}}, 401, None),
    ("POST", "/api/session", {"json": {"username": "", "password": "x"}}, 422, "username"),
    ("GET", "/api/session", {}, 401, "Authorization"),
    ("DELETE", "/api/session", {}, 401, "Authorization"),
    ("GET", "/api/ukk", {}, 401, "Authorization"),
    ("GET", "/api/ukk", {"headers": {"Authorization": "Bearer lahde_forged"}}, 401, "Authorization"),
    ("POST", "/api/ukk", {"json": {}}, 401, "Authorization"),
    ("GET", "/api/ukk/search", {"params": {"q": "palkka"}}, 401, "Authorization"),
    ("GET", "/api/ukk/1", {}, 401, "Authorization"),
    ("PUT", "/api/ukk/1", {"json": {}}, 401, "Authorization"),
    ("GET", "/api/ukk/1/revisions", {}, 401, "Authorization"),
    ("POST", "/api/ukk/1/publish", {"json": {"version": 1}}, 401, "Authorization"),
    ("POST", "/api/ukk/1/verify", {"json": {"version": 1}}, 401, "Authorization"),
    ("POST", "/api/ukk/1/archive", {"json": {"version": 1}}, 401, "Authorization"),
    ("POST", "/api/kysymykset", {"json": {"topic": "hoks", "text": "x"}}, 401, "Authorization"),
    ("POST", "/api/kysymykset/tarkista", {"json": {"text": "x"}}, 401, "Authorization"),
    ("GET", "/api/kysymykset", {}, 401, "Authorization"),
    ("GET", "/api/kysymykset/tilastot", {}, 401, "Authorization"),
    ("GET", "/api/kysymykset/1", {}, 401, "Authorization"),
    ("POST", "/api/kysymykset/1/claim", {"json": {"version": 1}}, 401, "Authorization"),
    ("POST", "/api/kysymykset/1/hand-over", {"json": {"version": 1}}, 401, "Authorization"),
    ("POST", "/api/kysymykset/1/answer", {"json": {"version": 1, "entry_id": 1}}, 401, "Authorization"),
    ("POST", "/api/kysymykset/1/reopen", {"json": {"version": 1}}, 401, "Authorization"),
    ("POST", "/api/kysymykset/1/withdraw", {"json": {"version": 1}}, 401, "Authorization"),
    ("POST", "/api/kysymykset/1/close", {"json": {"version": 1}}, 401, "Authorization"),
]


@pytest.mark.parametrize(("method", "path", "kwargs", "status", "field"), ALL_ERRORS)
def test_every_endpoint_reports_errors_in_the_problem_shape(client: TestClient, method, path, kwargs, status, field):
    body = assert_problem(client.request(method, path, **kwargs), status)
    if field:
        assert [e["field"] for e in body["errors"]] == [field]


@pytest.mark.parametrize(
    ("method", "path", "kwargs"),
    [
        ("GET", "/api/search", {"params": {"q": "x"}}),
        ("POST", "/api/ask", {"json": {"question": "x"}}),
        ("GET", "/api/sections/fi.1-2000.s1", {}),
        ("GET", "/api/documents", {}),
        ("GET", "/api/documents/fi.1-2000", {}),
        ("GET", "/readyz", {}),
    ],
)
def test_every_index_endpoint_answers_503_without_an_index(tmp_path: Path, method, path, kwargs):
    with TestClient(make_app(Settings(index_dir=tmp_path / "none"), fake_wiring())) as c:
        assert "no index at" in assert_problem(c.request(method, path, **kwargs), 503)["detail"]
        assert c.get("/healthz").status_code == 200
        assert "lahde_index_chunks 0.0" in c.get("/metrics").text


def test_cors_allows_only_configured_origins(tmp_path: Path):
    with TestClient(_app(tmp_path, cors_origins=["http://localhost:5173"])) as c:
        ok = c.get("/api/search", params={"q": "palkka"}, headers={"Origin": "http://localhost:5173"})
        assert ok.headers["access-control-allow-origin"] == "http://localhost:5173"
        other = c.get("/api/search", params={"q": "palkka"}, headers={"Origin": "http://evil.example"})
        assert "access-control-allow-origin" not in other.headers
    with TestClient(_app(tmp_path / "2")) as c:  # no origins configured: no CORS headers at all
        r = c.get("/api/search", params={"q": "palkka"}, headers={"Origin": "http://localhost:5173"})
        assert "access-control-allow-origin" not in r.headers


@pytest.mark.parametrize("log_queries", [False, True])
def test_request_log_has_no_query_text_unless_enabled(tmp_path: Path, caplog, log_queries: bool):
    secret = "Matti Meikäläinen hoks"
    with TestClient(_app(tmp_path, log_queries=log_queries)) as c, caplog.at_level(logging.INFO):
        c.get("/api/search", params={"q": secret})
        c.post("/api/ask", json={"question": secret})
    access = [r for r in caplog.records if r.name == "lahde.access"]
    assert [(r.lahde["endpoint"], r.lahde["status"]) for r in access] == [("/api/search", 200), ("/api/ask", 200)]
    assert all(r.lahde["duration_ms"] >= 0 and len(r.lahde["request_id"]) == 12 for r in access)
    logged = "\n".join(
        r.getMessage() for r in caplog.records if not r.name.startswith("httpx")
    )  # the test client (httpx or httpx2)
    assert ("Meik" in logged) is log_queries


def test_openapi_states_the_configured_limits_and_the_problem_shape(client: TestClient):
    doc = client.get("/openapi.json").json()
    params = {p["name"]: p["schema"] for p in doc["paths"]["/api/search"]["get"]["parameters"]}
    assert params["q"]["maxLength"] == 100 and params["q"]["pattern"]
    assert [b.get("maximum") for b in params["k"]["anyOf"] if b.get("type") == "integer"] == [20]
    ask = doc["components"]["schemas"]["AskRequest"]["properties"]
    assert ask["question"]["maxLength"] == 100
    assert [b.get("maximum") for b in ask["k"]["anyOf"] if b.get("type") == "integer"] == [5]
    errors = doc["paths"]["/api/ask"]["post"]["responses"]
    assert set(errors) == {"200", "400", "413", "422", "503"}
    assert errors["422"]["content"] == {
        "application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}
    }
    assert "HTTPValidationError" not in doc["components"]["schemas"]
    assert client.get("/docs").status_code == 200


def test_ask_warm_embeds_sentences_when_the_index_loads(tmp_path: Path):
    app = _app(tmp_path, ask_warm=True)
    with TestClient(app) as c:
        embedder = app.state.searcher.embedder
        built = 4  # the index build embedded the four passages
        deadline = time.monotonic() + 10
        while embedder.passages_embedded < built + 7 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert embedder.passages_embedded == built + 7
        assert c.post("/api/ask", json={"question": "saako opiskelija palkkaa koulutussopimuksen aikana"}).json()[
            "answered"
        ]
        assert embedder.passages_embedded == built + 7  # the answer needed no new sentence vectors
