"""What the screens need from the engine: a protocol over kb's types, so `ui` never imports `server`.

`server.service.Service` implements it; tests may hand the screens any object with these methods.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any, Protocol

from kb.types import Answer, DocumentRecord, Event, Filters, Gap, Hit, Job


class Engine(Protocol):
    """Search, answers, the library, feedback and administration, in one object."""

    def search(self, query: str, filters: Filters | None = None, k: int = 10) -> list[Hit]:
        """The best chunks for `query` (hybrid search). Raises PortwiseError (422) when empty."""
        ...

    def similar(self, chunk_id: str, k: int = 10) -> list[Hit]:
        """More like this: chunks of other pages/documents nearest to one chunk."""
        ...

    def stream(
        self,
        question: str,
        history: Sequence[Mapping[str, str]] = (),
        filters: Filters | None = None,
    ) -> Iterator[Event]:
        """Sources first, then answer tokens, then the verified Answer (kb.types events)."""
        ...

    def facets(self, filters: Filters | None = None) -> dict[str, dict[str, int]]:
        """Document counts per value of each catalog field (kind, event, year, language, ...)."""
        ...

    def documents(self, filters: Filters | None = None) -> list[DocumentRecord]:
        """Indexed documents matching `filters`, sorted by event, year, title."""
        ...

    def document(self, doc_id: str) -> DocumentRecord:
        """One document's record. Raises NotFoundError (404)."""
        ...

    def document_file(self, doc_id: str) -> Path:
        """The document's file on disk (for download). Raises NotFoundError (404)."""
        ...

    def page_image(self, doc_id: str, page: int, width: int = 900) -> Path:
        """A PNG of one page or slide, rendered once and cached. Raises NotFoundError (404)."""
        ...

    def page_text(self, doc_id: str, page: int) -> str:
        """The indexed text of one page (its chunks joined in order)."""
        ...

    def record_feedback(self, question: str, answer: Answer, rating: int) -> None:
        """Store a thumbs up (+1) or down (-1) with the question, answer and its sources."""
        ...

    def gaps(self, limit: int = 50) -> list[Gap]:
        """Recent questions the materials could not answer (refusals), newest first."""
        ...

    def check_admin(self, api_key: str) -> None:
        """Raises AuthError (401/403) unless `api_key` is a configured admin key."""
        ...

    def upload(self, files: Sequence[tuple[str, bytes]], fields: Mapping[str, Any]) -> Job:
        """Store uploaded files (name, bytes) with catalog fields; ingest them in the background."""
        ...

    def job(self, job_id: str) -> Job:
        """An ingest job's state. Raises NotFoundError (404)."""
        ...

    def jobs(self, limit: int = 20) -> list[Job]:
        """Recent jobs, newest first (the last one holds the last ingest report)."""
        ...

    def delete_document(self, doc_id: str) -> None:
        """Remove a document from the library and the store. Raises NotFoundError (404)."""
        ...
