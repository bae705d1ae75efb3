"""The web pages in-process: states, filters, paging, escaping, language switch, and the view seams."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from index.store import VectorIndex
from ingest.models import Chunk, Citation
from lahde.service import make_app
from lahde.settings import Settings
from retrieval.highlight import marked_pieces
from retrieval.search import Searcher
from retrieval.sections import amendment_notes, corpus_view
from search_api.app import create_app
from tests.fakes import HashingEmbedder, fake_wiring
from tests.indexes import build_index
from tests.samples import WEB_CHUNKS
from tests.samples import web_section as _sec


@pytest.fixture()
def index_dir(tmp_path: Path) -> Path:
    build_index(WEB_CHUNKS, HashingEmbedder(), tmp_path / "idx")
    return tmp_path / "idx"


@pytest.fixture()
def client(index_dir: Path):
    embedder = HashingEmbedder()
    app = create_app(Settings(index_dir=index_dir, max_query_chars=100), searcher=Searcher.open(index_dir, embedder))
    with TestClient(app) as c:
        yield c


def _result_ids(html: str) -> list[str]:
    return re.findall(r'<h3 class="cite" id="otsikko-r\d+">\s*<a href="/osio/([^"?]+)', html)


def test_highlight_marks_inflected_words_and_keeps_all_text():
    spans = marked_pieces("Koulutussopimukseen perustuva koulutus.", "koulutussopimus")
    assert spans == [("Koulutussopimukseen", True), (" perustuva koulutus.", False)]
    assert "".join(s for s, _ in spans) == "Koulutussopimukseen perustuva koulutus."
    assert marked_pieces("ei osumia", "koulutussopimus") == [("ei osumia", False)]


def test_section_view_has_neighbours_counterpart_and_amendment_notes(index_dir: Path):
    index = VectorIndex.load(index_dir)
    view = corpus_view(index).section("fi.531-2017.s71")
    assert view is not None
    assert view.previous.id == "fi.531-2017.s70" and view.next.id == "fi.531-2017.s72"
    assert view.other_languages[0].id == "sv.531-2017.s71"
    assert view.text == WEB_CHUNKS[1].text and view.amendments == []
    assert view.label == "Laki ammatillisesta koulutuksesta (531/2017) 71 §"
    first = corpus_view(index).section("fi.531-2017.s70")
    assert first.previous is None and corpus_view(index).section("nope") is None
    sv = corpus_view(index).section("sv.531-2017.s71")
    assert sv.previous is None and sv.next is None and sv.other_languages[0].id == "fi.531-2017.s71"


def test_statute_filter_names_each_statute_in_the_ui_language(client: TestClient):
    fi = client.get("/").text
    assert '<option value="531/2017">Laki ammatillisesta koulutuksesta (531/2017)</option>' in fi
    assert fi.index('value="531/2017"') < fi.index('value="1215/2020"')
    sv = client.get("/", params={"ui": "sv"}).text
    assert '<option value="531/2017">Lag om yrkesutbildning (531/2017)</option>' in sv
    assert '<option value="1215/2020">Laki ammatillisesta koulutuksesta (1215/2020)</option>' in sv


def test_amendment_notes_are_worded_in_the_ui_language():
    from dataclasses import replace

    from ingest.models import Amendment

    amended = (Amendment("1218/2020", "2021-08-01", "amend"), Amendment("9/2021", None, "add", "5 momentti"))
    chunk = replace(WEB_CHUNKS[1], citation=replace(WEB_CHUNKS[1].citation, amendments=amended))
    assert [n.note for n in amendment_notes(chunk.citation, "fi")] == [
        "muutettu: 1218/2020 (voimaan 1.8.2021)",
        "lisätty: 9/2021",
    ]
    assert [n.note for n in amendment_notes(chunk.citation, "sv")] == [
        "ändrad: 1218/2020 (i kraft 1.8.2021)",
        "tillagd: 9/2021",
    ]


def test_empty_state_offers_examples(client: TestClient):
    response = client.get("/")
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/html")
    assert "Mitä haluat tietää?" in response.text
    assert 'href="/?q=Mik%C3%A4+on+koulutussopimus%3F"' in response.text
    assert "default-src 'self'" in response.headers["content-security-policy"]


def test_results_show_citation_badge_highlight_and_copy_button(client: TestClient):
    html = client.get("/", params={"q": "koulutussopimus"}).text
    assert _result_ids(html)[:2] == ["fi.531-2017.s71", "fi.531-2017.s99"]
    assert "Laki ammatillisesta koulutuksesta (531/2017) 71 §" in html
    assert '<span class="badge badge-laki">laki</span>' in html
    assert "<mark>Koulutussopimus</mark> tehdään kirjallisesti." in html
    assert 'data-label="Laki ammatillisesta koulutuksesta (531/2017) 71 §"' in html
    assert "Kopioi lähdeviite" in html and "Tulokset 1–6, haettu 6 kohdasta" in html


def test_filters_narrow_results_and_no_results_state_says_what_to_try(client: TestClient):
    assert _result_ids(client.get("/", params={"q": "koulutussopimus", "lang": "sv"}).text) == ["sv.531-2017.s71"]
    assert _result_ids(client.get("/", params={"q": "eronneeksi", "statute": "1215/2020"}).text) == ["fi.1215-2020.s3"]
    html = client.get("/", params={"q": "koulutussopimus", "kind": "opas"}).text
    assert _result_ids(html) == [] and "Ei tuloksia" in html and "Poista rajaukset" in html
    assert "<li>Lähteen laji: opas</li>" in html
    assert 'href="/?q=koulutussopimus"' in html


def test_paging_splits_results_ten_a_page(tmp_path: Path):
    # The query word repeated n times: strictly rising similarity, so the order is s12, s11, ..., s1.
    chunks = [_sec("fi", "531/2017", str(n), " ".join(["koulutussopimus"] * n + ["kohta"])) for n in range(1, 13)]
    build_index(chunks, HashingEmbedder(), tmp_path / "idx")
    app = create_app(Settings(index_dir=tmp_path / "idx"), searcher=Searcher.open(tmp_path / "idx", HashingEmbedder()))
    with TestClient(app) as c:
        first = c.get("/", params={"q": "koulutussopimus"}).text
        second = c.get("/", params={"q": "koulutussopimus", "page": 2}).text
    assert _result_ids(first) == [f"fi.531-2017.s{n}" for n in range(12, 2, -1)]
    assert _result_ids(second) == ["fi.531-2017.s2", "fi.531-2017.s1"]
    assert 'rel="next" href="/?q=koulutussopimus&amp;page=2"' in first and 'rel="next"' not in second
    assert "Tulokset 11–12, haettu 12 kohdasta" in second


def test_html_in_passages_and_queries_renders_as_text(client: TestClient):
    html = client.get("/", params={"q": "<script>alert(2)</script> koulutussopimus"}).text
    assert "<script>alert" not in html and "<b>bold</b>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html and "&lt;b&gt;bold&lt;/b&gt;" in html
    assert 'value="&lt;script&gt;alert(2)&lt;/script&gt; koulutussopimus"' in html
    section = client.get("/osio/fi.531-2017.s99", params={"q": "<b>x</b>"}).text
    assert "<script>alert" not in section and "&lt;b&gt;bold&lt;/b&gt;" in section


def test_section_page_shows_place_neighbours_counterpart_and_source(client: TestClient):
    html = client.get("/osio/fi.531-2017.s71", params={"q": "koulutussopimus"}).text
    assert '<h1 id="osio-otsikko" class="cite">Laki ammatillisesta koulutuksesta (531/2017) 71\u00a0§</h1>' in html
    assert 'data-label="Laki ammatillisesta koulutuksesta (531/2017) 71 § 2 mom."' in html
    assert "2 luku Koulutuksen järjestäminen" in html
    assert 'rel="prev" href="/osio/fi.531-2017.s70?q=koulutussopimus"' in html
    assert 'rel="next" href="/osio/fi.531-2017.s72?q=koulutussopimus"' in html
    assert 'href="/osio/sv.531-2017.s71"' in html and "Lag om yrkesutbildning (531/2017) 71 §" in html
    assert 'href="https://www.finlex.fi/fi/laki/alkup/2017/20170531"' in html
    assert '<span class="mom">2 mom.</span> Sopimuksesta ei makseta palkkaa.' in html


def test_unknown_section_is_a_404_page(client: TestClient):
    response = client.get("/osio/fi.531-2017.s999")
    assert response.status_code == 404 and "Kohtaa ei löytynyt" in response.text


def test_error_states_tell_what_to_try(client: TestClient, tmp_path: Path):
    long = client.get("/", params={"q": "x" * 101})
    assert long.status_code == 422 and "Kysymys on liian pitkä (101 merkkiä, enintään 100)" in long.text
    deep = client.get("/", params={"q": "x", "page": 500})
    assert deep.status_code == 422 and "Sivunumero on liian suuri" in deep.text
    with TestClient(make_app(Settings(index_dir=tmp_path / "none"), fake_wiring())) as c:
        down = c.get("/", params={"q": "hoks"})
        assert down.status_code == 503 and "lahde build" in down.text
        assert c.get("/").status_code == 200


def test_swedish_ui_by_switch_or_browser_language(client: TestClient):
    by_switch = client.get("/", params={"q": "koulutussopimus", "ui": "sv"}).text
    assert '<html lang="sv">' in by_switch and "Kopiera källhänvisning" in by_switch
    assert 'href="/osio/fi.531-2017.s71?q=koulutussopimus&amp;ui=sv"' in by_switch
    by_header = client.get("/", headers={"Accept-Language": "sv-FI,sv;q=0.9,en;q=0.5"}).text
    assert "Vad vill du veta?" in by_header
    assert "Mitä haluat tietää?" in client.get("/", headers={"Accept-Language": "en-US,en"}).text


def _ask_client(index_dir: Path, min_score: float):
    settings = Settings(index_dir=index_dir, cache_path=index_dir.parent / "cache.sqlite", ask_min_score=min_score)
    return TestClient(create_app(settings, searcher=Searcher.open(index_dir, HashingEmbedder())))


def test_ask_mode_renders_numbered_citations_from_the_real_drafter(index_dir: Path):
    with _ask_client(index_dir, min_score=0.3) as c:
        html = c.get("/", params={"q": "koulutussopimus kirjallisesti", "mode": "ask"}).text
    assert 'Koulutussopimus tehdään kirjallisesti.<a class="ref" href="#lahde-1" aria-label="lähde 1">[1]</a>' in html
    assert re.search(r'id="lahde-1" aria-labelledby="otsikko-s1">\s*<h3 class="cite" id="otsikko-s1">', html)
    assert "Laki ammatillisesta koulutuksesta (531/2017) 71 §" in html


def test_ask_mode_abstains_when_evidence_is_weak(index_dir: Path):
    with _ask_client(index_dir, min_score=0.999) as c:
        html = c.get("/", params={"q": "koulutussopimus kirjallisesti", "mode": "ask"}).text
    assert "Lähteistä ei löytynyt varmaa vastausta" in html and "riittävää lähdettä ei löytynyt" in html
    assert 'class="ref"' not in html
    assert _result_ids(html)[0] == "fi.531-2017.s71"  # the nearest passages are still shown


def test_static_files_are_served_by_the_app(client: TestClient):
    assert client.get("/static/lahde.js").status_code == 200
    html = client.get("/", params={"q": "koulutussopimus"}).text
    external = [u for u in re.findall(r'(?:src|href)="(https?://[^"]+)"', html) if "finlex.fi" not in u]
    assert external == []


def test_section_view_joins_the_chunks_of_a_section_and_cites_the_whole_section(tmp_path: Path):
    base = _sec("fi", "531/2017", "44", "x")
    runs = [
        Chunk(id="fi.531-2017.s44.m1-2", text="Ensimmäinen.\n\nToinen.", citation=_with(base, "1–2 mom.", (1, 2))),
        Chunk(id="fi.531-2017.s44.m3", text="Kolmas.", citation=_with(base, "3 mom.", (3,))),
    ]
    build_index(runs + [WEB_CHUNKS[2]], HashingEmbedder(), tmp_path / "idx")
    view = corpus_view(VectorIndex.load(tmp_path / "idx")).section("fi.531-2017.s44.m3")
    assert [c.id for c in view.chunks] == ["fi.531-2017.s44.m1-2", "fi.531-2017.s44.m3"]
    assert view.text == "Ensimmäinen.\n\nToinen.\n\nKolmas."
    assert view.label == "Laki ammatillisesta koulutuksesta (531/2017) 44 §"
    assert view.previous is None and view.next.id == "fi.531-2017.s72"


def _with(base: Chunk, suffix: str, subsections: tuple[int, ...]) -> Citation:
    from dataclasses import replace

    return replace(base.citation, label=f"{base.citation.label} {suffix}", subsections=subsections)


def test_the_source_filter_also_picks_a_guide(tmp_path: Path):
    guide = Citation(
        doc_id="fi.opas-hoks",
        doc_title="HOKS-opas",
        kind="opas",
        lang="fi",
        label="HOKS-opas, s. 4",
        heading_path=("HOKS", "Hyväksyminen"),
        page=4,
    )
    chunks = WEB_CHUNKS[:3] + [Chunk(id="fi.opas-hoks.p4", text="Koulutussopimus kirjataan HOKSiin.", citation=guide)]
    build_index(chunks, HashingEmbedder(), tmp_path / "idx")
    app = create_app(Settings(index_dir=tmp_path / "idx"), searcher=Searcher.open(tmp_path / "idx", HashingEmbedder()))
    with TestClient(app) as c:
        assert '<option value="fi.opas-hoks">HOKS-opas</option>' in c.get("/").text
        html = c.get("/", params={"q": "koulutussopimus", "statute": "fi.opas-hoks"}).text
        assert c.get("/", params={"q": "koulutussopimus", "statute": "531/2017"}).status_code == 200
    assert _result_ids(html) == ["fi.opas-hoks.p4"]
    assert '<span class="badge badge-opas">opas</span>' in html and "HOKS › Hyväksyminen" in html and "s. 4" in html


def test_an_empty_index_says_to_build_one(tmp_path: Path):
    build_index([], HashingEmbedder(), tmp_path / "idx")
    app = create_app(Settings(index_dir=tmp_path / "idx"), searcher=Searcher.open(tmp_path / "idx", HashingEmbedder()))
    with TestClient(app) as c:
        html = c.get("/", params={"q": "koulutussopimus"}).text
    assert "Ei tuloksia" in html and "lahde build" in html and "Poista rajaukset" not in html


def test_a_failing_answer_draft_still_shows_the_results(client: TestClient, monkeypatch):
    from retrieval.answer import AnswerDrafter

    def broken(*args, **kwargs):
        raise RuntimeError("model crashed")

    monkeypatch.setattr(AnswerDrafter, "ask", broken)
    response = client.get("/", params={"q": "koulutussopimus", "mode": "ask"})
    assert response.status_code == 200 and "Vastausluonnosta ei voitu koota" in response.text
    assert _result_ids(response.text)[0] == "fi.531-2017.s71"


def test_results_name_the_glossary_terms_the_query_was_expanded_with(client: TestClient):
    html = client.get("/", params={"q": "koso palkka"}).text
    assert (
        'class="expansions">Haettiin myös sanaston termeillä: <span class="expansion"><b>koso</b> → koulutussopimus</span></p>'
        in html
    )
    assert "fi.531-2017.s71" in _result_ids(html)
    assert "<mark>Koulutussopimus</mark> tehdään kirjallisesti." in html  # the expansion's word is marked
    sv = client.get("/", params={"q": "koso palkka", "ui": "sv"}).text
    assert "Sökningen omfattade också ordlistans termer:" in sv
    assert 'class="expansions"' not in client.get("/", params={"q": "palkka"}).text
    # The section view, opened from a result, marks the same words.
    section = client.get("/osio/fi.531-2017.s71", params={"q": "koso palkka"}).text
    assert "<mark>Koulutussopimus</mark> tehdään kirjallisesti." in section and "<mark>palkkaa</mark>" in section
