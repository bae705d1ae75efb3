"""Reader for Akoma Ntoso 3.0 statutes as served by the Finlex open-data API.

Yields the same :class:`~ingest.finlex.Statute` structure as the Finlex XML reader, so chunking,
citations and amendment links work alike for both formats. Consolidated (ajantasainen) versions
carry amendment markup: text from an amending act has a ``vYYYYNNNN`` eId suffix and
``finlex:originalVersion``; an amendment not yet in force is given as the new element, a
``noteAuthorial`` ("Aiempi sanamuoto kuuluu:") and the old element, of which only the new one is
kept; ``finlex:amendedBy`` lists the amending acts with their entry-into-force dates.
"""

from __future__ import annotations

import logging
import re
import xml.etree.ElementTree as ET
from pathlib import Path

from .errors import SourceFormatError
from .finlex import Section, Statute, Subsection, check_depth, clean_text, issuer_from_preamble, render_table
from .models import Amendment

logger = logging.getLogger(__name__)

AKN = "{http://docs.oasis-open.org/legaldocml/ns/akn/3.0}"
FINLEX = "{http://data.finlex.fi/schema/finlex}"
_LANGS = {"fin": "fi", "swe": "sv"}
_CHAPTER_RE = re.compile(r"^\s*(\d+\s*[a-z]?)\s*(?:luku|kap)", re.IGNORECASE)
_SECTION_RE = re.compile(r"^\s*(\d+\s*[a-z]?)\s*§")
_VERSION_RE = re.compile(r"@(\d{4})(\d{4})")
_OLD_WORDING_RE = re.compile(r"\s*(?:Aiempi sanamuoto kuuluu|Tidigare lydelse lyder):\s*$")
_VERSION_SUFFIX_RE = re.compile(r"v\d{8}$")


def is_akn(path: str | Path) -> bool:
    """True when the file's root element is ``akomaNtoso`` (read from the first 2 kB)."""
    try:
        with open(path, "rb") as f:
            head = f.read(2048)
    except OSError:
        return False
    return b"<akomaNtoso" in head


def _text(elem: ET.Element | None) -> str:
    if elem is None:
        return ""
    text = clean_text("".join(elem.itertext()))
    # Inline markup on its own lines (affectedDocument, ref) leaves "( 635/1998 )".
    return re.sub(r"\s+([),.;:])", r"\1", re.sub(r"\(\s+", "(", text))


def _local(elem: ET.Element) -> str:
    return elem.tag.rsplit("}", 1)[-1]


def _is_note(elem: ET.Element) -> bool:
    return _local(elem) == "hcontainer" and elem.get("name") == "noteAuthorial"


def _children(elem: ET.Element) -> list[ET.Element]:
    """Child elements, less the previous wording of a changed or repealed element.

    Only the new wording is kept: the old one follows either a "Aiempi sanamuoto kuuluu:" note or
    its replacement directly (same eId without the ``vYYYYNNNN`` suffix).
    """
    out: list[ET.Element] = []
    skip_next = False
    previous_base = None
    for child in elem:
        if _is_note(child):
            skip_next = True
            continue
        eid = child.get("eId")
        if skip_next or (eid and previous_base and eid == previous_base and out and out[-1].get("eId") != eid):
            skip_next = False
            continue
        out.append(child)
        previous_base = _VERSION_SUFFIX_RE.sub("", eid) if eid else None
    return out


def _table(elem: ET.Element) -> str:
    rows = [[_text(cell) for cell in row if _local(cell) in ("td", "th")] for row in elem.iter(f"{AKN}tr")]
    return render_table(rows)


