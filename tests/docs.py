"""Documents generated in code for tests: PDF (reportlab), PPTX, DOCX, HTML, Markdown."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

NOTO = Path("/usr/share/fonts/truetype/noto")


def make_pdf(path: Path, pages: Sequence[str], title: str = "", font: str | None = None) -> Path:
    """A text PDF with one given text per page (an optional TTF font for non-Latin scripts)."""
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont
    from reportlab.pdfgen import canvas

    face = "Helvetica"
    if font:
        pdfmetrics.registerFont(TTFont("TestFont", font))
        face = "TestFont"
    pdf = canvas.Canvas(str(path), pagesize=A4, invariant=1)
    pdf.setTitle(title)
    for text in pages:
        pdf.setFont(face, 11)
        y = 800
        for line in text.splitlines():
            pdf.drawString(50, y, line)
            y -= 16
        pdf.showPage()
    pdf.save()
    return path


def make_image_pdf(path: Path) -> Path:
    """A PDF with a drawing and no text layer (what a scan looks like to pypdf)."""
    from reportlab.pdfgen import canvas

    pdf = canvas.Canvas(str(path), invariant=1)
    pdf.rect(100, 100, 300, 300, fill=1)
    pdf.showPage()
    pdf.save()
    return path


def make_encrypted_pdf(path: Path, source: Path, password: str) -> Path:
    """`source` encrypted with a user password."""
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter(clone_from=PdfReader(source))
    writer.encrypt(user_password=password, owner_password=password + "-owner")
    with path.open("wb") as handle:
        writer.write(handle)
    return path


def make_pptx(path: Path, slides: Sequence[tuple[str, str, str]]) -> Path:
    """A deck of (title, body, notes) slides."""
    from pptx import Presentation

    deck = Presentation()
    for title, body, notes in slides:
        slide = deck.slides.add_slide(deck.slide_layouts[1])
        slide.shapes.title.text = title
        slide.placeholders[1].text = body
        if notes:
            slide.notes_slide.notes_text_frame.text = notes
    deck.save(str(path))
    return path


def make_docx(path: Path, pages: Sequence[Sequence[tuple[str, str]]], title: str = "") -> Path:
    """A Word file: each page a list of (heading, paragraph), hard page breaks between pages."""
    import docx
    from docx.enum.text import WD_BREAK

    document = docx.Document()
    document.core_properties.title = title
    for index, page in enumerate(pages):
        for heading, paragraph in page:
            document.add_heading(heading, level=1)
            document.add_paragraph(paragraph)
        if index < len(pages) - 1:
            document.add_paragraph().add_run().add_break(WD_BREAK.PAGE)
    document.save(str(path))
    return path
