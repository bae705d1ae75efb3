"""Amendment links: what an amending act changes, and from when, read from the act's own text.

An amending act says in its preamble (johtolause) which sections of which statute it amends
(``muutetaan`` / ``ändras``), repeals (``kumotaan`` / ``upphävs``) or adds (``lisätään`` /
``fogas till``), and in its entry-into-force provision (voimaantulosäännös) when — sometimes with
other dates for some sections. :func:`parse_amendment` turns both into :class:`SectionChange`
records; :func:`amendment_index` groups them by the base section they change.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable
from dataclasses import dataclass, replace

from .consolidation_model import act_key
from .finlex import Statute
from .models import Amendment

logger = logging.getLogger(__name__)

_VERBS = {
    "muutetaan": "amend",
    "kumotaan": "repeal",
    "lisätään": "add",
    "ändras": "amend",
    "upphävs": "repeal",
    "fogas till": "add",
}
_VERB_RE = re.compile(r"\b(muutetaan|kumotaan|lisätään|ändras|upphävs|fogas till)\b")
_TARGET_RE = re.compile(r"\((\d+/\d{4})\)")
# "sellaisena kuin niistä on 23 §:n 1 momentti laissa 547/2018" / "sådan den lyder i lag 1218/2020":
# names earlier amending acts, not sections this act changes, so it is cut before reading sections.
_AS_WORDED_RE = re.compile(
    r"(?:,\s*)?(?:sellaisen[a-z]*|sellaisin[a-z]*|av dem|sådan[a-z]*)\b.*?"
    r"(?=,\s*(?:sekä|ja|samt|och|uusi|ett nytt|en ny|nya|seuraavasti|som följer)\b|\s+seuraavasti|\s+som följer|$)",
    re.DOTALL,
)
_NUM = r"\d+(?:\s?[a-z](?![a-zåäö]))?"
_SEP = r"(?:\s*,\s*|\s+ja\s+|\s+sekä\s+|\s+och\s+|\s+samt\s+|\s*[–-]\s*)"
_RUN_RE = re.compile(rf"(?<![\d/])({_NUM}(?:{_SEP}{_NUM})*)\s*§(:n|:ään|:ssä|:ää)?")
_PART_END_RE = re.compile(
    r",(?!\s*\d+(?:\s?[a-z](?![a-zåäö]))?\s*(?:,|ja\b|och\b|[–-]))|\s+sekä\s+|\s+samt\s+|\s+seuraavasti|\s+som följer|;|(?:^|\s+)(?:tulee|tulevat|träder|kumoaminen|upphävandet)\b"
)
_MONTHS_FI = {
    m: i
    for i, m in enumerate(
        "tammikuuta helmikuuta maaliskuuta huhtikuuta toukokuuta kesäkuuta heinäkuuta elokuuta "
        "syyskuuta lokakuuta marraskuuta joulukuuta".split(),
        1,
    )
}
_MONTHS_SV = {
    m: i
    for i, m in enumerate(
        "januari februari mars april maj juni juli augusti september oktober november december".split(), 1
    )
}
_DATE_FI_RE = re.compile(r"(\d{1,2})\s+päivänä\s+([a-zäö]+kuuta)\s+(\d{4})")
_DATE_SV_RE = re.compile(r"den\s+(\d{1,2})\s+([a-z]+)\s+(\d{4})")
_ENTRY_RE = re.compile(r"voimaantulosäännös|ikraftträdandebestämmelsen")
_IN_FORCE_RE = re.compile(r"\b(?:tulee|tulevat)\b.*?\bvoimaan\b|\bträder\b.*?\bi kraft\b", re.DOTALL)


@dataclass(frozen=True)
class SectionChange:
    """One change an amending act makes to one section of a base statute."""

    statute: str  # base statute, "531/2017"
    section: str  # "44", "52 a"; "" for an (unnumbered) entry-into-force provision
    change: str  # amend | repeal | add
    part: str | None  # "3 momentti"; None = the whole section
    act: str  # the amending act, "1218/2020"
    date: str | None  # ISO entry-into-force date


def expand_numbers(run: str) -> list[str]:
    """``7, 11 ja 14`` → [7, 11, 14]; ``111–113`` → [111, 112, 113]."""
    numbers: list[str] = []
    tokens = re.split(rf"({_SEP})", run)
    pending_range = False
    for token in tokens:
        if re.fullmatch(_SEP, token):
            pending_range = "–" in token or "-" in token
            continue
        number = re.sub(r"\s+", " ", token.strip())
        if not number:
            continue
        if pending_range and numbers and numbers[-1].isdigit() and number.isdigit():
            numbers.extend(str(n) for n in range(int(numbers[-1]) + 1, int(number) + 1))
        else:
            numbers.append(number)
        pending_range = False
    return numbers


def section_refs(text: str) -> list[tuple[str, str | None]]:
    """Section numbers named in a clause, each with the part named after it (``"3 momentti"``)."""
    refs: list[tuple[str, str | None]] = []
    matches = list(_RUN_RE.finditer(text))
    for i, match in enumerate(matches):
        numbers = expand_numbers(match.group(1))
        part = None
        tail_end = matches[i + 1].start() if i + 1 < len(matches) else len(text)
        tail = text[match.end() : tail_end].lstrip(" ,")
        stop = _PART_END_RE.search(tail)
        tail = tail[: stop.start()] if stop else tail
        tail = re.sub(r"^\s*(?:uusi|ett nytt|en ny|nya)\s+", "", tail.strip())
        tail = re.sub(r"\s+(?:ja|och|sekä|samt)(?:\s+till)?$", "", tail.strip())
        tail = re.sub(r"^(?:ja|och|sekä|samt)\b", "", tail).strip()
        if tail and re.search(r"\d|otsikko|johdanto|rubrik|inledande", tail):
            part = tail
        for j, number in enumerate(numbers):
            # Only the last number of "96 ja 97 §:n 2 momentti" carries the part.
            refs.append((number, part if j == len(numbers) - 1 else None))
    return refs


def parse_date(text: str) -> str | None:
    """First Finnish or Swedish date in the text as ISO ``YYYY-MM-DD``."""
    for regex, months in ((_DATE_FI_RE, _MONTHS_FI), (_DATE_SV_RE, _MONTHS_SV)):
        match = regex.search(text)
        if match and match.group(2) in months:
            day, month, year = int(match.group(1)), months[match.group(2)], int(match.group(3))
            return f"{year:04d}-{month:02d}-{day:02d}"
    return None


def _sentences(paragraphs: Iterable[str]) -> list[str]:
    out: list[str] = []
    for paragraph in paragraphs:
        # Split after a full stop that ends a sentence, not after "mom." or "1 §.".
        out.extend(s for s in re.split(r"(?<=[a-zåäö0-9]{2}\.)\s+(?=[A-ZÅÄÖ])", paragraph) if s)
    return out


def entry_into_force(paragraphs: Iterable[str]) -> tuple[str | None, list[tuple[str, str | None, str]]]:
    """The act's general date, and (section, part, date) for sections given another date."""
    general: str | None = None
    special: list[tuple[str, str | None, str]] = []
    for sentence in _sentences(paragraphs):
        if not _IN_FORCE_RE.search(sentence):
            continue
        date = parse_date(sentence)
        if date is None:
            continue
        refs = section_refs(sentence)
        if not refs and general is None:
            general = date
        for number, part in refs:
            special.append((number, part, date))
    return general, special


