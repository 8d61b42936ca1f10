"""PPTX rendering with python-pptx: one 16:9 slide per page, real tables, speaker notes."""

from __future__ import annotations

from pathlib import Path

from pptx import Presentation
from pptx.enum.text import MSO_AUTO_SIZE
from pptx.oxml.ns import qn
from pptx.slide import Slide
from pptx.util import Emu, Inches, Pt

from kb.authoring.files import normalise_zip, set_core_properties
from kb.authoring.markup import Block, Inline, plain, to_blocks
from kb.authoring.source import FOOTER, Source, page_size

WIDTH, HEIGHT = Inches(13.333), Inches(7.5)
MARGIN = Inches(0.6)
BODY_TOP, BODY_BOTTOM = Inches(1.45), Inches(6.8)
TITLE_ONLY_LAYOUT = 5


def render_pptx(source: Source, target: Path) -> None:
    """Write `source` as a PPTX deck to `target` (deterministic bytes)."""
    deck = Presentation()
    deck.slide_width, deck.slide_height = WIDTH, HEIGHT
    for number, page in enumerate(source.pages, start=1):
        slide = deck.slides.add_slide(deck.slide_layouts[TITLE_ONLY_LAYOUT])
        _title(slide, page.title)
        _body(slide, to_blocks(page.body), _font_size(page.body))
        _footer(slide, f"{source.entry.title} · {FOOTER} · page {number}")
        if page.notes:
            slide.notes_slide.notes_text_frame.text = page.notes
    set_core_properties(deck.core_properties, source.entry)
    deck.save(str(target))
    normalise_zip(target)


def _title(slide: Slide, text: str) -> None:
    shape = slide.shapes.title
    if shape is None:
        raise ValueError("the Title Only layout has no title placeholder")
    shape.left, shape.top = MARGIN, Inches(0.35)
    shape.width, shape.height = Emu(WIDTH - 2 * MARGIN), Inches(1.0)
    shape.text_frame.text = text
    shape.text_frame.word_wrap = True
    for paragraph in shape.text_frame.paragraphs:
        paragraph.font.size = Pt(30 if len(text) < 60 else 24)
        paragraph.font.bold = True


def _font_size(body: str) -> int:
    size, limit = page_size(body, slides=True)
    share, lines = size / limit, body.count("\n") + 1
    for points, most, max_lines in ((24, 0.5, 8), (20, 0.75, 11), (18, 1.0, 13), (16, 1.3, 15)):
        if share <= most and lines <= max_lines:
            return points
    return 14


def _body(slide: Slide, blocks: list[Block], points: int) -> None:
    text_blocks = [block for block in blocks if block.kind != "table"]
    tables = [block for block in blocks if block.kind == "table"]
    table_rows = sum(len(table.rows) for table in tables)
    space = BODY_BOTTOM - BODY_TOP
    text_share = 0 if not text_blocks else (1.0 if not tables else max(0.3, 1 - table_rows * 0.09))
    top = Emu(BODY_TOP)
    if text_blocks:
        height = Emu(int(space * text_share))
        _text_box(slide, text_blocks, points, top, height)
        top = Emu(top + height)
    for table in tables:
        height = Emu(int((BODY_BOTTOM - top) / len(tables)))
        _table(slide, table, min(points, 16), top, height)
        top = Emu(top + height)


def _text_box(slide: Slide, blocks: list[Block], points: int, top: Emu, height: Emu) -> None:
    frame = slide.shapes.add_textbox(MARGIN, top, Emu(WIDTH - 2 * MARGIN), height).text_frame
    frame.word_wrap = True
    frame.auto_size = MSO_AUTO_SIZE.TEXT_TO_FIT_SHAPE  # viewers shrink text that still overflows
    for index, block in enumerate(blocks):
        paragraph = frame.paragraphs[0] if index == 0 else frame.add_paragraph()
        _add_runs(paragraph, block.runs, points + (2 if block.kind == "heading" else 0))
        if block.kind == "heading":
            for run in paragraph.runs:
                run.font.bold = True
        if block.kind in ("bullet", "number"):
            _bullet(paragraph, block.level, "•" if block.kind == "bullet" else None)
        paragraph.space_after = Pt(points * 0.35)


def _add_runs(paragraph: object, runs: Inline, points: int) -> None:
    for part in runs:
        run = paragraph.add_run()  # type: ignore[attr-defined]
        run.text = part.text
        run.font.size = Pt(points)
        run.font.bold = part.bold or None
        run.font.italic = part.italic or None


def _bullet(paragraph: object, level: int, char: str | None) -> None:
    props = paragraph._p.get_or_add_pPr()  # type: ignore[attr-defined]
    indent = 342900 * (level + 1)
    props.set("marL", str(indent))
    props.set("indent", "-285750")
    bullet = props.makeelement(qn("a:buChar" if char else "a:buAutoNum"), {})
    bullet.set("char" if char else "type", char or "arabicPeriod")
    props.append(bullet)


def _table(slide: Slide, block: Block, points: int, top: Emu, height: Emu) -> None:
    rows, cols = len(block.rows), max(len(row) for row in block.rows)
    row_height = min(Inches(0.5), Emu(int(height / max(rows, 1))))
    width = Emu(WIDTH - 2 * MARGIN)
    shape = slide.shapes.add_table(rows, cols, MARGIN, top, width, Emu(row_height * rows))
    for r, row in enumerate(block.rows):
        for c in range(cols):
            cell = shape.table.cell(r, c)
            cell.text = plain(row[c]) if c < len(row) else ""
            for paragraph in cell.text_frame.paragraphs:
                paragraph.font.size = Pt(points)
                paragraph.font.bold = r == 0 or None


def _footer(slide: Slide, text: str) -> None:
    box = slide.shapes.add_textbox(MARGIN, Inches(6.95), Emu(WIDTH - 2 * MARGIN), Inches(0.4))
    box.text_frame.text = text
    box.text_frame.word_wrap = True
    box.text_frame.paragraphs[0].font.size = Pt(9)
