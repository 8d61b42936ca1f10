"""Search over the store: the question is embedded once and matched against chunk vectors in Chroma."""

from __future__ import annotations

import time
from dataclasses import dataclass

from kb.embedder import Embedder
from kb.errors import PortwiseError
from kb.store import Store
from kb.types import Hit


class EmptyQueryError(PortwiseError):
    """The question was empty or whitespace."""

    status = 422


@dataclass(frozen=True)
class SearchResult:
    """Hits for one query, with how long each step took (milliseconds)."""

    query: str
    hits: list[Hit]
    timings: dict[str, float]


class Retriever:
    """Dense search through the store."""

    def __init__(self, store: Store, embedder: Embedder) -> None:
        self.store = store
        self.embedder = embedder

    def search(self, query: str, k: int = 10) -> SearchResult:
        """The `k` best chunks for `query`."""
        if not query.strip():
            raise EmptyQueryError("the query is empty; type a question or some keywords")
        began = time.perf_counter()
        vector = self.embedder.embed_queries([query])[0]
        embedded = time.perf_counter()
        hits = self.store.search(vector, k)
        done = time.perf_counter()
        timings = {"embed_ms": (embedded - began) * 1000, "store_ms": (done - embedded) * 1000}
        return SearchResult(query=query, hits=hits, timings=timings)
