"""The sample UKK (corpus/ukk) loads against the real statutes: every cite's quote is in its passage in force."""

from __future__ import annotations

from collections import Counter

import pytest

from lahde.service import ingest
from lahde.settings import Settings
from tests.paths import REPO
from ukk import accounts, entries
from ukk.samples import load_samples, read_samples
from ukk.types import TOPICS

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def statute_chunks():
    report = ingest(Settings(sources=REPO / "corpus" / "statutes.toml", in_force_on="2026-12-03"))
    assert not report.errors
    return [c for d in report.documents for c in d.chunks]


def test_every_sample_loads_and_cites_its_quote(store, statute_chunks):
    samples = read_samples(REPO / "corpus" / "ukk")
    assert len(samples) == 32
    assert Counter(s.draft.topic for s in samples).keys() <= set(TOPICS)
    coach = accounts.get_user(store, "valmentaja")
    made = load_samples(store, coach, samples, statute_chunks, "gen-000001")
    assert len(made) == 32
    loaded = entries.listing(store, coach)
    assert {e.status for e in loaded} == {"julkaistu"}
    by_id = {c.id: c for c in statute_chunks}
    for e in loaded:
        for c in e.citations:
            assert c.quote in " ".join(by_id[c.chunk_id].text.split()), (e.question, c.label)
    assert sum(1 for s in samples if s.draft.shared) == 24
    assert {c.lang for s in samples for c in s.cites} == {"fi", "sv"}
