"""Versions of a section in a hit list: collapsing amending acts' wordings into the best hit."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from ingest.models import Chunk, Citation
from lahde.settings import Settings
from retrieval.search import Searcher
from retrieval.types import Hit
from retrieval.versions import OtherVersion, collapse_versions, version_key
from search_api.app import create_app
from tests.fakes import HashingEmbedder
from tests.indexes import build_index


def _chunk(
    cid: str,
    text: str,
    statute: str,
    section: str | None,
    *,
    amends: str | None = None,
    in_force: str | None = None,
    lang: str = "fi",
    subsections: tuple[int, ...] = (),
) -> Chunk:
    label = f"{statute} {section} §" if section else statute
    cit = Citation(
        doc_id=f"{lang}.{statute}",
        doc_title="T",
        kind="laki",
        lang=lang,
        label=label,
        statute=statute,
        section=section,
        amends_statute=amends,
        in_force=in_force,
        subsections=subsections,
    )
    return Chunk(id=cid, text=text, citation=cit)


BASE = _chunk("fi.531-2017.s97", "opiskelija katsotaan eronneeksi jos", "531/2017", "97")
NEW_2020 = _chunk(
    "fi.1218-2020.s97",
    "opiskelija katsotaan eronneeksi kuukausi",
    "1218/2020",
    "97",
    amends="531/2017",
    in_force="2021-08-01",
)
NEW_2022 = _chunk(
    "fi.718-2022.s97",
    "opiskelija katsotaan eronneeksi jos poissa",
    "718/2022",
    "97",
    amends="531/2017",
    in_force="2022-08-01",
)
SV_2022 = _chunk(
    "sv.718-2022.s97",
    "studerande anses ha avgått",
    "718/2022",
    "97",
    amends="531/2017",
    in_force="2022-08-01",
    lang="sv",
)
TUVA = _chunk("fi.1215-2020.s18", "opiskelija katsotaan eronneeksi tuva", "1215/2020", "18")
MOM_1 = _chunk("fi.531-2017.s45.m1-2", "hoks laaditaan", "531/2017", "45", subsections=(1, 2))
MOM_3 = _chunk("fi.531-2017.s45.m3", "hoks hyväksytään", "531/2017", "45", subsections=(3,))
VOIMAAN = _chunk("fi.718-2022.svoimaantulo", "tämä laki tulee voimaan", "718/2022", None, amends="531/2017")


def _hits(*chunks: Chunk) -> list[Hit]:
    return [Hit(chunk=c, score=round(1.0 - i / 10, 2), rank=i + 1) for i, c in enumerate(chunks)]


def test_version_key_is_the_base_section_in_its_language():
    assert version_key(NEW_2022) == version_key(BASE) == ("531/2017", "97", "fi")
    assert version_key(SV_2022) == ("531/2017", "97", "sv")
    assert version_key(VOIMAAN) is None


def test_other_acts_wordings_fold_into_the_best_hit_newest_first():
    out = collapse_versions(_hits(BASE, TUVA, NEW_2020, MOM_1, NEW_2022, SV_2022, MOM_3, VOIMAAN))
    assert [(h.chunk.id, h.rank) for h in out] == [
        ("fi.531-2017.s97", 1),
        ("fi.1215-2020.s18", 2),
        ("fi.531-2017.s45.m1-2", 3),
        ("sv.718-2022.s97", 4),
        ("fi.531-2017.s45.m3", 5),
        ("fi.718-2022.svoimaantulo", 6),
    ]
    assert out[0].versions == (
        OtherVersion("fi.718-2022.s97", "718/2022", "718/2022 97 §", "2022-08-01", 0.6),
        OtherVersion("fi.1218-2020.s97", "1218/2020", "1218/2020 97 §", "2021-08-01", 0.8),
    )
    assert all(h.versions == () for h in out[1:])


def test_version_notes_in_finnish_and_swedish():
    v = OtherVersion("fi.718-2022.s97", "718/2022", "x", "2022-08-01", 0.5)
    assert v.note() == "718/2022 (voimaan 1.8.2022)" and v.note("sv") == "718/2022 (i kraft 1.8.2022)"
    assert OtherVersion("fi.531-2017.s97", "531/2017", "x", None, 0.5).note("sv") == "531/2017 (ursprunglig)"
    assert OtherVersion("a", "1/2020", "x", "syksy 2020", 0.5).note() == "1/2020 (voimaan syksy 2020)"


def test_an_amending_acts_hit_first_keeps_the_enacted_text_as_a_version():
    out = collapse_versions(_hits(NEW_2022, BASE))
    assert [h.chunk.id for h in out] == ["fi.718-2022.s97"]
    assert [(v.act, v.in_force) for v in out[0].versions] == [("531/2017", None)]


def test_the_consolidated_section_heads_its_versions_at_the_best_place():
    from dataclasses import replace

    consolidated = replace(
        BASE, citation=replace(BASE.citation, consolidation="consolidated", wording_acts=("718/2022",))
    )
    out = collapse_versions(_hits(NEW_2022, TUVA, consolidated, NEW_2020))
    assert [(h.chunk.id, h.rank) for h in out] == [("fi.531-2017.s97", 1), ("fi.1215-2020.s18", 2)]
    assert [v.chunk_id for v in out[0].versions] == ["fi.718-2022.s97", "fi.1218-2020.s97"]
    # A section left apart keeps the enacted text: the best-ranked act heads as before.
    apart = replace(BASE, citation=replace(BASE.citation, consolidation="apart"))
    assert [h.chunk.id for h in collapse_versions(_hits(NEW_2022, apart))] == ["fi.718-2022.s97"]


def test_searcher_collapses_before_paging(tmp_path: Path):
    embedder = HashingEmbedder()
    build_index([BASE, NEW_2020, NEW_2022, TUVA, MOM_1], embedder, tmp_path / "idx")
    searcher = Searcher.open(tmp_path / "idx", embedder, glossary_path=None)
    query = "opiskelija katsotaan eronneeksi"
    plain = searcher.search(query, k=5).hits
    assert [h.chunk.id for h in plain] == [
        "fi.531-2017.s97",
        "fi.1215-2020.s18",
        "fi.718-2022.s97",
        "fi.1218-2020.s97",
        "fi.531-2017.s45.m1-2",
    ]
    first = searcher.search(query, k=2, collapse=True).hits
    assert [(h.chunk.id, h.rank, [v.act for v in h.versions]) for h in first] == [
        ("fi.531-2017.s97", 1, ["718/2022", "1218/2020"]),
        ("fi.1215-2020.s18", 2, []),
    ]
    second = searcher.search(query, k=2, offset=2, collapse=True).hits
    assert [(h.chunk.id, h.rank) for h in second] == [("fi.531-2017.s45.m1-2", 3)]


@pytest.fixture()
def versions_client(tmp_path: Path):
    embedder = HashingEmbedder()
    build_index([BASE, NEW_2020, NEW_2022, TUVA, MOM_1], embedder, tmp_path / "idx")
    app = create_app(Settings(index_dir=tmp_path / "idx"), searcher=Searcher.open(tmp_path / "idx", embedder))
    with TestClient(app) as c:
        yield c


def test_api_folds_versions_unless_asked_for_all(versions_client: TestClient):
    params = {"q": "opiskelija katsotaan eronneeksi", "k": 3}
    folded = versions_client.get("/api/search", params=params).json()["hits"]
    assert [h["id"] for h in folded] == ["fi.531-2017.s97", "fi.1215-2020.s18", "fi.531-2017.s45.m1-2"]
    assert [(v["id"], v["act"], v["in_force"]) for v in folded[0]["other_versions"]] == [
        ("fi.718-2022.s97", "718/2022", "2022-08-01"),
        ("fi.1218-2020.s97", "1218/2020", "2021-08-01"),
    ]
    every = versions_client.get("/api/search", params={**params, "versions": "all"}).json()["hits"]
    assert [h["id"] for h in every] == ["fi.531-2017.s97", "fi.1215-2020.s18", "fi.718-2022.s97"]
    assert all(h["other_versions"] == [] for h in every)
    assert versions_client.get("/api/search", params={**params, "versions": "some"}).status_code == 422


def test_web_page_lists_the_other_wordings_with_links(versions_client: TestClient):
    html = versions_client.get("/", params={"q": "opiskelija katsotaan eronneeksi"}).text
    assert "Sama pykälä myös:" in html
    assert html.count('href="/osio/fi.718-2022.s97') == 1 and "718/2022 (voimaan 1.8.2022)</a>" in html
    assert "1218/2020 (voimaan 1.8.2021)</a>" in html
    sv = versions_client.get("/", params={"q": "opiskelija katsotaan eronneeksi", "ui": "sv"}).text
    assert "Samma paragraf även:" in sv and "718/2022 (i kraft 1.8.2022)</a>" in sv


@pytest.mark.slow
def test_real_model_folds_the_amended_wordings_of_97_section(tmp_path: Path, real_embedder, embedding_cache_path):
    from ingest.corpus import ingest_files
    from tests.indexes import build_cached
    from tests.paths import finlex_file

    report = ingest_files([finlex_file(n) for n in ("asd20170531.xml", "asd20201218.xml", "asd20220718.xml")])
    assert not report.errors
    out = build_cached(
        [c for d in report.documents for c in d.chunks], real_embedder, tmp_path / "idx", embedding_cache_path
    )
    searcher = Searcher.open(out, real_embedder)
    query = "milloin opiskelija katsotaan eronneeksi"
    every = [h.chunk.id for h in searcher.search(query, k=5).hits]
    folded = searcher.search(query, k=5, collapse=True).hits
    # Unfolded, three of the five hits are wordings of 97 § (531/2017's is 718/2022's text, in force
    # today); folded, five distinct sections, each headed by the statute itself: its consolidated
    # section is the one to cite, even where an amending act's own chunk ranked higher (38 §).
    assert every[:3] == ["fi.718-2022.s97", "fi.531-2017.s97", "fi.1218-2020.s97"]
    assert [(h.chunk.id, [v.chunk_id for v in h.versions]) for h in folded] == [
        ("fi.531-2017.s97", ["fi.718-2022.s97", "fi.1218-2020.s97"]),
        ("fi.531-2017.s111", ["fi.1218-2020.s111"]),
        ("fi.531-2017.s38", ["fi.1218-2020.s38"]),
    ] + [(h.chunk.id, [v.chunk_id for v in h.versions]) for h in folded[3:]]
    keys = [version_key(h.chunk) for h in folded]
    assert len(keys) == len(set(keys)) == 5
