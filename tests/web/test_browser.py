"""The web pages end to end in a real browser: Debian's chromium driven by Playwright, app on uvicorn.

Screenshots of the main views go to test-artifacts/ (git-ignored) at phone (360 px) and desktop width.
"""

from __future__ import annotations

import os
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from lahde.settings import Settings
from retrieval.search import Searcher
from retrieval.types import Filters
from search_api.app import create_app
from tests.fakes import HashingEmbedder
from tests.indexes import build_index
from tests.paths import REPO
from tests.samples import WEB_CHUNKS

pytestmark = pytest.mark.slow

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
ARTIFACTS = REPO / "test-artifacts"
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 360, "height": 740}
QUERY = "mikä on koulutussopimus"
TOP_ID = "fi.531-2017.s71"
TOP_LABEL = "Laki ammatillisesta koulutuksesta (531/2017) 71 §"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _serve(app) -> Iterator[str]:
    """Run the app on uvicorn on a free loopback port in a thread; yield its base URL."""
    import uvicorn

    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            pytest.fail("uvicorn did not start")
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)


@pytest.fixture(scope="module")
def real_searcher(built_index: Path, real_embedder) -> Searcher:
    """The real four-statute index with the real model."""
    return Searcher.open(built_index, real_embedder)


@pytest.fixture(scope="module")
def site(real_searcher: Searcher, built_index: Path) -> Iterator[str]:
    """The app on the real index, served by uvicorn."""
    yield from _serve(create_app(Settings(index_dir=built_index), searcher=real_searcher))


@pytest.fixture(scope="module")
def hostile_site(tmp_path_factory) -> Iterator[str]:
    """The app on a tiny index whose passages hold <script> and <b> (hashing embedder)."""
    out = tmp_path_factory.mktemp("hostile") / "idx"
    build_index(WEB_CHUNKS, HashingEmbedder(), out)
    yield from _serve(create_app(Settings(index_dir=out), searcher=Searcher.open(out, HashingEmbedder())))


@pytest.fixture(scope="module")
def browser():
    """Debian's chromium (never a downloaded browser build)."""
    if not CHROMIUM.exists():
        reason = f"{CHROMIUM} is missing; install Debian's chromium (apt-get install -y chromium), as .ci/run does"
        if os.environ.get("CI"):
            pytest.fail(reason)
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        instance = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield instance
        instance.close()


class Pages:
    """Opens pages and records every request, so tests can check nothing leaves the app."""

    def __init__(self, browser) -> None:
        self.browser = browser
        self.contexts: list = []
        self.requests: list[str] = []

    def open(self, viewport: dict = DESKTOP, **options):
        context = self.browser.new_context(viewport=viewport, locale="fi-FI", **options)
        self.contexts.append(context)
        page = context.new_page()
        page.on("request", lambda request: self.requests.append(request.url))
        page.set_default_timeout(30_000)
        return page

    def close(self) -> None:
        for context in self.contexts:
            context.close()


@pytest.fixture()
def pages(browser) -> Iterator[Pages]:
    """Page factory; on teardown every request must have gone to the app on loopback."""
    factory = Pages(browser)
    yield factory
    factory.close()
    outside = [u for u in factory.requests if not u.startswith("http://127.0.0.1:") and not u.startswith("data:")]
    assert outside == [], f"requests outside the app: {outside}"


def shot(page, name: str) -> None:
    """Save a full-page and a first-screen screenshot as test artifacts."""
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}-screen.png"))


def open_filters(page) -> None:
    """Unfold the filters (folded on phones, and everywhere without JavaScript)."""
    details = page.locator("details.filters-box")
    if details.get_attribute("open") is None:
        details.locator("summary").click()


def search(page, base: str, query: str) -> None:
    """Type a query into the box and press Enter, as a user does."""
    page.goto(base + "/")
    page.fill("#q", query)
    page.press("#q", "Enter")
    page.wait_for_load_state()


def plain(text: str) -> str:
    """Displayed citations keep '71 §' together with a no-break space; compare with plain spaces."""
    return text.replace("\u00a0", " ")


def serious_violations(pages: "Pages", base: str, views: list[str]) -> list[str]:
    """axe-core's serious and critical violations of each view at desktop and phone width."""
    from axe_playwright_python.sync_playwright import Axe

    axe = Axe()
    problems: list[str] = []
    for viewport in (DESKTOP, PHONE):
        page = pages.open(viewport)
        for path in views:
            page.goto(base + path)
            for v in axe.run(page).response["violations"]:
                if v["impact"] in ("serious", "critical"):
                    targets = [n["target"] for n in v["nodes"]][:3]
                    problems.append(f"{viewport['width']}px {path}: {v['id']} ({v['impact']}) {targets}")
    return problems


def titles(page) -> list[str]:
    return [plain(t) for t in page.locator("ol.results > li h3.cite a").all_inner_texts()]


