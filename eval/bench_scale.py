"""Scale benchmark: search latency, HNSW recall and memory at 1k/10k/100k chunks, in both store modes.

Chunks are real text (XQuAD passages, NTREX documents, the sample library) cut by the product's
chunker and embedded once by the product's embedder; vectors are cached under the results folder,
so a rerun embeds nothing. This machine embeds ~14 passages/s, and the public text on hand makes
about 10k chunks, so beyond the real chunks the collection grows by *derived* vectors: each is a
real vector plus a fixed-norm random perturbation (cosine ≈ 0.94 to its source), keeping its source's
text, language and metadata. That keeps the clustered, anisotropic geometry of real embeddings (which
is what makes HNSW hard), and the report says how many vectors were real.

References in the same run: bare Chroma (`collection.query` with the query vector computed before)
and an exact numpy top-k over the same vectors. Recall@10 of the store is measured against the latter.
"""

from __future__ import annotations

import hashlib
import json
import logging
import resource
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np

from eval.metrics import percentile
from kb.embedder import Embedder
from kb.languages import lexical_tokens
from kb.settings import Settings, StoreSettings
from kb.store import Store
from kb.types import Chunk, DocumentRecord, Page, Section
from server.retrieve import Retriever

logger = logging.getLogger(__name__)
EVAL_DATA = Path(__file__).resolve().parents[2] / "shared" / "eval-data"
NTREX_LANGUAGES = {"deu": "de", "eng-US": "en", "fil": "fil", "ind": "ms", "khm": "km"}
NTREX_LANGUAGES |= {"lao": "lo", "msa": "ms", "tha": "th", "vie": "vi", "zho-CN": "zh"}
PERTURBATION = 0.35  # norm of the random step added to a real vector (cos ≈ 1/sqrt(1+0.35²))
DOC_SIZE = 10  # chunks per synthetic document record


def real_pages(library: Path) -> list[Page]:
    """Every page of text on hand: XQuAD passages, NTREX documents and the sample library."""
    from ingest.load import load_document
    from ingest.pipeline import discover

    pages = []
    for path in sorted((EVAL_DATA / "xquad").glob("passages.*.jsonl")):
        language = path.stem.split(".")[1]
        for row in map(json.loads, path.read_text(encoding="utf-8").splitlines()):
            pages.append(_page(f"xquad/{language}/{row['pid']}", row["text"], language))
    for path in sorted((EVAL_DATA / "ntrex").glob("docs.*.jsonl")):
        language = NTREX_LANGUAGES.get(path.stem.split(".", 1)[1], "und")
        for row in map(json.loads, path.read_text(encoding="utf-8").splitlines()):
            pages.append(_page(f"ntrex/{language}/{row['doc_id']}", row["text"], language))
    for doc_id, path in discover(library).items():
        pages.extend(load_document(path, doc_id).pages)
    return pages


def _page(doc_id: str, text: str, language: str) -> Page:
    return Page(doc_id=doc_id, number=1, sections=(Section("", text),), language=language)


def cached_vectors(texts: Sequence[str], embedder: Embedder, cache: Path) -> np.ndarray:
    """Passage vectors for `texts`, embedded in blocks that are cached (an interrupted run resumes)."""
    cache.mkdir(parents=True, exist_ok=True)
    blocks = []
    for start in range(0, len(texts), 512):
        block = list(texts[start : start + 512])
        key = hashlib.sha256("\x00".join([embedder.name, *block]).encode()).hexdigest()[:20]
        path = cache / f"{key}.npy"
        if not path.exists():
            began = time.perf_counter()
            vectors = np.concatenate(
                [embedder.embed_passages(block[i : i + 32]) for i in range(0, len(block), 32)]
            )
            np.save(path, vectors.astype(np.float32))
            logger.info(
                "embedded %d chunks (%.1f/s)",
                len(block),
                len(block) / (time.perf_counter() - began),
            )
        blocks.append(np.load(path))
    return np.concatenate(blocks) if blocks else np.zeros((0, embedder.dim), np.float32)


def grow(chunks: list[Chunk], vectors: np.ndarray, size: int) -> tuple[list[Chunk], np.ndarray]:
    """`size` chunks: the real ones first, then derived copies (see the module docstring)."""
    if size <= len(chunks):
        return chunks[:size], vectors[:size]
    rng = np.random.default_rng(0)
    extra = size - len(chunks)
    source = np.arange(extra) % len(chunks)
    noise = rng.standard_normal((extra, vectors.shape[1])).astype(np.float32)
    noise *= PERTURBATION / np.linalg.norm(noise, axis=1, keepdims=True)
    derived = vectors[source] + noise
    derived /= np.linalg.norm(derived, axis=1, keepdims=True)
    copies = [
        Chunk(
            id=f"{chunks[s].id}-{i}",
            doc_id=f"derived/{i // DOC_SIZE}",
            page=1,
            position=i % DOC_SIZE,
            text=chunks[s].text,
            language=chunks[s].language,
        )
        for i, s in enumerate(source)
    ]
    return chunks + copies, np.concatenate([vectors, derived])


