"""Plain data of the UKK store: roles, topics, users, entries, their citations, revisions and review reasons."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

ROLES = ("lukija", "valmentaja", "yllapitaja")
#: What each role may do beyond the one below it (lukija reads; valmentaja writes; yllapitaja administers).
ROLE_RANK = {role: rank for rank, role in enumerate(ROLES)}

#: The UKK's topics (aihealueet): code → (Finnish, Swedish) name.
TOPICS: dict[str, tuple[str, str]] = {
    "hoks": ("HOKS ja henkilökohtaistaminen", "PUK och individualisering"),
    "tyoelama": ("Työelämässä oppiminen", "Lärande i arbetslivet"),
    "naytot": ("Näytöt ja arviointi", "Yrkesprov och bedömning"),
    "erityinen-tuki": ("Erityinen tuki", "Särskilt stöd"),
    "opiskeluoikeus": ("Opiskeluoikeus", "Studierätt"),
    "oppivelvollisuus": ("Oppivelvollisuus", "Läroplikt"),
    "tuva-telma": ("TUVA ja TELMA", "Hux och Telma"),
    "muu": ("Muu", "Övrigt"),
}

STATUSES = ("luonnos", "julkaistu", "tarkistettava", "arkistoitu")

#: Why a published entry needs checking again (the reason codes stored with it).
REASONS = {
    "text_changed": "the quoted text changed in the new index generation",
    "section_gone": "the cited passage is no longer in the index (repealed, renumbered or removed)",
    "repealed": "the cited section has been repealed",
    "newer_act": "a newer amending act now touches the cited section",
    "due": "the verification interval has passed",
}


@dataclass(frozen=True)
class User:
    """A signed-in person (or a script with an API token)."""

    id: int
    username: str
    name: str
    role: str
    institution_id: str
    disabled: bool = False
    email: str | None = None  # where answers to the user's questions are announced

    def can(self, role: str) -> bool:
        """True when the user's role is this role or above it."""
        return ROLE_RANK[self.role] >= ROLE_RANK[role]


@dataclass(frozen=True)
class CitationInput:
    """What a coach picked: a passage (chunk) and optionally the part of its text quoted; None = the whole passage."""

    chunk_id: str
    quote: str | None = None


@dataclass(frozen=True)
class EntryCitation:
    """One ``[n]`` of an answer: the passage, its label, the quoted text, its hash and the generation it was read from."""

    n: int
    chunk_id: str
    label: str
    quote: str
    quote_hash: str
    generation: str
    lang: str = "fi"
    statute: str | None = None
    section_key: str | None = None
    acts: tuple[str, ...] = ()  # the amending acts known to touch the section when it was cited
    url: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready data."""
        return {**self.__dict__, "acts": list(self.acts)}


@dataclass(frozen=True)
class ReviewReason:
    """Why an entry became tarkistettava: a reason code, the citation it concerns (0 = the entry), the detail, a diff."""

    reason: str
    n: int
    detail: str
    diff: str = ""
    generation: str | None = None
    acts: tuple[str, ...] = ()  # newer_act, repealed: the acts concerned

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready data."""
        return {**self.__dict__, "acts": list(self.acts)}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "ReviewReason":
        """Rebuild from :meth:`to_dict` output (older rows have no acts)."""
        return cls(**{**data, "acts": tuple(data.get("acts", ()))})


@dataclass(frozen=True)
class Entry:
    """One UKK entry: the question as asked, the answer with ``[n]`` marks, its citations and state."""

    id: int
    institution_id: str
    topic: str
    question: str
    answer: str
    tags: tuple[str, ...]
    shared: bool
    status: str
    version: int
    created_by: str
    created_at: str
    updated_at: str
    published_at: str | None
    verified_by: str | None
    verified_at: str | None
    citations: tuple[EntryCitation, ...] = ()
    review_reasons: tuple[ReviewReason, ...] = field(default=())

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready data."""
        data = dict(self.__dict__)
        data["tags"] = list(self.tags)
        data["citations"] = [c.to_dict() for c in self.citations]
        data["review_reasons"] = [r.to_dict() for r in self.review_reasons]
        return data


@dataclass(frozen=True)
class Revision:
    """One change to an entry: who, when, what (the action and the entry as it was after it)."""

    id: int
    entry_id: int
    version: int
    user: str | None
    at: str
    action: str
    note: str
    snapshot: dict[str, Any]


#: The question channel's states: uusi → tyon_alla (claimed by one coach) → vastattu → suljettu; peruttu = withdrawn.
QUESTION_STATUSES = ("uusi", "tyon_alla", "vastattu", "suljettu", "peruttu")
OPEN_STATUSES = ("uusi", "tyon_alla")


@dataclass(frozen=True)
class Question:
    """A staff member's question to the coaches, and where it stands."""

    id: int
    asker: str | None  # user name; None once anonymised
    asker_institution: str
    institution_id: str  # whose coaches handle it now (changes when handed over to the network)
    topic: str
    text: str
    status: str
    claimed_by: str | None
    entry_id: int | None  # the UKK entry that answers it
    from_existing: bool  # answered with an entry that existed before the question
    version: int
    created_at: str
    first_answered_at: str | None
    answered_at: str | None
    closed_at: str | None
    anonymised: bool = False

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready data."""
        return dict(self.__dict__)


@dataclass(frozen=True)
class QuestionEvent:
    """One step of a question: who, when, what (claim, hand-over, answer, reopen, …) and a note."""

    user: str | None
    at: str
    action: str
    note: str
