"""The UKK API: list, search, read, create, update, publish, verify and archive entries (/api/ukk)."""

from __future__ import annotations

import threading
import weakref
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, FastAPI, Path, Query, Request
from fastapi.concurrency import run_in_threadpool

from retrieval.search import Searcher
from retrieval.types import visible_to
from ukk import entries, review
from ukk.citations import GenerationView, cite
from ukk.errors import InvalidInput
from ukk.search import UkkSearch
from ukk.store import UkkStore
from ukk.types import CitationInput, Entry, EntryCitation, User

from .auth import get_ukk, require, role_doc, store_of
from .deps import clean_query, get_searcher, get_settings
from .ukk_schemas import (
    EntryHitOut,
    EntryIn,
    EntryList,
    EntryOut,
    EntryUpdate,
    RevisionOut,
    Status,
    Topic,
    VerifyIn,
    VersionIn,
)

router = APIRouter(prefix="/api/ukk", tags=["ukk"])

_VIEWS: "weakref.WeakKeyDictionary[Searcher, GenerationView]" = weakref.WeakKeyDictionary()
_VIEWS_LOCK = threading.Lock()


def generation_view(searcher: Searcher) -> GenerationView:
    """The served generation's passages grouped for citing and checking (made once per loaded index)."""
    with _VIEWS_LOCK:
        view = _VIEWS.get(searcher)
        if view is None:
            view = _VIEWS[searcher] = GenerationView.of(searcher.generation, searcher.index.chunks)
        return view


def search_of(app: FastAPI) -> UkkSearch:
    """The app's search over published entries (vectors kept per entry version)."""
    found = getattr(app.state, "ukk_search", None)
    if found is None:
        found = app.state.ukk_search = UkkSearch(store_of(app), app.state.settings.ukk_min_score)
    return found


def ukk_search(request: Request) -> UkkSearch:
    """The request's app's search over published entries."""
    return search_of(request.app)


def entry_out(entry: Entry) -> dict[str, Any]:
    """An entry as JSON, each citation with its link to the section view."""
    data = entry.to_dict()
    for c in data["citations"]:
        c["link"] = f"/osio/{quote(c['chunk_id'], safe='')}"
    return data


def make_citations(searcher: Searcher, picked: list[CitationInput], user: User) -> list[EntryCitation]:
    """Citations of picked passages of the served index (422 naming the citation for an unknown passage).

    Another institution's own document counts as unknown: an answer never quotes what its readers may not see.
    """
    made = []
    for i, p in enumerate(picked):
        chunk = searcher.index.get(p.chunk_id)
        if chunk is None or not visible_to(chunk.citation, user.institution_id):
            raise InvalidInput(
                f"citations[{i}].chunk_id {p.chunk_id!r} is not a passage of the index", f"citations.{i}.chunk_id"
            )
        made.append(cite(chunk, p, i + 1, searcher.generation))
    return made


def recite(searcher: Searcher, user: User, current: Entry, picked: list[CitationInput]) -> list[EntryCitation]:
    """An edit's citations: one kept as it was keeps what the coach read then; a new or changed one is read now."""
    kept = {(c.chunk_id, c.quote): c for c in current.citations}
    made = []
    for p in picked:
        old = kept.get((p.chunk_id, p.quote)) if p.quote is not None else None
        made.append(old if old is not None else make_citations(searcher, [p], user)[0])
    return [EntryCitation(**{**c.__dict__, "n": i + 1}) for i, c in enumerate(made)]


def check_sharing(searcher: Searcher, citations: list[EntryCitation], shared: bool) -> None:
    """A shared answer is read across the network: it may quote only public sources (422 otherwise)."""
    if not shared:
        return
    for c in citations:
        chunk = searcher.index.get(c.chunk_id)
        if chunk is not None and chunk.citation.institution:
            raise InvalidInput(
                f"citations[{c.n - 1}] ({c.label}) is the institution's own document; an answer shared with the "
                "network (shared, jaettu) may cite only public sources",
                "shared",
            )


def _draft(body: EntryIn) -> entries.Draft:
    return entries.Draft(body.topic, body.question, body.answer, tuple(body.tags), body.shared)


#: SQLite's integers are 64-bit: a larger id is not an entry of any store.
EntryId = Annotated[int, Path(ge=1, le=2**62, description="The entry's id.")]
Lukija = Annotated[User, require("lukija")]
Valmentaja = Annotated[User, require("valmentaja")]
Store = Annotated[UkkStore, Depends(get_ukk)]


