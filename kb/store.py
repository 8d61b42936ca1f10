"""The Chroma-backed store (via llama-index's ChromaVectorStore): every Chroma and llama-index call lives here.

Two collections: `<name>_chunks` holds chunk vectors, text and metadata; `<name>_docs` holds one record per
document, written only after all of its chunks are in. A document without a record is incomplete (an
interrupted ingest) and its chunks are swept by the next sync, so a crash never leaves a half document.
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
import uuid
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlparse

import numpy as np

from kb.errors import StoreError
from kb.settings import StoreSettings
from kb.types import Chunk, DocumentRecord, Hit

logger = logging.getLogger(__name__)

# HNSW is set when a collection is created and cannot be changed after (collection.modify does not).
HNSW = {"space": "cosine", "ef_construction": 200, "ef_search": 200, "max_neighbors": 32}
PAGE = 2000  # rows per Chroma get() call when scanning
CHUNK_KEYS = ("doc_id", "page", "position", "language", "heading")
Where = dict[str, Any]
# Catalog fields a search can filter on; list-valued ones are matched with $contains.
FILTER_KEYS = ("kind", "event", "language", "topics", "country", "audience", "year")
LIST_KEYS = ("topics", "authors")


@dataclass(frozen=True)
class StoredChunk:
    """A chunk as read back for the lexical index: id, document, and its pre-computed lexical tokens."""

    id: str
    doc_id: str
    tokens: str
    meta: Mapping[str, Any] = field(default_factory=dict)
    sparse: str = ""  # the chunk's sparse vector as `kb.sparse.to_text` writes it ("" if none)
    sentences: str = ""  # its sentence vectors as `kb.sentences.to_text` writes them ("" if none)
    muse: str = ""  # the second embedder's vectors of the chunk, then its sentences (same format)
    text_hash: str = ""  # of the chunk's text, whitespace normalised (finds boilerplate)
    page: int = 0  # the page (or slide) it is on, from 1 (0: unknown)

    @property
    def language(self) -> str:
        """The chunk's language tag from its metadata ("" when it has none)."""
        return str(self.meta.get("language", ""))


@dataclass(frozen=True)
class StoredVector:
    """A chunk's stored dense vector, the hash of the text it embeds, and its sparse vector text."""

    vector: np.ndarray
    embed_hash: str
    sparse: str = ""
    sparse_terms: int = 0  # the term budget `sparse` was made with
    sentences: str = ""  # the chunk's sentence vectors as `kb.sentences.to_text` writes them
    muse: str = ""  # the second embedder's vectors (`kb/muse.py`), in the same format


@dataclass(frozen=True)
class MetaFilter:
    """Metadata conditions: each field must take one of its values; the year must lie in range.

    One definition serves both sides of hybrid search: `where()` runs inside Chroma (dense leg) and
    `matches()` runs over the same metadata in memory (lexical leg), so the legs never disagree.
    """

    any_of: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    year_from: int | None = None
    year_to: int | None = None

    def where(self) -> Where | None:
        """The Chroma `where` clause, or None when nothing is filtered."""
        clauses: list[Where] = []
        for key, values in self.any_of.items():
            if not values:
                continue
            if key in LIST_KEYS:
                options = [{key: {"$contains": v}} for v in values]
                clauses.append(options[0] if len(options) == 1 else {"$or": options})
            else:
                clauses.append({key: {"$in": list(values)}})
        if self.year_from is not None:
            clauses.append({"year": {"$gte": self.year_from}})
        if self.year_to is not None:
            clauses.append({"year": {"$lte": self.year_to}})
        if not clauses:
            return None
        return clauses[0] if len(clauses) == 1 else {"$and": clauses}

    def matches(self, meta: Mapping[str, Any]) -> bool:
        """Whether chunk or document metadata passes every condition."""
        for key, values in self.any_of.items():
            if not values:
                continue
            value = meta.get(key)
            held = set(value) if isinstance(value, list | tuple) else {value}
            if not held & set(values):
                return False
        year = int(meta.get("year") or 0)
        if self.year_from is not None and year < self.year_from:
            return False
        return self.year_to is None or year <= self.year_to


def open_client(location: str) -> Any:
    """A Chroma client: embedded (`PersistentClient`) for a path, `HttpClient` for an http(s) URL."""
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    chroma_settings = ChromaSettings(anonymized_telemetry=False)
    if location.startswith(("http://", "https://")):
        url = urlparse(location)
        try:
            return chromadb.HttpClient(
                host=url.hostname or "127.0.0.1",
                port=url.port or 8000,
                ssl=url.scheme == "https",
                settings=chroma_settings,
            )
        except (ValueError, ConnectionError) as exc:
            raise StoreError(
                f"cannot reach the Chroma server at {location}: {exc}; is `chroma run` up?"
            ) from exc
    return chromadb.PersistentClient(path=location, settings=chroma_settings)