def test_search_shows_cited_results_at_both_widths(pages: Pages, site: str):
    for name, viewport in (("desktop", DESKTOP), ("phone", PHONE)):
        page = pages.open(viewport)
        page.goto(site + "/")
        shot(page, f"01-empty-{name}")
        search(page, site, QUERY)
        assert "q=mik%C3%A4+on+koulutussopimus" in page.url
        assert titles(page)[0] == TOP_LABEL
        first = page.locator("ol.results > li").first
        assert first.locator(".badge").inner_text() == "laki"
        assert first.locator("mark").first.inner_text().lower().startswith("koulutussopimu")
        assert page.locator(".count").inner_text().startswith("Tulokset 1–10")
        overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0, f"{name}: page scrolls sideways by {overflow}px"
        shot(page, f"02-results-{name}")


def test_the_glossary_terms_a_query_was_expanded_with_are_shown(pages: Pages, site: str):
    page = pages.open(DESKTOP)
    search(page, site, "mitä hoksiin kirjataan")
    assert page.locator(".expansions").inner_text() == (
        "Haettiin myös sanaston termeillä: hoks → henkilökohtainen osaamisen kehittämissuunnitelma"
    )
    assert titles(page)[0] == "Laki ammatillisesta koulutuksesta (531/2017) 44 §"
    shot(page, "02b-expansions-desktop")


def test_filters_and_paging(pages: Pages, site: str, real_searcher: Searcher):
    page = pages.open()
    search(page, site, QUERY)
    open_filters(page)
    page.select_option("#statute", "1215/2020")
    page.click("button.primary")
    page.wait_for_load_state()
    expected = [h.chunk.citation.label for h in real_searcher.search(QUERY, 10, Filters(statute="1215/2020")).hits]
    assert titles(page) == expected and all("(1215/2020)" in t for t in expected)
    page.select_option("#statute", "")
    page.click("button.primary")
    page.click("a[rel=next]")
    page.wait_for_load_state()
    assert "page=2" in page.url and page.locator(".count").inner_text().startswith("Tulokset 11–20")
    assert titles(page) == [h.chunk.citation.label for h in real_searcher.search(QUERY, 10, None, 10).hits]
    page.select_option("#lang", "sv")
    page.click("button.primary")
    page.wait_for_load_state()
    assert titles(page) == [] and page.get_by_role("heading", name="Ei tuloksia").is_visible()
    shot(page, "03-no-results-desktop")
    page.get_by_role("link", name="Poista rajaukset").click()
    page.wait_for_load_state()
    assert titles(page)[0] == TOP_LABEL


def test_open_a_section_and_step_to_the_next(pages: Pages, site: str, real_searcher: Searcher):
    chunk = real_searcher.index.get(TOP_ID)
    for name, viewport in (("desktop", DESKTOP), ("phone", PHONE)):
        page = pages.open(viewport)
        search(page, site, QUERY)
        page.locator("ol.results > li").first.get_by_role("link", name="Avaa koko pykälä").click()
        page.wait_for_load_state()
        assert f"/osio/{TOP_ID}?q=" in page.url
        assert plain(page.locator("h1").inner_text()) == TOP_LABEL
        crumbs = page.locator(".crumbs").inner_text()
        assert f"{chunk.citation.chapter} luku {chunk.citation.chapter_heading}" in crumbs
        assert page.locator("a[rel=prev]").inner_text() == "← Edellinen: 70 §"
        assert page.get_by_role("link", name="Alkuperäinen lähde").get_attribute("href") == chunk.citation.url
        assert page.get_by_role("heading", name="Muutoshistoria").is_visible()
        overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0, f"{name}: section page scrolls sideways by {overflow}px"
        shot(page, f"04-section-{name}")
    page.locator("a[rel=next]").click()
    page.wait_for_load_state()
    assert plain(page.locator("h1").inner_text()) == "Laki ammatillisesta koulutuksesta (531/2017) 72 §"


def test_copy_citation_and_quote(pages: Pages, site: str, real_searcher: Searcher):
    page = pages.open(permissions=["clipboard-read", "clipboard-write"])
    search(page, site, QUERY)
    button = page.locator("ol.results > li").first.get_by_role("button", name="Kopioi lähdeviite")
    button.click()
    page.wait_for_selector("button.copy[data-copied]")
    assert page.evaluate("navigator.clipboard.readText()") == TOP_LABEL
    assert page.locator("#copy-status").inner_text() == f"Kopioitu leikepöydälle: {TOP_LABEL}"
    shot(page, "05-copied-desktop")
    page.get_by_label("Lainaus mukaan").check()
    button.click()
    page.wait_for_function(f"navigator.clipboard.readText().then(t => t !== {TOP_LABEL!r})")
    text = real_searcher.index.get(TOP_ID).text
    assert page.evaluate("navigator.clipboard.readText()") == f"{TOP_LABEL}\n\u201d{text}\u201d"
    # On the section page each momentti has its own citation: "... 71 § 2 mom.".
    page.goto(f"{site}/osio/{TOP_ID}")
    page.get_by_role("button", name=f"Kopioi lähdeviite: {TOP_LABEL} 2 mom.").click()
    page.wait_for_function(f"navigator.clipboard.readText().then(t => t === {TOP_LABEL + ' 2 mom.'!r})")


