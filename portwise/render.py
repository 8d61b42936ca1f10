"""Terminal rendering of sync reports and search hits (rich tables)."""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from ingest.pipeline import SyncReport
from kb.types import Hit

STATUS_STYLE = {"indexed": "green", "unchanged": "dim", "removed": "yellow", "failed": "red"}


def print_sync_report(console: Console, report: SyncReport) -> None:
    """A table with one row per file, then the totals."""
    table = Table(title="Ingest report", show_lines=False)
    for column in ("file", "status", "lang", "pages", "ocr", "chunks", "embedded", "seconds"):
        table.add_column(column, overflow="fold")
    for f in report.files:
        style = STATUS_STYLE[f.status]
        table.add_row(
            f.path,
            f"[{style}]{f.status}[/{style}]",
            f.language,
            str(f.pages),
            str(f.ocr_pages or ""),
            str(f.chunks),
            str(f.embedded),
            f"{f.seconds:.2f}",
        )
    console.print(table)
    for f in report.files:
        if f.status == "failed":
            console.print(
                f"[red]failed[/red] {f.path}: {f.reason}", highlight=False, soft_wrap=True
            )
        elif f.notes:
            notes = "; ".join(f.notes)
            console.print(f"[cyan]note[/cyan] {f.path}: {notes}", highlight=False, soft_wrap=True)
    totals = report.totals()
    languages = ", ".join(f"{k} {v}" for k, v in sorted(totals.pop("languages").items()))
    console.print(" · ".join(f"{k}: {v}" for k, v in totals.items()), highlight=False)
    console.print(f"languages: {languages}", highlight=False)


def hit_json(hit: Hit) -> dict[str, Any]:
    """One hit as JSON: document, page, score, text and the chunk's metadata."""
    chunk = hit.chunk
    return {
        "doc_id": chunk.doc_id,
        "page": chunk.page,
        "score": round(hit.score, 4),
        "text": chunk.text,
        "heading": chunk.heading,
        "language": chunk.language,
        "title": chunk.meta.get("title", ""),
        "kind": chunk.meta.get("kind", ""),
        "year": chunk.meta.get("year", 0),
        "chunk_id": chunk.id,
        "ranks": dict(hit.ranks),
    }


def print_hits(console: Console, hits: list[Hit]) -> None:
    """Numbered hits: score, document, page, language, then the passage's heading and a snippet.

    Text from the library is escaped: rich would read "[en]" or a "[bold]" in a slide as markup.
    """
    if not hits:
        console.print("[yellow]no results[/yellow]")
    for n, hit in enumerate(hits, start=1):
        chunk = hit.chunk
        title = escape(str(chunk.meta.get("title", "")))
        console.print(
            f"[bold]{n}.[/bold] [cyan]{escape(chunk.doc_id)}[/cyan] p.{chunk.page} "
            f"{escape(f'[{chunk.language}]')} score {hit.score:.3f}  {title}",
            highlight=False,
        )
        if heading := chunk.shown_heading:
            console.print(f"   [bold]{escape(heading)}[/bold]", highlight=False)
        flat = " ".join(chunk.text.split())
        console.print(f"   {escape(flat[:300])}{'…' if len(flat) > 300 else ''}", highlight=False)
