"""Guides: the team's PDF (page citations, running headers/footers, hyphens), HTML, Markdown, text."""

from __future__ import annotations

from pathlib import Path

import pytest

from ingest.corpus import ingest_guide
from ingest.guide_chunks import GuideMeta, guide_to_document
from ingest.guides import Block, _join_lines, read_guide, read_html, read_markdown, read_pdf
from ingest.manifest import load_sources
from ingest.models import Document
from tests.paths import REPO

CORPUS = REPO / "corpus"
PDF = CORPUS / "esimerkkiopisto" / "hoks-ohje.pdf"


@pytest.fixture(scope="module")
def entries():
    config = load_sources(CORPUS / "sources.toml")
    assert not config.errors
    return {e.id: e for e in config.entries}


@pytest.fixture(scope="module")
def hoks(entries) -> Document:
    from ingest.corpus import IngestOptions

    return ingest_guide(entries["esimerkkiopisto-hoks-ohje"], IngestOptions())


def test_pdf_chunks_cite_heading_path_and_exact_pages(hoks: Document):
    assert [(c.id, c.citation.label) for c in hoks.chunks] == [
        ("fi.esimerkkiopisto-hoks-ohje.h1", "Esimerkkiopiston HOKS-ohje, s. 1"),
        ("fi.esimerkkiopisto-hoks-ohje.h2", "Esimerkkiopiston HOKS-ohje › 1 Ohjeen tarkoitus, s. 1"),
        ("fi.esimerkkiopisto-hoks-ohje.h3", "Esimerkkiopiston HOKS-ohje › 2 HOKSin laatiminen, s. 1–2"),
        ("fi.esimerkkiopisto-hoks-ohje.h4", "Esimerkkiopiston HOKS-ohje › 3 Työelämässä oppiminen, s. 2–3"),
        (
            "fi.esimerkkiopisto-hoks-ohje.h5",
            "Esimerkkiopiston HOKS-ohje › 4 Aiemmin hankitun osaamisen tunnustaminen, s. 3",
        ),
        ("fi.esimerkkiopisto-hoks-ohje.h6", "Esimerkkiopiston HOKS-ohje › 5 Ohjaus ja erityinen tuki, s. 3"),
        ("fi.esimerkkiopisto-hoks-ohje.h7", "Esimerkkiopiston HOKS-ohje › 6 HOKSin päivittäminen, s. 3–4"),
        ("fi.esimerkkiopisto-hoks-ohje.h8", "Esimerkkiopiston HOKS-ohje › 7 Yhteystiedot, s. 4"),
    ]
    work = hoks.chunks[3].citation
    assert (work.page, work.page_end, work.heading_path) == (2, 3, ("3 Työelämässä oppiminen",))
    assert (work.kind, work.issuer, work.url) == (
        "ohje",
        "Esimerkkiopisto (kuvitteellinen)",
        "https://esimerkkiopisto.example/ohjeet/hoks-ohje.pdf",
    )
    assert hoks.valid_from == "2025-08-01"


def test_pdf_pages_really_hold_those_headings():
    from pypdf import PdfReader

    pages = [p.extract_text() for p in PdfReader(PDF).pages]
    assert len(pages) == 4
    assert "2 HOKSin laatiminen" in pages[0] and "3 Työelämässä oppiminen" in pages[1]
    assert all(h in pages[2] for h in ("4 Aiemmin", "5 Ohjaus", "6 HOKSin"))
    assert "7 Yhteystiedot" in pages[3]


def test_running_header_footer_and_page_numbers_are_removed(hoks: Document):
    from pypdf import PdfReader

    raw = "\n".join(p.extract_text() for p in PdfReader(PDF).pages)
    assert raw.count("Esimerkkiopisto - HOKS-ohje (kuvitteellinen esimerkkiaineisto)") == 4
    assert "Sivu 3 / 4" in raw
    text = "\n".join(c.text for c in hoks.chunks)
    assert "kuvitteellinen esimerkkiaineisto)" not in text
    assert "Sivu" not in text


