"""Bad input: each bad source gets one clear error naming the file and reason; the rest goes on."""

from __future__ import annotations

import io
import shutil
from pathlib import Path

import pytest

from ingest.corpus import IngestOptions, ingest_corpus
from ingest.manifest import load_sources
from tests.paths import FINLEX, REPO, finlex_file

PDF = REPO / "corpus" / "esimerkkiopisto" / "hoks-ohje.pdf"


def _entry(id_: str, path: str, kind: str = "ohje") -> str:
    return f'[[source]]\nid = "{id_}"\ntitle = "{id_}"\nkind = "{kind}"\nlang = "fi"\npath = "{path}"\n\n'


@pytest.fixture()
def bad_corpus(tmp_path: Path) -> Path:
    """A corpus with one good guide, one good statute and one of every kind of bad input."""
    finlex_file("asd20201215.xml")
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    statutes = tmp_path / "finlex" / "fi"
    statutes.mkdir(parents=True)
    # Copied, not linked: a link out of the Finlex folder is refused (tests/ingest/test_hostile_sources.py).
    shutil.copy(FINLEX / "fi" / "asd20201215.xml", statutes / "asd20201215.xml")
    (statutes / "asd20990001.xml").write_text("<vah:VahvistettavaLaki><unclosed>", encoding="utf-8")
    (corpus / "good.md").write_text("# Hyvä\n\nOhjeen teksti.\n", encoding="utf-8")
    data = PDF.read_bytes()
    (corpus / "truncated.pdf").write_bytes(data[: len(data) // 2])
    from pypdf import PdfWriter

    writer = PdfWriter(clone_from=io.BytesIO(data))
    writer.encrypt("salasana")
    writer.write(corpus / "encrypted.pdf")
    from fpdf import FPDF

    image_only = FPDF()
    image_only.add_page()
    image_only.rect(20, 20, 100, 100, style="F")
    image_only.output(str(corpus / "scan.pdf"))
    (corpus / "empty.txt").write_bytes(b"")
    (corpus / "huge.txt").write_text("iso tiedosto\n" * 5000, encoding="utf-8")
    (corpus / "latin1.txt").write_bytes("Hyväksyminen ja näyttö".encode("latin-1"))
    manifest = corpus / "sources.toml"
    manifest.write_text(
        f'[finlex]\ndir = "{statutes.parent}"\ninclude = ["fi/*.xml"]\n\n'
        + _entry("good", "good.md")
        + _entry("truncated", "truncated.pdf")
        + _entry("encrypted", "encrypted.pdf")
        + _entry("scan", "scan.pdf")
        + _entry("empty", "empty.txt")
        + _entry("huge", "huge.txt")
        + _entry("latin1", "latin1.txt")
        + _entry("missing", "nowhere/missing.pdf")
        + '[[source]]\nid = "typo"\ntitle = "T"\nkind = "ohje"\nlang = "fi"\npath = "good.md"\nisuer = "X"\n\n'
        + '[[source]]\nid = "no-kind"\ntitle = "T"\nlang = "fi"\npath = "good.md"\n',
        encoding="utf-8",
    )
    return manifest


def test_every_bad_input_is_reported_once_and_the_rest_is_ingested(bad_corpus: Path):
    config = load_sources(bad_corpus)
    report = ingest_corpus(config, options=IngestOptions(max_bytes=50_000))
    assert sorted(d.id for d in report.documents) == ["fi.1215-2020", "fi.good"]
    failed = {Path(e.path).name: e.reason for e in report.errors}
    skipped = {Path(e.path).name: e.reason for e in report.skipped}
    assert set(failed) == {
        "sources.toml",
        "asd20990001.xml",
        "truncated.pdf",
        "encrypted.pdf",
        "latin1.txt",
        "missing.pdf",
    }
    assert failed["asd20990001.xml"].startswith("malformed XML")
    assert failed["truncated.pdf"].startswith("truncated or damaged PDF")
    assert failed["encrypted.pdf"] == "encrypted PDF: a password is needed to open it"
    assert failed["latin1.txt"] == "not UTF-8 text (byte 0xe4 at offset 3); save it as UTF-8"
    assert failed["missing.pdf"] == "file not found"
    manifest_errors = [e.reason for e in report.errors if Path(e.path).name == "sources.toml"]
    assert manifest_errors == [
        "[[source]] #9 (id 'typo'): unknown keys ['isuer']; allowed: ['id', 'title', 'kind', 'lang', 'issuer', 'url', 'valid_from', 'path', 'statute', 'institution']",
        "[[source]] #10 (id 'no-kind'): missing required keys ['kind']",
    ]
    assert skipped == {
        "scan.pdf": "PDF has no text layer (scanned image only?); OCR it first",
        "empty.txt": "empty file",
        "huge.txt": "file is 65000 bytes, over the 50000-byte limit (LAHDE_INGEST_MAX_BYTES)",
    }
    assert report.summary() == "ok 2, skipped 3, failed 7"
    assert all(str(e).startswith(e.path) for e in report.errors + report.skipped)


def test_manifest_entry_checks(tmp_path: Path):
    manifest = tmp_path / "corpus" / "sources.toml"
    manifest.parent.mkdir()
    manifest.write_text(
        '[[source]]\nid = "a"\ntitle = "A"\nkind = "blogi"\nlang = "fi"\npath = "a.md"\n\n'
        '[[source]]\nid = "b"\ntitle = "B"\nkind = "laki"\nlang = "en"\nstatute = "531/2017"\n\n'
        '[[source]]\nid = "c"\ntitle = "C"\nkind = "laki"\nlang = "fi"\nstatute = "531/2017"\npath = "c.md"\n\n'
        '[[source]]\nid = "d"\ntitle = "D"\nkind = "laki"\nlang = "fi"\nstatute = "viisisataa"\n\n'
        '[[source]]\nid = "e"\ntitle = "E"\nkind = "laki"\nlang = "fi"\nstatute = "531/2017"\nvalid_from = "huomenna"\n\n'
        '[[source]]\nid = "f"\ntitle = "F"\nkind = "laki"\nlang = "fi"\nstatute = "531/2017"\nvalid_from = 2018-01-01\n\n'
        '[[source]]\nid = "g"\ntitle = "G"\nkind = "laki"\nlang = "fi"\nstatute = "531/2017"\ninstitution = "x"\n\n'
        '[[source]]\nid = "h"\ntitle = "H"\nkind = "ohje"\nlang = "fi"\npath = "h.md"\ninstitution = "Iso Opisto"\n\n'
        '[[source]]\nid = "i"\ntitle = "I"\nkind = "ohje"\nlang = "fi"\npath = "i.md"\ninstitution = "esimerkkiopisto"\n',
        encoding="utf-8",
    )
    config = load_sources(manifest)
    assert [e.reason for e in config.errors] == [
        "[[source]] #1 (id 'a'): kind 'blogi' is not one of ['laki', 'asetus', 'opas', 'ohje', 'ukk']",
        "[[source]] #2 (id 'b'): lang 'en' is not one of ['fi', 'sv']",
        "[[source]] #3 (id 'c'): give exactly one of 'path' (a file) or 'statute' (\"531/2017\")",
        "[[source]] #4 (id 'd'): statute must look like \"531/2017\"",
        "[[source]] #5 (id 'e'): valid_from must be a date (YYYY-MM-DD)",
        "[[source]] #7 (id 'g'): institution names a guide's own institution (an id like 'esimerkkiopisto'); statutes are public",
        "[[source]] #8 (id 'h'): institution names a guide's own institution (an id like 'esimerkkiopisto'); statutes are public",
    ]
    entry, guide = config.entries
    assert (guide.id, guide.institution) == ("i", "esimerkkiopisto")
    (manifest.parent / "i.md").write_text("# Palkka\n\nKoulutussopimuksella ei makseta palkkaa.\n", encoding="utf-8")
    docs = {d.id: d for d in ingest_corpus(config).documents}
    assert {c.citation.institution for c in docs["fi.i"].chunks} == {"esimerkkiopisto"}
    assert (entry.id, entry.valid_from, entry.finlex_name(), entry.akn_name()) == (
        "f",
        "2018-01-01",
        "asd20170531.xml",
        "2017_531_fin.xml",
    )


def test_statute_entry_not_in_any_folder_is_a_failure(tmp_path: Path):
    manifest = tmp_path / "corpus" / "sources.toml"
    manifest.parent.mkdir()
    (tmp_path / "finlex").mkdir()
    entry = '[[source]]\nid = "x"\ntitle = "X"\nkind = "laki"\nlang = "fi"\nstatute = "1/2099"\n'
    manifest.write_text(f'[finlex]\ndir = "{tmp_path / "finlex"}"\ninclude = []\n\n' + entry, encoding="utf-8")
    report = ingest_corpus(load_sources(manifest))
    assert report.summary() == "ok 0, skipped 0, failed 1"
    assert str(report.errors[0]).endswith(
        "asd20990001.xml: source 'x': statute 1/2099 not found (run `lahde sources fetch`)"
    )
    # Without a Finlex folder at all (it is optional) the entry is skipped, not failed.
    manifest.write_text(f'[finlex]\ndir = "{tmp_path / "none"}"\ninclude = []\n\n' + entry, encoding="utf-8")
    report = ingest_corpus(load_sources(manifest))
    assert report.summary() == "ok 0, skipped 1, failed 0"
    assert report.skipped[0].reason.endswith("not found (run `lahde sources fetch`); no Finlex folder")


def test_real_manifest_ingests_statutes_guides_and_perusteet():
    finlex_file("asd20170531.xml")
    report = ingest_corpus(load_sources(REPO / "corpus" / "sources.toml"))
    assert report.errors == [] and report.skipped == []
    ids = {d.id for d in report.documents}
    assert {
        "fi.531-2017",
        "sv.531-2017",
        "fi.esimerkkiopisto-hoks-ohje",
        "fi.esimerkkiopisto-erityinen-tuki-ukk",
        "fi.peruste-oph-1161-2018",
        "sv.peruste-oph-1488-2021",
    } <= ids
    statutes = len(list((FINLEX / "fi").glob("*.xml"))) + len(list((FINLEX / "sv").glob("*.xml")))
    assert statutes + 4 + 3 * 2 == len(ids)  # 4 guides, 3 perusteet in two languages
    vocational = next(d for d in report.documents if d.id == "fi.531-2017")
    assert (vocational.valid_from, vocational.issuer) == ("2018-01-01", "Eduskunta")
