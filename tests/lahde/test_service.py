"""The wiring's re-index: nothing changed means nothing read and no model loaded; any input change is seen."""

from __future__ import annotations

from pathlib import Path

import pytest

from embedding.embedders import LazyEmbedder
from lahde import service
from tests.fakes import HashingEmbedder
from tests.temp_corpus import OLD_18, make_corpus, settings_for

MODEL = "test/hashing-1024"


class _Factory:
    """Makes the fake embedder and counts how often it was asked to."""

    def __init__(self) -> None:
        self.made = 0
        self.last: HashingEmbedder | None = None

    def __call__(self) -> HashingEmbedder:
        self.made += 1
        self.last = HashingEmbedder(dim=1024, model_id=MODEL)
        return self.last


def _lazy(factory: _Factory) -> LazyEmbedder:
    return LazyEmbedder(factory, MODEL)


def test_no_change_reindex_reads_nothing_and_loads_no_model(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    make_corpus(tmp_path)
    settings = settings_for(tmp_path, chunk_token_count="estimate")
    factory = _Factory()
    built = service.build(settings, _lazy(factory))
    assert (factory.made, built.result.generation, built.documents) == (1, "gen-000001", 3)

    def no_ingest(*_args: object, **_kwargs: object) -> None:
        raise AssertionError("a no-change re-index must not read the sources")

    monkeypatch.setattr(service, "ingest", no_ingest)
    again = _lazy(factory)
    outcome = service.reindex(settings, again)
    assert not outcome.result.switched and outcome.result.generation == "gen-000001"
    assert factory.made == 1 and not again.loaded  # no model was made for it
    assert outcome.ingest is None and outcome.summary() == "ok 3, skipped 0, failed 0"
    assert outcome.result.report.chunks == {"added": 0, "changed": 0, "unchanged": 33, "removed": 0}


def test_an_edited_source_file_is_read_and_only_its_change_embedded(tmp_path: Path):
    make_corpus(tmp_path)
    settings = settings_for(tmp_path, chunk_token_count="estimate")
    factory = _Factory()
    service.build(settings, _lazy(factory))
    xml = tmp_path / "finlex" / "fi" / "asd20201215.xml"
    xml.write_text(xml.read_text(encoding="utf-8").replace(OLD_18, OLD_18 + " muutettu"), encoding="utf-8")
    outcome = service.reindex(settings, _lazy(factory))
    assert outcome.result.switched and outcome.result.generation == "gen-000002"
    assert outcome.ingest is not None and factory.last is not None and factory.last.passages_embedded == 1
    assert [c.id for d in outcome.result.report.documents_changed for c in d.changed] == ["fi.1215-2020.s18"]


def test_other_chunking_settings_are_a_change_too(tmp_path: Path):
    make_corpus(tmp_path)
    factory = _Factory()
    service.build(settings_for(tmp_path, chunk_token_count="estimate"), _lazy(factory))
    outcome = service.reindex(settings_for(tmp_path, chunk_token_count="estimate", chunk_max_tokens=64), _lazy(factory))
    assert outcome.ingest is not None  # read again: a smaller chunk size splits sections differently
    assert outcome.result.switched and outcome.result.report.chunks["added"] > 0


def test_a_failed_source_is_still_reported_when_nothing_changed(tmp_path: Path):
    make_corpus(tmp_path)
    broken = tmp_path / "finlex" / "fi" / "asd20990001.xml"
    broken.write_text("<broken", encoding="utf-8")
    settings = settings_for(tmp_path, chunk_token_count="estimate")
    factory = _Factory()
    first = service.build(settings, _lazy(factory))
    again = service.reindex(settings, _lazy(factory))
    assert again.ingest is None and not again.result.switched
    assert (
        [(e.path, e.reason) for e in again.errors]
        == [(e.path, e.reason) for e in first.errors]
        == [(str(broken), first.errors[0].reason)]
    )
    assert "malformed XML" in first.errors[0].reason and again.summary() == "ok 3, skipped 0, failed 1"
