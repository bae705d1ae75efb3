"""The ePerusteet reader and its chunks, with exact expected texts from each of the seven real perusteet."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ingest.eperusteet import read_peruste
from ingest.errors import SourceFormatError
from ingest.peruste_chunks import criterion_label, criterion_parts, peruste_to_documents
from tests.paths import REPO

FOLDER = REPO.parent / "shared" / "corpus" / "eperusteet"
PERUSTE = FOLDER / "peruste"


def _read(name: str):
    path = PERUSTE / name
    if not path.exists():
        pytest.skip(f"shared ePerusteet corpus not found at {FOLDER}")
    return read_peruste(path)


def _unit(peruste, code: str):
    return next(u for u in peruste.units if u.code == code)


def test_autoalan_perustutkinto_reform_format_criteria_by_grade():
    p = _read("OPH-2762-2017_autoalan-perustutkinto.json")
    assert (p.diaarinumero, p.id, p.format, p.langs) == ("OPH-2762-2017", "3397336", "reformi", ("fi", "sv"))
    assert (p.valid_from, p.valid_to, p.transition_until) == ("2018-08-01", None, None)
    unit = _unit(p, "105708")
    assert (unit.name["fi"], unit.name["sv"], unit.laajuus) == (
        "Huolto- ja korjaustyöt",
        "Service- och reparationsarbeten",
        30.0,
    )
    assert unit.demonstration["fi"] == (
        "Opiskelija osoittaa ammattitaitonsa näytössä tekemällä huolto- ja korjaustöitä ajoneuvokorjaamossa. "
        "Siltä osin kuin tutkinnon osassa vaadittua ammattitaitoa ei voida arvioida näytön perusteella, "
        "ammattitaidon osoittamista täydennetään yksilöllisesti muilla tavoin."
    )
    assert unit.requirements["fi"].split("\n")[:3] == [
        "Opiskelija osaa",
        "hoitaa asiakaspalvelutilanteen ottaen huomioon moottoriajoneuvojen korjausehdot ja autoalan keskeisen "
        "lainsäädännön vaikutukset omassa työssään",
        "neuvoa asiakasta auton teknisissä ongelmissa",
    ]
    area = unit.assessment[0]
    target = area.targets[0]
    assert (area.heading["fi"], target.heading["fi"], target.lead["fi"]) == (
        "1. Työprosessien hallinta",
        "Työn kokonaisuuden hallinta",
        "Opiskelija",
    )
    # Codes 6 and 8 (T2, H4) are empty in the reform scale and left out.
    assert [(g.code, g.name["fi"], g.criteria["fi"]) for g in target.grades] == [
        (
            "5",
            "tyydyttävä T1",
            (
                "suunnittelee ja tekee ohjattuna työprosessiin kuuluvat työvaiheet",
                "noudattaa työaikoja ja toimii ohjattuna ohjeiden mukaisesti",
            ),
        ),
        (
            "7",
            "hyvä H3",
            (
                "suunnittelee annettujen ohjeiden mukaan työprosessin ja toteuttaa sen pääsääntöisesti itsenäisesti",
                "noudattaa työaikoja ja annettuja ohjeita",
            ),
        ),
        (
            "9",
            "kiitettävä K5",
            (
                "suunnittelee ja toteuttaa työprosessin itsenäisesti",
                "noudattaa työaikoja ja suunnitelmia sekä neuvottelee mahdollisista poikkeamista",
            ),
        ),
    ]
    assert criterion_label(p, unit, target.heading["fi"], "hyvä H3", "fi") == (
        "Autoalan perustutkinto (OPH-2762-2017) › Huolto- ja korjaustyöt (105708) › Arviointi › "
        "Työn kokonaisuuden hallinta › hyvä H3"
    )


def test_autoalan_chunks_cite_the_tutkinnon_osa_and_link_the_languages():
    p = _read("OPH-2762-2017_autoalan-perustutkinto.json")
    fi, sv = peruste_to_documents(p)
    assert (fi.id, sv.id, fi.kind) == ("fi.peruste-oph-2762-2017", "sv.peruste-oph-2762-2017", "peruste")
    chunk = next(c for c in fi.chunks if c.id == "fi.peruste-oph-2762-2017.u105708.arviointi1")
    assert chunk.citation.label == (
        "Autoalan perustutkinto (OPH-2762-2017) › Huolto- ja korjaustyöt (105708) › Arviointi › 1. Työprosessien hallinta"
    )
    assert chunk.text.split("\n\n")[1] == (
        "Työn kokonaisuuden hallinta — hyvä H3: Opiskelija suunnittelee annettujen ohjeiden mukaan työprosessin ja "
        "toteuttaa sen pääsääntöisesti itsenäisesti; noudattaa työaikoja ja annettuja ohjeita"
    )
    assert (chunk.citation.peruste, chunk.citation.unit) == ("OPH-2762-2017", "105708")
    # The unit's chunks share one key in both languages: the page shows the whole tutkinnon osa.
    unit = [c.id for c in fi.chunks if c.citation.section_key == chunk.citation.section_key]
    assert unit[:3] == [
        "fi.peruste-oph-2762-2017.u105708.vaatimukset",
        "fi.peruste-oph-2762-2017.u105708.osoittaminen",
        "fi.peruste-oph-2762-2017.u105708.arviointi1",
    ]
    twin = next(c for c in sv.chunks if c.id == chunk.id.replace("fi.", "sv.", 1))
    assert twin.citation.section_key == chunk.citation.section_key
    assert twin.citation.label == (
        "Grundexamen inom bilbranschen (OPH-2762-2017) › Service- och reparationsarbeten (105708) › Bedömning › "
        "Behärskande av arbetsprocessen"
    )


def test_puuteollisuuden_perustutkinto_and_its_yhteiset_osa_alueet():
    p = _read("OPH-2455-2017_puuteollisuuden-perustutkinto.json")
    unit = _unit(p, "105447")
    assert (unit.name["fi"], unit.laajuus) == ("Sahatavaran kuivaus ja jälkikäsittely", 20.0)
    assert (
        unit.assessment[1].heading["fi"]
        == "Opiskelija valvoo kuivausprosessia prosessinohjauksen automaatiojärjestelmällä."
    )
    assert unit.assessment[0].targets[0].grades[0].criteria["fi"][0] == (
        "perehtyy työtehtäväänsä ja suunnittelee työjärjestyksen annettujen ohjeiden mukaan ja ottaen huomioon työturvallisuuden"
    )
    areas = [u for u in p.units if u.kind == "osa-alue"]
    assert len(areas) == 20 and areas[0].parent == "400012"


def test_an_osa_alue_is_read_by_its_goal_sets_with_criteria_by_grade():
    p = _read("OPH-2762-2017_autoalan-perustutkinto.json")
    area = _unit(p, "400012.VVAI")
    assert (area.kind, area.parent, area.name["fi"]) == (
        "osa-alue",
        "400012",
        "Viestintä ja vuorovaikutus äidinkielellä, suomi",
    )
    assert area.requirements["fi"].split("\n")[:3] == [
        "Pakolliset osaamistavoitteet (4 osp)",
        "Opiskelija osaa",
        "toimia tarkoituksenmukaisesti erilaisissa vuorovaikutustilanteissa",
    ]
    assert area.requirements["sv"].startswith("Obligatoriska mål för kunnandet (4 kp)\nDen studerande kan\n")
    assert [a.heading["fi"] for a in area.assessment] == [
        "Pakolliset osaamistavoitteet (4 osp)",
        "Valinnaiset osaamistavoitteet (3 osp)",
    ]
    target = area.assessment[0].targets[0]
    assert (target.heading["fi"], target.lead["fi"]) == (
        "Opiskelija toimii tarkoituksenmukaisesti erilaisissa vuorovaikutustilanteissa.",
        "Opiskelija",
    )
    assert [g.name["fi"] for g in target.grades] == ["tyydyttävä T1", "hyvä H3", "kiitettävä K5"]
    assert target.grades[1].criteria["fi"][0] == "viestii sujuvasti erilaisissa vuorovaikutustilanteissa"
    chunk = next(
        c for c in peruste_to_documents(p)[0].chunks if c.id == "fi.peruste-oph-2762-2017.u400012-vvai.arviointi1"
    )
    assert chunk.citation.label == (
        "Autoalan perustutkinto (OPH-2762-2017) › Viestintä- ja vuorovaikutusosaaminen (400012) › "
        "Viestintä ja vuorovaikutus äidinkielellä, suomi › Arviointi › Pakolliset osaamistavoitteet (4 osp)"
    )
    assert (chunk.citation.unit, chunk.citation.section_key) == ("400012", "peruste-oph-2762-2017.u400012-vvai")
    assert chunk.text.startswith(
        "Opiskelija toimii tarkoituksenmukaisesti erilaisissa vuorovaikutustilanteissa. — tyydyttävä T1: "
        "Opiskelija viestii vuorovaikutustilanteessa tilanteen mukaisella tavalla; "
    )
    # The page cites each paragraph down to its kohde and grade.
    assert criterion_parts(chunk.text.split("\n\n")[1]) == [
        "Opiskelija toimii tarkoituksenmukaisesti erilaisissa vuorovaikutustilanteissa.",
        "hyvä H3",
    ]


def test_a_2014_osa_alue_names_each_goal_set_by_its_language_variant():
    p = _read("79-011-2014_sosiaali-ja-terveysalan-perustutkinto.json")
    area = _unit(p, "101053.AI")
    assert area.name == {"fi": "Äidinkieli", "sv": "Modersmålet"}
    assert [a.heading["fi"] for a in area.assessment[:3]] == [
        "Äidinkieli, suomi – Pakolliset osaamistavoitteet (5 osp)",
        "Äidinkieli, suomi – Valinnaiset osaamistavoitteet (3 osp)",
        "Äidinkieli, saame – Pakolliset osaamistavoitteet (5 osp)",
    ]
    assert area.assessment[0].heading["sv"] == "Modersmålet, finska – Obligatoriska mål för kunnandet (5 kp)"
    target = area.assessment[0].targets[0]
    assert target.heading["fi"] == "Viestintä- ja vuorovaikutustilanteissa toimiminen"
    assert target.grades[0].name["fi"] == "tyydyttävä T1"
    assert target.grades[0].criteria["fi"][:2] == (
        "ilmaisee asiallisesti mielipiteensä yhteistyö- ja ryhmätilanteissa",
        "osallistuu keskusteluun käyttämällä puheenvuoroja",
    )


def test_the_2014_format_is_read_with_its_own_scale():
    p = _read("79-011-2014_sosiaali-ja-terveysalan-perustutkinto.json")
    assert (p.diaarinumero, p.format) == ("79/011/2014", "2014")
    target = _unit(p, "101050").assessment[0].targets[0]
    assert target.heading["fi"] == "Oman työn suunnittelu ja suunnitelmien tekeminen"
    assert [(g.name["fi"], g.criteria["fi"]) for g in target.grades] == [
        ("tyydyttävä T1", ("kartoittaa opastettuna yritystoiminnan suunnittelun ja toteutuksen eri vaiheet",)),
        (
            "hyvä H2",
            (
                "kartoittaa yritystoiminnan suunnittelun ja toteutuksen eri vaiheet ja toimii oma-aloitteisesti ja vastuullisesti",
            ),
        ),
        (
            "kiitettävä K3",
            (
                "kartoittaa yritystoiminnan suunnittelun ja toteutuksen eri vaiheet innovatiivisesti ja toimii "
                "oma-aloitteisesti ja vastuullisesti",
            ),
        ),
    ]
    assert p.chapters[0].path["fi"] == ("Sosiaali- ja terveysalan perustutkintoa koskevia erityismääräyksiä",)


def test_an_ammattitutkinto_is_assessed_hyvaksytty_and_its_validity_read():
    p = _read("OPH-2487-2018_elaintenhoidon-ammattitutkinto.json")
    assert (p.valid_from, p.valid_to, p.transition_until) == ("2019-01-01", "2025-07-31", "2028-07-31")
    unit = _unit(p, "201494")
    target = unit.assessment[0].targets[0]
    assert target.heading["fi"] == "Eläinsuojelusäädösten huomioiminen"
    assert [(g.name["fi"], g.name["sv"]) for g in target.grades] == [("hyväksytty", "godkänd")]
    assert target.grades[0].criteria["fi"][0] == (
        "toimii työssään voimassa olevan eläinsuojelulainsäädännön mukaisesti ja tuntee lainsäädännön keskeiset asiat"
    )
    liikunta = _read("OPH-1161-2018_liikunnan-ja-valmennuksen-ammattitutkinto.json")
    assert (liikunta.valid_to, liikunta.transition_until) == ("2026-07-31", "2028-07-31")
    assert _unit(liikunta, "200791").name["fi"] == "Lasten liikunnan edistäminen"


def test_tuva_koulutuksen_osat_and_telma_contents():
    tuva = _read("OPH-1488-2021_tuva.json")
    assert tuva.format == "tuva"
    assert [(u.code, u.name["fi"], u.laajuus) for u in tuva.units][:2] == [
        ("101", "Opiskelu- ja urasuunnittelutaidot", 10.0),
        ("107", "Perustaitojen vahvistaminen", 30.0),
    ]
    assert tuva.units[0].requirements["fi"].split("\n")[:2] == [
        "asettaa ja arvioi oman elämänsä tavoitteita ja toiveita",
        "osaa kuvata itseänsä oppijana ja opiskelijana",
    ]
    assert [part.key for part in tuva.units[0].parts] == ["sisalto", "laaja-alainen", "arviointi"]
    chunks = [c for c in peruste_to_documents(tuva)[0].chunks if ".u101." in c.id]
    assert [c.citation.label.rsplit(" › ", 1)[1] for c in chunks] == [
        "Kuvaus",
        "Tavoitteet",
        "Keskeinen sisältö",
        "Laaja-alainen osaaminen",
        "Arviointi",
    ]
    assert chunks[2].text.split("\n")[:2] == [  # the HTML's own "Keskeinen sisältö" heading left out
        "Opiskelutaidot",
        "Tutustuminen jatko-opintoihin ja suomalaiseen koulutusjärjestelmään",
    ]
    assert chunks[4].text.startswith(
        "Koulutuksen osa katsotaan hyväksytysti suoritetuksi, kun opiskelija on saavuttanut hänelle "
        "henkilökohtaisessa opiskelusuunnitelmassa asetetut tavoitteet."
    )
    sv = [c.citation.label.rsplit(" › ", 1)[1] for c in peruste_to_documents(tuva)[1].chunks if ".u101." in c.id]
    assert sv == ["Beskrivning", "Mål", "Centralt innehåll", "Mångsidig kompetens", "Bedömning"]
    telma = _read("OPH-2659-2017_telma.json")
    assert [u.code for u in telma.units] == ["400005", "400006", "400007"]
    goals = telma.units[0].parts
    assert [g.title["fi"] for g in goals][:3] == [
        "Liikunta, liikkuminen ja motoriset taidot",
        "Itsetuntemus ja sosiaaliset taidot",
        "Arjen käytännön taidot",
    ]
    assert goals[0].text["fi"].split("\n")[1:3] == [
        "Opiskelija",
        "omaksuu liikunnan osaksi terveellisiä ja aktiivisia elämäntapojaan sekä ymmärtää liikunnan merkityksen "
        "toiminta- ja työkyvylle",
    ]
    labels = {c.id: c.citation.label for d in peruste_to_documents(telma) for c in d.chunks}
    assert labels["fi.peruste-oph-2659-2017.u400005.tavoite3"].endswith(
        "› Ammatillisen toimintakyvyn vahvistaminen (400005) › Osaamistavoitteet › Arjen käytännön taidot"
    )
    # ePerusteet names this goal only in Swedish, and only "Mål för kunnandet": the heading alone is cited.
    assert labels["fi.peruste-oph-2659-2017.u400007.tavoite1"].endswith("(400007) › Osaamistavoitteet")
    assert labels["sv.peruste-oph-2659-2017.u400007.tavoite1"].endswith("(400007) › Mål för kunnandet")


def test_a_file_that_is_not_a_peruste_or_of_another_format_is_refused_by_name(tmp_path: Path):
    not_found = FOLDER / "api-samples" / "eperusteet-service_api_tutkinnonosat_not_found.json"
    if not not_found.exists():
        pytest.skip("shared ePerusteet samples not found")
    with pytest.raises(SourceFormatError, match="not an ePerusteet peruste") as info:
        read_peruste(not_found)
    assert "not_found.json" in str(info.value)
    other = tmp_path / "other.json"
    other.write_text(
        json.dumps({"diaarinumero": "X-1-2020", "nimi": {"fi": "X"}, "suoritustavat": [{"suoritustapakoodi": "uusi"}]})
    )
    with pytest.raises(SourceFormatError, match=r"suoritustavat \['uusi'\] not read"):
        read_peruste(other)
    broken = tmp_path / "broken.json"
    broken.write_text('{"diaarinumero": ')
    with pytest.raises(SourceFormatError, match="malformed JSON"):
        read_peruste(broken)
