"""PDF text quality: pypdfium2 where pypdf loses letters (Khmer), garbled layers recognised, page by page."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from ingest.load import clean, load_document
from ingest.pdf_layers import read_layers
from ingest.textcheck import best_text, garbled, letters, needs_ocr
from tests.docs import make_pdf

ROOT = Path(__file__).resolve().parents[1]
KHMER_SOURCE = ROOT / "kb" / "sources" / "safety-sihanoukville-induction-km.yaml"
THAI_PDF = ROOT / "kb" / "library" / "guidelines" / "isps-security-levels-thai-port.pdf"


@pytest.fixture(scope="module")
def khmer_pdf(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The sample library's Khmer FAQ printed by headless Chromium, as the library's PDFs are."""
    if shutil.which("chromium") is None:
        pytest.skip("chromium is not installed")
    from kb.authoring.render_pdf import render_pdf
    from kb.authoring.source import load_source

    target = tmp_path_factory.mktemp("khmer") / "induction-km.pdf"
    render_pdf(load_source(KHMER_SOURCE), target)
    return target


def test_khmer_from_chromium_keeps_every_letter(khmer_pdf: Path) -> None:
    from kb.authoring.markup import to_plain
    from kb.authoring.source import load_source
    from kb.authoring.verify import coverage

    source = load_source(KHMER_SOURCE)
    expected = "\n".join(f"{page.title}\n{to_plain(page.body)}" for page in source.pages)
    pypdf_only = "\n".join(clean(page.pypdf) for page in read_layers(khmer_pdf).pages)
    document = load_document(khmer_pdf, "induction-km.pdf")
    read = "\n".join(page.text for page in document.pages)
    assert coverage(expected, pypdf_only) < 0.85  # the known loss: subscript consonants (COENG)
    assert coverage(expected, read) > 0.99
    assert "សុវត្ថិភាព" in read  # "safety", with its subscript consonant
    assert {page.language for page in document.pages} == {"km"}


def test_thai_keeps_pypdf_where_pypdfium2_repeats_clusters() -> None:
    if not THAI_PDF.is_file():
        pytest.skip("the sample library's Thai PDF is absent")
    for page in read_layers(THAI_PDF).pages:
        pypdf_text, pdfium_text = clean(page.pypdf), clean(page.pdfium)
        assert abs(letters(pdfium_text) - letters(pypdf_text)) <= 0.01 * letters(pypdf_text) + 2
        assert best_text(pypdf_text, pdfium_text) == pypdf_text


def test_a_plain_pdf_keeps_pypdfs_text(tmp_path: Path) -> None:
    pdf = make_pdf(tmp_path / "en.pdf", ["Quay cranes move containers between ship and quay."])
    (page,) = read_layers(pdf).pages
    assert best_text(clean(page.pypdf), clean(page.pdfium)) == clean(page.pypdf)


@pytest.mark.parametrize(
    ("text", "why"),
    [
        ("F n e m b \\ h e h k \x03 ; e Z \\ d \x03 ! D \x03 6 \x03", "control"),
        ("䴀甀氀琀椀挀漀氀漀爀䈀氀愀挀欀 倀甀爀攀䈀氀愀挀欀", "byte-swapped UTF-16"),
        ("/g437/g258/g3/g22", "glyph names"),
        ("\ue000\ue001\ue002 \ue003\ue004", "private-use"),
        ("\ufffd\ufffd\ufffd\ufffd ok", "replacement"),
        ('"7+%- =#@!', "symbols without letters"),
        ("a b c d e f g h i j k", "letters without words"),
    ],
)
def test_garbled_text_layers_are_recognised(text: str, why: str) -> None:
    assert why in garbled(text)


@pytest.mark.parametrize(
    "text",
    [
        "Berth occupancy ratio is the share of time a berth is occupied.",
        "港口一二三是中国最大的港口之一，岸电系统减少排放。",
        "អគ្គនាយកដ្ឋានគយ និងរដ្ឋាករកម្ពុជា",
        "ท่าเรือแหลมฉบังเป็นท่าเรือตู้คอนเทนเนอร์",
        "2023-2024 12 345",
        "",
    ],
)
def test_real_text_is_not_garbled(text: str) -> None:
    assert garbled(text) == ""


def test_a_page_needs_ocr_when_it_shows_graphics_but_almost_no_text() -> None:
    assert needs_ocr("", graphics=1)
    assert needs_ocr("12", graphics=1)  # a page number over a scan
    assert not needs_ocr("", graphics=0)  # a blank page
    assert not needs_ocr("A page of real text with a logo on it.", graphics=3)
