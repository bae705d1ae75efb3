"""BM25 statistics per collection: perusteet never change how the statutes and guides score."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from index.errors import LexicalIndexError
from index.lexical import LEXICAL_META, LexicalIndex, collection_of
from ingest.models import Chunk, Citation


def _chunk(cid: str, text: str, kind: str = "laki") -> Chunk:
    return Chunk(id=cid, text=text, citation=Citation(doc_id=cid, doc_title="T", kind=kind, lang="fi", label=cid))


# Sentences from 531/2017 (52 §, 72 §, 45 §) and the arviointi of a tutkinnon osa (OPH-2762-2017).
STATUTES = [
    _chunk("s52", "Opiskelijan osaaminen arvioidaan arvioimalla opiskelijan osaamista tutkinnon perusteissa."),
    _chunk("s72", "Koulutuksen järjestäjän on varmistettava, että opiskelijalle nimetään työpaikkaohjaaja."),
    _chunk("s45", "Opiskelijan osaamista arvioivat opettaja ja työelämän edustaja yhdessä."),
]
PERUSTEET = [
    _chunk("p1", "Opiskelija arvioi omaa osaamistaan ja työn tuloksia.", kind="peruste"),
    _chunk("p2", "Opiskelija toimii työpaikalla ohjeiden mukaan ja arvioi työtään.", kind="peruste"),
    _chunk("p3", "Opiskelija noudattaa työturvallisuusohjeita ja arvioi riskejä.", kind="peruste"),
]


def test_a_chunks_collection_comes_from_its_kind():
    assert [collection_of(c) for c in STATUTES[:1] + PERUSTEET[:1]] == ["texts", "perusteet"]


def test_statute_scores_do_not_depend_on_the_perusteet_indexed_beside_them():
    alone = LexicalIndex.build(STATUTES, "voikko")
    mixed = LexicalIndex.build(PERUSTEET[:2] + STATUTES + PERUSTEET[2:], "voikko")
    terms = alone.query_terms("miten opiskelijan osaamista arvioidaan", "fi")
    statute_scores = alone.scores(terms)
    assert statute_scores.min() > 0
    np.testing.assert_array_equal(mixed.scores(terms)[2:5], statute_scores)
    assert (mixed.scores(terms)[[0, 1, 5]] > 0).all()  # the perusteet score in their own collection
    assert [STATUTES[i].id for i, _s in alone.search(terms, 3)] == ["s52", "s45", "s72"]


def test_collections_are_saved_and_loaded_and_checked(tmp_path: Path):
    chunks = STATUTES + PERUSTEET
    lex = LexicalIndex.build(chunks, "voikko")
    lex.save(tmp_path / "lexical")
    assert sorted(p.name for p in (tmp_path / "lexical").iterdir() if p.is_dir()) == ["perusteet", "texts"]
    loaded = LexicalIndex.load(tmp_path, chunks)
    terms = lex.query_terms("työpaikkaohjaaja arviointi", "fi")
    np.testing.assert_array_equal(loaded.scores(terms), lex.scores(terms))
    # the same ids in another kind mix: the collections no longer fit the chunks
    meta = json.loads((tmp_path / "lexical" / LEXICAL_META).read_text())
    meta["collections"] = {"texts": 6}
    (tmp_path / "lexical" / LEXICAL_META).write_text(json.dumps(meta))
    with pytest.raises(LexicalIndexError, match="collections do not match"):
        LexicalIndex.load(tmp_path, chunks)


def test_an_index_written_before_collections_still_loads(tmp_path: Path):
    """Format 1 kept one BM25 over all chunks at the folder's root; it is read as one collection."""
    lex = LexicalIndex.build(STATUTES, "voikko")
    lex.save(tmp_path / "new")
    old = tmp_path / "lexical"
    shutil.copytree(tmp_path / "new" / "texts", old)
    meta = json.loads((tmp_path / "new" / LEXICAL_META).read_text())
    meta["format"] = 1
    del meta["collections"]
    (old / LEXICAL_META).write_text(json.dumps(meta))
    loaded = LexicalIndex.load(tmp_path, STATUTES)
    terms = lex.query_terms("opiskelijan osaaminen", "fi")
    np.testing.assert_array_equal(loaded.scores(terms), lex.scores(terms))