def _block_lines(elem: ET.Element, indent: str = "") -> list[str]:
    """Text lines of a content/intro/paragraph tree: numbered items keep their ``1)``."""
    name = _local(elem)
    if name == "table":
        return [_table(elem)]
    if name in ("paragraph", "subparagraph"):
        lines: list[str] = []
        num = _text(elem.find(f"{AKN}num"))
        body = [c for c in _children(elem) if _local(c) != "num"]
        first = True
        for child in body:
            for line in _block_lines(child, indent + ("  " if _local(child) == "subparagraph" else "")):
                if first and num:
                    line = f"{indent}{num} {line.lstrip()}"
                    first = False
                lines.append(line)
        return lines
    if name in ("content", "intro", "wrapUp", "blockList", "list"):
        lines = []
        for child in _children(elem):
            lines.extend(_block_lines(child, indent))
        if not lines and name == "content":
            text = _text(elem)
            return [indent + text] if text else []
        return lines
    if name == "hcontainer":
        return []  # omission markers, notes
    text = _text(elem)
    return [indent + text] if text else []


def _subsection(elem: ET.Element) -> Subsection | None:
    lines: list[str] = []
    items: list[str] = []
    for child in _children(elem):
        if _local(child) == "num":
            continue
        child_lines = _block_lines(child)
        if _local(child) == "wrapUp" and lines and child_lines:
            # The Finlex XML gives the closing words on the last item's line; keep both readers alike.
            lines[-1] = f"{lines[-1]} {' '.join(line.strip() for line in child_lines)}"
            continue
        if _local(child) == "paragraph":
            items.extend(line.strip() for line in child_lines)
        lines.extend(child_lines)
    text = "\n".join(line for line in lines if line.strip())
    text = _OLD_WORDING_RE.sub("", text)  # the old wording itself is dropped
    return Subsection(text, tuple(items)) if text else None


def _section(elem: ET.Element, chapter: str | None, chapter_heading: str | None) -> Section:
    label = _text(elem.find(f"{AKN}num"))
    match = _SECTION_RE.match(label)
    number = clean_text(match.group(1)) if match else (label.replace("§", "").strip() or None)
    subsections: list[Subsection] = []
    partial = False
    for child in _children(elem):
        name = _local(child)
        if name == "subsection":
            sub = _subsection(child)
            if sub is not None:
                subsections.append(sub)
        elif name == "hcontainer" and child.get("name") == "omission":
            partial = True
        elif name in ("paragraph", "content"):
            # A section that is a bare list (no subsection wrapper) or bare text.
            sub = _subsection_of_lines(_block_lines(child))
            if sub is not None:
                subsections.append(sub)
    return Section(
        number=number,
        heading=_text(elem.find(f"{AKN}heading")) or None,
        chapter=chapter,
        chapter_heading=chapter_heading,
        subsections=tuple(subsections),
        partial=partial,
    )


def _subsection_of_lines(lines: list[str]) -> Subsection | None:
    text = "\n".join(line for line in lines if line.strip())
    return Subsection(text) if text else None


def _walk(elem: ET.Element, chapter: str | None, chapter_heading: str | None, out: list[Section]) -> None:
    for child in _children(elem):
        name = _local(child)
        if name == "section":
            out.append(_section(child, chapter, chapter_heading))
        elif name == "chapter":
            label = _text(child.find(f"{AKN}num"))
            match = _CHAPTER_RE.match(label)
            number = clean_text(match.group(1)) if match else (label or None)
            _walk(child, number, _text(child.find(f"{AKN}heading")) or None, out)
        elif name in ("part", "hcontainer") and child.get("name") not in ("noteAuthorial", "omission"):
            _walk(child, chapter, chapter_heading, out)


def amended_by(root: ET.Element) -> tuple[Amendment, ...]:
    """``finlex:amendedBy`` of a consolidated version: (act, entry-into-force date) pairs."""
    out = []
    for ref in root.iter(f"{FINLEX}amendedBy"):
        for statute_ref in ref.iter(f"{FINLEX}statuteReference"):
            act = _text(statute_ref.find(f"{FINLEX}ref"))
            date_elem = statute_ref.find(f".//{FINLEX}dateEntryIntoForce")
            if act:
                out.append(Amendment(act, date_elem.get("date") if date_elem is not None else None, "amend"))
    return tuple(out)


