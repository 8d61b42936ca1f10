"""Round-trip checks: a rendered PDF has one page per source page and its text reads back."""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from pathlib import Path

from pypdf import PdfReader

from kb.authoring.markup import to_plain
from kb.authoring.source import Source
from kb.languages import normalise_text

MIN_COVERAGE = 0.9
_INVISIBLE = re.compile(r"[\s\u200b-\u200d\u2060\ufeff\u00ad]+")


def normalise(text: str) -> str:
    """CJK radicals folded, NFKC (Kangxi radicals, Thai SARA AM), case-folded, no whitespace."""
    folded = unicodedata.normalize("NFKC", normalise_text(text))
    return _INVISIBLE.sub("", folded).casefold()


def coverage(expected: str, actual: str) -> float:
    """Share of the expected characters (as a multiset) found in the actual text."""
    want, have = Counter(normalise(expected)), Counter(normalise(actual))
    total = sum(want.values())
    return 1.0 if not total else sum(min(n, have[ch]) for ch, n in want.items()) / total


def pdfium_texts(path: Path) -> list[str] | None:
    """Page texts via pypdfium2 (honours /ActualText spans), or None when it is not installed."""
    try:
        import pypdfium2
    except ImportError:
        return None
    document = pypdfium2.PdfDocument(str(path))
    try:
        return [page.get_textpage().get_text_range() for page in document]
    finally:
        document.close()


def verify_pdf(path: Path, source: Source) -> tuple[list[str], list[str]]:
    """Errors and warnings for one rendered PDF of `source`."""
    reader = PdfReader(path)
    if len(reader.pages) != len(source.pages):
        return [f"{path}: {len(reader.pages)} PDF pages for {len(source.pages)} source pages"], []
    errors: list[str] = []
    warnings: list[str] = []
    fallback: list[str] | None = None
    for number, (page, pdf_page) in enumerate(zip(source.pages, reader.pages, strict=True), 1):
        text = pdf_page.extract_text()
        body = to_plain(page.body)
        if _reads_back(page.title, body, text):
            continue
        fallback = fallback if fallback is not None else (pdfium_texts(path) or [])
        alt = fallback[number - 1] if fallback else ""
        problem = (
            f"{path} page {number}: pypdf reads back {coverage(body, text):.0%} of the body"
            f" (title {'found' if normalise(page.title) in normalise(text) else 'missing'})"
        )
        if alt and _reads_back(page.title, body, alt):
            warnings.append(f"{problem}; pypdfium2 reads {coverage(body, alt):.0%} (ActualText)")
        else:
            errors.append(f"{problem}; pypdfium2 {coverage(body, alt):.0%}")
    return errors, warnings


def _reads_back(title: str, body: str, text: str) -> bool:
    return normalise(title) in normalise(text) and coverage(body, text) >= MIN_COVERAGE
