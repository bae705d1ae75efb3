"""The HTTP server's own defences against slow and stalled clients (uvicorn's h11 protocol, one timer added).

uvicorn closes an idle keep-alive connection after ``timeout_keep_alive`` and caps concurrent
connections with ``limit_concurrency``, but a client that opens a connection and never finishes
its request head holds it forever. This protocol gives every connection ``header_timeout``
seconds to send a complete request head (again after each response); then it is closed. It
does not replace a buffering reverse proxy in front of the service (docs/operations.md).
"""

from __future__ import annotations

import asyncio
import logging

from uvicorn.protocols.http.h11_impl import H11Protocol

logger = logging.getLogger(__name__)


class HeaderTimeoutH11Protocol(H11Protocol):
    """uvicorn's h11 protocol with a deadline for each request head."""

    header_timeout: float = 10.0

    _header_timer: asyncio.TimerHandle | None = None

    @classmethod
    def with_timeout(cls, seconds: float) -> type[HeaderTimeoutH11Protocol]:
        """A subclass with this deadline (uvicorn takes the protocol as a class)."""
        return type(cls.__name__, (cls,), {"header_timeout": float(seconds)})

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        """Start the clock for the first request head."""
        super().connection_made(transport)
        self._arm()

    def handle_events(self) -> None:
        """Parse what arrived; a request head in progress stops the clock."""
        super().handle_events()
        if self.cycle is not None and not self.cycle.response_complete:
            self._disarm()

    def on_response_complete(self) -> None:
        """After each response the next request head gets its own deadline."""
        super().on_response_complete()
        if not self.transport.is_closing():
            self._arm()

    def connection_lost(self, exc: Exception | None) -> None:
        """Stop the clock with the connection."""
        self._disarm()
        super().connection_lost(exc)

    def _arm(self) -> None:
        self._disarm()
        self._header_timer = self.loop.call_later(self.header_timeout, self._timed_out)

    def _disarm(self) -> None:
        if self._header_timer is not None:
            self._header_timer.cancel()
            self._header_timer = None

    def _timed_out(self) -> None:
        self._header_timer = None
        if (self.cycle is None or self.cycle.response_complete) and not self.transport.is_closing():
            logger.info("closing a connection that sent no complete request head in %.0f s", self.header_timeout)
            self.transport.close()