def section_versions(path: str | Path) -> dict[str, tuple[str, ...]]:
    """For a consolidated version: section number → amending acts whose text it holds (from eIds)."""
    root = _parse(Path(path))
    out: dict[str, tuple[str, ...]] = {}
    for section in root.iter(f"{AKN}section"):
        match = _SECTION_RE.match(_text(section.find(f"{AKN}num")))
        if not match:
            continue
        acts = []
        for elem in section.iter():
            version = _VERSION_RE.match(elem.get(f"{FINLEX}originalVersion") or "")
            if version:
                act = f"{int(version.group(2))}/{version.group(1)}"
                if act not in acts:
                    acts.append(act)
        out[clean_text(match.group(1))] = tuple(acts)
    return out


def _parse(path: Path) -> ET.Element:
    try:
        root = ET.parse(path).getroot()
    except ET.ParseError as exc:
        raise SourceFormatError(path, f"malformed XML: {exc}") from exc
    except OSError as exc:
        raise SourceFormatError(path, f"cannot read file: {exc.strerror or exc}") from exc
    check_depth(root, path)
    return root


def read_akn(path: str | Path) -> Statute:
    """Parse one Akoma Ntoso statute; raises :class:`SourceFormatError` naming the file."""
    path = Path(path)
    root = _parse(path)
    act = root.find(f"{AKN}act")
    if _local(root) != "akomaNtoso" or act is None:
        raise SourceFormatError(path, "not an Akoma Ntoso act: no akomaNtoso/act element")
    number = _text(act.find(f".//{AKN}preface//{AKN}docNumber"))
    if not re.fullmatch(r"\d+/\d{4}", number):
        work = act.find(f".//{AKN}FRBRWork/{AKN}FRBRuri")
        match = re.search(r"/(\d{4})/(\d+)$", work.get("value", "") if work is not None else "")
        if not match:
            raise SourceFormatError(path, "statute number missing (no docNumber, no FRBRWork uri)")
        number = f"{int(match.group(2))}/{match.group(1)}"
    title = _text(act.find(f".//{AKN}preface//{AKN}docTitle"))
    if not title:
        raise SourceFormatError(path, "statute title missing (preface/docTitle)")
    language = act.find(f".//{AKN}FRBRExpression/{AKN}FRBRlanguage")
    lang = _LANGS.get(language.get("language", "") if language is not None else "", "fi")
    type_ref = act.find(f".//{FINLEX}typeStatute")
    kind = "asetus" if type_ref is not None and "decree" in (type_ref.get("refersTo") or "") else "laki"

    preamble: list[str] = []
    formula = act.find(f"{AKN}preamble/{AKN}formula")
    if formula is not None:
        for elem in formula:
            text = _text(elem)
            if text:
                preamble.append(text)
    body = act.find(f"{AKN}body")
    if body is not None and body.find(f".//{AKN}hcontainer[@name='contentAbsent']") is not None:
        raise SourceFormatError(path, "no statute text in this version (hcontainer contentAbsent)")
    sections: list[Section] = []
    entry: tuple[str, ...] = ()
    if body is not None:
        for wrapper in body.findall(f"{AKN}hcontainer"):
            name = wrapper.get("name")
            if name == "statuteProvisionsWrapper":
                _walk(wrapper, None, None, sections)
            elif name == "entryIntoForce":
                entry = tuple(_text(p) for p in wrapper.iter(f"{AKN}p") if _text(p))
                if entry:
                    subs = tuple(Subsection(p) for p in entry)
                    sections.append(Section(None, None, None, None, subs, kind="VoimaantuloSaannos"))
            elif name == "attachments":
                for attachment in wrapper.findall(f"{AKN}hcontainer"):
                    lines = [line for c in attachment if _local(c) != "heading" for line in _block_lines(c)]
                    sub = _subsection_of_lines(lines)
                    if sub is not None:
                        heading = _text(attachment.find(f"{AKN}heading")) or None
                        sections.append(Section(None, heading, None, None, (sub,), kind="Liite"))
    if not any(s.kind == "Pykala" for s in sections):
        raise SourceFormatError(path, "no sections (akn:section) found")
    return Statute(
        number=number,
        title=title,
        kind=kind,
        lang=lang,
        preamble=tuple(preamble),
        sections=tuple(sections),
        source_path=str(path),
        issuer=issuer_from_preamble(preamble[0] if preamble else None),
        entry_into_force=entry,
    )
