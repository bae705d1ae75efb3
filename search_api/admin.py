"""Hot index reload and the admin endpoints: start a re-index, watch its status, reload now.

The app holds its ``Searcher`` in ``app.state.searcher``. A reload loads the new generation in a
worker thread and then swaps that one reference: a request that already took the old searcher
finishes with it, the next request gets the new one, and nobody waits for the load.
"""

from __future__ import annotations

import asyncio
import hmac
import logging
import signal
import threading
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager, suppress
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Annotated, Any

from fastapi import Depends, FastAPI, Header, Query, Request
from fastapi.concurrency import run_in_threadpool

from index.embedders import Embedder
from index.generations import IndexRoot, ReindexBusyError, ReindexLock
from index.search import Searcher
from lahde.settings import Settings, get_settings

from .errors import ApiError
from .schemas import Problem

logger = logging.getLogger(__name__)


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def serving_generation(searcher: Searcher | None) -> str | None:
    """Name of the directory the searcher's index was loaded from."""
    return searcher.index.path.name if searcher is not None else None


class IndexReloader:
    """Loads the generation CURRENT names when it differs from the one being served, then swaps."""

    def __init__(self, app: FastAPI, settings: Settings) -> None:
        self.app = app
        self.settings = settings
        self._lock = threading.Lock()
        self.last_error: str | None = None
        self.reloaded_at: str | None = None

    def check(self) -> bool:
        """Reload if the pointer moved; True when a new generation is now served. Thread-safe."""
        with self._lock:
            wanted = IndexRoot(self.settings.index_dir).current_dir()
            current: Searcher | None = getattr(self.app.state, "searcher", None)
            if wanted is None or (current is not None and current.index.path.resolve() == wanted.resolve()):
                return False
            try:
                from lahde.service import load_searcher

                embedder = current.embedder if current is not None else self._make_embedder()
                fresh = load_searcher(wanted, embedder, self.settings)
            except Exception as exc:  # noqa: BLE001 - keep serving the old generation, report why
                self.last_error = f"cannot load {wanted}: {exc}"
                logger.error("index reload failed, still serving %s: %s", serving_generation(current), exc)
                return False
            self.app.state.searcher = fresh  # one reference swap: requests in flight keep the old one
            self.app.state.load_error = None
            from .routes_more import on_index_loaded

            on_index_loaded(self.app)
            self.last_error = None
            self.reloaded_at = _now()
            logger.info("now serving generation %s (%d chunks)", wanted.name, len(fresh.index))
            return True

    def _make_embedder(self) -> Embedder:
        from lahde.service import make_embedder

        return make_embedder(self.settings)


@dataclass
class ReindexJob:
    """State of the background re-index started through the admin endpoint."""

    state: str = "idle"  # idle | running | succeeded | failed
    full: bool = False
    started_at: str | None = None
    finished_at: str | None = None
    stage: str | None = None
    done: int = 0
    total: int = 0
    error: str | None = None
    last_result: dict[str, Any] | None = None
    _thread: threading.Thread | None = field(default=None, repr=False)

    def snapshot(self) -> dict[str, Any]:
        """JSON-ready status."""
        return {
            "state": self.state,
            "full": self.full,
            "started_at": self.started_at,
            "finished_at": self.finished_at,
            "progress": {"stage": self.stage, "done": self.done, "total": self.total},
            "error": self.error,
            "last_result": self.last_result,
        }


def start_reindex(app: FastAPI, settings: Settings, *, full: bool = False) -> ReindexJob:
    """Take the re-index lock now (409 when busy) and run the shared re-index code in a thread."""
    job: ReindexJob = app.state.reindex_job
    if job.state == "running":
        raise ApiError(409, "Re-index already running", f"a re-index started at {job.started_at} is still running")
    try:
        lock = ReindexLock(settings.index_dir).acquire(wait=False)
    except ReindexBusyError as exc:
        raise ApiError(409, "Re-index already running", str(exc)) from exc
    factory: Callable[[], Embedder] | None = getattr(app.state, "embedder_factory", None)
    job.state, job.full, job.started_at, job.finished_at = "running", full, _now(), None
    job.stage, job.done, job.total, job.error = "starting", 0, 0, None

    def progress(stage: str, done: int, total: int) -> None:
        job.stage, job.done, job.total = stage, done, total

    def run() -> None:
        from lahde.service import make_embedder, reindex

        try:
            # A separate model instance: the search's embedder keeps answering queries meanwhile.
            embedder = factory() if factory is not None else make_embedder(settings)
            outcome = reindex(settings, embedder, full=full, progress=progress, lock=lock)
            result = outcome.result
            job.last_result = {
                "generation": result.generation,
                "switched": result.switched,
                "seconds": result.seconds,
                "documents": len(outcome.ingest.documents),
                "failed": [str(e) for e in outcome.ingest.errors],
                "changes": result.report.to_dict(),
            }
            app.state.index_reloader.check()
            job.state = "succeeded"
        except Exception as exc:  # noqa: BLE001 - reported through the status endpoint
            logger.exception("background re-index failed")
            lock.release()
            job.error = str(exc)
            job.state = "failed"
        finally:
            job.finished_at = _now()

    job._thread = threading.Thread(target=run, name="lahde-reindex", daemon=True)
    job._thread.start()
    return job


