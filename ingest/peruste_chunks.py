"""Cited chunks of a peruste: per tutkinnon osa its requirements, ways of showing competence and criteria.

One document per language. A tutkinnon osa gives one chunk of ammattitaitovaatimukset, one of
ammattitaidon osoittamistavat and one per arvioinnin kohdealue, each line of the latter one
arvioinnin kohde's criteria for one grade: the citation reads
``Autoalan perustutkinto (OPH-2762-2017) › Huolto- ja korjaustyöt (105708) › Arviointi ›
1. Työprosessien hallinta``, and the page cites one kohde and grade
(:func:`criterion_label`). The general chapters are one chunk each. ``section_key`` links the
Finnish and Swedish texts of the same part.
"""

from __future__ import annotations

import re

from .eperusteet import Area, Peruste, Unit
from .models import Chunk, Citation, Document
from .tokens import TokenCounter, estimate_tokens

WORDS = {
    "fi": {
        "vaatimukset": "Ammattitaitovaatimukset",
        "tavoitteet": "Tavoitteet",
        "sisalto": "Keskeinen sisältö",
        "laaja-alainen": "Laaja-alainen osaaminen",
        "muut": "Muut tiedot",
        "osaamistavoitteet": "Osaamistavoitteet",
        "osoittaminen": "Ammattitaidon osoittamistavat",
        "arviointi": "Arviointi",
        "kuvaus": "Kuvaus",
        "issuer": "Opetushallitus",
    },
    "sv": {
        "vaatimukset": "Krav på yrkesskicklighet",
        "tavoitteet": "Mål",
        "sisalto": "Centralt innehåll",
        "laaja-alainen": "Mångsidig kompetens",
        "muut": "Övriga uppgifter",
        "osaamistavoitteet": "Mål för kunnandet",
        "osoittaminen": "Sätt att visa yrkesskicklighet",
        "arviointi": "Bedömning",
        "kuvaus": "Beskrivning",
        "issuer": "Utbildningsstyrelsen",
    },
}
#: What a unit's requirements are called: a TUVA koulutuksen osa has goals and contents, an osa-alue
#: of a yhteinen tutkinnon osa osaamistavoitteet, a tutkinnon osa ammattitaitovaatimukset.
REQUIREMENTS = {"koulutuksen osa": "tavoitteet", "osa-alue": "osaamistavoitteet"}
API_URL = "https://eperusteet.opintopolku.fi/eperusteet-service/api/external/peruste/{id}"


def peruste_slug(diaarinumero: str) -> str:
    """``OPH-2762-2017`` → ``oph-2762-2017``; ``79/011/2014`` → ``79-011-2014`` (id- and URL-safe)."""
    return re.sub(r"[^a-z0-9]+", "-", diaarinumero.lower()).strip("-")


def peruste_title(peruste: Peruste, lang: str) -> str:
    """``Autoalan perustutkinto (OPH-2762-2017)``."""
    name = peruste.name.get(lang) or peruste.name.get("fi") or peruste.diaarinumero
    return f"{name} ({peruste.diaarinumero})"


def unit_title(unit: Unit, lang: str) -> str:
    """``Huolto- ja korjaustyöt (105708)``; an osa-alue without its tutkinnon osa's code."""
    name = unit.name.get(lang) or unit.name.get("fi") or unit.code
    return name if unit.kind == "osa-alue" else f"{name} ({unit.code})"


def criterion_label(peruste: Peruste, unit: Unit, target: str, grade: str, lang: str) -> str:
    """The citation of one arvioinnin kohde's criteria for one grade."""
    parts = (peruste_title(peruste, lang), unit_title(unit, lang), WORDS[lang]["arviointi"], target, grade)
    return " › ".join(parts)


def area_lines(area: Area, lang: str) -> list[str]:
    """One line per arvioinnin kohde and grade: ``Työn kokonaisuuden hallinta — hyvä H3: Opiskelija …; …``."""
    lines: list[str] = []
    for target in area.targets:
        heading = target.heading.get(lang, "")
        lead = target.lead.get(lang, "")
        for grade in target.grades:
            criteria = grade.criteria.get(lang) or ()
            if not criteria:
                continue
            body = "; ".join(criteria)
            head = f"{heading} — " if heading else ""
            lines.append(f"{head}{grade.name.get(lang, grade.code)}: {lead + ' ' if lead else ''}{body}")
    return lines


_CRITERION_RE = re.compile(r"^(?:(?P<target>.+?) — )?(?P<grade>[^:—]{1,40}): ")


def criterion_parts(paragraph: str) -> list[str]:
    """The kohde and grade an :func:`area_lines` paragraph names: ["Työn kokonaisuuden hallinta", "hyvä H3"]; [] for others."""
    match = _CRITERION_RE.match(paragraph)
    if match is None:
        return []
    return [p for p in (match.group("target"), match.group("grade")) if p]


