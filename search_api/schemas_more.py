"""Typed request and response models of /api/ask, /api/sections, /api/documents and /readyz."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from .schemas import AmendmentOut, CitationOut, HitOut


class AskFilters(BaseModel):
    """Optional restrictions on the passages an answer may quote."""

    model_config = ConfigDict(extra="forbid")

    kind: str | None = Field(None, max_length=40, description="Source kind: laki, asetus, opas, ohje, ukk.")
    lang: str | None = Field(None, max_length=10, description="Language: fi or sv.")
    statute: str | None = Field(None, max_length=40, description="Statute number, e.g. 531/2017.")


class AskRequest(BaseModel):
    """A question (kysymys) and how many passages to draft the answer from."""

    model_config = ConfigDict(extra="forbid")

    question: str = Field(max_length=10_000, description="The question, in Finnish or Swedish (kysymys).")
    k: int | None = Field(None, ge=1, description="Passages to draft from (default and limit in settings).")
    filters: AskFilters | None = None


class AnswerSentenceOut(BaseModel):
    """One sentence of the draft, quoted verbatim: ``sources[source-1].text[start:end] == text``."""

    text: str
    source: int = Field(description="Citation number: the n of the source it quotes.")
    chunk_id: str
    start: int
    end: int
    score: float = Field(description="Cosine similarity of the sentence to the question.")


class SourceOut(BaseModel):
    """A numbered source of the draft."""

    n: int
    id: str
    score: float
    citation: CitationOut
    text: str
    amendments: list[AmendmentOut] = []


class AskResponse(BaseModel):
    """An extractive answer draft with numbered sources, or an abstention with the nearest passages."""

    question: str
    answered: bool = Field(description="False when the evidence was too weak for a draft.")
    message: str | None = Field(None, description="'riittävää lähdettä ei löytynyt' when not answered.")
    answer: str = Field(description="The draft: quoted sentences each followed by [n]; the message when not answered.")
    sentences: list[AnswerSentenceOut]
    sources: list[SourceOut]
    nearest: list[HitOut] = Field(description="The nearest passages, shown instead of a draft when not answered.")
    top_score: float
    best_sentence_score: float
    threshold: float
    signal: str = Field(description="Which score the threshold applies to: passage or sentence.")
    took_ms: float


class SectionPartOut(BaseModel):
    """One chunk of a section (the whole section, or some of its momentit)."""

    id: str
    subsections: list[int] = []
    text: str


class LanguageVersionOut(BaseModel):
    """The same section in another language."""

    lang: str
    id: str
    label: str


class SectionOut(BaseModel):
    """A whole section with all its momentit, its neighbours and its versions."""

    id: str = Field(description="The chunk id asked for.")
    key: str
    lang: str
    label: str = Field(description="Citation of the whole section.")
    citation: CitationOut
    text: str
    parts: list[SectionPartOut]
    previous_id: str | None = None
    next_id: str | None = None
    amendments: list[AmendmentOut] = []
    other_languages: list[LanguageVersionOut] = []


class DocumentOut(BaseModel):
    """A source document's metadata as the index knows it."""

    id: str
    title: str
    kind: str
    lang: str
    statute: str | None = None
    url: str | None = None
    chunk_count: int
    section_count: int
    first_chunk_id: str
    other_languages: list[str] = []
    section_ids: list[str] | None = Field(None, description="First chunk id of each section (one document only).")


class DocumentList(BaseModel):
    """Every source in the index."""

    documents: list[DocumentOut]


class Ready(BaseModel):
    """Readiness: the index is loaded, and which one."""

    status: str
    generation: str | None = None
    chunk_count: int
    model_id: str
    built_at: str | None = None
