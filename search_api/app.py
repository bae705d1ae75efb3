"""FastAPI application: translates HTTP to the index package and back."""

from __future__ import annotations

import logging
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Annotated

from fastapi import Depends, FastAPI, Query, Request
from fastapi.concurrency import run_in_threadpool

from index.search import Searcher
from index.store import Filters
from lahde.settings import Settings, get_settings

from .admin import index_watch, install_admin
from .adapters import hit_out
from .errors import ApiError, NotReadyError, install_error_handlers
from .extensions import install_extensions
from .schemas import ExpansionOut, Health, Problem, SearchMode, SearchResponse, VersionsMode
from .web import install_web

logger = logging.getLogger(__name__)

# C0 and C1 control characters (NEL \x85 included) become spaces; the schema pattern NOT_BLANK agrees.
_CONTROL_RE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
_ERRORS = {422: {"model": Problem}, 503: {"model": Problem}}


def clean_query(q: str, settings: Settings) -> str:
    """Strip control characters and surrounding space; enforce the length limit."""
    query = _CONTROL_RE.sub(" ", q).strip()
    if not query:
        raise ApiError(422, "Invalid request", "q (kysymys) must not be empty", [{"field": "q", "message": "empty"}])
    if len(query) > settings.max_query_chars:
        raise ApiError(
            422,
            "Invalid request",
            f"q (kysymys) is {len(query)} characters; at most {settings.max_query_chars} are allowed",
            [{"field": "q", "message": f"longer than {settings.max_query_chars} characters"}],
        )
    return query


def get_searcher(request: Request) -> Searcher:
    """The searcher loaded in the lifespan; 503 until it is ready."""
    searcher = getattr(request.app.state, "searcher", None)
    if searcher is None:
        reason = getattr(request.app.state, "load_error", None) or "the index is still loading"
        raise NotReadyError(str(reason))
    return searcher


def create_app(settings: Settings | None = None, searcher: Searcher | None = None) -> FastAPI:
    """Build the app; the index and model load in the lifespan, not at import time."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        from lahde.service import open_searcher

        app.state.searcher = searcher
        app.state.load_error = None
        current = app.dependency_overrides.get(get_settings, get_settings)()
        if app.state.searcher is None:
            try:
                app.state.searcher = await run_in_threadpool(open_searcher, current)
                logger.info("loaded index %s (%d chunks)", current.index_dir, len(app.state.searcher.index))
            except Exception as exc:  # noqa: BLE001 - reported by /api endpoints as 503
                logger.error("cannot load index: %s", exc)
                app.state.load_error = str(exc)
        if app.state.searcher is not None:
            from .routes_more import on_index_loaded

            on_index_loaded(app)
        async with index_watch(app, current):
            yield
        app.state.searcher = None

    app = FastAPI(
        title="Lähde",
        description="Search Finnish vocational-education statutes and guides; every hit carries its exact citation.",
        version="0.1.0",
        lifespan=lifespan,
    )
    if settings is not None:
        app.dependency_overrides[get_settings] = lambda: settings
    install_error_handlers(app)
    install_admin(app)
    install_extensions(app, settings)

    @app.get("/healthz", response_model=Health)
    def healthz() -> Health:
        """Liveness: the process answers."""
        return Health(status="ok")

    install_web(app)

    @app.get("/api/search", response_model=SearchResponse, responses=_ERRORS)
    async def api_search(
        settings: Annotated[Settings, Depends(get_settings)],
        searcher: Annotated[Searcher, Depends(get_searcher)],
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
            Query(description="fold (default): an amending act's wording of a section already listed joins that hit "
                  "as other_versions; all: every act's wording is a hit of its own."),
        ] = "fold",
    ) -> SearchResponse:
        """Search passages; hits come best first with their citations."""
        query = clean_query(q, settings)
        k = k or settings.default_k
        if k > settings.max_k:
            raise ApiError(422, "Invalid request", f"k must be at most {settings.max_k}", [{"field": "k", "message": f"greater than {settings.max_k}"}])
        if offset > settings.max_offset:
            raise ApiError(422, "Invalid request", f"offset must be at most {settings.max_offset}", [{"field": "offset", "message": f"greater than {settings.max_offset}"}])
        filters = Filters(kind=kind or None, lang=lang or None, statute=statute or None)
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

    return app
