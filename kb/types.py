"""Typed values that flow through Portwise: pages, chunks, hits, citations, answers."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

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

    @property
    def text(self) -> str:
        """The page's whole text, headings included."""
        return "\n".join(f"{s.heading}\n{s.text}" if s.heading else s.text for s in self.sections)


@dataclass(frozen=True)
class LoadedDocument:
    """What a loader read from one file: its pages and a title if the file names one."""

    pages: tuple[Page, ...]
    title: str = ""


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
