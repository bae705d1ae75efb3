"""Plain data of the query side: filters, the prepared query, hits and results, sections, drafts, scores.

Every stage above (``search_api``, ``lahde``) and every page works with these types; nothing
here knows HTTP.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ingest.models import Chunk, Citation, finnish_date, today_iso

MODES = ("hybrid", "dense", "lexical")
#: Shown instead of an answer draft when the evidence is too weak.
NO_SOURCE_FI = "riittävää lähdettä ei löytynyt"


def in_period(citation: Citation, on: str | None) -> bool:
    """Whether a chunk holds a wording of the asked date (``None``: in force at build time, or enacted for later).

    Chunks without a wording period (sections never amended, amending acts, guides) always pass.
    """
    since = getattr(citation, "wording_since", None)
    until = getattr(citation, "wording_until", None)
    if getattr(citation, "consolidation", None) != "consolidated" or since is None:
        return True
    if on is None:
        built = getattr(citation, "in_force_on", None)
        return until is None or built is None or until >= built
    return since <= on and (until is None or on <= until)


def peruste_applies(citation: Citation, on: str | None) -> bool:
    """Whether a peruste's chunk applies on the date (default today): in force, or within its siirtymäaika.

    Chunks of other sources always pass.
    """
    if getattr(citation, "kind", None) != "peruste":
        return True
    day = on or today_iso()
    start = getattr(citation, "valid_from", None)
    last = getattr(citation, "transition_until", None) or getattr(citation, "valid_until", None)
    return (start is None or on is None or start <= day) and (last is None or day <= last)


def visible_to(citation: Citation, viewer: str | None) -> bool:
    """Public passages are seen by everyone; an institution's own only by its users (``viewer``: their institution)."""
    return citation.institution is None or citation.institution == viewer


@dataclass(frozen=True)
class Filters:
    """Optional restrictions on which chunks may be returned; ``doc`` is one source document's id.

    ``on`` (ISO date) asks for the wordings in force that day: an amended section's older
    wordings are indexed beside the one in force, and only the ones whose period holds the
    date pass. Without it, the wording in force when the index was built and those enacted for
    later pass (never the superseded ones).
    """

    kind: str | None = None
    lang: str | None = None
    statute: str | None = None
    doc: str | None = None
    on: str | None = None
    expired: bool = False  # also perusteet past their voimassaolo and siirtymäaika
    viewer: str | None = None  # the reader's institution: its own documents pass, other institutions' never

    @classmethod
    def of(
        cls,
        kind: str | None = None,
        lang: str | None = None,
        statute: str | None = None,
        doc: str | None = None,
        on: str | None = None,
        expired: bool = False,
        viewer: str | None = None,
    ) -> "Filters":
        """Filters from request or command-line values; blank values count as unset."""
        return cls(
            kind=kind or None,
            lang=lang or None,
            statute=statute or None,
            doc=doc or None,
            on=on or None,
            expired=expired,
            viewer=viewer or None,
        )

    @classmethod
    def for_source(
        cls, kind: str | None, lang: str | None, source: str | None, on: str | None = None, viewer: str | None = None
    ) -> "Filters":
        """Filters for a page's source choice: a statute number ("531/2017") or a guide's document id."""
        # Statute numbers hold a slash; document ids ("fi.opas-hoks") never do.
        if source and "/" in source:
            return cls.of(kind, lang, statute=source, on=on, viewer=viewer)
        return cls.of(kind, lang, doc=source, on=on, viewer=viewer)

    def accepts(self, chunk: Chunk) -> bool:
        """True when the chunk passes every set filter (and holds a wording of the asked time)."""
        c = chunk.citation
        return (
            (self.kind is None or c.kind == self.kind)
            and (self.lang is None or c.lang == self.lang)
            and (self.statute is None or c.statute == self.statute)
            and (self.doc is None or c.doc_id == self.doc)
            and in_period(c, self.on)
            and (self.expired or peruste_applies(c, self.on))
            and visible_to(c, self.viewer)
        )

    @property
    def active(self) -> bool:
        """True when any filter is set."""
        return self.expired or any(
            v is not None for v in (self.kind, self.lang, self.statute, self.doc, self.on, self.viewer)
        )


@dataclass(frozen=True)
class Entry:
    """One glossary line: a key phrase and the statute terms it stands for, in one language."""

    lang: str
    key: str
    expansion: str


@dataclass(frozen=True)
class Reference:
    """A section named in a query; ``statute`` is None when the query names no statute."""

    section: str
    statute: str | None = None


@dataclass(frozen=True)
class PreparedQuery:
    """One query analysed once, for every ranking step, the expansions list and the drafter.

    ``terms_by_lang`` holds the analysis in each language; ``lang`` is the language the lexical
    side and the glossary use (None: both). ``vector`` is the embedding of ``dense_text`` (None in
    lexical mode).
    """

    text: str
    mode: str
    filters: Filters | None
    lang: str | None
    terms_by_lang: dict[str, list[str]]
    terms: tuple[str, ...]  # the lexical side's terms (the query's own language when known)
    expansion_terms: tuple[str, ...]  # the glossary's extra BM25 terms
    matches: tuple[Entry, ...]  # glossary entries whose key the query contains
    expansions: tuple[Entry, ...]  # the matches that expand the query in this mode (shown)
    dense_text: str  # what the dense side embeds: the query and the glossary's phrases
    references: tuple[Reference, ...]  # sections the query names ("44 §")
    vector: np.ndarray | None = field(default=None, compare=False, repr=False)


