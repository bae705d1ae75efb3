"""The HTTP API: shapes, limits, errors — in-process for speed and through a real uvicorn server."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient

from lahde.service import make_app
from lahde.settings import Settings
from retrieval.search import Searcher
from search_api.app import create_app
from tests.fakes import HashingEmbedder, fake_wiring
from tests.indexes import build_index
from tests.problems import assert_problem
from tests.samples import STORE_CHUNKS as CHUNKS


@pytest.fixture()
def client(tmp_path: Path):
    embedder = HashingEmbedder()
    build_index(CHUNKS, embedder, tmp_path / "idx")
    settings = Settings(index_dir=tmp_path / "idx", max_k=20, max_query_chars=100)
    app = create_app(settings, searcher=Searcher.open(tmp_path / "idx", embedder))
    with TestClient(app) as c:
        yield c


def test_healthz(client: TestClient):
    assert client.get("/healthz").json() == {"status": "ok"}


def test_search_returns_hits_with_citations(client: TestClient):
    body = client.get("/api/search", params={"q": "koulutussopimus työpaikalla", "k": 2}).json()
    assert [h["id"] for h in body["hits"]] == ["a", "e"]
    assert (
        body["k"] == 2
        and body["offset"] == 0
        and isinstance(body["took_ms"], float)
        and body["took_ms"] > 0
        and body["mode"] == "hybrid"
    )
    first = body["hits"][0]
    assert set(first) == {"id", "rank", "score", "citation", "text", "highlights", "amendments", "other_versions"}
    assert first["citation"]["label"] == "a" and first["citation"]["statute"] == "531/2017"
    assert [(h["start"], h["end"], h["term"]) for h in first["highlights"]] == [
        (0, 15, "koulutussopimus"),
        (16, 27, "työpaikalla"),
    ]
    assert first["amendments"] == []


def test_search_modes(client: TestClient):
    get = lambda mode: client.get("/api/search", params={"q": "työpaikka", "k": 2, "mode": mode}).json()  # noqa: E731
    lexical, dense = get("lexical"), get("dense")
    # Only the lexical side knows base forms and compound parts (työpaikalla, työsuhteessa);
    # the hashing embedder shares no word with the query, so every dense score is 0.
    assert lexical["mode"] == "lexical" and [h["id"] for h in lexical["hits"]] == ["a", "b"]
    assert dense["mode"] == "dense" and [h["score"] for h in dense["hits"]] == [0.0, 0.0]
    assert [h["id"] for h in get("hybrid")["hits"]][0] == "a"


def test_search_filters_and_paging(client: TestClient):
    ids = lambda **p: [h["id"] for h in client.get("/api/search", params=p).json()["hits"]]  # noqa: E731
    assert ids(q="koulutussopimus", kind="ohje") == ["e"]
    assert ids(q="koulutussopimus", lang="sv") == ["d"]
    assert ids(q="koulutussopimus työpaikalla", k=1, offset=1) == ["e"]


@pytest.mark.parametrize(
    ("method", "path", "params", "status", "field"),
    [
        ("GET", "/api/search", {}, 422, "q"),
        ("GET", "/api/search", {"q": "   "}, 422, "q"),
        ("GET", "/api/search", {"q": "x" * 101}, 422, "q"),
        ("GET", "/api/search", {"q": "hoks", "k": 0}, 422, "k"),
        ("GET", "/api/search", {"q": "hoks", "k": 21}, 422, "k"),
        ("GET", "/api/search", {"q": "hoks", "k": "many"}, 422, "k"),
        ("GET", "/api/search", {"q": "hoks", "offset": -1}, 422, "offset"),
        ("GET", "/api/search", {"q": "hoks", "offset": 5000}, 422, "offset"),
        ("GET", "/api/search", {"q": "hoks", "mode": "semantic"}, 422, "mode"),
        ("GET", "/no/such/page", {}, 404, None),
        ("POST", "/api/search", {}, 405, None),
        ("POST", "/healthz", {}, 405, None),
    ],
)
def test_every_error_has_the_problem_shape(client: TestClient, method, path, params, status, field):
    body = assert_problem(client.request(method, path, params=params), status)
    if field:
        assert [e["field"] for e in body["errors"]] == [field]


def test_hostile_query_strings_are_handled(client: TestClient):
    for q in ["<script>alert(1)</script>", "' OR 1=1 --", "a\x00b", "🙂" * 50, "%00%ff"]:
        response = client.get("/api/search", params={"q": q})
        assert response.status_code == 200, q
    assert client.get("/api/search", params={"q": "a\x00b"}).json()["query"] == "a b"


def test_api_answers_503_when_the_index_is_missing(tmp_path: Path):
    app = make_app(Settings(index_dir=tmp_path / "none"), fake_wiring())
    with TestClient(app) as c:
        assert c.get("/healthz").status_code == 200
        body = assert_problem(c.get("/api/search", params={"q": "hoks"}), 503)
        assert "no index at" in body["detail"]


@pytest.mark.slow
def test_real_server_search_with_the_real_model(live_server: str):
    response = httpx.get(f"{live_server}/api/search", params={"q": "mikä on koulutussopimus", "k": 3}, timeout=30)
    assert response.status_code == 200
    body = response.json()
    assert body["hits"][0]["id"] == "fi.531-2017.s71"
    assert body["hits"][0]["citation"]["label"] == "Laki ammatillisesta koulutuksesta (531/2017) 71 §"
    assert body["hits"][0]["text"].startswith("Koulutussopimukseen perustuvassa koulutuksessa")


@pytest.mark.slow
def test_real_server_errors_have_the_problem_shape(live_server: str):
    assert_problem(httpx.get(f"{live_server}/api/search", params={"k": 3}, timeout=10), 422)
    assert_problem(httpx.get(f"{live_server}/api/search", params={"q": "x", "k": 10_000}, timeout=10), 422)
    assert_problem(httpx.get(f"{live_server}/nowhere", timeout=10), 404)


def test_a_query_of_only_c1_control_characters_is_refused_like_blank(client: TestClient):
    body = assert_problem(client.get("/api/search", params={"q": "\x85\x9f"}), 422)
    assert [e["field"] for e in body["errors"]] == ["q"]
