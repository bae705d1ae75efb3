"""After a re-index: published entries checked against the new generation, flagged with their reasons."""

from __future__ import annotations

import dataclasses

import pytest

from ingest.models import Amendment, Chunk
from tests.samples import ANSWER_CHUNKS
from ukk import entries, review
from ukk.citations import GenerationView, cite
from ukk.errors import InvalidInput
from ukk.types import CitationInput

S1, S2, S3 = ANSWER_CHUNKS[0], ANSWER_CHUNKS[1], ANSWER_CHUNKS[2]
QUOTE = "Opiskelija ei saa palkkaa koulutussopimuksen aikana työpaikalla."


def _entry(store, users, *chunks: Chunk, quote: str | None = QUOTE):
    cites = [cite(c, CitationInput(c.id, quote if i == 0 else None), i + 1, "gen-000001") for i, c in enumerate(chunks)]
    answer = " ".join(f"Katso [{i + 1}]." for i in range(len(cites)))
    e = entries.create(
        store, users["valmentaja"], entries.Draft("tyoelama", "Palkka koulutussopimuksella?", answer), cites
    )
    return entries.publish(store, users["valmentaja"], e.id, e.version)


def _with(chunk: Chunk, **changes) -> Chunk:
    citation = dataclasses.replace(chunk.citation, **{k: v for k, v in changes.items() if k != "text"})
    return Chunk(id=chunk.id, text=changes.get("text", chunk.text), citation=citation)


def test_an_unchanged_generation_flags_nothing(store, users):
    _entry(store, users, S1, S2)
    assert review.review(store, GenerationView.of("gen-000002", ANSWER_CHUNKS)) == []
    assert [e.status for e in entries.listing(store, users["valmentaja"])] == ["julkaistu"]


def test_changed_quote_gone_section_and_newer_act(store, users):
    changed = _entry(store, users, S1)
    gone = _entry(store, users, S3, quote=None)
    touched = _entry(store, users, S2, quote=None)
    new_s1 = _with(S1, text="Koulutussopimus tehdään kirjallisesti. Opiskelija saa palkkaa, jos niin sovitaan.")
    amended_s2 = _with(S2, amendments=(Amendment("5/2024", "2024-08-01", "amend"),))
    view = GenerationView.of("gen-000002", [new_s1, amended_s2, ANSWER_CHUNKS[3]])
    findings = {f.entry_id: f for f in review.review(store, view)}
    assert sorted(findings) == sorted([changed.id, gone.id, touched.id])
    (r,) = findings[changed.id].reasons
    assert (r.reason, r.n, r.generation) == ("text_changed", 1, "gen-000002")
    assert "-Opiskelija ei saa palkkaa koulutussopimuksen aikana työpaikalla." in r.diff
    assert "+Opiskelija saa palkkaa, jos niin sovitaan." in r.diff
    assert [x.reason for x in findings[gone.id].reasons] == ["section_gone"]
    (t,) = findings[touched.id].reasons
    assert (t.reason, t.detail) == ("newer_act", "Testilaki (1/2000) 2 §: now also touched by 5/2024")
    stored = entries.get(store, users["lukija"], touched.id)
    assert stored.status == "tarkistettava" and stored.review_reasons == (t,)
    assert [x["reason"] for x in review.findings_of(store, "gen-000002")] == [
        "text_changed",
        "section_gone",
        "newer_act",
    ]
    # The same generation checked again adds nothing.
    assert review.review(store, view) == []
    assert [x.reason for x in entries.get(store, users["lukija"], touched.id).review_reasons] == ["newer_act"]


def test_a_repealed_section(store, users):
    e = _entry(store, users, S2, quote=None)
    stub = _with(S2, text="2 § on kumottu L:lla 9/2025.", repealed_by="9/2025")
    (finding,) = review.review(store, GenerationView.of("gen-000002", [stub]))
    assert finding.entry_id == e.id
    assert [r.reason for r in finding.reasons] == ["repealed", "newer_act"]


def test_confirming_refreshes_the_acts_or_asks_to_re_cite(store, users):
    touched = _entry(store, users, S2, quote=None)
    changed = _entry(store, users, S1)
    amended_s2 = _with(S2, amendments=(Amendment("5/2024", "2024-08-01", "amend"),))
    new_s1 = _with(S1, text="Opiskelija saa palkkaa, jos niin sovitaan.")
    view = GenerationView.of("gen-000002", [new_s1, amended_s2])
    review.review(store, view)
    current = entries.get(store, users["valmentaja"], touched.id)
    confirmed = review.confirm(store, users["toinen"], touched.id, current.version, view, "muutos ei koske tätä")
    assert (confirmed.status, confirmed.verified_by, confirmed.review_reasons) == ("julkaistu", "toinen", ())
    assert confirmed.citations[0].acts == ("5/2024",) and confirmed.citations[0].generation == "gen-000002"
    assert review.review(store, view) == []  # confirmed against this generation: not flagged again
    current = entries.get(store, users["valmentaja"], changed.id)
    with pytest.raises(InvalidInput) as caught:
        review.confirm(store, users["toinen"], changed.id, current.version, view)
    assert "cite the passage again" in str(caught.value)


def test_entries_come_due(store, users):
    e = _entry(store, users, S2, quote=None)
    store.write(lambda c: c.execute("UPDATE entry SET verified_at = '2020-01-01T00:00:00+00:00' WHERE id = ?", (e.id,)))
    (finding,) = review.review(store, GenerationView.of("gen-000002", ANSWER_CHUNKS), interval_days=365)
    assert [(r.reason, r.n) for r in finding.reasons] == [("due", 0)]
