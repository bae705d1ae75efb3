"""An institution's own documents: seen by its users only — in search, answers, section views, document lists
and UKK citations; and search closed to signed-in users when the setting says so."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from ingest.models import Chunk, Citation
from lahde.settings import Settings
from retrieval.search import Searcher
from retrieval.types import Filters
from search_api.app import create_app
from tests.fakes import HashingEmbedder
from tests.indexes import build_index
from tests.problems import assert_problem
from tests.samples import ANSWER_CHUNKS
from ukk import accounts
from ukk.store import UkkStore

PASSWORD = "oikein-hyva-salasana"


def _guide(institution: str) -> Chunk:
    citation = Citation(
        doc_id=f"fi.ohje-{institution}",
        doc_title=f"{institution}: koulutussopimusohje",
        kind="ohje",
        lang="fi",
        label=f"{institution}: koulutussopimusohje › 1 Palkka",
        heading_path=("1 Palkka",),
        institution=institution,
    )
    return Chunk(
        id=f"fi.ohje-{institution}.h1", text="Koulutussopimuksen aikana opiskelija ei saa palkkaa.", citation=citation
    )


CHUNKS = [*ANSWER_CHUNKS, _guide("esimerkkiopisto"), _guide("toinenopisto")]


def _app(tmp_path: Path, **extra: object):
    embedder = HashingEmbedder(dim=64, model_id="test/hashing-64")
    build_index(CHUNKS, embedder, tmp_path / "idx")
    settings = Settings(index_dir=tmp_path / "idx", cookie_secure=False, ukk_min_score=0.3, **extra)
    store = UkkStore(settings.ukk_path())
    for inst in ("esimerkkiopisto", "toinenopisto"):
        store.add_institution(inst, inst.title())
    accounts.add_user(store, "oma", "Oma", "valmentaja", "esimerkkiopisto", PASSWORD)
    accounts.add_user(store, "toinen", "Toinen", "valmentaja", "toinenopisto", PASSWORD)
    tokens = {u: accounts.create_token(store, u, "t") for u in ("oma", "toinen")}
    store.close()
    return create_app(settings, searcher=Searcher.open(tmp_path / "idx", embedder)), tokens


def _ids(response) -> list[str]:
    return [h["id"] for h in response.json()["hits"]]


def test_the_mask_lets_each_institution_see_its_own_documents_only(tmp_path: Path):
    embedder = HashingEmbedder(dim=64, model_id="test/hashing-64")
    build_index(CHUNKS, embedder, tmp_path / "idx")
    searcher = Searcher.open(tmp_path / "idx", embedder)
    found = lambda f: {h.chunk.id for h in searcher.search("koulutussopimus palkka", 10, f).hits}  # noqa: E731
    assert not {c for c in found(None) if ".ohje-" in c}
    assert {c for c in found(Filters.of(viewer="esimerkkiopisto")) if ".ohje-" in c} == {"fi.ohje-esimerkkiopisto.h1"}
    assert {c for c in found(Filters.of(kind="ohje", viewer="toinenopisto"))} == {"fi.ohje-toinenopisto.h1"}


def test_search_ask_sections_and_documents_hide_other_institutions_documents(tmp_path: Path):
    app, tokens = _app(tmp_path)
    client = TestClient(app)
    own = {"Authorization": f"Bearer {tokens['oma']}"}
    other = {"Authorization": f"Bearer {tokens['toinen']}"}
    q = {"q": "koulutussopimus palkka", "k": 10}
    assert "fi.ohje-esimerkkiopisto.h1" not in _ids(client.get("/api/search", params=q))
    assert "fi.ohje-esimerkkiopisto.h1" in _ids(client.get("/api/search", params=q, headers=own))
    assert "fi.ohje-esimerkkiopisto.h1" not in _ids(client.get("/api/search", params=q, headers=other))
    sources = client.post("/api/ask", json={"question": "saako koulutussopimuksella palkkaa"}, headers=other).json()
    assert all("esimerkkiopisto" not in s["id"] for s in sources["sources"])
    assert client.get("/api/sections/fi.ohje-esimerkkiopisto.h1", headers=own).status_code == 200
    assert_problem(client.get("/api/sections/fi.ohje-esimerkkiopisto.h1", headers=other), 404)
    assert_problem(client.get("/api/sections/fi.ohje-esimerkkiopisto.h1"), 404)
    assert_problem(client.get("/api/documents/fi.ohje-esimerkkiopisto", headers=other), 404)
    docs = lambda h: sorted(d["id"] for d in client.get("/api/documents", headers=h).json()["documents"])  # noqa: E731
    assert docs({}) == ["fi.1-2000", "sv.1-2000"]
    assert docs(own) == ["fi.1-2000", "fi.ohje-esimerkkiopisto", "sv.1-2000"]
    # The pages too.
    page = client.get("/osio/fi.ohje-toinenopisto.h1", headers=own)
    assert page.status_code == 404 and "koulutussopimusohje" not in page.text
    assert "toinenopisto: koulutussopimusohje" not in client.get("/", params={"q": "palkka"}, headers=own).text


def test_answers_cite_only_what_their_readers_may_see(tmp_path: Path):
    app, tokens = _app(tmp_path)
    client = TestClient(app)
    body = {
        "topic": "tyoelama",
        "question": "Palkka koulutussopimuksella?",
        "answer": "Ei [1].",
        "citations": [{"chunk_id": "fi.ohje-esimerkkiopisto.h1"}],
    }
    other = {"Authorization": f"Bearer {tokens['toinen']}"}
    own = {"Authorization": f"Bearer {tokens['oma']}"}
    refused = assert_problem(client.post("/api/ukk", json=body, headers=other), 422)
    assert refused["errors"][0]["field"] == "citations.0.chunk_id"
    assert client.post("/api/ukk", json=body, headers=own).status_code == 201
    shared = assert_problem(client.post("/api/ukk", json={**body, "shared": True}, headers=own), 422)
    assert shared["errors"][0]["field"] == "shared"


@pytest.mark.parametrize("path", ["/api/search?q=palkka", "/api/documents", "/api/sections/fi.1-2000.s1"])
def test_search_can_be_closed_to_signed_in_users(tmp_path: Path, path: str):
    app, tokens = _app(tmp_path, search_requires_login=True)
    client = TestClient(app)
    assert_problem(client.get(path), 401)
    assert client.get(path, headers={"Authorization": f"Bearer {tokens['oma']}"}).status_code == 200
    page = client.get("/?q=palkka", follow_redirects=False)
    assert page.status_code == 303 and page.headers["location"].startswith("/kirjaudu?next=")
