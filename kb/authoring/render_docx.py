"""DOCX rendering with python-docx: Title, Heading 1 per page, Word tables, hard page breaks."""

from __future__ import annotations

from pathlib import Path

from docx import Document
from docx.document import Document as DocxDocument
from docx.enum.text import WD_BREAK
from docx.oxml.ns import qn

from kb.authoring.files import normalise_zip, set_core_properties
from kb.authoring.markup import Block, Inline, plain, to_blocks
from kb.authoring.source import FOOTER, Source

COMPLEX_FONTS = {"th": "Noto Sans Thai", "km": "Noto Sans Khmer", "lo": "Noto Sans Lao"}


def render_docx(source: Source, target: Path) -> None:
    """Write `source` as a DOCX to `target` (deterministic bytes)."""
    doc = Document()
    _fonts(doc, source.entry.language)
    doc.add_heading(source.entry.title, level=0)
    doc.sections[0].footer.paragraphs[0].text = FOOTER
    for number, page in enumerate(source.pages, start=1):
        if number > 1:
            doc.add_paragraph().add_run().add_break(WD_BREAK.PAGE)
        doc.add_heading(page.title, level=1)
        for block in to_blocks(page.body):
            _block(doc, block)
    set_core_properties(doc.core_properties, source.entry)
    doc.save(str(target))
    normalise_zip(target)


def _fonts(doc: DocxDocument, language: str) -> None:
    fonts = doc.styles["Normal"].element.get_or_add_rPr().get_or_add_rFonts()
    fonts.set(qn("w:eastAsia"), "Noto Sans CJK SC")
    fonts.set(qn("w:cs"), COMPLEX_FONTS.get(language, "Noto Sans"))


def _block(doc: DocxDocument, block: Block) -> None:
    if block.kind == "heading":
        doc.add_heading(plain(block.runs), level=2)
    elif block.kind == "table":
        _table(doc, block)
    else:
        style = {"bullet": "List Bullet", "number": "List Number"}.get(block.kind)
        if style and block.level:
            style += f" {min(block.level + 1, 3)}"
        _runs(doc.add_paragraph(style=style), block.runs)


def _runs(paragraph: object, runs: Inline) -> None:
    for part in runs:
        run = paragraph.add_run(part.text)  # type: ignore[attr-defined]
        run.bold, run.italic = part.bold or None, part.italic or None


def _table(doc: DocxDocument, block: Block) -> None:
    cols = max(len(row) for row in block.rows)
    table = doc.add_table(rows=len(block.rows), cols=cols, style="Table Grid")
    for r, row in enumerate(block.rows):
        for c, cell_runs in enumerate(row):
            paragraph = table.cell(r, c).paragraphs[0]
            _runs(paragraph, cell_runs)
            if r == 0:
                for run in paragraph.runs:
                    run.bold = True
    doc.add_paragraph()
