"""Fetching perusteet from a real HTTP server on 127.0.0.1 that serves the real ePerusteet responses."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import pytest

from ingest.corpus import ingest_corpus
from ingest.eperusteet_fetch import fetch_perusteet
from ingest.fetch import USER_AGENT, FetchError
from ingest.manifest import load_sources
from tests.paths import REPO

SAMPLES = REPO.parent / "shared" / "corpus" / "eperusteet"
NOT_FOUND = SAMPLES / "api-samples" / "eperusteet-service_api_tutkinnonosat_not_found.json"
LIST = SAMPLES / "api-samples" / "eperusteet_api_perusteet.json"


@pytest.fixture()
def api() -> Iterator[tuple[str, list[tuple[str, str]]]]:
    """/eperusteet-service/api/external/peruste/{id} from the real files; the list endpoint from the real samples."""
    if not SAMPLES.is_dir():
        pytest.skip(f"ePerusteet samples not found at {SAMPLES}")
    by_id = {str(json.loads(p.read_text(encoding="utf-8"))["id"]): p for p in (SAMPLES / "peruste").glob("*.json")}
    seen: list[tuple[str, str]] = []
    flaky = {"/eperusteet-service/api/external/peruste/2910079"}  # answers 503 once

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - http.server's name
            seen.append((self.path, self.headers.get("User-Agent", "")))
            url = urlparse(self.path)
            if url.path in flaky:
                flaky.discard(url.path)
                self._send(503, b"{}")
            elif url.path.startswith("/eperusteet-service/api/external/peruste/"):
                file = by_id.get(url.path.rsplit("/", 1)[-1])
                if file is None:
                    self._send(404, '{"syy": "Ei löytynyt"}'.encode())
                else:
                    self._send(200, file.read_bytes())
            elif url.path == "/eperusteet-service/api/external/perusteet":
                wanted = parse_qs(url.query).get("diaarinumero", [""])[0]
                listing = json.loads(LIST.read_text(encoding="utf-8"))
                hits = [row for row in listing["data"] if row.get("diaarinumero") == wanted]
                self._send(200, json.dumps({**listing, "data": hits}).encode() if hits else NOT_FOUND.read_bytes())
            else:
                self._send(404, b"{}")

        def _send(self, status: int, body: bytes) -> None:
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/eperusteet-service", seen
    server.shutdown()


def _manifest(tmp_path: Path, entries: list[tuple[str, str, str]]) -> Path:
    lines = ['[eperusteet]\nmirror = "mirror"\n']
    for diaari, pid, file in entries:
        lines.append(f'[[peruste]]\ndiaarinumero = "{diaari}"\nid = "{pid}"\nfile = "{file}"\n')
    (tmp_path / "corpus").mkdir()
    path = tmp_path / "corpus" / "sources.toml"
    path.write_text("\n".join(lines), encoding="utf-8")
    return path


def test_fetches_by_id_checks_the_diaarinumero_and_reports_what_is_missing(tmp_path: Path, api):
    base, seen = api
    manifest = _manifest(
        tmp_path,
        [
            ("OPH-2659-2017", "2910079", "telma.json"),  # a 503 first, then the file
            ("OPH-1488-2021", "7534950", "tuva.json"),
            ("OPH-2707-2017", "1", "moved.json"),  # not at that id; the list endpoint knows it as 4221360
            ("OPH-9999-2099", "2", "nowhere.json"),  # neither
            ("OPH-1161-2018", "7534950", "wrong.json"),  # the id serves another peruste
        ],
    )
    config = load_sources(manifest)
    result = fetch_perusteet(config, base_url=base, sleep=lambda s: None)
    mirror = tmp_path / "mirror"
    assert result.written == [mirror / "telma.json", mirror / "tuva.json"]
    assert result.failed == [
        f"peruste OPH-2707-2017 (id 1): not found at {base}/api/external/peruste/1; ePerusteet lists it as id 4221360: "
        "update sources.toml",
        f"peruste OPH-9999-2099 (id 2): not found at {base}/api/external/peruste/2; the list endpoint has no peruste "
        "with that diaarinumero either",
        f"peruste OPH-1161-2018 (id 7534950): {base}/api/external/peruste/7534950 returned OPH-1488-2021, not OPH-1161-2018",
    ]
    assert {agent for _, agent in seen} == {USER_AGENT}
    assert sorted(p.name for p in mirror.iterdir()) == ["telma.json", "tuva.json"]  # nothing half-written
    # The fetched files are what the ingest reads.
    report = ingest_corpus(load_sources(manifest))
    assert sorted(d.id for d in report.documents) == [
        "fi.peruste-oph-1488-2021",
        "fi.peruste-oph-2659-2017",
        "sv.peruste-oph-1488-2021",
        "sv.peruste-oph-2659-2017",
    ]
    assert len(report.errors) == 3 and all("file not found" in str(e) for e in report.errors)


def test_an_unreachable_api_is_one_clear_error(tmp_path: Path):
    config = load_sources(_manifest(tmp_path, [("OPH-2659-2017", "2910079", "telma.json")]))
    with pytest.raises(FetchError, match="cannot reach the ePerusteet API"):
        fetch_perusteet(config, base_url="http://127.0.0.1:9/eperusteet-service", retries=0, timeout=2)
