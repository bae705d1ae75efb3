"""Hostile sources: a deeply nested statute, a crashing reader, escaping paths, restricted PDFs, control characters."""

from __future__ import annotations

import io
import os
import shutil
from pathlib import Path

import pytest

from ingest import corpus as corpus_module
from ingest.corpus import ingest_corpus, ingest_files
from ingest.errors import SourceFormatError
from ingest.finlex import read_statute
from ingest.manifest import load_sources
from lahde import service
from tests.fakes import HashingEmbedder
from tests.paths import REPO, finlex_file
from tests.temp_corpus import make_corpus, settings_for

PDF = REPO / "corpus" / "esimerkkiopisto" / "hoks-ohje.pdf"
NESTED = "asd20990002.xml"


def nested_statute(folder: Path, depth: int = 5000) -> Path:
    """A real statute (1215/2020) with its first section wrapped in ``depth`` nested saa:Osa (~98 KB)."""
    text = finlex_file("asd20201215.xml").read_text(encoding="utf-8")
    start = text.index("<saa:Pykala ")
    end = text.index("</saa:Pykala>", start) + len("</saa:Pykala>")
    first = "<saa:Osa>" * depth + text[start:end] + "</saa:Osa>" * depth
    text = text[:start] + first + text[end:]
    text = text.replace("<asi1:AsiakirjaNroTeksti>1215</", "<asi1:AsiakirjaNroTeksti>2</").replace(
        "<asi1:ValtiopaivavuosiTeksti>2020</", "<asi1:ValtiopaivavuosiTeksti>2099</"
    )
    path = folder / NESTED
    path.write_text(text, encoding="utf-8")
    return path


def test_a_deeply_nested_statute_is_refused_with_a_clear_error(tmp_path: Path):
    path = nested_statute(tmp_path)
    assert 95_000 < path.stat().st_size < 200_000
    with pytest.raises(SourceFormatError, match=r"elements nested \d+ levels deep \(more than 200\)") as caught:
        read_statute(path)
    assert caught.value.path == str(path)
    # A statute nested as real ones are still reads.
    assert len(read_statute(nested_statute(tmp_path, depth=20)).sections) == 29


def test_a_build_with_a_nested_statute_fails_that_file_alone(tmp_path: Path):
    make_corpus(tmp_path)
    nested = nested_statute(tmp_path / "finlex" / "fi")
    outcome = service.build(settings_for(tmp_path, chunk_token_count="estimate"), HashingEmbedder())
    assert [Path(e.path).name for e in outcome.errors] == [NESTED]
    assert outcome.summary() == "ok 3, skipped 0, failed 1"
    assert outcome.result.switched and outcome.manifest.chunk_count == 33
    assert outcome.result.report.documents_failed == [
        {"path": str(nested), "error": outcome.errors[0].reason, "kept": None}
    ]


def test_any_reader_failure_is_that_files_failure_and_the_rest_goes_on(tmp_path: Path, monkeypatch):
    good = finlex_file("asd20201215.xml")
    bad = tmp_path / "asd20990003.xml"
    shutil.copy(good, bad)
    real = corpus_module.read_statute_file

    def flaky(path: Path):  # type: ignore[no-untyped-def]
        if path == bad:
            raise RuntimeError("reader bug")
        return real(path)

    monkeypatch.setattr(corpus_module, "read_statute_file", flaky)
    report = ingest_files([good, bad])
    assert [d.id for d in report.documents] == ["fi.1215-2020"]
    assert [(e.path, e.reason) for e in report.errors] == [(str(bad), "cannot read: RuntimeError: reader bug")]


def _guide_manifest(corpus: Path, entries: dict[str, str], finlex: Path | None = None) -> Path:
    head = f'[finlex]\ndir = "{finlex}"\ninclude = ["fi/*.xml"]\n\n' if finlex else ""
    body = "".join(
        f'[[source]]\nid = "{id_}"\ntitle = "{id_}"\nkind = "ohje"\nlang = "fi"\npath = "{path}"\n\n'
        for id_, path in entries.items()
    )
    manifest = corpus / "sources.toml"
    manifest.write_text(head + body, encoding="utf-8")
    return manifest


