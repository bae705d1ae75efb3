"""The law in force through the real path: `lahde build` of 531/2017 and four amending acts, `lahde serve`, HTTP.

97 § reads three ways (enacted 2017, 1218/2020 from 1.8.2021, 718/2022 from 1.8.2022); 88 § is
repealed by 164/2022; 48 § has a wording 1078/2024 enacted for 1.8.2026.
"""

from __future__ import annotations

import httpx
import pytest

from lahde.service import build, reindex
from tests.servers import lahde_serve
from tests.temp_corpus import in_force_settings

S97_1218 = "Opiskelija katsotaan eronneeksi, jos on ilmeistä, että hänen tarkoituksenaan ei ole osallistua"
S97_718_M4 = "Oppivelvollinen katsotaan eronneeksi 1 momentin 1 kohdassa tarkoitetulla perusteella"


@pytest.fixture(scope="module")
def in_force_server(tmp_path_factory, real_embedder, embedding_cache_path):
    tmp = tmp_path_factory.mktemp("in-force")
    build(in_force_settings(tmp, embedding_cache_path), real_embedder)
    env = {
        "LAHDE_INDEX_DIR": str(tmp / "index"),
        "LAHDE_CACHE_PATH": str(embedding_cache_path),
        "LAHDE_USE_BANK": "false",
    }
    with lahde_serve(env) as base:
        yield base


def _section(base: str, chunk_id: str, **params: str) -> dict:
    r = httpx.get(f"{base}/api/sections/{chunk_id}", params=params, timeout=30)
    assert r.status_code == 200, r.text
    return r.json()


def test_97_reads_as_enacted_then_as_each_amending_act(in_force_server):
    before = _section(in_force_server, "fi.531-2017.s97", date="2021-07-31")["in_force"]
    assert before["status"] == "consolidated" and before["in_force"]
    w = before["wording"]
    assert (w["valid_from"], w["valid_to"], w["acts"]) == ("2018-01-01", "2021-07-31", ["531/2017"])
    assert w["label"] == "Laki ammatillisesta koulutuksesta (531/2017) 97 §"

    first = _section(in_force_server, "fi.531-2017.s97", date="2021-08-01")["in_force"]["wording"]
    assert (first["valid_from"], first["valid_to"], first["acts"]) == ("2021-08-01", "2022-07-31", ["1218/2020"])
    assert first["momentit"][0]["text"].startswith(S97_1218)
    assert (
        first["label"] == "Laki ammatillisesta koulutuksesta (531/2017) 97 § (sellaisena kuin se on laissa 1218/2020)"
    )

    now = _section(in_force_server, "fi.531-2017.s97")
    w = now["in_force"]["wording"]
    assert (w["valid_from"], w["valid_to"], w["acts"]) == ("2022-08-01", None, ["718/2022"])
    assert [m["number"] for m in w["momentit"]] == [1, 2, 3, 4]
    assert w["momentit"][0]["text"].split("\n")[0] == "Opiskelija katsotaan eronneeksi, jos:"
    assert w["momentit"][3]["text"].startswith(S97_718_M4)
    assert w["momentit"][3]["label"] == (
        "Laki ammatillisesta koulutuksesta (531/2017) 97 § 4 mom. (sellaisena kuin se on laissa 718/2022)"
    )
    assert [p["act"] for p in w["momentit"][0]["pieces"]] == ["718/2022"] * 4
    assert [h["valid_from"] for h in now["in_force"]["history"]] == ["2018-01-01", "2021-08-01", "2022-08-01"]
    # The index holds today's wording: the chunk is the 718/2022 text, cited as such.
    assert now["text"].startswith("Opiskelija katsotaan eronneeksi, jos:")
    assert now["label"] == "Laki ammatillisesta koulutuksesta (531/2017) 97 § (sellaisena kuin se on laissa 718/2022)"
    assert now["citation"]["wording_acts"] == ["718/2022"]
    assert now["citation"]["consolidation"] == "consolidated"


def test_repealed_section_and_a_wording_enacted_for_later(in_force_server):
    repealed = _section(in_force_server, "fi.531-2017.s88")["in_force"]
    assert repealed["in_force"] is False
    assert repealed["wording"]["repealed_by"] == "164/2022"
    assert repealed["wording"]["valid_from"] == "2022-08-01"

    s48 = _section(in_force_server, "fi.531-2017.s48", date="2025-06-01")["in_force"]
    assert s48["wording"]["acts"] == ["531/2017", "1218/2020"]
    assert [f["valid_from"] for f in s48["future"]] == ["2026-08-01"]
    assert s48["future"][0]["acts"] == ["531/2017", "1218/2020", "1078/2024"]
    assert s48["future"][0]["label"].endswith("(sellaisena kuin se on osaksi laeissa 1218/2020 ja 1078/2024)")


def test_a_section_no_act_amends_and_a_bad_date(in_force_server):
    assert _section(in_force_server, "fi.531-2017.s1")["in_force"]["status"] == "unchanged"
    r = httpx.get(f"{in_force_server}/api/sections/fi.531-2017.s97", params={"date": "2022-02-30"}, timeout=30)
    assert r.status_code == 422
    assert r.headers["content-type"].startswith("application/problem+json")
    assert any(e["field"].endswith("date") for e in r.json()["errors"])
    # The edges of the calendar: before any wording (not in force), and far ahead (today's wording).
    first = _section(in_force_server, "fi.531-2017.s97", date="0001-01-01")["in_force"]
    assert (first["status"], first["in_force"], first["wording"]) == ("consolidated", False, None)
    assert [f["valid_from"] for f in first["future"]] == ["2018-01-01", "2021-08-01", "2022-08-01"]
    last = _section(in_force_server, "fi.531-2017.s97", date="9999-12-31")["in_force"]
    assert last["wording"]["valid_from"] == "2022-08-01" and last["future"] == []
    for hostile in ("2021-13-01", "<script>", "2021-07-31T10:00", "9" * 300):
        r = httpx.get(f"{in_force_server}/api/sections/fi.531-2017.s97", params={"date": hostile}, timeout=30)
        assert r.status_code == 422, hostile
        page = httpx.get(f"{in_force_server}/osio/fi.531-2017.s97", params={"date": hostile}, timeout=30)
        assert page.status_code == 422 and "<script>" not in page.text, hostile


