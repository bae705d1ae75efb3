"""Reader for OPH's ePerusteet qualification requirements: ``GET /api/external/peruste/{id}`` JSON.

A peruste (tutkinnon perusteet, or a TUVA/TELMA koulutuksen perusteet) becomes plain data: its
units — tutkinnon osat with their ammattitaitovaatimukset, ammattitaidon osoittamistavat and
arviointikriteerit per arvioinnin kohde and grade, the yhteiset tutkinnon osat's osa-alueet,
TUVA's koulutuksen osat, TELMA's contents — and its general chapters, in every language it has.
Both formats are read: the reform one (suoritustapa ``reformi``) and the 2014 one (``naytto`` /
``ops``); the tutkinnon osa structure is the same in both. HTML fragments become clean text
(selectolax): one line per paragraph or list item.

Grades come as ePerusteet's osaamistaso ids; :data:`GRADES` names them as ePerusteet's own
arviointiasteikot do (docs/ingest.md, "ePerusteet": the asteikko definitions and where they are
from).
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .errors import SourceFormatError
from .text import strip_controls

logger = logging.getLogger(__name__)

LANGS = ("fi", "sv")

#: osaamistaso id → grade name, as ePerusteet's arviointiasteikot define them (its database
#: migration and UI tests: asteikko 1 "hyväksytty" for ammattitutkinnot; asteikko 2 T1 / H2 / K3
#: for 2014 perustutkinnot; asteikko 3 T1 T2 H3 H4 K5 for reform perustutkinnot, which fill only
#: T1, H3 and K5). ePerusteet has no Swedish names of its own (its Swedish texts are placeholders),
#: so Swedish gives the grade on the scale 1–5 of 673/2017 11 § (sv "skalan 1–5", "godkänd").
GRADES: dict[str, dict[str, str]] = {
    "1": {"fi": "hyväksytty", "sv": "godkänd"},
    "2": {"fi": "tyydyttävä T1", "sv": "1 (T1)"},
    "3": {"fi": "hyvä H2", "sv": "2 (H2)"},
    "4": {"fi": "kiitettävä K3", "sv": "3 (K3)"},
    "5": {"fi": "tyydyttävä T1", "sv": "1 (T1)"},
    "6": {"fi": "tyydyttävä T2", "sv": "2 (T2)"},
    "7": {"fi": "hyvä H3", "sv": "3 (H3)"},
    "8": {"fi": "hyvä H4", "sv": "4 (H4)"},
    "9": {"fi": "kiitettävä K5", "sv": "5 (K5)"},
}
_BLOCK_TAGS = {"p", "li", "h1", "h2", "h3", "h4", "h5", "h6", "td", "th", "dt", "dd", "caption", "pre"}
_WS_RE = re.compile(r"\s+")


@dataclass(frozen=True)
class Grade:
    """The criteria of one grade of one arvioinnin kohde."""

    code: str  # osaamistaso id, "7"
    name: dict[str, str]  # {"fi": "hyvä H3", "sv": "goda G3"}
    criteria: dict[str, tuple[str, ...]]  # per language, one string per kriteeri


@dataclass(frozen=True)
class Target:
    """An arvioinnin kohde: its heading, the lead ("Opiskelija"), and its criteria by grade."""

    heading: dict[str, str]
    lead: dict[str, str]
    grades: tuple[Grade, ...]


@dataclass(frozen=True)
class Area:
    """An arvioinnin kohdealue ("1. Työprosessien hallinta") and its kohteet."""

    heading: dict[str, str]
    targets: tuple[Target, ...]


@dataclass(frozen=True)
class Part:
    """A named text of a unit besides its requirements: a TUVA osa's keskeinen sisältö, a TELMA osaamistavoite.

    ``title`` is the part's own name from the JSON (a TELMA osaamistavoite's); without one the
    chunker names the part by its ``key``.
    """

    key: str  # "sisalto", "laaja-alainen", "arviointi", "muut", "tavoite1"
    text: dict[str, str]
    title: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Unit:
    """A tutkinnon osa, an osa-alue of one, or a TUVA koulutuksen osa."""

    code: str  # "105708" (koodiArvo), TUVA "101"
    kind: str  # tutkinnon osa | osa-alue | koulutuksen osa
    name: dict[str, str]
    laajuus: float | None = None
    requirements: dict[str, str] = field(default_factory=dict)  # ammattitaitovaatimukset / tavoitteet
    demonstration: dict[str, str] = field(default_factory=dict)  # ammattitaidon osoittamistavat
    description: dict[str, str] = field(default_factory=dict)  # other texts (kuvaus, TELMA sisältö)
    assessment: tuple[Area, ...] = ()
    parent: str | None = None  # an osa-alue's tutkinnon osa code
    parts: tuple[Part, ...] = ()  # named texts: a TUVA osa's contents and assessment, TELMA's osaamistavoitteet


@dataclass(frozen=True)
class Chapter:
    """A general chapter (suoritustavan sisältö): its heading path and text per language."""

    id: str
    path: dict[str, tuple[str, ...]]
    text: dict[str, str]


@dataclass(frozen=True)
class Peruste:
    """One peruste as read from its external JSON."""

    id: str
    diaarinumero: str
    name: dict[str, str]
    langs: tuple[str, ...]
    koulutustyyppi: str
    format: str  # reformi | 2014 | tuva
    valid_from: str | None  # voimassaoloAlkaa, ISO
    valid_to: str | None  # voimassaoloLoppuu
    transition_until: str | None  # siirtymaPaattyy
    units: tuple[Unit, ...]
    chapters: tuple[Chapter, ...]
    source_path: str = ""


def html_text(fragment: str | None) -> str:
    """An HTML fragment as text: one line per paragraph or list item, whitespace collapsed."""
    if not fragment:
        return ""
    from selectolax.lexbor import LexborHTMLParser

    tree = LexborHTMLParser(f"<div>{fragment}</div>")
    root = tree.body
    if root is None:
        return ""
    lines: list[str] = []
    for node in root.traverse(include_text=False):
        if node.tag in _BLOCK_TAGS and not any(p.tag in _BLOCK_TAGS for p in _ancestors(node)):
            text = _clean(node.text(separator=" "))
            if text:
                lines.append(text)
    if not lines:
        text = _clean(root.text(separator=" "))
        return text
    return "\n".join(lines)


def _ancestors(node: Any) -> Iterator[Any]:
    parent = node.parent
    while parent is not None:
        yield parent
        parent = parent.parent


def _clean(text: str | None) -> str:
    return _WS_RE.sub(" ", strip_controls(text or "").replace("\u00a0", " ")).strip()


def _texts(value: Any, html: bool = True) -> dict[str, str]:
    """A {fi, sv} object as {lang: text}; missing or empty languages left out."""
    if not isinstance(value, dict):
        return {}
    out = {}
    for lang in LANGS:
        raw = value.get(lang)
        if isinstance(raw, str):
            text = html_text(raw) if html else _clean(raw)
            if text:
                out[lang] = text
    return out


def _date(ms: Any) -> str | None:
    if not isinstance(ms, (int, float)):
        return None
    # ePerusteet gives midnight Finnish time as epoch milliseconds: read the date in Finland.
    return (dt.datetime.fromtimestamp(ms / 1000, dt.timezone.utc) + dt.timedelta(hours=3)).date().isoformat()


def _assessment(arviointi: Any) -> tuple[Area, ...]:
    if not isinstance(arviointi, dict):
        return ()
    areas: list[Area] = []
    for area in arviointi.get("arvioinninKohdealueet") or []:
        targets: list[Target] = []
        for kohde in area.get("arvioinninKohteet") or []:
            grades: list[Grade] = []
            for level in kohde.get("osaamistasonKriteerit") or []:
                code = str(level.get("_osaamistaso") or (level.get("osaamistaso") or {}).get("id") or "")
                criteria = {
                    lang: tuple(t for k in level.get("kriteerit") or [] if (t := _clean(k.get(lang)))) for lang in LANGS
                }
                if not any(criteria.values()):
                    continue  # T2 and H4 of the reform scale are left empty
                name = GRADES.get(code) or _texts((level.get("osaamistaso") or {}).get("otsikko"), html=False)
                grades.append(Grade(code, dict(name) or {"fi": code, "sv": code}, criteria))
            grades.sort(key=lambda g: int(g.code) if g.code.isdigit() else 0)
            targets.append(
                Target(_texts(kohde.get("otsikko"), False), _texts(kohde.get("selite"), False), tuple(grades))
            )
        areas.append(Area(_texts(area.get("otsikko"), False), tuple(targets)))
    return tuple(areas)


def _generic_text(value: Any, lang: str) -> list[str]:
    """Every text of one language inside a JSON value, in order (for structures read only as text)."""
    out: list[str] = []
    if isinstance(value, dict):
        if isinstance(value.get(lang), str):
            text = html_text(value[lang])
            if text:
                out.append(text)
            return out
        for key, child in value.items():
            if key not in ("_id", "_tunniste", "id", "koodi", "nimiKoodi", "koodiUri", "arvo", "uri"):
                out.extend(_generic_text(child, lang))
    elif isinstance(value, list):
        for child in value:
            out.extend(_generic_text(child, lang))
    return out


def _all_texts(value: Any) -> dict[str, str]:
    """Every text inside a JSON value, a line each, per language (languages without any left out)."""
    return {lang: t for lang in LANGS if (t := "\n".join(_generic_text(value, lang)))}


def _tutkinnon_osa(data: dict) -> list[Unit]:
    code = str(data.get("koodiArvo") or (data.get("koodi") or {}).get("arvo") or data.get("id"))
    name = _texts(data.get("nimi"), False)
    description = _texts(data.get("kuvaus"))
    parts: list[Part] = []
    telma = data.get("valmaTelmaSisalto")
    if isinstance(telma, dict):
        parts = _telma_goals(telma)
    laajuus = data.get("laajuus")
    units = [
        Unit(
            code=code,
            kind="tutkinnon osa",
            name=name,
            laajuus=float(laajuus) if isinstance(laajuus, (int, float)) else None,
            requirements=_texts(data.get("ammattitaitovaatimukset")),
            demonstration=_texts(data.get("ammattitaidonOsoittamistavat")),
            description=description,
            assessment=_assessment(data.get("arviointi")),
            parts=tuple(parts),
        )
    ]
    for area in data.get("osaAlueet") or []:
        units.append(_osa_alue(area, code))
    return units


#: Headings of an osa-alue's goal sets, as the perusteet's own texts name them ("pakolliset
#: osaamistavoitteet", sv "de obligatoriska målen för kunnandet"), and the unit of laajuus.
GOAL_SETS: dict[str, tuple[str, str, str]] = {
    "fi": ("Pakolliset osaamistavoitteet", "Valinnaiset osaamistavoitteet", "osp"),
    "sv": ("Obligatoriska mål för kunnandet", "Valbara mål för kunnandet", "kp"),
}


def goal_heading(goal: dict, lang: str) -> str:
    """``Äidinkieli, suomi – Pakolliset osaamistavoitteet (5 osp)``: an osaamistavoite's name, kind and laajuus."""
    compulsory, optional, unit = GOAL_SETS[lang]
    name = _texts(goal.get("nimi"), False).get(lang, "")
    head = compulsory if goal.get("pakollinen") else optional
    laajuus = goal.get("laajuus")
    size = f" ({laajuus:g} {unit})" if isinstance(laajuus, (int, float)) else ""
    return f"{name} – {head}{size}" if name else f"{head}{size}"


