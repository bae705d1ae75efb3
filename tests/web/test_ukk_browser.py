"""The UKK in a real browser, the whole path of issue 15 in one test: a coach signs in, searches, picks two
passages, publishes an answer, finds it again from a differently worded question, and after a re-index that
amends a cited section sees it flagged. The server is `lahde serve` as a process (it reloads the new
generation by itself); the model is the real one; screenshots go to test-artifacts/ (ukk-*.png).
"""

from __future__ import annotations

import shutil
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from index.store import read_chunks
from lahde.service import build, reindex
from lahde.settings import Settings
from tests.paths import finlex_file
from tests.servers import lahde_serve
from tests.web import test_browser as browser_tests
from tests.web.test_browser import DESKTOP, PHONE, Pages, shot
from ukk import accounts
from ukk.store import UkkStore

browser = browser_tests.browser
pages = browser_tests.pages

pytestmark = pytest.mark.slow

BEFORE = ["asd20170531.xml", "asd20201218.xml"]
AMENDING = ["asd20220718.xml", "asd20220164.xml"]
PASSWORD = "oikein-hyva-salasana"
QUESTION = "Milloin opiskelija katsotaan eronneeksi, jos hän ei tule kouluun?"
OTHER_WORDING = "Koska opiskelijan katsotaan eronneen, jos hän ei osallistu opetukseen?"


class Site:
    def __init__(self, base: str, settings: Settings, s97: str, tmp: Path) -> None:
        self.base, self.settings, self.s97, self.tmp = base, settings, s97, tmp


@pytest.fixture(scope="module")
def ukk_site(tmp_path_factory, real_embedder, embedding_cache_path) -> Iterator[Site]:
    tmp = tmp_path_factory.mktemp("ukk-web")
    folder = tmp / "finlex" / "fi"
    folder.mkdir(parents=True)
    for name in BEFORE:
        shutil.copy(finlex_file(name), folder / name)
    (tmp / "sources.toml").write_text(f'[finlex]\ndir = "{folder.parent}"\ninclude = ["fi/*.xml"]\n', encoding="utf-8")
    settings = Settings(
        sources=tmp / "sources.toml",
        index_dir=tmp / "index",
        cache_path=embedding_cache_path,
        use_bank=False,
        in_force_on="2026-12-03",
    )
    build(settings, real_embedder)
    s97 = next(c.id for c in read_chunks(settings.index_dir) if c.citation.section == "97" and "@" not in c.id)
    store = UkkStore(settings.ukk_path())
    store.add_institution("esimerkkiopisto", "Esimerkkiopisto")
    accounts.add_user(store, "vilma", "Vilma Valmentaja", "valmentaja", "esimerkkiopisto", PASSWORD)
    store.close()
    env = {
        "LAHDE_SOURCES": str(settings.sources),
        "LAHDE_INDEX_DIR": str(settings.index_dir),
        "LAHDE_CACHE_PATH": str(embedding_cache_path),
        "LAHDE_USE_BANK": "false",
        "LAHDE_IN_FORCE_ON": "2026-12-03",
        "LAHDE_RELOAD_INTERVAL": "0.5",
    }
    with lahde_serve(env) as base:
        yield Site(base, settings, s97, tmp)


def sign_in(page, base: str, path: str = "/ukk") -> None:
    page.goto(base + path)
    assert "/kirjaudu" in page.url  # sent to the sign-in page first
    page.get_by_label("Käyttäjätunnus").fill("vilma")
    page.get_by_label("Salasana").fill(PASSWORD)
    page.get_by_role("button", name="Kirjaudu").click()
    page.wait_for_load_state()
    assert page.url == base + path


