"""Re-indexing through the real path: the real model, the `lahde` CLI as a process, SIGKILL of a real run."""

from __future__ import annotations

import json
import signal
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest

from index.generations import KILL_AT_ENV
from lahde.service import build, reindex
from retrieval.search import Searcher
from retrieval.types import Filters
from tests.servers import lahde_cli
from tests.temp_corpus import ADDED, apply_three_changes, make_corpus, seed_index_cache, settings_for

pytestmark = pytest.mark.slow


class CountingEmbedder:
    """The real model, counting the passages it is asked to embed."""

    def __init__(self, inner) -> None:  # type: ignore[no-untyped-def]
        self.inner, self.model_id, self.backend, self.dim = inner, inner.model_id, inner.backend, inner.dim
        self.passages = 0

    def embed_passages(self, texts: Sequence[str]) -> np.ndarray:
        self.passages += len(texts)
        return self.inner.embed_passages(texts)

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        return self.inner.embed_queries(texts)


def test_real_model_reindex_embeds_only_the_changes_and_search_reflects_them(
    tmp_path: Path, real_embedder, embedding_cache_path: Path
):
    make_corpus(tmp_path)
    seed_index_cache(tmp_path, real_embedder, embedding_cache_path)
    settings = settings_for(tmp_path)
    embedder = CountingEmbedder(real_embedder)
    first = build(settings, embedder)
    assert (first.manifest.chunk_count, embedder.passages) == (33, 0)
    old = Searcher.open(settings.index_dir, real_embedder)

    apply_three_changes(tmp_path)
    outcome = reindex(settings, embedder)
    assert embedder.passages == 3  # 18 § of 1215/2020 and the two sections of 1374/2019
    report = outcome.result.report
    assert report.chunks == {"added": 2, "changed": 1, "unchanged": 30, "removed": 2}
    assert [c.id for c in report.documents_changed[0].changed] == ["fi.1215-2020.s18"]

    new = Searcher.open(settings.index_dir, real_embedder)
    question = "milloin opiskelija katsotaan eronneeksi"
    old_top, new_top = old.search(question, k=1).hits[0], new.search(question, k=1).hits[0]
    assert old_top.chunk.id == new_top.chunk.id == "fi.1215-2020.s18"
    assert "kvanttiteleportaation" in new_top.chunk.text and "kvanttiteleportaation" not in old_top.chunk.text
    assert [h.chunk.id for h in old.search("kumotaan", k=2, filters=Filters(statute="1237/2021")).hits] == [
        "fi.1237-2021.s1",
        "fi.1237-2021.s2",
    ]
    assert new.search("kumotaan", k=2, filters=Filters(statute="1237/2021")).hits == []
    added = new.search("koulutuksen järjestäjän tietojensaantioikeus ja julkisuus", k=1).hits
    assert [h.chunk.id for h in added] == ["fi.1374-2019.s108"]


def test_cli_build_reindex_changes_and_a_killed_reindex(tmp_path: Path, embedding_cache_path: Path):
    make_corpus(tmp_path)
    index = tmp_path / "idx"
    env = {"LAHDE_SOURCES": str(tmp_path / "corpus" / "sources.toml"), "LAHDE_CACHE_PATH": str(embedding_cache_path)}
    built = lahde_cli("build", "--index", str(index), env=env)
    assert built.returncode == 0, built.stderr
    assert (
        "Indexed 3 documents, 33 chunks" in built.stdout and "Generation gen-000001 (first generation)" in built.stdout
    )

    unchanged = lahde_cli("reindex", "--index", str(index), env=env)
    assert unchanged.returncode == 0, unchanged.stderr
    assert "No changes since gen-000001" in unchanged.stdout
    assert "No changes; generation gen-000001 stays current" in unchanged.stdout

    apply_three_changes(tmp_path)
    killed = lahde_cli("reindex", "--index", str(index), env={**env, KILL_AT_ENV: "staged"})
    assert killed.returncode == -signal.SIGKILL
    found = lahde_cli("search", "milloin opiskelija katsotaan eronneeksi", "-k", "1", "--index", str(index), env=env)
    assert found.returncode == 0 and found.stdout.splitlines()[0].endswith("fi.1215-2020.s18")
    still_there = lahde_cli("search", "kumotaan", "-k", "1", "--statute", "1237/2021", "--index", str(index), env=env)
    assert still_there.stdout.splitlines()[0].endswith("fi.1237-2021.s1")  # old generation still serves

    done = lahde_cli("reindex", "--index", str(index), env=env)
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert "Generation gen-000002 (previous: gen-000001)" in out
    assert "documents: 1 added, 1 changed, 1 removed, 1 unchanged" in out
    assert "chunks: 2 added, 1 changed, 2 removed, 30 unchanged" in out
    assert "  + fi.1374-2019  " in out and "  - fi.1237-2021  " in out and "      ~ fi.1215-2020.s18  " in out
    assert "Generation gen-000002 is now current" in out
    gone = lahde_cli("search", "kumotaan", "-k", "1", "--statute", "1237/2021", "--index", str(index), env=env)
    assert gone.stdout.startswith("No results.")

    shown = lahde_cli("changes", "--index", str(index), "--diff", env=env)
    assert shown.returncode == 0
    assert "+Opiskelija katsotaan eronneeksi kvanttiteleportaation jälkeen" in shown.stdout
    assert "-Opiskelija katsotaan eronneeksi, jos on ilmeistä" in shown.stdout
    since = json.loads(lahde_cli("changes", "--index", str(index), "--since", "0", "--json", env=env).stdout)
    assert [r["generation"] for r in since] == ["gen-000001", "gen-000002"]
    assert [d["id"] for d in since[1]["documents"]["added"]] == ["fi.1374-2019"]
    bad = lahde_cli("changes", "--index", str(index), "--since", "latest", env=env)
    assert bad.returncode == 1 and "'latest' is not a generation" in bad.stderr
    assert (tmp_path / "finlex" / "fi" / ADDED).exists()
