"""Internal values as HTTP payloads: hits, answers, documents, jobs and gaps, with their links."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import quote

from kb.types import Answer, DocumentRecord, Gap, Hit, Job
from server.schemas import (
    AskResponse,
    CitationOut,
    DocumentDetail,
    DocumentOut,
    GapOut,
    HitOut,
    JobOut,
    PageOut,
    SourceOut,
)
from server.snippets import snippet

API = "/api/v1"


def file_url(doc_id: str) -> str:
    """Where the document's file is downloaded."""
    return f"{API}/documents/{quote(doc_id)}/file"


def page_url(doc_id: str, page: int) -> str:
    """Where the PNG of one page is."""
    return f"{API}/documents/{quote(doc_id)}/pages/{page}.png"


def hit_out(hit: Hit, query: str) -> HitOut:
    """A search hit with its snippet and links."""
    chunk, meta = hit.chunk, hit.chunk.meta
    return HitOut(
        chunk_id=chunk.id,
        doc_id=chunk.doc_id,
        title=str(meta.get("title") or chunk.doc_id),
        page=chunk.page,
        heading=chunk.heading,
        snippet=snippet(chunk.text, query),
        text=chunk.text,
        score=round(hit.score, 5),
        language=chunk.language,
        kind=str(meta.get("kind", "")),
        event=str(meta.get("event", "")),
        year=int(meta.get("year") or 0),
        page_image_url=page_url(chunk.doc_id, chunk.page),
        file_url=file_url(chunk.doc_id),
    )


def sources_out(hits: tuple[Hit, ...]) -> list[SourceOut]:
    """The numbered context of an answer."""
    return [
        SourceOut(
            n=n,
            doc_id=hit.chunk.doc_id,
            title=str(hit.chunk.meta.get("title") or hit.chunk.doc_id),
            page=hit.chunk.page,
            score=round(hit.score, 5),
            page_image_url=page_url(hit.chunk.doc_id, hit.chunk.page),
            file_url=file_url(hit.chunk.doc_id),
        )
        for n, hit in enumerate(hits, start=1)
    ]


def citations_out(answer: Answer) -> list[CitationOut]:
    """The answer's citations with the cited document's title and links."""
    titles = {h.chunk.doc_id: str(h.chunk.meta.get("title") or "") for h in answer.sources}
    return [
        CitationOut(
            n=c.n,
            doc_id=c.doc_id,
            title=titles.get(c.doc_id) or c.doc_id,
            page=c.page,
            quote=c.quote,
            page_image_url=page_url(c.doc_id, c.page),
            file_url=file_url(c.doc_id),
        )
        for c in answer.citations
    ]


def answer_out(answer: Answer, backend: str) -> AskResponse:
    """A verified answer as the API returns it."""
    return AskResponse(
        answer=answer.text,
        language=answer.language,
        refused=answer.refused,
        citations=citations_out(answer),
        sources=sources_out(answer.sources),
        backend=backend,
        timings={k: round(v, 3) for k, v in answer.timings.items()},
    )


def document_out(record: DocumentRecord) -> DocumentOut:
    """A document's metadata and size."""
    return DocumentOut(**_document_fields(record))


def document_detail(record: DocumentRecord) -> DocumentDetail:
    """A document with links to each page."""
    pages = [
        PageOut(number=n, image_url=page_url(record.doc_id, n))
        for n in range(1, record.page_count + 1)
    ]
    return DocumentDetail(**_document_fields(record), pages=pages)


def _document_fields(record: DocumentRecord) -> dict[str, Any]:
    meta: Mapping[str, Any] = record.meta
    return {
        "doc_id": record.doc_id,
        "title": str(meta.get("title") or record.doc_id),
        "kind": str(meta.get("kind", "unknown")),
        "event": str(meta.get("event", "")),
        "year": int(meta.get("year") or 0),
        "language": str(meta.get("language", "")),
        "topics": [str(t) for t in meta.get("topics") or []],
        "country": str(meta.get("country", "")),
        "audience": str(meta.get("audience", "")),
        "authors": [str(a) for a in meta.get("authors") or []],
        "organisation": str(meta.get("organisation", "")),
        "format": str(meta.get("format", "")),
        "page_count": record.page_count,
        "chunk_count": record.chunk_count,
        "file_url": file_url(record.doc_id),
    }


def job_out(job: Job) -> JobOut:
    """A job's state."""
    return JobOut(
        id=job.id,
        kind=job.kind,
        status=job.status,
        created=job.created,
        files_total=job.files_total,
        files_done=job.files_done,
        current=job.current,
        doc_ids=list(job.doc_ids),
        report=dict(job.report) if job.report is not None else None,
        error=job.error,
    )


def gap_out(gap: Gap) -> GapOut:
    """A knowledge gap."""
    return GapOut(
        question=gap.question, language=gap.language, asked=gap.asked, closest=list(gap.closest)
    )
