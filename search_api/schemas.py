"""Typed response models of the HTTP API."""

from __future__ import annotations

from pydantic import BaseModel, Field


class CitationOut(BaseModel):
    """Where a passage comes from."""

    doc_id: str
    doc_title: str
    kind: str
    lang: str
    label: str = Field(description="Human citation string, e.g. 'Laki ammatillisesta koulutuksesta (531/2017) 44 §'.")
    statute: str | None = None
    chapter: str | None = None
    chapter_heading: str | None = None
    section: str | None = None
    section_heading: str | None = None
    subsections: list[int] = []
    heading_path: list[str] = []
    page: int | None = None
    url: str | None = None
    section_key: str | None = None


class HitOut(BaseModel):
    """One search hit."""

    id: str
    rank: int
    score: float
    citation: CitationOut
    text: str


class SearchResponse(BaseModel):
    """Hits for a query."""

    query: str
    k: int
    offset: int
    took_ms: float
    hits: list[HitOut]


class Health(BaseModel):
    """Liveness answer."""

    status: str


class Problem(BaseModel):
    """The error body every endpoint uses."""

    type: str
    title: str
    status: int
    detail: str
    errors: list[dict] = []