def _digits(part: str | None) -> tuple[str, ...]:
    return tuple(re.findall(r"\d+(?:\s?[a-z](?![a-zåäö]))?", part or ""))


def parse_amendment(statute: Statute) -> list[SectionChange]:
    """The changes an amending act makes, from its preamble and entry-into-force provision.

    Returns [] for a statute whose preamble changes no other statute (an original act).
    """
    clauses = [p for p in statute.preamble if _VERB_RE.search(p)]
    if not clauses:
        return _repealing_act(statute)
    text = " ".join(clauses)
    target = _TARGET_RE.search(text)
    if target is None:
        logger.debug("%s: amending preamble names no statute number", statute.source_path)
        return []
    base = target.group(1)
    text = _AS_WORDED_RE.sub("", text[target.end() :])
    verbs = list(_VERB_RE.finditer(" ".join(clauses)))
    # The verb of each stretch is the last verb before it in the original preamble.
    first_verb = _VERBS[verbs[0].group(1)] if verbs else "amend"
    changes: list[tuple[str, str, str | None]] = []
    pieces = _VERB_RE.split(text)
    current = first_verb
    for piece in pieces:
        if piece in _VERBS:
            current = _VERBS[piece]
            continue
        for number, part in section_refs(piece):
            changes.append((number, current, part))
        entry = _ENTRY_RE.search(piece)
        if entry:
            # The act changes another act's entry-into-force provision (unnumbered: section "").
            changes.append(("", current, entry.group(0)))
    # Sections whose new wording the act gives but whose preamble mention was not understood.
    named = {n for n, _, _ in changes}
    for section in statute.sections:
        if section.number and section.kind == "Pykala" and section.number not in named:
            logger.debug("%s: %s § given but not named in the preamble", statute.source_path, section.number)
            changes.append((section.number, "amend", None))
    general, special = entry_into_force(statute.entry_into_force)
    records = [SectionChange(base, n, change, part, statute.number, general) for n, change, part in changes]
    extra: list[SectionChange] = []
    for number, part, date in special:
        same = [i for i, r in enumerate(records) if r.section == number]
        matching = [i for i in same if part is None or _digits(records[i].part) == _digits(part)]
        for i in matching:
            records[i] = replace(records[i], date=date)
        if same and not matching:
            # Another date for only a part of what the act changes in this section.
            extra.append(replace(records[same[0]], part=part, date=date))
    return records + extra


