"""`lahde sources fetch` against a real HTTP server on 127.0.0.1 serving real Finlex API responses."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from ingest.corpus import ingest_corpus
from ingest.fetch import USER_AGENT, FetchError, fetch_sources
from ingest.manifest import load_sources
from tests.paths import REPO

AKN = REPO.parent / "shared" / "corpus" / "finlex-akn" / "original"


class FakeFinlex:
    """What the server saw, and which paths answer 429 once before succeeding."""

    def __init__(self) -> None:
        self.requests: list[tuple[str, str]] = []
        self.rate_limit_once: set[str] = set()
        self.truncate: set[str] = set()  # paths answered with a cut-off body


@pytest.fixture()
def api() -> Iterator[tuple[str, FakeFinlex]]:
    if not AKN.exists():
        pytest.skip(f"Akoma Ntoso samples not found at {AKN}")
    state = FakeFinlex()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - http.server's name
            state.requests.append((self.path, self.headers.get("User-Agent", "")))
            if self.path in state.rate_limit_once:
                state.rate_limit_once.discard(self.path)
                self.send_response(429)
                self.send_header("Retry-After", "0")
                self.end_headers()
                return
            # /v1/akn/fi/act/statute/2003/434/fin@ → original/2003_434_fin.xml
            parts = self.path.rstrip("@").split("/")
            name = f"{parts[-3]}_{parts[-2]}_{parts[-1]}.xml" if len(parts) >= 3 else ""
            file = AKN / name
            if "/akn/fi/act/statute/" not in self.path or not file.is_file():
                self.send_response(404)
                self.end_headers()
                return
            body = file.read_bytes()
            if self.path in state.truncate:
                body = body[:4000]
            self.send_response(200)
            self.send_header("Content-Type", "application/xml")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/v1", state
    finally:
        server.shutdown()
        server.server_close()


def _manifest(tmp_path: Path, statutes: list[tuple[str, str]]) -> Path:
    corpus = tmp_path / "corpus"
    corpus.mkdir(exist_ok=True)
    text = f'[finlex]\nmirror = "{tmp_path / "mirror"}"\n\n'
    for number, lang in statutes:
        slug = f"s{number.replace('/', '-')}-{lang}"
        text += f'[[source]]\nid = "{slug}"\ntitle = "{slug}"\nkind = "laki"\nlang = "{lang}"\nstatute = "{number}"\n\n'
    (corpus / "sources.toml").write_text(text, encoding="utf-8")
    return corpus / "sources.toml"


def test_fetch_writes_the_mirror_and_the_ingester_reads_it(api, tmp_path: Path):
    base, state = api
    manifest = _manifest(tmp_path, [("434/2003", "fi"), ("434/2003", "sv"), ("738/2002", "fi"), ("1/2099", "fi")])
    state.rate_limit_once.add("/v1/akn/fi/act/statute/2002/738/fin@")
    delays: list[float] = []
    result = fetch_sources(load_sources(manifest), base_url=base, retries=2, sleep=delays.append)
    mirror = tmp_path / "mirror"
    assert result.written == [mirror / "2003_434_fin.xml", mirror / "2003_434_swe.xml", mirror / "2002_738_fin.xml"]
    assert result.failed == [f"s1-2099-fi (1/2099, fi): HTTP 404 from {base}/akn/fi/act/statute/2099/1/fin@"]
    assert (mirror / "2003_434_swe.xml").read_bytes() == (AKN / "2003_434_swe.xml").read_bytes()
    assert delays == [0.0]  # one retry after the 429, honouring Retry-After
    assert [p for p, _ in state.requests].count("/v1/akn/fi/act/statute/2002/738/fin@") == 2
    assert {ua for _, ua in state.requests} == {USER_AGENT}
    assert sorted(p.name for p in mirror.iterdir()) == ["2002_738_fin.xml", "2003_434_fin.xml", "2003_434_swe.xml"]

    report = ingest_corpus(load_sources(manifest))
    assert sorted(d.id for d in report.documents) == ["fi.434-2003", "fi.738-2002", "sv.434-2003"]
    assert report.summary() == "ok 3, skipped 1, failed 0"  # 1/2099 is in no folder (and there is no Finlex folder)


def test_a_bad_response_does_not_replace_a_good_file(api, tmp_path: Path):
    base, state = api
    manifest = _manifest(tmp_path, [("434/2003", "fi")])
    fetch_sources(load_sources(manifest), base_url=base)
    good = (tmp_path / "mirror" / "2003_434_fin.xml").read_bytes()
    state.truncate.add("/v1/akn/fi/act/statute/2003/434/fin@")
    result = fetch_sources(load_sources(manifest), base_url=base, retries=0)
    assert result.written == []
    (failure,) = result.failed
    assert failure.startswith(
        f"s434-2003-fi (434/2003, fi): bad response from {base}/akn/fi/act/statute/2003/434/fin@: malformed XML"
    )
    assert (tmp_path / "mirror" / "2003_434_fin.xml").read_bytes() == good
    assert sorted(p.name for p in (tmp_path / "mirror").iterdir()) == ["2003_434_fin.xml"]


def test_offline_is_one_clear_error(tmp_path: Path):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # closed again: nothing listens there
    manifest = _manifest(tmp_path, [("434/2003", "fi")])
    delays: list[float] = []
    with pytest.raises(FetchError, match=rf"cannot reach the Finlex API at http://127.0.0.1:{port}/v1 \(offline\?\)"):
        fetch_sources(
            load_sources(manifest), base_url=f"http://127.0.0.1:{port}/v1", retries=2, timeout=2, sleep=delays.append
        )
    assert delays == [1.0, 2.0]  # retried with backoff before giving up


def test_cli_sources_fetch(api, tmp_path: Path):
    base, _ = api
    manifest = _manifest(tmp_path, [("738/2002", "sv")])
    env = {**os.environ, "LAHDE_SOURCES": str(manifest), "LAHDE_FINLEX_API_URL": base}
    run = subprocess.run(
        [sys.executable, "-m", "lahde.cli", "sources", "fetch"], env=env, capture_output=True, text=True, timeout=120
    )
    assert run.returncode == 0, run.stderr
    assert f"fetched {tmp_path / 'mirror' / '2002_738_swe.xml'}" in run.stdout
    assert "ok 1, failed 0" in run.stdout
    offline = subprocess.run(
        [sys.executable, "-m", "lahde.cli", "sources", "fetch"],
        env={**env, "LAHDE_FINLEX_API_URL": "http://127.0.0.1:9/v1", "LAHDE_FETCH_RETRIES": "0"},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert offline.returncode == 1
    assert "Error: cannot reach the Finlex API at http://127.0.0.1:9/v1 (offline?)" in offline.stderr
