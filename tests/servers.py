"""Real processes for tests: uvicorn in a thread (fake-embedder apps), `lahde serve` as a process, any `lahde` command."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

import httpx
import uvicorn
from fastapi import FastAPI


def free_port() -> int:
    """A free TCP port on the loopback interface."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def uvicorn_thread(app: FastAPI, config: uvicorn.Config | None = None) -> Iterator[str]:
    """Serve an app with uvicorn on a loopback port in a background thread; yields the base URL.

    ``config`` (e.g. lahde.service.server_config) is used as given, with the host forced to loopback.
    """
    if config is None:
        config = uvicorn.Config(app, host="127.0.0.1", port=free_port(), log_level="warning", lifespan="on")
    config.host = "127.0.0.1"
    port = config.port
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


@contextmanager
def lahde_serve(env: dict[str, str]) -> Iterator[str]:
    """`lahde serve` as a real process on a free loopback port; yields the base URL."""
    with lahde_serve_process(env) as (base, _proc):
        yield base


@contextmanager
def lahde_serve_process(env: dict[str, str], port: int | None = None) -> Iterator[tuple[str, subprocess.Popen]]:
    """`lahde serve` as a real process; yields the base URL and the process (a test may kill it)."""
    port = port or free_port()
    # The server's log goes to a file: an unread pipe fills up (one access-log line per request)
    # and then blocks the server on its next write.
    log = tempfile.TemporaryFile()
    proc = subprocess.Popen(
        [sys.executable, "-m", "lahde.cli", "serve", "--port", str(port)],
        env={**os.environ, **env},
        stdout=log,
        stderr=subprocess.STDOUT,
        cwd=Path(__file__).resolve().parents[1],
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{base}/readyz", timeout=2).status_code == 200:
                break
        except httpx.TransportError:
            pass
        if proc.poll() is not None:
            break
        time.sleep(0.2)
    else:
        proc.kill()
        raise RuntimeError("server did not start: " + _read(log))
    if proc.poll() is not None:
        raise RuntimeError("server exited: " + _read(log))
    try:
        yield base, proc
    finally:
        if proc.poll() is None:
            proc.terminate()
            proc.wait(timeout=10)
        log.close()


def _read(log: IO[bytes]) -> str:
    log.seek(0)
    return log.read().decode(errors="replace")


def lahde_cli(*args: str, env: dict[str, str], stdin: str | None = None) -> subprocess.CompletedProcess:
    """Run one `lahde` command as a process with extra environment variables; its output is captured."""
    return subprocess.run(
        [sys.executable, "-m", "lahde.cli", *args],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=600,
        input=stdin,
    )


class SmtpSink:
    """A real SMTP server (aiosmtpd) on loopback that keeps every message it receives."""

    def __init__(self) -> None:
        self.messages: list[Any] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802 - aiosmtpd's hook name
        from email import message_from_bytes, policy

        self.messages.append(message_from_bytes(envelope.content, policy=policy.default))
        return "250 OK"


@contextmanager
def smtp_server() -> Iterator[tuple[int, SmtpSink]]:
    """aiosmtpd on a free loopback port; yields the port and the sink holding what arrived."""
    from aiosmtpd.controller import Controller

    sink = SmtpSink()
    port = free_port()
    controller = Controller(sink, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield port, sink
    finally:
        controller.stop()
