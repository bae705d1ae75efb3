"""Run one re-index of a temp corpus in a child process (crash tests kill it with SIGKILL)."""

from __future__ import annotations

import sys
from pathlib import Path

from lahde.service import reindex
from tests.fakes import HashingEmbedder
from tests.temp_corpus import settings_for


def main() -> None:
    """Re-index the corpus under argv[1] with the 1024-dim hashing embedder; print the generation."""
    tmp_path = Path(sys.argv[1])
    outcome = reindex(settings_for(tmp_path), HashingEmbedder(dim=1024, model_id="test/hashing-1024"))
    print(outcome.result.generation, outcome.result.switched, sorted(outcome.result.recovered))


if __name__ == "__main__":
    main()
