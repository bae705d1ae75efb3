"""Sections, documents and amendment notes assembled from chunks (the one adapter over chunk data)."""

from __future__ import annotations

from dataclasses import dataclass

from ingest.models import Chunk, Citation
from retrieval.sections import CorpusView, amendment_notes, whole_section_label


@dataclass(frozen=True)
class _Amendment:
    act: str
    date: str | None
    change: str
    part: str | None = None

    def label(self, lang: str = "fi") -> str:
        return f"muutettu: {self.act}" if lang == "fi" else f"ändrad: {self.act}"


@dataclass(frozen=True)
class _AmendedCitation(Citation):
    """A citation as ingestion (issue 7) writes it: with amendment links."""

    amendments: tuple = ()


def _chunk(
    lang: str, section: str, text: str, subsections: tuple[int, ...] = (), amendments: tuple = (), doc: str = "531-2017"
) -> Chunk:
    span = f" {subsections[0]}–{subsections[-1]} mom." if subsections else ""
    cid = f"{lang}.{doc}.s{section}" + (f".m{subsections[0]}-{subsections[-1]}" if subsections else "")
    citation = _AmendedCitation(
        doc_id=f"{lang}.{doc}",
        doc_title="Laki" if lang == "fi" else "Lag",
        kind="laki",
        lang=lang,
        label=f"Laki ({doc}) {section} §{span}",
        statute=doc.replace("-", "/"),
        section=section,
        subsections=subsections,
        section_key=f"{doc}.s{section}",
        url=f"https://finlex.fi/{lang}/{doc}",
        amendments=amendments,
    )
    return Chunk(id=cid, text=text, citation=citation)


A1 = _Amendment("1218/2020", "2021-08-01", "amend", "2 momentti")
CHUNKS = [
    _chunk("fi", "44", "Neljäs."),
    _chunk("fi", "45", "Kolmas ja neljäs momentti.", (3, 4), (A1,)),
    _chunk("fi", "45", "Ensimmäinen ja toinen momentti.", (1, 2), (A1,)),
    _chunk("fi", "46", "Kuudes."),
    _chunk("sv", "45", "Fyrtiofemte."),
    _chunk("fi", "1", "Muu laki.", doc="673-2017"),
]


def test_section_joins_momentit_in_order_with_neighbours_amendments_and_other_language():
    view = CorpusView(CHUNKS)
    section = view.section("fi.531-2017.s45.m3-4")
    assert section is not None
    assert [c.id for c in section.chunks] == ["fi.531-2017.s45.m1-2", "fi.531-2017.s45.m3-4"]
    assert section.text == "Ensimmäinen ja toinen momentti.\n\nKolmas ja neljäs momentti."
    assert section.label == "Laki (531-2017) 45 §"
    assert (section.previous.id, section.next.id) == ("fi.531-2017.s44", "fi.531-2017.s46")
    assert [(a.act, a.date, a.change, a.part, a.note) for a in section.amendments] == [
        ("1218/2020", "2021-08-01", "amend", "2 momentti", "muutettu: 1218/2020")
    ]
    assert [c.id for c in section.other_languages] == ["sv.531-2017.s45"]
    assert [c.id for c in view.section("sv.531-2017.s45").other_languages] == ["fi.531-2017.s45.m1-2"]


def test_section_edges_and_unknown_ids():
    view = CorpusView(CHUNKS)
    first = view.section("fi.531-2017.s44")
    assert first.previous is None and first.next.id == "fi.531-2017.s45.m1-2"
    assert first.amendments == [] and first.other_languages == []
    assert view.section("fi.531-2017.s46").next is None
    assert view.section("fi.673-2017.s1").previous is None  # neighbours never cross documents
    assert view.section("no.such.id") is None


def test_documents_with_counts_and_language_versions():
    view = CorpusView(CHUNKS)
    docs = {d.id: d for d in view.documents()}
    assert list(docs) == ["fi.531-2017", "sv.531-2017", "fi.673-2017"]
    fi = docs["fi.531-2017"]
    assert (fi.chunk_count, fi.section_count, fi.first_chunk_id) == (4, 3, "fi.531-2017.s44")
    assert fi.other_languages == ["sv.531-2017"] and docs["fi.673-2017"].other_languages == []
    assert view.section_ids("fi.531-2017") == ["fi.531-2017.s44", "fi.531-2017.s45.m1-2", "fi.531-2017.s46"]
    assert view.document("nope") is None and view.section_ids("nope") == []


def test_amendment_notes_degrade_gracefully():
    plain = Citation(doc_id="d", doc_title="t", kind="laki", lang="fi", label="l")
    assert amendment_notes(plain) == []
    no_label = _AmendedCitation(
        doc_id="d", doc_title="t", kind="laki", lang="sv", label="l", amendments=({"x": 1}, A1)
    )  # malformed entries are skipped
    assert [n.note for n in amendment_notes(no_label)] == ["ändrad: 1218/2020"]
    assert whole_section_label([CHUNKS[0]]) == "Laki (531-2017) 44 §"
