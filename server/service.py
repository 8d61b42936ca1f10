"""The service object behind the HTTP API and the UI: search, answers, library, feedback, administration."""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kb.embedder import Embedder
from kb.errors import NotFoundError, PortwiseError
from kb.settings import Settings
from kb.store import Store
from kb.types import Answer, DocumentRecord, Done, Event, Filters, Gap, Hit, Job
from server.answer import Asker
from server.auth import check_key
from server.feedback import Records
from server.jobs import JobRunner
from server.llm import Message
from server.pages import PageRenderer, join_overlapping
from server.retrieve import Retriever, SearchResult
from server.uploads import UPLOADS_DIR, Uploads, UploadTooLargeError, stored_file

logger = logging.getLogger(__name__)


class NotReadyError(PortwiseError):
    """The service was used before it was started (or after it was closed)."""

    status = 503


@dataclass(frozen=True)
class Parts:
    """What an open service holds: models, store, pipelines, records, workers."""

    embedder: Embedder
    store: Store
    retriever: Retriever
    asker: Asker
    records: Records
    runner: JobRunner
    uploads: Uploads
    pages: PageRenderer


class Service:
    """Implements `ui.engine.Engine` over one store and library; `start()` loads the models."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._parts: Parts | None = None
        self.warmed = threading.Event()  # set once the background warm-up is over (or off)

    @classmethod
    def open(cls, settings: Settings) -> Service:
        """A started service."""
        service = cls(settings)
        service.start()
        return service

    def start(self) -> None:
        """Load the embedder, open the store and records, start the ingest worker (once)."""
        if self._parts is not None:
            return
        from ingest.pipeline import Syncer
        from kb.embedder import make_embedder
        from server.llm import make_llm
        from server.translate import translator_for

        settings = self.settings
        embedder = make_embedder(settings.embedder)
        store = Store(settings.store, embedder.name, embedder.dim)
        try:
            llm = make_llm(settings.answer)
        except PortwiseError as exc:
            logger.warning("no LLM (%s); answering extractively", exc.message)
            llm = None
        translator = translator_for(llm, settings.search)
        retriever = Retriever(store, embedder, settings.search, translator=translator)
        data = Path(settings.server.data_dir)
        records = Records(data)
        syncer = Syncer.from_settings(store, embedder, settings)
        runner = JobRunner(records, lambda progress: syncer.sync(settings.library.root, progress))
        cap = int(settings.server.max_upload_mb * 1e6)
        self._parts = Parts(
            embedder=embedder,
            store=store,
            retriever=retriever,
            asker=Asker(retriever, embedder, llm, settings.answer),
            records=records,
            runner=runner,
            uploads=Uploads(settings.library.root, cap, settings.server.max_pages),
            pages=PageRenderer(data),
        )
        runner.start()
        if settings.server.warm_up:
            threading.Thread(target=self._warm, args=(retriever,), daemon=True).start()
        else:
            self.warmed.set()

    def _warm(self, retriever: Retriever) -> None:
        """Build the search index and load the search models before the first question."""
        try:
            logger.info("search warmed up in %.1f s", retriever.warm())
        except Exception:  # a warm-up is an optimisation: the first search retries and reports
            logger.exception("search warm-up failed; the first search will build the index")
        finally:
            self.warmed.set()

    def close(self) -> None:
        """Stop the ingest worker (a sync cut short is finished at the next start)."""
        if self._parts is not None:
            self._parts.runner.stop()
            self._parts = None

    @property
    def parts(self) -> Parts:
        """The open service's parts."""
        if self._parts is None:
            raise NotReadyError("the service is not started yet; try again in a moment")
        return self._parts

    # -- search and answers ------------------------------------------------------------------
    def search(self, query: str, filters: Filters | None = None, k: int = 10) -> list[Hit]:
        """The best chunks for `query` (hybrid search)."""
        return self.search_result(query, filters, k).hits

    def search_result(
        self, query: str, filters: Filters | None = None, k: int = 10
    ) -> SearchResult:
        """Hits with the time each search step took."""
        translate = self.settings.search.translate == "all"
        return self.parts.retriever.search(query, k=k, filters=filters, translate=translate)

    def similar(self, chunk_id: str, k: int = 10) -> list[Hit]:
        """Chunks of other pages or documents nearest to one chunk."""
        store = self.parts.store
        found = store.existing_embeddings([chunk_id])
        chunks = store.chunks([chunk_id])
        if chunk_id not in found or not chunks:
            raise NotFoundError(f"no chunk {chunk_id!r}; use a chunk_id from a search hit")
        seen = {(chunks[0].doc_id, chunks[0].page)}
        hits = []
        for hit in store.search(found[chunk_id].vector, 4 * k + 8):
            place = (hit.chunk.doc_id, hit.chunk.page)
            if place not in seen:
                seen.add(place)
                hits.append(hit)
        return hits[:k]

    def stream(
        self,
        question: str,
        history: Sequence[Mapping[str, str]] = (),
        filters: Filters | None = None,
    ) -> Iterator[Event]:
        """Sources, answer tokens, then the verified answer; a refusal is recorded as a gap."""
        asker = self.parts.asker
        messages = [Message(role=m["role"], content=m["content"]) for m in history]
        # Answers run side by side; the local LLM queues its own generations (server/llm.py).
        for event in asker.stream(question, messages, filters):
            if isinstance(event, Done) and event.answer.refused:
                self._record_gap(question, event.answer)
            yield event

    def ask(
        self,
        question: str,
        history: Sequence[Mapping[str, str]] = (),
        filters: Filters | None = None,
    ) -> tuple[Answer, str]:
        """The verified answer and the backend that produced it."""
        done = [e for e in self.stream(question, history, filters) if isinstance(e, Done)]
        return done[-1].answer, done[-1].backend

    def _record_gap(self, question: str, answer: Answer) -> None:
        closest = list(dict.fromkeys(hit.chunk.doc_id for hit in answer.sources))
        self.parts.records.add_gap(question, answer.language, closest)

    @property
    def backend(self) -> str:
        """The configured answer backend (`extractive` when no LLM is loaded)."""
        return self.parts.asker.backend

    # -- the library -------------------------------------------------------------------------
    def facets(self, filters: Filters | None = None) -> dict[str, dict[str, int]]:
        """Document counts per value of each catalog field."""
        return self.parts.retriever.facets(filters)

    def check_filters(self, filters: Filters) -> None:
        """Raise FilterError for a value no indexed document has, listing the values there are."""
        self.parts.retriever.check_filters(filters)

    def documents(self, filters: Filters | None = None) -> list[DocumentRecord]:
        """Indexed documents matching `filters`, sorted by event, year, title."""
        where = (filters or Filters()).to_meta()
        records = [r for r in self.parts.store.documents().values() if where.matches(r.meta)]
        return sorted(records, key=_order)

    def document(self, doc_id: str) -> DocumentRecord:
        """One document's record."""
        record = self.parts.store.document(doc_id)
        if record is None:
            raise NotFoundError(f"no document {doc_id!r}; list them with GET /api/v1/documents")
        return record

    def document_file(self, doc_id: str) -> Path:
        """The document's file on disk."""
        self.document(doc_id)
        return stored_file(self.parts.uploads.folder(), doc_id)

    def page_image(self, doc_id: str, page: int, width: int = 900) -> Path:
        """A PNG of one page or slide, rendered once and cached."""
        record = self.document(doc_id)
        path = self.document_file(doc_id)

        def password() -> str:  # read from the catalog only when a page is rendered, not cached
            from kb.catalog import load_catalog

            entry = load_catalog(self.settings.library.root).entry_for(doc_id)
            return entry.password if entry else ""

        text = lambda: self.page_text(doc_id, page)  # noqa: E731 - drawn only without a renderer
        return self.parts.pages.image(path, record, page, width, text, password)

    def page_text(self, doc_id: str, page: int) -> str:
        """The indexed text of one page (its chunks joined, overlaps removed)."""
        record = self.document(doc_id)
        if not 1 <= page <= record.page_count:
            raise NotFoundError(f"{doc_id} has {record.page_count} page(s), not {page}")
        return join_overlapping([c.text for c in self.parts.store.page_chunks(doc_id, page)])

    def counts(self) -> tuple[int, int]:
        """(documents, chunks) in the store."""
        store = self.parts.store
        return len(store.documents()), store.count()

    def ready(self) -> dict[str, str]:
        """Readiness checks: an empty dict when everything is up, else {check: problem}."""
        if self._parts is None:
            return {"service": "not started"}
        try:
            self._parts.store.count()
        except Exception as exc:  # noqa: BLE001 - a probe reports whatever failed
            return {"store": f"{type(exc).__name__}: {exc}"}
        return {}

    # -- feedback ----------------------------------------------------------------------------
    def record_feedback(self, question: str, answer: Answer, rating: int) -> None:
        """Store a thumbs up (+1) or down (-1) with the question, answer and its sources."""
        self.parts.records.add_feedback(question, answer, rating)

    def gaps(self, limit: int = 50) -> list[Gap]:
        """Recent questions the materials could not answer, newest first."""
        return self.parts.records.gaps(limit)

    # -- administration ----------------------------------------------------------------------
    def check_admin(self, api_key: str) -> None:
        """Raise AuthError (401) or ForbiddenError (403) unless `api_key` is configured."""
        check_key(api_key, self.settings.server.api_keys)

    def upload(self, files: Sequence[tuple[str, bytes]], fields: Mapping[str, Any]) -> Job:
        """Store uploaded files with catalog fields; ingest them in the background."""
        most = self.settings.server.max_upload_files
        if len(files) > most:
            raise UploadTooLargeError(f"{len(files)} files in one upload; send at most {most}")
        doc_ids = self.parts.uploads.save(files, fields)
        return self.parts.runner.submit("upload", doc_ids)

    def reindex(self) -> Job:
        """Queue a full sync of the library."""
        return self.parts.runner.submit("reindex")

    def job(self, job_id: str) -> Job:
        """An ingest job's state."""
        return self.parts.runner.job(job_id)

    def jobs(self, limit: int = 20) -> list[Job]:
        """Recent jobs, newest first."""
        return self.parts.records.jobs(limit)

    def delete_document(self, doc_id: str) -> None:
        """Remove a document: its file (an upload's catalog row too) and its chunks."""
        parts = self.parts
        with parts.runner.lock:  # never while a sync is reading the library
            record = self.document(doc_id)
            folder = parts.uploads.folder()
            if doc_id.startswith(f"{UPLOADS_DIR}/"):
                parts.uploads.remove(doc_id)
            elif (folder / doc_id).is_file():  # kept aside, out of the library: no sync revives it
                path = stored_file(folder, doc_id)
                trash = Path(self.settings.server.data_dir) / "deleted"
                trash.mkdir(parents=True, exist_ok=True)
                path.replace(trash / f"{record.content_hash[:12]}-{path.name}")
            parts.store.delete_document(doc_id)
            parts.pages.forget(record)
        logger.info("deleted document %s", doc_id)


def _order(record: DocumentRecord) -> tuple[str, int, str]:
    meta = record.meta
    return str(meta.get("event", "")), int(meta.get("year") or 0), str(meta.get("title", ""))
