"""Background ingest jobs: one worker thread runs uploads and reindexes in order, one sync at a time."""

from __future__ import annotations

import logging
import queue
import threading
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import Any

from ingest.pipeline import FileResult, SyncProgress, SyncReport
from kb.errors import NotFoundError, PortwiseError
from kb.types import Job
from server.feedback import Records

logger = logging.getLogger(__name__)
Sync = Callable[[SyncProgress], SyncReport]


class JobProgress(SyncProgress):
    """Writes a running sync's progress (files looked at, the current file) into its job record."""

    def __init__(self, records: Records, job: Job) -> None:
        self.records = records
        self.job = job

    def _update(self, **changes: Any) -> None:
        self.job = replace(self.job, **changes)
        self.records.save_job(self.job)

    def start(self, files: int) -> None:
        """Record how many files the sync looks at."""
        self._update(files_total=files)

    def file_started(self, path: str) -> None:
        """Record the file being ingested."""
        self._update(current=path)

    def file_done(self, result: FileResult) -> None:  # noqa: ARG002 - the hook passes it
        """Count one more file done."""
        self._update(files_done=self.job.files_done + 1)


class JobRunner:
    """Queues ingest jobs and runs them on one worker thread; `lock` is held while a sync runs."""

    def __init__(self, records: Records, sync: Sync) -> None:
        self.records = records
        self._sync = sync
        self._queue: queue.Queue[str | None] = queue.Queue()
        self._thread: threading.Thread | None = None
        self.lock = threading.Lock()

    def start(self) -> None:
        """Recover from a previous run (interrupted jobs → a reindex), then start the worker."""
        if self.records.interrupt_running():
            logger.warning("a sync was interrupted by a restart; queuing a reindex")
            self.submit("reindex")
        for job in reversed(self.records.jobs(limit=1000, status="queued")):
            self._queue.put(job.id)
        self._thread = threading.Thread(target=self._work, name="portwise-jobs", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        """Ask the worker to finish after the current job (a sync cut short is redone at start)."""
        if self._thread is not None:
            self._queue.put(None)
            self._thread.join(timeout)
            self._thread = None

    def submit(self, kind: str, doc_ids: Sequence[str] = ()) -> Job:
        """Queue a job; the worker picks it up in order."""
        job = Job(uuid.uuid4().hex, kind, "queued", time.time(), doc_ids=tuple(doc_ids))
        self.records.save_job(job)
        if self._thread is not None:
            self._queue.put(job.id)
        return job

    def job(self, job_id: str) -> Job:
        """A job's current state."""
        job = self.records.job(job_id)
        if job is None:
            raise NotFoundError(f"no job {job_id!r}; list recent jobs with GET /api/v1/jobs")
        return job

    def _work(self) -> None:
        while (job_id := self._queue.get()) is not None:
            job = self.records.job(job_id)
            if job is not None and job.status == "queued":
                self._run(job)

    def _run(self, job: Job) -> None:
        job = replace(job, status="running")
        self.records.save_job(job)
        progress = JobProgress(self.records, job)
        try:
            with self.lock:
                report = self._sync(progress)
        except PortwiseError as exc:
            self.records.save_job(replace(progress.job, status="failed", error=exc.message))
            return
        except Exception as exc:  # the worker thread's edge: log it, fail the job, go on
            logger.exception("ingest job %s crashed", job.id)
            error = f"unexpected error ({type(exc).__name__}: {exc}); see the server log"
            self.records.save_job(replace(progress.job, status="failed", error=error))
            return
        self.records.save_job(finished(progress.job, report))


def finished(job: Job, report: SyncReport) -> Job:
    """The job once its sync is done: failed when a file it was meant to add could not be read."""
    own = set(job.doc_ids)
    failures = [f for f in report.files if f.status == "failed" and (f.doc_id in own or not own)]
    error = "; ".join(f"{f.doc_id}: {f.reason}" for f in failures)
    status = "failed" if own and failures else "done"
    return replace(job, status=status, current="", report=report.to_json(), error=error)
