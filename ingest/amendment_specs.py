"""What each amending act does, read once per act: per section, the parts it changes and from when.

:mod:`ingest.amendments` gives one record per section and part, in the act's own words;
:func:`read_specs` adds what consolidation needs on top: the parts as exact targets
(:mod:`ingest.amendment_targets`), the last day of a temporary act, an entry-into-force
provision another act replaced (584/2021 replaced 125/2021's), and :func:`section_edits` joins one
act's records for one section into a single edit, with the parts that take effect later held back.
The Finnish text of an act is the one read: both language versions make the same changes.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace

from .amendment_targets import Target, chapter_heading_changes, parse_targets
from .amendments import SectionChange, chapter_dates, entry_into_force, parse_amendment, parse_date
from .chunking import normalise_section
from .consolidation_model import act_key
from .finlex import Statute

__all__ = ["ActSpec", "SectionEdit", "in_force_date_of", "read_specs", "section_edits"]

_UNTIL_FI_RE = re.compile(r"on voimassa\s+(\d{1,2}\s+päivään\s+[a-zäö]+kuuta\s+\d{4})")


_UNTIL_YEAR_RE = re.compile(r"on voimassa vuoden (\d{4}) loppuun|gäller till utgången av (\d{4})")


_UNTIL_SV_RE = re.compile(r"gäller till och med den\s+(\d{1,2}\s+[a-z]+\s+\d{4})")


@dataclass(frozen=True)
class SectionEdit:
    """What one act does to one section on one date: the whole section, or parts (``ops``)."""

    act: str
    section: str
    whole: str | None  # amend | add | repeal for the whole section; None when ``ops`` name parts
    ops: tuple[tuple[str, Target], ...]  # (amend | add | repeal, part), in the preamble's order
    date: str
    until: str | None  # last day of a temporary act
    held_back: tuple[tuple[Target, str], ...] = ()  # parts that take effect later, with their date
    shifts: bool = False  # the preamble says later momentit move on ("siirtyy")
    unreadable: bool = False


def _until(paragraphs: Iterable[str]) -> str | None:
    """Last day of a temporary act (``on voimassa 31 päivään heinäkuuta 2022``), inclusive."""
    text = " ".join(paragraphs)
    match = _UNTIL_FI_RE.search(text) or _UNTIL_SV_RE.search(text)
    if match:
        return parse_date(match.group(1).replace("päivään", "päivänä"))
    year = _UNTIL_YEAR_RE.search(text)
    if year:
        return f"{year.group(1) or year.group(2)}-12-31"
    return None


def in_force_date_of(statute: Statute) -> tuple[str | None, dict[str, str]]:
    """A statute's own entry into force: its general date and any other dates per section.

    The provision is an unnumbered voimaantulosäännös in amending acts and a numbered
    "Voimaantulo" section in the enacted statutes.
    """
    paragraphs: tuple[str, ...] = statute.entry_into_force
    if not paragraphs:
        for section in statute.sections:
            if (section.heading or "").lower().startswith(("voimaantulo", "ikraftträdande")):
                paragraphs = tuple(s.text for s in section.subsections)
                break
    general, special = entry_into_force(paragraphs)
    return general, {normalise_section(n): d for n, part, d in special if part is None}


@dataclass
class ActSpec:
    """What one amending act does, read once from its Finnish text (or its only text)."""

    act: str
    changes: list[SectionChange]
    until: str | None
    shifts: bool
    chapters: list[tuple[str, str | None]]  # chapter whose heading changes, with its own date if any
    problem: str | None = None


def _entry_replacements(specs: Mapping[str, Statute]) -> dict[str, tuple[str, ...]]:
    """Acts whose entry-into-force provision a later act replaced, with the replacing text."""
    out: dict[str, tuple[str, ...]] = {}
    for statute in specs.values():
        for change in parse_amendment(statute):
            if change.section == "" and change.change == "amend":
                text = tuple(s.text for s in statute.sections if s.number is None and s.kind != "VoimaantuloSaannos")
                if text:
                    out[change.statute] = text
    return out


def read_specs(statutes: Iterable[Statute]) -> dict[str, ActSpec]:
    """Every amending act's changes, by act number, read from its Finnish version when there is one."""
    by_number: dict[str, Statute] = {}
    for statute in statutes:
        if statute.number not in by_number or statute.lang == "fi":
            by_number[statute.number] = statute
    replaced = _entry_replacements(by_number)
    specs: dict[str, ActSpec] = {}
    for number, statute in by_number.items():
        problem = None
        if number in replaced:
            before = entry_into_force(statute.entry_into_force)[0]
            statute = replace(statute, entry_into_force=replaced[number])
            after = entry_into_force(statute.entry_into_force)[0]
            if before != after:
                problem = f"entry into force of {number} changed by a later act ({before} → {after})"
        changes = [c for c in parse_amendment(statute) if c.section != ""]
        if not changes:
            continue
        preamble = " ".join(statute.preamble)
        specs[number] = ActSpec(
            act=number,
            changes=changes,
            until=_until(statute.entry_into_force),
            shifts=bool(re.search(r"siirty|blir\s+\d", preamble)),
            chapters=[(n, chapter_dates(statute.entry_into_force, n)) for n in chapter_heading_changes(preamble)],
            problem=problem if problem and any(c.date is None for c in changes) else None,
        )
    return specs