def peruste_to_documents(
    peruste: Peruste, *, max_tokens: int | None = 512, count_tokens: TokenCounter = estimate_tokens
) -> list[Document]:
    """One document per language the peruste has, its chunks in the peruste's order."""
    docs = [_document(peruste, lang, max_tokens, count_tokens) for lang in peruste.langs]
    return [d for d in docs if d.chunks]


def _document(peruste: Peruste, lang: str, max_tokens: int | None, count_tokens: TokenCounter) -> Document:
    slug = peruste_slug(peruste.diaarinumero)
    words = WORDS.get(lang, WORDS["fi"])
    doc_id = f"{lang}.peruste-{slug}"
    title = peruste_title(peruste, lang)
    url = API_URL.format(id=peruste.id)
    chunks: list[Chunk] = []

    def add(key: str, path: tuple[str, ...], text: str, unit: str | None) -> None:
        if not text.strip():
            return
        label = " › ".join((title, *path))
        citation = Citation(
            doc_id=doc_id,
            doc_title=peruste.name.get(lang) or peruste.diaarinumero,
            kind="peruste",
            lang=lang,
            label=label,
            heading_path=path,
            url=url,
            # One key per unit: the section view shows a whole tutkinnon osa; fi and sv share it.
            section_key=f"peruste-{slug}.{key.split('.', 1)[0]}",
            order=len(chunks),
            issuer=words["issuer"],
            peruste=peruste.diaarinumero,
            unit=unit,
            valid_from=peruste.valid_from,
            valid_until=peruste.valid_to,
            transition_until=peruste.transition_until,
        )
        for n, part in enumerate(_split(text, label, max_tokens, count_tokens)):
            suffix = f".{n + 1}" if n else ""
            chunks.append(Chunk(f"{doc_id}.{key}{suffix}", part, citation, label, count_tokens(f"{label}\n{part}")))

    seen: dict[str, int] = {}
    for unit in peruste.units:
        head = unit_title(unit, lang)
        path: tuple[str, ...] = (head,)
        if unit.parent is not None:
            parent = next((u for u in peruste.units if u.code == unit.parent), None)
            path = ((unit_title(parent, lang),) if parent else ()) + (head,)
        key = f"u{peruste_slug(unit.code)}"
        # A unit listed twice, or codes that differ only in case ("AI", "ai"), keep ids apart.
        seen[key] = seen.get(key, 0) + 1
        if seen[key] > 1:
            key = f"{key}-{seen[key]}"
        owner = unit.parent or unit.code
        requirements = words[REQUIREMENTS.get(unit.kind, "vaatimukset")]
        add(f"{key}.kuvaus", (*path, words["kuvaus"]), unit.description.get(lang, ""), owner)
        add(f"{key}.vaatimukset", (*path, requirements), unit.requirements.get(lang, ""), owner)
        add(f"{key}.osoittaminen", (*path, words["osoittaminen"]), unit.demonstration.get(lang, ""), owner)
        for part in unit.parts:
            text = part.text.get(lang, "")
            if part.key in words:
                where: tuple[str, ...] = (words[part.key],)
                # keskeinenSisalto's Finnish HTML opens with its own heading.
                if text.split("\n", 1)[0].strip() == where[0]:
                    text = text.split("\n", 1)[1] if "\n" in text else ""
            else:
                # A TELMA osaamistavoite under its own name; ePerusteet leaves some unnamed, or named
                # only "Mål för kunnandet", in one language.
                name = part.title.get(lang, "")
                where = (
                    words["osaamistavoitteet"],
                    *((name,) if name and name != words["osaamistavoitteet"] else ()),
                )
            add(f"{key}.{part.key}", (*path, *where), text, owner)
        for n, area in enumerate(unit.assessment, 1):
            heading = area.heading.get(lang) or str(n)
            # One paragraph per kohde and grade, so the page cites each down to the grade.
            add(f"{key}.arviointi{n}", (*path, words["arviointi"], heading), "\n\n".join(area_lines(area, lang)), owner)
    for chapter in peruste.chapters:
        add(f"c{chapter.id}", chapter.path.get(lang) or (), chapter.text.get(lang, ""), None)
    return Document(
        id=doc_id,
        title=title,
        kind="peruste",
        lang=lang,
        source_path=peruste.source_path,
        url=url,
        issuer=words["issuer"],
        chunks=tuple(chunks),
        valid_from=peruste.valid_from,
    )


def _split(text: str, context: str, max_tokens: int | None, count_tokens: TokenCounter) -> list[str]:
    """Whole lines, as few runs as fit the token limit (a single long line stays whole)."""
    if max_tokens is None or count_tokens(f"{context}\n{text}") <= max_tokens:
        return [text]
    sep = "\n\n" if "\n\n" in text else "\n"
    runs: list[str] = []
    current: list[str] = []
    for line in text.split(sep):
        trial = sep.join([*current, line])
        if current and count_tokens(f"{context}\n{trial}") > max_tokens:
            runs.append(sep.join(current))
            current = [line]
        else:
            current.append(line)
    if current:
        runs.append(sep.join(current))
    return runs
