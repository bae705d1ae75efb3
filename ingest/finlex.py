"""Reader for Finlex XML statutes (säädöskooste schema 2010/04/27, as in ../shared/corpus/finlex).

The reader returns the statute's structure (chapters, sections, subsections) as plain data;
:mod:`ingest.chunking` turns that structure into cited chunks.
"""

from __future__ import annotations

import logging
import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path

from .errors import SourceFormatError
from .text import strip_controls

logger = logging.getLogger(__name__)

SAA = "{http://www.vn.fi/skeemat/saadoskooste/2010/04/27}"
SAA1 = "{http://www.vn.fi/skeemat/saadoselementit/2010/04/27}"
ASI1 = "{http://www.vn.fi/skeemat/asiakirjaelementit/2010/04/27}"
MET1 = "{http://www.vn.fi/skeemat/metatietoelementit/2010/04/27}"
TAU = "{http://www.vn.fi/skeemat/taulukkokooste/2010/04/27}"
SIS = "{http://www.vn.fi/skeemat/sisaltokooste/2010/04/27}"

_FILE_RE = re.compile(r"^asd(\d{4})(\d{4})$")
_SECTION_RE = re.compile(r"^\s*(\d+\s*[a-z]?)\s*§")
_CHAPTER_RE = re.compile(r"^\s*(\d+\s*[a-z]?)\s*(?:luku|kap\.?|kapitlet)", re.IGNORECASE)
_WS_RE = re.compile(r"\s+")


@dataclass(frozen=True)
class Subsection:
    """One momentti: its text, and for a list subsection its numbered items (kohdat) and lead-in."""

    text: str
    items: tuple[str, ...] = ()
    lead: str | None = None  # a list momentti's lead-in (johdantokappale); None for a plain one
    partial: bool = False  # an amending act's list momentti that leaves kohdat out (– – –)


@dataclass(frozen=True)
class Section:
    """One pykälä with its place in the statute."""

    number: str | None  # "44", "52 a"; None for an unnumbered entry-into-force provision
    heading: str | None
    chapter: str | None
    chapter_heading: str | None
    subsections: tuple[Subsection, ...]
    kind: str = "Pykala"  # pykalaLuokitusKoodi: Pykala | VoimaantuloSaannos | ...
    # True when the text leaves out unchanged momentit (an amending act's "– – –"), so the
    # positions of its momentit are not their numbers in the statute.
    partial: bool = False

    @property
    def text(self) -> str:
        """The whole section as readable text, momentit separated by blank lines."""
        return "\n\n".join(s.text for s in self.subsections)


@dataclass(frozen=True)
class Statute:
    """A statute read from one Finlex XML file."""

    number: str  # "531/2017"
    title: str  # "Laki ammatillisesta koulutuksesta"
    kind: str  # laki | asetus
    lang: str  # fi | sv
    preamble: tuple[str, ...]
    sections: tuple[Section, ...] = field(default_factory=tuple)
    source_path: str = ""
    issuer: str | None = None
    entry_into_force: tuple[str, ...] = ()  # paragraphs of the voimaantulosäännös


#: Deepest element nesting a statute may have. The Finlex and Akoma Ntoso files of the shared corpus
#: nest 12 levels at most; the readers walk the tree recursively, so a hostile file must be refused before that.
MAX_DEPTH = 200


def clean_text(text: str) -> str:
    """Drop control characters, collapse whitespace runs to single spaces and trim."""
    return _WS_RE.sub(" ", strip_controls(text)).strip()


def check_depth(root: ET.Element, path: Path, limit: int = MAX_DEPTH) -> None:
    """Refuse a tree nested deeper than ``limit`` (measured without recursion), naming the file."""
    stack = [(root, 1)]
    deepest = 0
    while stack:
        elem, depth = stack.pop()
        deepest = max(deepest, depth)
        stack.extend((child, depth + 1) for child in elem)
    if deepest > limit:
        raise SourceFormatError(path, f"elements nested {deepest} levels deep (more than {limit}); refused")


