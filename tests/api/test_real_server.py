"""Every endpoint through `lahde serve` on a loopback port: real model, real four-statute index."""

from __future__ import annotations

import csv

import httpx
import pytest

from tests.paths import REPO
from tests.problems import assert_problem

pytestmark = pytest.mark.slow
EVAL = REPO / "tests" / "eval"


@pytest.fixture()
def server(live_server: str) -> str:
    """The shared real server (conftest's live_server)."""
    return live_server


def _get(base: str, path: str, **params) -> httpx.Response:
    return httpx.get(f"{base}{path}", params=params, timeout=60)


def _ask(base: str, question: str, **extra) -> httpx.Response:
    return httpx.post(f"{base}/api/ask", json={"question": question, **extra}, timeout=120)


def test_search_names_the_glossary_entries_that_expanded_the_query(server: str):
    body = _get(server, "/api/search", q="saako koso-opiskelija palkkaa", k=3).json()
    assert body["expansions"] == [{"key": "koso", "expansion": "koulutussopimus", "lang": "fi"}]
    # The statutes' term is marked in the hits too, as the word the query was expanded with.
    assert "koulutussopimus" in {h["term"] for hit in body["hits"] for h in hit["highlights"]}
    assert _get(server, "/api/search", q="mikä on koulutussopimus", k=3).json()["expansions"] == []


def test_search_hits_carry_highlights(server: str):
    hit = _get(server, "/api/search", q="mikä on koulutussopimus", k=3).json()["hits"][0]
    assert hit["id"] == "fi.531-2017.s71"
    spans = [(hit["text"][h["start"] : h["end"]], h["term"]) for h in hit["highlights"]]
    assert spans[0] == ("Koulutussopimukseen", "koulutussopimus")
    assert all(term == "koulutussopimus" for _, term in spans)


def test_ask_drafts_a_cited_answer(server: str):
    body = _ask(server, "mikä on koulutussopimus").json()
    assert body["answered"] is True
    assert body["sources"][0]["id"] == "fi.531-2017.s71"
    assert body["sources"][0]["citation"]["label"] == "Laki ammatillisesta koulutuksesta (531/2017) 71 §"
    assert body["answer"].startswith("Koulutussopimus on määräaikainen sopimus, joka sovitaan")
    assert body["sentences"][0]["source"] == 1 and body["answer"].count("[1]") >= 1


def test_ask_abstains_on_an_unanswerable_question(server: str):
    body = _ask(server, "vad kostar ett studerandebusskort i Vasa?").json()
    assert body["answered"] is False and body["answer"] == "riittävää lähdettä ei löytynyt"
    assert body["best_sentence_score"] < body["threshold"] == 0.856  # the four statutes, no bank
    assert len(body["nearest"]) == 5 and body["sources"] == []


def test_every_draft_sentence_is_a_verbatim_quote_on_dev_questions(server: str):
    with open(EVAL / "questions.tsv", encoding="utf-8") as fh:
        questions = [r["question"] for r in csv.DictReader(fh, delimiter="\t")][::10]
    answered = 0
    for question in questions:
        body = _ask(server, question).json()
        answered += body["answered"]
        for s in body["sentences"]:
            source = body["sources"][s["source"] - 1]
            assert source["id"] == s["chunk_id"] and source["text"][s["start"] : s["end"]] == s["text"], question
            assert f"{s['text']} [{s['source']}]" in body["answer"]
        assert [x["n"] for x in body["sources"]] == list(range(1, len(body["sources"]) + 1))
    assert answered >= len(questions) // 2


def test_section_documents_readyz_and_metrics(server: str):
    section = _get(server, "/api/sections/fi.531-2017.s45").json()
    assert section["label"] == "Laki ammatillisesta koulutuksesta (531/2017) 45 §"
    assert (section["previous_id"], section["next_id"]) == ("fi.531-2017.s44", "fi.531-2017.s46")
    assert section["text"].startswith("Koulutuksen järjestäjä laatii ja päivittää henkilökohtaisen")
    docs = _get(server, "/api/documents").json()["documents"]
    assert [d["id"] for d in docs] == ["fi.531-2017", "fi.673-2017", "fi.1214-2020", "fi.1215-2020"]
    doc = _get(server, "/api/documents/fi.531-2017").json()
    assert doc["title"] == "Laki ammatillisesta koulutuksesta" and doc["section_ids"][0] == "fi.531-2017.s1"
    ready = _get(server, "/readyz").json()
    assert ready["status"] == "ready" and ready["chunk_count"] == sum(d["chunk_count"] for d in docs)
    metrics = _get(server, "/metrics").text
    assert 'lahde_requests_total{endpoint="/api/sections/{chunk_id}",method="GET",status="200"}' in metrics
    assert f"lahde_index_chunks {float(ready['chunk_count'])}" in metrics


def test_errors_and_limits_have_the_problem_shape(server: str):
    assert_problem(_ask(server, ""), 422)
    assert_problem(_ask(server, "x" * 501), 422)
    assert_problem(_ask(server, "hoks", k=11), 422)
    assert_problem(_get(server, "/api/search", q="hoks", k=51), 422)
    assert_problem(_get(server, "/api/search", q="hoks", offset=1001), 422)
    assert_problem(_get(server, "/api/sections/fi.531-2017.s999"), 404)
    assert_problem(_get(server, "/api/documents/fi.999-2017"), 404)
    assert_problem(httpx.delete(f"{server}/api/documents", timeout=10), 405)
