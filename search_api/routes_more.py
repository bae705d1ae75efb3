"""Endpoints beyond search: /api/ask, /api/sections, /api/documents and /readyz."""

from __future__ import annotations

import logging
import threading
import weakref
from typing import Annotated

from fastapi import APIRouter, Depends, FastAPI, Path
from fastapi.concurrency import run_in_threadpool

from index.answer import AnswerDrafter
from index.cache import EmbeddingCache
from index.search import Searcher
from index.sections import corpus_view
from index.store import Filters
from lahde.settings import Settings, get_settings

from .adapters import answer_out, document_out, section_out
from .app import clean_query, get_searcher
from .errors import ApiError
from .schemas import Problem
from .schemas_more import AskRequest, AskResponse, DocumentList, DocumentOut, Ready, SectionOut

logger = logging.getLogger(__name__)

router = APIRouter()
_ERRORS = {422: {"model": Problem}, 503: {"model": Problem}}
_NOT_FOUND = {404: {"model": Problem}, **_ERRORS}
_DRAFTERS: "weakref.WeakKeyDictionary[Searcher, AnswerDrafter]" = weakref.WeakKeyDictionary()
_DRAFTERS_LOCK = threading.Lock()


def index_generation(searcher: Searcher) -> str | None:
    """Which index is being served: the searcher's generation when it has one, else the build time."""
    for owner in (searcher, searcher.index):
        generation = getattr(owner, "generation", None)
        if generation is not None:
            return str(generation)
    return getattr(searcher.index.manifest, "built_at", None)


def _open_cache(settings: Settings) -> EmbeddingCache | None:
    try:
        from lahde.service import embedding_cache_path

        return EmbeddingCache(embedding_cache_path(settings))
    except Exception as exc:  # noqa: BLE001 - the cache only saves time; drafting works without it
        logger.warning("sentence vectors will not be cached on disk: %s", exc)
        return None


def get_drafter(
    settings: Annotated[Settings, Depends(get_settings)], searcher: Annotated[Searcher, Depends(get_searcher)]
) -> AnswerDrafter:
    """One drafter per loaded searcher, so sentence vectors are reused until the index changes."""
    with _DRAFTERS_LOCK:
        drafter = _DRAFTERS.get(searcher)
        if drafter is None:
            drafter = _DRAFTERS[searcher] = AnswerDrafter(
                searcher,
                min_score=settings.ask_min_score,
                signal=settings.ask_signal,
                max_sentences=settings.ask_max_sentences,
                cache=_open_cache(settings),
            )
            if settings.ask_warm:
                threading.Thread(
                    target=drafter.warm, args=(searcher.index.chunks,), name="lahde-ask-warm", daemon=True
                ).start()
        return drafter


def on_index_loaded(app: FastAPI) -> None:
    """Prepare the answer drafter for a newly loaded searcher (and warm its sentences when configured)."""
    settings = app.dependency_overrides.get(get_settings, get_settings)()
    get_drafter(settings, app.state.searcher)


def _limit(field: str, value: int, limit: int) -> None:
    if value > limit:
        raise ApiError(422, "Invalid request", f"{field} must be at most {limit}", [{"field": field, "message": f"greater than {limit}"}])


@router.post("/api/ask", response_model=AskResponse, responses=_ERRORS)
async def api_ask(
    body: AskRequest,
    settings: Annotated[Settings, Depends(get_settings)],
    drafter: Annotated[AnswerDrafter, Depends(get_drafter)],
) -> AskResponse:
    """Draft an answer from verbatim sentences of the best passages, each cited [n]; abstain when evidence is weak."""
    try:
        question = clean_query(body.question, settings)
    except ApiError as exc:  # same rule as /api/search, reported under this endpoint's field name
        raise ApiError(exc.status, exc.title, exc.detail.replace("q (kysymys)", "question (kysymys)"),
                       [{"field": "question", "message": e["message"]} for e in exc.errors]) from None
    k = body.k or settings.ask_default_k
    _limit("k", k, settings.ask_max_k)
    f = body.filters or None
    filters = Filters(kind=f.kind or None, lang=f.lang or None, statute=f.statute or None) if f else None
    answer = await run_in_threadpool(drafter.ask, question, k, filters)
    extra = f" q={question!r}" if settings.log_queries else ""
    logger.info("ask k=%d answered=%s sources=%d took=%.1fms%s", k, answer.answered, len(answer.sources), answer.took_ms, extra)
    return answer_out(answer)


@router.get("/api/sections/{chunk_id}", response_model=SectionOut, responses=_NOT_FOUND)
def api_section(
    searcher: Annotated[Searcher, Depends(get_searcher)],
    chunk_id: Annotated[str, Path(max_length=200, description="Any chunk id of the section, e.g. fi.531-2017.s44.")],
) -> SectionOut:
    """The whole section holding a chunk: all momentit, neighbours, amendments, other language."""
    view = corpus_view(searcher.index).section(chunk_id)
    if view is None:
        raise ApiError(404, "Not found", f"no section with chunk id {chunk_id!r}", [{"field": "chunk_id", "message": "unknown id"}])
    return section_out(view)


@router.get("/api/documents", response_model=DocumentList, responses={503: {"model": Problem}})
def api_documents(searcher: Annotated[Searcher, Depends(get_searcher)]) -> DocumentList:
    """Every source document in the index, with its metadata."""
    return DocumentList(documents=[document_out(d) for d in corpus_view(searcher.index).documents()])


@router.get("/api/documents/{doc_id}", response_model=DocumentOut, responses=_NOT_FOUND)
def api_document(
    searcher: Annotated[Searcher, Depends(get_searcher)],
    doc_id: Annotated[str, Path(max_length=200, description="Document id, e.g. fi.531-2017.")],
) -> DocumentOut:
    """One source document with the ids of its sections in order."""
    view = corpus_view(searcher.index)
    doc = view.document(doc_id)
    if doc is None:
        raise ApiError(404, "Not found", f"no document with id {doc_id!r}", [{"field": "doc_id", "message": "unknown id"}])
    return document_out(doc, view.section_ids(doc_id))


@router.get("/readyz", response_model=Ready, responses={503: {"model": Problem}})
def readyz(searcher: Annotated[Searcher, Depends(get_searcher)]) -> Ready:
    """Readiness: 200 once the index is loaded, with which generation; 503 before."""
    manifest = searcher.index.manifest
    return Ready(
        status="ready",
        generation=index_generation(searcher),
        chunk_count=len(searcher.index),
        model_id=manifest.model_id,
        built_at=manifest.built_at,
    )