def section_edits(specs: Iterable[ActSpec], base: str) -> dict[str, list[SectionEdit]]:
    """Each section's changes from every act, oldest first (one per act and date)."""
    out: dict[str, list[SectionEdit]] = {}
    for spec in specs:
        by_section: dict[str, list[SectionChange]] = {}
        for record in spec.changes:
            if record.statute == base:
                by_section.setdefault(normalise_section(record.section), []).append(record)
        for number, group in by_section.items():
            out.setdefault(number, []).extend(_act_changes(spec, number, group))
    for changes in out.values():
        changes.sort(key=lambda c: (c.date, act_key(c.act)))
    return out


def _act_changes(spec: ActSpec, number: str, group: list[SectionChange]) -> list[SectionEdit]:
    """One act's records for one section as edits: parts on the same date join into one edit.

    A later date for parts an earlier edit already names holds those parts back until then
    (1118/2021: the new 31 § from 1.1.2022, its 3 kohta from 1.8.2022); a later date for other
    parts is an edit of its own.
    """
    by_date: dict[str, list[tuple[SectionChange, list[Target] | None]]] = {}
    for record in group:
        by_date.setdefault(record.date or "", []).append((record, parse_targets(record.part)))
    edits: list[SectionEdit] = []
    for date in sorted(by_date):
        records = by_date[date]
        if any(targets is None for _, targets in records):
            return [SectionEdit(spec.act, number, None, (), date, None, unreadable=True)]
        wholes = [r.change for r, t in records if not t]
        ops = tuple((r.change, target) for r, t in records for target in (t or []))
        if len(wholes) > 1 or (wholes and ops):
            return [SectionEdit(spec.act, number, None, (), date, None, unreadable=True)]
        named = {t for _, t in ops}
        earlier = next(
            (
                i
                for i, e in enumerate(edits)
                if ops and not wholes and ((e.whole is not None and e.whole == records[0][0].change)
                                           or named <= {t for _, t in e.ops})
            ),
            None,
        )  # fmt: skip
        if earlier is not None:
            e = edits[earlier]
            edits[earlier] = replace(e, held_back=e.held_back + tuple((t, date) for t in named))
            continue
        if edits and (wholes or any(e.whole for e in edits)):
            return [SectionEdit(spec.act, number, None, (), date, None, unreadable=True)]
        edits.append(
            SectionEdit(spec.act, number, wholes[0] if wholes else None, ops, date, spec.until, shifts=spec.shifts)
        )
    return edits
