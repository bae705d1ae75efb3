"""`lahde sources fetch`: download the statutes named in sources.toml from the Finlex open-data API.

The API (https://opendata.finlex.fi/finlex/avoindata/v1) serves Akoma Ntoso 3.0 XML at
``/akn/fi/act/{statute|statute-consolidated}/{year}/{number}/{fin|swe}@``; it wants a User-Agent
and answers 429 when rate-limited. Each file is checked (it must parse as an Akoma Ntoso act)
and written atomically into the mirror folder as ``{year}_{number}_{fin|swe}.xml``, the name the
ingester looks for.
"""

from __future__ import annotations

import logging
import os
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from .akn import read_akn
from .errors import IngestError
from .manifest import SourceEntry, SourcesConfig

logger = logging.getLogger(__name__)

USER_AGENT = "lahde/0.1 (semantic search over Finnish vocational-education statutes)"
_RETRY_STATUS = {429, 500, 502, 503, 504}
MAX_BACKOFF = 60.0


class FetchError(Exception):
    """The API could not be reached at all (offline, DNS, refused): nothing was fetched."""


@dataclass
class FetchResult:
    """Files written, and one message per statute that could not be fetched."""

    written: list[Path] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)


def statute_url(base_url: str, entry: SourceEntry, *, consolidated: bool = False) -> str:
    """API address of a statute entry, e.g. ``…/akn/fi/act/statute/2017/531/fin@``."""
    assert entry.statute is not None
    number, year = entry.statute.split("/")
    kind = "statute-consolidated" if consolidated else "statute"
    lang = "swe" if entry.lang == "sv" else "fin"
    return f"{base_url.rstrip('/')}/akn/fi/act/{kind}/{year}/{int(number)}/{lang}@"


def _retry_after(response: httpx.Response, attempt: int) -> float:
    header = response.headers.get("Retry-After", "")
    if header.isdigit():
        return min(float(header), MAX_BACKOFF)
    return min(2.0**attempt, MAX_BACKOFF)


def get_with_retries(
    client: httpx.Client, url: str, *, retries: int, sleep: Callable[[float], None] = time.sleep
) -> httpx.Response:
    """GET with retries on timeouts, connection errors, 429 and 5xx (exponential backoff)."""
    attempt = 0
    while True:
        try:
            response = client.get(url)
        except httpx.TransportError:
            if attempt >= retries:
                raise
            delay = min(2.0**attempt, MAX_BACKOFF)
            logger.info("GET %s failed; retry %d in %.1f s", url, attempt + 1, delay)
        else:
            if response.status_code not in _RETRY_STATUS or attempt >= retries:
                return response
            delay = _retry_after(response, attempt)
            logger.info("GET %s: HTTP %d; retry %d in %.1f s", url, response.status_code, attempt + 1, delay)
        sleep(delay)
        attempt += 1


def api_client(accept: str, timeout: float, transport: httpx.BaseTransport | None = None) -> httpx.Client:
    """The HTTP client both fetchers use: the project's User-Agent, a timeout, redirects followed."""
    return httpx.Client(
        headers={"User-Agent": USER_AGENT, "Accept": accept},
        timeout=timeout,
        follow_redirects=True,
        transport=transport,
    )


def write_atomic(path: Path, data: bytes) -> None:
    """Write a file whole or not at all (a temporary file beside it, then renamed)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def fetch_sources(
    config: SourcesConfig,
    *,
    base_url: str,
    timeout: float = 30.0,
    retries: int = 3,
    consolidated: bool = False,
    sleep: Callable[[float], None] = time.sleep,
    transport: httpx.BaseTransport | None = None,
) -> FetchResult:
    """Download every ``statute`` entry of the manifest into the mirror folder.

    Raises :class:`FetchError` when the API cannot be reached at all; a statute the API does not
    have, or one that comes back malformed, is listed in ``failed`` and the rest go on.
    """
    if config.mirror_dir is None:
        raise FetchError("no mirror folder configured ([finlex] mirror in sources.toml)")
    entries = [e for e in config.entries if e.statute]
    result = FetchResult()
    unreachable: list[str] = []
    with api_client("application/xml", timeout, transport) as client:
        for entry in entries:
            url = statute_url(base_url, entry, consolidated=consolidated)
            try:
                response = get_with_retries(client, url, retries=retries, sleep=sleep)
            except httpx.TransportError as exc:
                unreachable.append(f"{url}: {type(exc).__name__}: {exc}")
                result.failed.append(f"{entry.id} ({entry.statute}, {entry.lang}): cannot reach {url}: {exc}")
                continue
            if response.status_code != 200:
                result.failed.append(
                    f"{entry.id} ({entry.statute}, {entry.lang}): HTTP {response.status_code} from {url}"
                )
                continue
            target = config.mirror_dir / (entry.akn_name() or "")
            # Check before writing, so a bad response never replaces a good mirrored file.
            staging = target.with_name(f".{target.name}.part")
            write_atomic(staging, response.content)
            try:
                statute = read_akn(staging)
            except IngestError as exc:
                result.failed.append(
                    f"{entry.id} ({entry.statute}, {entry.lang}): bad response from {url}: {exc.reason}"
                )
                staging.unlink(missing_ok=True)
                continue
            if statute.number != entry.statute:
                result.failed.append(f"{entry.id}: {url} returned statute {statute.number}, not {entry.statute}")
                staging.unlink(missing_ok=True)
                continue
            os.replace(staging, target)
            result.written.append(target)
    if entries and len(unreachable) == len(entries):
        raise FetchError(f"cannot reach the Finlex API at {base_url} (offline?): {unreachable[0]}")
    return result