def _text(elem: ET.Element | None) -> str:
    return clean_text("".join(elem.itertext())) if elem is not None else ""


def _child_text(elem: ET.Element, tag: str) -> str | None:
    child = elem.find(tag)
    text = _text(child)
    return text or None


def statute_number_from_path(path: Path) -> str | None:
    """``asd20170531.xml`` → ``531/2017``; None when the name does not follow that pattern."""
    match = _FILE_RE.match(path.stem)
    if not match:
        return None
    year, number = match.groups()
    return f"{int(number)}/{year}"


def render_table(rows: list[list[str]]) -> str:
    """Rows of cells as readable text: one row a line, cells joined by `` | ``."""
    return "\n".join(" | ".join(cells) for cells in rows if any(cells))


def _table_text(elem: ET.Element) -> str:
    rows = [[_text(entry) for entry in row.iter(f"{TAU}entry")] for row in elem.iter(f"{TAU}row")]
    return render_table(rows)


_ISSUERS = {
    "eduskunnan": "Eduskunta",
    "riksdagens": "Riksdagen",
    "valtioneuvoston": "Valtioneuvosto",
    "statsrådets": "Statsrådet",
    "opetus- ja kulttuuriministeriön": "Opetus- ja kulttuuriministeriö",
    "undervisnings- och kulturministeriets": "Undervisnings- och kulturministeriet",
}


def issuer_from_preamble(first: str | None) -> str | None:
    """``Eduskunnan päätöksen mukaisesti`` → ``Eduskunta``; None when not recognised."""
    if not first:
        return None
    text = first.lower()
    for genitive, name in _ISSUERS.items():
        if genitive in text:
            return name
    return None


def _read_subsection(elem: ET.Element) -> Subsection | None:
    tag = elem.tag
    if tag == f"{SAA}MomenttiKohtaKooste":
        # An amending act that rewrites a single kohta gives it without its momentti.
        text = _text(elem)
        return Subsection(text, (text,)) if text else None
    if tag == f"{SAA}MomenttiKooste":
        text = _text(elem)
        return Subsection(text) if text else None
    if tag == f"{SAA}KohdatMomentti":
        # A list subsection: lead-in, numbered items, sub-items. Reading only MomenttiKooste
        # would lose these whole subsections.
        lead = _child_text(elem, f"{SAA}MomenttiJohdantoKooste") or ""
        items: list[str] = []
        lines = [lead] if lead else []
        partial = False
        for child in elem:
            if child.tag == f"{SIS}Katkoviiva":
                partial = True
            elif child.tag == f"{SAA}MomenttiKohtaKooste":
                item = _text(child)
                items.append(item)
                lines.append(item)
            elif child.tag == f"{SAA}MomenttiAlakohtaKooste":
                item = _text(child)
                items.append(item)
                lines.append("  " + item)
            elif child.tag == f"{SAA}MomenttiJohdantoKooste":
                continue
            else:
                extra = _text(child)
                if extra:
                    lines.append(extra)
        text = "\n".join(line for line in lines if line)
        return Subsection(text, tuple(items), lead or None, partial) if text else None
    return None


def _read_section(elem: ET.Element, chapter: str | None, chapter_heading: str | None) -> Section:
    label = _child_text(elem, f"{SAA}PykalaTunnusKooste")
    number = None
    if label:
        match = _SECTION_RE.match(label)
        number = clean_text(match.group(1)) if match else label.replace("§", "").strip()
    subsections: list[Subsection] = []
    partial = False
    for child in elem:
        if child.tag == f"{TAU}table":
            # A table belongs to the momentti that introduces it ("pisteitä annetaan seuraavasti:").
            table = _table_text(child)
            if subsections and table:
                last = subsections[-1]
                subsections[-1] = Subsection(f"{last.text}\n{table}", last.items, last.lead, last.partial)
            elif table:
                subsections.append(Subsection(table))
            continue
        if child.tag == f"{SIS}Katkoviiva":
            partial = True
            continue
        sub = _read_subsection(child)
        if sub is not None:
            subsections.append(sub)
    return Section(
        number=number,
        heading=_child_text(elem, f"{SAA}SaadosOtsikkoKooste"),
        chapter=chapter,
        chapter_heading=chapter_heading,
        subsections=tuple(subsections),
        kind=elem.get(f"{SAA1}pykalaLuokitusKoodi", "Pykala"),
        partial=partial,
    )


