"""Data the web pages show, assembled from the library: highlights, sections, amendment notes, ask drafts.

These are small seams: each works with today's index data and can later be pointed at the
API's own functions (section assembly, highlights, ``index/answer.py``) without touching the pages.
"""

from __future__ import annotations

import importlib
import logging
import re
import threading
import weakref
from dataclasses import dataclass, field
from typing import Any

from index.store import Filters, Hit, VectorIndex
from ingest.models import Chunk

logger = logging.getLogger(__name__)

_WORD_RE = re.compile(r"\w+", re.UNICODE)
# Question and function words that would light up every passage; they carry no topic.
_STOPWORDS = frozenset(
    """
    mikä mitä mitkä mikä miten miksi milloin missä mihin mistä kuka ketkä kenen kenelle kuinka onko voiko
    saako pitääkö täytyykö kun jos että ja tai sekä on ovat ole ei eikä se ne hän tämä tuo joka jotka
    voi saa pitää täytyy myös vain kanssa mukaan
    vad vem hur när var varför vilken vilka vilket kan får ska måste och eller att som det den är inte
    med för till från på av om har
    """.split()
)
_MIN_STEM = 4
_MOM_RE = re.compile(r" \d+(?:[–-]\d+)? mom\.$")


def query_stems(query: str) -> list[str]:
    """Lower-case prefixes of the query's content words, tolerant of Finnish and Swedish endings."""
    stems: list[str] = []
    for word in _WORD_RE.findall(query.lower()):
        if len(word) < 3 or word in _STOPWORDS or word.isdigit() and len(word) < 2:
            continue
        # Cut inflectional endings: keep about 3/4 of a long word, never less than the word's first 4 letters.
        stem = word if len(word) <= _MIN_STEM else word[: max(_MIN_STEM, min(len(word) - 2, (len(word) * 3 + 3) // 4))]
        if stem not in stems:
            stems.append(stem)
    return stems


def highlight_spans(text: str, query: str) -> list[tuple[str, bool]]:
    """Split text into (segment, matched) pieces; matched words start with a query word's stem."""
    stems = query_stems(query)
    if not stems or not text:
        return [(text, False)] if text else []
    pieces: list[tuple[str, bool]] = []
    last = 0
    for match in _WORD_RE.finditer(text):
        word = match.group().lower()
        if any(word.startswith(s) for s in stems):
            if match.start() > last:
                pieces.append((text[last : match.start()], False))
            pieces.append((match.group(), True))
            last = match.end()
    if last < len(text):
        pieces.append((text[last:], False))
    return pieces


def highlight_paragraphs(text: str, query: str) -> list[list[tuple[str, bool]]]:
    """Highlight pieces per paragraph (momentit are separated by blank lines)."""
    return [highlight_spans(p.strip(), query) for p in re.split(r"\n\s*\n", text) if p.strip()]


def amendment_notes(chunk: Chunk, lang: str = "fi") -> list[str]:
    """Human notes such as 'muutettu: 1218/2020 (voimaan 1.8.2021)' for an amended section."""
    notes: list[str] = []
    for amendment in getattr(chunk.citation, "amendments", ()) or ():
        label = getattr(amendment, "label", None)
        if callable(label):
            notes.append(str(label(lang)))
        elif isinstance(amendment, dict):
            words = {"fi": "muutettu", "sv": "ändrad"}.get(lang, "muutettu")
            notes.append(f"{words}: {amendment.get('act', '?')}")
        else:
            notes.append(str(amendment))
    return notes


@dataclass
class SectionView:
    """A whole section (§) with its place in the statute, neighbours and counterpart."""

    chunk: Chunk  # the first chunk of the section; its citation describes the section
    text: str
    chunk_ids: list[str]
    prev: Chunk | None = None
    next: Chunk | None = None
    counterpart: Chunk | None = None
    amendments: list[str] = field(default_factory=list)

    @property
    def label(self) -> str:
        """The whole section's citation: a chunk's momentti range ('44 § 1–2 mom.') is dropped."""
        return _MOM_RE.sub("", self.chunk.citation.label)


def _section_of(chunk: Chunk) -> tuple[str, str, str]:
    c = chunk.citation
    return (c.doc_id, c.lang, c.section_key or chunk.id)


def section_view(index: VectorIndex, chunk_id: str, lang: str = "fi") -> SectionView | None:
    """Assemble the section holding chunk_id: its chunks in index order, previous/next section, counterpart."""
    chunk = index.get(chunk_id)
    if chunk is None:
        return None
    key = _section_of(chunk)
    # Sections in document order: the index keeps chunks in the order ingestion produced them.
    order: list[tuple[str, str, str]] = []
    members: dict[tuple[str, str, str], list[Chunk]] = {}
    for other in index.chunks:
        if other.citation.doc_id != chunk.citation.doc_id or other.citation.lang != chunk.citation.lang:
            continue
        okey = _section_of(other)
        if okey not in members:
            members[okey] = []
            order.append(okey)
        members[okey].append(other)
    own = members[key]
    pos = order.index(key)
    prev = members[order[pos - 1]][0] if pos > 0 else None
    nxt = members[order[pos + 1]][0] if pos + 1 < len(order) else None
    counterpart = None
    if chunk.citation.section_key:
        for other in index.chunks:
            c = other.citation
            if c.section_key == chunk.citation.section_key and c.lang != chunk.citation.lang:
                counterpart = other
                break
    return SectionView(
        chunk=own[0],
        text="\n\n".join(c.text for c in own),
        chunk_ids=[c.id for c in own],
        prev=prev,
        next=nxt,
        counterpart=counterpart,
        amendments=amendment_notes(own[0], lang),
    )


@dataclass(frozen=True)
class SourceFilters(Filters):
    """Filters plus one source document (a guide or instruction has no statute number to filter by)."""

    doc: str | None = None

    def accepts(self, chunk: Chunk) -> bool:
        """True when the chunk passes every set filter."""
        return super().accepts(chunk) and (self.doc is None or chunk.citation.doc_id == self.doc)

    @property
    def active(self) -> bool:
        """True when any filter is set."""
        return super().active or self.doc is not None


_DOCUMENTS: "weakref.WeakKeyDictionary[VectorIndex, list[tuple[str, dict[str, str]]]]" = weakref.WeakKeyDictionary()


def documents(index: VectorIndex) -> list[tuple[str, dict[str, str]]]:
    """Sources for the statute/guide filter: (statute number or guide doc_id, {lang: title}); statutes first, oldest first."""
    cached = _DOCUMENTS.get(index)
    if cached is None:
        statutes: dict[str, dict[str, str]] = {}
        guides: dict[str, dict[str, str]] = {}
        for chunk in index.chunks:
            c = chunk.citation
            if c.statute:
                statutes.setdefault(c.statute, {}).setdefault(c.lang, c.doc_title)
            else:
                guides.setdefault(c.doc_id, {}).setdefault(c.lang, c.doc_title)
        ordered = sorted(statutes.items(), key=lambda item: (item[0].split("/")[-1], item[0].split("/")[0].zfill(6)))
        cached = ordered + sorted(guides.items(), key=lambda item: next(iter(item[1].values())).lower())
        _DOCUMENTS[index] = cached
    return cached


def source_filters(kind: str | None, lang: str | None, source: str | None) -> Filters:
    """Filters for the page's choices; ``source`` is a statute number or a guide's doc_id."""
    # Statute numbers are "531/2017"; document ids ("fi.opas-hoks") never hold a slash.
    if source is not None and "/" in source:
        return Filters(kind=kind, lang=lang, statute=source)
    return SourceFilters(kind=kind, lang=lang, doc=source)


def in_scope(index: VectorIndex, filters: Filters) -> int:
    """How many passages the filters leave to search."""
    if not filters.active:
        return len(index)
    return sum(1 for c in index.chunks if filters.accepts(c))


@dataclass
class AskSentence:
    """One sentence of an answer draft and the number of the source it rests on (1-based)."""

    text: str
    source_no: int | None


@dataclass
class AskDraft:
    """An answer draft: sentences citing numbered sources, or an abstention with a message."""

    sentences: list[AskSentence]
    sources: list[Hit]
    abstained: bool
    message: str


class AskUnavailable(Exception):
    """The answer module (index/answer.py) is not installed in this build."""


ANSWER_MODULE = "index.answer"
_ANSWER_FUNCTIONS = ("ask", "answer", "draft_answer")
_DRAFTERS: "weakref.WeakKeyDictionary[Any, Any]" = weakref.WeakKeyDictionary()
_DRAFTERS_LOCK = threading.Lock()


def _get(obj: Any, name: str, default: Any = None) -> Any:
    return obj.get(name, default) if isinstance(obj, dict) else getattr(obj, name, default)


def _drafter(module: Any, searcher: Any, settings: Any) -> Any:
    """One AnswerDrafter per searcher (it caches sentence vectors), made with the ask_* settings."""
    with _DRAFTERS_LOCK:
        drafter = _DRAFTERS.get(searcher)
        if drafter is None:
            options = {
                name: getattr(settings, f"ask_{name}")
                for name in ("min_score", "signal", "max_sentences")
                if hasattr(settings, f"ask_{name}")
            }
            drafter = _DRAFTERS[searcher] = module.AnswerDrafter(searcher, **options)
        return drafter


def ask_draft(searcher: Any, query: str, filters: Filters | None = None, settings: Any = None) -> AskDraft:
    """Draft an answer with index/answer.py; raise AskUnavailable when that module is missing.

    Accepts the module's ``AnswerDrafter`` class (``.ask(question, k, filters)`` returning an
    ``Answer`` with ``answered``/``sentences[].source``) or a plain function returning
    ``{sentences: [{text, source_no}], sources, abstained, message}``.
    """
    try:
        module = importlib.import_module(ANSWER_MODULE)
    except ModuleNotFoundError as exc:
        if exc.name != ANSWER_MODULE:
            raise
        raise AskUnavailable(f"{ANSWER_MODULE} is not available") from exc
    if hasattr(module, "AnswerDrafter"):
        k = getattr(settings, "ask_default_k", 5)
        raw = _drafter(module, searcher, settings).ask(query, k, filters)
    else:
        func = next((getattr(module, n) for n in _ANSWER_FUNCTIONS if callable(getattr(module, n, None))), None)
        if func is None:
            raise AskUnavailable(f"{ANSWER_MODULE} has neither AnswerDrafter nor any of {', '.join(_ANSWER_FUNCTIONS)}")
        raw = func(searcher, query, filters=filters)
    sentences = [
        AskSentence(text=str(_get(s, "text", "")), source_no=_get(s, "source_no", _get(s, "source")))
        for s in _get(raw, "sentences", []) or []
    ]
    answered = _get(raw, "answered")
    abstained = bool(_get(raw, "abstained", False)) if answered is None else not answered
    return AskDraft(
        sentences=sentences,
        sources=list(_get(raw, "sources", []) or []),
        abstained=abstained,
        message=str(_get(raw, "message", "") or ""),
    )
