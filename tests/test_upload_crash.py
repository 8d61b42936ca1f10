"""Upload crash safety: `portwise serve` killed with SIGKILL while it ingests an upload.

The uploaded file and its catalog row are on disk before the job starts, so they survive; the store
holds no half document; the restarted server marks the job interrupted and finishes it with a
reindex, after which the document is found. The admin key never appears in the server's output.
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import textwrap
import time
import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from eval.served import scratch_env, served, start, stop, wait_for_job
from kb.settings import StoreSettings
from kb.store import Store
from tests.api_support import KEY
from tests.conftest import marked_processes
from tests.docs import PORT_WORDS, make_pdf
from tests.search_library import write_library

PAGES = 120
ADMIN = {"X-API-Key": KEY}
MARK = "Bollard pull certificates for harbour tugs are renewed every"


def _env(root: Path, model_dir: Path, marker: str) -> dict[str, str]:
    write_library(root / "lib")
    return scratch_env(
        root,
        KEY,
        PORTWISE_EMBEDDER__BACKEND="sentence-transformers",
        PORTWISE_EMBEDDER__MODEL_PATH=str(model_dir),
        PORTWISE_EMBEDDER__QUERY_PREFIX="",
        PORTWISE_EMBEDDER__PASSAGE_PREFIX="",
        PORTWISE_CHUNK__MAX_TOKENS="48",
        PORTWISE_CHUNK__OVERLAP_TOKENS="8",
        PORTWISE_TEST_RUN=marker,
    )


def _long_pdf(path: Path) -> bytes:
    """Pages of different words (lines repeated on every page are dropped as running headers)."""
    rng = random.Random(8)
    words = [
        *PORT_WORDS,
        "lashing",
        "stowage",
        "barge",
    ]
    pages = [" ".join(rng.choice(words) for _ in range(60)) + "." for _ in range(PAGES)]
    pages[0] = f"{MARK} five years.\n{pages[0]}"
    return make_pdf(path, ["\n".join(textwrap.wrap(page, 90)) for page in pages]).read_bytes()


def _kill_while_ingesting(client: httpx.Client, pid: int, job_id: str, doc_id: str) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        job = client.get(f"/api/v1/jobs/{job_id}", headers=ADMIN).json()
        assert job["status"] in ("queued", "running"), f"finished before the kill: {job}"
        if job["current"] == doc_id:
            time.sleep(0.5)  # into parsing and embedding
            os.kill(pid, signal.SIGKILL)
            return
        time.sleep(0.02)
    raise AssertionError("the upload never started ingesting")


def _consistent(store: Store) -> list[str]:
    """Every chunk belongs to an indexed document; every document has exactly its chunk count."""
    records = store.documents()
    problems = []
    for doc_id, rows in store.chunk_ids().items():
        record = records.get(doc_id)
        if record is None or any(doc_hash != record.content_hash for _, doc_hash in rows):
            problems.append(f"{doc_id}: chunks without a record or with a stale hash")
        elif len(rows) != record.chunk_count:
            problems.append(f"{doc_id}: {len(rows)} chunks for a record of {record.chunk_count}")
    missing = [d for d, r in records.items() if r.chunk_count and d not in store.chunk_ids()]
    return problems + [f"{doc_id}: no chunks" for doc_id in missing]


def _halves_after_the_kill(store: str, tiny: Any) -> list[str]:
    """Documents whose record is not matched by exactly its chunks (read in a fresh process, so
    that this process opens the store only once it is final)."""
    script = (
        "import json, sys; from kb.settings import StoreSettings; from kb.store import Store\n"
        "s = Store(StoreSettings(path=sys.argv[1]), sys.argv[2], int(sys.argv[3]))\n"
        "ids, records = s.chunk_ids(), s.documents()\n"
        "print(json.dumps([d for d, r in records.items() if len([c for c in ids.get(d, []) "
        "if c[1] == r.content_hash]) != r.chunk_count]))"
    )
    command = [sys.executable, "-c", script, store, tiny.name, str(tiny.dim)]
    done = subprocess.run(command, capture_output=True, text=True, timeout=120, check=True)
    halves: list[str] = json.loads(done.stdout.strip().splitlines()[-1])
    return halves


def _upload_and_kill(env: dict[str, str], log: Path, data: bytes) -> tuple[str, str, str]:
    """Ingest the library, upload `data`, SIGKILL the server mid-ingest: (doc, job, reindex) ids."""
    server = start(env, log)
    try:
        with httpx.Client(base_url=server.url, timeout=60) as client:
            reindex = client.post("/api/v1/reindex", headers=ADMIN).json()["job_id"]
            assert wait_for_job(client, reindex, KEY)["status"] == "done"
            files = [("files", ("Tug certificates.pdf", data, "application/pdf"))]
            accepted = client.post("/api/v1/documents", files=files, headers=ADMIN).json()
            (doc_id,) = accepted["doc_ids"]
            _kill_while_ingesting(client, server.pid, accepted["job_id"], doc_id)
    finally:
        stop(server)
    assert server.process.returncode == -signal.SIGKILL
    return doc_id, accepted["job_id"], reindex


@pytest.mark.slow
@pytest.mark.skipif(not Path("/proc").is_dir(), reason="reads /proc to find leftover processes")
def test_an_upload_survives_a_kill_and_is_finished_at_restart(
    tmp_path: Path, tiny_model_dir: Path, tiny: Any
) -> None:
    marker, lib = uuid.uuid4().hex, tmp_path / "lib"
    env, log = _env(tmp_path, tiny_model_dir, marker), tmp_path / "serve.log"
    data = _long_pdf(tmp_path / "tugs.pdf")
    doc_id, job_id, reindex = _upload_and_kill(env, log, data)
    assert (lib / doc_id).read_bytes() == data, "the upload is kept"
    rows = yaml.safe_load((lib / "catalog.uploads.yaml").read_text(encoding="utf-8"))
    assert [r["title"] for r in rows["documents"] if r["file"] == doc_id] == ["Tug certificates"]
    assert _halves_after_the_kill(env["PORTWISE_STORE__PATH"], tiny) == []
    assert marked_processes(marker) == [], "no parser process outlives the server"

    with served(env, log) as again, httpx.Client(base_url=again.url, timeout=60) as client:
        cut = client.get(f"/api/v1/jobs/{job_id}", headers=ADMIN).json()
        assert cut["status"] == "interrupted" and "reindex" in cut["error"]
        newest = client.get("/api/v1/jobs", headers=ADMIN).json()["jobs"][0]
        assert newest["kind"] == "reindex" and newest["id"] != reindex
        assert wait_for_job(client, newest["id"], KEY)["status"] == "done"
        hits = client.post("/api/v1/search", json={"query": MARK}).json()["hits"]
        assert hits and hits[0]["doc_id"] == doc_id
        assert client.get(f"/api/v1/documents/{doc_id}").json()["page_count"] == PAGES

    store = Store(StoreSettings(path=env["PORTWISE_STORE__PATH"]), tiny.name, tiny.dim)
    assert _consistent(store) == []
    library = {str(p.relative_to(lib)) for p in lib.glob("*/*.txt")}
    assert set(store.documents()) == {doc_id, *library}
    output = log.read_text(encoding="utf-8", errors="replace")
    assert "POST /api/v1/documents" in output, "the access log was captured"
    assert KEY not in output, "the admin key never reaches the server's output"
