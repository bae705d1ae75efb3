"""Typed response models of the HTTP API."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

#: Retrieval modes of /api/search (index.search.MODES).
SearchMode = Literal["hybrid", "dense", "lexical"]
#: fold: other acts' wordings of a section already listed join its hit; all: every wording is a hit.
VersionsMode = Literal["fold", "all"]


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


class HighlightOut(BaseModel):
    """A stretch of the hit's text that matched the query: ``text[start:end]``."""

    start: int
    end: int
    term: str = Field(description="The query word it matched.")


class AmendmentOut(BaseModel):
    """A change an amending act made to the section."""

    act: str = Field(description="The amending act, e.g. '1218/2020'.")
    date: str | None = Field(None, description="Entry into force (ISO date) when known.")
    change: str = Field(description="amend | repeal | add")
    part: str | None = Field(None, description="The changed part, e.g. '3 momentti'; null for the whole section.")
    note: str = Field(description="Human note, e.g. 'muutettu: 1218/2020 (voimaan 1.8.2021)'.")


class OtherVersionOut(BaseModel):
    """Another act's wording of the hit's section that the same search found (folded into this hit)."""

    id: str = Field(description="Chunk id of that wording, for /api/sections/{id}.")
    act: str = Field(description="The act holding that wording, e.g. '718/2022' (the statute itself for the text as enacted).")
    label: str = Field(description="Its citation string.")
    in_force: str | None = Field(None, description="ISO date the wording took effect; null for the text as enacted.")
    score: float


class HitOut(BaseModel):
    """One search hit."""

    id: str
    rank: int
    score: float
    citation: CitationOut
    text: str
    highlights: list[HighlightOut] = Field(
        [], description="Offsets in text of the words that matched the query or a glossary term it was expanded with."
    )
    amendments: list[AmendmentOut] = Field([], description="Amendment notes when the section has been amended.")
    other_versions: list[OtherVersionOut] = Field(
        [], description="Other acts' wordings of this section among the results, newest first (with versions=fold)."
    )


class ExpansionOut(BaseModel):
    """A glossary entry (corpus/glossary.toml) whose key the query contains."""

    key: str = Field(description="The word or acronym in the query, as the glossary writes it, e.g. koso.")
    expansion: str = Field(description="The statutes' terms it was searched with too, e.g. koulutussopimus.")
    lang: str


class SearchResponse(BaseModel):
    """Hits for a query."""

    query: str
    k: int
    offset: int
    mode: SearchMode = Field(description="The mode that ranked the hits: dense when the index has no lexical part.")
    took_ms: float
    expansions: list[ExpansionOut] = Field(
        [], description="Glossary entries that expanded the query: their terms were searched for too."
    )
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
