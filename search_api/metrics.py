"""Request observation: one access-log line and Prometheus metrics per request, and the index gauges."""

from __future__ import annotations

import logging
import time
import uuid
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from retrieval.search import Searcher

from .deps import served_generation

access_log = logging.getLogger("lahde.access")

#: The HTTP methods metrics and logs name; any other is counted as "other".
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS"})
#: Latency buckets (seconds): search on the real model is tens of ms, a cold answer draft seconds.
BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)


class Metrics:
    """Prometheus metrics of one app, in the app's own registry (several apps may live in one process)."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "lahde_requests",
            "HTTP requests by endpoint, method and status.",
            ["endpoint", "method", "status"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "lahde_request_duration_seconds",
            "Time to answer a request, by endpoint.",
            ["endpoint"],
            buckets=BUCKETS,
            registry=self.registry,
        )
        self.chunks = Gauge("lahde_index_chunks", "Chunks in the loaded index (0 when none).", registry=self.registry)
        self.generation = Gauge(
            "lahde_index_generation",
            "The loaded index: 1 for the generation (and model) being served.",
            ["generation", "model_id"],
            registry=self.registry,
        )

        self.questions_open = Gauge(
            "lahde_questions_open", "Open questions to the coaches, by topic.", ["topic"], registry=self.registry
        )
        self.questions_wait = Gauge(
            "lahde_questions_median_hours_to_first_answer",
            "Median hours from a question to its first answer (-1 when none is answered).",
            registry=self.registry,
        )
        self.questions_existing = Gauge(
            "lahde_questions_answered_from_existing_ratio",
            "Share of answered questions answered with a UKK entry that existed before (-1 when none).",
            registry=self.registry,
        )

    def refresh_questions(self, figures: dict | None) -> None:
        """Set the question channel's gauges from :func:`ukk.questions.stats` (None: no UKK database yet)."""
        if figures is None:
            return
        for topic, count in figures["open_by_topic"].items():
            self.questions_open.labels(topic).set(count)
        wait, share = figures["median_hours_to_first_answer"], figures["share_answered_from_existing"]
        self.questions_wait.set(-1 if wait is None else wait)
        self.questions_existing.set(-1 if share is None else share)

    def refresh_index(self, searcher: Searcher | None) -> None:
        """Set the index gauges from the searcher being served."""
        self.generation.clear()
        if searcher is None:
            self.chunks.set(0)
            return
        self.chunks.set(len(searcher.index))
        self.generation.labels(str(served_generation(searcher)), searcher.index.manifest.model_id).set(1)


class ObserveRequests:
    """ASGI middleware: one access-log line and one metrics sample per request (no query text unless enabled)."""

    def __init__(self, app: ASGIApp, metrics: Metrics, log_queries: bool) -> None:
        self.app = app
        self.metrics = metrics
        self.log_queries = log_queries

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500
        request_id = uuid.uuid4().hex[:12]

        async def send_wrapper(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                headers = message.setdefault("headers", [])
                headers.append((b"x-request-id", request_id.encode()))
                # Every answer, JSON included: a browser must never sniff a body into HTML.
                if not any(name.lower() == b"x-content-type-options" for name, _v in headers):
                    headers.append((b"x-content-type-options", b"nosniff"))
            await send(message)

        try:
            await self.app(scope, receive, send_wrapper)
        finally:
            elapsed = time.perf_counter() - started
            route = scope.get("route")
            # The route template, never the raw path: ids in paths would explode the label set.
            endpoint = getattr(route, "path", None) or "unmatched"
            # Labels are only ever values the server chose: a client's invented method is "other".
            method = scope["method"] if scope["method"] in METHODS else "other"
            self.metrics.requests.labels(endpoint, method, str(status)).inc()
            self.metrics.latency.labels(endpoint).observe(elapsed)
            fields: dict[str, Any] = {
                "request_id": request_id,
                "method": method,
                "endpoint": endpoint,
                "status": status,
                "duration_ms": round(elapsed * 1000, 2),
            }
            if self.log_queries and scope.get("query_string"):
                fields["query"] = scope["query_string"].decode("latin-1")
            access_log.info(" ".join(f"{k}={v}" for k, v in fields.items()), extra={"lahde": fields})
