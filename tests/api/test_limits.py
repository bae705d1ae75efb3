"""Bounded resources and strict validation for hostile clients (in-process, and through a real uvicorn server)."""

from __future__ import annotations

import asyncio
import re
import socket
import time
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient

from lahde.service import server_config
from lahde.settings import Settings
from retrieval.search import Searcher
from search_api.app import create_app
from search_api.limits import LimitBodies
from tests.fakes import HashingEmbedder
from tests.indexes import build_index
from tests.problems import assert_problem
from tests.samples import ANSWER_CHUNKS as CHUNKS
from tests.servers import free_port, uvicorn_thread


def _app(tmp_path: Path, **overrides: object):  # type: ignore[no-untyped-def]
    embedder = HashingEmbedder(dim=256, model_id="test/hashing-256")
    build_index(CHUNKS, embedder, tmp_path / "idx")
    settings = Settings(
        index_dir=tmp_path / "idx", cache_path=tmp_path / "cache.sqlite", ask_min_score=0.3, **overrides
    )
    return create_app(settings, searcher=Searcher.open(tmp_path / "idx", embedder))


@pytest.fixture()
def client(tmp_path: Path):
    with TestClient(_app(tmp_path, max_body_bytes=1024)) as c:
        yield c


def _series(metrics_text: str) -> set[str]:
    return {line.rsplit(" ", 1)[0] for line in metrics_text.splitlines() if line.startswith("lahde_request")}


def test_a_streamed_body_is_read_only_up_to_the_limit():
    pulled: list[int] = []
    sent: list[dict] = []
    reached: list[bool] = []

    async def app(scope, receive, send):  # type: ignore[no-untyped-def]
        reached.append(True)

    async def receive():  # type: ignore[no-untyped-def]
        pulled.append(1)
        return {"type": "http.request", "body": b"x" * 400, "more_body": len(pulled) < 100}

    async def send(message):  # type: ignore[no-untyped-def]
        sent.append(message)

    scope = {"type": "http", "method": "POST", "path": "/api/ask", "headers": [(b"transfer-encoding", b"chunked")]}
    asyncio.run(LimitBodies(app, max_bytes=1024)(scope, receive, send))
    assert sent[0]["status"] == 413 and reached == [] and len(pulled) == 3  # 1,200 bytes read of 40,000
    assert b'"larger than 1024 bytes"' in sent[1]["body"]


def test_a_body_over_the_limit_is_refused_in_the_problem_shape(client: TestClient):
    body_413 = assert_problem(
        client.post("/api/ask", content=b"x" * 5000, headers={"content-type": "application/json"}), 413
    )
    assert body_413["errors"] == [{"field": "body", "message": "larger than 1024 bytes"}]
    declared = client.post(
        "/api/ask", content=b'{"question": "palkka"}' + b" " * 2000, headers={"content-type": "application/json"}
    )
    assert "LAHDE_MAX_BODY_BYTES" in assert_problem(declared, 413)["detail"]
    assert client.post("/api/ask", json={"question": "palkka"}).status_code == 200


def test_odd_methods_and_paths_add_no_metric_series(client: TestClient):
    client.get("/api/search", params={"q": "palkka"})
    client.get("/metrics")
    for i in range(20):
        client.request(f"BREW{i}", f"/teapot/{i}")
        client.request("DELETE", f"/teapot/{i}")
        client.get(f"/no/such/{i}")
    before = _series(client.get("/metrics").text)
    for i in range(20, 80):
        client.request(f"PROPFIND{i}", f"/other/{i}")
        client.request("DELETE", f"/api/search/{i}")
        client.get(f"/x{i}")
    after = _series(client.get("/metrics").text)
    assert after == before
    labels = set(re.findall(r'method="([^"]+)"', "\n".join(after)))
    assert labels <= {"GET", "POST", "HEAD", "PUT", "DELETE", "PATCH", "OPTIONS", "other"}
    assert 'endpoint="unmatched"' in "\n".join(after)


@pytest.mark.parametrize(
    ("params", "field", "allowed"),
    [
        ({"kind": "blogi"}, "kind", "laki, asetus, peruste, opas, ohje, ukk"),
        ({"lang": "en"}, "lang", "fi, sv"),
        ({"statute": "9999/2099"}, "statute", "1/2000"),
    ],
)
def test_an_unknown_filter_value_is_refused_naming_the_allowed_ones(client: TestClient, params, field, allowed):
    body = assert_problem(client.get("/api/search", params={"q": "palkka", **params}), 422)
    assert body["errors"][0]["field"] == field and allowed in body["detail"]
    ask = assert_problem(client.post("/api/ask", json={"question": "palkka", "filters": params}), 422)
    assert ask["errors"][0]["field"] == f"filters.{field}" and allowed in ask["detail"]


