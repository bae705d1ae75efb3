"""Where the tests find the repository and the shared Finlex corpus."""

from __future__ import annotations

from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
FINLEX = REPO.parent / "shared" / "corpus" / "finlex"
FOUR_STATUTES = ["asd20170531.xml", "asd20170673.xml", "asd20201214.xml", "asd20201215.xml"]


def finlex_file(name: str, lang: str = "fi") -> Path:
    """Path of a statute in the shared corpus; skips the test when the corpus is absent."""
    path = FINLEX / lang / name
    if not path.exists():
        pytest.skip(f"shared Finlex corpus not found at {FINLEX}")
    return path