def require_admin(
    settings: Annotated[Settings, Depends(get_settings)],
    authorization: Annotated[str | None, Header(description="Bearer <admin token>")] = None,
) -> None:
    """Refuse unless admin endpoints are enabled and the request carries the admin token."""
    if not settings.admin_token:
        raise ApiError(403, "Forbidden", "admin endpoints are disabled: set LAHDE_ADMIN_TOKEN to enable them")
    scheme, _, token = (authorization or "").partition(" ")
    if scheme.lower() != "bearer" or not hmac.compare_digest(token.strip().encode(), settings.admin_token.encode()):
        raise ApiError(
            401, "Unauthorized", "a valid admin token is required (header Authorization: Bearer <token>)",
            [{"field": "Authorization", "message": "missing or wrong admin token"}],
        )


def _status(app: FastAPI) -> dict[str, Any]:
    reloader: IndexReloader | None = getattr(app.state, "index_reloader", None)
    return {
        "serving": serving_generation(getattr(app.state, "searcher", None)),
        "current": IndexRoot(reloader.settings.index_dir).current_name() if reloader else None,
        "reloaded_at": reloader.reloaded_at if reloader else None,
        "reload_error": reloader.last_error if reloader else None,
        "reindex": app.state.reindex_job.snapshot(),
    }


def install_admin(app: FastAPI) -> None:
    """Add the admin endpoints (all guarded by the admin token)."""
    app.state.reindex_job = ReindexJob()
    guard = [Depends(require_admin)]
    # Documented so that clients (and the schema fuzzer) know every answer these endpoints give.
    denied = {401: {"model": Problem}, 403: {"model": Problem}}

    @app.post(
        "/api/admin/reindex", status_code=202, dependencies=guard, tags=["admin"],
        responses={**denied, 409: {"model": Problem}},
    )
    def admin_reindex(
        request: Request,
        settings: Annotated[Settings, Depends(get_settings)],
        full: Annotated[bool, Query(description="Write a new generation even if nothing changed.")] = False,
    ) -> dict[str, Any]:
        """Start a re-index in the background; 409 when one is already running."""
        start_reindex(request.app, settings, full=full)
        return _status(request.app)

    @app.get("/api/admin/reindex", dependencies=guard, tags=["admin"], responses=denied)
    def admin_status(request: Request) -> dict[str, Any]:
        """Re-index state, progress and last result, and the generation being served."""
        return _status(request.app)

    @app.post("/api/admin/reload", dependencies=guard, tags=["admin"], responses=denied)
    async def admin_reload(request: Request) -> dict[str, Any]:
        """Load the current generation now if it is not the one being served."""
        reloaded = await run_in_threadpool(request.app.state.index_reloader.check)
        return {"reloaded": reloaded, **_status(request.app)}


@asynccontextmanager
async def index_watch(app: FastAPI, settings: Settings) -> AsyncIterator[None]:
    """While the app runs: poll the pointer every reload_interval seconds and reload on SIGHUP."""
    reloader = IndexReloader(app, settings)
    app.state.index_reloader = reloader
    loop = asyncio.get_running_loop()
    wake = asyncio.Event()

    async def watch() -> None:
        while True:
            timeout = settings.reload_interval or None
            with suppress(asyncio.TimeoutError):
                await asyncio.wait_for(wake.wait(), timeout)
            wake.clear()
            try:
                await run_in_threadpool(reloader.check)
            except Exception:  # noqa: BLE001 - the watcher must survive any one failure
                logger.exception("index watcher")

    hup = False
    with suppress(ValueError, RuntimeError, NotImplementedError):
        # Only possible in the main thread (uvicorn); test clients run the app elsewhere.
        loop.add_signal_handler(signal.SIGHUP, wake.set)
        hup = True
    task = asyncio.create_task(watch())
    try:
        yield
    finally:
        task.cancel()
        with suppress(asyncio.CancelledError):
            await task
        if hup:
            loop.remove_signal_handler(signal.SIGHUP)


def wait_for_job(app: FastAPI, timeout: float = 60.0) -> dict[str, Any]:
    """Block until the background re-index finishes (for tests and scripts); returns its status."""
    job: ReindexJob = app.state.reindex_job
    deadline = time.monotonic() + timeout
    while job.state == "running" and time.monotonic() < deadline:
        time.sleep(0.05)
    return job.snapshot()
