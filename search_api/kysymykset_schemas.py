"""Request and response models of the question channel's API (/api/kysymykset)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from ukk.questions import MAX_TEXT

from .ukk_schemas import EntryHitOut, EntryOut, Topic

QuestionStatus = Literal["uusi", "tyon_alla", "vastattu", "suljettu", "peruttu"]


class QuestionIn(BaseModel):
    """A question to the coaches."""

    model_config = ConfigDict(extra="forbid")
    topic: Topic
    text: str = Field(min_length=1, max_length=MAX_TEXT, description="The question, as the asker puts it.")
    mask: bool = Field(False, description="Mask identity codes, phone numbers and e-mail addresses before storing.")


class CheckIn(BaseModel):
    """A question about to be sent: what already answers it, and what personal data it holds."""

    model_config = ConfigDict(extra="forbid")
    text: str = Field(min_length=1, max_length=MAX_TEXT)


class PersonalDataOut(BaseModel):
    """One piece of personal data found in the text."""

    kind: Literal["hetu", "phone", "email"]
    start: int
    end: int


class PassageOut(BaseModel):
    """A passage that may already answer the question."""

    id: str
    label: str
    link: str


class CheckOut(BaseModel):
    """'Onko tämä jo vastattu?': matching UKK entries and passages; the personal data found, and the masked text."""

    entries: list[EntryHitOut]
    passages: list[PassageOut]
    personal_data: list[PersonalDataOut]
    masked: str


class QuestionOut(BaseModel):
    """A question and where it stands."""

    id: int
    asker: str | None
    asker_institution: str
    institution_id: str
    topic: str
    text: str
    status: QuestionStatus
    claimed_by: str | None
    entry_id: int | None
    from_existing: bool
    version: int
    created_at: str
    first_answered_at: str | None
    answered_at: str | None
    closed_at: str | None
    anonymised: bool


class EventOut(BaseModel):
    """One step of a question."""

    user: str | None
    at: str
    action: str
    note: str


class QuestionDetail(BaseModel):
    """A question with its steps and, once answered, the answer (a UKK entry with its citations)."""

    question: QuestionOut
    events: list[EventOut]
    answer: EntryOut | None


class VersionIn(BaseModel):
    """The version an action applies to."""

    model_config = ConfigDict(extra="forbid")
    version: int = Field(ge=1)


class HandOverIn(VersionIn):
    """To another coach of the institution, or to the coaches of another institution (exactly one)."""

    to_user: str | None = Field(None, max_length=64)
    to_institution: str | None = Field(None, max_length=64)


class AnswerIn(VersionIn):
    """The UKK entry that answers the question (a draft written for it, or an existing published one)."""

    entry_id: int = Field(ge=1, le=2**62)


class ReopenIn(VersionIn):
    """Why the answer did not answer the question."""

    note: str = Field("", max_length=1000)


class StatsOut(BaseModel):
    """The coaches' figures."""

    open_by_topic: dict[str, int]
    questions: int
    median_hours_to_first_answer: float | None
    answered: int
    share_answered_from_existing: float | None
