"""Nothing users write is lost: coaches keep publishing while `lahde backup` copies the database and the
server is killed with SIGKILL; every answer the server acknowledged is there, whole, after a restart."""

from __future__ import annotations

import os
import signal
import sqlite3
import threading
import time
from pathlib import Path

import httpx
import pytest

from tests.servers import lahde_cli, lahde_serve_process
from ukk import accounts
from ukk.store import UkkStore

pytestmark = pytest.mark.slow


def test_sigkill_mid_write_loses_no_acknowledged_answer(tmp_path: Path, built_index: Path, embedding_cache_path: Path):
    db = tmp_path / "ukk.sqlite"
    store = UkkStore(db)
    store.add_institution("esimerkkiopisto", "Esimerkkiopisto")
    accounts.add_user(store, "vilma", "V", "valmentaja", "esimerkkiopisto", "oikein-hyva-salasana")
    token = accounts.create_token(store, "vilma", "crash-test")
    store.close()
    env = {"LAHDE_INDEX_DIR": str(built_index), "LAHDE_CACHE_PATH": str(embedding_cache_path), "LAHDE_UKK_DB": str(db)}
    auth = {"Authorization": f"Bearer {token}"}
    acknowledged: list[int] = []
    lock = threading.Lock()
    stop = threading.Event()
    with lahde_serve_process(env) as (base, proc):
        hits = httpx.get(f"{base}/api/search", params={"q": "koulutussopimus", "k": 2}, timeout=60).json()["hits"]
        ids = [h["id"] for h in hits]

        def write(worker: int) -> None:
            with httpx.Client(base_url=base, headers=auth, timeout=10) as client:
                n = 0
                while not stop.is_set():
                    n += 1
                    body = {
                        "topic": "tyoelama",
                        "question": f"Kysymys {worker}-{n}: koulutussopimus?",
                        "answer": "Katso [1] ja [2].",
                        "citations": [{"chunk_id": ids[0]}, {"chunk_id": ids[1]}],
                    }
                    try:
                        r = client.post("/api/ukk", json=body)
                        if r.status_code == 201:
                            entry = r.json()
                            p = client.post(f"/api/ukk/{entry['id']}/publish", json={"version": entry["version"]})
                            with lock:
                                acknowledged.append(entry["id"])
                                if p.status_code == 200:
                                    published.add(entry["id"])
                    except httpx.HTTPError:
                        return  # the server is gone

        published: set[int] = set()
        workers = [threading.Thread(target=write, args=(w,)) for w in range(4)]
        for t in workers:
            t.start()
        time.sleep(1.5)
        copy = tmp_path / "backup.sqlite"
        backed = lahde_cli("backup", str(copy), env=env)  # a second process, while the writes go on
        assert backed.returncode == 0, backed.stderr
        time.sleep(1.0)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)
        stop.set()
        for t in workers:
            t.join(timeout=20)
    assert len(acknowledged) >= 10, "too few writes before the kill to mean anything"

    conn = sqlite3.connect(db)
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    stored = {row[0]: row[1] for row in conn.execute("SELECT id, status FROM entry")}
    assert set(acknowledged) <= set(stored)
    assert all(stored[i] == "julkaistu" for i in published)
    # Whole or not at all: every entry has both its citations and a revision per version.
    for entry_id, version in conn.execute("SELECT id, version FROM entry"):
        assert conn.execute("SELECT COUNT(*) FROM citation WHERE entry_id = ?", (entry_id,)).fetchone()[0] == 2
        assert conn.execute("SELECT COUNT(*) FROM revision WHERE entry_id = ?", (entry_id,)).fetchone()[0] == version
    conn.close()
    backup = sqlite3.connect(copy)
    assert backup.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert 0 < backup.execute("SELECT COUNT(*) FROM entry").fetchone()[0] <= len(stored)
    backup.close()

    with lahde_serve_process(env) as (base, _proc):
        with httpx.Client(base_url=base, headers=auth, timeout=30) as client:
            for entry_id in acknowledged[:: max(1, len(acknowledged) // 10)]:
                assert client.get(f"/api/ukk/{entry_id}").status_code == 200
