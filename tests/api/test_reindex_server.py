"""A real server under continuous queries while generations switch: zero failed requests."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import pytest

from lahde.service import build, reindex
from tests.servers import free_port as _free_port
from tests.temp_corpus import apply_three_changes, make_corpus, seed_index_cache, settings_for

pytestmark = pytest.mark.slow

TOKEN = {"Authorization": "Bearer s3cret"}
QUESTION = "milloin opiskelija katsotaan eronneeksi"


class Hammer(threading.Thread):
    """Sends search requests back to back and records every outcome."""

    def __init__(self, base: str) -> None:
        super().__init__(daemon=True)
        self.base = base
        self.stop = threading.Event()
        self.ok = 0
        self.failures: list[str] = []
        self.new_text_seen_at: float | None = None

    def run(self) -> None:
        with httpx.Client(timeout=30) as client:
            while not self.stop.is_set():
                try:
                    r = client.get(f"{self.base}/api/search", params={"q": QUESTION, "k": 3})
                    if r.status_code != 200:
                        self.failures.append(f"{r.status_code} {r.text[:200]}")
                        continue
                    hits = r.json()["hits"]
                    if not hits or hits[0]["id"] != "fi.1215-2020.s18":
                        self.failures.append(f"wrong first hit: {[h['id'] for h in hits]}")
                        continue
                    self.ok += 1
                    if self.new_text_seen_at is None and "kvanttiteleportaation" in hits[0]["text"]:
                        self.new_text_seen_at = time.monotonic()
                except httpx.HTTPError as exc:
                    self.failures.append(f"{type(exc).__name__}: {exc}")


def _status(base: str) -> dict:
    # A generous timeout: an admin read on 2 loaded cores; what this test checks is the queries.
    return httpx.get(f"{base}/api/admin/reindex", headers=TOKEN, timeout=30).json()


def _wait(predicate, what: str, timeout: float = 120) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.1)


def test_generation_switches_under_continuous_queries_fail_no_request(
    tmp_path: Path, real_embedder, embedding_cache_path: Path
):
    make_corpus(tmp_path)
    seed_index_cache(tmp_path, real_embedder, embedding_cache_path)
    settings = settings_for(tmp_path)
    build(settings, real_embedder)
    port = _free_port()
    env = {
        **os.environ,
        "LAHDE_INDEX_DIR": str(settings.index_dir),
        "LAHDE_SOURCES": str(settings.sources),
        "LAHDE_ADMIN_TOKEN": "s3cret",
        "LAHDE_RELOAD_INTERVAL": "0",  # no polling: only the admin call and SIGHUP reload here
        "LAHDE_EMBED_THREADS": "1",
    }
    env.pop("LAHDE_CACHE_PATH", None)
    proc = subprocess.Popen(
        [sys.executable, "-m", "lahde.cli", "serve", "--port", str(port)],
        # To a file, not an unread pipe: a full pipe would block the server on its access log.
        env=env,
        stdout=(tmp_path / "server.log").open("wb"),
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    hammers: list[Hammer] = []
    try:

        def up() -> bool:
            try:
                return httpx.get(f"{base}/healthz", timeout=1).status_code == 200
            except httpx.TransportError:
                return False

        _wait(up, "the server to start", 60)
        assert _status(base)["serving"] == "gen-000001"
        hammers = [Hammer(base), Hammer(base)]
        for h in hammers:
            h.start()
        _wait(lambda: all(h.ok >= 3 for h in hammers), "first answers")

        # Switch 1: the admin endpoint re-indexes in the background and swaps the searcher.
        apply_three_changes(tmp_path)
        started = httpx.post(f"{base}/api/admin/reindex", headers=TOKEN, timeout=10)
        assert started.status_code == 202, started.text
        _wait(lambda: _status(base)["reindex"]["state"] != "running", "the admin re-index")
        status = _status(base)
        assert status["reindex"]["state"] == "succeeded", status["reindex"]["error"]
        assert status["serving"] == "gen-000002"
        _wait(lambda: all(h.new_text_seen_at is not None for h in hammers), "the new text in answers", 30)

        # Switch 2: a re-index by another process, picked up on SIGHUP.
        reindex(settings, real_embedder, full=True)
        assert _status(base)["serving"] == "gen-000002"
        proc.send_signal(signal.SIGHUP)
        _wait(lambda: _status(base)["serving"] == "gen-000003", "the SIGHUP reload", 30)
        counts = [h.ok for h in hammers]
        _wait(lambda: all(h.ok > c + 3 for h, c in zip(hammers, counts)), "answers after the second switch")
    finally:
        for h in hammers:
            h.stop.set()
        for h in hammers:
            h.join(timeout=30)
        proc.terminate()
        proc.wait(timeout=10)
    assert [f for h in hammers for f in h.failures] == []
    assert sum(h.ok for h in hammers) > 20