@dataclass(frozen=True)
class OtherVersion:
    """Another act's wording of a hit's section, found by the same search."""

    chunk_id: str
    act: str  # the statute number of the act holding this wording: "718/2022"
    label: str
    in_force: str | None  # ISO date the wording took effect (None for the statute as enacted)
    score: float

    def note(self, lang: str = "fi") -> str:
        """Short note for a list of wordings: ``718/2022 (voimaan 1.8.2022)``, ``531/2017 (alkuperäinen)``."""
        words = _VERSION_WORDS.get(lang, _VERSION_WORDS["fi"])
        if not self.in_force:
            return f"{self.act} ({words['enacted']})"
        # A value that is not an ISO date is shown as the index has it.
        return f"{self.act} ({words['in_force']} {finnish_date(self.in_force)})"


_VERSION_WORDS = {
    "fi": {"in_force": "voimaan", "enacted": "alkuperäinen"},
    "sv": {"in_force": "i kraft", "enacted": "ursprunglig"},
}


@dataclass(frozen=True)
class Hit:
    """One search result: the chunk, its score and its rank (1-based)."""

    chunk: Chunk
    score: float
    rank: int
    # Other acts' wordings of the same section folded into this hit (retrieval.versions); () when not collapsed.
    versions: tuple[OtherVersion, ...] = ()


def marked_words(query: str, expansions: tuple[Entry, ...]) -> str:
    """A query with its glossary expansions appended: the text whose words a page marks."""
    return " ".join([query, *(e.expansion for e in expansions)])


@dataclass(frozen=True)
class SearchResult:
    """Hits for one query with the time the search took."""

    query: str
    hits: list[Hit]
    took_ms: float
    mode: str = "hybrid"
    expansions: tuple[Entry, ...] = ()  # glossary entries that expanded the query in this mode

    @property
    def highlight_query(self) -> str:
        """The words a page marks in the hits: the query's own and those the glossary expanded it with."""
        return marked_words(self.query, self.expansions)


@dataclass(frozen=True)
class AmendmentNote:
    """One change an amending act made to a section."""

    act: str
    date: str | None
    change: str
    part: str | None
    note: str


@dataclass(frozen=True)
class SectionView:
    """A whole section (all momentit) with its place in the document and its other-language versions."""

    chunk_id: str
    lang: str
    key: str
    label: str  # the whole section's citation, without a momentti span
    chunks: list[Chunk]
    previous: Chunk | None  # first chunk of the section before, in document order
    next: Chunk | None
    amendments: list[AmendmentNote]  # worded in the section's language
    other_languages: list[Chunk]  # first chunk of the same section in each other language

    @property
    def text(self) -> str:
        """The section's text, momentit in order."""
        return "\n\n".join(c.text for c in self.chunks)

    @property
    def first(self) -> Chunk:
        """The section's first chunk: its citation describes the section."""
        return self.chunks[0]


@dataclass(frozen=True)
class DocumentView:
    """A source document as the index knows it: metadata and counts."""

    id: str
    title: str
    kind: str
    lang: str
    statute: str | None
    url: str | None
    chunk_count: int
    section_count: int
    first_chunk_id: str
    other_languages: list[str]  # ids of the same document in other languages
    institution: str | None = None  # an institution's own document (seen only by its users)


@dataclass(frozen=True)
class DraftSentence:
    """One quoted sentence: ``text == chunk.text[start:end]``, cited as ``[source]``."""

    text: str
    source: int
    chunk_id: str
    start: int
    end: int
    score: float


@dataclass(frozen=True)
class Answer:
    """An answer draft (or an abstention) with its numbered sources."""

    question: str
    answered: bool
    sentences: list[DraftSentence]
    sources: list[Hit]  # numbered 1.. in this order; cited by DraftSentence.source
    nearest: list[Hit]  # the retrieved passages, best first (shown when abstaining)
    top_score: float  # score of the best passage
    best_sentence_score: float  # cosine of the best sentence to the question
    threshold: float
    signal: str  # which of the two scores the threshold was applied to: "passage" | "sentence"
    took_ms: float
    message: str | None = None
    timings: dict[str, float] = field(default_factory=dict)

    @property
    def text(self) -> str:
        """The draft as one paragraph with ``[n]`` after each sentence; the abstention message otherwise."""
        if not self.answered:
            return self.message or NO_SOURCE_FI
        return " ".join(f"{s.text} [{s.source}]" for s in self.sentences)


@dataclass(frozen=True)
class Question:
    """One evaluation question."""

    qid: str
    lang: str
    text: str


@dataclass
class EvalResult:
    """Mean metrics for one retrieval mode, plus the per-question figures."""

    name: str
    means: dict[str, float]
    per_question: dict[str, dict[str, float]]
