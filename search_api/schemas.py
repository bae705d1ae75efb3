"""Typed request and response models of the HTTP API."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

#: Retrieval modes of /api/search (retrieval.types.MODES).
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
    consolidation: str | None = Field(
        None,
        description="For an amended section: 'consolidated' (the text is the wording in force on in_force_on, "
        "built from the amending acts) or 'apart' (the enacted text; read the amending acts beside it).",
    )
    in_force_on: str | None = Field(None, description="The date whose wording a consolidated passage holds.")
    wording_since: str | None = Field(None, description="The date that wording took effect (voimassa … alkaen).")
    wording_until: str | None = Field(None, description="Its last day, for a wording superseded (or about to be).")
    wording_acts: list[str] = Field([], description="The acts whose text the passage holds, oldest first.")
    repealed_by: str | None = Field(None, description="For a repealed section's stub: the repealing act.")
    peruste: str | None = Field(None, description="A peruste's diaarinumero, e.g. 'OPH-2762-2017'.")
    unit: str | None = Field(None, description="The peruste's tutkinnon osa (koodi, e.g. '105708') or koulutuksen osa.")
    valid_from: str | None = Field(None, description="A peruste's voimassaolo: from (ISO date).")
    valid_until: str | None = Field(None, description="A peruste's voimassaolo: until.")
    transition_until: str | None = Field(None, description="A peruste's siirtymäaika: it still applies until then.")


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
    act: str = Field(
        description="The act holding that wording, e.g. '718/2022' (the statute itself for the text as enacted)."
    )
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

    @field_validator("k", mode="before")
    @classmethod
    def _no_booleans(cls, value: object) -> object:
        # pydantic's lax mode reads JSON true as 1; a count is a number.
        if isinstance(value, bool):
            raise ValueError("must be a whole number, not true or false")
        return value


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


class PieceOut(BaseModel):
    """A piece of a consolidated momentti (its text or lead-in, or a kohta) and the act it comes from."""

    text: str = Field(description="The text as the act gives it; empty for a repealed piece.")
    act: str = Field(description="The act whose text this is, e.g. '718/2022' (the statute itself for enacted text).")
    since: str | None = Field(None, description="ISO date this piece took effect.")
    repealed: bool = False


class MomenttiOut(BaseModel):
    """One momentti of a wording, with the acts whose text it holds."""

    number: int
    text: str
    acts: list[str]
    pieces: list[PieceOut]
    label: str = Field(description="Citation of this momentti in that wording.")


class WordingOut(BaseModel):
    """A section as it reads over one period (voimassa … alkaen)."""

    valid_from: str | None = Field(None, description="ISO date the wording took effect.")
    valid_to: str | None = Field(None, description="ISO last day it was in force; null while in force.")
    heading: str | None = None
    repealed_by: str | None = Field(None, description="The repealing act, for a repealed section.")
    acts: list[str] = Field(description="Every act whose text the wording holds, oldest first.")
    label: str = Field(description="Citation, e.g. '… 97 § (sellaisena kuin se on laissa 718/2022)'.")
    momentit: list[MomenttiOut] = []


class InForceOut(BaseModel):
    """The section's wording on the asked date, built from the enacted text and its amending acts."""

    date: str = Field(description="The date asked for (default: today).")
    status: str = Field(
        description="consolidated | apart (not consolidated automatically: read the enacted text and the "
        "amending acts) | unchanged (no act in the corpus amends it)."
    )
    reason: str | None = Field(None, description="Why a section was left apart.")
    in_force: bool = Field(description="False when the section was not (yet) in force, or was repealed, on the date.")
    wording: WordingOut | None = None
    future: list[WordingOut] = Field([], description="Wordings already enacted that take effect after the date.")
    history: list[WordingOut] = Field([], description="Every wording, oldest first, without texts.")


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
    in_force: InForceOut | None = Field(None, description="The wording in force on the date asked for (statutes).")


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
