"""UKK entries: who sees and writes what, the status path, revisions and stale edits (409), on real SQLite."""

from __future__ import annotations

import pytest

from tests.samples import ANSWER_CHUNKS
from ukk import entries
from ukk.citations import cite
from ukk.errors import InvalidInput, NotAllowed, NotFound, StaleVersion
from ukk.types import CitationInput

S1, S2, S3 = ANSWER_CHUNKS[0], ANSWER_CHUNKS[1], ANSWER_CHUNKS[2]
DRAFT = entries.Draft(
    "tyoelama",
    "Saako opiskelija palkkaa koulutussopimuksella?",
    "Ei saa [1]; oppisopimuksessa saa [2].",
    ("palkka", "koulutussopimus"),
    shared=False,
)


def _citations():
    return [
        cite(
            S1,
            CitationInput(S1.id, "Opiskelija ei saa palkkaa koulutussopimuksen aikana työpaikalla."),
            1,
            "gen-000001",
        ),
        cite(S2, CitationInput(S2.id), 2, "gen-000001"),
    ]


def _published(store, users, shared=False):
    draft = entries.Draft(**{**DRAFT.__dict__, "shared": shared})
    e = entries.create(store, users["valmentaja"], draft, _citations())
    return entries.publish(store, users["valmentaja"], e.id, e.version)


def test_a_citation_keeps_label_quote_hash_generation():
    c = _citations()[0]
    assert (c.n, c.chunk_id, c.label, c.generation, c.lang) == (
        1,
        "fi.1-2000.s1",
        "Testilaki (1/2000) 1 §",
        "gen-000001",
        "fi",
    )
    assert c.quote == "Opiskelija ei saa palkkaa koulutussopimuksen aikana työpaikalla."
    assert len(c.quote_hash) == 64
    whole = _citations()[1]
    assert whole.quote == S2.text.replace("\n\n", " ")


def test_a_quote_not_in_the_passage_is_refused():
    with pytest.raises(InvalidInput) as caught:
        cite(S1, CitationInput(S1.id, "Opiskelija saa aina palkkaa."), 1, "gen-000001")
    assert caught.value.field == "citations.0.quote"


def test_draft_publish_verify_archive_with_revisions(store, users):
    coach = users["valmentaja"]
    e = entries.create(store, coach, DRAFT, _citations())
    assert (e.status, e.version, e.created_by) == ("luonnos", 1, "valmentaja")
    e = entries.publish(store, coach, e.id, 1)
    assert (e.status, e.version, e.verified_by) == ("julkaistu", 2, "valmentaja")
    e = entries.verify(store, users["toinen"], e.id, 2, "tarkistettu lakia vasten")
    assert (e.status, e.version, e.verified_by) == ("julkaistu", 3, "toinen")
    e = entries.archive(store, coach, e.id, 3)
    assert e.status == "arkistoitu"
    history = entries.revisions(store, coach, e.id)
    assert [(r.version, r.user, r.action) for r in history] == [
        (1, "valmentaja", "create"),
        (2, "valmentaja", "publish"),
        (3, "toinen", "verify"),
        (4, "valmentaja", "archive"),
    ]
    assert history[2].note == "tarkistettu lakia vasten"
    assert history[0].snapshot["status"] == "luonnos"


def test_two_coaches_never_overwrite_each_other(store, users):
    e = entries.create(store, users["valmentaja"], DRAFT, _citations())
    first = entries.update(
        store,
        users["valmentaja"],
        e.id,
        e.version,
        entries.Draft(**{**DRAFT.__dict__, "answer": "Ei [1]. Kyllä [2]."}),
        _citations(),
    )
    assert first.version == 2
    with pytest.raises(StaleVersion) as caught:
        entries.update(store, users["toinen"], e.id, e.version, DRAFT, _citations())  # read at version 1
    assert "version 2" in str(caught.value)
    assert entries.get(store, users["toinen"], e.id).answer == "Ei [1]. Kyllä [2]."


def test_publishing_needs_every_citation_marked(store, users):
    draft = entries.Draft(**{**DRAFT.__dict__, "answer": "Ei saa [1]."})
    e = entries.create(store, users["valmentaja"], draft, _citations())
    with pytest.raises(InvalidInput) as caught:
        entries.publish(store, users["valmentaja"], e.id, e.version)
    assert caught.value.field == "answer" and "[2]" in str(caught.value)
    with pytest.raises(InvalidInput):
        entries.create(
            store, users["valmentaja"], entries.Draft(**{**DRAFT.__dict__, "answer": "Katso [3]."}), _citations()
        )
    with pytest.raises(InvalidInput) as caught:
        entries.create(store, users["valmentaja"], entries.Draft(**{**DRAFT.__dict__, "topic": "palkat"}), [])
    assert caught.value.field == "topic"


def test_who_sees_what(store, users):
    own = _published(store, users)
    shared = _published(store, users, shared=True)
    draft = entries.create(store, users["valmentaja"], DRAFT, _citations())
    reader_sees = [e.id for e in entries.listing(store, users["lukija"])]
    assert sorted(reader_sees) == sorted([own.id, shared.id])  # not the draft
    assert sorted(e.id for e in entries.listing(store, users["valmentaja"])) == sorted([own.id, shared.id, draft.id])
    # Another institution sees only what is shared with the network.
    assert [e.id for e in entries.listing(store, users["vieraslukija"])] == [shared.id]
    with pytest.raises(NotFound):
        entries.get(store, users["vieraslukija"], own.id)
    with pytest.raises(NotFound):
        entries.get(store, users["lukija"], draft.id)
    assert entries.listing(store, None) == []


def test_who_writes_what(store, users):
    shared = _published(store, users, shared=True)
    with pytest.raises(NotAllowed):
        entries.create(store, users["lukija"], DRAFT, _citations())
    with pytest.raises(NotAllowed):  # a coach of another institution reads a shared entry but may not change it
        entries.archive(store, users["vieras"], shared.id, shared.version)
    assert entries.archive(store, users["admin"], shared.id, shared.version).status == "arkistoitu"


def test_due_after_the_verification_interval(store, users):
    import datetime as dt

    e = _published(store, users)
    today = dt.date.fromisoformat(e.verified_at[:10])
    assert entries.due(store, 365, today) == []
    assert [d.id for d in entries.due(store, 365, today + dt.timedelta(days=366))] == [e.id]