class Store:
    """Chunks and document records for one library, in Chroma."""

    def __init__(self, settings: StoreSettings, embedder_name: str, dim: int) -> None:
        from llama_index.vector_stores.chroma import ChromaVectorStore

        self.location = settings.path
        client = open_client(settings.path)
        identity = {"embedder": embedder_name, "dim": dim}
        self._client, self._identity = client, identity
        self._chunks = self._collection(client, f"{settings.collection}_chunks", identity)
        self._docs = self._collection(client, f"{settings.collection}_docs", identity)
        self._vectors = ChromaVectorStore(chroma_collection=self._chunks)
        # Chroma 1.5 stores list metadata (topics, filtered with $contains); llama-index's flat check
        # predates that and its constructor ignores the flag, so it is switched off on the instance.
        self._vectors.flat_metadata = False
        self.dim = dim

    @staticmethod
    def _collection(client: Any, name: str, identity: Mapping[str, Any]) -> Any:
        collection = client.get_or_create_collection(
            name, configuration={"hnsw": HNSW}, metadata=dict(identity), embedding_function=None
        )
        stored = {k: (collection.metadata or {}).get(k) for k in identity}
        if stored != dict(identity):
            raise StoreError(
                f"the store was built with {stored['embedder']} ({stored['dim']}-d) but the embedder is "
                f"{identity['embedder']}; use another --store or delete this one and ingest again"
            )
        return collection

    # -- documents ---------------------------------------------------------------------------
    def documents(self) -> dict[str, DocumentRecord]:
        """Every complete document, by id."""
        records = {}
        for meta in self._scan(self._docs, include=["metadatas"]):
            record = _record_from_meta(meta)
            records[record.doc_id] = record
        return records

    def document(self, doc_id: str) -> DocumentRecord | None:
        """One document's record, or None if it is not (completely) indexed."""
        found = self._docs.get(ids=[doc_id], include=["metadatas"])
        return _record_from_meta(found["metadatas"][0]) if found["ids"] else None

    def chunk_ids(self) -> dict[str, list[tuple[str, str]]]:
        """All chunk ids grouped by document: {doc_id: [(chunk_id, content_hash), ...]}."""
        grouped: dict[str, list[tuple[str, str]]] = {}
        for chunk_id, meta in self._scan(self._chunks, include=["metadatas"], with_ids=True):
            grouped.setdefault(str(meta["doc_id"]), []).append(
                (chunk_id, str(meta.get("doc_hash", "")))
            )
        return grouped

    def existing_embeddings(self, chunk_ids: Sequence[str]) -> dict[str, StoredVector]:
        """Stored vectors and the hash of the text they embed, for chunks re-ingested unchanged."""
        if not chunk_ids:
            return {}
        found = self._chunks.get(ids=list(chunk_ids), include=["embeddings", "metadatas"])
        return {
            cid: StoredVector(
                np.asarray(vec, dtype=np.float32),
                str((meta or {}).get("embed_hash", "")),
                str((meta or {}).get("sparse", "")),
                int((meta or {}).get("sparse_terms", 0)),
                str((meta or {}).get("sentences", "")),
                str((meta or {}).get("muse", "")),
            )
            for cid, vec, meta in zip(found["ids"], found["embeddings"], found["metadatas"])
        }

    def replace_document(
        self,
        record: DocumentRecord,
        chunks: Sequence[Chunk],
        embeddings: np.ndarray,
        tokens: Sequence[str],
    ) -> None:
        """Swap in a document's chunks; its record is written last, as the commit mark."""
        self.replace_documents([(record, chunks, embeddings, tokens)])

    def replace_documents(
        self, batch: Sequence[tuple[DocumentRecord, Sequence[Chunk], np.ndarray, Sequence[str]]]
    ) -> None:
        """Swap in several documents at once: old chunks out, new chunks in, then all records.

        A crash part-way leaves chunks without records, which the next sync sweeps, as for one.
        """
        doc_ids = [record.doc_id for record, *_ in batch]
        self._docs.delete(ids=doc_ids)
        for start in range(0, len(doc_ids), 500):
            self._chunks.delete(where={"doc_id": {"$in": doc_ids[start : start + 500]}})
        nodes = [
            _node(c, vec, toks, record)
            for record, chunks, embeddings, tokens in batch
            for c, vec, toks in zip(chunks, embeddings, tokens)
        ]
        for start in range(0, len(nodes), 500):
            self._vectors.add(nodes[start : start + 500])
        self._docs.upsert(
            ids=doc_ids,
            embeddings=[_centroid(embeddings, self.dim).tolist() for _, _, embeddings, _ in batch],
            metadatas=[_record_meta(record) for record, *_ in batch],
            documents=[str(record.meta.get("title", record.doc_id)) for record, *_ in batch],
        )
        self._bump()

    def delete_document(self, doc_id: str) -> None:
        """Remove a document: its record first (so a crash leaves only sweepable orphans), then chunks."""
        self._docs.delete(ids=[doc_id])
        self._vectors.delete(ref_doc_id=doc_id)
        self._bump()

    def delete_chunks(self, chunk_ids: Sequence[str]) -> None:
        """Remove specific chunks (orphans of an interrupted run)."""
        for start in range(0, len(chunk_ids), PAGE):
            self._chunks.delete(ids=list(chunk_ids[start : start + PAGE]))
        self._bump()

    def _bump(self) -> None:
        """Record that the store changed: every client (other workers too) sees a new version."""
        self._docs.modify(metadata={**self._identity, "generation": uuid.uuid4().hex})

    # -- search ------------------------------------------------------------------------------
    def search(self, query_vector: np.ndarray, k: int, where: Where | None = None) -> list[Hit]:
        """Nearest chunks to a query vector, optionally filtered on metadata inside Chroma.

        Queries the collection directly: llama-index's query re-parses each node's JSON copy,
        which cost more than the nearest-neighbour search itself (measured by `bench scale`). The
        score is llama-index's, exp(-cosine distance), which the refusal threshold is tuned on.
        """
        found = self._chunks.query(
            query_embeddings=[query_vector.tolist()],
            n_results=k,
            where=where,
            include=["documents", "metadatas", "distances"],
        )
        rows = zip(
            found["ids"][0], found["documents"][0], found["metadatas"][0], found["distances"][0]
        )
        return [
            Hit(chunk=_chunk_from_meta(cid, text, meta or {}), score=math.exp(-distance))
            for cid, text, meta, distance in rows
        ]

    def nearest(
        self, query_vector: np.ndarray, k: int, where: Where | None = None
    ) -> list[tuple[str, float]]:
        """Nearest chunk ids and scores only, no text or metadata: the cheapest Chroma query.

        Search uses it for its dense leg (the chunks it keeps are fetched after fusion), and the
        scale benchmark as the bare-Chroma reference. Scores as `search` gives them.
        """
        found = self._chunks.query(
            query_embeddings=[query_vector.tolist()],
            n_results=k,
            where=where,
            include=["distances"],
        )
        return [(cid, math.exp(-d)) for cid, d in zip(found["ids"][0], found["distances"][0])]

    def chunks(self, ids: Sequence[str]) -> list[Chunk]:
        """Chunks by id, in the order asked (missing ids are skipped)."""
        found = self._chunks.get(ids=list(ids), include=["metadatas", "documents"])
        by_id = {
            cid: _chunk_from_meta(cid, text, meta)
            for cid, text, meta in zip(found["ids"], found["documents"], found["metadatas"])
        }
        return [by_id[cid] for cid in ids if cid in by_id]

    def page_chunks(self, doc_id: str, page: int) -> list[Chunk]:
        """One page's chunks, in reading order."""
        found = self._chunks.get(
            where={"$and": [{"doc_id": doc_id}, {"page": page}]},
            include=["metadatas", "documents"],
        )
        chunks = [
            _chunk_from_meta(cid, text, meta)
            for cid, text, meta in zip(found["ids"], found["documents"], found["metadatas"])
        ]
        return sorted(chunks, key=lambda c: c.position)

    def lexical_rows(self) -> Iterator[StoredChunk]:
        """Every chunk's id, document, lexical tokens and filterable metadata (for the BM25 index)."""
        for batch in self._batches(self._chunks, ["metadatas", "documents"]):
            for chunk_id, meta, text in zip(batch["ids"], batch["metadatas"], batch["documents"]):
                yield StoredChunk(
                    id=chunk_id,
                    doc_id=str(meta["doc_id"]),
                    tokens=str(meta.get("tokens", "")),
                    meta={k: meta[k] for k in FILTER_KEYS if k in meta},
                    sparse=str(meta.get("sparse", "")),
                    sentences=str(meta.get("sentences", "")),
                    muse=str(meta.get("muse", "")),
                    text_hash=hashlib.sha1(" ".join((text or "").split()).encode()).hexdigest(),
                    page=int(meta.get("page") or 0),
                )

    def vectors(self) -> Iterator[tuple[str, np.ndarray]]:
        """Every chunk's id and embedding (for search's exact dense leg)."""
        for batch in self._batches(self._chunks, ["embeddings"]):
            for chunk_id, vector in zip(batch["ids"], batch["embeddings"]):
                yield chunk_id, np.asarray(vector, dtype=np.float32)

    def language_vectors(self) -> Iterator[tuple[str, np.ndarray]]:
        """Every chunk's language and embedding (for per-language score calibration)."""
        for batch in self._batches(self._chunks, ["metadatas", "embeddings"]):
            for meta, vector in zip(batch["metadatas"], batch["embeddings"]):
                yield str(meta.get("language", "")), np.asarray(vector, dtype=np.float32)

    def version(self) -> str:
        """Changes whenever the set of indexed documents or their contents change.

        One metadata read (an HTTP round trip in server mode), so every search can afford it: each
        write stamps a new generation on the docs collection. Stores written before the stamp existed
        fall back to hashing every document record.
        """
        fresh = self._client.get_collection(self._docs.name, embedding_function=None)
        generation = (fresh.metadata or {}).get("generation")
        if generation:
            return str(generation)
        records = sorted((r.doc_id, r.content_hash) for r in self.documents().values())
        return str(hash((self._chunks.count(), tuple(records))))

    def count(self) -> int:
        """Number of chunks in the store."""
        return int(self._chunks.count())

    @staticmethod
    def _batches(collection: Any, include: list[str]) -> Iterator[Any]:
        """Every row of `collection`, `PAGE` rows per Chroma get() call."""
        offset = 0
        while True:
            batch = collection.get(include=include, limit=PAGE, offset=offset)
            if not batch["ids"]:
                return
            yield batch
            offset += len(batch["ids"])

    @classmethod
    def _scan(cls, collection: Any, include: list[str], with_ids: bool = False) -> Iterator[Any]:
        for batch in cls._batches(collection, include):
            for i, row_id in enumerate(batch["ids"]):
                meta = batch["metadatas"][i]
                yield (row_id, meta) if with_ids else meta


