"""Plain data of consolidated sections: pieces with provenance, wordings with dates, histories.

Kept apart from :mod:`ingest.consolidation` (which builds them) because the index writes them to
a generation file and the API reads them back without reading any statute.
"""

from __future__ import annotations

from dataclasses import dataclass, field

_REPEALED = {"fi": "kumottu", "sv": "upphävd"}


@dataclass(frozen=True)
class Piece:
    """A text read from one act: a momentti (or its lead-in) or a kohta, and when it took effect.

    A repealed piece has no text; it keeps its place so later momentit and kohdat keep their
    numbers, and ``label`` names a repealed kohta.
    """

    text: str
    act: str  # the act whose text this is, "718/2022"
    since: str | None  # ISO date it took effect here
    repealed: bool = False
    label: str = ""

    def render(self, lang: str) -> str:
        """The text, or ``[kumottu 708/2024]`` in place of a repealed piece."""
        return f"[{_REPEALED.get(lang, _REPEALED['fi'])} {self.act}]" if self.repealed else self.text

    def to_dict(self) -> dict:
        """JSON-ready data."""
        return {"text": self.text, "act": self.act, "since": self.since, "repealed": self.repealed, "label": self.label}

    @classmethod
    def from_dict(cls, data: dict) -> "Piece":
        """Rebuild from :meth:`to_dict` output."""
        return cls(data["text"], data["act"], data.get("since"), bool(data.get("repealed")), data.get("label", ""))


@dataclass(frozen=True)
class Momentti:
    """One momentti: a plain text (``lead`` alone), or a list: lead-in and kohdat."""

    lead: Piece | None
    kohdat: tuple[Piece, ...] = ()

    @property
    def pieces(self) -> tuple[Piece, ...]:
        """Lead-in (when there is one) and kohdat, in order."""
        return ((self.lead,) if self.lead is not None else ()) + self.kohdat

    @property
    def repealed(self) -> bool:
        """True for a momentti repealed whole."""
        return self.lead is not None and self.lead.repealed and not self.kohdat

    def render(self, lang: str) -> str:
        """The momentti as the reader renders it: lead-in, then one line per kohta."""
        return "\n".join(p.render(lang) for p in self.pieces)

    @property
    def acts(self) -> tuple[str, ...]:
        """The acts whose text this momentti holds, oldest first."""
        return tuple(sorted({p.act for p in self.pieces}, key=act_key))

    def to_dict(self) -> dict:
        """JSON-ready data."""
        return {"lead": self.lead.to_dict() if self.lead else None, "kohdat": [k.to_dict() for k in self.kohdat]}

    @classmethod
    def from_dict(cls, data: dict) -> "Momentti":
        """Rebuild from :meth:`to_dict` output."""
        lead = Piece.from_dict(data["lead"]) if data.get("lead") else None
        return cls(lead, tuple(Piece.from_dict(k) for k in data.get("kohdat") or ()))


@dataclass(frozen=True)
class Wording:
    """A section as it reads over one period: heading, momentit, or repealed (``repealed_by``)."""

    heading: Piece | None
    momentit: tuple[Momentti, ...]
    repealed_by: str | None = None
    valid_from: str | None = None  # ISO; None = from the statute's own entry into force (unknown)
    valid_to: str | None = None  # ISO last day; None = still in force

    @property
    def acts(self) -> tuple[str, ...]:
        """Every act whose text the wording holds, oldest first."""
        acts = {a for m in self.momentit for a in m.acts}
        if self.heading is not None:
            acts.add(self.heading.act)
        if self.repealed_by:
            acts.add(self.repealed_by)
        return tuple(sorted(acts, key=act_key))

    def same_text(self, other: "Wording") -> bool:
        """True when both read the same, with the same provenance (dates aside)."""
        return (self.heading, self.momentit, self.repealed_by) == (other.heading, other.momentit, other.repealed_by)

    def texts(self, lang: str) -> list[str]:
        """The momentit as rendered text."""
        return [m.render(lang) for m in self.momentit]

    def to_dict(self) -> dict:
        """JSON-ready data."""
        return {
            "heading": self.heading.to_dict() if self.heading else None,
            "momentit": [m.to_dict() for m in self.momentit],
            "repealed_by": self.repealed_by,
            "valid_from": self.valid_from,
            "valid_to": self.valid_to,
        }

    @classmethod
    def from_dict(cls, data: dict) -> "Wording":
        """Rebuild from :meth:`to_dict` output."""
        return cls(
            heading=Piece.from_dict(data["heading"]) if data.get("heading") else None,
            momentit=tuple(Momentti.from_dict(m) for m in data.get("momentit") or ()),
            repealed_by=data.get("repealed_by"),
            valid_from=data.get("valid_from"),
            valid_to=data.get("valid_to"),
        )


