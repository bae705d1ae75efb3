"""A small editable Finlex corpus in a temp folder, and settings that point at it."""

from __future__ import annotations

import shutil
from pathlib import Path

from embedding.cache import EmbeddingCache, embed_with_cache
from index.generations import IndexRoot
from ingest.models import text_hash
from lahde.service import ingest
from lahde.settings import Settings
from tests.paths import finlex_file

BASE = ["asd20201215.xml", "asd20210584.xml", "asd20211237.xml"]
ADDED = "asd20191374.xml"
DELETED = "asd20211237.xml"
OLD_18 = "Opiskelija katsotaan eronneeksi, jos on ilmeistä"
NEW_18 = "Opiskelija katsotaan eronneeksi kvanttiteleportaation jälkeen, jos on ilmeistä"


def make_corpus(tmp_path: Path, names: list[str] = BASE) -> Path:
    """Copy statutes (from ../shared, into a temp folder only) and write a sources manifest for them."""
    folder = tmp_path / "finlex" / "fi"
    folder.mkdir(parents=True)
    for name in names:
        shutil.copy(finlex_file(name), folder / name)
    sources = tmp_path / "corpus" / "sources.toml"
    sources.parent.mkdir()
    sources.write_text(f'[finlex]\ndir = "{folder.parent}"\ninclude = ["fi/*.xml"]\n', encoding="utf-8")
    return sources


def settings_for(tmp_path: Path, **extra: object) -> Settings:
    """Settings for the temp corpus, with the index (and its cache) under tmp_path/index."""
    return Settings(sources=tmp_path / "corpus" / "sources.toml", index_dir=tmp_path / "index", **extra)


def apply_three_changes(tmp_path: Path) -> None:
    """Add a statute, change one section of 1215/2020 (18 §), delete a statute."""
    folder = tmp_path / "finlex" / "fi"
    shutil.copy(finlex_file(ADDED), folder / ADDED)
    xml = folder / "asd20201215.xml"
    text = xml.read_text(encoding="utf-8")
    assert text.count(OLD_18) == 1
    xml.write_text(text.replace(OLD_18, NEW_18), encoding="utf-8")
    (folder / DELETED).unlink()


def seed_index_cache(tmp_path: Path, real_embedder, shared_cache: Path) -> None:  # type: ignore[no-untyped-def]
    """Give the temp index's own cache the vectors of the base corpus (embedded once, via the shared cache)."""
    texts = [c.embed_text for d in ingest(settings_for(tmp_path)).documents for c in d.chunks]
    shared = EmbeddingCache(shared_cache)
    try:
        vectors, _ = embed_with_cache(
            texts, real_embedder.model_id, real_embedder.dim, real_embedder.embed_passages, shared
        )
    finally:
        shared.close()
    own = EmbeddingCache(IndexRoot(tmp_path / "index").cache_path)
    own.put_many(real_embedder.model_id, [(text_hash(t), v) for t, v in zip(texts, vectors)])
    own.close()


# 531/2017 with four amending acts: 97 § reads three ways (2017, 1218/2020, 718/2022), 88 § is
# repealed by 164/2022, 48 § has a wording 1078/2024 enacted for 1.8.2026.
IN_FORCE_ACTS = ["asd20170531.xml", "asd20201218.xml", "asd20220718.xml", "asd20220164.xml", "asd20241078.xml"]


def in_force_settings(tmp: Path, cache: Path, **extra: object) -> Settings:
    """Settings for a temp corpus of IN_FORCE_ACTS (copied once into tmp), the bank off."""
    folder = tmp / "finlex" / "fi"
    if not folder.exists():
        folder.mkdir(parents=True)
        for name in IN_FORCE_ACTS:
            shutil.copy(finlex_file(name), folder / name)
        (tmp / "sources.toml").write_text(
            f'[finlex]\ndir = "{folder.parent}"\ninclude = ["fi/*.xml"]\n', encoding="utf-8"
        )
    return Settings(sources=tmp / "sources.toml", index_dir=tmp / "index", cache_path=cache, use_bank=False, **extra)
