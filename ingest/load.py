"""Loaders: PDF (pypdf, pypdfium2, OCR), PPTX, DOCX, HTML, Markdown and text files into pages with page numbers."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from kb.errors import DocumentReadError
from kb.languages import detect_language, normalise_text
from kb.types import LoadedDocument, Page, Section

if TYPE_CHECKING:
    from ingest.pdf import PdfParser

logger = logging.getLogger(__name__)

SUFFIXES = (".pdf", ".pptx", ".docx", ".html", ".htm", ".md", ".markdown", ".txt")
_BLANKS = re.compile(r"[ \t\u00a0]+")
_MANY_NEWLINES = re.compile(r"\n{3,}")


def clean(text: str) -> str:
    """Collapse runs of spaces and blank lines; strip NULs and soft hyphens left by extractors."""
    text = normalise_text(text.replace("\x00", "").replace("\u00ad", ""))
    lines = [_BLANKS.sub(" ", line).strip() for line in text.splitlines()]
    return _MANY_NEWLINES.sub("\n\n", "\n".join(lines)).strip()


def make_page(doc_id: str, number: int, sections: Iterable[Section], ocr: bool = False) -> Page:
    """A page from its sections, with empty sections dropped and its language detected."""
    kept = tuple(
        Section(s.heading.strip(), clean(s.text)) for s in sections if clean(s.text) or s.heading
    )
    page = Page(doc_id=doc_id, number=number, sections=kept, language="und")
    return Page(doc_id, number, kept, detect_language(page.text), ocr)


@dataclass(frozen=True)
class LoadOptions:
    """What a loader may need beside the file: the catalog password and language, the PDF parser."""

    password: str = ""
    language: str = ""
    pdf: PdfParser | None = None


def load_document(
    path: Path, doc_id: str, password: str = "", *, language: str = "", pdf: PdfParser | None = None
) -> LoadedDocument:
    """Read a file into pages; raises DocumentReadError with a reason a person can act on.

    `language` (the catalog's) picks the OCR language of scanned pages; `pdf` is the parser process
    that reads PDFs (one for the whole ingest), else one is started for this file.
    """
    loader = _LOADERS.get(path.suffix.lower())
    if loader is None:
        raise DocumentReadError(
            f"{path.name}: unsupported file type; use one of {', '.join(SUFFIXES)}"
        )
    document = loader(path, doc_id, LoadOptions(password, language, pdf))
    if not any(page.text.strip() for page in document.pages):
        raise DocumentReadError(f"{path.name}: the file has no text to index")
    return document


def _pdf(path: Path, doc_id: str, options: LoadOptions) -> LoadedDocument:
    from ingest.pdf import read_pdf

    return read_pdf(path, doc_id, options.password, options.pdf, options.language)


def _pptx(path: Path, doc_id: str, _options: LoadOptions) -> LoadedDocument:
    from ingest.office import read_pptx

    return read_pptx(path, doc_id)


def _docx(path: Path, doc_id: str, _options: LoadOptions) -> LoadedDocument:
    from ingest.office import read_docx

    return read_docx(path, doc_id)


def _html(path: Path, doc_id: str, _options: LoadOptions) -> LoadedDocument:
    from ingest.markup import read_html

    return read_html(path, doc_id)


def _markdown(path: Path, doc_id: str, _options: LoadOptions) -> LoadedDocument:
    from ingest.markup import read_markdown

    return read_markdown(path, doc_id)


def _text(path: Path, doc_id: str, _options: LoadOptions) -> LoadedDocument:
    from ingest.markup import read_text

    return read_text(path, doc_id)


_LOADERS: dict[str, Callable[[Path, str, LoadOptions], LoadedDocument]] = {
    ".pdf": _pdf,
    ".pptx": _pptx,
    ".docx": _docx,
    ".html": _html,
    ".htm": _html,
    ".md": _markdown,
    ".markdown": _markdown,
    ".txt": _text,
}
