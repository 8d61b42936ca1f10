"""PDF rendering: fixed-size HTML page boxes, shrunk to fit, printed by headless Chromium."""

from __future__ import annotations

import html
import json
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from pypdf import PdfReader, PdfWriter

from kb.authoring.markup import to_html
from kb.authoring.source import FOOTER, Source, SourceError

FIXED_DATE = "D:20240101000000Z"
FONTS = ["Noto Sans", "Noto Sans CJK SC", "Noto Sans Thai", "Noto Sans Khmer", "Noto Sans Lao"]
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-pdf-header-footer",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
    "--hide-scrollbars",
    "--virtual-time-budget=5000",
]


@dataclass(frozen=True)
class Layout:
    """Paper geometry and font range for one kind of PDF."""

    width_mm: float
    height_mm: float
    padding: str
    start_pt: float
    min_pt: float
    title_em: float


A4 = Layout(210, 297, "14mm 18mm 8mm", 11.5, 7.0, 1.6)
SLIDE = Layout(254, 142.875, "9mm 14mm 5mm", 20.0, 9.0, 1.5)

CSS = """
@page {{ size: {w}mm {h}mm; margin: 0 }}
html, body {{ margin: 0; padding: 0 }}
body {{ font-family: {fonts}; color: #1a1a1a; line-height: 1.4 }}
:lang(th), :lang(lo), :lang(km) {{ font-feature-settings: "ccmp" 0 }}
.page {{ box-sizing: border-box; width: {w}mm; height: {hp}mm; padding: {pad}; overflow: hidden;
  display: flex; flex-direction: column; break-after: page; page-break-after: always }}
.page:last-child {{ break-after: auto; page-break-after: auto }}
.doc {{ font-size: 8pt; color: #5a6b7b; border-bottom: 0.4pt solid #b8c4cf; padding-bottom: 1.5mm }}
.content {{ flex: 1 1 auto; min-height: 0; overflow: hidden; font-size: {fs}pt }}
.content h1 {{ font-size: {te}em; margin: 0.5em 0 0.4em; color: #0b3a5d; line-height: 1.2 }}
.content h3 {{ font-size: 1.1em; margin: 0.7em 0 0.3em; color: #0b3a5d }}
.content p {{ margin: 0 0 0.55em }}
.content ul, .content ol {{ margin: 0 0 0.55em; padding-left: 1.4em }}
.content table {{ border-collapse: collapse; margin: 0.3em 0 0.7em; font-size: 0.92em }}
.content th, .content td {{ border: 0.5pt solid #8a9aa9; padding: 0.2em 0.55em; text-align: left;
  vertical-align: top }}
.content th {{ background: #e8eef3 }}
.foot {{ font-size: 7pt; color: #5a6b7b; border-top: 0.4pt solid #b8c4cf; padding-top: 1.2mm }}
.page.overflow {{ height: auto }}
.page.overflow .content {{ overflow: visible }}
"""

FIT_SCRIPT = """
const fits = [];
for (const page of document.querySelectorAll('.page')) {
  const box = page.querySelector('.content');
  let size = %(start)s;
  while (box.scrollHeight > box.clientHeight + 1 && size > %(min)s) {
    size = Math.round((size - 0.25) * 100) / 100;
    box.style.fontSize = size + 'pt';
  }
  const ok = box.scrollHeight <= box.clientHeight + 1;
  if (!ok) page.classList.add('overflow');
  fits.push(ok ? size : -1);
}
document.title = 'FIT:' + JSON.stringify(fits);
"""


def page_html(doc_title: str, title: str, body: str, number: int) -> str:
    """One page box: document title, page heading, body and footer."""
    return (
        f'<section class="page"><div class="doc">{html.escape(doc_title)}</div>'
        f'<div class="content"><h1>{html.escape(title)}</h1>{to_html(body)}</div>'
        f'<div class="foot">{html.escape(FOOTER)} · page {number}</div></section>'
    )


