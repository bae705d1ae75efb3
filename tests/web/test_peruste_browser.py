"""A coach finds a tutkinnon osa's hyvä H3 criteria from an everyday question and copies the citation (Chromium).

The index is twelve tutkinnon osat of the real Autoalan perustutkinto (OPH-2762-2017), both
languages, embedded with the real model.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace

import pytest

from ingest.eperusteet import read_peruste
from ingest.peruste_chunks import peruste_to_documents
from lahde.settings import Settings
from retrieval.search import Searcher
from search_api.app import create_app
from tests.indexes import build_cached
from tests.paths import REPO
from tests.web import test_browser as browser_tests
from tests.web.test_browser import PHONE, Pages, _serve, plain, serious_violations, shot

pytestmark = pytest.mark.slow

browser = browser_tests.browser
pages = browser_tests.pages
PERUSTE = REPO.parent / "shared" / "corpus" / "eperusteet" / "peruste"
QUESTION = "autoalan näyttö korjaamolla: mitä hyvä 3 vaatii työprosessin suunnittelusta huoltotöissä"
CITATION = (
    "Autoalan perustutkinto (OPH-2762-2017) › Huolto- ja korjaustyöt (105708) › Arviointi › "
    "1. Työprosessien hallinta › Työn kokonaisuuden hallinta › hyvä H3"
)


@pytest.fixture(scope="module")
def peruste_site(tmp_path_factory, real_embedder, embedding_cache_path) -> Iterator[str]:
    """The first twelve tutkinnon osat of the real Autoalan perustutkinto, both languages, real model."""
    if not PERUSTE.is_dir():
        pytest.skip("shared ePerusteet corpus not found")
    peruste = read_peruste(PERUSTE / "OPH-2762-2017_autoalan-perustutkinto.json")
    small = replace(peruste, units=peruste.units[:12], chapters=peruste.chapters[:2])
    chunks = [c for d in peruste_to_documents(small) for c in d.chunks]
    out = build_cached(chunks, real_embedder, tmp_path_factory.mktemp("peruste-web") / "index", embedding_cache_path)
    yield from _serve(create_app(Settings(index_dir=out, use_bank=False), searcher=Searcher.open(out, real_embedder)))


def test_a_coach_finds_the_hyva_3_criteria_and_copies_their_citation(pages: Pages, peruste_site: str):
    page = pages.open(permissions=["clipboard-read", "clipboard-write"])
    page.goto(peruste_site + "/")
    page.fill("#q", QUESTION)
    page.press("#q", "Enter")
    page.wait_for_load_state()
    titles = [plain(t) for t in page.locator("ol.results > li h3.cite a").all_inner_texts()]
    target = "Autoalan perustutkinto (OPH-2762-2017) › Huolto- ja korjaustyöt (105708) › Arviointi › 1. Työprosessien hallinta"
    assert target in titles[:3], titles
    assert page.locator("ol.results .badge-peruste").first.inner_text() == "tutkinnon perusteet"
    shot(page, "peruste-results-desktop")
    page.get_by_role("link", name=target).first.click()
    page.wait_for_load_state()
    # The whole tutkinnon osa: requirements, ways of showing competence, the criteria by grade.
    assert (
        plain(page.locator("h1.cite").inner_text())
        == "Autoalan perustutkinto (OPH-2762-2017) › Huolto- ja korjaustyöt (105708)"
    )
    headings = page.locator("section.part h2").all_inner_texts()
    assert headings[:3] == [
        "Ammattitaitovaatimukset",
        "Ammattitaidon osoittamistavat",
        "Arviointi › 1. Työprosessien hallinta",
    ]
    assert "Voimassa 1.8.2018 alkaen" in page.locator("p.wording").first.inner_text()
    page.get_by_role("button", name=f"Kopioi lähdeviite: {CITATION}").click()
    page.wait_for_function(f"navigator.clipboard.readText().then(t => t === {CITATION!r})")
    shot(page, "peruste-unit-desktop")


def test_no_serious_accessibility_violations_on_the_peruste_views(pages: Pages, peruste_site: str):
    views = [
        "/osio/fi.peruste-oph-2762-2017.u105708.arviointi1",
        "/?q=autoala+hyv%C3%A4+3&kind=peruste",
        "/osio/sv.peruste-oph-2762-2017.u105708.vaatimukset",
    ]
    assert serious_violations(pages, peruste_site, views) == []
    phone = pages.open(PHONE)
    phone.goto(peruste_site + "/osio/fi.peruste-oph-2762-2017.u105708.arviointi1")
    shot(phone, "peruste-unit-phone")
