"""A section as it reads on a date: the wording in force, its provenance, and what is already enacted for later.

The index holds each amended section's wording in force on the build day as its chunks; any other
date's wording comes from the generation's histories (:mod:`index.wordings`), which are read here
and never from a statute file.
"""

from __future__ import annotations

import threading
import weakref
from dataclasses import dataclass, field

from index.store import VectorIndex
from index.wordings import Wordings
from ingest.consolidation_model import SectionHistory, Wording, as_amended
from ingest.models import today_iso

from .sections import plain_label
from .types import SectionView


@dataclass(frozen=True)
class InForce:
    """What the section view and the API show about a section's wording on ``date``.

    ``status``: consolidated (``wording`` is the text in force, or None when the section was not in
    force that day), apart (the acts could not be applied without guessing: the enacted text and
    the amending acts are shown side by side) or unchanged (no act in the corpus amends it).
    """

    date: str
    status: str
    reason: str | None = None
    wording: Wording | None = None
    label: str = ""  # citation of the whole section in that wording ("… 97 § (sellaisena kuin se on laissa 718/2022)")
    momentti_labels: tuple[str, ...] = ()
    future: tuple[tuple[Wording, str], ...] = ()  # enacted wordings that take effect later, with their labels
    history: tuple[Wording, ...] = field(default_factory=tuple)  # every wording, oldest first
    kind: str = "laki"


def wording_label(base: str, wording: Wording, statute: str, kind: str, lang: str, momentti: int | None = None) -> str:
    """The citation of a wording (or one of its momentit) in the Finnish convention for amended provisions."""
    if momentti is None:
        acts = wording.acts
        label = base
    else:
        acts = wording.momentit[momentti - 1].acts
        label = f"{base} {momentti} mom."
    phrase = "" if wording.repealed_by else as_amended(acts, statute, kind, lang)
    return f"{label} ({phrase})" if phrase else label


def in_force(index: VectorIndex, view: SectionView, date: str | None = None) -> InForce:
    """The section's wording on ``date`` (default today), from the index's histories."""
    on = date or today_iso()
    c = view.first.citation
    if not c.statute or not c.section:
        return InForce(on, "unchanged")
    history = wordings_of(index).section(c.statute, c.lang, c.section)
    if history is None:
        return InForce(on, "unchanged", label=view.label)
    statute_kind = c.kind if c.kind in ("laki", "asetus") else "laki"
    base = plain_label(view.label)
    if history.status != "consolidated":
        return InForce(on, history.status, history.reason, label=base, kind=statute_kind)
    return _consolidated(history, on, base, statute_kind)


def _consolidated(history: SectionHistory, on: str, base: str, kind: str) -> InForce:
    wording = history.at(on)
    label = base
    momentti_labels: tuple[str, ...] = ()
    if wording is not None:
        label = wording_label(base, wording, history.statute, kind, history.lang)
        if len(wording.momentit) > 1:
            momentti_labels = tuple(
                wording_label(base, wording, history.statute, kind, history.lang, n)
                for n in range(1, len(wording.momentit) + 1)
            )
    future = tuple((w, wording_label(base, w, history.statute, kind, history.lang)) for w in history.future(on))
    return InForce(on, "consolidated", None, wording, label, momentti_labels, future, history.wordings, kind)


_CACHE: "weakref.WeakKeyDictionary[VectorIndex, Wordings]" = weakref.WeakKeyDictionary()
_LOCK = threading.Lock()


def wordings_of(index: VectorIndex) -> Wordings:
    """The (cached) histories of a loaded index's generation; empty for an index built without them."""
    with _LOCK:
        found = _CACHE.get(index)
        if found is None:
            found = _CACHE[index] = Wordings.load(index.path)
        return found