def test_ask_mode(pages: Pages, site: str):
    page = pages.open()
    page.goto(site + "/")
    page.fill("#q", "kuka hyväksyy henkilökohtaisen osaamisen kehittämissuunnitelman")
    page.get_by_role("radio", name="Kysy").check()
    page.press("#q", "Enter")
    page.wait_for_load_state()
    assert "mode=ask" in page.url
    assert page.locator(".abstain").count() == 0, "the real model answers this question"
    refs = page.locator("a.ref")
    assert refs.count() >= 1
    for href in refs.evaluate_all("links => links.map(a => a.getAttribute('href'))"):
        assert page.locator(href).count() == 1, f"citation {href} points at no source"
    # Source [1] is the decree's section on what the HOKS holds and who draws it up.
    assert "(673/2017) 9\u00a0§ 4–5\u00a0mom." in page.locator("#lahde-1").inner_text()
    shot(page, "06-ask-desktop")


def test_the_form_works_without_javascript(pages: Pages, site: str):
    page = pages.open(PHONE, java_script_enabled=False)
    search(page, site, QUERY)
    assert titles(page)[0] == TOP_LABEL
    assert not page.locator("button.copy").first.is_visible()
    open_filters(page)
    page.select_option("#kind", "asetus")
    page.click("button.primary")
    page.wait_for_load_state()
    badges = page.locator("ol.results .badge").all_inner_texts()
    assert badges and set(badges) == {"asetus"}
    shot(page, "07-nojs-phone")


def test_html_in_passages_and_queries_renders_as_text(pages: Pages, hostile_site: str):
    page = pages.open()
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    query = "<script>alert(2)</script> koulutussopimus"
    search(page, hostile_site, query)
    hostile = page.locator("ol.results > li").filter(has_text="Hostile")
    assert "<script>alert(1)</script> and <b>bold</b>" in hostile.locator(".passage").inner_text()
    assert page.locator(".passage b, .passage script, main script").count() == 0
    assert page.input_value("#q") == query
    hostile.get_by_role("link", name="Avaa koko pykälä").click()
    page.wait_for_load_state()
    assert "<b>bold</b>" in page.locator(".passage").inner_text()
    assert dialogs == []
    shot(page, "08-escaping-section-desktop")


def test_keyboard_shortcut_and_focus_order(pages: Pages, site: str):
    page = pages.open()
    page.goto(site + "/?q=koulutussopimus")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.className") == "skip"
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Lähde"
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Kirjaudu"
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.className") == "ui-switch"
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "q"
    page.evaluate("document.activeElement.blur()")
    page.keyboard.press("/")
    assert page.evaluate("document.activeElement.id") == "q"


def test_swedish_ui_from_the_switch(pages: Pages, site: str):
    page = pages.open(PHONE)
    search(page, site, QUERY)
    page.get_by_role("link", name="På svenska").click()
    page.wait_for_load_state()
    assert page.locator("html").get_attribute("lang") == "sv"
    assert page.get_by_role("button", name="Sök").is_visible()
    assert titles(page)[0] == TOP_LABEL
    shot(page, "09-results-sv-phone")


def test_no_serious_accessibility_violations(pages: Pages, site: str):
    from axe_playwright_python.sync_playwright import Axe

    axe = Axe()
    views = [
        "/",
        "/?q=mik%C3%A4+on+koulutussopimus",
        "/?q=koulutussopimus&lang=sv",
        "/?q=kuka+hyv%C3%A4ksyy+hoksin&mode=ask",
        f"/osio/{TOP_ID}?q=koulutussopimus",
        "/osio/ei-ole",
        "/?q=koulutussopimus&ui=sv",
        "/?q=" + "x" * 600,
    ]
    probe = pages.open()
    probe.goto(site + "/static/lahde.css")
    probe.set_content("<!doctype html><html lang='fi'><title>t</title><main><input type='text'></main></html>")
    # The checker itself must see a missing label, or an empty list below would prove nothing.
    assert "label" in [v["id"] for v in axe.run(probe).response["violations"]]
    assert serious_violations(pages, site, views) == []


def test_api_docs_render_from_the_apps_own_files_under_the_csp(pages: Pages, hostile_site: str):
    page = pages.open()
    blocked: list[str] = []
    page.on("console", lambda msg: blocked.append(msg.text) if "Content Security Policy" in msg.text else None)
    page.goto(hostile_site + "/docs")
    page.wait_for_selector(".swagger-ui .information-container .title")
    assert page.locator(".swagger-ui .information-container .title").inner_text().startswith("Lähde")
    assert page.locator(".opblock-summary-path", has_text="/api/search").count() == 1
    assert blocked == []
    shot(page, "10-api-docs")
