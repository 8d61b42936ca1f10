"""PDF pages: text layers read in the parser process, scanned and garbled pages OCRed, one outcome per file.

A page is a page. Each page's text is pypdf's, or pypdfium2's where pypdf clearly loses letters
(Khmer). A page with (almost) no text but images or drawings is a scan, and a page whose text layer
is garbled (fonts without a character map, mojibake) is re-read by OCR. Parsing runs in a child
process under the limits of `ParseSettings`, so a PDF that hangs or explodes is reported and the
ingest goes on.
"""

from __future__ import annotations

import logging
import re
from collections import Counter
from collections.abc import Iterable
from pathlib import Path

from ingest.load import clean, make_page
from ingest.ocr import OcrPage, languages_for, ocr_pdf_page, tesseract_available
from ingest.pdf_layers import RawPdf, read_layers
from ingest.textcheck import best_text, garbled, letters, needs_ocr
from ingest.worker import Worker, WorkerError
from kb.errors import DocumentReadError
from kb.settings import ParseSettings
from kb.types import LoadedDocument, Section

logger = logging.getLogger(__name__)
_DIGITS = re.compile(r"\d+")
_RUNNING_MAX = 120  # headers and footers are short; a long repeated line is content
_EDGE = 3  # lines at the top and at the bottom of a page where running lines can sit
_OCR_GIVE_UP = 2  # pages in a row that ran out of time or memory: stop OCR for this file


class PdfParser:
    """Reads PDFs through one reusable parser process, with the limits and OCR of `ParseSettings`."""

    def __init__(self, settings: ParseSettings | None = None) -> None:
        self.settings = settings or ParseSettings()
        self.ocr = self.settings.ocr and tesseract_available()
        self.worker = Worker(self.settings.memory_mb)
        self.ocr_seconds: list[float] = []  # time of each OCRed page, for reports and benchmarks

    def read(
        self, path: Path, doc_id: str, password: str = "", language: str = ""
    ) -> LoadedDocument:
        """Pages of the PDF at `path`; raises DocumentReadError with a reason a person can act on."""
        _check_header(path)
        raw = self._read_layers(path, password)
        texts, problems = _choose_texts(raw)
        ocred, notes = self._ocr(path, password, language, texts, problems)
        if not any(texts):
            raise DocumentReadError(self._no_text_reason(path.name, problems))
        headings = raw.headings
        pages = tuple(
            make_page(
                doc_id, n, [Section(headings.get(n, _first_line(text)), text)], ocr=n - 1 in ocred
            )
            for n, text in enumerate(strip_running_lines(texts), start=1)
        )
        return LoadedDocument(pages=pages, title=raw.title, notes=tuple(notes))

    def close(self) -> None:
        """Stop the parser process."""
        self.worker.close()

    def __enter__(self) -> PdfParser:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _ocr(
        self, path: Path, password: str, language: str, texts: list[str], problems: dict[int, str]
    ) -> tuple[set[int], list[str]]:
        """OCR the pages in `problems` (index -> why) in place; returns the OCRed pages and notes."""
        if not problems:
            return set(), []
        if not self.ocr:
            why = "OCR is off" if not self.settings.ocr else "Tesseract is not installed"
            return set(), [f"{_label(problems)}: need OCR; left out ({why})"]
        ocred: set[int] = set()
        notes: list[str] = []
        used: set[str] = set()
        failures = 0
        for index in sorted(problems):
            if failures >= _OCR_GIVE_UP:
                notes.append(f"page {index + 1}: not OCRed (earlier pages ran out of limits)")
                continue
            result = self._ocr_page(path, password, index, languages_for(language), notes)
            failures = failures + 1 if result is None else 0
            if result is not None and result.error:
                notes.append(f"page {index + 1}: {result.error}")
            elif result is not None and letters(clean(result.text)) > letters(texts[index]):
                texts[index] = clean(result.text)
                ocred.add(index)
                used.add(result.languages)
        garbled_pages = {i for i in ocred if problems[i] != "scan"}
        if garbled_pages:
            notes.append(f"garbled text layer re-read by OCR: {_label(garbled_pages)}")
        if ocred:
            notes.append(f"OCR ({', '.join(sorted(used))}): {_label(ocred)}")
        return ocred, notes

    def _ocr_page(
        self, path: Path, password: str, index: int, languages: str, notes: list[str]
    ) -> OcrPage | None:
        settings = self.settings
        try:
            result = self.worker.call(
                ocr_pdf_page,
                path,
                password,
                index,
                settings.ocr_dpi,
                languages,
                settings.ocr_languages,
                timeout=settings.timeout_s,
            )
        except WorkerError as exc:
            notes.append(f"page {index + 1}: {self._limit(exc, 'OCR')}; page left out")
            return None
        self.ocr_seconds.append(result.seconds)
        logger.info(
            "OCR %s page %d: %.1f s (%s)", path.name, index + 1, result.seconds, result.languages
        )
        return result

    def _read_layers(self, path: Path, password: str) -> RawPdf:
        try:
            return self.worker.call(read_layers, path, password, timeout=self.settings.timeout_s)
        except WorkerError as exc:
            raise DocumentReadError(f"{path.name}: {self._limit(exc, 'parsing')}") from exc

    def _limit(self, exc: WorkerError, step: str) -> str:
        """What a WorkerError in `step` ("parsing", "OCR") means for the user, and what to do."""
        settings = self.settings
        if exc.kind == "timeout":
            return (
                f"{step} took longer than {settings.timeout_s:g} s: the PDF may be malformed; "
                "re-export it (or raise PORTWISE_PARSE__TIMEOUT_S for a very large file)"
            )
        if exc.kind == "memory":
            return (
                f"{step} needed more than {settings.memory_mb} MB: the PDF may be malformed (a "
                "decompression bomb?); re-export it (or raise PORTWISE_PARSE__MEMORY_MB)"
            )
        return (
            f"{step} failed: the parser process died ({exc.detail}); the PDF may be malformed or "
            f"need more than {settings.memory_mb} MB; re-export it"
        )

    def _no_text_reason(self, name: str, problems: dict[int, str]) -> str:
        kinds = Counter(why.split(":")[0] for why in problems.values())
        garbled_layer = kinds["garbled"] > kinds["scan"]
        if self.ocr and problems:
            what = "the text layer is garbled" if garbled_layer else "no text layer"
            return f"{name}: no extractable text: {what}, and OCR found no text on its pages"
        if not problems:
            return f"{name}: no extractable text: its pages are blank"
        fix = "install tesseract-ocr" if self.settings.ocr else "turn OCR on (PORTWISE_PARSE__OCR)"
        if garbled_layer:
            why = next(why for why in problems.values() if why.startswith("garbled"))
            return f"{name}: garbled text layer ({why.split(': ', 1)[1]}): needs OCR; {fix}"
        return f"{name}: no text layer: needs OCR (scanned or image-only pages); {fix}"


