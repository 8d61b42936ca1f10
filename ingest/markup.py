"""HTML, Markdown and plain text: one page each, with sections under their headings."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ingest.load import make_page
from kb.errors import DocumentReadError
from kb.types import LoadedDocument, Section

_HEADINGS = ("h1", "h2", "h3", "h4")
_BLOCKS = ("p", "li", "td", "th", "pre", "blockquote", "dt", "dd", "caption", "figcaption")


def _read(path: Path) -> str:
    raw = path.read_bytes()
    for encoding in ("utf-8-sig", "utf-16"):
        try:
            return raw.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise DocumentReadError(f"{path.name}: not UTF-8 or UTF-16 text; re-save it as UTF-8")


def read_html(path: Path, doc_id: str) -> LoadedDocument:
    """Visible text of an HTML page (scripts, styles and navigation dropped), sectioned by h1–h4."""
    return html_document(_read(path), doc_id)


def read_markdown(path: Path, doc_id: str) -> LoadedDocument:
    """Markdown rendered by markdown-it (tables on) and read as HTML, so syntax never leaks into text."""
    from markdown_it import MarkdownIt

    return html_document(MarkdownIt("commonmark").enable("table").render(_read(path)), doc_id)


def html_document(html: str, doc_id: str) -> LoadedDocument:
    """One page from HTML text; the title is <title>, else the first h1/h2."""
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(html, "lxml")
    for tag in soup(["script", "style", "nav", "noscript", "template"]):
        tag.decompose()
    first = soup.title or soup.find(["h1", "h2"])
    title = first.get_text(" ", strip=True) if first else ""
    sections: list[Section] = []
    heading, lines = "", []
    for element in (soup.body or soup).find_all([*_HEADINGS, *_BLOCKS, "tr"]):
        if element.name in _HEADINGS:
            sections.append(Section(heading, "\n".join(lines)))
            heading, lines = _text(element), []
        elif element.name == "tr":
            cells = [_text(c) for c in element.find_all(["td", "th"])]
            lines.append(" | ".join(cells))
        elif not element.find_parent("tr") and not element.find_parent(_BLOCKS):
            lines.append(_text(element))
    sections.append(Section(heading, "\n".join(lines)))
    return LoadedDocument(pages=(make_page(doc_id, 1, sections),), title=title)


def read_text(path: Path, doc_id: str) -> LoadedDocument:
    """Plain text; form feeds separate pages when present."""
    parts = _read(path).split("\f")
    pages = tuple(
        make_page(doc_id, n, [Section("", part)]) for n, part in enumerate(parts, start=1)
    )
    return LoadedDocument(pages=pages, title="")


def _text(element: Any) -> str:
    """An element's text with inline tags joined as written (no spaces invented inside CJK/Thai)."""
    return " ".join(element.get_text("").split())
