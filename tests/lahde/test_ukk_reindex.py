"""The whole path with the real model: a published answer cites 531/2017 97 § and 88 §; a re-index adds the
amending acts 718/2022 (a new wording of 97 §) and 164/2022 (repeals 88 §); the answer is flagged with why."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from index.generations import IndexRoot
from index.store import read_chunks
from lahde.service import build, reindex
from lahde.settings import Settings
from tests.paths import finlex_file
from ukk import accounts, entries, review
from ukk.citations import GenerationView, cite
from ukk.errors import InvalidInput
from ukk.store import UkkStore
from ukk.types import CitationInput

BEFORE = ["asd20170531.xml", "asd20201218.xml"]
AMENDING = ["asd20220718.xml", "asd20220164.xml"]
S97_1218 = "Opiskelija katsotaan eronneeksi, jos on ilmeistä, että hänen tarkoituksenaan ei ole osallistua"


def _settings(tmp: Path, cache: Path) -> Settings:
    folder = tmp / "finlex" / "fi"
    folder.mkdir(parents=True)
    for name in BEFORE:
        shutil.copy(finlex_file(name), folder / name)
    (tmp / "sources.toml").write_text(f'[finlex]\ndir = "{folder.parent}"\ninclude = ["fi/*.xml"]\n', encoding="utf-8")
    return Settings(
        sources=tmp / "sources.toml",
        index_dir=tmp / "index",
        cache_path=cache,
        use_bank=False,
        in_force_on="2026-12-03",
        ukk_db=tmp / "ukk.sqlite",
    )


def _passage(chunks, section: str):
    return next(
        c for c in chunks if c.citation.section == section and c.citation.statute == "531/2017" and "@" not in c.id
    )


@pytest.mark.slow
def test_an_amending_act_flags_the_answers_that_cite_it(tmp_path: Path, real_embedder, embedding_cache_path):
    settings = _settings(tmp_path, embedding_cache_path)
    first = build(settings, real_embedder)
    assert first.ukk == []  # no UKK yet: nothing to check
    chunks = read_chunks(settings.index_dir)
    s97, s88 = _passage(chunks, "97"), _passage(chunks, "88")
    assert s97.text.startswith(S97_1218)
    store = UkkStore(settings.ukk_path())
    store.add_institution("esimerkkiopisto", "Esimerkkiopisto")
    coach = accounts.add_user(store, "valmentaja", "V", "valmentaja", "esimerkkiopisto", "oikein-hyva-salasana")
    generation = first.result.generation
    citations = [
        cite(s97, CitationInput(s97.id, S97_1218), 1, generation),
        cite(s88, CitationInput(s88.id), 2, generation),
    ]
    assert citations[0].acts == ("1218/2020",)
    draft = entries.Draft("opiskeluoikeus", "Milloin opiskelija katsotaan eronneeksi?", "Kun [1]; ks. myös [2].")
    entry = entries.create(store, coach, draft, citations)
    entry = entries.publish(store, coach, entry.id, entry.version)

    # The same sources again: nothing is flagged.
    assert reindex(settings, real_embedder, full=True).ukk == []
    assert entries.get(store, coach, entry.id).status == "julkaistu"

    folder = tmp_path / "finlex" / "fi"
    for name in AMENDING:
        shutil.copy(finlex_file(name), folder / name)
    outcome = reindex(settings, real_embedder)
    assert outcome.result.switched
    (finding,) = outcome.ukk
    assert finding["entry_id"] == entry.id
    reasons = [(r["n"], r["reason"]) for r in finding["reasons"]]
    assert reasons == [(1, "text_changed"), (1, "newer_act"), (2, "repealed"), (2, "newer_act")]
    changed = finding["reasons"][0]
    assert f"-{S97_1218}" in changed["diff"].split("\n")[2] or S97_1218 in changed["diff"]
    assert "718/2022" in finding["reasons"][1]["detail"] and "164/2022" in finding["reasons"][2]["detail"]
    flagged = entries.get(store, coach, entry.id)
    assert flagged.status == "tarkistettava" and flagged.review_reasons[0].generation == outcome.result.generation
    assert [r["reason"] for r in review.findings_of(store, outcome.result.generation)] == [
        "text_changed",
        "newer_act",
        "repealed",
        "newer_act",
    ]
    # Confirming without re-citing is refused: the quoted wording is no longer the law.
    view = GenerationView.of(outcome.result.generation, read_chunks(settings.index_dir))
    with pytest.raises(InvalidInput):
        review.confirm(store, coach, entry.id, flagged.version, view)
    # Rolling the index back touches nothing users wrote.
    assert IndexRoot(settings.index_dir).rollback() < outcome.result.generation
    assert entries.get(store, coach, entry.id) == flagged
    store.close()
