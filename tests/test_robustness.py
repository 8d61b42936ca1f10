"""Every real, awkward PDF in ../shared/eval-data/pdf-robustness gets a clear outcome, never a crash.

One ingest of the whole corpus (real parser process, real Tesseract, real Chroma store, the tiny
embedder) serves the tests: the expected status of each file, OCRed text found by search, the
encrypted file with and without its password, and the German lecture notes against their ground truth.
"""

from __future__ import annotations

import json
import shutil
import time
import unicodedata
from pathlib import Path
from typing import Any

import pytest
import yaml

from ingest.load import load_document
from ingest.ocr import tesseract_available
from ingest.pdf import PdfParser
from ingest.pipeline import Syncer, SyncReport
from kb.errors import DocumentReadError
from kb.settings import ChunkSettings, ParseSettings, StoreSettings
from kb.store import Store
from tests.conftest import EVAL_DATA

CORPUS = EVAL_DATA / "pdf-robustness"
ENCRYPTED = "encrypted/sample-files__libreoffice-writer-password.pdf"
GEOTOPO = "multilingual_text/sample-files__GeoTopo-komprimiert.pdf"
pytestmark = [
    pytest.mark.skipif(not CORPUS.is_dir(), reason="../shared/eval-data/pdf-robustness is absent"),
    pytest.mark.skipif(not tesseract_available(), reason="tesseract (tesseract-ocr) is absent"),
]

# file -> (status, words the reason or the notes hold, pages read by OCR)
INDEXED = ("indexed", "", 0)
EXPECTED: dict[str, tuple[str, str, int]] = {
    GEOTOPO: INDEXED,
    ENCRYPTED: INDEXED,  # the catalog gives its password
    "scanned_image_only/ocrmypdf__c02-22.pdf": ("indexed", "OCR (eng): page 1", 1),
    "scanned_image_only/ocrmypdf__multipage.pdf": ("indexed", "OCR (eng): pages 1-3, 5-6", 5),
    "scanned_image_only/ocrmypdf__linn.pdf": ("indexed", "OCR", 1),
    "scanned_image_only/ocrmypdf__francais.pdf": ("indexed", "OCR", 1),
    "scanned_image_only/ocrmypdf__skew.pdf": ("indexed", "OCR", 1),
    "scanned_image_only/ocrmypdf__rotated_skew.pdf": ("indexed", "OCR", 1),
    "scanned_image_only/ocrmypdf__cardinal.pdf": ("indexed", "OCR (eng): pages 1-4", 4),
    "scanned_image_only/ocrmypdf__2400dpi.pdf": ("indexed", "OCR", 1),
    "scanned_image_only/ocrmypdf__ccitt.pdf": ("indexed", "OCR", 1),
    "scanned_image_only/ocrmypdf__jbig2.pdf": ("indexed", "OCR", 1),
    "scanned_image_only/ocrmypdf__graph.pdf": ("indexed", "OCR", 1),
    "malformed/ocrmypdf__invalid.pdf": ("failed", "not a PDF", 0),
    "malformed/ocrmypdf__cmyk.pdf": ("indexed", "garbled text layer re-read by OCR", 1),
    "malformed/ocrmypdf__type3_font_nomapping.pdf": ("indexed", "garbled text layer", 1),
    "malformed/ocrmypdf__truetype_font_nomapping.pdf": ("indexed", "garbled text layer", 1),
    "malformed/sample-files__unreadablemetadata.pdf": ("failed", "damaged PDF", 0),
    "layout_realworld/sample-files__multicolumn.pdf": INDEXED,
    "layout_realworld/sample-files__pdflatex-forms.pdf": INDEXED,
    "layout_realworld/sample-files__google-doc-document.pdf": INDEXED,
    "layout_realworld/sample-files__mistitled_outlines_example.pdf": INDEXED,
    "layout_realworld/sample-files__with-attachment.pdf": INDEXED,
    "layout_realworld/sample-files__annotated_pdf.pdf": INDEXED,
}


def _index() -> dict[str, dict[str, Any]]:
    rows = map(json.loads, (CORPUS / "index.jsonl").read_text().splitlines())
    return {row["file"]: row for row in rows}


@pytest.fixture(scope="module")
def corpus_ingest(tmp_path_factory: pytest.TempPathFactory, tiny: Any) -> tuple[SyncReport, Store]:
    """The whole corpus synced once, through a catalog (beside it) that gives the password."""
    folder = tmp_path_factory.mktemp("robustness")
    catalog = {
        "library": str(CORPUS),
        "documents": [{"file": ENCRYPTED, "password": "openpassword"}],
    }
    (folder / "catalog.yaml").write_text(yaml.safe_dump(catalog), encoding="utf-8")
    store = Store(StoreSettings(path=str(folder / "store")), tiny.name, tiny.dim)
    report = Syncer(store, tiny, ChunkSettings(), parse=ParseSettings()).sync(folder)
    return report, store


@pytest.mark.slow  # the corpus ingest: ~50 s, mostly OCR of 22 pages
def test_every_pdf_gets_its_expected_status(corpus_ingest: tuple[SyncReport, Store]) -> None:
    report, _store = corpus_ingest
    results = {f.doc_id: f for f in report.files}
    assert set(_index()) <= set(EXPECTED), "a new corpus file: add its expected outcome"
    for name, (status, words, ocr_pages) in EXPECTED.items():
        result = results[name]
        said = result.reason if status == "failed" else "; ".join(result.notes)
        assert (result.status, result.ocr_pages) == (status, ocr_pages), f"{name}: {said}"
        assert words in said, f"{name}: {said}"
    geotopo = results[GEOTOPO]
    assert geotopo.pages == 117 and geotopo.language == "de"
    assert report.totals()["ocr_pages"] == sum(n for _s, _w, n in EXPECTED.values())


