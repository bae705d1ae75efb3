"""The wording in force in a real browser: the section page's period, provenance, date picker and copy.

The index is 531/2017 with four amending acts, built by `lahde build`'s path with the real model;
screenshots go to test-artifacts/ (in-force-*.png).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from lahde.service import build
from retrieval.search import Searcher
from search_api.app import create_app
from tests.temp_corpus import in_force_settings
from tests.web import test_browser as browser_tests
from tests.web.test_browser import PHONE, Pages, _serve, plain, serious_violations, shot

# The real chromium and the page factory of the main browser tests (fixtures shared by name).
browser = browser_tests.browser
pages = browser_tests.pages

pytestmark = pytest.mark.slow

LABEL_97 = "Laki ammatillisesta koulutuksesta (531/2017) 97 § (sellaisena kuin se on laissa 718/2022)"


@pytest.fixture(scope="module")
def in_force_site(tmp_path_factory, real_embedder, embedding_cache_path) -> Iterator[str]:
    tmp = tmp_path_factory.mktemp("in-force-web")
    settings = in_force_settings(tmp, embedding_cache_path)
    build(settings, real_embedder)
    yield from _serve(create_app(settings, searcher=Searcher.open(tmp / "index", real_embedder)))


def test_a_coach_reads_97_as_in_force_picks_an_earlier_date_and_copies_the_citation(pages: Pages, in_force_site: str):
    page = pages.open(permissions=["clipboard-read", "clipboard-write"])
    page.goto(f"{in_force_site}/osio/fi.531-2017.s97")
    heading = page.locator("#voimassa")
    assert "voimassa 1.8.2022 alkaen" in heading.inner_text()
    assert plain(page.locator("h1.cite").inner_text()) == LABEL_97
    assert "718/2022, voimaan 1.8.2022" in page.locator(".passage.full").first.inner_text()
    shot(page, "in-force-97-desktop")
    page.get_by_role("button", name="Kopioi lähdeviite", exact=True).click()
    page.wait_for_function(f"navigator.clipboard.readText().then(t => t === {LABEL_97!r})")
    m4 = "Laki ammatillisesta koulutuksesta (531/2017) 97 § 4 mom. (sellaisena kuin se on laissa 718/2022)"
    page.get_by_role("button", name=f"Kopioi lähdeviite: {m4}").click()
    page.wait_for_function(f"navigator.clipboard.readText().then(t => t === {m4!r})")

    # The date picker is a plain form: pick the day before 1218/2020 took effect.
    page.get_by_label("Näytä sanamuoto päivänä").fill("2021-07-31")
    page.get_by_role("button", name="Näytä", exact=True).click()
    page.wait_for_load_state()
    assert "date=2021-07-31" in page.url
    assert "voimassa 1.1.2018–31.7.2021" in page.locator("#voimassa").inner_text()
    assert plain(page.locator("h1.cite").inner_text()) == "Laki ammatillisesta koulutuksesta (531/2017) 97 §"
    assert page.locator("#tulevat").inner_text() == "Tulee voimaan 1.8.2021"
    shot(page, "in-force-97-2021-desktop")
    # Every wording is one link away.
    page.get_by_role("link", name="voimassa 1.8.2021–31.7.2022").click()
    page.wait_for_load_state()
    assert "voimassa 1.8.2021–31.7.2022" in page.locator("#voimassa").inner_text()


def test_no_serious_accessibility_violations_on_the_wording_views(pages: Pages, in_force_site: str):
    views = [
        "/osio/fi.531-2017.s97",
        "/osio/fi.531-2017.s97?date=2021-07-31",
        "/osio/fi.531-2017.s88",
        "/osio/fi.531-2017.s48?date=2025-06-01",
        "/?q=opiskelija+katsotaan+eronneeksi&date=2020-01-01",
    ]
    assert serious_violations(pages, in_force_site, views) == []
    phone = pages.open(PHONE)
    phone.goto(in_force_site + "/osio/fi.531-2017.s48?date=2025-06-01")
    shot(phone, "in-force-48-future-phone")
