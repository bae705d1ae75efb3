"""The UKK out (Markdown, HTML, JSON) and in (Markdown with citations written in the text)."""

from __future__ import annotations

import json

from tests.samples import ANSWER_CHUNKS
from ukk import entries, exchange
from ukk.citations import cite
from ukk.types import CitationInput


def _published(store, coach, question: str, answer: str):
    c = cite(ANSWER_CHUNKS[1], CitationInput(ANSWER_CHUNKS[1].id, "Oppisopimus on määräaikainen työsopimus."), 1, "g")
    e = entries.create(store, coach, entries.Draft("tyoelama", question, answer), [c])
    return entries.publish(store, coach, e.id, e.version)


def test_export_by_topic_with_citations_and_escaping(store, users):
    coach = users["valmentaja"]
    _published(store, coach, "Onko oppisopimus <b>työsopimus</b>?", "On [1].")
    draft = entries.create(store, coach, entries.Draft("hoks", "Luonnos?", "Ei vielä."), [])
    listed = entries.listing(store, coach)
    md = exchange.to_markdown(listed, "UKK — Esimerkkiopisto")
    assert md == (
        "# UKK — Esimerkkiopisto\n\n## Työelämässä oppiminen\n\n### Onko oppisopimus <b>työsopimus</b>?\n\n"
        "On [1].\n\nLähteet:\n1. Testilaki (1/2000) 2 §: ”Oppisopimus on määräaikainen työsopimus.”\n"
    )
    html = exchange.to_html(listed, "UKK")
    assert "<h3>Onko oppisopimus &lt;b&gt;työsopimus&lt;/b&gt;?</h3>" in html and "Luonnos" not in html
    assert "<li>Testilaki (1/2000) 2 §: <q>Oppisopimus on määräaikainen työsopimus.</q></li>" in html
    data = json.loads(exchange.to_json(listed))
    assert {d["id"] for d in data} == {e.id for e in listed} and draft.id in {d["id"] for d in data}


def test_import_links_written_citations_and_reports_the_rest(store, users):
    text = (
        "# Vanha UKK\n\n## Työelämässä oppiminen\n\n### Saako koulutussopimuksella palkkaa?\n\n"
        "Ei saa, ks. 1/2000 1 § ja 1/2000 2 §. Myös 1/2000 1 § uudelleen.\n\n"
        "## Tuntematon aihe\n\n### Mikä tämä on?\n\nKs. 9/2099 4 §.\n"
    )
    result = exchange.import_markdown(store, users["valmentaja"], text, exchange.passage_finder(ANSWER_CHUNKS), "g")
    assert result.unlinked == ("Mikä tämä on?: 9/2099 4 §",)
    first, second = (entries.get(store, users["valmentaja"], i) for i in result.created)
    assert (first.topic, first.status) == ("tyoelama", "luonnos")
    assert first.answer == "Ei saa, ks. 1/2000 1 § [1] ja 1/2000 2 § [2]. Myös 1/2000 1 § [1] uudelleen."
    assert [c.label for c in first.citations] == ["Testilaki (1/2000) 1 §", "Testilaki (1/2000) 2 §"]
    assert (second.topic, second.citations) == ("muu", ())