def _osa_alue(area: dict, parent: str) -> Unit:
    """An osa-alue of a yhteinen tutkinnon osa: per osaamistavoite its goals and criteria by kohde and grade."""
    area_code = str((area.get("koodi") or {}).get("arvo") or area.get("koodiArvo") or area.get("id"))
    name = _texts(area.get("nimi"), False)
    goals = [g for g in area.get("osaamistavoitteet") or [] if isinstance(g, dict)]
    if not goals:
        # No osaamistavoitteet to structure by: whatever the osa-alue holds is kept as its text.
        body = {k: v for k, v in area.items() if k not in ("nimi", "koodi")}
        return Unit(f"{parent}.{area_code}", "osa-alue", name, description=_all_texts(body), parent=parent)
    requirements: dict[str, list[str]] = {lang: [] for lang in LANGS}
    assessment: list[Area] = []
    for goal in goals:
        heading = {lang: goal_heading(goal, lang) for lang in LANGS}
        for lang, text in _texts(goal.get("tavoitteet")).items():
            requirements[lang].append(f"{heading[lang]}\n{text}")
        areas = _assessment(goal.get("arviointi"))
        for area_ in areas:
            # The kohdealue headings here are ePerusteet's placeholders ("automaattinen", "Nimetön"):
            # the goal set names the criteria, with the kohdealue only when there are several.
            own = {
                lang: heading[lang]
                + (f" – {area_.heading[lang]}" if len(areas) > 1 and area_.heading.get(lang) else "")
                for lang in LANGS
            }
            assessment.append(Area(own, area_.targets))
    return Unit(
        f"{parent}.{area_code}",
        "osa-alue",
        name,
        requirements={lang: "\n\n".join(parts) for lang, parts in requirements.items() if parts},
        description=_texts(area.get("kuvaus")),
        assessment=tuple(assessment),
        parent=parent,
    )


