"""The law in force: each section's wordings over time, built from the enacted text and its amending acts.

An amending act names in its preamble what it changes, down to momentti and kohta, and gives the
new wording; its entry-into-force provision says from when. :func:`consolidate` applies the acts
in order of entry into force to every section they touch and returns each section's sequence of
wordings, every piece (a momentti's text or lead-in, a kohta) carrying the act whose text it is
and the date it took effect. Nothing is written: every piece is a text read from an act.

Where the preamble and the act's text cannot be matched without guessing (a part not understood,
more or fewer momentit given than named, a momentti that is not there), the section is left apart
(``status = "apart"`` with the reason): it keeps its enacted text and the amending acts beside it,
as before consolidation existed.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Mapping, Sequence
from dataclasses import replace

from .amendment_specs import ActSpec, SectionEdit, in_force_date_of, read_specs, section_edits
from .amendment_targets import Target, label_key
from .chunking import normalise_section, numbered_per_chapter
from .consolidation_model import ChapterHeading, Momentti, Piece, SectionHistory, StatuteHistory, Wording, act_key
from .finlex import Section, Statute
from .momentit import LayoutError, find_section, kohta_label, momentti_of, wording_of

logger = logging.getLogger(__name__)

__all__ = ["Apart", "consolidate", "consolidate_all"]


class Apart(Exception):
    """A change that cannot be applied without guessing; the message is the reason shown in the report."""


def _set_kohta(momentti: Momentti, label: str, piece: Piece, change: str) -> Momentti:
    kohdat = list(momentti.kohdat)
    labels = [kohta_label(k) if not k.repealed else k.label for k in kohdat]
    if label in labels:
        if change == "add":
            raise Apart(f"kohta {label} added but already there")
        kohdat[labels.index(label)] = piece
    elif change == "add" and kohdat:
        at = sum(1 for lb in labels if lb is not None and label_key(lb) < label_key(label))
        kohdat.insert(at, piece)
    else:
        raise Apart(f"kohta {label} not found")
    return replace(momentti, kohdat=tuple(kohdat))


def _apply(state: Wording | None, c: SectionEdit, given: Section | None, on: str) -> Wording | None:
    """The wording after one change, on date ``on`` (parts held back until later are left out)."""
    later = {t for t, date in c.held_back if date > on}
    if c.whole == "repeal":
        if state is None or state.repealed_by:
            raise Apart(f"{c.act} repeals a section that is not in force")
        return Wording(heading=state.heading, momentit=(), repealed_by=c.act)
    if c.whole is not None:
        if given is None:
            raise Apart(f"{c.act} names the section but gives no text for it")
        if given.partial:
            raise Apart(f"{c.act} rewrites the whole section but leaves parts out (– – –)")
        if c.whole == "add" and state is not None and not state.repealed_by:
            raise Apart(f"{c.act} adds a section that is already there")
        if c.whole == "amend" and (state is None or state.repealed_by):
            raise Apart(f"{c.act} amends a section that is not in force")
        new = wording_of(given, c.act, c.date)
        if later:
            new = replace(new, momentit=tuple(_without(m, i + 1, later) for i, m in enumerate(new.momentit)))
        return new
    if state is None or state.repealed_by:
        raise Apart(f"{c.act} changes part of a section that is not in force")
    momentit = list(state.momentit)
    heading = state.heading
    texts = [(verb, t) for verb, t in c.ops if verb != "repeal"]
    if texts and given is None:
        raise Apart(f"{c.act} names the section but gives no text for it")
    pieces, partial = _given_pieces(given, texts, c) if texts else ({}, set())
    for verb, t in sorted(c.ops, key=lambda op: _op_order(op[1])):
        if t in later:
            continue
        if t.kind == "heading":
            if verb == "repeal":
                raise Apart(f"{c.act} repeals a heading; not understood")
            given_heading = pieces[t]
            assert isinstance(given_heading, Piece)
            heading = given_heading
            continue
        if not 1 <= t.momentti <= len(momentit) + (1 if verb == "add" and t.kind == "momentti" else 0):
            raise Apart(f"{c.act}: {t.momentti} momentti named; the section has {len(momentit)}")
        stub = Piece("", c.act, c.date, repealed=True, label=t.kohta)
        if t.kind == "momentti":
            if verb == "repeal":
                momentit[t.momentti - 1] = Momentti(stub)
                continue
            fresh = pieces[t]
            assert isinstance(fresh, Momentti)
            if verb == "add":
                if t.momentti - 1 == len(momentit):
                    momentit.append(fresh)
                elif c.shifts:
                    momentit.insert(t.momentti - 1, fresh)
                else:
                    raise Apart(f"{c.act} adds {t.momentti} momentti; the section has {len(momentit)}")
                continue
            if t in partial and momentit[t.momentti - 1].kohdat:
                # "– – –" inside a list momentti: some of its kohdat stay, but which is not said.
                raise Apart(f"{c.act} gives {t.momentti} momentti in part (– – –)")
            momentit[t.momentti - 1] = fresh
        elif t.kind == "lead":
            old = momentit[t.momentti - 1]
            if old.lead is None or not old.kohdat or verb != "amend":
                raise Apart(f"{c.act} changes the lead-in of {t.momentti} momentti, which is not a list")
            lead = pieces[t]
            assert isinstance(lead, Piece)
            momentit[t.momentti - 1] = replace(old, lead=lead)
        else:
            piece = stub if verb == "repeal" else pieces[t]
            assert isinstance(piece, Piece)
            momentit[t.momentti - 1] = _set_kohta(momentit[t.momentti - 1], t.kohta, piece, verb)
    return replace(state, heading=heading, momentit=tuple(momentit))


def _op_order(t: Target) -> tuple[int, int, tuple[int, str]]:
    """Parts in the order of the section: heading, then by momentti, lead-in before kohdat."""
    rank = {"heading": 0, "momentti": 1, "lead": 1, "kohta": 2}[t.kind]
    return (t.momentti if t.kind != "heading" else 0, rank, label_key(t.kohta) if t.kohta else (0, ""))


def _given_pieces(
    given: Section | None, ops: list[tuple[str, Target]], c: SectionEdit
) -> tuple[dict[Target, Piece | Momentti], set[Target]]:
    """Match the parts an act names to the texts it gives, without guessing.

    A given momentti that holds a named kohta carries that kohta (and the named lead-in of its
    momentti); every other given momentti fills the next named momentti or lead-in in the section's
    order. Left-over momentit are lead-ins printed for context, allowed only when the act names
    kohdat. Also returns the named momentit given in part ("– – –" among their kohdat).
    """
    assert given is not None
    out: dict[Target, Piece | Momentti] = {}
    partial: set[Target] = set()
    wanted = {t.kohta: t for _, t in ops if t.kind == "kohta"}
    ordered = sorted((t for _, t in ops if t.kind in ("momentti", "lead")), key=_op_order)
    heading = next((t for _, t in ops if t.kind == "heading"), None)
    if heading is not None:
        if not given.heading:
            raise Apart(f"{c.act} changes the heading but gives none")
        out[heading] = Piece(given.heading, c.act, c.date)
    queue = list(ordered)
    for sub in given.subsections:
        m = momentti_of(sub, c.act, c.date)
        carried = [(k, kohta_label(k)) for k in (m.kohdat or ((m.lead,) if m.lead and kohta_label(m.lead) else ()))]
        hits = [(k, label) for k, label in carried if label in wanted]
        if hits:
            for k, label in hits:
                out[wanted[label]] = k
            momentti = wanted[hits[0][1]].momentti
            lead_target = next((t for t in queue if t.kind == "lead" and t.momentti == momentti), None)
            if lead_target is not None and m.lead is not None and m.kohdat:
                out[lead_target] = m.lead
                queue.remove(lead_target)
            continue
        if queue:
            target = queue.pop(0)
            if target.kind == "lead":
                if m.kohdat:
                    raise Apart(f"{c.act} gives kohdat with a lead-in it names alone")
                out[target] = m.lead if m.lead is not None else Piece(sub.text, c.act, c.date)
            else:
                out[target] = m
                if sub.partial:
                    partial.add(target)
        elif not wanted:
            raise Apart(f"{c.act} gives more momentit than it names")
    missing = [t for t in ordered if t not in out] + [t for t in wanted.values() if t not in out]
    if missing:
        t = missing[0]
        what = f"{t.momentti} momentin {t.kohta} kohta" if t.kind == "kohta" else f"{t.momentti} momentti ({t.kind})"
        raise Apart(f"{c.act} names {what} but gives no text for it")
    return out, partial


def _without(m: Momentti, number: int, later: set[Target]) -> Momentti:
    """A new momentti without the kohdat that take effect later."""
    drop = {t.kohta for t in later if t.kind == "kohta" and t.momentti == number}
    return replace(m, kohdat=tuple(k for k in m.kohdat if kohta_label(k) not in drop)) if drop else m


def _history(
    base: Statute,
    number: str,
    changes: list[SectionEdit],
    acts: Mapping[str, Statute],
    base_dates: tuple[str | None, dict[str, str]],
) -> SectionHistory:
    """One section's wordings over time, or the section left apart with the reason."""
    original = find_section(base, number)
    chapter = original.chapter if original is not None else _chapter_before(base, number)
    act_numbers = tuple(sorted({c.act for c in changes}, key=act_key))
    base_from = base_dates[1].get(number, base_dates[0])

    def apart(reason: str) -> SectionHistory:
        return SectionHistory(base.number, base.lang, number, chapter, "apart", reason, act_numbers)

    for c in changes:
        if c.unreadable:
            return apart(f"{c.act}: the preamble's words for this section are not understood")
        if not c.date:
            return apart(f"{c.act}: no entry-into-force date")
        if c.act not in acts:
            return apart(f"{c.act}: no {base.lang} text of the act")
    boundaries = {c.date for c in changes} | {d for c in changes for _, d in c.held_back}
    boundaries |= {_day_after(c.until) for c in changes if c.until}
    if base_from and original is not None:
        boundaries.add(base_from)
    wordings: list[Wording] = []
    ordered = sorted(boundaries)
    for i, on in enumerate(ordered):
        state: Wording | None = None
        if original is not None and (base_from is None or base_from <= on):
            state = wording_of(original, base.number, base_from)
        try:
            for c in changes:
                if c.date <= on and (c.until is None or on <= c.until):
                    state = _apply(state, c, find_section(acts[c.act], number), on)
        except (Apart, LayoutError) as exc:
            return apart(str(exc))
        valid_to = (
            (dt.date.fromisoformat(ordered[i + 1]) - dt.timedelta(days=1)).isoformat() if i + 1 < len(ordered) else None
        )
        if state is None:
            continue
        if wordings and wordings[-1].same_text(state) and wordings[-1].valid_to == _day_before(on):
            wordings[-1] = replace(wordings[-1], valid_to=valid_to)
            continue
        wordings.append(replace(state, valid_from=on, valid_to=valid_to))
    return SectionHistory(base.number, base.lang, number, chapter, "consolidated", None, act_numbers, tuple(wordings))


