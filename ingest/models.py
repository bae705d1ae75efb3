"""Plain data passed from ingestion to indexing: documents, chunks and their citations."""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass, field


def now_iso() -> str:
    """The current UTC time, ISO 8601 to the second (revisions, sessions, the re-index job's times)."""
    return dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")


def today_iso() -> str:
    """Today's date (UTC) as ISO: the day wordings in force and perusteet' validity are judged on."""
    return dt.datetime.now(dt.timezone.utc).date().isoformat()


def finnish_date(iso: str | None) -> str:
    """``2022-08-01`` → ``1.8.2022`` (the form both languages' pages use); a value that is not an ISO date as it is."""
    if not iso:
        return ""
    try:
        y, m, d = (int(x) for x in iso.split("-"))
    except ValueError:
        return iso
    return f"{d}.{m}.{y}"


def text_hash(text: str) -> str:
    """Return the hex SHA-256 of a text (used for change detection and embedding caches)."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class Amendment:
    """One change an amending act makes to a section: ``change`` is amend | repeal | add.

    ``date`` is the ISO entry-into-force date (None when the act does not say); ``part`` names the
    changed part in the act's own words (``"3 momentti"``), None for the whole section.
    """

    act: str  # "1218/2020"
    date: str | None
    change: str  # amend | repeal | add
    part: str | None = None

    def to_dict(self) -> dict:
        """Return the amendment as JSON-ready data."""
        return {"act": self.act, "date": self.date, "change": self.change, "part": self.part}

    @classmethod
    def from_dict(cls, data: dict) -> "Amendment":
        """Rebuild an amendment from :meth:`to_dict` output."""
        return cls(act=data["act"], date=data.get("date"), change=data["change"], part=data.get("part"))

    def label(self, lang: str = "fi") -> str:
        """Short note, e.g. ``muutettu: 1218/2020 (voimaan 1.8.2021)``."""
        words = _CHANGE_WORDS["sv" if lang == "sv" else "fi"]
        text = f"{words[self.change]}: {self.act}"
        if self.date:
            text += f" ({words['in_force']} {finnish_date(self.date)})"
        return text


_CHANGE_WORDS = {
    "fi": {"amend": "muutettu", "repeal": "kumottu", "add": "lisätty", "in_force": "voimaan"},
    "sv": {"amend": "ändrad", "repeal": "upphävd", "add": "tillagd", "in_force": "i kraft"},
}


@dataclass(frozen=True)
class Citation:
    """Where a chunk comes from, precisely enough for a coach to cite and verify it.

    Statute chunks fill ``statute`` and ``section``; guide and instruction chunks fill
    ``heading_path`` and ``page``. ``label`` is the human citation string shown to users.
    """

    doc_id: str
    doc_title: str
    kind: str  # laki | asetus | opas | ohje | ukk
    lang: str  # fi | sv
    label: str
    statute: str | None = None  # "531/2017"
    chapter: str | None = None  # "1" (luku), None when the statute has no chapters
    chapter_heading: str | None = None
    section: str | None = None  # "44", "52 a"
    section_heading: str | None = None
    subsections: tuple[int, ...] = ()  # momentit held by the chunk; () = the whole section
    heading_path: tuple[str, ...] = ()
    page: int | None = None
    url: str | None = None
    section_key: str | None = None  # language-independent key linking fi and sv texts
    # Added for issue 7; all optional so older chunks.jsonl files still load.
    page_end: int | None = None  # last page a guide chunk spans (None = same as page)
    order: int | None = None  # position of the section / block in its document (0-based)
    issuer: str | None = None  # "Eduskunta", "Valtioneuvosto", "Esimerkkiopisto"
    amendments: tuple[Amendment, ...] = ()  # base section: the acts that changed it, oldest first
    amends: str | None = None  # amending act's section: section_key of the base section it rewrites
    amends_statute: str | None = None  # the base statute it amends, "531/2017"
    in_force: str | None = None  # amending act's section: ISO date it takes effect
    momentti_count: int | None = None  # momentit in the whole section (statutes)
    kohdat: tuple[str, ...] = ()  # kohdat held, when one long list momentti is split ("5", "6", …)
    # Added for issue 16 (the law in force); all optional so older chunks.jsonl files still load.
    consolidation: str | None = None  # amended section: "consolidated" (text in force) | "apart" (enacted text)
    in_force_on: str | None = None  # the date whose wording a consolidated chunk holds
    wording_since: str | None = None  # that wording took effect
    wording_until: str | None = None  # its last day, for a wording no longer (or not yet) in force on in_force_on
    wording_acts: tuple[str, ...] = ()  # the acts whose text the chunk holds, oldest first
    repealed_by: str | None = None  # a repealed section's stub: the repealing act
    # Added for issue 17 (ePerusteet): a peruste's parts.
    peruste: str | None = None  # the peruste's diaarinumero, "OPH-2762-2017"
    unit: str | None = None  # the tutkinnon osa (koodi "105708") or TUVA koulutuksen osa ("101")
    valid_from: str | None = None  # the peruste's voimassaolo
    valid_until: str | None = None
    transition_until: str | None = None  # siirtymäaika: an expired peruste still applies until then
    institution: str | None = None  # an institution's own document: only that institution's users see it

    def to_dict(self) -> dict:
        """Return the citation as JSON-ready data."""
        return {
            "doc_id": self.doc_id,
            "doc_title": self.doc_title,
            "kind": self.kind,
            "lang": self.lang,
            "label": self.label,
            "statute": self.statute,
            "chapter": self.chapter,
            "chapter_heading": self.chapter_heading,
            "section": self.section,
            "section_heading": self.section_heading,
            "subsections": list(self.subsections),
            "heading_path": list(self.heading_path),
            "page": self.page,
            "url": self.url,
            "section_key": self.section_key,
            "page_end": self.page_end,
            "order": self.order,
            "issuer": self.issuer,
            "amendments": [a.to_dict() for a in self.amendments],
            "amends": self.amends,
            "amends_statute": self.amends_statute,
            "in_force": self.in_force,
            "momentti_count": self.momentti_count,
            "kohdat": list(self.kohdat),
            "consolidation": self.consolidation,
            "in_force_on": self.in_force_on,
            "wording_since": self.wording_since,
            "wording_until": self.wording_until,
            "wording_acts": list(self.wording_acts),
            "repealed_by": self.repealed_by,
            "peruste": self.peruste,
            "unit": self.unit,
            "valid_from": self.valid_from,
            "valid_until": self.valid_until,
            "transition_until": self.transition_until,
            "institution": self.institution,
        }

    @classmethod
    def from_dict(cls, data: dict) -> "Citation":
        """Rebuild a citation from :meth:`to_dict` output."""
        values = dict(data)
        values["subsections"] = tuple(values.get("subsections") or ())
        values["heading_path"] = tuple(values.get("heading_path") or ())
        values["kohdat"] = tuple(values.get("kohdat") or ())
        values["wording_acts"] = tuple(values.get("wording_acts") or ())
        values["amendments"] = tuple(Amendment.from_dict(a) for a in values.get("amendments") or ())
        return cls(**values)


@dataclass(frozen=True)
class Chunk:
    """One retrievable passage with its citation.

    ``text`` is what users see; ``context`` is the heading line prepended for the embedder
    (statute, chapter and section headings) so that a bare momentti still carries its topic.
    """

    id: str
    text: str
    citation: Citation
    context: str = ""
    tokens: int | None = None  # model tokens of embed_text, as counted when chunking

    @property
    def embed_text(self) -> str:
        """Text given to the embedder: context line, then the passage."""
        return f"{self.context}\n{self.text}" if self.context else self.text

    @property
    def content_hash(self) -> str:
        """Hash of everything that affects the chunk's embedding or display."""
        return text_hash(self.embed_text)

    def to_dict(self) -> dict:
        """Return the chunk as JSON-ready data."""
        return {
            "id": self.id,
            "text": self.text,
            "context": self.context,
            "citation": self.citation.to_dict(),
            "tokens": self.tokens,
        }

    @classmethod
    def from_dict(cls, data: dict) -> "Chunk":
        """Rebuild a chunk from :meth:`to_dict` output."""
        return cls(
            id=data["id"],
            text=data["text"],
            context=data.get("context", ""),
            citation=Citation.from_dict(data["citation"]),
            tokens=data.get("tokens"),
        )


@dataclass(frozen=True)
class Document:
    """A source document (statute, guide, instruction) and the chunks made from it."""

    id: str
    title: str
    kind: str
    lang: str
    source_path: str
    url: str | None = None
    issuer: str | None = None
    chunks: tuple[Chunk, ...] = field(default_factory=tuple)
    valid_from: str | None = None  # ISO date from the manifest

    @property
    def content_hash(self) -> str:
        """Hash over all chunk hashes, in order."""
        return text_hash("\n".join(c.content_hash for c in self.chunks))


@dataclass(frozen=True)
class BankQuestion:
    """One question of the question bank (kysymyspankki), tied to the chunk that holds its answer phrase.

    ``statute``/``section`` name the base statute's section the question is about; ``act`` is the
    act whose wording holds ``answer`` (the statute itself, or an amending act); ``source`` is
    ``file:entry`` for error messages and reports.
    """

    chunk_id: str
    statute: str
    section: str
    lang: str
    text: str
    answer: str
    act: str
    source: str

    def to_dict(self) -> dict:
        """JSON-ready data."""
        return dict(self.__dict__)

    @classmethod
    def from_dict(cls, data: dict) -> "BankQuestion":
        """Rebuild from :meth:`to_dict` output."""
        return cls(**data)