#: A TUVA koulutuksen osa's named texts besides its kuvaus and tavoitteet, in the order shown.
KOULUTUKSEN_OSA_PARTS = (
    ("sisalto", "keskeinenSisalto"),
    ("laaja-alainen", "laajaAlaisenOsaamisenKuvaus"),
    ("arviointi", "arvioinninKuvaus"),
)
_KNOWN_KOULUTUKSEN_OSA = {"nimi", "nimiKoodi", "kuvaus", "tavoitteet", "tavoitteenKuvaus"} | {
    field for _key, field in KOULUTUKSEN_OSA_PARTS
}


def _koulutuksen_osa(data: dict) -> Unit:
    """A TUVA koulutuksen osa: kuvaus, tavoitteet, keskeinen sisältö, laaja-alainen osaaminen, arviointi."""
    code = str((data.get("nimiKoodi") or {}).get("arvo") or data.get("id"))
    goals: dict[str, list[str]] = {lang: [] for lang in LANGS}
    for lang, text in _texts(data.get("tavoitteenKuvaus")).items():
        goals[lang].append(text)
    for goal in data.get("tavoitteet") or []:
        for lang, text in _texts(goal).items():
            goals[lang].append(text)
    parts = [Part(key, _texts(data.get(name))) for key, name in KOULUTUKSEN_OSA_PARTS]
    # Fields this reader does not name are kept as text, so no content is lost when the format grows.
    rest = {k: v for k, v in data.items() if k not in _KNOWN_KOULUTUKSEN_OSA}
    parts.append(Part("muut", _all_texts(rest)))
    return Unit(
        code=code,
        kind="koulutuksen osa",
        name=_texts(data.get("nimi"), False),
        laajuus=float(data["laajuusMaksimi"]) if isinstance(data.get("laajuusMaksimi"), (int, float)) else None,
        requirements={lang: "\n".join(lines) for lang, lines in goals.items() if lines},
        description=_texts(data.get("kuvaus")),
        parts=tuple(p for p in parts if p.text),
    )


