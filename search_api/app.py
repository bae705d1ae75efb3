"""The FastAPI application: one router per resource, the web pages, one error shape, metrics."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING

from fastapi import FastAPI
from fastapi.concurrency import run_in_threadpool
from fastapi.middleware.cors import CORSMiddleware

from retrieval.search import Searcher

from . import (
    admin,
    ask,
    corpus,
    docs,
    health,
    kysymykset_api,
    kysymykset_pages,
    login_pages,
    search,
    session_api,
    ukk_api,
    ukk_pages,
    web,
)
from .deps import Services, drafter_for
from .errors import install_error_handlers
from .limits import LimitBodies
from .metrics import Metrics, ObserveRequests
from .openapi import document_limits_and_problems
from .reload import IndexReloader, index_watch

if TYPE_CHECKING:
    from lahde.settings import Settings

logger = logging.getLogger(__name__)


def create_app(settings: Settings, services: Services | None = None, searcher: Searcher | None = None) -> FastAPI:
    """Build the app; the index loads in the lifespan (through ``services``) unless a searcher is given."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.searcher, app.state.load_error = searcher, None
        if searcher is None and services is not None:
            try:
                app.state.searcher = await run_in_threadpool(services.open_searcher, settings)
                logger.info("loaded index %s (%d chunks)", settings.index_dir, len(app.state.searcher.index))
            except Exception as exc:  # noqa: BLE001 - reported by /api endpoints as 503
                logger.error("cannot load index: %s", exc)
                app.state.load_error = str(exc)
        if app.state.searcher is not None:
            drafter_for(app, app.state.searcher)
        async with index_watch(app.state.index_reloader):
            yield
        app.state.searcher = None

    app = FastAPI(
        title="Lähde",
        description="Search Finnish vocational-education statutes and guides; every hit carries its exact citation.",
        version="0.1.0",
        lifespan=lifespan,
        docs_url=None,  # search_api.docs serves /docs from the app's own files
        redoc_url=None,
    )
    app.state.settings, app.state.services, app.state.searcher = settings, services, searcher
    app.state.metrics = Metrics()
    app.state.index_reloader = IndexReloader(app)
    app.state.reindex_job = admin.ReindexJob()
    install_error_handlers(app)
    for module in (
        health,
        search,
        ask,
        corpus,
        session_api,
        ukk_api,
        kysymykset_api,
        admin,
        docs,
        login_pages,
        ukk_pages,
        kysymykset_pages,
        web,
    ):
        app.include_router(module.router)
    web.mount_static(app)
    docs.mount_assets(app)
    document_limits_and_problems(app, settings)
    app.add_middleware(LimitBodies, max_bytes=settings.max_body_bytes)
    # Outside the body limit, so refused requests are counted and logged too.
    app.add_middleware(ObserveRequests, metrics=app.state.metrics, log_queries=settings.log_queries)
    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=list(settings.cors_origins),
            allow_methods=["GET", "POST", "PUT", "DELETE"],
            allow_headers=["Content-Type", "Authorization", "X-CSRF-Token"],
            expose_headers=["X-Request-Id"],
        )
    return app
