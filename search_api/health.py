"""Liveness, readiness and Prometheus metrics: GET /healthz, /readyz, /metrics."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from retrieval.search import Searcher
from ukk import questions

from .auth import get_ukk
from .deps import get_searcher, served_generation
from .schemas import Health, Problem, Ready

router = APIRouter()


@router.get("/healthz", response_model=Health)
def healthz() -> Health:
    """Liveness: the process answers."""
    return Health(status="ok")


@router.get("/readyz", response_model=Ready, responses={503: {"model": Problem}})
def readyz(searcher: Annotated[Searcher, Depends(get_searcher)]) -> Ready:
    """Readiness: 200 once the index is loaded, with which generation; 503 before."""
    manifest = searcher.index.manifest
    return Ready(
        status="ready",
        generation=served_generation(searcher),
        chunk_count=len(searcher.index),
        model_id=manifest.model_id,
        built_at=manifest.built_at,
    )


@router.get("/metrics", response_class=Response, responses={200: {"content": {CONTENT_TYPE_LATEST: {}}}})
def prometheus_metrics(request: Request) -> Response:
    """Prometheus metrics: request counts and latency per endpoint, index generation, chunk count."""
    metrics = request.app.state.metrics
    metrics.refresh_index(getattr(request.app.state, "searcher", None))
    if request.app.state.settings.ukk_path().exists():  # no UKK yet: no database is made for a scrape
        metrics.refresh_questions(questions.stats(get_ukk(request)))
    return Response(generate_latest(metrics.registry), media_type=CONTENT_TYPE_LATEST)