def document_html(source: Source, layout: Layout) -> str:
    """The whole document as one HTML file, one `.page` box per source page."""
    lang = source.entry.language
    fonts = FONTS[:]
    if lang == "zh":
        fonts.insert(0, fonts.pop(1))
    css = CSS.format(
        w=layout.width_mm,
        h=layout.height_mm,
        hp=layout.height_mm - 1,
        pad=layout.padding,
        fonts=", ".join(f'"{name}"' for name in fonts) + ", sans-serif",
        fs=layout.start_pt,
        te=layout.title_em,
    )
    pages = "".join(
        page_html(source.entry.title, page.title, page.body, number)
        for number, page in enumerate(source.pages, start=1)
    )
    script = FIT_SCRIPT % {"start": layout.start_pt, "min": layout.min_pt}
    return (
        f'<!DOCTYPE html><html lang="{lang}"><head><meta charset="utf-8"><title>render</title>'
        f"<style>{css}</style></head><body>{pages}<script>{script}</script></body></html>"
    )


def chromium_binary() -> str:
    """Path of the Chromium executable (Debian's `chromium`)."""
    for name in ("chromium", "chromium-browser", "google-chrome"):
        found = shutil.which(name)
        if found:
            return found
    raise SourceError("chromium not found; install Debian's chromium package to render PDFs")


def print_html(markup: str, target: Path, label: str) -> None:
    """Print an HTML string to `target` with headless Chromium in a fresh profile."""
    with tempfile.TemporaryDirectory(prefix="portwise-pdf-") as tmp:
        page = Path(tmp) / "doc.html"
        page.write_text(markup, encoding="utf-8")
        command = [
            chromium_binary(),
            *CHROMIUM_FLAGS,
            f"--user-data-dir={tmp}/profile",
            f"--print-to-pdf={target}",
            page.as_uri(),
        ]
        done = subprocess.run(command, capture_output=True, text=True, timeout=180, check=False)
        if done.returncode != 0 or not target.is_file():
            raise SourceError(f"{label}: chromium failed ({done.returncode}): {done.stderr[-800:]}")


def render_pdf(source: Source, target: Path, slides: bool = False) -> list[float]:
    """Render `source` to a PDF at `target`; returns the font size each page was fitted at.

    Raises:
        SourceError: when a page cannot fit on one page even at the smallest font size.
    """
    layout = SLIDE if slides else A4
    raw = target.with_name(target.name + ".raw")
    try:
        print_html(document_html(source, layout), raw, str(source.path))
        reader = PdfReader(raw)
        marker = str(reader.metadata.get("/Title", "FIT:[]")) if reader.metadata else "FIT:[]"
        fits = json.loads(marker[4:])
        too_long = [number for number, size in enumerate(fits, start=1) if size < 0]
        if too_long or len(reader.pages) != len(source.pages):
            raise SourceError(
                f"{source.path}: page(s) {too_long or '?'} do not fit on one "
                f"{'slide' if slides else 'A4 page'} even at {layout.min_pt}pt; shorten them"
            )
        _write_normalised(reader, target, source)
        return [float(size) for size in fits]
    finally:
        raw.unlink(missing_ok=True)


def _write_normalised(reader: PdfReader, target: Path, source: Source) -> None:
    writer = PdfWriter(clone_from=reader)
    writer.metadata = {
        "/Title": source.entry.title,
        "/Author": "; ".join(source.entry.authors),
        "/Subject": "Sample content written for the Portwise demo library",
        "/Keywords": ", ".join(source.entry.topics),
        "/Creator": "Portwise kb.authoring.build",
        "/Producer": "Chromium (Skia/PDF) + pypdf",
        "/CreationDate": FIXED_DATE,
        "/ModDate": FIXED_DATE,
    }
    writer._ID = None
    with target.open("wb") as handle:
        writer.write(handle)