@router.get("", response_model=EntryList, **role_doc("lukija"))
def list_entries(
    user: Lukija,
    store: Store,
    topic: Annotated[Topic | None, Query(description="Aihealue.")] = None,
    status: Annotated[Status | None, Query(description="Tila, e.g. tarkistettava.")] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 200,
    offset: Annotated[int, Query(ge=0, le=100_000)] = 0,
) -> dict[str, Any]:
    """Entries the user may see, newest change first (needs lukija)."""
    found = entries.listing(store, user, topic=topic, status=status, limit=limit, offset=offset)
    return {"entries": [entry_out(e) for e in found], "count": len(found)}


@router.get("/search", response_model=list[EntryHitOut], **role_doc("lukija", 503))
async def search_entries(
    request: Request,
    user: Lukija,
    searcher: Annotated[Searcher, Depends(get_searcher)],
    q: Annotated[str, Query(description="The question, as it would be asked.")],
    k: Annotated[int, Query(ge=1, le=20)] = 5,
) -> list[dict[str, Any]]:
    """Published entries that answer this question, by the same hybrid search as the passages (needs lukija)."""
    query = clean_query(q, get_settings(request))
    hits = await run_in_threadpool(ukk_search(request).search, searcher, user, query, k)
    return [{"entry": entry_out(h.entry), "score": h.score, "cosine": h.cosine} for h in hits]


@router.get("/{entry_id}", response_model=EntryOut, **role_doc("lukija", 404))
def get_entry(entry_id: EntryId, user: Lukija, store: Store) -> dict[str, Any]:
    """One entry with its citations and, when tarkistettava, why (needs lukija)."""
    return entry_out(entries.get(store, user, entry_id))


@router.get("/{entry_id}/revisions", response_model=list[RevisionOut], **role_doc("lukija", 404))
def get_revisions(entry_id: EntryId, user: Lukija, store: Store) -> list[dict[str, Any]]:
    """Every change of an entry: who, when, what (needs lukija)."""
    return [
        {"id": r.id, "version": r.version, "user": r.user, "at": r.at, "action": r.action, "note": r.note}
        for r in entries.revisions(store, user, entry_id)
    ]


@router.post("", response_model=EntryOut, status_code=201, **role_doc("valmentaja", 503))
def create_entry(
    body: EntryIn, user: Valmentaja, store: Store, searcher: Annotated[Searcher, Depends(get_searcher)]
) -> dict[str, Any]:
    """A new draft (luonnos) citing passages of the served index (needs valmentaja)."""
    picked = [CitationInput(c.chunk_id, c.quote) for c in body.citations]
    citations = make_citations(searcher, picked, user)
    check_sharing(searcher, citations, body.shared)
    return entry_out(entries.create(store, user, _draft(body), citations))


@router.put("/{entry_id}", response_model=EntryOut, **role_doc("valmentaja", 404, 409))
def update_entry(
    entry_id: EntryId,
    body: EntryUpdate,
    user: Valmentaja,
    store: Store,
    searcher: Annotated[Searcher, Depends(get_searcher)],
) -> dict[str, Any]:
    """Replace an entry's text and citations; 409 when it changed since it was read (needs valmentaja)."""
    current = entries.get(store, user, entry_id)
    made = recite(searcher, user, current, [CitationInput(c.chunk_id, c.quote) for c in body.citations])
    check_sharing(searcher, made, body.shared)
    return entry_out(entries.update(store, user, entry_id, body.version, _draft(body), made))


@router.post("/{entry_id}/publish", response_model=EntryOut, **role_doc("valmentaja", 404, 409))
def publish_entry(entry_id: EntryId, body: VersionIn, user: Valmentaja, store: Store) -> dict[str, Any]:
    """luonnos → julkaistu (every [n] must cite a passage) (needs valmentaja)."""
    return entry_out(entries.publish(store, user, entry_id, body.version))


@router.post("/{entry_id}/verify", response_model=EntryOut, **role_doc("valmentaja", 404, 409))
def verify_entry(
    entry_id: EntryId,
    body: VerifyIn,
    user: Valmentaja,
    store: Store,
    searcher: Annotated[Searcher, Depends(get_searcher)],
) -> dict[str, Any]:
    """Re-verify: citations re-read from the served index (or 422: re-cite first); records who and when (needs valmentaja)."""
    return entry_out(review.confirm(store, user, entry_id, body.version, generation_view(searcher), body.note))


@router.post("/{entry_id}/archive", response_model=EntryOut, **role_doc("valmentaja", 404, 409))
def archive_entry(entry_id: EntryId, body: VersionIn, user: Valmentaja, store: Store) -> dict[str, Any]:
    """Any status → arkistoitu (needs valmentaja)."""
    return entry_out(entries.archive(store, user, entry_id, body.version))