def _day_after(date: str) -> str:
    return (dt.date.fromisoformat(date) + dt.timedelta(days=1)).isoformat()


def _day_before(date: str) -> str:
    return (dt.date.fromisoformat(date) - dt.timedelta(days=1)).isoformat()


def _chapter_before(base: Statute, number: str) -> str | None:
    """The chapter of the last enacted section numbered before an added one (``15 a`` → 15's)."""
    key = label_key(number)
    chapter = None
    for section in base.sections:
        if section.number is not None and label_key(normalise_section(section.number)) <= key:
            chapter = section.chapter
    return chapter


def consolidate(base: Statute, specs: Mapping[str, ActSpec], acts: Mapping[str, Statute]) -> StatuteHistory | None:
    """Every section of ``base`` that an act in ``specs`` changes, as wordings over time.

    ``acts`` are the amending acts' texts in ``base``'s language, by act number. Returns None when no
    act changes the statute.
    """
    relevant = [s for s in specs.values() if any(c.statute == base.number for c in s.changes)]
    if not relevant:
        return None
    per_section = section_edits(relevant, base.number)
    base_dates = in_force_date_of(base)
    numbers = sorted(per_section, key=label_key)
    if numbered_per_chapter(base):
        # "3 §" names one section per chapter; a preamble's "3 §" alone cannot say which.
        reason = "the statute numbers its sections per chapter; not consolidated"
        histories = tuple(
            SectionHistory(
                base.number,
                base.lang,
                n,
                None,
                "apart",
                reason,
                tuple(sorted({c.act for c in per_section[n]}, key=act_key)),
            )
            for n in numbers
        )
    else:
        histories = tuple(_history(base, n, per_section[n], acts, base_dates) for n in numbers)
    chapters: list[ChapterHeading] = []
    problems: list[str] = [s.problem for s in relevant if s.problem]
    for spec in relevant:
        act = acts.get(spec.act)
        dates = [c.date for c in spec.changes if c.statute == base.number and c.date]
        for chapter, own_date in spec.chapters:
            heading = next((s.chapter_heading for s in act.sections if s.chapter == chapter), None) if act else None
            if heading is None or not dates:
                problems.append(f"{spec.act}: new heading of chapter {chapter} not found in its text")
                continue
            chapters.append(ChapterHeading(chapter, heading, spec.act, own_date or min(dates)))
    chapters.sort(key=lambda c: (c.valid_from, act_key(c.act)))
    numbered = sum(1 for s in base.sections if s.number is not None and s.kind == "Pykala")
    return StatuteHistory(
        base.number, base.lang, base.title, base.kind, histories, tuple(chapters), numbered, tuple(problems)
    )