def test_hyphenated_line_breaks_are_joined(hoks: Document):
    from pypdf import PdfReader

    raw = PdfReader(PDF).pages[0].extract_text()
    assert "kehittämis-\nsuunnitelma" in raw  # the PDF breaks the word across lines
    assert "osaamisen kehittämissuunnitelma (HOKS)" in hoks.chunks[1].text
    assert _join_lines(["opetus-", "ja ohjaus"]) == "opetus- ja ohjaus"  # an ellipsis hyphen is kept
    assert _join_lines(["vuosina 2019-", "2020"]) == "vuosina 2019- 2020"


def test_paragraph_running_onto_the_next_page_stays_one_block():
    blocks = read_pdf(PDF)
    spanning = [b for b in blocks if b.page_end]
    assert spanning and all(b.page_end == b.page + 1 for b in spanning)
    assert any("Opiskelija voi myös itse pyytää HOKSin päivittämistä" in b.text for b in spanning)


def test_html_main_content_only_with_headings(entries):
    from ingest.corpus import IngestOptions

    doc = ingest_guide(entries["esimerkkiopisto-koulutussopimus"], IngestOptions())
    labels = [c.citation.label for c in doc.chunks]
    assert labels[0] == "Koulutussopimus Esimerkkiopistossa"
    assert "Koulutussopimus Esimerkkiopistossa › 3 Työpaikkaohjaaja › 3.1 Työturvallisuus" in labels
    text = "\n".join(c.text for c in doc.chunks)
    assert "Etusivu" not in text and "analytics" not in text and "Päivitetty 1.8.2025" not in text
    table = next(c for c in doc.chunks if c.citation.heading_path == ("4 Korvaukset ja kustannukset",))
    assert table.text.splitlines()[1] == "Palkka opiskelijalle | Ei makseta (opiskelija ei ole työsuhteessa)"
    listing = next(c for c in doc.chunks if c.citation.heading_path == ("2 Sopimuksen laatiminen",))
    assert listing.text.count("\n• ") == 5  # five <li>, one line each


def test_markdown_headings_and_table(entries):
    from ingest.corpus import IngestOptions

    doc = ingest_guide(entries["esimerkkiopisto-naytot"], IngestOptions())
    scale = next(c for c in doc.chunks if c.citation.heading_path == ("3 Arviointiasteikko",))
    assert scale.citation.label == "Näytöt ja osaamisen arviointi Esimerkkiopistossa › 3 Arviointiasteikko"
    assert "5 | kiitettävä" in scale.text.splitlines()
    appeal = next(c for c in doc.chunks if "oikaisu" in c.citation.label)
    assert "14 päivän kuluessa" in appeal.text


def test_readers_on_small_inline_documents(tmp_path: Path):
    html = read_html(
        tmp_path / "x.html",
        "<html><body><nav>Valikko</nav><h1>Otsikko</h1><h2>A</h2><p>Eka.</p><h2>B</h2><p>Toka.</p></body></html>",
    )
    assert html == [Block("Eka.", ("Otsikko", "A")), Block("Toka.", ("Otsikko", "B"))]
    md = read_markdown(tmp_path / "x.md", "# T\n\n## 1 Osa\n\nTeksti\njatkuu.\n\n- kohta\n")
    assert md == [Block("Teksti\njatkuu.", ("T", "1 Osa")), Block("- kohta", ("T", "1 Osa"))]
    text = tmp_path / "x.txt"
    text.write_text("Kysymys? Vastaus.\n\nToinen kappale.\n", encoding="utf-8")
    assert [b.text for b in read_guide(text)] == ["Kysymys? Vastaus.", "Toinen kappale."]


def test_long_guide_section_splits_between_sentences():
    sentences = " ".join(f"Lause numero {i} kertoo jotain tärkeää opiskelijasta." for i in range(60))
    meta = GuideMeta("testi", "Testiohje", "ohje", "fi", "x.txt")
    doc = guide_to_document(meta, [Block(sentences, ("1 Osa",), 2)], max_tokens=120)
    assert len(doc.chunks) > 1
    assert [c.id for c in doc.chunks][:2] == ["fi.testi.h1.p1", "fi.testi.h1.p2"]
    assert all(c.tokens <= 120 for c in doc.chunks)
    assert " ".join(c.text for c in doc.chunks) == sentences
    assert all(c.citation.label == "Testiohje › 1 Osa, s. 2" for c in doc.chunks)
