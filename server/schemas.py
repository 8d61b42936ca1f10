"""HTTP request and response models of the `/api/v1` routes (pydantic, with examples and descriptions)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from kb.types import Filters


class ErrorOut(BaseModel):
    """Every error: the error's type and a message that says what to do."""

    error: str = Field(description="Error type, e.g. `NotFoundError`.", examples=["NotFoundError"])
    message: str = Field(
        description="What happened and what to do next.",
        examples=["no document 'x.pdf'; list them with GET /api/v1/documents"],
    )


class FiltersIn(BaseModel):
    """Catalog filters: values of one field are alternatives (OR), fields combine (AND)."""

    model_config = ConfigDict(extra="forbid")

    kind: list[str] = Field(default=[], description="Document kinds.", examples=[["lecture"]])
    event: list[str] = Field(default=[], description="Courses, conferences or meetings.")
    language: list[str] = Field(default=[], description="Document languages.", examples=[["en"]])
    topics: list[str] = Field(default=[], description="Topic slugs.", examples=[["port-kpis"]])
    country: list[str] = Field(default=[], description="Countries.")
    audience: list[str] = Field(default=[], description="Intended audiences.")
    year_from: int | None = Field(default=None, ge=1950, le=2100, description="Earliest year.")
    year_to: int | None = Field(default=None, ge=1950, le=2100, description="Latest year.")

    def to_filters(self) -> Filters:
        """The internal filter value."""
        lists = {k: tuple(v) for k, v in self.model_dump().items() if isinstance(v, list)}
        return Filters(**lists, year_from=self.year_from, year_to=self.year_to)


class _Query(BaseModel):
    # "before": an empty string gets this message too, not the length constraint's generic one.
    @field_validator("query", "question", mode="before", check_fields=False)
    @classmethod
    def _not_blank(cls, value: Any) -> Any:
        if isinstance(value, str) and not value.strip():
            raise ValueError("is empty; type a question or some keywords")
        return value


class SearchRequest(_Query):
    """A search: the query, optional filters, how many hits."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"query": "berth occupancy", "top_k": 5}]},
    )

    query: str = Field(min_length=1, max_length=2000, description="Question or keywords.")
    filters: FiltersIn = Field(default_factory=FiltersIn, description="Catalog filters.")
    top_k: int = Field(
        default=10,
        ge=1,
        le=50,
        description="Number of hits (1–50); a page lists once before every other page that "
        "qualifies.",
    )


class HitOut(BaseModel):
    """One search hit: a chunk of a page, with its document and links."""

    chunk_id: str = Field(description="Chunk id (for `GET /chunks/{id}/similar`).")
    doc_id: str = Field(description="Document id: its path in the library.")
    title: str = Field(description="Document title.")
    page: int = Field(description="Page (or slide) number, from 1.")
    heading: str = Field(description="Section heading of the chunk, if any.")
    snippet: str = Field(
        description="HTML-escaped excerpt with query words in <mark>…</mark>.",
        examples=["… the <mark>berth</mark> <mark>occupancy</mark> ratio …"],
    )
    text: str = Field(description="The chunk's full text (plain).")
    score: float = Field(description="Fused relevance score (higher is better).")
    language: str = Field(description="Language of the chunk.")
    kind: str = Field(description="Document kind.")
    event: str = Field(description="Course, conference or meeting.")
    year: int = Field(description="Year (0 when unknown).")
    page_image_url: str = Field(description="PNG of the page.")
    file_url: str = Field(description="The document file (add `#page=N` for PDFs).")


class SearchResponse(BaseModel):
    """Hits for one query."""

    query: str
    language: str = Field(
        default="",
        description="The language the query was read in: the likeliest of the languages "
        "Portwise serves and those the library holds.",
        examples=["en"],
    )
    hits: list[HitOut]
    timings: dict[str, float] = Field(description="Milliseconds per step.")
    translation: str | None = Field(
        default=None,
        description="The query's English translation, also searched (search.translate = all).",
    )


class MessageIn(BaseModel):
    """One earlier turn of the conversation."""

    role: Literal["user", "assistant", "system"]
    content: str = Field(max_length=8000)


class AskRequest(_Query):
    """A question with the conversation so far and optional filters."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"question": "What is berth occupancy?"}]},
    )

    question: str = Field(min_length=1, max_length=2000, description="The question, any language.")
    history: list[MessageIn] = Field(default=[], max_length=20, description="Earlier turns.")
    filters: FiltersIn = Field(default_factory=FiltersIn, description="Catalog filters.")


class CitationOut(BaseModel):
    """A numbered reference from the answer to a page, with the quoted sentence."""

    n: int = Field(description="The marker number used in the answer, e.g. 1 for [1].")
    doc_id: str
    title: str
    page: int
    quote: str = Field(description="The sentence of the page that supports the claim (verbatim).")
    page_image_url: str
    file_url: str


class SourceOut(BaseModel):
    """A numbered context chunk (or, for a refusal, one of the closest documents)."""

    n: int
    doc_id: str
    title: str
    page: int
    score: float
    page_image_url: str
    file_url: str