def _telma_goals(content: dict) -> list[Part]:
    """TELMA's osaamistavoitteet, one part each: its selite, then "Opiskelija" and its goals a line each."""
    parts: list[Part] = []
    for n, goal in enumerate(content.get("osaamistavoite") or [], 1):
        if not isinstance(goal, dict):
            continue
        lead, kohde = _texts(goal.get("selite")), _texts(goal.get("kohde"), False)
        items = [_texts(t) for t in goal.get("tavoitteet") or []]
        text = {}
        for lang in LANGS:
            lines = [lead.get(lang, ""), kohde.get(lang, ""), *(i.get(lang, "") for i in items)]
            if any(lines):
                text[lang] = "\n".join(line for line in lines if line)
        parts.append(Part(f"tavoite{n}", text, _texts(goal.get("nimi"), False)))
    # What the osaamistavoitteet do not hold (an assessment text, should one be filled) is kept as text.
    rest = {k: v for k, v in content.items() if k != "osaamistavoite"}
    other = _all_texts(rest)
    if other:
        parts.append(Part("muut", other))
    return parts


def _chapters(node: Any, path: dict[str, tuple[str, ...]], out: list[Chapter]) -> None:
    if not isinstance(node, dict):
        return
    osa = node.get("perusteenOsa") or {}
    names = _texts(osa.get("nimi"), False)
    here = {lang: path.get(lang, ()) + ((names[lang],) if lang in names else ()) for lang in LANGS}
    text = _texts(osa.get("teksti"))
    if text and osa.get("osanTyyppi") != "tutkinnonosa":
        out.append(Chapter(str(osa.get("id") or node.get("id")), here, text))
    for child in node.get("lapset") or []:
        _chapters(child, here, out)


