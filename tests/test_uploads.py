"""Upload checks, the uploads catalog merged into the catalog, and page images (PDF and text cards)."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
import yaml
from PIL import Image

from kb.catalog import load_catalog
from kb.errors import CatalogError, NotFoundError, UploadError
from kb.types import DocumentRecord
from server.pages import PageRenderer, join_overlapping
from server.uploads import Uploads, UploadTooLargeError, check_file
from tests.docs import make_docx, make_pdf, make_pptx


def test_each_accepted_format_passes_its_content_check(tmp_path: Path) -> None:
    pdf = make_pdf(tmp_path / "a.pdf", ["one", "two"]).read_bytes()
    deck = make_pptx(tmp_path / "a.pptx", [("Title", "Body", ""), ("Two", "More", "")]).read_bytes()
    docx = make_docx(tmp_path / "a.docx", [[("H", "p")], [("H2", "p2")]]).read_bytes()
    assert check_file("x.PDF", pdf, 10**6, 5) == ".pdf"
    assert check_file("x.pptx", deck, 10**6, 5) == ".pptx"
    assert check_file("x.docx", docx, 10**6, 5) == ".docx"
    assert check_file("x.markdown", "# Cảng xanh\n".encode(), 10**6, 5) == ".md"
    assert check_file("x.htm", b"<h1>Port</h1>", 10**6, 5) == ".html"
    with pytest.raises(UploadTooLargeError, match="2 pages is over the 1-page limit"):
        check_file("x.docx", docx, 10**6, 1)
    with pytest.raises(UploadTooLargeError, match="2 pages"):
        check_file("x.pptx", deck, 10**6, 1)
    with pytest.raises(UploadError, match="not a DOCX"):
        check_file("x.docx", deck, 10**6, 5)


def test_uploads_are_stored_atomically_and_merged_into_the_catalog(tmp_path: Path) -> None:
    library = tmp_path / "kb"
    (library / "docs").mkdir(parents=True)
    (library / "catalog.yaml").write_text(
        "library: docs\ndocuments:\n  - file: a.md\n    kind: faq\n", encoding="utf-8"
    )
    uploads = Uploads(library, max_bytes=10**6, max_pages=10)
    fields = {"kind": "report", "topics": ["green-port"], "year": 2024}
    (doc_id,) = uploads.save(
        [("C:\\Users\\me\\Green Ports.md", b"# Green\n\nShore power.")], fields
    )
    assert (library / "docs" / doc_id).read_bytes() == b"# Green\n\nShore power."
    assert not list((library / "docs" / "uploads").glob(".*")), "no temporary file left behind"
    catalog = load_catalog(library)
    assert catalog.library == (library / "docs").resolve()
    entry = catalog.entry_for(doc_id)
    assert entry is not None and entry.title == "Green Ports" and entry.kind == "report"
    assert catalog.entry_for("a.md") is not None
    uploads.remove(doc_id)
    assert load_catalog(library).entry_for(doc_id) is None
    assert not (library / "docs" / doc_id).exists()


def test_a_bad_uploads_catalog_row_is_reported_with_its_file(tmp_path: Path) -> None:
    rows = {"documents": [{"file": "uploads/x.pdf", "kind": "poster"}]}
    (tmp_path / "catalog.uploads.yaml").write_text(yaml.safe_dump(rows), encoding="utf-8")
    with pytest.raises(CatalogError, match=r"catalog.uploads.yaml row 1 \(uploads/x.pdf\): kind"):
        load_catalog(tmp_path)


def _record(doc_id: str, pages: int, title: str = "Deck") -> DocumentRecord:
    return DocumentRecord(doc_id, "hash-1", pages, pages, {"title": title})


def test_pdf_pages_are_rendered_and_cached(tmp_path: Path) -> None:
    pdf = make_pdf(tmp_path / "a.pdf", ["Quay cranes", "Yard blocks"])
    renderer = PageRenderer(tmp_path / "data")
    png = renderer.image(pdf, _record("a.pdf", 2), 2, 500, lambda: "unused")
    assert Image.open(png).size[0] == 500
    assert renderer.image(pdf, _record("a.pdf", 2), 2, 500, lambda: "not called") == png
    with pytest.raises(NotFoundError, match="page 3 does not exist"):
        renderer.image(pdf, _record("a.pdf", 2), 3, 500, lambda: "")


def test_slides_without_libreoffice_and_text_pages_become_text_cards(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", "/nonexistent")  # no soffice: the indexed text is drawn instead
    deck = make_pptx(tmp_path / "d.pptx", [("Title", "Body", "")])
    renderer = PageRenderer(tmp_path / "data")
    text = "ท่าเรือแหลมฉบัง កំពង់ផែ 港口岸电 Cảng xanh " * 30
    png = renderer.image(deck, _record("d.pptx", 1, "多语言 deck"), 1, 700, lambda: text)
    image = Image.open(io.BytesIO(png.read_bytes()))
    assert image.width == 700 and image.height >= 525
    assert len(set(image.convert("L").getdata())) > 2, "text was drawn"


def test_chunk_overlaps_are_not_repeated_in_page_text() -> None:
    first = "Alpha beta gamma delta epsilon zeta."
    assert join_overlapping([first, "gamma delta epsilon zeta. Eta theta."]) == (
        "Alpha beta gamma delta epsilon zeta. Eta theta."
    )
    assert join_overlapping([first, "Eta theta."]) == f"{first}\nEta theta."
    assert join_overlapping(["One. Section 2.", "Section 2. Two."]) == "One. Section 2. Two."
    assert join_overlapping(["ends with ion 2.", "ion 2. x"]) == "ends with ion 2.\nion 2. x"
