"""Versions of a section in a hit list: collapsing amending acts' wordings into the best hit."""

from __future__ import annotations

from pathlib import Path

from index.search import Searcher
from index.store import Hit, build_index
from index.versions import OtherVersion, collapse_versions, version_key
from ingest.models import Chunk, Citation

from .fakes import HashingEmbedder


def _chunk(cid: str, text: str, statute: str, section: str | None, *, amends: str | None = None,
           in_force: str | None = None, lang: str = "fi", subsections: tuple[int, ...] = ()) -> Chunk:
    label = f"{statute} {section} §" if section else statute
    cit = Citation(doc_id=f"{lang}.{statute}", doc_title="T", kind="laki", lang=lang, label=label, statute=statute,
                   section=section, amends_statute=amends, in_force=in_force, subsections=subsections)
    return Chunk(id=cid, text=text, citation=cit)


BASE = _chunk("fi.531-2017.s97", "opiskelija katsotaan eronneeksi jos", "531/2017", "97")
NEW_2020 = _chunk("fi.1218-2020.s97", "opiskelija katsotaan eronneeksi kuukausi", "1218/2020", "97",
                  amends="531/2017", in_force="2021-08-01")
NEW_2022 = _chunk("fi.718-2022.s97", "opiskelija katsotaan eronneeksi jos poissa", "718/2022", "97",
                  amends="531/2017", in_force="2022-08-01")
SV_2022 = _chunk("sv.718-2022.s97", "studerande anses ha avgått", "718/2022", "97", amends="531/2017",
                 in_force="2022-08-01", lang="sv")
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
        ("fi.531-2017.s97", 1), ("fi.1215-2020.s18", 2), ("fi.531-2017.s45.m1-2", 3), ("sv.718-2022.s97", 4),
        ("fi.531-2017.s45.m3", 5), ("fi.718-2022.svoimaantulo", 6),
    ]
    assert out[0].versions == (
        OtherVersion("fi.718-2022.s97", "718/2022", "718/2022 97 §", "2022-08-01", 0.6),
        OtherVersion("fi.1218-2020.s97", "1218/2020", "1218/2020 97 §", "2021-08-01", 0.8),
    )
    assert all(h.versions == () for h in out[1:])


def test_an_amending_acts_hit_first_keeps_the_enacted_text_as_a_version():
    out = collapse_versions(_hits(NEW_2022, BASE))
    assert [h.chunk.id for h in out] == ["fi.718-2022.s97"]
    assert [(v.act, v.in_force) for v in out[0].versions] == [("531/2017", None)]


def test_searcher_collapses_before_paging(tmp_path: Path):
    embedder = HashingEmbedder()
    build_index([BASE, NEW_2020, NEW_2022, TUVA, MOM_1], embedder, tmp_path / "idx")
    searcher = Searcher.open(tmp_path / "idx", embedder, glossary_path=None)
    query = "opiskelija katsotaan eronneeksi"
    plain = searcher.search(query, k=5).hits
    assert [h.chunk.id for h in plain] == [
        "fi.531-2017.s97", "fi.1215-2020.s18", "fi.718-2022.s97", "fi.1218-2020.s97", "fi.531-2017.s45.m1-2"
    ]
    first = searcher.search(query, k=2, collapse=True).hits
    assert [(h.chunk.id, h.rank, [v.act for v in h.versions]) for h in first] == [
        ("fi.531-2017.s97", 1, ["718/2022", "1218/2020"]), ("fi.1215-2020.s18", 2, []),
    ]
    second = searcher.search(query, k=2, offset=2, collapse=True).hits
    assert [(h.chunk.id, h.rank) for h in second] == [("fi.531-2017.s45.m1-2", 3)]
