"""OCR with Tesseract, in one place: orientation and script detection, then the text of one page.

The only module that runs Tesseract (through pytesseract). A page is rendered by ingest.pdfium, turned
upright when Tesseract's orientation detection (OSD) is sure it lies on its side or upside down, and
read in the document's catalog language, or else in the language of the script OSD sees (Chinese,
Thai, Khmer, Lao) or the configured default for Latin script. Tesseract copes with small skews itself.
"""

from __future__ import annotations

import functools
import logging
import re
import shutil
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

logger = logging.getLogger(__name__)

# Catalog language -> Tesseract language pack.
TESSERACT_LANGUAGES = {
    "en": "eng",
    "zh": "chi_sim",
    "vi": "vie",
    "th": "tha",
    "km": "khm",
    "lo": "lao",
    "ms": "msa",
    "fil": "fil",
    "de": "deu",
}
# OSD script -> language pack, for pages whose document has no catalog language.
SCRIPT_LANGUAGES = {"Han": "chi_sim", "Thai": "tha", "Khmer": "khm", "Lao": "lao"}
# OSD's orientation confidence above which a page is turned. On the robustness corpus, right answers
# scored 13 or more and wrong ones (tiny or picture-only pages) 3 or less.
ORIENTATION_CONFIDENCE = 5.0
OSD_SIZE = 1600  # pixels: OSD runs on a thumbnail, it only needs the shape of the lines
_OSD_LINE = re.compile(r"^(Rotate|Orientation confidence|Script|Script confidence): (.+)$", re.M)


@dataclass(frozen=True)
class OcrPage:
    """What OCR read from one page, how the page was turned, and how long it took."""

    text: str
    languages: str
    rotated: int = 0
    seconds: float = 0.0
    error: str = ""


def tesseract_available() -> bool:
    """Whether pytesseract and the `tesseract` binary are both installed."""
    try:
        import pytesseract  # noqa: F401
    except ImportError:
        return False
    return shutil.which("tesseract") is not None


def languages_for(language: str) -> str:
    """The Tesseract pack for a catalog language ("" when unknown or not installed)."""
    pack = TESSERACT_LANGUAGES.get(language, "")
    return pack if pack and pack in installed_languages() else ""


@functools.cache
def installed_languages() -> frozenset[str]:
    """Tesseract language packs installed on this machine."""
    import pytesseract

    return frozenset(pytesseract.get_languages(config=""))


def ocr_pdf_page(
    path: Path, password: str, index: int, dpi: int, languages: str, default: str
) -> OcrPage:
    """Render page `index` (0-based) and OCR it; runs in the parser process (see ingest.worker).

    `languages` are Tesseract packs to use (the catalog language's); empty: chosen from the script
    OSD detects, else `default`.
    """
    from ingest.pdfium import PdfiumOpenError, open_pdf, render

    started = time.perf_counter()
    try:
        document = open_pdf(path, password)
        try:
            image = render(document, index, dpi)
        finally:
            document.close()
    except PdfiumOpenError as exc:
        return OcrPage("", languages, error=f"pypdfium2 cannot read it: {exc}")
    page = ocr_image(image, languages, default)
    return OcrPage(
        page.text, page.languages, page.rotated, time.perf_counter() - started, page.error
    )


def ocr_image(image: Any, languages: str, default: str) -> OcrPage:
    """OCR one page image: turn it upright when OSD is sure, pick languages, read the text."""
    import pytesseract

    rotate, script = _orientation(image)
    if rotate:
        image = image.rotate(-rotate, expand=True)  # OSD says clockwise, PIL turns anticlockwise
    chosen = languages or _script_languages(script) or _installed(default) or "eng"
    try:
        text = pytesseract.image_to_string(image, lang=chosen, config="--oem 1 --psm 3")
    except pytesseract.TesseractError as exc:
        return OcrPage("", chosen, rotate, error=f"tesseract failed: {exc}")
    return OcrPage(text, chosen, rotate)


def _orientation(image: Any) -> tuple[int, str]:
    """Degrees to turn the page clockwise (0 unless OSD is sure) and the script OSD sees."""
    import pytesseract

    thumbnail = image.copy()
    thumbnail.thumbnail((OSD_SIZE, OSD_SIZE))
    try:
        report = pytesseract.image_to_osd(thumbnail, config="--psm 0")
    except pytesseract.TesseractError:
        return 0, ""  # too few characters to tell: OCR it as it is
    values = dict(_OSD_LINE.findall(report))
    confident = float(values.get("Orientation confidence", "0")) >= ORIENTATION_CONFIDENCE
    rotate = int(values.get("Rotate", "0")) % 360 if confident else 0
    script_sure = float(values.get("Script confidence", "0")) >= 1.0
    return rotate, values.get("Script", "") if script_sure else ""


def _script_languages(script: str) -> str:
    return _installed(SCRIPT_LANGUAGES.get(script, ""))


def _installed(packs: str) -> str:
    """`packs` (`+`-joined) without those not installed; "" when none is."""
    kept = [p for p in packs.split("+") if p and p in installed_languages()]
    return "+".join(kept)
