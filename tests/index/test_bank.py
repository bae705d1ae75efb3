"""The question bank inside an index (index.bank) and searched beside the text (retrieval.search), fake embedder."""

from __future__ import annotations

import numpy as np
import pytest

from index.bank import BANK_DIR, BankIndex
from index.errors import CorruptIndexError
from index.reindex import build_from_chunks, documents_of, reindex
from index.store import VectorIndex
from ingest.models import BankQuestion
from ingest.questions import bank_hash
from retrieval.search import RetrievalConfig, Searcher
from tests.fakes import HashingEmbedder
from tests.samples import ANSWER_CHUNKS

FI = ANSWER_CHUNKS[:3]


def _q(chunk_id: str, text: str, n: int, lang: str = "fi") -> BankQuestion:
    return BankQuestion(chunk_id, "1/2000", chunk_id.rsplit("s", 1)[1], lang, text, "x", "1/2000", f"bank.toml:{n}")


BANK = [
    _q("fi.1-2000.s3", "haluan lopettaa opinnot kesken mitä teen", 1),
    _q("fi.1-2000.s3", "lähtö amiksesta", 2),
    _q("fi.1-2000.s1", "harjoittelu firmassa ilman liksaa", 3),
]


@pytest.fixture
def bank_root(tmp_path):
    root = tmp_path / "idx"
    build_from_chunks(root, FI, HashingEmbedder(), bank=BANK)
    return root


def _searcher(root, **config) -> Searcher:
    return Searcher.open(root, HashingEmbedder(), glossary_path=None, config=RetrievalConfig(**config))


def test_bank_files_load_aligned_with_the_chunks(bank_root):
    index = VectorIndex.load(bank_root)
    bank = BankIndex.load(index.path, index.chunks)
    assert bank is not None and len(bank) == 3
    assert bank.positions.tolist() == [2, 2, 0]
    assert bank.meta == {"format": 1, "count": 3, "hash": bank_hash(BANK), "prefix": "query"}
    vec = HashingEmbedder().embed_queries(["lähtö amiksesta"])[0]
    scores = bank.dense_scores(vec)
    assert scores[1] == -np.inf and scores[2] == pytest.approx(1.0)
    assert bank.best_question(2, vec) == BANK[1]


def test_a_question_sharing_no_word_with_its_section_finds_it_through_the_bank(bank_root):
    query = "lopettaa opinnot kesken"
    for mode in ("lexical", "dense", "hybrid"):
        with_bank = [h.chunk.id for h in _searcher(bank_root).search(query, k=3, mode=mode).hits]
        assert with_bank[0] == "fi.1-2000.s3", mode
    without = _searcher(bank_root, use_bank=False)
    assert [h.chunk.id for h in without.search(query, k=3, mode="lexical").hits] == []
    assert [h.chunk.id for h in _searcher(bank_root, bank_field_weight=0).search(query, mode="lexical").hits] == []


def test_filters_apply_to_bank_matches(bank_root):
    from retrieval.types import Filters

    hits = _searcher(bank_root).search("lähtö amiksesta", k=3, mode="dense", filters=Filters(lang="sv")).hits
    assert hits == []


def test_an_unchanged_bank_keeps_the_generation_and_a_changed_one_writes_a_new_one(bank_root):
    emb = HashingEmbedder()
    same = reindex(bank_root, documents_of(FI), emb, bank=BANK)
    assert not same.switched
    fewer = BANK[:2]
    changed = reindex(bank_root, documents_of(FI), emb, bank=fewer)
    assert changed.switched and changed.report.stats["bank"] == {"questions": 2, "embedded": 0, "prefix": "query"}
    dropped = reindex(bank_root, documents_of(FI), emb)
    assert dropped.switched and not (dropped.current_dir / BANK_DIR).exists()
    assert _searcher(bank_root).bank is None


def test_a_damaged_bank_is_refused_and_search_goes_on_without_it(bank_root, caplog):
    index = VectorIndex.load(bank_root)
    (index.path / BANK_DIR / "vectors.npy").write_bytes(b"not numpy")
    with pytest.raises(CorruptIndexError, match="question bank"):
        BankIndex.load(index.path, index.chunks)
    searcher = _searcher(bank_root)
    assert searcher.bank is None and "without the question bank" in caplog.text
    assert [h.chunk.id for h in searcher.search("koulutussopimus", k=1, mode="lexical").hits] == ["fi.1-2000.s1"]


def test_bank_questions_must_point_into_the_index(tmp_path):
    with pytest.raises(ValueError, match="not in the index"):
        build_from_chunks(tmp_path / "idx", FI, HashingEmbedder(), bank=[_q("fi.9-2000.s1", "x", 1)])
