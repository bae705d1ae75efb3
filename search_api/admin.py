"""The admin endpoints: start a re-index in the background, watch its status, reload now (token-guarded)."""

from __future__ import annotations

import hmac
import logging
import threading
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Annotated, Any

from fastapi import APIRouter, Depends, FastAPI, Header, Query, Request
from fastapi.concurrency import run_in_threadpool

from index.errors import ReindexBusyError
from index.generations import ReindexLock

from .deps import get_settings, served_generation
from .errors import ApiError
from .reload import now
from .schemas import Problem

if TYPE_CHECKING:
    from lahde.settings import Settings

logger = logging.getLogger(__name__)


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


def start_reindex(app: FastAPI, *, full: bool = False) -> ReindexJob:
    """Take the re-index lock now (409 when busy) and run the shared re-index code in a thread."""
    settings: Settings = app.state.settings
    job: ReindexJob = app.state.reindex_job
    services = app.state.services
    if services is None:
        raise ApiError(409, "Re-index unavailable", "this app was created without services")
    if job.state == "running":
        raise ApiError(409, "Re-index already running", f"a re-index started at {job.started_at} is still running")
    try:
        lock = ReindexLock(settings.index_dir).acquire(wait=False)
    except ReindexBusyError as exc:
        raise ApiError(409, "Re-index already running", str(exc)) from exc
    job.state, job.full, job.started_at, job.finished_at = "running", full, now(), None
    job.stage, job.done, job.total, job.error = "starting", 0, 0, None

    def progress(stage: str, done: int, total: int) -> None:
        job.stage, job.done, job.total = stage, done, total

    def run() -> None:
        try:
            # A separate model instance (made only if something needs embedding): the search's
            # embedder keeps answering queries meanwhile.
            job.last_result = services.reindex(settings, None, full=full, progress=progress, lock=lock)
            app.state.index_reloader.check()
            job.state = "succeeded"
        except Exception as exc:  # noqa: BLE001 - reported through the status endpoint
            logger.exception("background re-index failed")
            lock.release()
            job.error = str(exc)
            job.state = "failed"
        finally:
            job.finished_at = now()

    job._thread = threading.Thread(target=run, name="lahde-reindex", daemon=True)
    job._thread.start()
    return job


def require_admin(
    settings: Annotated[Any, Depends(get_settings)],
    authorization: Annotated[str | None, Header(description="Bearer <admin token>")] = None,
) -> None:
    """Refuse unless admin endpoints are enabled and the request carries the admin token (constant-time check)."""
    if not settings.admin_token:
        raise ApiError(403, "Forbidden", "admin endpoints are disabled: set LAHDE_ADMIN_TOKEN to enable them")
    scheme, _, token = (authorization or "").partition(" ")
    if scheme.lower() != "bearer" or not hmac.compare_digest(token.strip().encode(), settings.admin_token.encode()):
        raise ApiError(
            401,
            "Unauthorized",
            "a valid admin token is required (header Authorization: Bearer <token>)",
            [{"field": "Authorization", "message": "missing or wrong admin token"}],
        )


def status(app: FastAPI) -> dict[str, Any]:
    """The generation served and the one the pointer names, the last reload and the re-index job."""
    reloader = app.state.index_reloader
    return {
        "serving": served_generation(getattr(app.state, "searcher", None)),
        "current": reloader.current_name(),
        "reloaded_at": reloader.reloaded_at,
        "reload_error": reloader.last_error,
        "reindex": app.state.reindex_job.snapshot(),
    }


# Documented so that clients (and the schema fuzzer) know every answer these endpoints give.
_DENIED: dict[int | str, dict[str, Any]] = {401: {"model": Problem}, 403: {"model": Problem}}
router = APIRouter(prefix="/api/admin", tags=["admin"], dependencies=[Depends(require_admin)], responses=_DENIED)


@router.post("/reindex", status_code=202, responses={409: {"model": Problem}})
def admin_reindex(
    request: Request,
    full: Annotated[bool, Query(description="Write a new generation even if nothing changed.")] = False,
) -> dict[str, Any]:
    """Start a re-index in the background; 409 when one is already running."""
    start_reindex(request.app, full=full)
    return status(request.app)


@router.get("/reindex")
def admin_status(request: Request) -> dict[str, Any]:
    """Re-index state, progress and last result, and the generation being served."""
    return status(request.app)


@router.post("/reload")
async def admin_reload(request: Request) -> dict[str, Any]:
    """Load the current generation now if it is not the one being served."""
    reloaded = await run_in_threadpool(request.app.state.index_reloader.check)
    return {"reloaded": reloaded, **status(request.app)}


def wait_for_job(app: FastAPI, timeout: float = 60.0) -> dict[str, Any]:
    """Block until the background re-index finishes (for tests and scripts); returns its status."""
    job: ReindexJob = app.state.reindex_job
    deadline = time.monotonic() + timeout
    while job.state == "running" and time.monotonic() < deadline:
        time.sleep(0.05)
    return job.snapshot()
