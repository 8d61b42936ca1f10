"""`portwise serve` for real (uvicorn on a loopback port) and `portwise feedback export`."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from typer.testing import CliRunner

from kb.types import Answer, Citation
from portwise.cli import app
from server.feedback import Records
from tests.api_support import api_settings


def _env(tmp_path: Path, model_dir: Path) -> dict[str, str]:
    settings = api_settings(tmp_path, model_dir)
    return {
        **os.environ,
        "PORTWISE_STORE__PATH": settings.store.path,
        "PORTWISE_LIBRARY__ROOT": str(settings.library.root),
        "PORTWISE_EMBEDDER__BACKEND": "sentence-transformers",
        "PORTWISE_EMBEDDER__MODEL_PATH": str(model_dir),
        "PORTWISE_ANSWER__BACKEND": "extractive",
        "PORTWISE_SERVER__DATA_DIR": settings.server.data_dir,
    }


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.mark.slow
def test_serve_answers_on_a_real_port(tmp_path: Path, tiny_model_dir: Path) -> None:
    port = _free_port()
    command = [sys.executable, "-m", "portwise", "serve", "--no-ui", "--port", str(port)]
    server = subprocess.Popen(
        command, env=_env(tmp_path, tiny_model_dir), stderr=subprocess.PIPE, text=True
    )
    try:
        deadline, ready = time.monotonic() + 90, None
        while time.monotonic() < deadline and server.poll() is None:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/readyz", timeout=2) as reply:
                    ready = json.loads(reply.read())
                break
            except OSError:
                time.sleep(0.3)
        assert ready == {"status": "ready", "checks": {}}, server.stderr and server.stderr.read()
    finally:
        server.terminate()
        server.wait(timeout=30)


def test_feedback_export_writes_both_csv_files(
    tmp_path: Path, tiny_model_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    env = _env(tmp_path, tiny_model_dir)
    monkeypatch.setenv("PORTWISE_SERVER__DATA_DIR", env["PORTWISE_SERVER__DATA_DIR"])
    records = Records(Path(env["PORTWISE_SERVER__DATA_DIR"]))
    answer = Answer("Three days [1].", (Citation(1, "a.pdf", 2, "Three days."),), "en")
    records.add_feedback("How long?", answer, 1)
    records.add_gap("Why?\nReally?", "en", ["b.pdf"])
    result = CliRunner().invoke(app, ["feedback", "export", "--out", str(tmp_path / "out")])
    assert result.exit_code == 0, result.output
    assert "feedback.csv: 1 row(s)" in result.stdout and "gaps.csv: 1 row(s)" in result.stdout
    feedback = (tmp_path / "out" / "feedback.csv").read_text(encoding="utf-8")
    assert "How long?" in feedback and "a.pdf#page=2" in feedback
