"""Markdown and HTML outputs: one page with the document title and a section per source page."""

from __future__ import annotations

import html
from pathlib import Path

from kb.authoring.markup import to_html
from kb.authoring.source import Source

NOTE = "Sample content written for the Portwise demo library"


def render_markdown(source: Source, target: Path) -> None:
    """Write `source` as one Markdown file."""
    parts = [f"# {source.entry.title}", f"> {NOTE}"]
    for page in source.pages:
        parts.append(f"## {page.title}")
        if page.body:
            parts.append(page.body)
    target.write_text("\n\n".join(parts) + "\n", encoding="utf-8")


def render_html(source: Source, target: Path) -> None:
    """Write `source` as one HTML5 page with its `lang` set."""
    title = html.escape(source.entry.title)
    authors = html.escape("; ".join(source.entry.authors))
    sections = "".join(
        f"<section>\n<h2>{html.escape(page.title)}</h2>\n{to_html(page.body)}</section>\n"
        for page in source.pages
    )
    target.write_text(
        f'<!DOCTYPE html>\n<html lang="{source.entry.language}">\n<head>\n<meta charset="utf-8">\n'
        f'<title>{title}</title>\n<meta name="author" content="{authors}">\n</head>\n<body>\n'
        f"<h1>{title}</h1>\n<blockquote><p>{NOTE}</p></blockquote>\n{sections}</body>\n</html>\n",
        encoding="utf-8",
    )
