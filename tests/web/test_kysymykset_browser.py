"""Kysy valmentajalta in a real browser, the whole loop of issue 18 in one test: a staff member asks, sees a
near-match, sends anyway; a coach claims it, answers from two cited passages and publishes to the UKK; the asker
sees the answer, the e-mail arrives at a real SMTP server on loopback, and the UKK entry carries no trace of the
asker. `lahde serve` runs as a process on the real four-statute index; screenshots: test-artifacts/kysy-*.png."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from index.generations import IndexRoot
from index.store import read_chunks
from tests.servers import free_port, lahde_serve_process, smtp_server
from tests.web import test_browser as browser_tests
from tests.web.test_browser import DESKTOP, PHONE, Pages, shot
from ukk import accounts, entries
from ukk.citations import cite
from ukk.store import UkkStore
from ukk.types import CitationInput

browser = browser_tests.browser
pages = browser_tests.pages

pytestmark = pytest.mark.slow

PASSWORD = "oikein-hyva-salasana"
QUESTION = "Saako koulutussopimuksella työpaikalla oleva opiskelija palkkaa? Opiskelija soitti numerosta 040 123 4567."
EARLIER = "Maksetaanko koulutussopimuksella olevalle opiskelijalle palkkaa työpaikalla?"


class Site:
    def __init__(self, base: str, sink, db: Path) -> None:
        self.base, self.sink, self.db = base, sink, db


@pytest.fixture(scope="module")
def kysy_site(tmp_path_factory, built_index: Path, embedding_cache_path: Path) -> Iterator[Site]:
    tmp = tmp_path_factory.mktemp("kysy")
    db = tmp / "ukk.sqlite"
    store = UkkStore(db)
    store.add_institution("esimerkkiopisto", "Esimerkkiopisto")
    store.add_institution("toinenopisto", "Toinen opisto")
    accounts.add_user(store, "liisa", "Liisa Lukija", "lukija", "esimerkkiopisto", PASSWORD, "liisa@koulu.example")
    coach = accounts.add_user(store, "vilma", "Vilma Valmentaja", "valmentaja", "esimerkkiopisto", PASSWORD)
    # An earlier answer the asker's check should find.
    chunks = read_chunks(built_index)
    s70 = next(c for c in chunks if c.citation.statute == "531/2017" and c.citation.section == "70")
    generation = IndexRoot(built_index).current_name() or ""
    earlier = entries.create(
        store,
        coach,
        entries.Draft("tyoelama", EARLIER, "Koulutussopimus ei ole työsopimus [1]."),
        [cite(s70, CitationInput(s70.id), 1, generation)],
    )
    entries.publish(store, coach, earlier.id, earlier.version)
    store.close()
    with smtp_server() as (smtp_port, sink):
        port = free_port()
        env = {
            "LAHDE_INDEX_DIR": str(built_index),
            "LAHDE_CACHE_PATH": str(embedding_cache_path),
            "LAHDE_UKK_DB": str(db),
            "LAHDE_SMTP_HOST": "127.0.0.1",
            "LAHDE_SMTP_PORT": str(smtp_port),
            "LAHDE_PUBLIC_URL": f"http://127.0.0.1:{port}",
        }
        with lahde_serve_process(env, port=port) as (base, _proc):
            yield Site(base, sink, db)


def sign_in(page, base: str, username: str, path: str) -> None:
    page.goto(base + path)
    page.get_by_label("Käyttäjätunnus").fill(username)
    page.get_by_label("Salasana").fill(PASSWORD)
    page.get_by_role("button", name="Kirjaudu").click()
    page.wait_for_load_state()
    assert page.url == base + path


def test_ask_answer_publish_and_the_asker_is_told(pages: Pages, kysy_site: Site):
    base = kysy_site.base
    staff = pages.open()
    sign_in(staff, base, "liisa", "/kysy")
    staff.get_by_label("Aihealue").select_option("tyoelama")
    staff.get_by_label("Kysymyksesi").fill(QUESTION)
    staff.get_by_role("button", name="Tarkista ennen lähettämistä").click()
    staff.wait_for_load_state()
    already = staff.locator("section.earlier")
    assert already.get_by_role("link", name=EARLIER).count() == 1  # the near-match
    assert "puhelinnumero" in staff.locator(".notice.warning").inner_text()
    shot(staff, "kysy-01-check-desktop")
    staff.get_by_role("button", name="Lähetä kysymys").click()  # sent anyway, the phone number masked
    staff.wait_for_load_state()
    qid = int(re.search(r"/kysymykset/(\d+)$", staff.url).group(1))
    assert "[puhelinnumero]" in staff.locator("blockquote.question-text").inner_text()
    assert "040 123 4567" not in staff.content()

    coach = pages.open()
    sign_in(coach, base, "vilma", "/kysymykset")
    coach.get_by_role("link", name=re.compile(f"#{qid} ")).click()
    coach.wait_for_load_state()
    coach.get_by_role("button", name="Ota työn alle").click()
    coach.wait_for_load_state()
    assert "työn alla" in coach.locator(".meta").first.inner_text()
    picks = coach.locator('section[aria-labelledby="lahde-loysi"] input[name="c"]')
    picks.nth(0).check()
    picks.nth(1).check()
    shot(coach, "kysy-02-question-coach-desktop")
    coach.get_by_role("button", name="Kirjoita vastaus valituista lähteistä").click()
    coach.wait_for_load_state()
    assert coach.locator('input[name="c"]').count() == 2
    assert "[puhelinnumero]" in coach.get_by_label("Kysymys (sellaisena kuin se kysyttiin)").input_value()
    coach.get_by_label("Kysymys (sellaisena kuin se kysyttiin)").fill(
        "Saako koulutussopimuksella oleva opiskelija palkkaa?"
    )
    coach.get_by_label("Vastaus omin sanoin").fill(
        "Koulutussopimuksella opiskelija ei ole työsuhteessa [1]; katso myös [2]."
    )
    coach.get_by_label("Jaa verkostolle (kaikki Lähteen käyttäjät näkevät)").check()
    coach.get_by_role("button", name="Tallenna luonnos").click()
    coach.wait_for_load_state()
    assert f"/kysymykset/{qid}?vastaus=" in coach.url
    coach.get_by_role("button", name="Lähetä vastaus kysyjälle").click()
    coach.wait_for_load_state()
    assert "vastattu" in coach.locator(".meta").first.inner_text()
    coach.get_by_role("button", name="Julkaise UKK:hon (ilman kysyjän tietoja)").click()
    coach.wait_for_load_state()
    entry_link = coach.locator('section.answer a[href^="/ukk/"]')
    entry_url = entry_link.get_attribute("href")
    shot(coach, "kysy-03-answered-coach-desktop")

    staff.goto(base + "/kysymykset/omat")
    staff.get_by_role("link", name=re.compile(f"#{qid} ")).click()
    staff.wait_for_load_state()
    assert staff.locator("section.answer ol.citations li").count() == 2
    assert "ei ole työsuhteessa" in staff.locator("section.answer").inner_text()
    shot(staff, "kysy-04-answer-asker-desktop")

    (message,) = kysy_site.sink.messages
    assert message["To"] == "liisa@koulu.example"
    assert f"{base}/kysymykset/{qid}" in message.get_content()

    # The published entry: nothing of the asker (name, user name, e-mail, phone number).
    page = coach.context.new_page()
    page.goto(base + entry_url)
    text = page.content()
    assert "julkaistu" in page.locator(".entry .meta").inner_text()
    for trace in ("liisa", "Liisa", "040 123 4567", "koulu.example"):
        assert trace not in text
    api = coach.context.request.get(f"{base}/api{entry_url}")
    assert not any(t in json.dumps(api.json(), ensure_ascii=False) for t in ("liisa", "Liisa", "040 123"))


def test_no_serious_accessibility_violations_on_the_question_pages(pages: Pages, kysy_site: Site):
    from axe_playwright_python.sync_playwright import Axe

    axe = Axe()
    problems = []
    for viewport in (DESKTOP, PHONE):
        for username, views in (
            ("liisa", ["/kysy", "/kysymykset/omat", "/kysymykset/1"]),
            ("vilma", ["/kysymykset", "/kysymykset/1", "/kysymykset/tilastot"]),
        ):
            page = pages.open(viewport)
            sign_in(page, kysy_site.base, username, views[0])
            for path in views:
                page.goto(kysy_site.base + path)
                for v in axe.run(page).response["violations"]:
                    if v["impact"] in ("serious", "critical"):
                        problems.append(
                            f"{viewport['width']}px {username} {path}: {v['id']} {[n['target'] for n in v['nodes']][:3]}"
                        )
                overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
                assert overflow <= 0, f"{viewport['width']}px {path} scrolls sideways by {overflow}px"
            if viewport is PHONE and username == "vilma":
                page.goto(kysy_site.base + "/kysymykset/tilastot")
                shot(page, "kysy-05-figures-phone")
    assert problems == []
