"""The command line, run for real: ingest, search and ask with --json, --store, filters, exit codes, errors."""

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


def test_ask_and_search_take_the_catalog_filters(tmp_path: Path) -> None:
    folder = _library(tmp_path / "lib")
    store = str(tmp_path / "store")
    runner.invoke(app, ["ingest", str(folder), "--store", store])
    question = ["ask", "How long should container dwell time stay?", "--store", store]
    base = [*question, "--backend", "extractive", "--json"]

    plain = json.loads(runner.invoke(app, base).stdout)
    assert not plain["refused"] and "five days" in plain["answer"]
    assert {c["doc_id"] for c in plain["citations"]} == {"kpi.pdf"}

    only_vi = runner.invoke(app, [*base, "--language", "vi"])
    assert only_vi.exit_code == 0, only_vi.output
    payload = json.loads(only_vi.stdout)
    assert payload["sources"] and {s["doc_id"] for s in payload["sources"]} == {"vi.md"}
    assert "five days" not in payload["answer"]

    typo = runner.invoke(app, [*base, "--language", "vn"])
    assert typo.exit_code == 2 and "language: unknown 'vn'; use en, vi" in typo.stderr
    typo = runner.invoke(app, ["search", "dwell", "--store", store, "--kind", "slides"])
    assert typo.exit_code == 2 and "kind: unknown 'slides'" in typo.stderr
    years = runner.invoke(
        app, ["search", "dwell", "--store", store, "--year-from", "2024", "--year-to", "2020"]
    )
    assert years.exit_code == 2 and "year_from 2024 is after year_to 2020" in years.stderr


def test_search_shows_language_heading_and_text_as_written(tmp_path: Path) -> None:
    folder = tmp_path / "lib"
    folder.mkdir()
    (folder / "guide.md").write_text(
        "# Green port guide\n\n## Shore power at berth 4\n\n"
        "Shore power [bold] lets ships switch off their engines while at berth.\n",
        encoding="utf-8",
    )
    store = str(tmp_path / "store")
    assert runner.invoke(app, ["ingest", str(folder), "--store", store]).exit_code == 0
    result = runner.invoke(app, ["search", "shore power", "--store", store])
    assert result.exit_code == 0, result.output
    lines = [" ".join(line.split()) for line in result.stdout.splitlines()]
    assert any(line.startswith("1. guide.md p.1 [en] score") for line in lines), lines
    heading = lines.index("Shore power at berth 4")  # the section heading, above the passage
    assert lines[heading + 1].startswith("Shore power [bold] lets ships switch off")
