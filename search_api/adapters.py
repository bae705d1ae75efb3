"""Conversions from retrieval's types (hits, sections, documents, answers) to the API's response models."""

from __future__ import annotations

from collections.abc import Sequence

from ingest.consolidation_model import Wording
from ingest.models import Chunk, Citation
from retrieval.highlight import highlight_spans
from retrieval.in_force import InForce
from retrieval.sections import amendment_notes, subsections
from retrieval.types import AmendmentNote, Answer, DocumentView, Hit, OtherVersion, SectionView

from .schemas import (
    AmendmentOut,
    AnswerSentenceOut,
    AskResponse,
    CitationOut,
    DocumentOut,
    HighlightOut,
    HitOut,
    InForceOut,
    LanguageVersionOut,
    MomenttiOut,
    OtherVersionOut,
    PieceOut,
    SectionOut,
    SectionPartOut,
    SourceOut,
    WordingOut,
)


def citation_out(citation: Citation) -> CitationOut:
    """The citation as the API shows it; fields newer indexes add are ignored by older models."""
    known = CitationOut.model_fields
    return CitationOut(**{k: v for k, v in citation.to_dict().items() if k in known})


def highlights_out(text: str, query: str) -> list[HighlightOut]:
    """Offsets of the query's words in a text."""
    return [HighlightOut(start=s.start, end=s.end, term=s.term) for s in highlight_spans(text, query)]


def _amendment(note: AmendmentNote) -> AmendmentOut:
    return AmendmentOut(act=note.act, date=note.date, change=note.change, part=note.part, note=note.note)


def amendments_out(citation: Citation) -> list[AmendmentOut]:
    """Amendment notes of a citation (empty when the index has none)."""
    return [_amendment(n) for n in amendment_notes(citation)]


def _hit(chunk: Chunk, score: float, rank: int, query: str | None, versions: Sequence[OtherVersion] = ()) -> HitOut:
    return HitOut(
        id=chunk.id,
        rank=rank,
        score=round(score, 6),
        citation=citation_out(chunk.citation),
        text=chunk.text,
        highlights=highlights_out(chunk.text, query) if query else [],
        amendments=amendments_out(chunk.citation),
        other_versions=[
            OtherVersionOut(id=v.chunk_id, act=v.act, label=v.label, in_force=v.in_force, score=round(v.score, 6))
            for v in versions
        ],
    )


def hit_out(hit: Hit, query: str | None = None) -> HitOut:
    """A search hit with its citation, highlights, amendment notes and folded other versions."""
    return _hit(hit.chunk, hit.score, hit.rank, query, hit.versions)


def answer_out(answer: Answer) -> AskResponse:
    """An answer draft (or abstention) as the API returns it."""
    sources = [
        SourceOut(
            n=n,
            id=h.chunk.id,
            score=round(h.score, 6),
            citation=citation_out(h.chunk.citation),
            text=h.chunk.text,
            amendments=amendments_out(h.chunk.citation),
        )
        for n, h in enumerate(answer.sources, start=1)
    ]
    return AskResponse(
        question=answer.question,
        answered=answer.answered,
        message=answer.message,
        answer=answer.text,
        sentences=[
            AnswerSentenceOut(
                text=s.text, source=s.source, chunk_id=s.chunk_id, start=s.start, end=s.end, score=s.score
            )
            for s in answer.sentences
        ],
        sources=sources,
        nearest=[] if answer.answered else [_hit(h.chunk, h.score, h.rank, answer.question) for h in answer.nearest],
        top_score=answer.top_score,
        best_sentence_score=answer.best_sentence_score,
        threshold=answer.threshold,
        signal=answer.signal,
        took_ms=answer.took_ms,
    )


def _version(chunk: Chunk) -> LanguageVersionOut:
    return LanguageVersionOut(lang=chunk.citation.lang, id=chunk.id, label=chunk.citation.label)


def _wording_out(w: Wording, label: str, momentti_labels: tuple[str, ...], lang: str, texts: bool = True) -> WordingOut:
    momentit = []
    if texts:
        for n, m in enumerate(w.momentit, 1):
            momentit.append(
                MomenttiOut(
                    number=n,
                    text=m.render(lang),
                    acts=list(m.acts),
                    pieces=[PieceOut(text=p.text, act=p.act, since=p.since, repealed=p.repealed) for p in m.pieces],
                    label=momentti_labels[n - 1] if n <= len(momentti_labels) else label,
                )
            )
    return WordingOut(
        valid_from=w.valid_from,
        valid_to=w.valid_to,
        heading=w.heading.text if w.heading else None,
        repealed_by=w.repealed_by,
        acts=list(w.acts),
        label=label,
        momentit=momentit,
    )


def in_force_out(info: InForce, lang: str) -> InForceOut:
    """The wording on a date, its later enacted wordings and the history's periods."""
    wording = info.wording
    return InForceOut(
        date=info.date,
        status=info.status,
        reason=info.reason,
        in_force=info.status != "consolidated" or (wording is not None and not wording.repealed_by),
        wording=_wording_out(wording, info.label, info.momentti_labels, lang) if wording is not None else None,
        future=[_wording_out(w, label, (), lang) for w, label in info.future],
        history=[_wording_out(w, "", (), lang, texts=False) for w in info.history],
    )


def section_out(view: SectionView, info: InForce | None = None) -> SectionOut:
    """A whole section with its neighbours, amendments, other-language versions and wording in force."""
    first = view.chunks[0]
    return SectionOut(
        id=view.chunk_id,
        key=view.key,
        lang=view.lang,
        label=view.label,
        citation=citation_out(first.citation),
        text=view.text,
        parts=[SectionPartOut(id=c.id, subsections=list(subsections(c.citation)), text=c.text) for c in view.chunks],
        previous_id=view.previous.id if view.previous is not None else None,
        next_id=view.next.id if view.next is not None else None,
        amendments=[_amendment(n) for n in view.amendments],
        other_languages=[_version(c) for c in view.other_languages],
        in_force=in_force_out(info, view.lang) if info is not None else None,
    )


def document_out(doc: DocumentView, section_ids: list[str] | None = None) -> DocumentOut:
    """A source document's metadata (and, for one document, its sections' ids)."""
    return DocumentOut(
        id=doc.id,
        title=doc.title,
        kind=doc.kind,
        lang=doc.lang,
        statute=doc.statute,
        url=doc.url,
        chunk_count=doc.chunk_count,
        section_count=doc.section_count,
        first_chunk_id=doc.first_chunk_id,
        other_languages=doc.other_languages,
        section_ids=section_ids,
    )
