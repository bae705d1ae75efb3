"""The corpus as a resource: GET /api/sections/{chunk_id}, /api/documents and /api/documents/{doc_id}."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query

from retrieval.in_force import in_force
from retrieval.search import Searcher
from retrieval.sections import corpus_view
from retrieval.types import visible_to
from ukk.types import User

from .adapters import document_out, section_out
from .auth import optional_user, viewer_of
from .deps import ISO_DATE_PATTERN, get_searcher, iso_date
from .errors import ApiError
from .schemas import DocumentList, DocumentOut, Problem, SectionOut

router = APIRouter()
_NOT_FOUND: dict[int | str, dict[str, Any]] = {
    404: {"model": Problem},
    422: {"model": Problem},
    503: {"model": Problem},
}


@router.get("/api/sections/{chunk_id}", response_model=SectionOut, responses=_NOT_FOUND)
def api_section(
    searcher: Annotated[Searcher, Depends(get_searcher)],
    viewer: Annotated[User | None, Depends(optional_user)],
    chunk_id: Annotated[str, Path(max_length=200, description="Any chunk id of the section, e.g. fi.531-2017.s44.")],
    date: Annotated[
        str | None,
        Query(
            pattern=ISO_DATE_PATTERN,
            json_schema_extra={"format": "date"},
            description="Show the wording in force on this date (YYYY-MM-DD); default today.",
        ),
    ] = None,
) -> SectionOut:
    """The whole section holding a chunk: all momentit, neighbours, amendments, other language, wording in force.

    ``in_force`` gives the wording on ``date`` built from the enacted text and its amending acts,
    each momentti with the acts its text comes from, the wordings already enacted for later, and
    every earlier wording's period (for a date picker).
    """
    corpus = corpus_view(searcher.index)
    view = corpus.section(chunk_id)
    if view is None or not visible_to(view.first.citation, viewer_of(viewer)):
        raise ApiError(
            404, "Not found", f"no section with chunk id {chunk_id!r}", [{"field": "chunk_id", "message": "unknown id"}]
        )
    # A hit on an older wording opens its section on the day that wording took effect.
    on = iso_date(date) or corpus.wording_date(chunk_id)
    return section_out(view, in_force(searcher.index, view, on))


@router.get("/api/documents", response_model=DocumentList, responses={503: {"model": Problem}})
def api_documents(
    searcher: Annotated[Searcher, Depends(get_searcher)], viewer: Annotated[User | None, Depends(optional_user)]
) -> DocumentList:
    """Every source document in the index the reader may see, with its metadata."""
    docs = [d for d in corpus_view(searcher.index).documents() if d.institution in (None, viewer_of(viewer))]
    return DocumentList(documents=[document_out(d) for d in docs])


@router.get("/api/documents/{doc_id}", response_model=DocumentOut, responses=_NOT_FOUND)
def api_document(
    searcher: Annotated[Searcher, Depends(get_searcher)],
    doc_id: Annotated[str, Path(max_length=200, description="Document id, e.g. fi.531-2017.")],
    viewer: Annotated[User | None, Depends(optional_user)],
) -> DocumentOut:
    """One source document with the ids of its sections in order."""
    view = corpus_view(searcher.index)
    doc = view.document(doc_id)
    if doc is None or doc.institution not in (None, viewer_of(viewer)):
        raise ApiError(
            404, "Not found", f"no document with id {doc_id!r}", [{"field": "doc_id", "message": "unknown id"}]
        )
    return document_out(doc, view.section_ids(doc_id))
