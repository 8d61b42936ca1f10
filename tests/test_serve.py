"""`portwise serve` for real (uvicorn on a loopback port) and `portwise feedback export`."""

from __future__ import annotations

import os
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from eval.served import served
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


@pytest.mark.slow
def test_serve_answers_on_a_real_port(tmp_path: Path, tiny_model_dir: Path) -> None:
    with served(_env(tmp_path, tiny_model_dir), tmp_path / "serve.log", ready_s=90) as server:
        assert httpx.get(f"{server.url}/readyz").json() == {"status": "ready", "checks": {}}


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
