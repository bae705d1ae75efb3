"""The question channel in the store: asking, the queue, claiming, hand-over, answering, reopening, retention, audit."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.samples import ANSWER_CHUNKS
from ukk import entries, privacy, questions
from ukk.citations import cite
from ukk.errors import InvalidInput, NotAllowed, NotFound, StaleVersion
from ukk.types import CitationInput

TEXT = "Opiskelijamme Matti (131052-308T, puh. 040 123 4567) on koulutussopimuksella. Saako hän palkkaa?"


def _entry(store, coach):
    citation = cite(ANSWER_CHUNKS[0], CitationInput(ANSWER_CHUNKS[0].id), 1, "gen-000001")
    return entries.create(store, coach, entries.Draft("tyoelama", "Saako palkkaa?", "Ei saa [1]."), [citation])


def test_personal_data_is_found_and_masked():
    kinds = [f.kind for f in privacy.find(TEXT + " Sähköposti matti@example.fi.")]
    assert kinds == ["hetu", "phone", "email"]
    assert privacy.mask(TEXT) == (
        "Opiskelijamme Matti ([henkilötunnus], puh. [puhelinnumero]) on koulutussopimuksella. Saako hän palkkaa?"
    )
    assert privacy.find("Laki 531/2017 45 § ja 12 opintopistettä vuonna 2024, 131052-308U") == []  # bad check mark


def test_the_whole_loop_in_the_store(store, users):
    asker, coach, other = users["lukija"], users["valmentaja"], users["toinen"]
    q = questions.ask(store, asker, "tyoelama", TEXT, mask_personal=True)
    assert (q.status, q.asker, q.institution_id, q.version) == ("uusi", "lukija", "esimerkkiopisto", 1)
    assert "131052-308T" not in q.text
    assert [x.id for x in questions.queue(store, coach)] == [q.id]
    q = questions.claim(store, coach, q.id, q.version)
    assert (q.status, q.claimed_by) == ("tyon_alla", "valmentaja")
    with pytest.raises(InvalidInput):  # the other coach sees it is taken
        questions.claim(store, other, q.id, q.version)
    with pytest.raises(StaleVersion):
        questions.claim(store, other, q.id, 1)
    q = questions.hand_over(store, coach, q.id, q.version, to_user="toinen")
    assert q.claimed_by == "toinen"
    entry = _entry(store, other)
    q = questions.answer(store, other, q.id, q.version, entry.id)
    assert (q.status, q.entry_id, q.from_existing) == ("vastattu", entry.id, False)
    # The asker sees the answer although the entry is still the coach's draft.
    assert questions.answer_entry(store, asker, q).answer == "Ei saa [1]."
    q = questions.reopen(store, asker, q.id, q.version, "ei vastannut kysymykseeni")
    assert (q.status, q.claimed_by) == ("tyon_alla", "toinen")
    q = questions.answer(store, other, q.id, q.version, entry.id)
    q = questions.close(store, asker, q.id, q.version)
    assert q.status == "suljettu"
    steps = [(e.user, e.action) for e in questions.events(store, asker, q.id)]
    assert steps == [
        ("lukija", "ask"),
        ("valmentaja", "claim"),
        ("valmentaja", "hand_over"),
        ("toinen", "answer"),
        ("lukija", "reopen"),
        ("toinen", "answer"),
        ("lukija", "close"),
    ]
    questions.get(store, other, q.id)
    log = questions.audit_log(store, f"question:{q.id}")
    assert (log[0]["action"], log[0]["user"]) == ("read", "toinen")  # a coach's read is logged; the asker's not
    assert [r["action"] for r in reversed(log)] == [
        "create",
        "claim",
        "hand_over",
        "answer",
        "reopen",
        "answer",
        "close",
        "read",
    ]


def test_who_sees_a_question(store, users):
    q = questions.ask(store, users["lukija"], "hoks", "Kuka hyväksyy HOKSin?")
    assert questions.get(store, users["valmentaja"], q.id).id == q.id
    assert questions.get(store, users["admin"], q.id).id == q.id  # the institution's admin
    for outsider in ("vieras", "vieraslukija"):
        with pytest.raises(NotFound):
            questions.get(store, users[outsider], q.id)
    other_staff = users["vieraslukija"]
    with pytest.raises(NotFound):
        questions.withdraw(store, other_staff, q.id, q.version)
    with pytest.raises(NotAllowed):
        questions.queue(store, users["lukija"])
    assert questions.audit_log(store, f"question:{q.id}")[0]["action"] in ("read", "create")


def test_hand_over_to_the_network_and_withdraw(store, users):
    q = questions.ask(store, users["lukija"], "naytot", "Kuka arvioi näytön?")
    q = questions.hand_over(store, users["valmentaja"], q.id, q.version, to_institution="toinenopisto")
    assert (q.institution_id, q.status, q.claimed_by) == ("toinenopisto", "uusi", None)
    assert [x.id for x in questions.queue(store, users["vieras"])] == [q.id]
    assert questions.queue(store, users["valmentaja"]) == []
    assert questions.get(store, users["valmentaja"], q.id).id == q.id  # the asker's own coaches still see it
    q = questions.withdraw(store, users["lukija"], q.id, q.version)
    assert q.status == "peruttu" and questions.queue(store, users["vieras"]) == []


def test_figures_and_retention(store, users):
    coach = users["valmentaja"]
    published = entries.publish(store, coach, _entry(store, coach).id, 1)
    old = questions.ask(store, users["lukija"], "tyoelama", "Saako palkkaa koulutussopimuksella?")
    questions.ask(store, users["lukija"], "hoks", "Kuka laatii HOKSin?")
    old = questions.answer(store, coach, old.id, old.version, published.id)
    assert old.from_existing is False  # published in the same second it was asked: not earlier
    store.write(lambda c: c.execute("UPDATE question SET from_existing = 1 WHERE id = ?", (old.id,)))
    figures = questions.stats(store, "esimerkkiopisto")
    assert figures["open_by_topic"]["hoks"] == 1 and figures["open_by_topic"]["tyoelama"] == 0
    assert figures["answered"] == 1 and figures["share_answered_from_existing"] == 1.0
    assert figures["median_hours_to_first_answer"] is not None
    old = questions.close(store, coach, old.id, questions.get(store, coach, old.id).version)
    later = dt.datetime.now(dt.UTC) + dt.timedelta(days=400)
    assert questions.apply_retention(store, 365) == 0
    assert questions.apply_retention(store, 365, now=later) == 1
    gone = questions.get(store, coach, old.id)
    assert (gone.asker, gone.text, gone.anonymised) == (None, "", True)
    assert questions.stats(store, "esimerkkiopisto")["answered"] == 1  # the figures stay