class AskResponse(BaseModel):
    """A verified answer: every kept sentence cites a page that supports it."""

    answer: str = Field(description="Answer text with [n] citation markers.")
    language: str = Field(description="Language of the answer (that of the question).")
    refused: bool = Field(description="True when the materials do not cover the question.")
    citations: list[CitationOut]
    sources: list[SourceOut] = Field(description="The numbered context (closest docs if refused).")
    backend: str = Field(description="What produced the answer: local, openai or extractive.")
    timings: dict[str, float] = Field(description="Milliseconds per step (and the relevance).")


class DocumentOut(BaseModel):
    """An indexed document's catalog metadata and size."""

    doc_id: str
    title: str
    kind: str
    event: str
    year: int
    language: str
    topics: list[str]
    country: str
    audience: str
    authors: list[str]
    organisation: str
    format: str = Field(description="File format: pdf, pptx, docx, html, md or txt.")
    page_count: int
    chunk_count: int
    file_url: str


class PageOut(BaseModel):
    """One page of a document."""

    number: int
    image_url: str


class DocumentDetail(DocumentOut):
    """A document with its pages."""

    pages: list[PageOut]


class DocumentList(BaseModel):
    """One page of the document list."""

    total: int = Field(description="Documents matching the filters.")
    offset: int
    limit: int
    documents: list[DocumentOut]


class FacetsOut(BaseModel):
    """Document counts per value of each catalog field."""

    facets: dict[str, dict[str, int]] = Field(
        examples=[{"kind": {"lecture": 12, "guideline": 4}, "language": {"en": 20, "th": 3}}]
    )


class JobOut(BaseModel):
    """A background ingest: progress and, once finished, its report."""

    id: str
    kind: Literal["upload", "reindex"]
    status: Literal["queued", "running", "done", "failed", "interrupted"]
    created: float = Field(description="Unix time.")
    files_total: int
    files_done: int
    current: str = Field(description="The file being ingested now.")
    doc_ids: list[str] = Field(description="Documents this job adds (uploads).")
    report: dict[str, Any] | None = Field(description="The ingest report, once finished.")
    error: str


class JobAccepted(BaseModel):
    """A queued job and where to follow it."""

    job_id: str
    status: str
    doc_ids: list[str]
    status_url: str


class JobList(BaseModel):
    """Recent jobs, newest first."""

    jobs: list[JobOut]


class CitationIn(BaseModel):
    """A citation of the rated answer."""

    n: int = Field(ge=1)
    doc_id: str = Field(max_length=500)
    page: int = Field(ge=1)
    quote: str = Field(default="", max_length=4000)


class FeedbackRequest(BaseModel):
    """A rating of one answer: +1 helpful, -1 not."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [{"question": "What is TEU?", "answer": "…[1].", "rating": 1}]
        },
    )

    question: str = Field(min_length=1, max_length=2000)
    answer: str = Field(max_length=20000)
    citations: list[CitationIn] = Field(default=[], max_length=20)
    rating: Literal[1, -1] = Field(description="+1 (helpful) or -1 (not helpful).")
    language: str = Field(default="", max_length=8)


class FeedbackStored(BaseModel):
    """Acknowledgement of a rating."""

    stored: bool = True


class GapOut(BaseModel):
    """A question the materials could not answer."""

    question: str
    language: str
    asked: float = Field(description="Unix time.")
    closest: list[str] = Field(description="Ids of the nearest documents.")


class GapList(BaseModel):
    """Recent knowledge gaps, newest first."""

    gaps: list[GapOut]


class Deleted(BaseModel):
    """A removed document."""

    doc_id: str
    deleted: bool = True


class Health(BaseModel):
    """Liveness or readiness."""

    status: str = Field(examples=["ok"])
    checks: dict[str, str] = Field(default={}, description="Failed checks, if any.")


class UploadFields(BaseModel):
    """Catalog fields given with an upload (form fields); they apply to every file sent."""

    title: str = Field(default="", max_length=300, description="Title; default: the file name.")
    kind: str = Field(default="", description="lecture, slides, guideline, report, faq, …")
    event: str = Field(default="", max_length=300, description="Course, conference or meeting.")
    year: int | None = Field(default=None, description="Year of the event.")
    language: str = Field(default="", max_length=8, description="Language code; detected if empty.")
    topics: list[str] = Field(default=[], description="Topic slugs (repeat, or `a;b`).")
    country: str = Field(default="", max_length=100)
    audience: str = Field(default="", max_length=100)
    authors: list[str] = Field(default=[], description="Authors (repeat, or `a;b`).")
    organisation: str = Field(default="", max_length=300)

    def catalog_fields(self) -> dict[str, Any]:
        """The fields as catalog values (lists split on `;`)."""
        values = self.model_dump()
        for name in ("topics", "authors"):
            values[name] = [
                p.strip() for item in values[name] for p in item.split(";") if p.strip()
            ]
        return values