def test_a_coach_publishes_an_answer_finds_it_again_and_is_told_when_the_law_changes(
    pages: Pages, ukk_site: Site, real_embedder
):
    base = ukk_site.base
    page = pages.open()
    sign_in(page, base)
    assert "Kirjautuneena: Vilma Valmentaja (valmentaja)" in page.locator("header").inner_text()

    # Search, pick two passages: 97 § and the next result.
    page.goto(base + "/")
    page.fill("#q", QUESTION)
    page.press("#q", "Enter")
    page.wait_for_load_state()
    page.locator(f'input[name="c"][value="{ukk_site.s97}"]').check()
    other = page.locator(f'input[name="c"]:not([value="{ukk_site.s97}"])').first
    other_id = other.get_attribute("value")
    other.check()
    shot(page, "ukk-01-picked-desktop")
    page.get_by_role("button", name="Kirjoita vastaus valituista lähteistä").click()
    page.wait_for_load_state()

    # The editor: two sources, the question as asked; the answer cites both.
    assert page.locator('input[name="c"]').count() == 2
    assert page.get_by_label("Kysymys (sellaisena kuin se kysyttiin)").input_value() == QUESTION
    page.get_by_label("Aihealue").select_option("opiskeluoikeus")
    page.get_by_label("Vastaus omin sanoin").fill(
        "Opiskelija katsotaan eronneeksi, jos on ilmeistä, ettei hän aio osallistua opetukseen [1]. Katso myös [2]."
    )
    page.get_by_label("Avainsanat (pilkuin eroteltuina)").fill("eroaminen, poissaolot")
    shot(page, "ukk-02-editor-desktop")
    page.get_by_role("button", name="Tallenna ja julkaise").click()
    page.wait_for_load_state()
    assert "/ukk/" in page.url
    entry_url = page.url
    assert "julkaistu" in page.locator(".entry .meta").inner_text()
    links = page.locator("ol.citations a")
    assert links.count() == 2
    assert links.nth(0).get_attribute("href") == f"/osio/{ukk_site.s97}"
    assert links.nth(1).get_attribute("href") == f"/osio/{other_id}"
    shot(page, "ukk-03-published-desktop")

    # A differently worded question finds it above the passages.
    page.goto(base + "/")
    page.fill("#q", OTHER_WORDING)
    page.press("#q", "Enter")
    page.wait_for_load_state()
    earlier = page.locator("section.earlier")
    assert earlier.get_by_role("link", name=QUESTION).count() == 1
    shot(page, "ukk-04-earlier-desktop")

    # The law changes: 718/2022 rewrites 97 §, 164/2022 repeals 88 §. A re-index, and the server reloads.
    folder = ukk_site.tmp / "finlex" / "fi"
    for name in AMENDING:
        shutil.copy(finlex_file(name), folder / name)
    outcome = reindex(ukk_site.settings, real_embedder)
    assert [f["entry_id"] for f in outcome.ukk] == [int(entry_url.rsplit("/", 1)[1])]
    deadline = time.monotonic() + 30
    while httpx.get(f"{base}/readyz", timeout=5).json()["generation"] != outcome.result.generation:
        assert time.monotonic() < deadline, "the server did not load the new generation"
        time.sleep(0.3)

    page.goto(entry_url)
    warning = page.locator("section.warning")
    assert "Tarkista tämä vastaus: sen lähde on muuttunut." in warning.inner_text()
    assert "Lainattu teksti on muuttunut" in warning.inner_text()
    assert "Uusi muutossäädös koskee pykälää" in warning.inner_text()
    assert "tarkistettava" in page.locator(".entry .meta").inner_text()
    shot(page, "ukk-05-flagged-desktop")
    page.get_by_role("link", name="Tarkistettavat").click()
    page.wait_for_load_state()
    assert page.get_by_role("link", name=QUESTION).count() == 1


def test_no_serious_accessibility_violations_on_the_ukk_pages(pages: Pages, ukk_site: Site):
    from axe_playwright_python.sync_playwright import Axe

    axe = Axe()
    views = [
        "/ukk",
        "/ukk/tarkistettavat",
        f"/ukk/uusi?q=eroaminen&c={ukk_site.s97}",
        f"/?q={QUESTION}",
        "/ukk/aihe/muu",
    ]
    problems = []
    for viewport in (DESKTOP, PHONE):
        page = pages.open(viewport)
        page.goto(ukk_site.base + "/kirjaudu")
        for v in axe.run(page).response["violations"]:
            if v["impact"] in ("serious", "critical"):
                problems.append(f"{viewport['width']}px /kirjaudu: {v['id']}")
        sign_in(page, ukk_site.base)
        for path in views:
            page.goto(ukk_site.base + path)
            for v in axe.run(page).response["violations"]:
                if v["impact"] in ("serious", "critical"):
                    problems.append(f"{viewport['width']}px {path}: {v['id']} {[n['target'] for n in v['nodes']][:3]}")
        overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0, f"{viewport['width']}px: the editor scrolls sideways by {overflow}px"
        if viewport is PHONE:
            shot(page, "ukk-06-search-phone")
            page.goto(ukk_site.base + f"/ukk/uusi?c={ukk_site.s97}")
            shot(page, "ukk-07-editor-phone")
    assert problems == []
