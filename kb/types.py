"""Typed values that flow through Portwise: pages, chunks, hits, citations, answers."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from kb.store import MetaFilter

# Metadata values Chroma can store: scalars only.
MetaValue = str | int | float | bool
Meta = Mapping[str, MetaValue]


@dataclass(frozen=True)
class Section:
    """A run of text under one heading, inside a page."""

    heading: str
    text: str


@dataclass(frozen=True)
class Page:
    """One page of a document: a PDF page, a slide (with its notes), or a whole text file."""

    doc_id: str
    number: int
    sections: tuple[Section, ...]
    language: str
    ocr: bool = False  # the text was read from the page image by OCR

    @property
    def text(self) -> str:
        """The page's whole text, headings included."""
        return "\n".join(f"{s.heading}\n{s.text}" if s.heading else s.text for s in self.sections)


@dataclass(frozen=True)
class LoadedDocument:
    """What a loader read from one file: its pages and a title if the file names one."""

    pages: tuple[Page, ...]
    title: str = ""
    notes: tuple[str, ...] = ()  # what the loader worked around (pages OCRed, pages left out)


@dataclass(frozen=True)
class Chunk:
    """A piece of one page, small enough to embed, with everything needed to cite it."""

    id: str
    doc_id: str
    page: int
    position: int
    text: str
    language: str
    heading: str = ""
    meta: Meta = field(default_factory=dict)

    @staticmethod
    def make_id(doc_id: str, position: int, text: str) -> str:
        """Deterministic id: the same document, position and text always give the same id."""
        digest = hashlib.sha256(f"{doc_id}\x00{position}\x00{text}".encode()).hexdigest()
        return digest[:32]

    @property
    def shown_heading(self) -> str:
        """The heading to show above the chunk's text: its slide title, section or FAQ question.

        Ingest keeps a chunk's heading apart from its text (428 of the sample library's 643
        chunks: slides, FAQ entries, report sections), so a hit shown without it reads as bullets
        or an answer with no question. "" when there is none, when it is the document's title
        (shown with the document) or when the text already starts with it.
        """
        heading = " ".join(self.heading.split())
        title = " ".join(str(self.meta.get("title", "")).split())
        if not heading or heading == title or " ".join(self.text.split()).startswith(heading):
            return ""
        return heading


@dataclass(frozen=True)
class Hit:
    """A chunk found by a search, with its fused score and the per-leg ranks that produced it."""

    chunk: Chunk
    score: float
    ranks: Mapping[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class DocumentRecord:
    """What the store knows about one indexed document (written only once all its chunks are in)."""

    doc_id: str
    content_hash: str
    chunk_count: int
    page_count: int
    meta: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Citation:
    """A numbered reference from an answer to a page of a document, with the quoted text."""

    n: int
    doc_id: str
    page: int
    quote: str


@dataclass(frozen=True)
class Answer:
    """A generated or extracted answer with its verified citations."""

    text: str
    citations: tuple[Citation, ...]
    language: str
    refused: bool = False
    sources: tuple[Hit, ...] = ()
    timings: Mapping[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class Filters:
    """Catalog filters; every field optional, an empty one filters nothing. Values of one field OR."""

    kind: tuple[str, ...] = ()
    event: tuple[str, ...] = ()
    language: tuple[str, ...] = ()
    topics: tuple[str, ...] = ()
    country: tuple[str, ...] = ()
    audience: tuple[str, ...] = ()
    year_from: int | None = None
    year_to: int | None = None

    def to_meta(self, skip: str = "") -> MetaFilter:
        """The store's metadata filter (optionally without one field, for facet counts)."""
        from kb.store import MetaFilter  # the store imports these types: import at call time

        any_of = {
            f.name: tuple(getattr(self, f.name))
            for f in fields(self)
            if f.name not in ("year_from", "year_to", skip) and getattr(self, f.name)
        }
        if skip == "year":
            return MetaFilter(any_of)
        return MetaFilter(any_of, self.year_from, self.year_to)


@dataclass(frozen=True)
class Sources:
    """First event of a stream: the numbered context (or, when refusing, the closest documents)."""

    hits: tuple[Hit, ...]
    refused: bool
    language: str
    question: str


@dataclass(frozen=True)
class Token:
    """A piece of the answer as it is generated (before verification)."""

    text: str


@dataclass(frozen=True)
class Done:
    """Last event: the verified answer and the backend that produced it."""

    answer: Answer
    backend: str


Event = Sources | Token | Done


@dataclass(frozen=True)
class Job:
    """A background ingest (upload or reindex): its progress and, once finished, its report."""

    id: str
    kind: str  # "upload" | "reindex"
    status: str  # "queued" | "running" | "done" | "failed"
    created: float  # unix time
    files_total: int = 0
    files_done: int = 0
    current: str = ""  # the file being ingested now
    doc_ids: tuple[str, ...] = ()  # documents this job adds (uploads)
    report: Mapping[str, Any] | None = None  # SyncReport.to_json() when finished
    error: str = ""


@dataclass(frozen=True)
class Gap:
    """A question the materials could not answer: a knowledge gap for the curators."""

    question: str
    language: str
    asked: float  # unix time
    closest: tuple[str, ...] = ()  # doc ids of the nearest documents