@dataclass(frozen=True)
class SectionHistory:
    """One section's wordings over time, oldest first; ``status`` consolidated | apart | unchanged."""

    statute: str  # "531/2017"
    lang: str
    section: str  # "97", "52 a"
    chapter: str | None
    status: str
    reason: str | None = None  # why a section was left apart
    acts: tuple[str, ...] = ()  # the amending acts that touch it, oldest first
    wordings: tuple[Wording, ...] = ()

    def at(self, date: str) -> Wording | None:
        """The wording in force on an ISO date; None before the first or for a section left apart."""
        for wording in self.wordings:
            if (wording.valid_from is None or wording.valid_from <= date) and (
                wording.valid_to is None or date <= wording.valid_to
            ):
                return wording
        return None

    def future(self, date: str) -> list[Wording]:
        """Wordings already enacted that take effect after ``date``."""
        return [w for w in self.wordings if w.valid_from is not None and w.valid_from > date]

    def to_dict(self) -> dict:
        """JSON-ready data."""
        return {
            "statute": self.statute,
            "lang": self.lang,
            "section": self.section,
            "chapter": self.chapter,
            "status": self.status,
            "reason": self.reason,
            "acts": list(self.acts),
            "wordings": [w.to_dict() for w in self.wordings],
        }

    @classmethod
    def from_dict(cls, data: dict) -> "SectionHistory":
        """Rebuild from :meth:`to_dict` output."""
        return cls(
            statute=data["statute"],
            lang=data["lang"],
            section=data["section"],
            chapter=data.get("chapter"),
            status=data["status"],
            reason=data.get("reason"),
            acts=tuple(data.get("acts") or ()),
            wordings=tuple(Wording.from_dict(w) for w in data.get("wordings") or ()),
        )


@dataclass(frozen=True)
class ChapterHeading:
    """A chapter heading an amending act gave, and from when."""

    chapter: str
    heading: str
    act: str
    valid_from: str

    def to_dict(self) -> dict:
        """JSON-ready data."""
        return dict(self.__dict__)


@dataclass(frozen=True)
class StatuteHistory:
    """Every amended section of one statute in one language, in the statute's order."""

    statute: str
    lang: str
    title: str
    kind: str  # laki | asetus
    sections: tuple[SectionHistory, ...] = field(default_factory=tuple)
    chapters: tuple[ChapterHeading, ...] = ()
    section_count: int = 0  # numbered sections of the enacted text
    problems: tuple[str, ...] = ()  # changes not read at all (a chapter heading not found, …)

    def chapter_heading(self, chapter: str | None, date: str) -> ChapterHeading | None:
        """The latest chapter heading an amending act gave that is in force on ``date``."""
        found = [c for c in self.chapters if c.chapter == chapter and c.valid_from <= date]
        return found[-1] if found else None

    def counts(self) -> dict[str, int]:
        """Sections per status."""
        out: dict[str, int] = {}
        for s in self.sections:
            out[s.status] = out.get(s.status, 0) + 1
        return out


def act_key(act: str) -> tuple[int, int]:
    """Sort key of an act number: ``1218/2020`` → (2020, 1218)."""
    number, _, year = act.partition("/")
    return (int(year), int(number)) if number.isdigit() and year.isdigit() else (0, 0)


@dataclass(frozen=True)
class WordingNote:
    """What a chunk of a statute's section needs to know about the wording it holds."""

    status: str  # consolidated | apart
    since: str | None = None  # the wording in force took effect
    momentti_acts: tuple[tuple[str, ...], ...] = ()  # per momentti, the acts whose text it holds
    repealed_by: str | None = None
    reason: str | None = None
    until: str | None = None  # last day of that wording; None = still in force


_AS_AMENDED = {
    # (language, kind): one act, one act partly, several acts, several acts partly
    ("fi", "laki"): ("sellaisena kuin se on laissa {}", "sellaisena kuin se on osaksi laissa {}",
                     "sellaisena kuin se on laeissa {}", "sellaisena kuin se on osaksi laeissa {}"),
    ("fi", "asetus"): ("sellaisena kuin se on asetuksessa {}", "sellaisena kuin se on osaksi asetuksessa {}",
                       "sellaisena kuin se on asetuksissa {}", "sellaisena kuin se on osaksi asetuksissa {}"),
    ("sv", "laki"): ("i den lydelse den har i lag {}", "sådan den lyder delvis i lag {}",
                     "i den lydelse den har i lagarna {}", "sådan den lyder delvis i lagarna {}"),
    ("sv", "asetus"): ("i den lydelse den har i förordning {}", "sådan den lyder delvis i förordning {}",
                       "i den lydelse den har i förordningarna {}", "sådan den lyder delvis i förordningarna {}"),
}  # fmt: skip


def as_amended(acts: tuple[str, ...], statute: str, kind: str, lang: str) -> str:
    """The Finnish (or Swedish) citation phrase for an amended provision, "" when never amended.

    ``acts`` are the acts whose text the cited part holds, the statute itself among them when
    some of its enacted text is left: "sellaisena kuin se on laissa 718/2022", "sellaisena kuin se
    on osaksi laeissa 1218/2020 ja 1078/2024", "i den lydelse den har i lag 718/2022".
    """
    amending = [a for a in sorted(set(acts), key=act_key) if a != statute]
    if not amending:
        return ""
    key = ("sv" if lang == "sv" else "fi", "asetus" if kind == "asetus" else "laki")
    templates = _AS_AMENDED[key]
    index = (2 if len(amending) > 1 else 0) + (1 if statute in acts else 0)
    joined = (" och " if lang == "sv" else " ja ").join(filter(None, [", ".join(amending[:-1]), amending[-1]]))
    return templates[index].format(joined)
