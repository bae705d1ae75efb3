"""`lahde institutions`, `lahde users`, `lahde ukk import|export|review` and `lahde backup` as real processes."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from tests.paths import finlex_file
from tests.servers import lahde_cli

pytestmark = pytest.mark.slow

PASSWORD = "oikein-hyva-salasana"
MARKDOWN = """# Vanha UKK

## Opiskeluoikeus

### Milloin TUVA-opiskelija katsotaan eronneeksi?

Jos opiskelija ei osallistu, ks. 1215/2020 18 § ja vielä 9999/2099 1 §.

### Kysymys ilman lähdettä

Vastaus ilman viitettä.
"""


@pytest.fixture()
def env(tmp_path: Path, embedding_cache_path: Path) -> dict[str, str]:
    finlex = finlex_file("asd20201215.xml").parent.parent
    sources = tmp_path / "sources.toml"
    sources.write_text(f'[finlex]\ndir = "{finlex}"\ninclude = ["fi/asd20201215.xml"]\n', encoding="utf-8")
    return {
        "LAHDE_SOURCES": str(sources),
        "LAHDE_INDEX_DIR": str(tmp_path / "index"),
        "LAHDE_CACHE_PATH": str(embedding_cache_path),
        "LAHDE_USE_BANK": "false",
        "LAHDE_UKK_DB": str(tmp_path / "ukk.sqlite"),
    }


def test_users_tokens_import_export_backup(tmp_path: Path, env: dict[str, str]):
    assert lahde_cli("institutions", "add", "esimerkkiopisto", "Esimerkkiopisto", env=env).returncode == 0
    added = lahde_cli(
        "users",
        "add",
        "vilma",
        "--role",
        "valmentaja",
        "--institution",
        "esimerkkiopisto",
        "--name",
        "Vilma V",
        "--password-stdin",
        env=env,
        stdin=PASSWORD + "\n",
    )
    assert added.returncode == 0, added.stderr
    assert added.stdout.strip() == "user vilma (valmentaja, esimerkkiopisto)"
    short = lahde_cli(
        "users",
        "add",
        "lyhyt",
        "--role",
        "lukija",
        "--institution",
        "esimerkkiopisto",
        "--password-stdin",
        env=env,
        stdin="lyhyt\n",
    )
    assert short.returncode == 1 and "password (salasana) must be at least 10 characters" in short.stderr
    unknown = lahde_cli(
        "users",
        "add",
        "x",
        "--role",
        "lukija",
        "--institution",
        "eiole",
        "--password-stdin",
        env=env,
        stdin=PASSWORD,
    )
    assert unknown.returncode == 1 and "no institution 'eiole'" in unknown.stderr
    token = lahde_cli("users", "token", "vilma", "--label", "testi", env=env).stdout.strip()
    assert token.startswith("lahde_") and len(token) > 40
    listed = lahde_cli("users", "list", env=env).stdout.splitlines()
    assert listed == ["vilma\tvalmentaja\tesimerkkiopisto\tactive\tVilma V"]

    built = lahde_cli("build", env=env)
    assert built.returncode == 0, built.stderr
    md = tmp_path / "vanha-ukk.md"
    md.write_text(MARKDOWN, encoding="utf-8")
    imported = lahde_cli("ukk", "import", str(md), "--coach", "vilma", env=env)
    assert imported.returncode == 0, imported.stderr
    assert imported.stdout.strip() == "imported 2 drafts, 1 citations not linked"
    assert "NOT LINKED Milloin TUVA-opiskelija katsotaan eronneeksi?: 9999/2099 1 §" in imported.stderr
    exported = json.loads(lahde_cli("ukk", "export", "--as", "vilma", "--format", "json", env=env).stdout)
    by_question = {e["question"]: e for e in exported}
    first = by_question["Milloin TUVA-opiskelija katsotaan eronneeksi?"]
    assert (first["status"], first["topic"]) == ("luonnos", "opiskeluoikeus")
    assert "1215/2020 18 § [1]" in first["answer"]
    assert [c["label"] for c in first["citations"]] == [
        "Laki tutkintokoulutukseen valmentavasta koulutuksesta (1215/2020) 18 §"
    ]
    assert by_question["Kysymys ilman lähdettä"]["citations"] == []
    # Drafts are not in the Markdown an intranet page gets.
    assert lahde_cli("ukk", "export", "--as", "vilma", env=env).stdout == "# UKK — Esimerkkiopisto\n"
    assert "0 entries need checking" in lahde_cli("ukk", "review", env=env).stdout

    retention = lahde_cli("kysymykset", "retention", "--days", "30", env=env)
    assert retention.stdout.strip() == "anonymised 0 questions closed more than 30 days ago"
    assert lahde_cli("kysymykset", "audit", env=env).returncode == 0
    disabled = lahde_cli("users", "disable", "vilma", env=env)
    assert disabled.stdout.strip() == "user vilma disabled"
    copy = tmp_path / "backup" / "ukk.sqlite"
    done = lahde_cli("backup", str(copy), env=env)
    assert done.returncode == 0 and str(copy) in done.stdout
    rows = sqlite3.connect(copy).execute("SELECT username, disabled FROM user").fetchall()
    assert rows == [("vilma", 1)]
    assert sqlite3.connect(copy).execute("SELECT COUNT(*) FROM entry").fetchone()[0] == 2
