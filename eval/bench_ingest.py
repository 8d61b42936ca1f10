"""Ingest benchmark: pages/s, chunks/s and embeddings/s on a library, and the pipeline's overhead ratio.

The baseline in the same run is the bare embedder (`embed_passages` on exactly the texts the pipeline
embedded), so the ratio `ingest seconds / bare embedding seconds` shows what loading, chunking,
segmentation and storage add, independent of how fast this machine happens to be today.
"""

from __future__ import annotations

import json
import tempfile
import time
from pathlib import Path
from typing import Any

from ingest.chunk import chunk_pages
from ingest.load import load_document
from ingest.pipeline import Syncer, discover, embed_text
from kb.catalog import load_catalog
from kb.embedder import make_embedder, sparse_head
from kb.errors import DocumentReadError
from kb.settings import Settings
from kb.store import Store


def run_ingest_bench(folder: Path, settings: Settings, results: Path) -> dict[str, Any]:
    """Ingest `folder` twice into a scratch store (cold, then unchanged) and time the bare embedder."""
    embedder = make_embedder(settings.embedder)
    with tempfile.TemporaryDirectory(prefix="portwise-bench-") as scratch:
        settings.store.path = scratch
        store = Store(settings.store, embedder.name, embedder.dim)
        syncer = Syncer.from_settings(store, embedder, settings)
        first = syncer.sync(folder)
        second = syncer.sync(folder)
    texts = _embedded_texts(folder, settings, embedder.token_count)
    began = time.perf_counter()
    for start in range(0, len(texts), settings.embedder.batch_size):
        embedder.embed_passages(texts[start : start + settings.embedder.batch_size])
    bare = time.perf_counter() - began
    # The sparse head is a second model pass per chunk: part of the model's cost, not overhead.
    head = sparse_head(embedder) if settings.embedder.sparse_terms else None
    bare_sparse = 0.0
    if head is not None:
        began = time.perf_counter()
        for start in range(0, len(texts), settings.embedder.batch_size):
            batch = texts[start : start + settings.embedder.batch_size]
            head.embed_sparse(batch, settings.embedder.sparse_terms)
        bare_sparse = time.perf_counter() - began
    totals = first.totals()
    figures = {
        "files": totals["indexed"],
        "failed": totals["failed"],
        "pages": totals["pages"],
        "chunks": totals["chunks"],
        "ingest_seconds": round(first.seconds, 2),
        "embed_seconds_in_ingest": round(first.embed_seconds, 2),
        "pages_per_s": round(totals["pages"] / first.seconds, 2),
        "chunks_per_s": round(totals["chunks"] / first.seconds, 2),
        "embeddings_per_s": round(totals["embedded"] / max(first.embed_seconds, 1e-9), 2),
        "sparse_seconds_in_ingest": round(first.sparse_seconds, 2),
        "bare_embed_seconds": round(bare, 2),
        "bare_sparse_seconds": round(bare_sparse, 2),
        "overhead_ratio_ingest_over_bare_embed": round(first.seconds / (bare + bare_sparse), 3),
        "embedding_share_of_ingest": round(
            (first.embed_seconds + first.sparse_seconds) / first.seconds, 3
        ),
        "rerun_seconds": round(second.seconds, 3),
        "rerun_embedded": second.totals()["embedded"],
        "rerun_ratio_to_first": round(second.seconds / first.seconds, 4),
        "embedder": embedder.name,
    }
    results.mkdir(parents=True, exist_ok=True)
    (results / "ingest.json").write_text(json.dumps(figures, indent=2), encoding="utf-8")
    return figures


def _embedded_texts(folder: Path, settings: Settings, count: Any) -> list[str]:
    """The exact texts the pipeline embeds, rebuilt outside it (for the bare-embedder baseline)."""
    catalog = load_catalog(folder)
    texts: list[str] = []
    for doc_id, path in discover(catalog.library).items():
        entry = catalog.entry_for(doc_id)
        try:
            document = load_document(path, doc_id, entry.password if entry else "")
        except DocumentReadError:  # failed files embed nothing in the pipeline either
            continue
        chunks = chunk_pages(
            document.pages, count, settings.chunk.max_tokens, settings.chunk.overlap_tokens
        )
        title = (entry.title if entry else "") or document.title
        texts.extend(embed_text(c, title) for c in chunks)
    return texts
