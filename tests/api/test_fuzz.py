"""API fuzzing with schemathesis against the app's own OpenAPI schema, through a real uvicorn server.

Every generated request must get a documented status, a response that matches the schema,
and never a 5xx. The fast run uses the hashing fake; the slow run the real model and index.
"""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode
from schemathesis.specs.openapi.checks import ignored_auth, positive_data_acceptance

from lahde.settings import Settings
from retrieval.search import Searcher
from search_api.app import create_app
from tests.fakes import HashingEmbedder
from tests.indexes import build_index
from tests.samples import ANSWER_CHUNKS as CHUNKS
from tests.servers import uvicorn_thread
from ukk import accounts
from ukk.store import UkkStore

#: Examples per operation: enough to hit every parameter's edge cases, small enough for 2 cores.
FAST_EXAMPLES = 30
REAL_EXAMPLES = 8


@pytest.fixture(scope="module")
def fake_server(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("fuzz")
    embedder = HashingEmbedder(dim=256, model_id="test/hashing-256")
    build_index(CHUNKS, embedder, tmp / "idx")
    app_settings = Settings(index_dir=tmp / "idx", cache_path=tmp / "cache.sqlite", ask_min_score=0.3)
    # A coach's API token, so the UKK's writing endpoints are fuzzed past their 401.
    store = UkkStore(app_settings.ukk_path())
    store.add_institution("esimerkkiopisto", "Esimerkkiopisto")
    accounts.add_user(store, "valmentaja", "V", "valmentaja", "esimerkkiopisto", "oikein-hyva-salasana")
    token = accounts.create_token(store, "valmentaja", "fuzz")
    store.close()
    with uvicorn_thread(create_app(app_settings, searcher=Searcher.open(tmp / "idx", embedder))) as base:
        yield base, token


def fuzz(base_url: str, examples: int, timeout: float = 10, token: str | None = None) -> list[str]:
    """Run every operation of the server's schema with positive and negative examples; return the operations run."""
    schema = schemathesis.openapi.from_url(f"{base_url}/openapi.json")
    # A body over max_body_bytes is refused with 413 before it is read: a rejection like 422.
    rejection = schema.config.checks.negative_data_rejection
    schema.config.checks.negative_data_rejection = type(rejection)(
        expected_statuses=[*rejection.expected_statuses, "413"]
    )
    ran: list[str] = []
    for result in schema.get_all_operations():
        operation = result.ok()
        raw = operation.definition.raw
        # An operation without inputs has no invalid request to generate; nor has one whose only input
        # is a free-form header (any string is a valid Authorization value).
        params = [p for p in raw.get("parameters", []) if p.get("in") != "header"]
        has_input = bool(params or raw.get("requestBody"))
        # A UKK write names passages and entries by id: a schema-valid id the index or the store lacks
        # is rightly 422 or 404, so "valid data must be accepted" does not hold there.
        excluded = [ignored_auth] + (
            [positive_data_acceptance] if operation.path.startswith(("/api/ukk", "/api/kysymykset")) else []
        )
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE) if has_input else (GenerationMode.POSITIVE,):

            @given(case=operation.as_strategy(generation_mode=mode))
            @settings(max_examples=examples, deadline=None, suppress_health_check=list(HealthCheck), database=None)
            def run(case) -> None:
                # A generated Authorization header (the admin endpoints') is kept; elsewhere the token goes.
                # With a valid token injected, schemathesis's own "is bad auth refused?" probe no longer
                # probes bad auth; the run without a token (and tests/api/test_ukk_api.py) check that.
                if token and not (case.headers or {}).get("Authorization"):
                    case.headers = {**(case.headers or {}), "Authorization": f"Bearer {token}"}
                    case.call_and_validate(timeout=timeout, excluded_checks=excluded)  # noqa: B023 - run() runs at once
                else:
                    case.call_and_validate(timeout=timeout)

            run()
        ran.append(f"{operation.method.upper()} {operation.path}")
    return ran


ENDPOINTS = [
    "GET /api/search",
    "POST /api/ask",
    "GET /api/sections/{chunk_id}",
    "GET /api/documents",
    "GET /api/documents/{doc_id}",
    "GET /readyz",
    "GET /healthz",
    "GET /metrics",
    "POST /api/admin/reindex",
    "GET /api/admin/reindex",
    "POST /api/admin/reload",
    "POST /api/session",
    "GET /api/session",
    "DELETE /api/session",
    "GET /api/ukk",
    "POST /api/ukk",
    "GET /api/ukk/search",
    "GET /api/ukk/{entry_id}",
    "PUT /api/ukk/{entry_id}",
    "GET /api/ukk/{entry_id}/revisions",
    "POST /api/ukk/{entry_id}/publish",
    "POST /api/ukk/{entry_id}/verify",
    "POST /api/ukk/{entry_id}/archive",
    "POST /api/kysymykset/tarkista",
    "POST /api/kysymykset",
    "GET /api/kysymykset",
    "GET /api/kysymykset/tilastot",
    "GET /api/kysymykset/{qid}",
    "POST /api/kysymykset/{qid}/claim",
    "POST /api/kysymykset/{qid}/hand-over",
    "POST /api/kysymykset/{qid}/answer",
    "POST /api/kysymykset/{qid}/reopen",
    "POST /api/kysymykset/{qid}/withdraw",
    "POST /api/kysymykset/{qid}/close",
]


def test_fuzz_fake_index(fake_server: tuple[str, str]):
    base, token = fake_server
    assert sorted(fuzz(base, FAST_EXAMPLES, token=token)) == sorted(ENDPOINTS)


@pytest.mark.slow
def test_fuzz_real_index(live_server: str):
    # A question whose passages were never drafted from embeds their sentences first (seconds on 2 cores).
    assert sorted(fuzz(live_server, REAL_EXAMPLES, timeout=180)) == sorted(ENDPOINTS)
