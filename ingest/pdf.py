"""PDF pages with pypdf: a page is a page; encrypted, damaged and image-only files get a specific reason."""

from __future__ import annotations

import logging
import re
from collections import Counter
from pathlib import Path

from ingest.load import clean, make_page
from kb.errors import DocumentReadError
from kb.types import LoadedDocument, Section

logger = logging.getLogger(__name__)
_DIGITS = re.compile(r"\d+")
_RUNNING_MAX = 120  # headers and footers are short; a long repeated line is content


def read_pdf(path: Path, doc_id: str, password: str = "") -> LoadedDocument:
    """Extract each page's text; raise DocumentReadError for files that cannot be indexed as they are."""
    from pypdf import PdfReader
    from pypdf.errors import FileNotDecryptedError, PdfReadError, PyPdfError

    raw = path.read_bytes()
    if not raw[:1024].lstrip().startswith(b"%PDF"):
        raise DocumentReadError(f"{path.name}: not a PDF (no %PDF header); check the file")
    if b"obj" not in raw:
        raise DocumentReadError(
            f"{path.name}: not a PDF (a PDF header but no PDF objects); check the file"
        )
    try:
        reader = PdfReader(path)
        if reader.is_encrypted and not reader.decrypt(password or ""):
            raise DocumentReadError(
                f"{path.name}: encrypted: supply a password (`password:` in the catalog)"
                if not password
                else f"{path.name}: encrypted: the catalog password does not open it"
            )
        pages = strip_running_lines([clean(page.extract_text() or "") for page in reader.pages])
        headings = _outline_headings(reader)
        title = _title(reader)
    except FileNotDecryptedError as exc:
        raise DocumentReadError(
            f"{path.name}: encrypted: supply a password (`password:` in the catalog)"
        ) from exc
    except (PdfReadError, PyPdfError, ValueError, KeyError, TypeError, OSError) as exc:
        raise DocumentReadError(
            f"{path.name}: damaged PDF ({type(exc).__name__}: {exc}); re-export it"
        ) from exc
    if not any(pages):
        raise DocumentReadError(
            f"{path.name}: no text layer: needs OCR (scanned or image-only pages)"
        )
    built = tuple(
        make_page(doc_id, n, [Section(headings.get(n, _first_line(text)), text)])
        for n, text in enumerate(pages, start=1)
    )
    return LoadedDocument(pages=built, title=title)


def strip_running_lines(pages: list[str], share: float = 0.6) -> list[str]:
    """Drop running headers and footers: short lines found on most pages once digits are masked."""
    if len(pages) < 3:
        return pages
    counts = Counter(key for text in pages for key in {_line_key(ln) for ln in text.splitlines()})
    running = {key for key, n in counts.items() if key and n >= share * len(pages)}
    return [
        "\n".join(ln for ln in text.splitlines() if _line_key(ln) not in running) for text in pages
    ]


def _line_key(line: str) -> str:
    line = line.strip()
    return _DIGITS.sub("#", line) if len(line) <= _RUNNING_MAX else ""


def _first_line(text: str) -> str:
    line = next((ln for ln in text.splitlines() if ln.strip()), "")
    return line[:120]


def _title(reader: object) -> str:
    try:
        meta = reader.metadata  # type: ignore[attr-defined]
        return str(meta.title or "") if meta else ""
    except Exception:
        logger.debug("unreadable PDF metadata", exc_info=True)
        return ""


def _outline_headings(reader: object) -> dict[int, str]:
    """Bookmark titles by page number (the first bookmark on a page wins)."""
    headings: dict[int, str] = {}

    def walk(items: list[object]) -> None:
        for item in items:
            if isinstance(item, list):
                walk(item)
                continue
            try:
                number = reader.get_destination_page_number(item) + 1  # type: ignore[attr-defined]
            except Exception:  # noqa: BLE001 - a dangling bookmark is not worth losing the file
                continue
            headings.setdefault(number, str(getattr(item, "title", "")))

    try:
        walk(list(reader.outline))  # type: ignore[attr-defined]
    except Exception:
        logger.debug("unreadable PDF outline", exc_info=True)
    return headings