def test_search_finds_the_wording_in_force(in_force_server):
    r = httpx.get(
        f"{in_force_server}/api/search",
        params={"q": "oppivelvollinen katsotaan eronneeksi kuukauden kuluessa huoltajalle ilmoitettava", "k": 5},
        timeout=60,
    )
    assert r.status_code == 200
    hits = r.json()["hits"]
    assert hits[0]["id"] == "fi.531-2017.s97"
    assert S97_718_M4 in hits[0]["text"]
    assert hits[0]["citation"]["label"].endswith("(sellaisena kuin se on laissa 718/2022)")


def test_older_wordings_are_searched_only_for_their_date(in_force_server):
    """The 2017 wording of 97 § ("jos on ilmeistä") is indexed apart and found when the date asks for it."""
    params = {"q": "opiskelija katsotaan eronneeksi jos on ilmeistä", "k": 10, "versions": "all"}
    now = httpx.get(f"{in_force_server}/api/search", params=params, timeout=60).json()["hits"]
    assert not any("@" in h["id"] for h in now)
    then = httpx.get(f"{in_force_server}/api/search", params={**params, "date": "2020-01-01"}, timeout=60).json()
    ids = [h["id"] for h in then["hits"]]
    assert "fi.531-2017.s97@2018-01-01" in ids and "fi.531-2017.s97" not in ids
    old = next(h for h in then["hits"] if h["id"] == "fi.531-2017.s97@2018-01-01")
    assert (old["citation"]["wording_since"], old["citation"]["wording_until"]) == ("2018-01-01", "2021-07-31")
    # Opening that hit shows its section on the day the wording took effect.
    section = _section(in_force_server, "fi.531-2017.s97@2018-01-01")
    assert section["in_force"]["date"] == "2018-01-01"
    assert section["in_force"]["wording"]["valid_to"] == "2021-07-31"
    page = httpx.get(f"{in_force_server}/", params={"q": params["q"], "date": "2020-01-01"}, timeout=60).text
    assert 'href="/osio/fi.531-2017.s97%402018-01-01' in page or 'href="/osio/fi.531-2017.s97@2018-01-01' in page
    assert "voimassa 1.1.2018–31.7.2021" in page
    bad = httpx.get(f"{in_force_server}/", params={"q": "eronneeksi", "date": "eilen"}, timeout=30)
    assert bad.status_code == 422 and "VVVV-KK-PP" in bad.text


def test_section_page_shows_the_wording_its_provenance_and_a_date_picker(in_force_server):
    page = httpx.get(f"{in_force_server}/osio/fi.531-2017.s97", timeout=30).text
    assert "voimassa 1.8.2022 alkaen" in page
    assert "718/2022, voimaan 1.8.2022" in page
    assert (
        'data-label="Laki ammatillisesta koulutuksesta (531/2017) 97 § (sellaisena kuin se on laissa 718/2022)"' in page
    )
    assert '<input type="date" id="date" name="date"' in page
    old = httpx.get(f"{in_force_server}/osio/fi.531-2017.s97", params={"date": "2021-07-31"}, timeout=30).text
    assert "voimassa 1.1.2018–31.7.2021" in old
    assert "531/2017 (alkuperäinen teksti)" in old
    # What is already enacted for later is shown too, each with its date.
    assert "Tulee voimaan 1.8.2021" in old and "Tulee voimaan 1.8.2022" in old
    assert old.index("voimassa 1.1.2018–31.7.2021") < old.index("Tulee voimaan 1.8.2021") < old.index(S97_718_M4)
    later = httpx.get(f"{in_force_server}/osio/fi.531-2017.s48", params={"date": "2025-06-01"}, timeout=30).text
    assert "Tulee voimaan 1.8.2026" in later
    bad = httpx.get(f"{in_force_server}/osio/fi.531-2017.s97", params={"date": "31.7.2021"}, timeout=30)
    assert bad.status_code == 422 and "VVVV-KK-PP" in bad.text


def test_reindex_reports_which_sections_wording_in_force_changed(tmp_path, real_embedder, embedding_cache_path):
    """A build on 2022-07-31 and a re-index on 2022-08-01: 97 § (718/2022) and 88 § (164/2022) change."""
    build(in_force_settings(tmp_path, embedding_cache_path, in_force_on="2022-07-31"), real_embedder)
    outcome = reindex(in_force_settings(tmp_path, embedding_cache_path, in_force_on="2022-08-01"), real_embedder)
    changed = {w["section"]: w for w in outcome.result.report.wordings_changed if w["in_force_changed"]}
    assert {"97", "88"} <= set(changed)
    assert "93" in changed  # 164/2022 rewrote 93 § 1, 2, 4 and 5 momentti the same day
    assert "7" in changed  # 1218/2020's parts that took effect only on 1.8.2022
    assert "44" not in changed  # its 1218/2020 momentti took effect a year earlier
