"""The question bank through the real path: the committed bank, the real 1215/2020, the real model."""

from __future__ import annotations

from dataclasses import replace

import pytest

from embedding.cache import EmbeddingCache
from index.reindex import build_from_chunks
from ingest.corpus import ingest_files
from ingest.questions import DEFAULT_BANK, attach_bank, load_bank
from retrieval.search import Searcher
from tests.paths import finlex_file

pytestmark = pytest.mark.slow

#: A situation in everyday words: not one of its words (as Voikko analyses them) is in 1215/2020 20 §,
#: whose third momentti settles it (the provider tells the guardian about damage the student caused).
QUESTION = "tuvalainen hajotti tabletin, kerrotaanko kotiin"


@pytest.fixture(scope="module")
def tuva(tmp_path_factory, real_embedder, embedding_cache_path) -> Searcher:
    report = ingest_files([finlex_file("asd20201215.xml")])
    bank = attach_bank(load_bank(DEFAULT_BANK), report.documents)
    chunks = [c for d in report.documents for c in d.chunks]
    root = tmp_path_factory.mktemp("bank") / "index"
    cache = EmbeddingCache(embedding_cache_path)
    try:
        build_from_chunks(root, chunks, real_embedder, cache=cache, bank=bank.questions)
    finally:
        cache.close()
    return Searcher.open(root, real_embedder)


def test_a_situation_sharing_no_word_with_its_section_finds_it_through_the_bank(tuva: Searcher):
    assert tuva.lexical is not None and tuva.bank is not None
    section = tuva.index.get("fi.1215-2020.s20")
    assert section is not None
    analyse = tuva.lexical.analyzer.analyze
    assert set(analyse(QUESTION, "fi")) & set(analyse(section.embed_text, "fi")) == set()
    found = [h.chunk.id for h in tuva.search(QUESTION, k=3).hits]
    assert found == ["fi.1215-2020.s20", "fi.1215-2020.s26", "fi.1215-2020.s21"]
    without = tuva.with_config(replace(tuva.config, use_bank=False))
    assert "fi.1215-2020.s20" not in [h.chunk.id for h in without.search(QUESTION, k=3).hits]


def test_the_bank_question_behind_the_hit_is_the_one_written_for_it(tuva: Searcher):
    assert tuva.bank is not None
    vector = tuva.embedder.embed_queries([QUESTION])[0]
    best = tuva.bank.best_question(tuva.index.by_id["fi.1215-2020.s20"], vector)
    assert best is not None and best.text == "opiskelija rikkoi koulun läppärin, pitääkö kertoa vanhemmille"
    assert best.answer.startswith("Koulutuksen järjestäjän tulee ilmoittaa opiskelijan aiheuttamista vahingoista")
