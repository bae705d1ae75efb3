"""Tiny hand-written chunk sets shared by the tests of several packages (plain data, no fixtures)."""

from __future__ import annotations

from ingest.models import Chunk, Citation


def store_chunk(cid: str, text: str, kind: str = "laki", lang: str = "fi", statute: str = "531/2017") -> Chunk:
    citation = Citation(doc_id=f"{lang}.{statute}", doc_title="T", kind=kind, lang=lang, label=cid, statute=statute)
    return Chunk(id=cid, text=text, citation=citation)


STORE_CHUNKS = [
    store_chunk("a", "koulutussopimus työpaikalla ilman palkkaa"),
    store_chunk("b", "oppisopimus ja palkka työsuhteessa"),
    store_chunk("c", "opiskelija katsotaan eronneeksi", statute="1215/2020"),
    store_chunk("d", "utbildningsavtal på arbetsplatsen", lang="sv"),
    store_chunk("e", "ohjeen mukaan koulutussopimus tehdään kirjallisesti", kind="ohje", statute=None),
]


#: Testilaki (1/2000): three Finnish sections and one Swedish; the answer drafts quote them.
def testilaki_chunk(section: str, text: str, lang: str = "fi") -> Chunk:
    citation = Citation(
        doc_id=f"{lang}.1-2000",
        doc_title="Testilaki",
        kind="laki",
        lang=lang,
        label=f"Testilaki (1/2000) {section} §",
        statute="1/2000",
        section=section,
        section_key=f"1-2000.s{section}",
    )
    return Chunk(id=f"{lang}.1-2000.s{section}", text=text, citation=citation)


ANSWER_CHUNKS = [
    testilaki_chunk(
        "1",
        "Koulutussopimus tehdään kirjallisesti ennen koulutuksen alkua. Opiskelija ei saa palkkaa "
        "koulutussopimuksen aikana työpaikalla.\n\nTämä momentti koskee aivan muuta asiaa kuin kysymystä.",
    ),
    testilaki_chunk(
        "2",
        "Oppisopimus on määräaikainen työsopimus. Oppisopimuksessa opiskelija saa palkkaa työnantajalta "
        "työehtosopimuksen mukaan.",
    ),
    testilaki_chunk("3", "Opiskelija voi erota ilmoittamalla siitä kirjallisesti koulutuksen järjestäjälle."),
    testilaki_chunk("2", "Läroavtalet är ett visstidsanställningsavtal.", lang="sv"),
]


#: Laki ammatillisesta koulutuksesta as the web pages show it (fi and sv, one hostile text).
def web_section(
    lang: str, statute: str, section: str, text: str, chapter: str | None = "2", kind: str = "laki"
) -> Chunk:
    slug = statute.replace("/", "-")
    title = {"fi": "Laki ammatillisesta koulutuksesta", "sv": "Lag om yrkesutbildning"}[lang]
    citation = Citation(
        doc_id=f"{lang}.{slug}",
        doc_title=title,
        kind=kind,
        lang=lang,
        label=f"{title} ({statute}) {section} §",
        statute=statute,
        chapter=chapter,
        chapter_heading="Koulutuksen järjestäminen" if chapter else None,
        section=section,
        section_heading=f"Otsikko {section}",
        url=f"https://www.finlex.fi/{lang}/laki/alkup/2017/20170531",
        section_key=f"{slug}.s{section}",
    )
    return Chunk(id=f"{lang}.{slug}.s{section}", text=text, citation=citation)


WEB_CHUNKS = [
    web_section("fi", "531/2017", "70", "Työpaikalla järjestettävä koulutus perustuu koulutussopimukseen."),
    web_section("fi", "531/2017", "71", "Koulutussopimus tehdään kirjallisesti.\n\nSopimuksesta ei makseta palkkaa."),
    web_section("fi", "531/2017", "72", "Oppisopimus on kirjallinen määräaikainen työsopimus."),
    web_section("sv", "531/2017", "71", "Utbildningsavtalet ingås skriftligt."),
    web_section("fi", "1215/2020", "3", "Opiskelija katsotaan eronneeksi, jos hän on ollut poissa.", chapter=None),
    web_section("fi", "531/2017", "99", "Hostile <script>alert(1)</script> and <b>bold</b> koulutussopimus text."),
]
