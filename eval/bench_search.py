"""Search benchmark: p50/p95/p99 of `Retriever.search` over the project question set, on the current store.

Same-run baselines: the dense-only system, and bare `store.search` with query vectors computed
beforehand (Chroma's nearest-neighbour lookup alone), so the hybrid figure can be read as
"what fusion, lexical search and filters add" independent of how fast this machine is today.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from eval.datasets import load_question_set
from eval.metrics import percentile
from eval.retrieval import to_filters
from kb.embedder import Embedder
from kb.errors import StoreError
from kb.settings import Settings
from kb.store import Store
from server.retrieve import Mode, Retriever

K = 10


def _timed(calls: Sequence[Callable[[], object]], warmup: int = 3) -> dict[str, float]:
    """Run each call once (after a few warm-up calls) and summarise the milliseconds."""
    for call in calls[:warmup]:
        call()
    ms = []
    for call in calls:
        began = time.perf_counter()
        call()
        ms.append((time.perf_counter() - began) * 1000)
    return {
        "mean_ms": round(sum(ms) / max(len(ms), 1), 2),
        "p50_ms": round(percentile(ms, 50), 2),
        "p95_ms": round(percentile(ms, 95), 2),
        "p99_ms": round(percentile(ms, 99), 2),
    }


def run_search_bench(settings: Settings, embedder: Embedder, results: Path) -> dict[str, Any]:
    """Time hybrid, dense-only and bare store search over every question; write search.json."""
    store = Store(settings.store, embedder.name, embedder.dim)
    if store.count() == 0:
        raise StoreError(f"the store at {store.location} is empty; run `portwise ingest` first")
    questions = load_question_set()
    retriever = Retriever(store, embedder, settings.search)
    vectors = embedder.embed_queries([q.text for q in questions])

    def searcher(mode: Mode) -> list[Callable[[], object]]:
        return [
            lambda q=q: retriever.search(q.text, k=K, filters=to_filters(q.filters), mode=mode)
            for q in questions
        ]

    figures: dict[str, Any] = {
        "questions": len(questions),
        "chunks": store.count(),
        "k": K,
        "embedder": embedder.name,
        "hybrid": _timed(searcher("hybrid")),
        "dense": _timed(searcher("dense")),
        "bare_store_search": _timed([lambda v=v: store.search(v, K) for v in vectors]),
    }
    figures["hybrid_over_dense_p50"] = round(
        figures["hybrid"]["p50_ms"] / max(figures["dense"]["p50_ms"], 1e-9), 3
    )
    results.mkdir(parents=True, exist_ok=True)
    (results / "search.json").write_text(json.dumps(figures, indent=2), encoding="utf-8")
    return figures
