"""A re-index killed with SIGKILL at any point leaves the current generation serving; the next run recovers."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from index.generations import KILL_AT_ENV, IndexRoot
from lahde.service import build
from retrieval.search import Searcher
from tests.fakes import HashingEmbedder
from tests.paths import REPO
from tests.temp_corpus import apply_three_changes, make_corpus, settings_for

STAGES_BEFORE_SWITCH = ["locked", "embedding", "embedded", "writing", "staged", "renamed"]


def _child(tmp_path: Path, kill_at: str | None = None) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != KILL_AT_ENV}
    if kill_at:
        env[KILL_AT_ENV] = kill_at
    return subprocess.run(
        [sys.executable, "-m", "tests.index.reindex_child", str(tmp_path)],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def _is_old(searcher: Searcher) -> bool:
    s18 = searcher.index.get("fi.1215-2020.s18")
    assert s18 is not None
    return searcher.index.get("fi.1237-2021.s1") is not None and "kvanttiteleportaation" not in s18.text


@pytest.mark.parametrize("stage", [*STAGES_BEFORE_SWITCH, "switched"])
def test_sigkill_at_any_stage_keeps_a_whole_generation_serving_and_the_next_run_completes(tmp_path: Path, stage: str):
    make_corpus(tmp_path)
    settings = settings_for(tmp_path)
    embedder = HashingEmbedder(dim=1024, model_id="test/hashing-1024")
    build(settings, embedder)
    serving = Searcher.open(settings.index_dir, embedder)
    apply_three_changes(tmp_path)

    killed = _child(tmp_path, kill_at=stage)
    assert killed.returncode == -signal.SIGKILL, killed.stderr

    # The searcher loaded before the crash still answers, and so does a fresh load of CURRENT.
    assert _is_old(serving)
    assert [h.chunk.id for h in serving.search("tällä lailla kumotaan", k=1).hits] == ["fi.1237-2021.s1"]
    after_crash = Searcher.open(settings.index_dir, embedder)
    if stage == "switched":
        assert after_crash.index.path.name == "gen-000002" and not _is_old(after_crash)
    else:
        assert after_crash.index.path.name == "gen-000001" and _is_old(after_crash)

    rerun = _child(tmp_path)
    assert rerun.returncode == 0, rerun.stderr
    generation, switched, recovered = rerun.stdout.split(" ", 2)
    assert (generation, switched) == ("gen-000002", str(stage != "switched"))
    if stage in ("writing", "staged"):
        assert recovered.strip().startswith("['.building-gen-000002-")
    elif stage == "renamed":
        assert recovered.strip() == "['gen-000002']"
    else:
        assert recovered.strip() == "[]"
    final = Searcher.open(settings.index_dir, embedder)
    assert final.index.path.name == "gen-000002" and not _is_old(final)
    assert [h.chunk.id for h in final.search("kvanttiteleportaation", k=1).hits] == ["fi.1215-2020.s18"]
    leftovers = [p.name for p in settings.index_dir.iterdir() if p.name.startswith(".")]
    assert leftovers == []
    assert IndexRoot(settings.index_dir).generations() == ["gen-000001", "gen-000002"]


def test_cli_reindex_refuses_clearly_while_another_holds_the_lock(tmp_path: Path):
    from index.generations import ReindexLock

    make_corpus(tmp_path)
    index = tmp_path / "index"
    env = {**os.environ, "LAHDE_SOURCES": str(tmp_path / "corpus" / "sources.toml")}
    with ReindexLock(index):
        result = subprocess.run(
            [sys.executable, "-m", "lahde.cli", "reindex", "--index", str(index)],
            cwd=REPO,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
    assert result.returncode == 1
    assert f"another re-index of {index} is running (process {os.getpid()})" in result.stderr
    assert not (index / "CURRENT").exists()
