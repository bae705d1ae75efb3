"""A readable report of consolidation: per statute, sections consolidated and left apart, and why."""

from __future__ import annotations

from collections.abc import Sequence

from .consolidation_model import StatuteHistory, act_key


def report_counts(histories: Sequence[StatuteHistory]) -> dict[str, int]:
    """Totals over every statute and language: amended, consolidated, apart."""
    sections = [s for h in histories for s in h.sections]
    return {
        "amended": len(sections),
        "consolidated": sum(1 for s in sections if s.status == "consolidated"),
        "apart": sum(1 for s in sections if s.status == "apart"),
    }


def format_consolidation(histories: Sequence[StatuteHistory], *, sections: bool = False) -> str:
    """Per statute and language: how many sections the amending acts touch, consolidated and left apart (with why)."""
    lines: list[str] = []
    for h in sorted(histories, key=lambda h: (act_key(h.statute), h.lang)):
        counts = h.counts()
        lines.append(
            f"{h.statute} {h.title} ({h.lang}): {h.section_count} sections, {len(h.sections)} amended: "
            f"{counts.get('consolidated', 0)} consolidated, {counts.get('apart', 0)} left apart"
        )
        for s in h.sections:
            if s.status == "apart":
                lines.append(f"  {s.section} § ei koottu automaattisesti (left apart): {s.reason}")
            elif sections:
                steps = " → ".join(f"{w.valid_from or '?'} {'/'.join(a for a in w.acts)}" for w in s.wordings)
                lines.append(f"  {s.section} §: {len(s.wordings)} wordings: {steps}")
        for c in h.chapters:
            word = "kap." if h.lang == "sv" else "luku"
            lines.append(f"  {c.chapter} {word} heading from {c.act} ({c.valid_from}): {c.heading}")
        for problem in h.problems:
            lines.append(f"  ! {problem}")
    total = report_counts(histories)
    lines.append(
        f"In all: {total['amended']} amended sections, {total['consolidated']} consolidated automatically, "
        f"{total['apart']} left apart"
    )
    return "\n".join(lines)
