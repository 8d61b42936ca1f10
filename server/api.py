"""The public `/api/v1` routes: search, ask (JSON or SSE), documents, pages, facets, feedback."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request, status
from fastapi.responses import FileResponse, StreamingResponse

from kb.errors import PortwiseError
from kb.types import Answer, Citation, Done, Event, Sources, Token
from server import payloads
from server.deps import SSE_DOC, FiltersDep, MetricsDep, ServiceDep, errors
from server.metrics import Metrics
from server.schemas import (
    AskRequest,
    DocumentDetail,
    DocumentList,
    FacetsOut,
    FeedbackRequest,
    FeedbackStored,
    HitOut,
    SearchRequest,
    SearchResponse,
)

router = APIRouter(prefix="/api/v1")
DocId = Annotated[str, Path(description="Document id (its path in the library; may hold `/`).")]
MEDIA = {
    ".pdf": "application/pdf",
    ".pptx": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ".html": "text/html; charset=utf-8",
    ".htm": "text/html; charset=utf-8",
    ".md": "text/markdown; charset=utf-8",
    ".markdown": "text/markdown; charset=utf-8",
    ".txt": "text/plain; charset=utf-8",
}
NO_BUFFERING = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}  # proxies pass events on


@router.post("/search", tags=["search"], responses=errors(422, 429, 503))
def search(body: SearchRequest, service: ServiceDep, metrics: MetricsDep) -> SearchResponse:
    """Hybrid search over the library; snippets mark the query's words."""
    filters = body.filters.to_filters()
    service.check_filters(filters)
    with metrics.search.time():
        result = service.search_result(body.query, filters, body.top_k)
    hits = [payloads.hit_out(hit, body.query) for hit in result.hits]
    return SearchResponse(
        query=body.query,
        language=result.language,
        hits=hits,
        timings=result.timings,
        translation=result.translation,
    )


@router.get("/chunks/{chunk_id}/similar", tags=["search"], responses=errors(404, 429))
def similar(
    chunk_id: str, service: ServiceDep, k: Annotated[int, Query(ge=1, le=50)] = 10
) -> list[HitOut]:
    """Chunks of other pages or documents nearest to one chunk ("more like this")."""
    return [payloads.hit_out(hit, "") for hit in service.similar(chunk_id, k)]


@router.post(
    "/ask",
    tags=["answers"],
    responses={200: SSE_DOC, **errors(422, 429, 503)},
)
def ask(body: AskRequest, request: Request, service: ServiceDep, metrics: MetricsDep) -> Any:
    """A cited answer; with `Accept: text/event-stream`, SSE events `sources`, `token`…, `done`."""
    filters = body.filters.to_filters()
    service.check_filters(filters)
    history = [m.model_dump() for m in body.history]
    began = time.perf_counter()
    if "text/event-stream" not in request.headers.get("accept", ""):
        answer, backend = service.ask(body.question, history, filters)
        metrics.ask.labels("json").observe(time.perf_counter() - began)
        return payloads.answer_out(answer, backend)
    events = service.stream(body.question, history, filters)
    first = next(events)  # retrieval runs here, so its errors are plain HTTP errors
    stream = _sse(first, events, metrics, began)
    return StreamingResponse(stream, media_type="text/event-stream", headers=NO_BUFFERING)


def _sse(first: Event, rest: Iterator[Event], metrics: Metrics, began: float) -> Iterator[str]:
    try:
        yield sse_event(first)
        for event in rest:
            yield sse_event(event)
    except PortwiseError as exc:
        yield _frame("error", {"error": type(exc).__name__, "message": exc.message})
    finally:
        metrics.ask.labels("sse").observe(time.perf_counter() - began)


