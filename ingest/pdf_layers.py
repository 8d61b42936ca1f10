"""Both text layers of a PDF (pypdf's and pypdfium2's), read in the parser process (ingest.worker).

Nothing here decides what to index: the parent compares the two extractions page by page
(ingest.textcheck) and sends scanned or garbled pages to OCR. When one library cannot read the file at
all the other one's pages are used; only a file neither can open is damaged.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kb.errors import DocumentReadError

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class RawPage:
    """One page as each library reads it, and how many graphic objects (images, drawings) it shows."""

    pypdf: str
    pdfium: str
    graphics: int = 0


@dataclass(frozen=True)
class RawPdf:
    """Every page's raw text, the title and the bookmark headings, and what pypdf could not read."""

    pages: tuple[RawPage, ...]
    title: str = ""
    headings: dict[int, str] = field(default_factory=dict)
    pypdf_error: str = ""


def locked_message(name: str, password: str) -> str:
    """The reason given for an encrypted PDF the catalog password does not open."""
    if not password:
        return f"{name}: encrypted: supply a password (`password:` in the catalog)"
    return f"{name}: encrypted: the catalog password does not open it"


def read_layers(path: Path, password: str = "") -> RawPdf:
    """Read `path` with pypdf and with pypdfium2.

    Raises:
        DocumentReadError: the file is encrypted without the right password, or damaged.
    """
    from ingest.pdfium import PdfiumOpenError, open_pdf, read_pages

    texts, title, headings, problem = _pypdf(path, password)
    try:
        document = open_pdf(path, password)
        try:
            pdfium_pages = read_pages(document)
        finally:
            document.close()
    except PdfiumOpenError as exc:
        if exc.password:
            raise DocumentReadError(locked_message(path.name, password)) from exc
        if not texts:
            raise DocumentReadError(
                f"{path.name}: damaged PDF ({problem or exc}); re-export it or repair it "
                "(e.g. `qpdf --replace-input` on it)"
            ) from exc
        logger.info("%s: pypdfium2 cannot open it (%s); pypdf's text only", path.name, exc)
        return RawPdf(tuple(RawPage(t, "") for t in texts), title, headings)
    if not texts:
        texts = [""] * len(pdfium_pages)
    pages = tuple(
        RawPage(
            text, pdfium_pages[i].text if i < len(pdfium_pages) else "", _graphics(pdfium_pages, i)
        )
        for i, text in enumerate(texts)
    )
    return RawPdf(pages, title, headings, problem)


def _graphics(pages: list[Any], index: int) -> int:
    return int(pages[index].graphics) if index < len(pages) else 0


def _pypdf(path: Path, password: str) -> tuple[list[str], str, dict[int, str], str]:
    """Page texts, title and headings as pypdf reads them; on failure no pages and the error."""
    from pypdf import PdfReader
    from pypdf.errors import FileNotDecryptedError

    try:
        reader = PdfReader(path)
        if reader.is_encrypted and not reader.decrypt(password or ""):
            raise DocumentReadError(locked_message(path.name, password))
        texts = [_page_text(page, number) for number, page in enumerate(reader.pages, start=1)]
    except FileNotDecryptedError as exc:
        raise DocumentReadError(locked_message(path.name, password)) from exc
    except (DocumentReadError, MemoryError):
        raise  # MemoryError: the parser process reports the memory cap
    except Exception as exc:  # noqa: BLE001 - pypdf fails in many ways on damaged files; pypdfium2 may still read it
        logger.info("%s: pypdf cannot read it (%s: %s)", path.name, type(exc).__name__, exc)
        return [], "", {}, f"pypdf: {type(exc).__name__}: {exc}"
    return texts, _title(reader), _outline_headings(reader), ""


def _page_text(page: Any, number: int) -> str:
    try:
        return str(page.extract_text() or "")
    except MemoryError:
        raise
    except Exception:
        logger.info("pypdf cannot read page %d", number, exc_info=True)
        return ""


def _title(reader: Any) -> str:
    try:
        meta = reader.metadata
        return str(meta.title or "") if meta else ""
    except Exception:
        logger.debug("unreadable PDF metadata", exc_info=True)
        return ""


def _outline_headings(reader: Any) -> dict[int, str]:
    """Bookmark titles by page number (the first bookmark on a page wins)."""
    headings: dict[int, str] = {}

    def walk(items: list[Any]) -> None:
        for item in items:
            if isinstance(item, list):
                walk(item)
                continue
            try:
                number = reader.get_destination_page_number(item) + 1
            except Exception:  # noqa: BLE001 - a dangling bookmark is not worth losing the file
                continue
            headings.setdefault(number, str(getattr(item, "title", "")))

    try:
        walk(list(reader.outline))
    except Exception:
        logger.debug("unreadable PDF outline", exc_info=True)
    return headings