def _centroid(embeddings: np.ndarray, dim: int) -> np.ndarray:
    """A document's mean chunk vector, normalised (what its record is indexed by)."""
    centroid = embeddings.mean(axis=0) if len(embeddings) else np.ones(dim, np.float32)
    return centroid / (np.linalg.norm(centroid) or 1.0)


def _node(chunk: Chunk, vector: np.ndarray, tokens: str, record: DocumentRecord) -> Any:
    from llama_index.core.schema import NodeRelationship, RelatedNodeInfo, TextNode

    metadata: dict[str, Any] = {**_flat(record.meta), **{k: getattr(chunk, k) for k in CHUNK_KEYS}}
    metadata.update(chunk.meta)
    metadata.update(doc_hash=record.content_hash, tokens=tokens)
    return TextNode(
        id_=chunk.id,
        text=chunk.text,
        embedding=vector.tolist(),
        metadata=metadata,
        relationships={NodeRelationship.SOURCE: RelatedNodeInfo(node_id=chunk.doc_id)},
    )


def _flat(meta: Mapping[str, Any]) -> dict[str, Any]:
    """Catalog metadata as Chroma stores it: scalars, non-empty string lists, no None."""
    out: dict[str, Any] = {}
    for key, value in meta.items():
        if isinstance(value, list | tuple):
            if value:
                out[key] = [str(v) for v in value]
        elif value is not None:
            out[key] = value
    return out