def fill_store(store: Store, chunks: list[Chunk], vectors: np.ndarray) -> float:
    """Write the chunks as documents, 200 at a time (records last, as ingest does); seconds taken."""
    began = time.perf_counter()
    by_doc: dict[str, list[int]] = {}
    for i, chunk in enumerate(chunks):
        by_doc.setdefault(chunk.doc_id, []).append(i)
    batch = []
    for doc_id, rows in by_doc.items():
        meta = {"title": doc_id, "language": chunks[rows[0]].language, "kind": "bench", "year": 0}
        record = DocumentRecord(doc_id, doc_id, len(rows), 1, meta)
        tokens = [" ".join(lexical_tokens(chunks[i].text)) for i in rows]
        batch.append((record, [chunks[i] for i in rows], vectors[rows], tokens))
        if len(batch) == 200:
            store.replace_documents(batch)
            batch = []
    if batch:
        store.replace_documents(batch)
    return time.perf_counter() - began


def exact_top(matrix: np.ndarray, queries: np.ndarray, k: int = 10) -> list[list[int]]:
    """Exact cosine top-k row indices (vectors are normalised: a dot product)."""
    scores = queries @ matrix.T
    top = np.argpartition(-scores, k, axis=1)[:, :k]
    return [list(row[np.argsort(-scores[i, row])]) for i, row in enumerate(top)]


def timed(calls: Sequence[Callable[[], object]], clients: int) -> dict[str, float]:
    """Latency percentiles of each call, run by `clients` threads at once, and throughput."""

    def one(call: Callable[[], object]) -> float:
        began = time.perf_counter()
        call()
        return (time.perf_counter() - began) * 1000

    for call in calls[:3]:
        call()
    began = time.perf_counter()
    with ThreadPoolExecutor(clients) as pool:
        ms = list(pool.map(one, calls))
    wall = time.perf_counter() - began
    return {
        "p50_ms": round(percentile(ms, 50), 2),
        "p95_ms": round(percentile(ms, 95), 2),
        "p99_ms": round(percentile(ms, 99), 2),
        "qps": round(len(calls) / wall, 1),
    }


def peak_rss_mb() -> float:
    """This process's peak resident memory so far (Linux reports KiB)."""
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def measure(
    store: Store,
    embedder: Embedder,
    settings: Settings,
    questions: list[str],
    qvecs: np.ndarray,
    matrix: np.ndarray,
    ids: list[str],
    clients: Sequence[int],
) -> dict[str, Any]:
    """Recall@10 against exact search, and latency of Portwise, bare Chroma and numpy."""
    truth = exact_top(matrix, qvecs)
    found = [[cid for cid, _ in store.nearest(q, 10)] for q in qvecs]
    recall = np.mean([len({ids[i] for i in t} & set(f)) / 10 for t, f in zip(truth, found)])
    retriever = Retriever(store, embedder, settings.search)
    began = time.perf_counter()
    retriever.index()
    figures: dict[str, Any] = {
        "recall@10": round(float(recall), 4),
        "index_build_s": round(time.perf_counter() - began, 2),
    }
    steps = [retriever.search(q, k=10).timings for q in questions]
    figures["steps_p50_ms"] = {
        name: round(percentile([t[name] for t in steps if name in t], 50), 2) for name in steps[0]
    }
    for n in clients:
        figures[f"portwise_{n}"] = timed(
            [lambda q=q: retriever.search(q, k=10) for q in questions], n
        )
        figures[f"chroma_{n}"] = timed([lambda v=v: store.nearest(v, 10) for v in qvecs], n)
        figures[f"numpy_{n}"] = timed([lambda v=v: exact_top(matrix, v[None, :]) for v in qvecs], n)
    figures["ratio_to_chroma"] = round(
        figures["portwise_1"]["p50_ms"] / figures["chroma_1"]["p50_ms"], 2
    )
    # The query embedding alone costs more than a bare lookup: the ratio without it, too.
    figures["ratio_to_chroma_without_embedding"] = round(
        (figures["steps_p50_ms"]["total_ms"] - figures["steps_p50_ms"].get("embed_ms", 0))
        / figures["chroma_1"]["p50_ms"],
        2,
    )
    figures["ratio_to_numpy"] = round(
        figures["portwise_1"]["p50_ms"] / figures["numpy_1"]["p50_ms"], 2
    )
    figures["peak_rss_mb"] = peak_rss_mb()
    return figures