@pytest.mark.slow
def test_ocred_text_is_found_by_search(corpus_ingest: tuple[SyncReport, Store], tiny: Any) -> None:
    from server.retrieve import Retriever

    _report, store = corpus_ingest
    retriever = Retriever(store, tiny)  # lexical: the tiny test embedder's dense leg is noise
    for query, folder in (
        ("LinnSequencer track MIDI sequence recorder", "scanned_image_only/"),
        ("tip-toeing along a path amongst the trees", "scanned_image_only/"),
        ("Multicolor Pure Black", "malformed/ocrmypdf__cmyk.pdf"),
    ):
        top = retriever.search(query, k=3, mode="lexical").hits[0]
        assert top.chunk.doc_id.startswith(folder), (query, top.chunk.doc_id)
        assert top.chunk.meta.get("ocr") is True, "OCRed chunks are marked for the results"
    text = retriever.search("LinnSequencer", k=1, mode="lexical").hits[0].chunk.text
    assert "LinnSequencer" in text


def test_encrypted_pdf_without_its_password_is_reported(tmp_path: Path, tiny: Any) -> None:
    folder = tmp_path / "lib"
    folder.mkdir()
    shutil.copy(CORPUS / ENCRYPTED, folder / "locked.pdf")
    store = Store(StoreSettings(path=str(tmp_path / "store")), tiny.name, tiny.dim)
    (result,) = Syncer(store, tiny, ChunkSettings()).sync(folder).files
    assert result.status == "failed"
    assert "encrypted: supply a password (`password:` in the catalog)" in result.reason
    (folder / "catalog.yaml").write_text(
        "documents:\n  - file: locked.pdf\n    password: wrong\n", encoding="utf-8"
    )
    (result,) = Syncer(store, tiny, ChunkSettings()).sync(folder).files
    assert "the catalog password does not open it" in result.reason


def test_without_ocr_scans_and_garbled_layers_say_they_need_it() -> None:
    with PdfParser(ParseSettings(ocr=False)) as parser:
        for name, reason in (
            ("scanned_image_only/ocrmypdf__c02-22.pdf", "no text layer: needs OCR"),
            ("malformed/ocrmypdf__cmyk.pdf", "garbled text layer (control, private-use"),
            ("malformed/ocrmypdf__type3_font_nomapping.pdf", "garbled text layer (glyph names"),
        ):
            with pytest.raises(DocumentReadError, match="turn OCR on") as caught:
                load_document(CORPUS / name, name, pdf=parser)
            assert reason in caught.value.message


def test_german_lecture_notes_match_their_ground_truth() -> None:
    """rapidfuzz's normalised Indel similarity (as difflib's ratio) over NFKC, whitespace-collapsed text.

    The ground truth is the whole text of this very PDF (117 pages: title page to index), so the
    whole extraction is compared with the whole file; running headers are stripped by the loader
    but kept in the ground truth, which costs about one point.
    """
    fuzz = pytest.importorskip("rapidfuzz.fuzz", reason="rapidfuzz (test extra) is not installed")
    document = load_document(CORPUS / GEOTOPO, GEOTOPO)
    extracted = "\n".join(s.text for page in document.pages for s in page.sections)
    truth = (CORPUS / "ground_truth" / "GeoTopo-book.txt").read_text(encoding="utf-8")
    assert truth.startswith("Einführung in die\nGeometrie und Topologie")
    assert fuzz.ratio(_normalised(extracted), _normalised(truth)) >= 95


def _normalised(text: str) -> str:
    return " ".join(unicodedata.normalize("NFKC", text).split())


@pytest.mark.bench
def test_print_the_robustness_table(corpus_ingest: tuple[SyncReport, Store]) -> None:
    """`pytest tests/test_robustness.py -m bench -s`: outcome, pages, OCR pages and time per file."""
    report, _store = corpus_ingest
    index = _index()
    lines = [f"{'file':58} {'category':18} {'status':7} {'pages':>5} {'ocr':>3} {'s':>6}  reason"]
    for f in sorted(report.files, key=lambda f: f.doc_id):
        category = index.get(f.doc_id, {}).get("category", "-")
        said = f.reason or "; ".join(f.notes)
        lines.append(
            f"{f.doc_id:58} {category:18} {f.status:7} {f.pages:5} {f.ocr_pages:3} "
            f"{f.seconds:6.2f}  {said}"
        )
    with PdfParser() as parser:
        began = time.perf_counter()
        parser.read(CORPUS / "scanned_image_only/ocrmypdf__cardinal.pdf", "cardinal.pdf")
        took = time.perf_counter() - began
    per_page = ", ".join(f"{s:.2f}" for s in parser.ocr_seconds)
    lines.append(f"OCR seconds per page (render + OSD + Tesseract), cardinal.pdf: {per_page}")
    lines.append(f"cardinal.pdf whole read (4 pages, parser process start included): {took:.2f} s")
    print("\n".join(lines))  # noqa: T201 - a benchmark prints its numbers
