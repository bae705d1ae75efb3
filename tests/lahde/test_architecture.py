"""The stage layering holds: import-linter's contracts (pyproject.toml) pass on the packages as they are."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

from tests.paths import REPO


def _lint_imports(root: Path) -> subprocess.CompletedProcess[str]:
    exe = Path(sys.executable).with_name("lint-imports")
    return subprocess.run([str(exe), "--no-cache"], cwd=root, capture_output=True, text=True, timeout=120)


def test_layers_and_no_cycles():
    result = _lint_imports(REPO)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Contracts: 2 kept, 0 broken." in result.stdout


def test_an_upward_import_breaks_the_contract(tmp_path: Path):
    # The same contracts on a copy of the packages where retrieval imports search_api: must fail.
    for name in ("ingest", "embedding", "index", "retrieval", "ukk", "search_api", "lahde"):
        shutil.copytree(REPO / name, tmp_path / name, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(REPO / "pyproject.toml", tmp_path / "pyproject.toml")
    fusion = tmp_path / "retrieval" / "fusion.py"
    fusion.write_text(fusion.read_text(encoding="utf-8") + "\nimport search_api.errors  # noqa\n", encoding="utf-8")
    result = subprocess.run(
        [str(Path(sys.executable).with_name("lint-imports")), "--no-cache"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        env={"PYTHONPATH": str(tmp_path), "PATH": "/usr/bin:/bin"},
    )
    assert result.returncode == 1
    assert "retrieval.fusion -> search_api.errors" in result.stdout
