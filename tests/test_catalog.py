"""Catalog: valid YAML and CSV load; every bad row is reported with its file and field."""

from __future__ import annotations

from pathlib import Path

import pytest

from kb.catalog import load_catalog
from kb.errors import CatalogError


def test_yaml_catalog_loads_and_normalises(tmp_path: Path) -> None:
    (tmp_path / "catalog.yaml").write_text(
        "library: docs\ndocuments:\n"
        "  - file: a.pdf\n    title: A\n    kind: lecture\n    year: 2023\n    language: id\n"
        "    topics: [port-kpis, safety]\n    sample: true\n",
        encoding="utf-8",
    )
    catalog = load_catalog(tmp_path)
    entry = catalog.entry_for("a.pdf")
    assert catalog.library == (tmp_path / "docs").resolve()
    assert entry is not None and entry.language == "ms" and entry.topics == ("port-kpis", "safety")


def test_csv_catalog_splits_lists(tmp_path: Path) -> None:
    (tmp_path / "catalog.csv").write_text(
        "file,title,kind,year,topics,authors\nb.docx,B,report,2019,green-port; marpol,Ana;Ben\n",
        encoding="utf-8",
    )
    entry = load_catalog(tmp_path).entry_for("b.docx")
    assert entry is not None and entry.year == 2019 and entry.authors == ("Ana", "Ben")


def test_every_bad_row_is_named(tmp_path: Path) -> None:
    (tmp_path / "catalog.yaml").write_text(
        "documents:\n"
        "  - file: ok.pdf\n    kind: slides\n"
        "  - file: bad-kind.pdf\n    kind: poster\n"
        "  - file: bad-year.pdf\n    year: 1492\n"
        "  - file: bad-lang.pdf\n    language: klingon\n"
        "  - file: typo.pdf\n    titel: oops\n"
        "  - file: ok.pdf\n",
        encoding="utf-8",
    )
    with pytest.raises(CatalogError) as caught:
        load_catalog(tmp_path)
    message = caught.value.message
    for expected in (
        "row 2 (bad-kind.pdf): kind",
        "row 3 (bad-year.pdf): year",
        "row 4 (bad-lang.pdf): language",
        "unknown language 'klingon'",
        "row 5 (typo.pdf): titel",
        "row 6 (ok.pdf): duplicate entry",
    ):
        assert expected in message
    assert "row 1" not in message


def test_broken_yaml_says_so(tmp_path: Path) -> None:
    (tmp_path / "catalog.yaml").write_text("documents: [unclosed\n", encoding="utf-8")
    with pytest.raises(CatalogError, match="not valid YAML"):
        load_catalog(tmp_path)


def test_folder_without_catalog_is_fine(tmp_path: Path) -> None:
    assert load_catalog(tmp_path).entries == {}
