"""The command line, run for real: ingest and search with --json, --store, exit codes, error messages."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from portwise.cli import app
from tests.docs import make_pdf

runner = CliRunner()


def _library(folder: Path) -> Path:
    folder.mkdir()
    make_pdf(
        folder / "kpi.pdf",
        [
            "Berth occupancy ratio above 70 percent causes ship queues.",
            "Container dwell time should stay under five days.",
        ],
    )
    (folder / "vi.md").write_text(
        "# Cảng xanh\n\nĐiện bờ giúp cảng giảm phát thải khi tàu neo đậu.\n", encoding="utf-8"
    )
    (folder / "broken.pdf").write_text("not really a pdf")
    return folder


def test_ingest_json_and_search_json(tmp_path: Path) -> None:
    folder = _library(tmp_path / "lib")
    store = str(tmp_path / "store")
    result = runner.invoke(app, ["ingest", str(folder), "--store", store, "--json"])
    assert result.exit_code == 1, "a failed file makes the exit status 1"
    payload = json.loads(result.stdout)
    by_path = {f["path"]: f for f in payload["files"]}
    assert by_path["kpi.pdf"]["status"] == "indexed" and by_path["kpi.pdf"]["pages"] == 2
    assert (
        by_path["broken.pdf"]["status"] == "failed"
        and "not a PDF" in by_path["broken.pdf"]["reason"]
    )
    assert set(by_path["kpi.pdf"]) >= {
        "path",
        "status",
        "reason",
        "pages",
        "chunks",
        "embedded",
        "seconds",
    }
    assert payload["totals"]["indexed"] == 2 and payload["totals"]["failed"] == 1

    result = runner.invoke(
        app, ["search", "thời gian lưu container", "--store", store, "--json", "-k", "3"]
    )
    assert result.exit_code == 0, result.output
    hits = json.loads(result.stdout)["hits"]
    assert hits and {"doc_id", "page", "score", "text"} <= set(hits[0])
    assert hits[0]["doc_id"] == "kpi.pdf" and hits[0]["page"] == 2


def test_human_report_and_errors(tmp_path: Path) -> None:
    folder = _library(tmp_path / "lib")
    store = str(tmp_path / "store")
    result = runner.invoke(app, ["ingest", str(folder), "--store", store])
    assert "Ingest report" in result.stdout and "not a PDF" in result.stdout
    empty = runner.invoke(app, ["search", "   ", "--store", store])
    assert empty.exit_code == 2 and "query is empty" in empty.stderr
    (folder / "catalog.yaml").write_text("documents:\n  - file: kpi.pdf\n    kind: poster\n")
    bad = runner.invoke(app, ["ingest", str(folder), "--store", store])
    assert bad.exit_code == 2 and "row 1 (kpi.pdf): kind" in bad.stderr
