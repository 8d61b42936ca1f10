"""pypdfium2 in one place: open a PDF, read each page's text without repeated clusters, render a page.

pypdfium2 honours the /ActualText spans Chromium writes for shaped Khmer, Thai and Lao clusters (pypdf
ignores them and loses letters), but it emits a span's text once per glyph the span covers: the
repeats sit at the same horizontal position as the first copy, one line part higher or lower. Text is
therefore read character by character, and a run that repeats the run just before it at the same
place on the line is dropped (with the space pypdfium2 invented between them).
"""

from __future__ import annotations

import ctypes
from dataclasses import dataclass
from pathlib import Path
from typing import Any

MAX_PIXELS = 40_000_000  # a 30-inch poster at 300 dpi is rendered smaller rather than at 8 GB
_LOOK_BACK = 12  # characters: a repeat follows its original within one cluster or two


@dataclass(frozen=True)
class PdfiumPage:
    """What pypdfium2 reads from one page: its text and how many graphic objects it shows."""

    text: str
    graphics: int  # images, drawings and shadings: what a scan or outlined text is made of


class PdfiumOpenError(Exception):
    """pypdfium2 could not open the file; `password` says whether a (right) password is missing."""

    def __init__(self, message: str, password: bool) -> None:
        super().__init__(message)
        self.password = password


def open_pdf(path: Path, password: str = "") -> Any:
    """The pypdfium2 document for `path`.

    Raises:
        PdfiumOpenError: the file is damaged, or encrypted without the right password.
    """
    import pypdfium2
    import pypdfium2.raw as pdfium_c

    try:
        return pypdfium2.PdfDocument(str(path), password=password or None)
    except pypdfium2.PdfiumError as exc:
        locked = getattr(exc, "err_code", None) == pdfium_c.FPDF_ERR_PASSWORD
        raise PdfiumOpenError(str(exc), password=locked) from exc


def read_pages(document: Any) -> list[PdfiumPage]:
    """Every page's text (repeated clusters removed) and count of graphic objects.

    Raises:
        PdfiumOpenError: a page of a damaged file cannot be loaded.
    """
    import pypdfium2

    try:
        return [_read_page(page) for page in document]
    except pypdfium2.PdfiumError as exc:
        raise PdfiumOpenError(str(exc), password=False) from exc


def _read_page(page: Any) -> PdfiumPage:
    import pypdfium2.raw as pdfium_c

    try:
        textpage = page.get_textpage()
        try:
            text = page_text(textpage)
        finally:
            textpage.close()
        shown = sum(obj.type != pdfium_c.FPDF_PAGEOBJ_TEXT for obj in page.get_objects(max_depth=2))
    finally:
        page.close()
    return PdfiumPage(text=text, graphics=shown)


def page_text(textpage: Any) -> str:
    """A page's text, character by character, without the repeats of /ActualText spans."""
    chars = _chars(textpage)
    drop = _repeats(chars)
    for i, (ch, *_box, generated) in enumerate(chars):
        if generated and ch == " " and ({i - 1, i + 1} & drop):
            drop.add(i)
    return "".join(c[0] for i, c in enumerate(chars) if i not in drop)


def render(document: Any, index: int, dpi: int) -> Any:
    """Page `index` as a greyscale PIL image at `dpi` (less for pages too large to render whole).

    Raises:
        PdfiumOpenError: the page of a damaged file cannot be loaded.
    """
    import pypdfium2

    try:
        page = document[index]
    except pypdfium2.PdfiumError as exc:
        raise PdfiumOpenError(str(exc), password=False) from exc
    try:
        width, height = page.get_size()
        scale = dpi / 72
        pixels = width * height * scale * scale
        if pixels > MAX_PIXELS:
            scale *= (MAX_PIXELS / pixels) ** 0.5
        return page.render(scale=scale, grayscale=True).to_pil()
    finally:
        page.close()


Char = tuple[str, float, float, float, float, bool]  # text, left, right, bottom, top, generated


def _chars(textpage: Any) -> list[Char]:
    import pypdfium2.raw as pdfium_c

    handle = textpage.raw
    left, right, bottom, top = (ctypes.c_double() for _ in range(4))
    boxes = (ctypes.byref(left), ctypes.byref(right), ctypes.byref(bottom), ctypes.byref(top))
    chars: list[Char] = []
    for i in range(pdfium_c.FPDFText_CountChars(handle)):
        point = pdfium_c.FPDFText_GetUnicode(handle, i)
        if not 0 < point < 0x110000 or 0xD800 <= point < 0xE000:
            continue
        if not pdfium_c.FPDFText_GetCharBox(handle, i, *boxes):
            left.value = right.value = bottom.value = top.value = float("nan")
        generated = bool(pdfium_c.FPDFText_IsGenerated(handle, i))
        chars.append((chr(point), left.value, right.value, bottom.value, top.value, generated))
    return chars


def _repeats(chars: list[Char]) -> set[int]:
    """Indexes of characters that repeat the run just before them at the same place on the line."""
    drop: set[int] = set()
    for k, (ch, *_rest, generated) in enumerate(chars):
        if k in drop or generated or ch.isspace():
            continue
        for j in range(max(0, k - _LOOK_BACK), k):
            if j not in drop and chars[j][0] == ch:
                length = _repeat_length(chars, j, k)
                if length:
                    drop.update(range(k, k + length))
                    break
    return drop


def _repeat_length(chars: list[Char], j: int, k: int) -> int:
    """How many characters from `k` repeat those from `j` in text and place (0: not a repeat)."""
    run = 0
    while k + run < len(chars) and j + run < k and chars[j + run][0] == chars[k + run][0]:
        run += 1
    height = max(chars[j][4] - chars[j][3], 1.0)
    if not abs((chars[j][3] + chars[j][4]) - (chars[k][3] + chars[k][4])) / 2 < 1.5 * height:
        return 0  # not on the same line
    for length in range(run, 0, -1):
        first, again = chars[j : j + length], chars[k : k + length]
        a0, a1 = min(c[1] for c in first), max(c[2] for c in first)
        b0, b1 = min(c[1] for c in again), max(c[2] for c in again)
        if min(a1, b1) - max(a0, b0) > 0.5 * max(b1 - b0, 0.1):
            return length
    return 0
