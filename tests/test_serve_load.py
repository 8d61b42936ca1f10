"""`portwise serve` under concurrent search and ask clients while an admin uploads: no errors.

A short run (3 clients, a few seconds, one upload) keeps the load harness working in the default
run; the benchmark (20 clients, `PORTWISE_LOAD_SECONDS`, 30 s unless set) prints its figures. The
numbers worth quoting come from `portwise bench load` (2 minutes, the real embedder).
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

from eval.bench_load import run_load_bench
from eval.load import LoadConfig
from eval.load_report import report_lines
from tests.search_library import DOCS, write_library

QUESTIONS = [
    "What is the berth occupancy ratio?",
    "How often do reefer monitors check the temperature?",
    "ท่าเรือแหลมฉบัง",
    "岸电系统",
    "Wartezeiten auf der Reede",
    "dry port railway",
]


def _run(tmp_path: Path, model_dir: Path, config: LoadConfig) -> dict[str, Any]:
    env = {
        "PORTWISE_EMBEDDER__BACKEND": "sentence-transformers",
        "PORTWISE_EMBEDDER__MODEL_PATH": str(model_dir),
        "PORTWISE_EMBEDDER__QUERY_PREFIX": "",
        "PORTWISE_EMBEDDER__PASSAGE_PREFIX": "",
        "PORTWISE_CHUNK__MAX_TOKENS": "48",
        "PORTWISE_ANSWER__REFUSAL_THRESHOLD": "-1",
    }
    library = write_library(tmp_path / "library")
    report, written = run_load_bench(library, QUESTIONS, config, tmp_path / "results", env)
    print("\n".join(report_lines(report)))  # noqa: T201 - a benchmark prints its numbers
    assert [path.name for path in written] == ["load.json", "load.png"]
    assert json.loads(written[0].read_text(encoding="utf-8"))["errors"] == report["errors"]
    assert report["errors"] == 0, report["error_samples"] or report["uploads"]
    assert report["library"]["indexed"] == len(DOCS)
    assert [u["job"] for u in report["uploads"]] == ["done"] * config.uploads
    assert report["uploads_found"] == config.uploads, "each upload is found once its job is done"
    assert not report["key_in_server_log"]
    assert set(report["routes"]) == {"search", "ask"} and report["rss_mb"]["samples"]
    return report


@pytest.mark.slow
def test_a_short_load_with_an_upload_has_no_errors(tmp_path: Path, tiny_model_dir: Path) -> None:
    _run(tmp_path, tiny_model_dir, LoadConfig(duration_s=6, clients=3, uploads=1))


@pytest.mark.bench
def test_twenty_clients_and_uploads_have_no_errors(tmp_path: Path, tiny_model_dir: Path) -> None:
    seconds = float(os.environ.get("PORTWISE_LOAD_SECONDS", "30"))
    _run(tmp_path, tiny_model_dir, LoadConfig(duration_s=seconds, clients=20, uploads=3))
