"""Documents generated in code for tests: PDF (reportlab), PPTX, DOCX, HTML, Markdown."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

# Port words for generated text (tests that need varied, realistic tokens).
PORT_WORDS = ["berth", "quay", "crane", "yard", "gate", "reefer", "vessel", "pilot", "tug", "dwell"]

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


def make_operator_pdf(path: Path, operators: int, pages: int = 1) -> Path:
    """A tiny PDF whose pages share one compressed content stream of `operators` text operators.

    Harmless to a renderer, costly to parse: each page is `operators` Python objects to pypdf (a few
    KB of file for seconds of work and hundreds of MB of memory).
    """
    import zlib

    stream = zlib.compress(b"BT /F1 1 Tf " + b"(a) Tj " * operators + b"ET", 9)
    kids = " ".join(f"{4 + n} 0 R" for n in range(pages)).encode()
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [" + kids + b"] /Count %d >>" % pages,
        b"<< /Length %d /Filter /FlateDecode >>\nstream\n" % len(stream) + stream + b"\nendstream",
    ]
    objects += [
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 3 0 R "
        b"/Resources << /Font << /F1 << /Type /Font /Subtype /Type1 /BaseFont /Helvetica >> >> >> >>"
    ] * pages
    body, offsets = bytearray(b"%PDF-1.4\n"), []
    for number, obj in enumerate(objects, start=1):
        offsets.append(len(body))
        body += b"%d 0 obj\n" % number + obj + b"\nendobj\n"
    xref = len(body)
    body += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    body += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    body += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    path.write_bytes(bytes(body))
    return path


def make_scanned_pdf(path: Path, lines: Sequence[str], font: Path | None = None) -> Path:
    """A one-page PDF holding only a picture of `lines` (what a scanner makes): no text layer."""
    import io

    from PIL import Image, ImageDraw, ImageFont
    from reportlab.lib.utils import ImageReader
    from reportlab.pdfgen import canvas

    face = font or next(Path("/usr/share/fonts/truetype").rglob("DejaVuSans.ttf"), None)
    typeface = ImageFont.truetype(str(face), 42) if face else ImageFont.load_default(size=42)
    image = Image.new("L", (1700, 120 + 70 * len(lines)), 255)
    draw = ImageDraw.Draw(image)
    for n, line in enumerate(lines):
        draw.text((80, 60 + 70 * n), line, fill=0, font=typeface)
    png = io.BytesIO()
    image.save(png, format="PNG")
    width, height = image.size[0] * 72 / 200, image.size[1] * 72 / 200  # scanned at 200 dpi
    pdf = canvas.Canvas(str(path), pagesize=(width, height), invariant=1)
    pdf.drawImage(ImageReader(png), 0, 0, width, height)
    pdf.showPage()
    pdf.save()
    return path


def break_zip_member(data: bytes, member: str) -> bytes:
    """A zip (DOCX, PPTX) whose `member` has a deflate stream no inflater accepts (a damaged copy)."""
    import io
    import struct
    import zipfile

    info = zipfile.ZipFile(io.BytesIO(data)).getinfo(member)
    name_length, extra_length = struct.unpack(
        "<HH", data[info.header_offset + 26 : info.header_offset + 30]
    )
    start = info.header_offset + 30 + name_length + extra_length
    broken = bytearray(data)
    broken[start] = 0x07  # a final block of the reserved type 3: "invalid block type"
    return bytes(broken)
