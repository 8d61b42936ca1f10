"""The server's own records in one SQLite file (WAL): answer feedback, knowledge gaps, ingest jobs."""

from __future__ import annotations

import csv
import io
import json
import sqlite3
import time
from collections.abc import Iterator, Sequence
from contextlib import closing, contextmanager
from dataclasses import replace
from pathlib import Path
from typing import Any

from kb.types import Answer, Gap, Job

SCHEMA = """
CREATE TABLE IF NOT EXISTS feedback (
    id INTEGER PRIMARY KEY, asked REAL NOT NULL, question TEXT NOT NULL, answer TEXT NOT NULL,
    citations TEXT NOT NULL, sources TEXT NOT NULL, rating INTEGER NOT NULL, language TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS gaps (
    id INTEGER PRIMARY KEY, asked REAL NOT NULL, question TEXT NOT NULL, language TEXT NOT NULL,
    closest TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS jobs (
    id TEXT PRIMARY KEY, kind TEXT NOT NULL, status TEXT NOT NULL, created REAL NOT NULL,
    files_total INTEGER NOT NULL, files_done INTEGER NOT NULL, current TEXT NOT NULL,
    doc_ids TEXT NOT NULL, report TEXT, error TEXT NOT NULL
);
"""
FEEDBACK_COLUMNS = ("asked", "question", "answer", "citations", "sources", "rating", "language")
GAP_COLUMNS = ("asked", "question", "language", "closest")
JOB_COLUMNS = (
    "id",
    "kind",
    "status",
    "created",
    "files_total",
    "files_done",
    "current",
    "doc_ids",
    "report",
    "error",
)
_FORMULA = ("=", "+", "-", "@", "\t", "\r")  # spreadsheet formula starts (CSV injection)


class Records:
    """Feedback, gaps and jobs in `<data_dir>/portwise.sqlite3`; safe to use from several threads."""

    def __init__(self, data_dir: Path) -> None:
        data_dir.mkdir(parents=True, exist_ok=True)
        self.path = data_dir / "portwise.sqlite3"
        with self._connect() as db:
            db.execute("PRAGMA journal_mode=WAL")
            db.executescript(SCHEMA)

    @contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        with closing(sqlite3.connect(self.path, timeout=10)) as db, db:
            yield db

    # -- feedback and gaps -------------------------------------------------------------------
    def add_feedback(self, question: str, answer: Answer, rating: int) -> None:
        """Store a rating with the question, the answer text, its citations and sources."""
        citations = [
            {"n": c.n, "doc_id": c.doc_id, "page": c.page, "quote": c.quote}
            for c in answer.citations
        ]
        pages = [(c.doc_id, c.page) for c in answer.citations]
        pages += [(h.chunk.doc_id, h.chunk.page) for h in answer.sources]
        sources = [f"{doc}#page={page}" for doc, page in dict.fromkeys(pages)]
        row = (time.time(), question, answer.text, _dump(citations), _dump(sources), rating)
        with self._connect() as db:
            db.execute(
                f"INSERT INTO feedback ({', '.join(FEEDBACK_COLUMNS)}) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (*row, answer.language),
            )

    def add_gap(self, question: str, language: str, closest: Sequence[str]) -> None:
        """Record a question the materials could not answer, with the nearest documents."""
        with self._connect() as db:
            db.execute(
                "INSERT INTO gaps (asked, question, language, closest) VALUES (?, ?, ?, ?)",
                (time.time(), question, language, _dump(list(closest))),
            )

    def gaps(self, limit: int = 50) -> list[Gap]:
        """The most recent gaps, newest first."""
        with self._connect() as db:
            rows = db.execute(
                "SELECT asked, question, language, closest FROM gaps ORDER BY id DESC LIMIT ?",
                (limit,),
            ).fetchall()
        return [Gap(q, lang, asked, tuple(json.loads(c))) for asked, q, lang, c in rows]

    def feedback_count(self) -> int:
        """How many ratings are stored."""
        with self._connect() as db:
            return int(db.execute("SELECT COUNT(*) FROM feedback").fetchone()[0])

    def feedback_csv(self) -> str:
        """Every rating as CSV (oldest first), one row per answer rated."""
        return self._csv("feedback", FEEDBACK_COLUMNS)

    def gaps_csv(self) -> str:
        """Every recorded gap as CSV (oldest first)."""
        return self._csv("gaps", GAP_COLUMNS)

    def _csv(self, table: str, columns: Sequence[str]) -> str:
        with self._connect() as db:
            rows = db.execute(f"SELECT {', '.join(columns)} FROM {table} ORDER BY id").fetchall()
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow(columns)
        for row in rows:
            writer.writerow([_cell(column, value) for column, value in zip(columns, row)])
        return out.getvalue()

    # -- jobs --------------------------------------------------------------------------------
    def save_job(self, job: Job) -> None:
        """Insert or update a job."""
        values = (
            job.id,
            job.kind,
            job.status,
            job.created,
            job.files_total,
            job.files_done,
            job.current,
            _dump(list(job.doc_ids)),
            _dump(job.report) if job.report is not None else None,
            job.error,
        )
        marks = ", ".join("?" for _ in JOB_COLUMNS)
        with self._connect() as db:
            db.execute(
                f"INSERT OR REPLACE INTO jobs ({', '.join(JOB_COLUMNS)}) VALUES ({marks})", values
            )

    def job(self, job_id: str) -> Job | None:
        """One job, or None."""
        with self._connect() as db:
            row = db.execute(
                f"SELECT {', '.join(JOB_COLUMNS)} FROM jobs WHERE id = ?", (job_id,)
            ).fetchone()
        return _job(row) if row else None

    def jobs(self, limit: int = 20, status: str | None = None) -> list[Job]:
        """Recent jobs (optionally of one status), newest first."""
        query = f"SELECT {', '.join(JOB_COLUMNS)} FROM jobs"
        params: tuple[Any, ...] = ()
        if status is not None:
            query, params = f"{query} WHERE status = ?", (status,)
        with self._connect() as db:
            rows = db.execute(
                f"{query} ORDER BY created DESC, rowid DESC LIMIT ?", (*params, limit)
            )
            return [_job(row) for row in rows.fetchall()]

    def interrupt_running(self) -> list[Job]:
        """Mark jobs left `running` by a stopped server as `interrupted`; returns them."""
        stale = self.jobs(limit=1000, status="running")
        for job in stale:
            note = "the server stopped during this job; a reindex was queued to finish it"
            self.save_job(replace(job, status="interrupted", current="", error=note))
        return stale


def _dump(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


def _job(row: Sequence[Any]) -> Job:
    values = dict(zip(JOB_COLUMNS, row))
    values["doc_ids"] = tuple(json.loads(values["doc_ids"]))
    values["report"] = json.loads(values["report"]) if values["report"] else None
    return Job(**values)


def _cell(column: str, value: Any) -> Any:
    """A CSV cell: times as ISO text; text that a spreadsheet would run as a formula is quoted."""
    if column == "asked":
        return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(float(value)))
    if isinstance(value, str) and value.startswith(_FORMULA):
        return "'" + value
    return value