_SKIP = {
    "_node_content",
    "_node_type",
    "document_id",
    "ref_doc_id",
    "tokens",
    "doc_hash",
    "embed_hash",
    "sparse",
    "sparse_terms",
    "sentences",
    "muse",
}


def _chunk_from_meta(chunk_id: str, text: str, meta: Mapping[str, Any]) -> Chunk:
    extra = {k: v for k, v in meta.items() if k not in _SKIP and k not in CHUNK_KEYS}
    return Chunk(
        id=chunk_id,
        doc_id=str(meta["doc_id"]),
        page=int(meta["page"]),
        position=int(meta["position"]),
        text=text or "",
        language=str(meta.get("language", "")),
        heading=str(meta.get("heading", "")),
        meta=extra,
    )


def _record_meta(record: DocumentRecord) -> dict[str, Any]:
    return {
        "doc_id": record.doc_id,
        "content_hash": record.content_hash,
        "chunk_count": record.chunk_count,
        "page_count": record.page_count,
        "meta_json": json.dumps(dict(record.meta), ensure_ascii=False, default=list),
        **{k: v for k, v in _flat(record.meta).items() if not isinstance(v, list)},
    }


def _record_from_meta(meta: Mapping[str, Any]) -> DocumentRecord:
    return DocumentRecord(
        doc_id=str(meta["doc_id"]),
        content_hash=str(meta["content_hash"]),
        chunk_count=int(meta["chunk_count"]),
        page_count=int(meta["page_count"]),
        meta=json.loads(str(meta.get("meta_json", "{}"))),
    )