def read_peruste(path: str | Path) -> Peruste:
    """Read one external peruste JSON; raises :class:`SourceFormatError` naming the file."""
    path = Path(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError as exc:
        raise SourceFormatError(path, f"not UTF-8: {exc.reason}") from exc
    except json.JSONDecodeError as exc:
        raise SourceFormatError(path, f"malformed JSON: {exc.msg} at line {exc.lineno}") from exc
    except OSError as exc:
        raise SourceFormatError(path, f"cannot read file: {exc.strerror or exc}") from exc
    if not isinstance(data, dict) or not data.get("diaarinumero") or not isinstance(data.get("nimi"), dict):
        raise SourceFormatError(path, "not an ePerusteet peruste: no diaarinumero and nimi (api/external/peruste/{id})")
    suoritustavat = [s.get("suoritustapakoodi") for s in data.get("suoritustavat") or []]
    if data.get("koulutuksenOsat"):
        kind = "tuva"
    elif "reformi" in suoritustavat:
        kind = "reformi"
    elif {"naytto", "ops"} & set(suoritustavat):
        kind = "2014"
    else:
        raise SourceFormatError(
            path,
            f"suoritustavat {suoritustavat or 'none'} not read: only 'reformi', 'naytto'/'ops' and TUVA's koulutuksenOsat",
        )
    units: list[Unit] = []
    for osa in data.get("tutkinnonOsat") or []:
        units.extend(_tutkinnon_osa(osa))
    for osa in data.get("koulutuksenOsat") or []:
        units.append(_koulutuksen_osa(osa))
    chapters: list[Chapter] = []
    seen: set[str] = set()
    for tapa in data.get("suoritustavat") or []:
        found: list[Chapter] = []
        _chapters(tapa.get("sisalto"), {}, found)
        for chapter in found:
            if chapter.id not in seen:  # the naytto and ops ways share chapters
                seen.add(chapter.id)
                chapters.append(chapter)
    langs = tuple(lang for lang in data.get("kielet") or LANGS if lang in LANGS) or ("fi",)
    return Peruste(
        id=str(data.get("id")),
        diaarinumero=str(data["diaarinumero"]),
        name=_texts(data["nimi"], False),
        langs=langs,
        koulutustyyppi=str(data.get("koulutustyyppi") or ""),
        format=kind,
        valid_from=_date(data.get("voimassaoloAlkaa")),
        valid_to=_date(data.get("voimassaoloLoppuu")),
        transition_until=_date(data.get("siirtymaPaattyy")),
        units=tuple(units),
        chapters=tuple(chapters),
        source_path=str(path),
    )