def store_settings(mode: str, size: int, scratch: Path, server_url: str) -> StoreSettings:
    """A fresh collection for one (mode, size) cell."""
    if mode == "server":
        return StoreSettings(path=server_url, collection=f"bench{size}")
    return StoreSettings(path=str(scratch / f"embedded-{size}"), collection=f"bench{size}")


def run_scale_bench(
    settings: Settings,
    embedder: Embedder,
    results: Path,
    sizes: Sequence[int] = (1_000, 10_000, 100_000),
    modes: Sequence[str] = ("embedded", "server"),
    clients: Sequence[int] = (1, 8),
    queries: int = 200,
) -> dict[str, Any]:
    """Build each (mode, size) collection in a scratch folder and measure it; write scale.json/.png."""
    import tempfile

    from ingest.chunk import chunk_pages
    from kb.chroma_server import chroma_server

    began = time.perf_counter()
    pages = real_pages(settings.library.root / "library")
    real = chunk_pages(
        pages, embedder.token_count, settings.chunk.max_tokens, settings.chunk.overlap_tokens
    )
    vectors = cached_vectors([c.text for c in real], embedder, results / "cache")
    questions = _questions(queries)
    qvecs = cached_vectors(questions, _QueryView(embedder), results / "cache")
    report: dict[str, Any] = {"real_chunks": len(real), "queries": len(questions), "cells": []}
    with tempfile.TemporaryDirectory(prefix="portwise-scale-") as tmp:
        scratch = Path(tmp)
        with chroma_server(scratch / "server") as url:
            for size in sizes:
                chunks, matrix = grow(real, vectors, size)
                ids = [c.id for c in chunks]
                for mode in modes:
                    store = Store(
                        store_settings(mode, size, scratch, url), embedder.name, embedder.dim
                    )
                    fill_s = fill_store(store, chunks, matrix)
                    cell = {
                        "mode": mode,
                        "chunks": size,
                        "real": min(size, len(real)),
                        "fill_s": round(fill_s, 1),
                    }
                    cell |= measure(
                        store, embedder, settings, questions, qvecs, matrix, ids, clients
                    )
                    logger.info("scale %s", cell)
                    report["cells"].append(cell)
    report["seconds"] = round(time.perf_counter() - began, 1)
    results.mkdir(parents=True, exist_ok=True)
    (results / "scale.json").write_text(json.dumps(report, indent=2))
    plot_scale(report, results / "scale.png")
    return report


class _QueryView:
    """An embedder whose passages are embedded as queries (so query vectors share the block cache)."""

    def __init__(self, embedder: Embedder) -> None:
        self.name, self.dim = f"{embedder.name}:query", embedder.dim
        self._embedder = embedder

    def embed_passages(self, texts: Sequence[str]) -> np.ndarray:
        return self._embedder.embed_queries(texts)


def _questions(n: int) -> list[str]:
    """Questions in five languages from XQuAD (the first n, round robin over languages)."""
    per_language = []
    for path in sorted((EVAL_DATA / "xquad").glob("queries.*.jsonl")):
        rows = path.read_text(encoding="utf-8").splitlines()
        per_language.append([json.loads(r)["question"] for r in rows])
    mixed = [q for group in zip(*per_language) for q in group]
    return mixed[:n]


def plot_scale(report: dict[str, Any], path: Path) -> None:
    """p50 latency by collection size: Portwise, bare Chroma and numpy, per mode (log-log)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2, figsize=(11, 4), sharey=True)
    for axis, mode in zip(axes, ("embedded", "server")):
        cells = [c for c in report["cells"] if c["mode"] == mode]
        sizes = [c["chunks"] for c in cells]
        for system, style in (("portwise", "o-"), ("chroma", "s--"), ("numpy", "^:")):
            for n in (1, 8):
                key = f"{system}_{n}"
                if cells and key in cells[0]:
                    axis.plot(
                        sizes,
                        [c[key]["p50_ms"] for c in cells],
                        style,
                        label=f"{system}, {n} client(s)",
                        alpha=1 if n == 1 else 0.5,
                    )
        axis.set(
            xscale="log", yscale="log", title=f"{mode} store", xlabel="chunks", ylabel="p50 ms"
        )
        axis.grid(alpha=0.3)
    axes[0].legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
