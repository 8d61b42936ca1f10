"""Pure HTML for the screens: answers with citation links, sources, hits, cards, highlights, reports.

Everything that comes from a document (titles, text, quotes, metadata) is escaped here.
"""

from __future__ import annotations

import base64
import html
import re
import time
from collections.abc import Iterable, Mapping, Sequence
from typing import Any
from urllib.parse import quote, unquote

from kb.languages import LANGUAGES
from kb.types import Answer, DocumentRecord, Gap, Hit, Job
from ui.i18n import t

CITATION = re.compile(r"\[(\d+)\]")
META_FIELDS = ("kind", "event", "year", "language", "topics", "authors", "organisation", "country")


def esc(value: object) -> str:
    """HTML-escaped text (quotes included), safe inside elements and attributes."""
    return html.escape(str(value), quote=True)


def file_url(doc_id: str, page: int | None = None) -> str:
    """The API link that downloads (or opens at `page`) a document; its id is URL-quoted."""
    url = f"/api/v1/documents/{quote(doc_id, safe='')}/file"
    return f"{url}#page={page}" if page else url


def link_id(kind: str, *parts: object) -> str:
    """The fragment of an in-app link (`#pw-<kind>/<part>/...`) that a screen's bridge listens for."""
    return "#pw-" + "/".join([kind, *(quote(str(p), safe="") for p in parts)])


def parse_link(link: str) -> tuple[str, list[str]]:
    """(kind, parts) of an in-app link made by `link_id` (with or without its `#`)."""
    kind, *parts = link.lstrip("#").removeprefix("pw-").split("/")
    return kind, [unquote(p) for p in parts]


def title_of(meta: Mapping[str, Any], doc_id: str) -> str:
    """A document's title, or its id when the catalog gives none."""
    return str(meta.get("title") or doc_id)


def cite_links(text: str, turn: int) -> str:
    """Escaped answer text whose [n] markers link to source n of this answer."""
    return CITATION.sub(
        lambda m: f'<a class="pw-cite" href="{link_id("cite", turn, m[1])}">[{m[1]}]</a>',
        esc(text),
    )


def sources_html(hits: Sequence[Hit], turn: int, lang: str) -> str:
    """The numbered sources of an answer, each a link to its page."""
    if not hits:
        return ""
    items = "".join(
        f'<div><a class="pw-src" href="{link_id("src", turn, n)}">[{n}] '
        f"{esc(title_of(hit.chunk.meta, hit.chunk.doc_id))}</a>"
        f' <span class="pw-muted">· {esc(t(lang, "page", page=hit.chunk.page))}</span></div>'
        for n, hit in enumerate(hits, start=1)
    )
    return f'<div class="pw-sources"><b>{esc(t(lang, "ask.sources"))}</b>{items}</div>'


def closest_html(hits: Sequence[Hit], turn: int, lang: str) -> str:
    """A refusal's closest documents, each once, linking to its best passage.

    A slide deck and its PDF export (same path but the suffix, same title) are one document to
    the reader: listed twice they read as a repeated line.
    """
    seen: set[tuple[str, str]] = set()
    items = []
    for n, hit in enumerate(hits, start=1):
        title = title_of(hit.chunk.meta, hit.chunk.doc_id)
        key = (hit.chunk.doc_id.rsplit(".", 1)[0], title)
        if key in seen:
            continue
        seen.add(key)
        items.append(
            f'<div><a class="pw-src" href="{link_id("src", turn, n)}">'
            f"{esc(title)}</a>"
            f' <span class="pw-muted">· {esc(t(lang, "page", page=hit.chunk.page))}</span></div>'
        )
    heading = f"<b>{esc(t(lang, 'ask.closest'))}</b>"
    return f'<div class="pw-sources">{heading}{"".join(items)}</div>' if items else ""


def streaming_html(text: str, sources: str, lang: str) -> str:
    """The answer while it streams: the sources first, the text so far (or a searching note)."""
    body = esc(text) if text else f'<i class="pw-muted">{esc(t(lang, "ask.searching"))}</i>'
    return f'<div class="pw-answer"><p>{body}</p>{sources}</div>'


