"""PPTX (a slide is a page, speaker notes included) and DOCX (headings kept, hard page breaks split pages)."""

from __future__ import annotations

import zipfile
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from ingest.load import make_page
from kb.errors import DocumentReadError
from kb.types import LoadedDocument, Section

_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
# What a damaged or cut-short OOXML file raises from zipfile, zlib or lxml (XMLSyntaxError is a
# SyntaxError); python-docx and python-pptx add their own PackageNotFoundError.
DAMAGED: tuple[type[Exception], ...] = (
    zipfile.BadZipFile,
    zipfile.LargeZipFile,
    zlib.error,
    EOFError,
    KeyError,
    ValueError,
    NotImplementedError,
    SyntaxError,
)


def read_pptx(path: Path, doc_id: str) -> LoadedDocument:
    """One page per slide: the title as heading, body text and tables, then the speaker notes."""
    from pptx import Presentation
    from pptx.exc import PackageNotFoundError

    damaged: tuple[type[Exception], ...] = (*DAMAGED, PackageNotFoundError)
    try:
        deck = Presentation(str(path))
    except damaged as exc:
        raise DocumentReadError(f"{path.name}: damaged PPTX ({exc}); re-save it") from exc
    pages = []
    for number, slide in enumerate(deck.slides, start=1):
        title_shape = slide.shapes.title
        title = title_shape.text_frame.text.strip() if title_shape is not None else ""
        body = [t for shape in slide.shapes if shape != title_shape for t in _shape_texts(shape)]
        sections = [Section(title, "\n".join(body))]
        if slide.has_notes_slide:
            notes = (
                slide.notes_slide.notes_text_frame.text
                if slide.notes_slide.notes_text_frame
                else ""
            )
            if notes.strip():
                sections.append(Section("Speaker notes", notes))
        pages.append(make_page(doc_id, number, sections))
    first_title = next((p.sections[0].heading for p in pages if p.sections), "")
    return LoadedDocument(pages=tuple(pages), title=deck.core_properties.title or first_title)


def _shape_texts(shape: Any) -> Iterator[str]:
    if getattr(shape, "shape_type", None) == 6:  # a group: walk its members
        for member in shape.shapes:
            yield from _shape_texts(member)
    if getattr(shape, "has_text_frame", False) and shape.text_frame.text.strip():
        yield shape.text_frame.text
    if getattr(shape, "has_table", False):
        for row in shape.table.rows:
            yield " | ".join(cell.text.strip() for cell in row.cells)


def read_docx(path: Path, doc_id: str) -> LoadedDocument:
    """Paragraphs and tables in order; Heading/Title styles start sections, hard page breaks start pages."""
    import docx
    from docx.opc.exceptions import PackageNotFoundError

    damaged: tuple[type[Exception], ...] = (*DAMAGED, PackageNotFoundError)
    try:
        document = docx.Document(str(path))
    except damaged as exc:
        raise DocumentReadError(f"{path.name}: damaged DOCX ({exc}); re-save it") from exc
    pages: list[list[Section]] = [[]]
    heading, lines, emitted = "", [], False

    def close_section() -> None:
        # A heading whose text runs onto the next page is repeated there; an empty repeat is not.
        if lines or (heading and not emitted):
            pages[-1].append(Section(heading, "\n".join(lines)))

    for kind, text, breaks_after in _docx_blocks(document):
        if kind == "heading":
            close_section()
            heading, lines, emitted = text, [], False
        elif text:
            lines.append(text)
        if breaks_after:
            close_section()
            pages.append([])
            lines, emitted = [], True
    close_section()
    built = tuple(
        make_page(doc_id, n, secs) for n, secs in enumerate(pages, start=1) if secs or n == 1
    )
    return LoadedDocument(pages=built, title=document.core_properties.title or "")


def _docx_blocks(document: Any) -> Iterator[tuple[str, str, bool]]:
    """(kind, text, page_break_after) for each paragraph and table, in document order."""
    from docx.table import Table
    from docx.text.paragraph import Paragraph

    for block in document.element.body.iterchildren():
        if block.tag == f"{_W}p":
            paragraph = Paragraph(block, document)
            style = (paragraph.style.name if paragraph.style is not None else "") or ""
            kind = "heading" if style.startswith(("Heading", "Title")) else "text"
            has_break = any(br.get(f"{_W}type") == "page" for br in block.iter(f"{_W}br"))
            yield kind, paragraph.text.strip(), has_break
        elif block.tag == f"{_W}tbl":
            table = Table(block, document)
            rows = [" | ".join(cell.text.strip() for cell in row.cells) for row in table.rows]
            yield "text", "\n".join(rows), False
