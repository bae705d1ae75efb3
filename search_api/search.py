"""GET /api/search: passages best first, each with its citation."""

from __future__ import annotations

import logging
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from fastapi.concurrency import run_in_threadpool

from retrieval.search import Searcher
from retrieval.types import Filters
from ukk.types import User

from .adapters import hit_out
from .auth import optional_user, viewer_of
from .deps import ISO_DATE_PATTERN, check_filters, check_limit, clean_query, get_searcher, get_settings, iso_date
from .schemas import ExpansionOut, Problem, SearchMode, SearchResponse, VersionsMode

logger = logging.getLogger(__name__)

router = APIRouter()


@router.get("/api/search", response_model=SearchResponse, responses={422: {"model": Problem}, 503: {"model": Problem}})
async def api_search(
    settings: Annotated[Any, Depends(get_settings)],
    searcher: Annotated[Searcher, Depends(get_searcher)],
    viewer: Annotated[User | None, Depends(optional_user)],
    q: Annotated[str, Query(description="The question or search words (kysymys).", max_length=10_000)],
    k: Annotated[int | None, Query(ge=1, description="Number of hits.")] = None,
    offset: Annotated[int, Query(ge=0, description="Hits to skip, for paging.")] = 0,
    kind: Annotated[str | None, Query(description="Source kind: laki, asetus, opas, ohje, ukk.")] = None,
    lang: Annotated[str | None, Query(description="Language: fi or sv.")] = None,
    statute: Annotated[str | None, Query(description="Statute number, e.g. 531/2017.")] = None,
    mode: Annotated[
        SearchMode,
        Query(description="hybrid (default: words and meaning fused), lexical (words only) or dense (meaning only)."),
    ] = "hybrid",
    versions: Annotated[
        VersionsMode,
        Query(
            description="fold (default): an amending act's wording of a section already listed joins that hit "
            "as other_versions; all: every act's wording is a hit of its own."
        ),
    ] = "fold",
    date: Annotated[
        str | None,
        Query(
            pattern=ISO_DATE_PATTERN,
            json_schema_extra={"format": "date"},
            description="Search the wordings in force on this date (YYYY-MM-DD). Default: the wording in force "
            "when the index was built, and wordings already enacted for later (marked by wording_since).",
        ),
    ] = None,
    expired: Annotated[
        bool,
        Query(description="Also perusteet past their voimassaolo and siirtymäaika (default: only those that apply)."),
    ] = False,
) -> SearchResponse:
    """Search passages; hits come best first with their citations."""
    query = clean_query(q, settings)
    k = k or settings.default_k
    check_limit("k", k, settings.max_k)
    check_limit("offset", offset, settings.max_offset)
    filters = Filters.of(kind, lang, statute, on=iso_date(date), expired=expired, viewer=viewer_of(viewer))
    check_filters(filters, searcher)
    result = await run_in_threadpool(searcher.search, query, k, filters, offset, mode, versions == "fold")
    if settings.log_queries:
        logger.info("search q=%r k=%d hits=%d took=%.1fms", query, k, len(result.hits), result.took_ms)
    else:
        logger.info("search k=%d hits=%d took=%.1fms", k, len(result.hits), result.took_ms)
    return SearchResponse(
        query=query,
        k=k,
        offset=offset,
        mode=result.mode,
        took_ms=result.took_ms,
        expansions=[ExpansionOut(key=e.key, expansion=e.expansion, lang=e.lang) for e in result.expansions],
        hits=[hit_out(h, result.highlight_query) for h in result.hits],
    )