def _walk(elem: ET.Element, chapter: str | None, chapter_heading: str | None, out: list[Section]) -> None:
    for child in elem:
        if child.tag == f"{SAA}Pykala":
            out.append(_read_section(child, chapter, chapter_heading))
        elif child.tag == f"{SAA}Luku":
            label = _child_text(child, f"{SAA}LukuTunnusKooste") or ""
            match = _CHAPTER_RE.match(label)
            number = clean_text(match.group(1)) if match else (label or None)
            _walk(child, number, _child_text(child, f"{SAA}SaadosOtsikkoKooste"), out)
        elif child.tag == f"{SAA}Osa":
            _walk(child, chapter, chapter_heading, out)


def read_statute(path: str | Path) -> Statute:
    """Parse one Finlex XML file; raises :class:`SourceFormatError` naming the file."""
    path = Path(path)
    try:
        root = ET.parse(path).getroot()
    except ET.ParseError as exc:
        raise SourceFormatError(path, f"malformed XML: {exc}") from exc
    except OSError as exc:
        raise SourceFormatError(path, f"cannot read file: {exc.strerror or exc}") from exc
    check_depth(root, path)
    saados = root.find(f".//{SAA}Saados")
    if saados is None:
        raise SourceFormatError(path, "not a Finlex statute: no saa:Saados element")

    number = statute_number_from_path(path)
    nro = root.find(f".//{ASI1}AsiakirjaNroTeksti")
    year = root.find(f".//{ASI1}ValtiopaivavuosiTeksti")
    if nro is not None and year is not None and _text(nro) and _text(year):
        number = f"{_text(nro)}/{_text(year)}"
    if not number:
        raise SourceFormatError(path, "statute number missing (no AsiakirjaNroTeksti and no asdYYYYNNNN file name)")

    type_text = _child_text(saados, f"{SAA}SaadosNimeke/{SAA}SaadostyyppiKooste") or ""
    name_text = _child_text(saados, f"{SAA}SaadosNimeke/{SAA}SaadosNimekeKooste") or ""
    title = clean_text(f"{type_text} {name_text}")
    if not title:
        raise SourceFormatError(path, "statute title missing (saa:SaadosNimeke)")
    type_name = (saados.get(f"{SAA1}saadostyyppiNimi") or type_text).lower()
    kind = "asetus" if "asetus" in type_name or "förordning" in type_name else "laki"
    lang = saados.get(f"{MET1}kieliKoodi") or root.get(f"{MET1}kieliKoodi") or "fi"

    preamble = tuple(_text(p) for p in saados.findall(f"{SAA}Johtolause/{SAA}SaadosKappaleKooste") if _text(p))
    sections: list[Section] = []
    pykalisto = saados.find(f"{SAA}Pykalisto")
    if pykalisto is not None:
        _walk(pykalisto, None, None, sections)
    if not sections:
        raise SourceFormatError(path, "no sections (saa:Pykala) found")
    in_force = next((s for s in sections if s.kind == "VoimaantuloSaannos"), None)
    return Statute(
        number=number,
        title=title,
        kind=kind,
        lang=lang,
        preamble=preamble,
        sections=tuple(sections),
        source_path=str(path),
        issuer=issuer_from_preamble(preamble[0] if preamble else None),
        entry_into_force=tuple(s.text for s in in_force.subsections) if in_force else (),
    )