@pytest.mark.parametrize("blank", ["\u200b\u200c\u200d", "\ufeff", " \u2060 \x85 "])
def test_a_query_of_invisible_characters_is_blank(client: TestClient, blank: str):
    assert assert_problem(client.get("/api/search", params={"q": blank}), 422)["errors"][0]["field"] == "q"
    assert assert_problem(client.post("/api/ask", json={"question": blank}), 422)["errors"][0]["field"] == "question"
    page = client.get("/", params={"q": blank})
    assert page.status_code == 200 and 'class="results"' not in page.text  # the empty state


def test_malformed_json_and_booleans_for_numbers_name_the_field(client: TestClient):
    broken = client.post("/api/ask", content=b'{"question": "palkka",', headers={"content-type": "application/json"})
    body = assert_problem(broken, 422)
    assert body["errors"][0]["field"] == "body" and "JSON" in body["errors"][0]["message"]
    boolean = assert_problem(client.post("/api/ask", json={"question": "palkka", "k": True}), 422)
    assert [e["field"] for e in boolean["errors"]] == ["k"]


def test_every_json_answer_says_nosniff(client: TestClient):
    for response in (
        client.get("/api/search", params={"q": "palkka"}),
        client.get("/api/search", params={"q": ""}),
        client.get("/nowhere"),
        client.get("/openapi.json"),
        client.get("/healthz"),
    ):
        assert response.headers["x-content-type-options"] == "nosniff"


def test_docs_are_served_from_the_app_under_a_csp(client: TestClient):
    page = client.get("/docs")
    assert page.status_code == 200
    assert "script-src 'self'" in page.headers["content-security-policy"]
    sources = re.findall(r'(?:src|href)="([^"]+)"', page.text)
    assert sources and all(s.startswith("/") for s in sources), sources
    for source in sources:
        assert client.get(source).status_code == 200, source
    assert "<script>" not in page.text  # no inline script: the CSP would block it


def test_section_page_refuses_an_overlong_q(client: TestClient):
    ok = client.get("/osio/fi.1-2000.s2", params={"q": "palkka"})
    assert ok.status_code == 200 and "q=palkka" in ok.text
    long = client.get("/osio/fi.1-2000.s2", params={"q": "palkka " * 200})
    assert long.status_code == 422 and ("palkka " * 200).strip() not in long.text


def test_the_web_page_refuses_an_unknown_filter_value(client: TestClient):
    page = client.get("/", params={"q": "palkka", "kind": "blogi"})
    assert page.status_code == 422 and "blogi" in page.text and "laki" in page.text


def test_the_server_config_bounds_slow_and_many_clients():
    config = server_config(
        object(),
        Settings(header_timeout=3.0, keep_alive_timeout=4, max_connections=50),  # type: ignore[arg-type]
    )
    assert (config.timeout_keep_alive, config.limit_concurrency) == (4, 50)
    assert config.http.header_timeout == 3.0  # type: ignore[union-attr]


def test_a_stalled_client_is_dropped_after_the_header_timeout(tmp_path: Path):
    app = _app(tmp_path)
    config = server_config(app, Settings(header_timeout=1.0, port=free_port()))
    with uvicorn_thread(app, config) as base:
        port = int(base.rsplit(":", 1)[1])
        stalled = []
        for _ in range(10):
            s = socket.create_connection(("127.0.0.1", port), timeout=10)
            s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")  # never finishes its headers
            stalled.append(s)
        started = time.monotonic()
        closed = [s.recv(1024) == b"" for s in stalled]  # the server closes each one
        waited = time.monotonic() - started
        for s in stalled:
            s.close()
        assert all(closed) and waited < 8
        assert httpx.get(f"{base}/healthz", timeout=5).status_code == 200  # a normal client still gets in


def test_a_real_server_answers_a_declared_100_mb_body_at_once(tmp_path: Path):
    app = _app(tmp_path)
    with uvicorn_thread(app) as base:
        port = int(base.rsplit(":", 1)[1])
        with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
            s.sendall(
                b"POST /api/ask HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                b"Content-Length: 104857600\r\n\r\n" + b"x" * 1000
            )
            head = s.recv(4096)
        assert head.startswith(b"HTTP/1.1 413") and b"application/problem+json" in head
