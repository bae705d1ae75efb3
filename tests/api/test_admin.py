"""Admin endpoints (token, background re-index, status, reload) and hot reload, in-process with the fake embedder."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from index.generations import ReindexLock
from lahde.service import Wiring, build, reindex
from retrieval.search import Searcher
from search_api.admin import wait_for_job
from search_api.app import create_app
from tests.fakes import HashingEmbedder
from tests.problems import assert_problem
from tests.temp_corpus import apply_three_changes, make_corpus, settings_for

TOKEN = {"Authorization": "Bearer s3cret"}


def _embedder() -> HashingEmbedder:
    return HashingEmbedder(dim=1024, model_id="test/hashing-1024")


def _client(tmp_path: Path, **settings_extra: object) -> TestClient:
    make_corpus(tmp_path)
    settings = settings_for(tmp_path, **settings_extra)
    embedder = _embedder()
    build(settings, embedder)
    wiring = Wiring(embedder_factory=lambda _settings: _embedder())
    return TestClient(create_app(settings, wiring, searcher=Searcher.open(settings.index_dir, embedder)))


def _top(client: TestClient, q: str) -> str | None:
    hits = client.get("/api/search", params={"q": q, "k": 1}).json()["hits"]
    return hits[0]["id"] if hits else None


@pytest.mark.parametrize(
    ("method", "path"), [("POST", "/api/admin/reindex"), ("GET", "/api/admin/reindex"), ("POST", "/api/admin/reload")]
)
def test_admin_endpoints_are_refused_without_a_configured_token(tmp_path: Path, method: str, path: str):
    with _client(tmp_path) as client:
        body = assert_problem(client.request(method, path, headers=TOKEN), 403)
        assert "LAHDE_ADMIN_TOKEN" in body["detail"]


@pytest.mark.parametrize("headers", [{}, {"Authorization": "Bearer wrong"}, {"Authorization": "s3cret"}])
def test_admin_endpoints_need_the_right_token(tmp_path: Path, headers: dict[str, str]):
    with _client(tmp_path, admin_token="s3cret") as client:
        body = assert_problem(client.post("/api/admin/reindex", headers=headers), 401)
        assert body["errors"] == [{"field": "Authorization", "message": "missing or wrong admin token"}]
        assert client.get("/api/admin/reindex", headers=TOKEN).json()["reindex"]["state"] == "idle"


def test_admin_reindex_runs_in_the_background_and_the_app_serves_the_new_generation(tmp_path: Path):
    with _client(tmp_path, admin_token="s3cret", reload_interval=0) as client:
        assert client.get("/api/admin/reindex", headers=TOKEN).json()["serving"] == "gen-000001"
        assert _top(client, "kvanttiteleportaation") != "fi.1215-2020.s18"
        apply_three_changes(tmp_path)
        started = client.post("/api/admin/reindex", headers=TOKEN)
        assert started.status_code == 202 and started.json()["reindex"]["state"] in ("running", "succeeded")
        job = wait_for_job(client.app)
        assert job["state"] == "succeeded", job["error"]
        assert job["last_result"]["generation"] == "gen-000002" and job["last_result"]["switched"] is True
        changes = job["last_result"]["changes"]
        assert [d["id"] for d in changes["documents"]["added"]] == ["fi.1374-2019"]
        assert [d["id"] for d in changes["documents"]["removed"]] == ["fi.1237-2021"]
        assert [c["id"] for c in changes["documents"]["changed"][0]["changed"]] == ["fi.1215-2020.s18"]
        assert job["progress"]["stage"] == "done" and job["progress"]["done"] == 33
        status = client.get("/api/admin/reindex", headers=TOKEN).json()
        assert (status["serving"], status["current"]) == ("gen-000002", "gen-000002")
        assert _top(client, "kvanttiteleportaation") == "fi.1215-2020.s18"


def test_admin_reindex_is_refused_while_another_holds_the_lock(tmp_path: Path):
    with _client(tmp_path, admin_token="s3cret") as client:
        lock = ReindexLock(tmp_path / "index").acquire()
        try:
            body = assert_problem(client.post("/api/admin/reindex", headers=TOKEN), 409)
            assert "another re-index" in body["detail"]
        finally:
            lock.release()
        assert client.get("/api/admin/reindex", headers=TOKEN).json()["reindex"]["state"] == "idle"


def test_server_picks_up_a_generation_written_elsewhere_by_polling_the_pointer(tmp_path: Path):
    with _client(tmp_path, admin_token="s3cret", reload_interval=0.05) as client:
        apply_three_changes(tmp_path)
        reindex(settings_for(tmp_path), _embedder())
        deadline = time.monotonic() + 10
        while client.get("/api/admin/reindex", headers=TOKEN).json()["serving"] != "gen-000002":
            assert time.monotonic() < deadline, "server did not pick up gen-000002"
            time.sleep(0.05)
        assert _top(client, "kvanttiteleportaation") == "fi.1215-2020.s18"


def test_reload_endpoint_loads_the_current_generation_and_keeps_serving_when_it_is_broken(tmp_path: Path):
    with _client(tmp_path, admin_token="s3cret", reload_interval=0) as client:
        apply_three_changes(tmp_path)
        reindex(settings_for(tmp_path), _embedder())
        first = client.post("/api/admin/reload", headers=TOKEN).json()
        assert first["reloaded"] is True and first["serving"] == "gen-000002"
        assert client.post("/api/admin/reload", headers=TOKEN).json()["reloaded"] is False
        # A damaged generation named by the pointer is not loaded; the old one keeps answering.
        reindex(settings_for(tmp_path), _embedder(), full=True)
        (tmp_path / "index" / "gen-000003" / "chunks.jsonl").write_text("")
        broken = client.post("/api/admin/reload", headers=TOKEN).json()
        assert broken["reloaded"] is False and broken["serving"] == "gen-000002"
        assert "inconsistent" in broken["reload_error"]
        assert _top(client, "kvanttiteleportaation") == "fi.1215-2020.s18"