def sse_event(event: Event) -> str:
    """One SSE frame: `sources` (the numbered context), `token` (a piece) or `done` (the answer)."""
    if isinstance(event, Sources):
        data = {
            "question": event.question,
            "language": event.language,
            "refused": event.refused,
            "sources": [s.model_dump() for s in payloads.sources_out(event.hits)],
        }
        return _frame("sources", data)
    if isinstance(event, Token):
        return _frame("token", {"text": event.text})
    assert isinstance(event, Done)
    return _frame("done", payloads.answer_out(event.answer, event.backend).model_dump())


def _frame(name: str, data: dict[str, Any]) -> str:
    return f"event: {name}\ndata: {json.dumps(data, ensure_ascii=False)}\n\n"


@router.get("/documents", tags=["library"], responses=errors(422))
def documents(
    service: ServiceDep,
    filters: FiltersDep,
    offset: Annotated[int, Query(ge=0)] = 0,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> DocumentList:
    """Indexed documents (filtered, sorted by event, year, title), one page at a time."""
    service.check_filters(filters)
    records = service.documents(filters)
    shown = [payloads.document_out(r) for r in records[offset : offset + limit]]
    return DocumentList(total=len(records), offset=offset, limit=limit, documents=shown)


@router.get(
    "/documents/{doc_id:path}/file",
    tags=["library"],
    response_class=FileResponse,
    responses={200: {"content": {m: {} for m in set(MEDIA.values())}}, **errors(404)},
)
def document_file(doc_id: DocId, service: ServiceDep) -> FileResponse:
    """Download the document's file (open a PDF at a page with `#page=N`)."""
    path = service.document_file(doc_id)
    suffix = path.suffix.lower()
    media = MEDIA.get(suffix, "application/octet-stream")
    # PDFs and plain text open in the browser; HTML is only ever downloaded, and nothing a
    # document holds may run script in this origin.
    inline = suffix in (".pdf", ".txt", ".md", ".markdown")
    headers = {"X-Content-Type-Options": "nosniff"}
    if suffix != ".pdf":
        headers["Content-Security-Policy"] = "sandbox"
    return FileResponse(
        path,
        media_type=media,
        filename=path.name,
        content_disposition_type="inline" if inline else "attachment",
        headers=headers,
    )


@router.get(
    "/documents/{doc_id:path}/pages/{page}.png",
    tags=["library"],
    response_class=FileResponse,
    responses={200: {"content": {"image/png": {}}}, **errors(404)},
)
def page_image(
    doc_id: DocId,
    page: Annotated[int, Path(ge=1, description="Page or slide number, from 1.")],
    service: ServiceDep,
    width: Annotated[int, Query(ge=200, le=2000, description="Image width in pixels.")] = 900,
) -> FileResponse:
    """The page as a PNG: rendered PDF pages and slides, a text card for other formats."""
    path = service.page_image(doc_id, page, width)
    return FileResponse(path, media_type="image/png", headers={"Cache-Control": "max-age=3600"})


@router.get("/documents/{doc_id:path}", tags=["library"], responses=errors(404))
def document(doc_id: DocId, service: ServiceDep) -> DocumentDetail:
    """One document's metadata, pages and chunk count."""
    return payloads.document_detail(service.document(doc_id))


@router.get("/facets", tags=["library"])
def facets(service: ServiceDep, filters: FiltersDep) -> FacetsOut:
    """Document counts per value of each catalog field, under the other fields' filters."""
    return FacetsOut(facets=service.facets(filters))


@router.post(
    "/feedback", tags=["feedback"], status_code=status.HTTP_201_CREATED, responses=errors(422, 429)
)
def feedback(body: FeedbackRequest, service: ServiceDep) -> FeedbackStored:
    """Rate an answer (+1 or -1); the question, answer and cited pages are kept for curators."""
    citations = tuple(Citation(c.n, c.doc_id, c.page, c.quote) for c in body.citations)
    answer = Answer(text=body.answer, citations=citations, language=body.language)
    service.record_feedback(body.question, answer, body.rating)
    return FeedbackStored()
