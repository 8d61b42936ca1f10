"""Pages: images (PDF via pypdfium2, slides via LibreOffice, else text cards) and their indexed text.

Each image is rendered once and cached as a PNG under `<data_dir>/pages/<hash>/`, where the hash covers
the document id and its content hash, so a changed document never shows a stale picture.
"""

from __future__ import annotations

import hashlib
import logging
import shutil
import subprocess
import tempfile
import uuid
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from kb.errors import NotFoundError
from kb.types import DocumentRecord
from server import textcard

logger = logging.getLogger(__name__)
MIN_WIDTH, MAX_WIDTH = 200, 2000
SOFFICE_TIMEOUT_S = 120
# Characters two chunks must share to be taken as overlapping: any 20, or 8 that are whole words.
MIN_OVERLAP, MIN_WORDS_OVERLAP = 20, 8


class PageRenderer:
    """Renders and caches page images for indexed documents."""

    def __init__(self, data_dir: Path) -> None:
        self.cache = data_dir / "pages"

    def folder(self, record: DocumentRecord) -> Path:
        """The cache folder of one version of one document."""
        key = hashlib.sha256(f"{record.doc_id}\x00{record.content_hash}".encode()).hexdigest()
        return self.cache / key[:24]

    def image(
        self,
        path: Path,
        record: DocumentRecord,
        page: int,
        width: int,
        text: Callable[[], str],
        password: Callable[[], str] = str,
    ) -> Path:
        """The PNG of `page` (1-based) at `width` pixels, rendered on first use."""
        if not 1 <= page <= record.page_count:
            raise NotFoundError(
                f"{record.doc_id} has {record.page_count} page(s); page {page} does not exist"
            )
        width = round(min(max(width, MIN_WIDTH), MAX_WIDTH), -2)  # 100 px steps bound the cache
        target = self.folder(record) / f"{page}-{width}.png"
        if not target.is_file():
            target.parent.mkdir(parents=True, exist_ok=True)
            image = self._render(path, record, page, width, text, password)
            temp = target.with_name(f".{uuid.uuid4().hex}.png")
            image.save(temp, "PNG", optimize=True)
            temp.replace(target)
        return target

    def forget(self, record: DocumentRecord) -> None:
        """Drop a document's cached images."""
        shutil.rmtree(self.folder(record), ignore_errors=True)

    def _render(
        self,
        path: Path,
        record: DocumentRecord,
        page: int,
        width: int,
        text: Callable[[], str],
        password: Callable[[], str],
    ) -> Any:
        suffix = path.suffix.lower()
        pdf = path if suffix == ".pdf" else None
        if suffix == ".pptx":
            pdf = self._slides_pdf(path, record)
        if pdf is not None:
            image = render_pdf_page(pdf, page, width, password() if pdf == path else "")
            if image is not None:
                return image
        title = str(record.meta.get("title") or record.doc_id)
        noun = "slide" if suffix == ".pptx" else "page"
        caption = f"{record.doc_id} · {noun} {page} of {record.page_count} · indexed text"
        return textcard.draw(title, caption, text(), width)

    def _slides_pdf(self, path: Path, record: DocumentRecord) -> Path | None:
        """The deck converted to PDF by LibreOffice (cached), or None without `soffice`."""
        target = self.folder(record) / "slides.pdf"
        if target.is_file():
            return target
        soffice = shutil.which("soffice") or shutil.which("libreoffice")
        if soffice is None:
            return None
        with tempfile.TemporaryDirectory() as scratch:
            profile = Path(scratch, "profile").as_uri()
            command = [
                soffice,
                f"-env:UserInstallation={profile}",
                "--headless",
                "--convert-to",
                "pdf",
                "--outdir",
                scratch,
                str(path),
            ]
            try:
                subprocess.run(command, check=True, capture_output=True, timeout=SOFFICE_TIMEOUT_S)
            except (subprocess.SubprocessError, OSError) as exc:
                logger.warning(
                    "LibreOffice could not convert %s (%s); drawing text", path.name, exc
                )
                return None
            converted = Path(scratch, f"{path.stem}.pdf")
            if not converted.is_file():
                return None
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.move(converted, target)
        return target


def render_pdf_page(path: Path, page: int, width: int, password: str = "") -> Any:
    """One PDF page as a PIL image `width` pixels wide, or None when pdfium cannot open it."""
    import pypdfium2 as pdfium

    try:
        document = pdfium.PdfDocument(path, password=password or None)
    except pdfium.PdfiumError as exc:
        logger.warning("%s: pdfium cannot open it (%s); drawing text instead", path.name, exc)
        return None
    try:
        if page > len(document):
            return None
        sheet = document[page - 1]
        return sheet.render(scale=width / sheet.get_width()).to_pil().convert("RGB")
    finally:
        document.close()


def join_overlapping(texts: Sequence[str]) -> str:
    """Consecutive chunk texts joined, each one's overlap with the previous dropped."""
    out = ""
    for text in texts:
        longest = min(len(out), len(text))
        overlap = next((n for n in range(longest, 0, -1) if _overlaps(out, text, n)), 0)
        rest = text[overlap:]
        out = f"{out}\n{rest}" if out and overlap == 0 else out + rest
    return out.strip()


def _overlaps(out: str, text: str, n: int) -> bool:
    """Whether `text` starts with the last `n` characters of `out`: long, or whole words."""
    if not out.endswith(text[:n]):
        return False
    if n >= MIN_OVERLAP:
        return True
    bounded = (n == len(text) or text[n].isspace()) and (n == len(out) or out[-n - 1].isspace())
    return n >= MIN_WORDS_OVERLAP and bounded