def test_sources_outside_the_allowed_folders_are_refused(tmp_path: Path):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "good.md").write_text("# Hyvä\n\nOhjeen teksti.\n", encoding="utf-8")
    (corpus / "passwd.md").symlink_to("/etc/passwd")
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    (outside / "secret.md").write_text("# Salainen\n\nEi kuulu hakuun.\n", encoding="utf-8")
    finlex = tmp_path / "finlex"
    (finlex / "fi").mkdir(parents=True)
    (finlex / "fi" / "asd20201215.xml").symlink_to(finlex_file("asd20201215.xml"))  # outside the Finlex folder
    manifest = _guide_manifest(
        corpus,
        {
            "good": "good.md",
            "up": "../../../../../../etc/passwd",
            "link": "passwd.md",
            "secret": "../elsewhere/secret.md",
        },
        finlex,
    )
    report = ingest_corpus(load_sources(manifest))
    assert [d.id for d in report.documents] == ["fi.good"]
    refused = {Path(e.path).name: e.reason for e in report.errors}
    assert set(refused) == {"passwd", "passwd.md", "secret.md", "asd20201215.xml"}
    assert all(r.startswith("outside the allowed source folders") for r in refused.values())
    # A configured extra root lets the institution's own folder in.
    report = ingest_corpus(load_sources(manifest, extra_roots=[outside]))
    assert sorted(d.id for d in report.documents) == ["fi.good", "fi.secret"]


def test_a_pdf_with_only_an_owner_password_is_read_and_one_with_a_user_password_is_refused(tmp_path: Path):
    from pypdf import PdfWriter

    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for name, user in (("restricted.pdf", ""), ("locked.pdf", "salasana")):
        writer = PdfWriter(clone_from=io.BytesIO(PDF.read_bytes()))
        writer.encrypt(user_password=user, owner_password="omistaja", algorithm="RC4-128")
        writer.write(corpus / name)
    report = ingest_corpus(
        load_sources(_guide_manifest(corpus, {"restricted": "restricted.pdf", "locked": "locked.pdf"}))
    )
    assert [d.id for d in report.documents] == ["fi.restricted"]
    assert "HOKS" in " ".join(c.text for c in report.documents[0].chunks)
    assert [(Path(e.path).name, e.reason) for e in report.errors] == [
        ("locked.pdf", "encrypted PDF: a password is needed to open it")
    ]


def test_control_characters_never_reach_the_index(tmp_path: Path):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "ohje.md").write_text(
        "# Otsikko\x1b[31m punainen\n\nTeksti\x00 jossa \x1b]0;title\x07 ohjausmerkkejä\u0085 ja\ttabulaattori.\n",
        encoding="utf-8",
    )
    finlex = tmp_path / "finlex" / "fi"
    finlex.mkdir(parents=True)
    xml = finlex_file("asd20201215.xml").read_text(encoding="utf-8")
    # XML forbids C0 controls (the parser refuses them); C1 ones (the 8-bit CSI \x9b, NEL) it allows.
    (finlex / "asd20201215.xml").write_text(xml.replace("Opiskelija katsotaan", "Opiskelija\x9b2J\x85 katsotaan", 1))
    report = ingest_corpus(load_sources(_guide_manifest(corpus, {"ohje": "ohje.md"}, finlex.parent)))
    assert report.errors == [] and sorted(d.id for d in report.documents) == ["fi.1215-2020", "fi.ohje"]
    texts = [t for d in report.documents for c in d.chunks for t in (c.text, c.context, c.citation.label)]
    controls = [t for t in texts if any(ord(ch) < 32 and ch not in "\t\n" or 0x7F <= ord(ch) <= 0x9F for ch in t)]
    assert controls == []
    guide = next(d for d in report.documents if d.id == "fi.ohje")
    assert "Teksti jossa" in guide.chunks[0].text and "[31m" not in guide.chunks[0].citation.label


def test_index_files_are_readable_by_other_users_whatever_the_umask(tmp_path: Path):
    make_corpus(tmp_path)
    old = os.umask(0o077)
    try:
        outcome = service.build(settings_for(tmp_path, chunk_token_count="estimate"), HashingEmbedder())
    finally:
        os.umask(old)
    generation = outcome.result.current_dir
    modes = {str(p.relative_to(generation)): p.stat().st_mode & 0o777 for p in generation.rglob("*")}
    expected = {name: (0o755 if (generation / name).is_dir() else 0o644) for name in modes}
    assert modes == expected
    assert (generation.stat().st_mode & 0o777) == 0o755
    assert modes["chunks.jsonl"] == modes["manifest.json"] == modes["vectors.faiss"] == 0o644
    root = generation.parent
    assert (root / "CURRENT").stat().st_mode & 0o777 == 0o644 and root.stat().st_mode & 0o777 == 0o755
