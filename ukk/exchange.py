"""An institution's UKK out (Markdown and HTML to paste into an intranet page, JSON) and in (an existing Markdown UKK).

The export lists the published entries by topic, each answer followed by its sources: the citation
string, the quoted text and the Finlex link. The import reads ``## topic`` and ``### question``
headings, takes the text below a question as its answer, and turns citations written in it
("531/2017 45 §", "531/2017 45 § 2 mom.") into ``[n]`` marks citing the index's passage; what it
cannot link is reported, and every imported entry is a draft for a coach to check.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from ingest.chunking import normalise_section
from ingest.models import Chunk

from . import entries
from .citations import cite
from .store import UkkStore
from .types import TOPICS, CitationInput, Entry, EntryCitation, User

_REF = re.compile(r"\b(\d{1,4}/(?:19|20)\d{2})\s+(\d{1,3}(?:\s?[a-z])?)\s*§(?:\s*(\d{1,2})\s*mom\.)?")


def _by_topic(items: Sequence[Entry]) -> list[tuple[str, list[Entry]]]:
    return [(code, [e for e in items if e.topic == code]) for code in TOPICS if any(e.topic == code for e in items)]


def _readable(items: Sequence[Entry]) -> list[Entry]:
    return [e for e in items if e.status in entries.READABLE]


def to_markdown(items: Sequence[Entry], title: str) -> str:
    """Published entries by topic as Markdown (headings, answers, numbered sources with Finlex links)."""
    out = [f"# {title}", ""]
    for code, group in _by_topic(_readable(items)):
        out += [f"## {TOPICS[code][0]}", ""]
        for e in group:
            out += [f"### {e.question}", "", e.answer, ""]
            if e.status == "tarkistettava":
                out += ["> Tarkistettava: lähteen teksti on muuttunut tai sitä on muutettu.", ""]
            out.append("Lähteet:")
            for c in e.citations:
                link = f" <{c.url}>" if c.url else ""
                out.append(f"{c.n}. {c.label}{link}: ”{c.quote}”")
            out.append("")
    return "\n".join(out).rstrip() + "\n"


def to_html(items: Sequence[Entry], title: str) -> str:
    """The same as :func:`to_markdown`, as an HTML fragment (every text escaped) to paste into an intranet page."""
    esc = html.escape
    out = [f"<h1>{esc(title)}</h1>"]
    for code, group in _by_topic(_readable(items)):
        out.append(f"<h2>{esc(TOPICS[code][0])}</h2>")
        for e in group:
            out.append(f"<h3>{esc(e.question)}</h3>")
            out.append("".join(f"<p>{esc(p)}</p>" for p in e.answer.split("\n\n") if p.strip()))
            if e.status == "tarkistettava":
                out.append("<p><strong>Tarkistettava:</strong> lähteen teksti on muuttunut tai sitä on muutettu.</p>")
            sources = []
            for c in e.citations:
                label = f'<a href="{esc(c.url)}">{esc(c.label)}</a>' if c.url else esc(c.label)
                sources.append(f"<li>{label}: <q>{esc(c.quote)}</q></li>")
            out.append(f"<ol>{''.join(sources)}</ol>")
    return "\n".join(out) + "\n"


def to_json(items: Sequence[Entry]) -> str:
    """Every given entry with its citations and state, as JSON."""
    return json.dumps([e.to_dict() for e in items], ensure_ascii=False, indent=1) + "\n"


@dataclass(frozen=True)
class ImportResult:
    """The drafts made, and the citations written in the text that no passage matched."""

    created: tuple[int, ...]
    unlinked: tuple[str, ...]


@dataclass
class _Parsed:
    topic: str
    question: str
    lines: list[str]


def parse_markdown(text: str) -> list[_Parsed]:
    """Question headings (###, or ## when there are no topic headings) and the text below each."""
    names = {name.casefold(): code for code, (fi, sv) in TOPICS.items() for name in (fi, sv)}
    level = "###" if re.search(r"^###\s", text, re.M) else "##"
    topic = "muu"
    found: list[_Parsed] = []
    for line in text.splitlines():
        stripped = line.strip()
        if level == "###" and re.match(r"^##\s", stripped) and not stripped.startswith("###"):
            topic = names.get(stripped[2:].strip().casefold(), "muu")
        elif stripped.startswith(level + " "):
            found.append(_Parsed(topic, stripped[len(level) :].strip(), []))
        elif found and not stripped.startswith("# "):
            found[-1].lines.append(line)
    return [p for p in found if p.question]


def import_markdown(
    store: UkkStore,
    coach: User,
    text: str,
    find: Callable[[str, str, int | None], Chunk | None],
    generation: str,
) -> ImportResult:
    """Drafts from a Markdown UKK; ``find(statute, section, momentti)`` names the index's passage for a citation."""
    created, unlinked = [], []
    for parsed in parse_markdown(text):
        answer = "\n".join(parsed.lines).strip() or "(vastaus puuttuu)"
        citations: list[EntryCitation] = []
        pieces: list[str] = []
        last = 0
        for m in _REF.finditer(answer):
            statute, section, momentti = m.group(1), m.group(2).replace(" ", ""), m.group(3)
            chunk = find(statute, section, int(momentti) if momentti else None)
            pieces.append(answer[last : m.end()])
            last = m.end()
            if chunk is None:
                unlinked.append(f"{parsed.question[:80]}: {m.group(0)}")
                continue
            known = next((c for c in citations if c.chunk_id == chunk.id), None)
            if known is None:
                known = cite(chunk, CitationInput(chunk.id), len(citations) + 1, generation)
                citations.append(known)
            pieces.append(f" [{known.n}]")
        pieces.append(answer[last:])
        draft = entries.Draft(
            parsed.topic, parsed.question[: entries.MAX_QUESTION], "".join(pieces)[: entries.MAX_ANSWER]
        )
        created.append(entries.create(store, coach, draft, citations[: entries.MAX_CITATIONS]).id)
    return ImportResult(tuple(created), tuple(unlinked))


def passage_finder(chunks: Sequence[Chunk], lang: str = "fi") -> Callable[[str, str, int | None], Chunk | None]:
    """``find(statute, section, momentti)`` over an index's passages in force (the momentti's chunk when split)."""
    sections: dict[tuple[str, str], list[Chunk]] = {}
    for chunk in chunks:
        c = chunk.citation
        if c.lang == lang and c.statute and c.section and "@" not in chunk.id and not c.amends:
            sections.setdefault((c.statute, normalise_section(c.section)), []).append(chunk)

    def find(statute: str, section: str, momentti: int | None) -> Chunk | None:
        found = sections.get((statute, normalise_section(section)), [])
        if momentti is not None:
            held = [c for c in found if momentti in c.citation.subsections]
            if held:
                return held[0]
        return found[0] if found else None

    return find