_REPEALS_RE = re.compile(r"^(?:Tällä (?:lailla|asetuksella) kumotaan|Genom denna (?:lag|förordning) upphävs)\b")


def _repealing_act(statute: Statute) -> list[SectionChange]:
    """A short act that only repeals sections, saying so in its own 1 § rather than its preamble.

    1237/2021: "Tällä lailla kumotaan ammatillisesta koulutuksesta annetun lain (531/2017) 110 §."
    An enacted statute's own repeal of older laws sits among many sections and is not read here.
    """
    numbered = [s for s in statute.sections if s.number]
    if not numbered or len(numbered) > 3 or not _REPEALS_RE.match(numbered[0].text):
        return []
    text = numbered[0].text
    target = _TARGET_RE.search(text)
    if target is None:
        return []
    paragraphs = [s.text for s in numbered[1:]] + list(statute.entry_into_force)
    general, _ = entry_into_force(paragraphs)
    # Finnish names the sections after the statute, Swedish before it ("upphävs 110 § i lagen … (531/2017)").
    refs = section_refs(text[target.end() :]) or section_refs(text[: target.start()])
    return [SectionChange(target.group(1), n, "repeal", part, statute.number, general) for n, part in refs]


def chapter_dates(paragraphs: Iterable[str], chapter: str) -> str | None:
    """The date an entry-into-force provision gives a chapter heading apart (``6 luvun otsikko``)."""
    pattern = re.compile(rf"\b{re.escape(chapter)}\s+(?:luvun otsikko|kap\.)|rubriken för {re.escape(chapter)} kap")
    for sentence in _sentences(paragraphs):
        if _IN_FORCE_RE.search(sentence) and pattern.search(sentence):
            return parse_date(sentence)
    return None


def amendment_index(changes: Iterable[SectionChange]) -> dict[tuple[str, str], tuple[Amendment, ...]]:
    """Group changes by (base statute, section), each list ordered by date then act."""
    grouped: dict[tuple[str, str], list[Amendment]] = {}
    for c in changes:
        grouped.setdefault((c.statute, c.section), []).append(Amendment(c.act, c.date, c.change, c.part))
    return {
        key: tuple(sorted(values, key=lambda a: (a.date or "9999", act_key(a.act)))) for key, values in grouped.items()
    }