def answer_html(answer: Answer, turn: int, lang: str) -> str:
    """The verified answer: text with clickable citations, then its sources or closest documents."""
    if answer.refused:
        closest = closest_html(answer.sources, turn, lang)
        return f'<div class="pw-answer pw-refused"><p>{esc(answer.text)}</p>{closest}</div>'
    return (
        f'<div class="pw-answer"><p>{cite_links(answer.text, turn)}</p>'
        f"{sources_html(answer.sources, turn, lang)}</div>"
    )


def highlight(text: str, quotes: Iterable[str]) -> str:
    """Escaped `text` with each quote marked, matching across any difference in whitespace."""
    spans: list[tuple[int, int]] = []
    for quoted in quotes:
        words = quoted.strip(" .…").split()
        if not words:
            continue
        pattern = r"\s*".join(re.escape(w) for w in words)
        found = re.search(pattern, text, flags=re.IGNORECASE)
        if found:
            spans.append(found.span())
    out, last = [], 0
    for start, end in sorted(spans):
        if start < last:
            continue
        out += [esc(text[last:start]), "<mark>", esc(text[start:end]), "</mark>"]
        last = end
    out.append(esc(text[last:]))
    return "".join(out)


def passage_html(
    record: DocumentRecord, page: int, page_text: str, quotes: Sequence[str], lang: str
) -> str:
    """The source pane: document title, page, download link and the page text, quotes marked."""
    marked = highlight(page_text, quotes)
    missing = [q for q in quotes if q.strip() and "<mark>" not in highlight(page_text, [q])]
    aside = "".join(f"<blockquote>{esc(q)}</blockquote>" for q in missing)
    return (
        f'<div class="pw-passage"><h3>{esc(title_of(record.meta, record.doc_id))}</h3>'
        f'<p class="pw-muted">{esc(t(lang, "page", page=page))} · '
        f'<a href="{esc(file_url(record.doc_id, page))}" target="_blank" rel="noopener">'
        f"{esc(t(lang, 'open_page', page=page))}</a></p>"
        f"<b>{esc(t(lang, 'ask.passage'))}</b>{aside}"
        f'<div class="pw-pagetext">{marked}</div></div>'
    )


def data_uri(png: bytes) -> str:
    """A PNG as a data: URI, for thumbnails inside HTML."""
    return "data:image/png;base64," + base64.b64encode(png).decode("ascii")


def group_hits(hits: Sequence[Hit]) -> list[list[Hit]]:
    """Hits grouped by document, documents in the order of their best hit."""
    groups: dict[str, list[Hit]] = {}
    for hit in hits:
        groups.setdefault(hit.chunk.doc_id, []).append(hit)
    return list(groups.values())


def meta_line(meta: Mapping[str, Any]) -> str:
    """Kind · event · year · language, escaped, skipping what is missing."""
    parts = [meta.get("kind"), meta.get("event"), meta.get("year") or None, meta.get("language")]
    return " · ".join(esc(p) for p in parts if p)


def hit_html(hit: Hit, thumb: str, lang: str) -> str:
    """One passage: page thumbnail, heading, text, a link to the page and a "more like this" link."""
    chunk = hit.chunk
    image = f'<img class="pw-thumb" src="{esc(thumb)}" alt="">' if thumb else ""
    heading = chunk.shown_heading
    title = f'<div class="pw-hit-heading">{esc(heading)}</div>' if heading else ""
    return (
        f'<div class="pw-hit">{image}<div class="pw-hit-body">'
        f'<div class="pw-muted">{esc(t(lang, "page", page=chunk.page))}</div>'
        f"{title}<p>{esc(chunk.text)}</p>"
        f'<a href="{esc(file_url(chunk.doc_id, chunk.page))}" target="_blank" rel="noopener">'
        f"{esc(t(lang, 'open_page', page=chunk.page))}</a> · "
        f'<a class="pw-like" href="{link_id("like", chunk.id)}">{esc(t(lang, "search.more"))}</a>'
        "</div></div>"
    )


