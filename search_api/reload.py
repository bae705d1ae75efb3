"""Hot index reload: load the generation CURRENT names when it differs from the one served, then swap.

The app holds its ``Searcher`` in ``app.state.searcher``. A reload loads the new generation in a
worker thread and then swaps that one reference: a request that already took the old searcher
finishes with it, the next request gets the new one, and nobody waits for the load.
"""

from __future__ import annotations

import asyncio
import logging
import signal
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress

from fastapi import FastAPI
from fastapi.concurrency import run_in_threadpool

from index.generations import IndexRoot
from ingest.models import now_iso
from retrieval.search import Searcher

from .deps import drafter_for, served_generation

logger = logging.getLogger(__name__)


def now() -> str:
    """The current UTC time, ISO-formatted to the second."""
    return now_iso()


class IndexReloader:
    """Swaps in the generation the index root's pointer names; thread-safe."""

    def __init__(self, app: FastAPI) -> None:
        self.app = app
        self._lock = threading.Lock()
        self.last_error: str | None = None
        self.reloaded_at: str | None = None

    def current_name(self) -> str | None:
        """The generation the pointer names now."""
        return IndexRoot(self.app.state.settings.index_dir).current_name()

    def check(self) -> bool:
        """Reload if the pointer moved; True when a new generation is now served."""
        with self._lock:
            settings = self.app.state.settings
            wanted = IndexRoot(settings.index_dir).current_dir()
            current: Searcher | None = getattr(self.app.state, "searcher", None)
            services = self.app.state.services
            if wanted is None or services is None:
                return False
            if current is not None and current.index.path.resolve() == wanted.resolve():
                return False
            try:
                embedder = current.embedder if current is not None else services.make_embedder(settings)
                fresh = services.load_searcher(wanted, embedder, settings)
            except Exception as exc:  # noqa: BLE001 - keep serving the old generation, report why
                self.last_error = f"cannot load {wanted}: {exc}"
                logger.error("index reload failed, still serving %s: %s", served_generation(current), exc)
                return False
            self.app.state.searcher = fresh  # one reference swap: requests in flight keep the old one
            self.app.state.load_error = None
            drafter_for(self.app, fresh)
            self.last_error = None
            self.reloaded_at = now()
            logger.info("now serving generation %s (%d chunks)", wanted.name, len(fresh.index))
            return True


@asynccontextmanager
async def index_watch(reloader: IndexReloader) -> AsyncIterator[None]:
    """While the app runs: poll the pointer every reload_interval seconds and reload on SIGHUP."""
    loop = asyncio.get_running_loop()
    wake = asyncio.Event()
    interval = reloader.app.state.settings.reload_interval

    async def watch() -> None:
        while True:
            with suppress(asyncio.TimeoutError):
                await asyncio.wait_for(wake.wait(), interval or None)
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
