"""Property tests over chunking, the loaders and the upload checks (Hypothesis, bounded examples).

Chunking never loses a word, keeps every chunk within its token budget and its page, and gives the
same ids to the same input. A loader given any bytes (random, truncated or bit-flipped real files)
returns pages or raises DocumentReadError, never anything else; the upload checks raise only
UploadError (a 4xx), never a crash (a 500).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ingest.chunk import chunk_pages
from ingest.load import load_document
from ingest.pdf import PdfParser
from kb.errors import DocumentReadError, UploadError
from kb.languages import split_sentences, words
from kb.settings import ParseSettings
from kb.types import Chunk, Page, Section
from server.uploads import check_file
from tests.docs import PORT_WORDS, break_zip_member, make_docx, make_pdf, make_pptx

VOCABULARY = [
    *(
        [
            *PORT_WORDS,
            "lashing",
            "stowage",
            "70%",
            "2023",
        ]
    ),
    *(["cảng", "Cái", "Mép", "bến", "tàu", "Liegeplatz", "Hafen", "pelabuhan", "daungan"]),
    *(["ท่าเรือ", "ตู้คอนเทนเนอร์", "港口", "集装箱", "码头", "កំពង់ផែ", "ນາວາ", "ທ່າເຮືອ"]),
]
FAST = settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
FILES = settings(FAST, max_examples=100)

sentences = st.builds(
    lambda ws, end: " ".join(ws) + end,
    st.lists(st.sampled_from(VOCABULARY), min_size=1, max_size=40),
    st.sampled_from([".", "!", "?", "。", "។", ""]),
)
page_texts = st.lists(sentences, min_size=1, max_size=10).flatmap(
    lambda ss: st.sampled_from([" ", "\n", "\n\n"]).map(lambda sep: sep.join(ss))
)


def _squeeze(text: str) -> str:
    return "".join(text.split())


@FAST
@given(
    texts=st.lists(page_texts, min_size=1, max_size=3),
    max_tokens=st.integers(24, 96),
    overlap=st.integers(0, 16),
)
def test_chunking_keeps_every_word_in_budget_and_on_its_page(
    e5: Any, texts: list[str], max_tokens: int, overlap: int
) -> None:
    count = e5.token_count
    pages = [Page("doc.pdf", n, (Section("", text),), "en") for n, text in enumerate(texts, 1)]
    chunks = chunk_pages(pages, count, max_tokens, overlap)
    assert [c.position for c in chunks] == list(range(len(chunks)))
    for page in pages:
        mine = [c.text for c in chunks if c.page == page.number]
        for sentence in split_sentences(page.text):
            lost = [w for w in words(sentence) if not any(w in text for text in mine)]
            assert not lost, f"words lost from page {page.number}: {lost}"
        assert all(_squeeze(text) in _squeeze(page.text) for text in mine), "crossed a page"
    assert all(count(c.text) <= max_tokens for c in chunks)
    again = chunk_pages(pages, count, max_tokens, overlap)
    assert [c.id for c in again] == [c.id for c in chunks], "ids are deterministic"
    assert len({c.id for c in chunks}) == len(chunks)
    assert all(c.id == Chunk.make_id(c.doc_id, c.position, c.text) for c in chunks)


@pytest.fixture(scope="module")
def parser() -> Iterator[PdfParser]:
    with_limits = PdfParser(ParseSettings(timeout_s=20, memory_mb=512, ocr=False))
    yield with_limits
    with_limits.close()


@pytest.fixture(scope="module")
def samples(tmp_path_factory: pytest.TempPathFactory) -> dict[str, bytes]:
    """Real files of each binary format, to truncate and damage."""
    folder = tmp_path_factory.mktemp("samples")
    text = ["Berth occupancy ratio is the share of time a berth is occupied.", "Dwell time."]
    return {
        ".pdf": make_pdf(folder / "a.pdf", text, title="KPIs").read_bytes(),
        ".docx": make_docx(folder / "a.docx", [[("Heading", text[0])]]).read_bytes(),
        ".pptx": make_pptx(folder / "a.pptx", [("Cranes", text[0], "notes")]).read_bytes(),
    }


def _load(folder: Path, suffix: str, data: bytes, parser: PdfParser) -> None:
    path = folder / f"fuzz{suffix}"
    path.write_bytes(data)
    try:
        document = load_document(path, path.name, pdf=parser)
    except DocumentReadError as exc:
        reason = exc.message
    else:
        assert any(page.text.strip() for page in document.pages)
        return
    assert reason.startswith(path.name), reason  # it names the file it is about


@st.composite
def damaged(draw: st.DrawFn, samples: dict[str, bytes]) -> tuple[str, bytes]:
    """A real file cut short, with a few bytes overwritten, or random bytes behind its header."""
    suffix = draw(st.sampled_from(sorted(samples)))
    data = bytearray(samples[suffix])
    how = draw(st.sampled_from(["truncate", "flip", "random"]))
    if how == "truncate":
        data = data[: draw(st.integers(0, len(data) - 1))]
    elif how == "flip":
        for at in draw(st.lists(st.integers(0, len(data) - 1), min_size=1, max_size=20)):
            data[at] = draw(st.integers(0, 255))
    else:
        data = data[:8] + draw(st.binary(max_size=4000))
    return suffix, bytes(data)


@FILES
@given(data=st.data())
def test_damaged_pdf_office_files_only_raise_document_read_errors(
    samples: dict[str, bytes],
    parser: PdfParser,
    tmp_path_factory: pytest.TempPathFactory,
    data: st.DataObject,
) -> None:
    suffix, content = data.draw(damaged(samples))
    _load(tmp_path_factory.getbasetemp(), suffix, content, parser)


@FILES
@given(
    suffix=st.sampled_from([".txt", ".md", ".markdown", ".html", ".htm"]),
    content=st.one_of(
        st.binary(max_size=3000),
        st.text(max_size=3000).map(lambda t: t.encode("utf-8", "surrogatepass")),
        st.text(max_size=500).map(lambda t: t.encode("utf-16", "surrogatepass")),
        st.text(max_size=500).map(lambda t: f"<html><body><h1>{t}</h1><p>{t}".encode()),
    ),
)
def test_text_and_markup_loaders_only_raise_document_read_errors(
    parser: PdfParser, tmp_path_factory: pytest.TempPathFactory, suffix: str, content: bytes
) -> None:
    _load(tmp_path_factory.getbasetemp(), suffix, content, parser)


@FILES
@given(data=st.data())
def test_upload_checks_only_raise_upload_errors(
    samples: dict[str, bytes], data: st.DataObject
) -> None:
    suffix, content = data.draw(damaged(samples))
    try:
        check_file(f"upload{suffix}", content, max_bytes=10_000_000, max_pages=50)
    except UploadError:
        return


@pytest.mark.parametrize("member", ["word/styles.xml", "word/document.xml", "[Content_Types].xml"])
def test_a_docx_with_a_damaged_part_is_a_read_error(tmp_path: Path, member: str) -> None:
    docx = make_docx(tmp_path / "a.docx", [[("Gate", "The gate opens at six.")]]).read_bytes()
    path = tmp_path / "broken.docx"
    path.write_bytes(break_zip_member(docx, member))  # was a zlib.error that stopped the ingest
    with pytest.raises(DocumentReadError, match=r"broken\.docx: damaged DOCX"):
        load_document(path, "broken.docx")


def test_a_pdf_page_pdfium_cannot_load_leaves_pypdf_text(tmp_path: Path, parser: PdfParser) -> None:
    data = make_pdf(tmp_path / "two.pdf", ["Berth occupancy is high.", "Dwell time is long."])
    pages = [m.start() for m in re.finditer(rb"/Type /Page(?!s)", data.read_bytes())]
    broken = bytearray(data.read_bytes())
    broken[pages[1] : pages[1] + 11] = b"/Type /Xage"  # pypdfium2: "Failed to load page."
    path = tmp_path / "broken.pdf"
    path.write_bytes(bytes(broken))
    document = load_document(path, "broken.pdf", pdf=parser)  # was an uncaught PdfiumError
    assert "Berth occupancy" in document.pages[0].text