def results_html(hits: Sequence[Hit], thumbs: Mapping[tuple[str, int], str], lang: str) -> str:
    """Search results grouped by document, with page thumbnails (data URIs keyed by doc, page)."""
    if not hits:
        return f'<p class="pw-empty">{esc(t(lang, "search.none"))}</p>'
    groups = group_hits(hits)
    cards = []
    for group in groups:
        chunk = group[0].chunk
        body = "".join(
            hit_html(h, thumbs.get((h.chunk.doc_id, h.chunk.page), ""), lang) for h in group
        )
        cards.append(
            f'<section class="pw-card"><h3>{esc(title_of(chunk.meta, chunk.doc_id))}</h3>'
            f'<div class="pw-muted">{meta_line(chunk.meta)}</div>{body}</section>'
        )
    count = t(lang, "search.count", hits=len(hits), docs=len(groups))
    return f'<p class="pw-count">{esc(count)}</p>' + "".join(cards)


def documents_html(records: Sequence[DocumentRecord], lang: str) -> str:
    """The library list: one line per document with its metadata and an open link."""
    if not records:
        return f'<p class="pw-empty">{esc(t(lang, "library.empty"))}</p>'
    rows = "".join(
        f'<div class="pw-doc-row"><a class="pw-doc" href="{link_id("doc", r.doc_id)}">'
        f"{esc(title_of(r.meta, r.doc_id))}</a>"
        f'<div class="pw-muted">{meta_line(r.meta)}</div></div>'
        for r in records
    )
    count = esc(t(lang, "library.count", n=len(records)))
    return f'<p class="pw-count">{count}</p><div class="pw-docs">{rows}</div>'


def document_html(record: DocumentRecord, lang: str) -> str:
    """One document's metadata table and download link."""
    meta = dict(record.meta)
    rows: list[tuple[str, object]] = [(t(lang, "meta.pages"), record.page_count)]
    for name in META_FIELDS:
        value = meta.get(name)
        if isinstance(value, list | tuple):
            value = ", ".join(str(v) for v in value)
        elif name == "language":
            value = LANGUAGES.get(str(value), value)
        if value:
            rows.append((t(lang, f"meta.{name}"), value))
    table = "".join(f"<tr><th>{esc(k)}</th><td>{esc(v)}</td></tr>" for k, v in rows)
    return (
        f'<div class="pw-document"><h3>{esc(title_of(meta, record.doc_id))}</h3>'
        f'<table class="pw-meta">{table}</table>'
        f'<a class="pw-download" href="{esc(file_url(record.doc_id))}" target="_blank" rel="noopener">'
        f"{esc(t(lang, 'download'))}</a></div>"
    )


def job_html(job: Job, lang: str) -> str:
    """An ingest job's progress line, the file in progress and any error."""
    known = job.status in {"queued", "running", "done", "failed"}
    status = t(lang, f"status.{job.status}") if known else job.status
    done, total = job.files_done, job.files_total
    line = t(lang, "admin.job", id=job.id[:8], status=status, done=done, total=total)
    parts = [f'<p class="pw-job pw-{esc(job.status)}">{esc(line)}</p>']
    if job.current and job.status == "running":
        parts.append(f'<p class="pw-muted">{esc(t(lang, "admin.current", file=job.current))}</p>')
    if job.error:
        parts.append(f'<p class="pw-error">{esc(job.error)}</p>')
    return "".join(parts)


def report_rows(report: Mapping[str, Any] | None) -> list[list[Any]]:
    """An ingest report (SyncReport JSON) as table rows: file, status, chunks, reason."""
    return [
        [f.get("doc_id", ""), f.get("status", ""), f.get("chunks", 0), f.get("reason", "")]
        for f in (report or {}).get("files", [])
    ]


def gap_rows(gaps: Sequence[Gap]) -> list[list[str]]:
    """Unanswered questions as table rows: question, language, when, closest documents."""
    return [
        [
            g.question,
            g.language,
            time.strftime("%Y-%m-%d %H:%M", time.localtime(g.asked)),
            ", ".join(g.closest),
        ]
        for g in gaps
    ]
