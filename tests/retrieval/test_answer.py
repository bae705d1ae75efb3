"""Extractive answer drafts, sentence splitting and highlight offsets (fast, with the hashing fake)."""

from __future__ import annotations

from pathlib import Path

import pytest

from ingest.models import Chunk, Citation
from retrieval.answer import NO_SOURCE_FI, AnswerDrafter, split_sentences
from retrieval.highlight import highlight_spans, query_terms
from retrieval.search import Searcher
from retrieval.types import Filters
from tests.fakes import HashingEmbedder
from tests.indexes import build_index
from tests.samples import ANSWER_CHUNKS as CHUNKS


@pytest.fixture()
def searcher(tmp_path: Path) -> Searcher:
    embedder = HashingEmbedder(dim=256, model_id="test/hashing-256")
    build_index(CHUNKS, embedder, tmp_path / "idx")
    return Searcher.open(tmp_path / "idx", embedder)


def test_split_sentences_keeps_offsets_abbreviations_and_list_lines():
    text = (
        "Järjestäjä laatii suunnitelman esim. yhdessä opiskelijan kanssa. Opettaja osallistuu.\n\n"
        "Laki tulee voimaan 1. päivänä elokuuta. 2 momentissa tarkoitettu.\nOikeus:\n1) opetukseen;\n2) ohjaukseen.  "
    )
    spans = split_sentences(text)
    assert [text[s:e] for s, e in spans] == [
        "Järjestäjä laatii suunnitelman esim. yhdessä opiskelijan kanssa.",
        "Opettaja osallistuu.",
        "Laki tulee voimaan 1. päivänä elokuuta.",
        "2 momentissa tarkoitettu.",
        "Oikeus:",
        "1) opetukseen;",
        "2) ohjaukseen.",
    ]
    assert split_sentences("") == [] and split_sentences("\n\n  \n") == []


def test_highlights_match_inflected_finnish_words_by_stem_and_short_words_whole():
    text = "Koulutussopimukseen perustuvassa koulutuksessa HOKSin hyväksyy opiskelija. Hoks on tehty, ja opo auttaa."
    spans = highlight_spans(text, "Kuka hyväksyy hoks koulutussopimus opo?")
    assert [(text[s.start : s.end], s.term) for s in spans] == [
        ("Koulutussopimukseen", "koulutussopimus"),
        ("HOKSin", "hoks"),
        ("hyväksyy", "hyväksyy"),
        ("Hoks", "hoks"),
        ("opo", "opo"),
    ]
    assert all(text[s.start : s.end].lower().startswith(s.term[:4]) for s in spans)
    # Stopwords mark nothing; a short word does not match inside a longer one.
    assert query_terms("mikä on ja hoks") == ["hoks"]
    assert highlight_spans("opiskelija opettaa", "opo") == []
    assert highlight_spans("", "hoks") == [] and highlight_spans("hoks", "") == []


def test_draft_quotes_the_best_sentence_verbatim_with_its_citation_number(searcher: Searcher):
    answer = AnswerDrafter(searcher, min_score=0.1).ask("saako opiskelija palkkaa koulutussopimuksen aikana", k=3)
    assert answer.answered and answer.message is None
    # Hybrid: 2 § shares "opiskelija saa palkkaa" with the question (lexical side), 3 § only "opiskelija".
    assert [h.chunk.id for h in answer.nearest] == ["fi.1-2000.s1", "fi.1-2000.s2", "fi.1-2000.s3"]
    assert [h.chunk.id for h in answer.sources] == ["fi.1-2000.s1"]
    assert [(s.text, s.source) for s in answer.sentences] == [
        ("Opiskelija ei saa palkkaa koulutussopimuksen aikana työpaikalla.", 1)
    ]
    assert answer.text == "Opiskelija ei saa palkkaa koulutussopimuksen aikana työpaikalla. [1]"


def test_every_draft_sentence_is_a_verbatim_quote_of_its_numbered_source(searcher: Searcher):
    drafter = AnswerDrafter(searcher, min_score=0.0, max_sentences=4, sentence_margin=2.0)
    for question in ["opiskelija palkka", "oppisopimus työsopimus palkkaa", "erota kirjallisesti", "koulutussopimus"]:
        answer = drafter.ask(question, k=3)
        assert answer.answered and answer.sentences, question
        for s in answer.sentences:
            source = answer.sources[s.source - 1]
            assert source.chunk.id == s.chunk_id
            assert source.chunk.text[s.start : s.end] == s.text
        # Sentences run source by source, in reading order within each; sources are numbered by rank.
        keys = [(s.source, s.start) for s in answer.sentences]
        assert keys == sorted(keys)
        assert [h.rank for h in answer.sources] == sorted(h.rank for h in answer.sources)
        assert {s.source for s in answer.sentences} == set(range(1, len(answer.sources) + 1))
        assert max(sum(s.chunk_id == c for s in answer.sentences) for c in {s.chunk_id for s in answer.sentences}) <= 2


def test_weak_evidence_abstains_and_shows_the_nearest_passages(searcher: Searcher):
    answer = AnswerDrafter(searcher, min_score=0.99).ask("saako opiskelija palkkaa", k=2)
    assert not answer.answered and answer.sentences == [] and answer.sources == []
    assert answer.message == NO_SOURCE_FI and answer.text == NO_SOURCE_FI
    assert [h.chunk.id for h in answer.nearest] == ["fi.1-2000.s2", "fi.1-2000.s1"]
    assert answer.best_sentence_score < 0.99


