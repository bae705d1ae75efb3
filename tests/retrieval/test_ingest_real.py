"""Guides and amendment links through the real path: real model, real index on disk, real search."""

from __future__ import annotations

import pytest

from embedding.embedders import model_token_counter
from ingest.corpus import IngestOptions, ingest_files, ingest_guide
from ingest.manifest import load_sources
from retrieval.search import Searcher
from retrieval.types import Filters
from tests.indexes import build_cached
from tests.paths import REPO, finlex_file

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def searcher(tmp_path_factory, real_embedder, embedding_cache_path) -> Searcher:
    options = IngestOptions(count_tokens=model_token_counter())
    report = ingest_files([finlex_file("asd20170531.xml"), finlex_file("asd20201218.xml")], options=options)
    config = load_sources(REPO / "corpus" / "sources.toml")
    guides = [ingest_guide(e, options) for e in config.entries if e.path is not None]
    chunks = [c for d in [*report.documents, *guides] for c in d.chunks]
    out = build_cached(chunks, real_embedder, tmp_path_factory.mktemp("guides") / "index", embedding_cache_path)
    return Searcher.open(out, real_embedder)


def test_guide_passage_is_found_with_its_page_citation(searcher: Searcher):
    hits = searcher.search("saako koulutussopimuksella opiskeleva palkkaa", k=5, filters=Filters(kind="ohje")).hits
    assert hits[0].chunk.citation.doc_id in {"fi.esimerkkiopisto-koulutussopimus", "fi.esimerkkiopisto-hoks-ohje"}
    labels = [h.chunk.citation.label for h in hits]
    assert "Esimerkkiopiston HOKS-ohje › 3 Työelämässä oppiminen, s. 2–3" in labels
    appeal = searcher.search(
        "monessako päivässä arvioinnin tarkistamista pitää pyytää", k=3, filters=Filters(kind="opas")
    ).hits
    assert appeal[0].chunk.id == "fi.esimerkkiopisto-naytot.h5"


def test_amendment_notes_come_back_from_the_index(searcher: Searcher):
    hits = searcher.search(
        "henkilökohtainen osaamisen kehittämissuunnitelma laaditaan", k=10, filters=Filters(statute="531/2017")
    ).hits
    hoks = next(h for h in hits if h.chunk.id == "fi.531-2017.s44")
    assert hoks.chunk.citation.amendments[0].label() == "lisätty: 1218/2020 (voimaan 1.8.2021)"
    rewrite = searcher.index.get("fi.1218-2020.s44")
    assert rewrite is not None and rewrite.citation.amends == hoks.chunk.citation.section_key