def consolidate_all(statutes: Sequence[Statute]) -> list[StatuteHistory]:
    """Consolidate every statute some other statute in the list amends, in each language it has.

    A section whose Finnish and Swedish wordings do not match in shape (dates, momentit, kohdat,
    acts) is left apart in both: one of the two files is coded differently, and a guess would
    be wrong in one language.
    """
    specs = read_specs(statutes)
    by_lang: dict[str, dict[str, Statute]] = {}
    for statute in statutes:
        by_lang.setdefault(statute.lang, {})[statute.number] = statute
    out: list[StatuteHistory] = []
    for statute in statutes:
        if statute.number in specs and not any(c.statute == statute.number for s in specs.values() for c in s.changes):
            continue
        history = consolidate(statute, specs, by_lang.get(statute.lang, {}))
        if history is not None:
            out.append(history)
    return _cross_check(out)


def _shape(history: SectionHistory) -> list:
    return [
        (w.valid_from, w.valid_to, w.repealed_by, [(len(m.kohdat), m.acts) for m in w.momentit])
        for w in history.wordings
    ]


def _cross_check(histories: list[StatuteHistory]) -> list[StatuteHistory]:
    by_key = {(h.statute, h.lang): h for h in histories}
    bad: dict[tuple[str, str], str] = {}
    for (statute, lang), history in by_key.items():
        other = by_key.get((statute, "sv" if lang == "fi" else "fi"))
        if other is None:
            continue
        theirs = {s.section: s for s in other.sections}
        for section in history.sections:
            twin = theirs.get(section.section)
            if section.status != "consolidated" or twin is None or twin.status != "consolidated":
                if twin is not None and section.status != twin.status:
                    bad[(statute, section.section)] = (
                        f"left apart in the other language: {twin.reason or section.reason}"
                    )
                continue
            if _shape(section) != _shape(twin):
                bad[(statute, section.section)] = (
                    "the Finnish and Swedish texts are coded differently (momentit or kohdat do not match)"
                )
    if not bad:
        return histories
    fixed: list[StatuteHistory] = []
    for history in histories:
        sections = tuple(
            replace(s, status="apart", reason=s.reason or bad[(history.statute, s.section)], wordings=())
            if (history.statute, s.section) in bad
            else s
            for s in history.sections
        )
        fixed.append(replace(history, sections=sections))
    return fixed
