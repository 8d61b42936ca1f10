"""`portwise bench load`: a scratch copy of a library behind a real server, under concurrent clients.

The library folder is copied (uploads never touch the original), ingested by the server itself
(`POST /api/v1/reindex`), then searched and asked by the clients of `eval.load` while an admin
uploads generated Markdown documents. The rate limit stays on, set far above what the run can
reach: the clients all come from 127.0.0.1, so the default per-address limit would throttle them,
and this benchmark measures the service (the limiter's cost included), not the limiter.
"""

from __future__ import annotations

import shutil
import tempfile
import uuid
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import httpx

from eval.load import LoadConfig, run_load
from eval.load_report import summarize, write_report
from eval.served import Served, scratch_env, served, wait_for_job
from kb.catalog import load_catalog

UNREACHED_RATE = "1000000/minute"
TOPICS = ("reefer plugs", "quay crane moves", "gate appointments", "berth windows", "shore power")


def copy_library(root: Path, target: Path) -> Path:
    """Copy the catalog files and the documents folder they name (never earlier uploads)."""
    library = load_catalog(root).library
    skip = shutil.ignore_patterns("uploads", "catalog.uploads.yaml", "*.py", "__pycache__")
    shutil.copytree(library, target / library.relative_to(root.resolve()), ignore=skip)
    for name in ("catalog.yaml", "catalog.csv"):
        if (root / name).is_file():
            shutil.copy2(root / name, target / name)
    return target


def upload_documents(count: int) -> list[tuple[str, bytes]]:
    """Small Markdown documents, each with a sentence no other document has."""
    documents = []
    for n in range(count):
        topic = TOPICS[n % len(TOPICS)]
        text = (
            f"# Load test note {n}: {topic}\n\n"
            f"Terminal {n} reviews {topic} every {n + 2} weeks with the shift planners.\n\n"
            f"The load test marker for this note is loadmark{n}x.\n"
        )
        documents.append((f"load-note-{n}.md", text.encode()))
    return documents


def run_load_bench(
    library: Path,
    questions: Sequence[str],
    config: LoadConfig,
    results: Path,
    env: dict[str, str] | None = None,
) -> tuple[dict[str, Any], list[Path]]:
    """Serve a scratch copy of `library`, run the load, write load.json and load.png."""
    key = uuid.uuid4().hex
    with tempfile.TemporaryDirectory(prefix="portwise-load-") as folder:
        scratch = Path(folder)
        copy_library(library, scratch / "lib")
        extra = {"PORTWISE_SERVER__RATE_LIMIT": UNREACHED_RATE, **(env or {})}
        server_env = scratch_env(scratch, key, **extra)
        with served(server_env, scratch / "serve.log") as server:
            about = _ingest(server, key)
            documents = upload_documents(config.uploads)
            recorder = run_load(server, key, questions, documents, config)
            about["uploads_found"] = _found(server, recorder.uploads)
        about["key_in_server_log"] = key in (scratch / "serve.log").read_text(errors="replace")
    report = summarize(recorder, config, about)
    return report, list(write_report(report, recorder, results))


def _ingest(server: Served, key: str) -> dict[str, Any]:
    with httpx.Client(base_url=server.url, timeout=60) as client:
        job_id = client.post("/api/v1/reindex", headers={"X-API-Key": key}).json()["job_id"]
        job = wait_for_job(client, job_id, key, timeout=3600)
        totals = job["report"]["totals"] if job["report"] else {}
        return {
            "server_pid": server.pid,
            "library": {k: totals.get(k) for k in ("files", "indexed", "failed", "chunks")},
            "ingest_seconds": totals.get("seconds"),
        }


def _found(server: Served, uploads: Sequence[dict[str, Any]]) -> int:
    """How many uploaded notes a search for their own marker finds in its top three hits."""
    found = 0
    with httpx.Client(base_url=server.url, timeout=60) as client:
        for upload in uploads:
            n = upload["name"].removeprefix("load-note-").removesuffix(".md")
            hits = client.post("/api/v1/search", json={"query": f"loadmark{n}x"}).json()["hits"]
            found += upload.get("doc_id") in {h["doc_id"] for h in hits[:3]}
    return found
