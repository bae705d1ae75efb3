"""`lahde sources fetch` for perusteet: download each ``[[peruste]]`` from OPH's ePerusteet API.

``GET {base}/api/external/peruste/{id}`` serves a whole peruste (base
``https://eperusteet.opintopolku.fi/eperusteet-service``). Each response is checked — it must read
as a peruste and carry the diaarinumero the manifest names — and written atomically into the
``[eperusteet] mirror`` folder. A peruste the API does not have by its id is looked up by its
diaarinumero in the list endpoint (``/api/external/perusteet?diaarinumero=…``), so the message can
say which id the service lists it under now.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable
from pathlib import Path
from urllib.parse import quote

import httpx

from .eperusteet import read_peruste
from .errors import IngestError
from .fetch import FetchError, FetchResult, api_client, get_with_retries, write_atomic
from .manifest import PerusteEntry, SourcesConfig

logger = logging.getLogger(__name__)

EPERUSTEET_API = "https://eperusteet.opintopolku.fi/eperusteet-service"


def peruste_url(base_url: str, entry: PerusteEntry) -> str:
    """``…/api/external/peruste/3397336``."""
    return f"{base_url.rstrip('/')}/api/external/peruste/{entry.id}"


def search_url(base_url: str, diaarinumero: str) -> str:
    """``…/api/external/perusteet?diaarinumero=OPH-2762-2017``."""
    return f"{base_url.rstrip('/')}/api/external/perusteet?diaarinumero={quote(diaarinumero, safe='')}"


def _listed_ids(client: httpx.Client, base_url: str, entry: PerusteEntry, retries: int, sleep) -> list[str]:
    """The ids the list endpoint gives for the entry's diaarinumero ([] when it lists none)."""
    response = get_with_retries(client, search_url(base_url, entry.diaarinumero), retries=retries, sleep=sleep)
    if response.status_code != 200:
        return []
    try:
        data = response.json()
    except ValueError:
        return []
    rows = data.get("data") if isinstance(data, dict) else None
    return [str(r.get("id")) for r in rows or [] if isinstance(r, dict) and r.get("diaarinumero") == entry.diaarinumero]


def fetch_perusteet(
    config: SourcesConfig,
    *,
    base_url: str = EPERUSTEET_API,
    timeout: float = 30.0,
    retries: int = 3,
    sleep: Callable[[float], None] = time.sleep,
    transport: httpx.BaseTransport | None = None,
) -> FetchResult:
    """Download every ``[[peruste]]`` into the ``[eperusteet] mirror`` folder.

    Raises :class:`FetchError` when the API cannot be reached at all; a peruste it does not have,
    or one that comes back malformed or with another diaarinumero, is listed in ``failed``.
    """
    result = FetchResult()
    if not config.perusteet:
        return result
    if config.eperusteet_mirror is None:
        raise FetchError("no folder to fetch perusteet into ([eperusteet] mirror in sources.toml)")
    unreachable: list[str] = []
    with api_client("application/json", timeout, transport) as client:
        for entry in config.perusteet:
            url = peruste_url(base_url, entry)
            try:
                response = get_with_retries(client, url, retries=retries, sleep=sleep)
                if response.status_code == 404:
                    ids = _listed_ids(client, base_url, entry, retries, sleep)
                    where = (
                        f"ePerusteet lists it as id {', '.join(ids)}: update sources.toml"
                        if ids
                        else ("the list endpoint has no peruste with that diaarinumero either")
                    )
                    result.failed.append(f"{entry.name}: not found at {url}; {where}")
                    continue
            except httpx.TransportError as exc:
                unreachable.append(f"{url}: {type(exc).__name__}: {exc}")
                result.failed.append(f"{entry.name}: cannot reach {url}: {exc}")
                continue
            if response.status_code != 200:
                result.failed.append(f"{entry.name}: HTTP {response.status_code} from {url}")
                continue
            target = config.eperusteet_mirror / entry.file
            staging = target.with_name(f".{target.name}.part")
            write_atomic(staging, response.content)
            try:
                peruste = read_peruste(staging)
            except IngestError as exc:
                result.failed.append(f"{entry.name}: bad response from {url}: {exc.reason}")
                staging.unlink(missing_ok=True)
                continue
            if peruste.diaarinumero != entry.diaarinumero:
                result.failed.append(f"{entry.name}: {url} returned {peruste.diaarinumero}, not {entry.diaarinumero}")
                staging.unlink(missing_ok=True)
                continue
            os.replace(staging, target)
            result.written.append(Path(target))
    if len(unreachable) == len(config.perusteet):
        raise FetchError(f"cannot reach the ePerusteet API at {base_url} (offline?): {unreachable[0]}")
    return result