def read_pdf(
    path: Path, doc_id: str, password: str = "", parser: PdfParser | None = None, language: str = ""
) -> LoadedDocument:
    """Read one PDF; with no parser given, a parser process with default limits serves this file."""
    if parser is not None:
        return parser.read(path, doc_id, password, language)
    with PdfParser() as own:
        return own.read(path, doc_id, password, language)


def _check_header(path: Path) -> None:
    raw = path.read_bytes()
    if not raw[:1024].lstrip().startswith(b"%PDF"):
        raise DocumentReadError(f"{path.name}: not a PDF (no %PDF header); check the file")
    if b"obj" not in raw:
        raise DocumentReadError(
            f"{path.name}: not a PDF (a PDF header but no PDF objects); check the file"
        )


def _choose_texts(raw: RawPdf) -> tuple[list[str], dict[int, str]]:
    """Each page's best text, and the pages that need OCR (index -> "scan" or "garbled: why")."""
    texts: list[str] = []
    problems: dict[int, str] = {}
    for index, page in enumerate(raw.pages):
        pypdf_text, pdfium_text = clean(page.pypdf), clean(page.pdfium)
        text = best_text(pypdf_text, pdfium_text)
        if not text and (pypdf_text or pdfium_text):
            problems[index] = f"garbled: {garbled(pypdf_text or pdfium_text)}"
        elif needs_ocr(text, page.graphics):
            problems[index] = "scan"
        texts.append(text)
    return texts, problems


def _label(indexes: Iterable[int]) -> str:
    """0-based page indexes as 1-based pages: "page 2", "pages 1-3, 5"."""
    numbers = sorted(i + 1 for i in indexes)
    ranges: list[str] = []
    for n in numbers:
        if ranges and int(ranges[-1].split("-")[-1]) == n - 1:
            ranges[-1] = f"{ranges[-1].split('-')[0]}-{n}"
        else:
            ranges.append(str(n))
    return ("page " if len(numbers) == 1 else "pages ") + ", ".join(ranges)


def strip_running_lines(pages: list[str], share: float = 0.6) -> list[str]:
    """Drop running headers and footers: short lines found on most pages once digits are masked.

    Only a page's first and last lines (`_EDGE` of each) can be running lines, so pages that repeat
    the same content (a scan OCRed in four orientations) keep their text.
    """
    if len(pages) < 3:
        return pages
    counts = Counter(key for text in pages for key in {_line_key(ln) for ln in _edges(text)})
    running = {key for key, n in counts.items() if key and n >= share * len(pages)}
    return ["\n".join(_strip_edges(text.splitlines(), running)) for text in pages]


def _edges(text: str) -> list[str]:
    lines = [ln for ln in text.splitlines() if ln.strip()]
    return lines[:_EDGE] + lines[-_EDGE:]


def _strip_edges(lines: list[str], running: set[str]) -> list[str]:
    """`lines` without running lines among the first and last `_EDGE` non-empty ones."""
    filled = [i for i, ln in enumerate(lines) if ln.strip()]
    edges = set(filled[:_EDGE] + filled[-_EDGE:])
    return [ln for i, ln in enumerate(lines) if i not in edges or _line_key(ln) not in running]


def _line_key(line: str) -> str:
    line = line.strip()
    return _DIGITS.sub("#", line) if len(line) <= _RUNNING_MAX else ""


def _first_line(text: str) -> str:
    line = next((ln for ln in text.splitlines() if ln.strip()), "")
    return line[:120]
