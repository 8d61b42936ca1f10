"""The admin `/api/v1` routes (API key required): uploads, jobs, deletion, reindex, feedback exports."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Query, UploadFile, status
from fastapi.responses import Response

from server import payloads
from server.deps import AdminDep, ServiceDep, errors
from server.schemas import Deleted, GapList, JobAccepted, JobList, JobOut, UploadFields
from server.uploads import UploadTooLargeError, label

router = APIRouter(prefix="/api/v1", tags=["admin"], dependencies=[AdminDep])
AUTH = (401, 403)
CSV: dict[int | str, dict[str, Any]] = {200: {"content": {"text/csv": {}}}}


@router.post(
    "/documents",
    status_code=status.HTTP_202_ACCEPTED,
    responses=errors(*AUTH, 413, 415, 422),
)
def upload(
    files: Annotated[
        list[UploadFile], File(min_length=1, description="PDF, PPTX, DOCX, HTML, Markdown, text.")
    ],
    fields: Annotated[UploadFields, Form()],
    service: ServiceDep,
) -> JobAccepted:
    """Upload documents with their catalog fields; they are indexed by a background job."""
    most = service.settings.server.max_upload_files
    if len(files) > most:
        raise UploadTooLargeError(f"{len(files)} files in one upload; send at most {most}")
    cap = int(service.settings.server.max_upload_mb * 1e6)
    received = []
    for file in files:
        data = file.file.read(cap + 1)
        if len(data) > cap:
            raise UploadTooLargeError(
                f"{label(file.filename or '')}: over the {cap / 1e6:.0f} MB limit"
            )
        received.append((file.filename or "", data))
    job = service.upload(received, fields.catalog_fields())
    return _accepted(job.id, job.status, list(job.doc_ids))


def _accepted(job_id: str, state: str, doc_ids: list[str]) -> JobAccepted:
    url = f"{payloads.API}/jobs/{job_id}"
    return JobAccepted(job_id=job_id, status=state, doc_ids=doc_ids, status_url=url)


@router.post("/reindex", status_code=status.HTTP_202_ACCEPTED, responses=errors(*AUTH))
def reindex(service: ServiceDep) -> JobAccepted:
    """Sync the whole library folder into the store in the background."""
    job = service.reindex()
    return _accepted(job.id, job.status, [])


@router.get("/jobs/{job_id}", responses=errors(*AUTH, 404))
def job(job_id: str, service: ServiceDep) -> JobOut:
    """An ingest job's progress and, once finished, its report."""
    return payloads.job_out(service.job(job_id))


@router.get("/jobs", responses=errors(*AUTH))
def jobs(service: ServiceDep, limit: Annotated[int, Query(ge=1, le=200)] = 20) -> JobList:
    """Recent jobs, newest first."""
    return JobList(jobs=[payloads.job_out(j) for j in service.jobs(limit)])


@router.delete("/documents/{doc_id:path}", responses=errors(*AUTH, 404))
def delete(doc_id: str, service: ServiceDep) -> Deleted:
    """Remove a document: its chunks, its file (an upload's catalog row too)."""
    service.delete_document(doc_id)
    return Deleted(doc_id=doc_id)


@router.get("/feedback.csv", response_class=Response, responses={**CSV, **errors(*AUTH)})
def feedback_csv(service: ServiceDep) -> Response:
    """Every rating as CSV: time, question, answer, citations, sources, rating, language."""
    return _csv(service.parts.records.feedback_csv(), "feedback.csv")


@router.get("/gaps", responses=errors(*AUTH))
def gaps(service: ServiceDep, limit: Annotated[int, Query(ge=1, le=1000)] = 50) -> GapList:
    """Recent questions the materials could not answer, newest first."""
    return GapList(gaps=[payloads.gap_out(g) for g in service.gaps(limit)])


@router.get("/gaps.csv", response_class=Response, responses={**CSV, **errors(*AUTH)})
def gaps_csv(service: ServiceDep) -> Response:
    """Every knowledge gap as CSV: time, question, language, closest documents."""
    return _csv(service.parts.records.gaps_csv(), "gaps.csv")


def _csv(text: str, name: str) -> Response:
    headers = {"Content-Disposition": f'attachment; filename="{name}"'}
    return Response(text, media_type="text/csv; charset=utf-8", headers=headers)
