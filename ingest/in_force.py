"""A statute as it reads on one date: its consolidated sections in the wording then in force."""

from __future__ import annotations

from dataclasses import replace

from .amendment_targets import label_key
from .chunking import normalise_section
from .consolidation_model import Momentti, Piece, SectionHistory, StatuteHistory, WordingNote
from .finlex import Section, Statute, Subsection
from .momentit import find_section

__all__ = ["other_wordings", "statute_in_force"]


def statute_in_force(statute: Statute, history: StatuteHistory, on: str) -> tuple[Statute, dict[str, WordingNote]]:
    """The statute as it reads on ``on``: consolidated sections in their wording then in force.

    Sections left apart keep their enacted text; sections not yet in force (added by an act that
    takes effect later) are left out; a repealed section keeps its place as a one-line stub.
    Returns the statute and, per section number, what its chunks' citations say about the wording.
    """
    by_number = {s.section: s for s in history.sections}
    notes: dict[str, WordingNote] = {}
    sections: list[Section] = []
    placed: set[str] = set()

    def chapter_heading(section: Section) -> str | None:
        found = history.chapter_heading(section.chapter, on)
        return found.heading if found is not None else section.chapter_heading

    def wording_section(h: SectionHistory, template: Section) -> Section | None:
        w = h.at(on)
        if w is None:
            return None
        notes[h.section] = WordingNote(
            "consolidated", w.valid_from, tuple(m.acts for m in w.momentit), w.repealed_by, until=w.valid_to
        )
        if w.repealed_by:
            subs: tuple[Subsection, ...] = (Subsection(Piece("", w.repealed_by, None, True).render(statute.lang)),)
        else:
            subs = tuple(_subsection(m, statute.lang) for m in w.momentit)
        heading = w.heading.text if w.heading is not None else template.heading
        return replace(template, heading=heading, subsections=subs, partial=False)

    added = sorted(
        (h for h in history.sections if h.status == "consolidated" and find_section(statute, h.section) is None),
        key=lambda h: label_key(h.section),
    )
    for section in statute.sections:
        number = normalise_section(section.number) if section.number else None
        while (
            added
            and number is not None
            and section.kind == "Pykala"
            and label_key(added[0].section) < label_key(number)
        ):
            extra = added.pop(0)
            template = Section(extra.section, None, extra.chapter, None, ())
            new = wording_section(extra, replace(template, chapter_heading=chapter_heading(_near(sections, section))))
            if new is not None:
                sections.append(new)
        h = by_number.get(number or "")
        if h is None or section.kind != "Pykala" or number in placed:
            sections.append(replace(section, chapter_heading=chapter_heading(section)))
            continue
        placed.add(number or "")
        if h.status != "consolidated":
            notes[h.section] = WordingNote("apart", reason=h.reason)
            sections.append(replace(section, chapter_heading=chapter_heading(section)))
            continue
        new = wording_section(h, replace(section, chapter_heading=chapter_heading(section)))
        if new is not None:
            sections.append(new)
    for h in added:  # numbered after every enacted section
        template = Section(h.section, None, h.chapter, None, ())
        new = wording_section(h, template)
        if new is not None:
            sections.append(new)
    return replace(statute, sections=tuple(sections)), notes


def _near(done: list[Section], following: Section) -> Section:
    """The section an added one takes its chapter from: the one before it, else the one after."""
    return done[-1] if done else following


def _subsection(m: Momentti, lang: str) -> Subsection:
    text = m.render(lang)
    if m.lead is not None and not m.kohdat:
        return Subsection(text)
    items = tuple(line.strip() for k in m.kohdat for line in k.render(lang).split("\n"))
    return Subsection(text, items, m.lead.render(lang) if m.lead is not None else None)


def other_wordings(
    statute: Statute, history: StatuteHistory, on: str
) -> list[tuple[str, Statute, dict[str, WordingNote]]]:
    """Every consolidated wording not in force on ``on`` (earlier ones and those enacted for later).

    Returns, per date a wording took effect, the statute holding only the sections whose wording
    began that day, and their notes: chunked apart from the wording in force, they make older
    wordings searchable by date and later ones visible before they apply.
    """
    out: list[tuple[str, Statute, dict[str, WordingNote]]] = []
    starts = sorted(
        {w.valid_from for h in history.sections if h.status == "consolidated" for w in h.wordings if w.valid_from}
    )
    for date in starts:
        then, notes = statute_in_force(statute, history, date)
        wanted = {
            h.section
            for h in history.sections
            if h.status == "consolidated"
            and (w := h.at(date)) is not None
            and w.valid_from == date
            and h.at(on) is not w
        }
        sections = tuple(s for s in then.sections if s.number and normalise_section(s.number) in wanted)
        if sections:
            out.append((date, replace(then, sections=sections), {n: notes[n] for n in wanted if n in notes}))
    return out
