"""The `lahde` command line, run as a real process with the real model."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.paths import finlex_file
from tests.servers import lahde_cli

pytestmark = pytest.mark.slow


@pytest.fixture()
def corpus_env(tmp_path: Path, embedding_cache_path: Path) -> dict[str, str]:
    finlex = finlex_file("asd20201215.xml").parent.parent
    sources = tmp_path / "sources.toml"
    sources.write_text(f'[finlex]\ndir = "{finlex}"\ninclude = ["fi/asd20201215.xml"]\n', encoding="utf-8")
    return {
        "LAHDE_SOURCES": str(sources),
        "LAHDE_INDEX_DIR": str(tmp_path / "index"),
        "LAHDE_CACHE_PATH": str(embedding_cache_path),
        # The exact hit orders below are the text's own; the bank's effect has its own tests.
        "LAHDE_USE_BANK": "false",
    }


def test_build_then_search(corpus_env: dict[str, str]):
    built = lahde_cli("build", env=corpus_env)
    assert built.returncode == 0, built.stderr
    assert "Indexed 1 documents, 29 chunks" in built.stdout
    assert "ok 1, skipped 0, failed 0" in built.stdout
    assert "Read 29 sections into 29 chunks" in built.stdout
    assert "Reading sources" in built.stderr  # the ingest progress bar
    found = lahde_cli("search", "milloin opiskelija katsotaan eronneeksi", "-k", "3", env=corpus_env)
    assert found.returncode == 0, found.stderr
    first = found.stdout.splitlines()[0]
    assert first.startswith("1. Laki tutkintokoulutukseen valmentavasta koulutuksesta (1215/2020) 18 §")
    assert first.endswith("fi.1215-2020.s18")


def test_build_reports_a_broken_file_and_indexes_the_rest(corpus_env: dict[str, str], tmp_path: Path):
    finlex = finlex_file("asd20201215.xml").parent.parent
    sources = Path(corpus_env["LAHDE_SOURCES"])
    # A folder holding one real statute (a copy: a link out of the folder would be refused) and one broken file.
    mixed = tmp_path / "mixed" / "fi"
    mixed.mkdir(parents=True)
    shutil.copy(finlex / "fi" / "asd20201215.xml", mixed / "asd20201215.xml")
    (mixed / "asd20990001.xml").write_text("<broken", encoding="utf-8")
    sources.write_text(f'[finlex]\ndir = "{mixed.parent}"\ninclude = ["fi/*.xml"]\n', encoding="utf-8")
    built = lahde_cli("build", env=corpus_env)
    assert built.returncode == 1
    assert "FAILED" in built.stderr and "asd20990001.xml: malformed XML" in built.stderr
    assert "ok 1, skipped 0, failed 1" in built.stdout
    found = lahde_cli("search", "oppivelvollisuus", "-k", "1", env=corpus_env)
    assert found.returncode == 0 and "(1215/2020)" in found.stdout


def test_search_without_an_index_says_how_to_build_one(tmp_path: Path):
    result = lahde_cli("search", "hoks", env={"LAHDE_INDEX_DIR": str(tmp_path / "none")})
    assert result.returncode == 1
    assert "no index at" in result.stderr and "lahde build" in result.stderr


def test_search_folds_an_amending_acts_wording_unless_asked(corpus_env: dict[str, str]):
    sources = Path(corpus_env["LAHDE_SOURCES"])
    sources.write_text(
        sources.read_text(encoding="utf-8").replace(
            '["fi/asd20201215.xml"]', '["fi/asd20201215.xml", "fi/asd20220719.xml"]'
        ),
        encoding="utf-8",
    )
    assert lahde_cli("build", env=corpus_env).returncode == 0
    folded = lahde_cli(
        "search", "milloin opiskelija katsotaan eronneeksi", "-k", "3", env=corpus_env
    ).stdout.splitlines()
    every = lahde_cli("search", "milloin opiskelija katsotaan eronneeksi", "-k", "3", "--all-versions", env=corpus_env)
    hits = lambda lines: [line.rsplit("  ", 1)[-1] for line in lines if line[:1].isdigit()]  # noqa: E731
    assert hits(folded) == ["fi.1215-2020.s18", "fi.1215-2020.s25", "fi.1215-2020.s8"]
    assert folded[2] == "   myös: 719/2022 (voimaan 1.8.2022)"
    assert hits(every.stdout.splitlines()) == ["fi.1215-2020.s18", "fi.719-2022.s18", "fi.1215-2020.s25"]
    assert "myös:" not in every.stdout


def test_control_characters_in_a_file_name_are_never_printed_raw(corpus_env: dict[str, str], tmp_path: Path):
    finlex = finlex_file("asd20201215.xml").parent.parent
    folder = tmp_path / "esc" / "fi"
    folder.mkdir(parents=True)
    shutil.copy(finlex / "fi" / "asd20201215.xml", folder / "asd20201215.xml")
    (folder / "asd20990001\x1b[2J\x1b]0;pwned\x07.xml").write_text("<broken", encoding="utf-8")
    Path(corpus_env["LAHDE_SOURCES"]).write_text(
        f'[finlex]\ndir = "{folder.parent}"\ninclude = ["fi/*.xml"]\n', encoding="utf-8"
    )
    built = lahde_cli("build", env=corpus_env)
    assert built.returncode == 1
    assert "\x1b" not in built.stderr + built.stdout and "\x07" not in built.stderr
    assert "asd20990001\\x1b[2J\\x1b]0;pwned\\x07.xml: malformed XML" in built.stderr


def test_a_bad_question_bank_stops_the_build_and_the_index_stays(corpus_env: dict[str, str], tmp_path: Path):
    assert lahde_cli("build", env=corpus_env).returncode == 0
    bank = tmp_path / "bank"
    bank.mkdir()
    (bank / "1215-2020.toml").write_text(
        'statute = "1215/2020"\n\n[[q]]\nsection = "18"\nlang = "fi"\nq = "milloin tuvasta erotetaan"\n'
        'answer = "tätä lausetta ei laissa ole"\n',
        encoding="utf-8",
    )
    env = {**corpus_env, "LAHDE_USE_BANK": "true", "LAHDE_QUESTION_BANK": str(bank)}
    built = lahde_cli("build", env=env)
    assert built.returncode == 1
    assert "question bank: 1 problem(s), nothing indexed" in built.stderr
    assert f"{bank / '1215-2020.toml'}:1 (1215/2020 18 §, fi): answer phrase not in the section's text" in built.stderr
    found = lahde_cli("search", "oppivelvollisuus", "-k", "1", env=env)
    assert found.returncode == 0 and "(1215/2020)" in found.stdout


def test_build_with_the_bank_reports_its_questions(corpus_env: dict[str, str], tmp_path: Path):
    env = {**corpus_env, "LAHDE_USE_BANK": "true"}
    built = lahde_cli("build", env=env)
    assert built.returncode == 0, built.stderr
    # 1215/2020 in Finnish only: its Swedish entries, those quoting amending acts and the other statutes' are left out.
    assert "Question bank: 109 questions (" in built.stdout
    assert "left out: their act or language is not in this corpus)" in built.stdout
    again = lahde_cli("reindex", env=env)
    assert "No changes" in again.stdout