def test_passage_signal_and_filters(searcher: Searcher):
    drafter = AnswerDrafter(searcher, min_score=0.3, signal="passage")
    answer = drafter.ask("oppisopimus", k=3, filters=Filters(lang="sv"))
    assert [h.chunk.id for h in answer.nearest] == ["sv.1-2000.s2"]
    assert not answer.answered and answer.top_score < 0.3  # no shared word with the Swedish text
    with pytest.raises(ValueError, match="signal"):
        AnswerDrafter(searcher, min_score=0.3, signal="loudest")


def test_sentence_vectors_are_embedded_once(searcher: Searcher):
    drafter = AnswerDrafter(searcher, min_score=0.0)
    embedder = searcher.embedder
    drafter.ask("opiskelija palkka", k=3)
    first = embedder.passages_embedded
    drafter.ask("palkka opiskelija", k=3)
    assert first > 0 and embedder.passages_embedded == first


def test_warm_embeds_every_draftable_sentence_once(searcher: Searcher):
    drafter = AnswerDrafter(searcher, min_score=0.0)
    embedder = searcher.embedder
    before = embedder.passages_embedded
    warmed = drafter.warm(searcher.index.chunks, batch=2)
    # 3 + 2 + 1 sentences of ≥25 characters in the Finnish passages, 1 in the Swedish one.
    assert warmed == 7 and embedder.passages_embedded - before == 7
    drafter.ask("opiskelija palkka", k=4)
    assert embedder.passages_embedded - before == 7


class _CountingEmbedder(HashingEmbedder):
    def __init__(self) -> None:
        super().__init__(dim=256, model_id="test/hashing-256")
        self.query_calls = 0

    def embed_queries(self, texts):
        self.query_calls += 1
        return super().embed_queries(texts)


def test_a_question_is_embedded_once_and_the_shared_searcher_is_untouched(tmp_path: Path):
    embedder = _CountingEmbedder()
    build_index(CHUNKS, embedder, tmp_path / "idx")
    searcher = Searcher.open(tmp_path / "idx", embedder)
    answer = AnswerDrafter(searcher, min_score=0.1).ask("saako opiskelija palkkaa koulutussopimuksen aikana", k=3)
    assert embedder.query_calls == 1 and searcher.embedder is embedder
    assert [h.chunk.id for h in answer.nearest] == [h.chunk.id for h in searcher.search(answer.question, 3).hits]
    # A glossary key in the question: what is embedded, once, is the dense side's text (question +
    # phrase), and the evidence is scored against that same vector.
    calls = embedder.query_calls
    koso = AnswerDrafter(searcher, min_score=0.1).ask("saako koso-opiskelija palkkaa", k=3)
    assert embedder.query_calls == calls + 1
    dense_text = searcher.prepare(koso.question, embed=False).dense_text
    assert dense_text == "saako koso-opiskelija palkkaa (koulutussopimus)"
    assert [h.chunk.id for h in koso.nearest] == [h.chunk.id for h in searcher.search(koso.question, 3).hits]
    vec = embedder.embed_queries([dense_text])[0]
    best = max(float(searcher.index.vector(h.chunk.id) @ vec) for h in koso.nearest)
    assert koso.top_score == pytest.approx(best, abs=1e-6)


def test_no_passage_left_by_the_filters_means_no_draft(searcher: Searcher):
    answer = AnswerDrafter(searcher, min_score=0.0).ask("palkka", k=3, filters=Filters(statute="9/9999"))
    assert not answer.answered and answer.nearest == [] and answer.sentences == []
    assert answer.text == NO_SOURCE_FI and answer.best_sentence_score == 0.0


def test_a_sentence_restated_by_an_amending_act_is_quoted_once(tmp_path: Path):
    amended = Chunk(
        id="fi.9-2001.s3",
        text="Opiskelija voi erota ilmoittamalla siitä kirjallisesti koulutuksen järjestäjälle. Ero tulee voimaan sinä päivänä, jona ilmoitus saapuu järjestäjälle.",
        citation=Citation(
            doc_id="fi.9-2001",
            doc_title="Muutoslaki",
            kind="laki",
            lang="fi",
            label="Muutoslaki (9/2001) 3 §",
            statute="9/2001",
            section="3",
            amends_statute="1/2000",
        ),
    )
    embedder = HashingEmbedder(dim=256, model_id="test/hashing-256")
    build_index([*CHUNKS, amended], embedder, tmp_path / "idx")
    drafter = AnswerDrafter(Searcher.open(tmp_path / "idx", embedder), min_score=0.0, sentence_margin=2.0)
    answer = drafter.ask("voiko opiskelija erota ilmoittamalla kirjallisesti", k=2)
    texts = [s.text for s in answer.sentences]
    assert texts.count("Opiskelija voi erota ilmoittamalla siitä kirjallisesti koulutuksen järjestäjälle.") == 1
    assert "Ero tulee voimaan sinä päivänä, jona ilmoitus saapuu järjestäjälle." in texts
