"""The one problem+json shape every API error has, asserted the same way by every test."""

from __future__ import annotations

import httpx

PROBLEM_KEYS = {"type", "title", "status", "detail", "errors"}


def assert_problem(response: httpx.Response, status: int) -> dict:
    """Every error, from every endpoint, has the one problem shape."""
    assert response.status_code == status
    assert response.headers["content-type"].startswith("application/problem+json")
    body = response.json()
    assert set(body) == PROBLEM_KEYS
    assert body["status"] == status
    assert isinstance(body["detail"], str) and body["detail"]
    return body
