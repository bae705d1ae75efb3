"""Request and response models of the UKK API (/api/ukk)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from ukk.entries import MAX_ANSWER, MAX_CITATIONS, MAX_QUESTION, MAX_TAG, MAX_TAGS
from ukk.types import TOPICS

# Spelled out for the type checker; the test in tests/api/test_ukk_api.py holds them equal to ukk.types.
Topic = Literal[
    "hoks", "tyoelama", "naytot", "erityinen-tuki", "opiskeluoikeus", "oppivelvollisuus", "tuva-telma", "muu"
]
Status = Literal["luonnos", "julkaistu", "tarkistettava", "arkistoitu"]


class CitationIn(BaseModel):
    """A picked passage: its id (from /api/search or /api/ask) and, optionally, the part of its text quoted."""

    model_config = ConfigDict(extra="forbid")
    chunk_id: str = Field(min_length=1, max_length=300, description="The passage's id, e.g. from a search hit.")
    quote: str | None = Field(
        None, max_length=MAX_ANSWER, description="The words quoted (a part of the passage's text); default: all of it."
    )


class EntryIn(BaseModel):
    """A new UKK entry (a draft, luonnos)."""

    model_config = ConfigDict(extra="forbid")
    topic: Topic = Field(description="Aihealue: " + ", ".join(f"{k} ({v[0]})" for k, v in TOPICS.items()))
    question: str = Field(min_length=1, max_length=MAX_QUESTION, description="The question as it was asked.")
    answer: str = Field(
        min_length=1, max_length=MAX_ANSWER, description="The answer in the coach's words; [1], [2] cite the citations."
    )
    tags: list[str] = Field([], max_length=MAX_TAGS, description=f"Avainsanat (each at most {MAX_TAG} characters).")
    shared: bool = Field(False, description="Shared with the network: every signed-in user of Lähde may read it.")
    citations: list[CitationIn] = Field([], max_length=MAX_CITATIONS, description="The passages [1], [2], … cite.")


class EntryUpdate(EntryIn):
    """The whole entry again, with the version it was read at (a stale version gets 409)."""

    version: int = Field(ge=1, description="The entry's version when it was read.")


class VersionIn(BaseModel):
    """The version an action applies to (publish, archive)."""

    model_config = ConfigDict(extra="forbid")
    version: int = Field(ge=1)


class VerifyIn(VersionIn):
    """Re-verification: the version, and an optional note (what was checked)."""

    note: str = Field("", max_length=500)


class EntryCitationOut(BaseModel):
    """One [n] of an answer: what the coach read, and where."""

    n: int
    chunk_id: str
    label: str = Field(
        description="The citation string, e.g. 'Laki ammatillisesta koulutuksesta (531/2017) 45 § 2 mom.'"
    )
    quote: str
    quote_hash: str = Field(description="SHA-256 of the quoted text.")
    generation: str = Field(description="The index generation it was read from.")
    lang: str
    statute: str | None = None
    section_key: str | None = None
    acts: list[str] = Field([], description="The amending acts known to touch the section when it was cited.")
    url: str | None = None
    link: str = Field(description="This service's section view of the passage.")


class ReviewReasonOut(BaseModel):
    """Why an entry is tarkistettava."""

    reason: Literal["text_changed", "section_gone", "repealed", "newer_act", "due"]
    n: int = Field(description="The citation it concerns (0: the entry as a whole).")
    detail: str
    diff: str = Field("", description="For text_changed: the quoted text against the new text (unified diff).")
    generation: str | None = None
    acts: list[str] = Field([], description="For newer_act and repealed: the acts concerned.")


class EntryOut(BaseModel):
    """A UKK entry as its reader sees it."""

    id: int
    institution_id: str
    topic: str
    question: str
    answer: str
    tags: list[str]
    shared: bool
    status: Status
    version: int
    created_by: str
    created_at: str
    updated_at: str
    published_at: str | None
    verified_by: str | None
    verified_at: str | None
    citations: list[EntryCitationOut]
    review_reasons: list[ReviewReasonOut]


class EntryList(BaseModel):
    """Entries the user may see."""

    entries: list[EntryOut]
    count: int


class EntryHitOut(BaseModel):
    """An earlier answer that matches a question."""

    entry: EntryOut
    score: float
    cosine: float


class RevisionOut(BaseModel):
    """One change to an entry."""

    id: int
    version: int
    user: str | None
    at: str
    action: str
    note: str


class ImportReport(BaseModel):
    """What an import of a UKK Markdown did."""

    created: list[int]
    unlinked: list[str] = Field(description="Citations in the text that no passage of the index matched.")
