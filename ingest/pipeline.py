"""Sync a library folder into the store: content hashes decide, unchanged files cost no embedding."""

from __future__ import annotations

import hashlib
import logging
import time
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any, Literal

import numpy as np

from ingest.chunk import chunk_pages
from ingest.load import SUFFIXES, load_document
from ingest.pdf import PdfParser
from kb.catalog import CATALOG_NAMES, Catalog, CatalogEntry, load_catalog
from kb.embedder import Embedder, sparse_head
from kb.errors import DocumentReadError
from kb.languages import lexical_tokens
from kb.muse import MuseEncoder, covers, muse_encoder
from kb.sentences import sentences_of
from kb.sentences import to_text as sentence_text
from kb.settings import ChunkSettings, ParseSettings, Settings
from kb.sparse import to_text
from kb.store import Store
from kb.types import Chunk, DocumentRecord, LoadedDocument

logger = logging.getLogger(__name__)
Status = Literal["indexed", "unchanged", "removed", "failed"]


@dataclass(frozen=True)
class FileResult:
    """What happened to one file in a sync."""

    path: str
    doc_id: str
    status: Status
    reason: str = ""
    pages: int = 0
    chunks: int = 0
    embedded: int = 0
    seconds: float = 0.0
    language: str = ""
    ocr_pages: int = 0  # pages whose text was read by OCR (scans, garbled text layers)
    notes: tuple[str, ...] = ()  # what the loader worked around: OCR, pages left out


@dataclass
class SyncReport:
    """Per-file results and totals of one sync."""

    files: list[FileResult] = field(default_factory=list)
    seconds: float = 0.0
    embed_seconds: float = 0.0
    sparse_seconds: float = 0.0  # the sparse head's own pass over the chunks
    sentence_seconds: float = 0.0  # embedding the chunks' sentences (the sentence leg)
    muse_seconds: float = 0.0  # the second embedder's chunk and sentence vectors (the muse leg)

    @property
    def failed(self) -> bool:
        """True when at least one file could not be indexed."""
        return any(f.status == "failed" for f in self.files)

    def totals(self) -> dict[str, Any]:
        """Counts by status plus pages, chunks and embeddings, for the report and `--json`."""
        by_status = Counter(f.status for f in self.files)
        return {
            "files": len(self.files),
            **{
                status: by_status.get(status, 0)
                for status in ("indexed", "unchanged", "removed", "failed")
            },
            "pages": sum(f.pages for f in self.files if f.status == "indexed"),
            "chunks": sum(f.chunks for f in self.files if f.status == "indexed"),
            "ocr_pages": sum(f.ocr_pages for f in self.files if f.status == "indexed"),
            "embedded": sum(f.embedded for f in self.files),
            "languages": dict(Counter(f.language for f in self.files if f.language)),
            "seconds": round(self.seconds, 3),
            "embed_seconds": round(self.embed_seconds, 3),
            "sparse_seconds": round(self.sparse_seconds, 3),
            "sentence_seconds": round(self.sentence_seconds, 3),
            "muse_seconds": round(self.muse_seconds, 3),
        }

    def to_json(self) -> dict[str, Any]:
        """The `--json` shape: {"files": [...], "totals": {...}}."""
        return {"files": [asdict(f) for f in self.files], "totals": self.totals()}


class SyncProgress:
    """Progress hooks; the CLI subclasses this with a progress bar, tests and the API use it as is."""

    def start(self, files: int) -> None:
        """Called once with the number of files to look at."""

    def file_started(self, path: str) -> None:
        """Called before a file is processed."""

    def chunks_embedded(self, n: int) -> None:
        """Called after each embedding batch."""

    def vectors_encoded(self, n: int) -> None:
        """Called after each batch of per-sentence vectors (the sentence and muse legs')."""

    def file_done(self, result: FileResult) -> None:
        """Called after each file (any status)."""


def discover(library: Path) -> dict[str, Path]:
    """Supported files under `library` by document id (their path relative to it, POSIX style)."""
    found = {}
    for path in sorted(library.rglob("*")):
        rel = path.relative_to(library)
        if any(part.startswith((".", "_")) for part in rel.parts) or path.name in CATALOG_NAMES:
            continue
        if path.is_file() and path.suffix.lower() in SUFFIXES:
            found[rel.as_posix()] = path
    return found


# Bump when loaders or chunking change what a file turns into: every document is then re-read
# (chunks whose text is unchanged keep their embeddings).
RECIPE_VERSION = 5  # 5: page languages detected from the whole page, not its first 80 characters


def content_hash(path: Path, entry: CatalogEntry | None, recipe: str = "") -> str:
    """Hash of the file's bytes, its catalog entry and the ingest recipe (loader version, chunking)."""
    digest = hashlib.sha256(path.read_bytes())
    digest.update(entry.model_dump_json().encode() if entry else b"-")
    digest.update(f"{RECIPE_VERSION}|{recipe}".encode())
    return digest.hexdigest()


class Syncer:
    """Makes the store match a library folder."""

    def __init__(
        self,
        store: Store,
        embedder: Embedder,
        chunking: ChunkSettings,
        batch_size: int = 16,
        parse: ParseSettings | None = None,
        sparse_terms: int = 0,
        sentences: bool = False,
        muse: MuseEncoder | None = None,
    ):
        self.store = store
        self.embedder = embedder
        self.chunking = chunking
        self.batch_size = batch_size
        self.parse = parse or ParseSettings()
        # Sparse vectors only where the embedder has a sparse head and the settings want them.
        self._sparse = sparse_head(embedder) if sparse_terms > 0 else None
        self.sparse_terms = sparse_terms if self._sparse is not None else 0
        self.sentences = sentences
        self.muse = muse  # the second embedder (`kb/muse.py`), or None for no `muse` vectors
        self._pdf: PdfParser | None = None

    @classmethod
    def from_settings(cls, store: Store, embedder: Embedder, settings: Settings) -> Syncer:
        """A syncer as the settings configure it (chunking, batch size, parsing, sparse terms)."""
        return cls(
            store,
            embedder,
            settings.chunk,
            settings.embedder.batch_size,
            parse=settings.parse,
            sparse_terms=settings.embedder.sparse_terms,
            sentences=settings.embedder.sentence_vectors,
            muse=muse_encoder(settings.embedder.threads)
            if settings.embedder.muse_vectors
            else None,
        )

    def sync(self, folder: Path, progress: SyncProgress | None = None) -> SyncReport:
        """Index new and changed files, drop removed ones, sweep chunks left by an interrupted run."""
        progress = progress or SyncProgress()
        started = time.perf_counter()
        catalog = load_catalog(folder)
        files = discover(catalog.library)
        report = SyncReport()
        records = self._sweep()
        progress.start(len(files))
        with PdfParser(self.parse) as pdf:
            self._pdf = pdf
            for doc_id, path in files.items():
                progress.file_started(doc_id)
                result = self._sync_file(
                    doc_id, path, catalog, records.get(doc_id), report, progress
                )
                report.files.append(result)
                progress.file_done(result)
        for doc_id in sorted(set(records) - set(files)):
            self.store.delete_document(doc_id)
            report.files.append(FileResult(path=doc_id, doc_id=doc_id, status="removed"))
        report.seconds = time.perf_counter() - started
        return report

    def _sweep(self) -> dict[str, DocumentRecord]:
        """Delete chunks with no document record or a stale hash; return the records that are whole."""
        records = self.store.documents()
        # A document with no chunks (pages of headings only) is whole with none stored.
        whole = {doc_id: r for doc_id, r in records.items() if r.chunk_count == 0}
        for doc_id, rows in self.store.chunk_ids().items():
            record = records.get(doc_id)
            stale = [cid for cid, h in rows if record is None or h != record.content_hash]
            if stale:
                logger.info(
                    "sweeping %d chunks of %s left by an interrupted run", len(stale), doc_id
                )
                self.store.delete_chunks(stale)
            if record is not None and len(rows) - len(stale) == record.chunk_count:
                whole[doc_id] = record
        for doc_id in set(records) - set(whole):
            self.store.delete_document(doc_id)
        return whole

    def _sync_file(
        self,
        doc_id: str,
        path: Path,
        catalog: Catalog,
        record: DocumentRecord | None,
        report: SyncReport,
        progress: SyncProgress,
    ) -> FileResult:
        started = time.perf_counter()
        entry = catalog.entry_for(doc_id)
        recipe = (
            f"{self.chunking.max_tokens}/{self.chunking.overlap_tokens}{self._ocr_recipe(path)}"
            f"{f'/sparse:{self.sparse_terms}' if self.sparse_terms else ''}"
            f"{'/sentences' if self.sentences else ''}{'/muse' if self.muse else ''}"
        )
        digest = content_hash(path, entry, recipe)
        if record is not None and record.content_hash == digest:
            return FileResult(
                path=doc_id,
                doc_id=doc_id,
                status="unchanged",
                pages=record.page_count,
                chunks=record.chunk_count,
                language=str(record.meta.get("language", "")),
            )
        try:
            document = load_document(
                path,
                doc_id,
                entry.password if entry else "",
                language=entry.language if entry else "",
                pdf=self._pdf,
            )
        except DocumentReadError as exc:
            if record is not None:
                self.store.delete_document(doc_id)
            return FileResult(
                path=doc_id,
                doc_id=doc_id,
                status="failed",
                reason=exc.message,
                seconds=time.perf_counter() - started,
            )
        meta = document_meta(doc_id, path, entry, document)
        chunks = chunk_pages(
            document.pages,
            self.embedder.token_count,
            self.chunking.max_tokens,
            self.chunking.overlap_tokens,
        )
        # A title made up from the file name (an id, often) is no context worth embedding.
        title = (entry.title if entry else "") or document.title
        chunks, vectors, embedded = self._embed(chunks, title, report, progress)
        tokens = [" ".join(lexical_tokens(f"{c.heading}\n{c.text}")) for c in chunks]
        new_record = DocumentRecord(doc_id, digest, len(chunks), len(document.pages), meta)
        self.store.replace_document(new_record, chunks, vectors, tokens)
        logger.info("indexed %s (%d chunks)", doc_id, len(chunks))
        return FileResult(
            path=doc_id,
            doc_id=doc_id,
            status="indexed",
            pages=len(document.pages),
            chunks=len(chunks),
            embedded=embedded,
            seconds=time.perf_counter() - started,
            language=str(meta["language"]),
            ocr_pages=sum(page.ocr for page in document.pages),
            notes=document.notes,
        )

    def _ocr_recipe(self, path: Path) -> str:
        """The OCR settings that change what a PDF turns into (part of its content hash)."""
        if path.suffix.lower() != ".pdf":
            return ""
        parse, pdf = self.parse, self._pdf
        ocr = pdf.ocr if pdf is not None else parse.ocr  # off too when Tesseract is not installed
        return f"/ocr:{parse.ocr_languages}:{parse.ocr_dpi}" if ocr else "/ocr:off"

    def _embed(
        self, chunks: list[Chunk], title: str, report: SyncReport, progress: SyncProgress
    ) -> tuple[list[Chunk], np.ndarray, int]:
        """Vectors for the chunks, reusing stored ones whose embedded text is unchanged.

        Returns the chunks stamped with the hash of the text their vector embeds.
        """
        texts = {c.id: embed_text(c, title) for c in chunks}
        hashes = {
            cid: hashlib.sha256(text.encode()).hexdigest()[:16] for cid, text in texts.items()
        }
        stored = self.store.existing_embeddings([c.id for c in chunks])
        known = {cid: v.vector for cid, v in stored.items() if v.embed_hash == hashes[cid]}
        sparse = {  # reused only if made with the same term budget as now
            cid: stored[cid].sparse
            for cid in known
            if stored[cid].sparse and stored[cid].sparse_terms == self.sparse_terms
        }
        missing = [c for c in chunks if c.id not in known]
        for start in range(0, len(missing), self.batch_size):
            batch = missing[start : start + self.batch_size]
            began = time.perf_counter()
            vectors = self.embedder.embed_passages([texts[c.id] for c in batch])
            report.embed_seconds += time.perf_counter() - began
            known.update({c.id: v for c, v in zip(batch, vectors)})
            progress.chunks_embedded(len(batch))
        if self._sparse is not None:
            # Kept vectors from before sparse vectors existed get theirs now, without re-embedding.
            unsparse = [c for c in chunks if c.id not in sparse]
            for start in range(0, len(unsparse), self.batch_size):
                batch = unsparse[start : start + self.batch_size]
                began = time.perf_counter()
                found = self._sparse.embed_sparse([texts[c.id] for c in batch], self.sparse_terms)
                report.sparse_seconds += time.perf_counter() - began
                sparse.update({c.id: to_text(v) for c, v in zip(batch, found)})
        fresh = {c.id for c in missing}  # re-embedded: their other vectors are redone too
        kept = {c.id: stored[c.id] for c in chunks if c.id in stored and c.id not in fresh}
        sentences: dict[str, str] = {}
        if self.sentences:
            sentences, seconds = self._vector_sets(
                chunks,
                {cid: v.sentences for cid, v in kept.items() if v.sentences},
                lambda c: sentences_of(c.text),
                self.embedder.embed_passages,
                progress,
            )
            report.sentence_seconds += seconds
        muse: dict[str, str] = {}
        if self.muse is not None:  # the chunk as embedded, then its sentences: `server/muse.py`
            muse, seconds = self._vector_sets(
                chunks,
                {cid: v.muse for cid, v in kept.items() if v.muse},
                lambda c: [texts[c.id], *sentences_of(c.text)] if covers(c.language) else [],
                self.muse.embed,
                progress,
            )
            report.muse_seconds += seconds
        matrix = (
            np.stack([known[c.id] for c in chunks]) if chunks else np.zeros((0, self.store.dim))
        )
        stamped = [
            replace(
                c,
                meta={
                    **c.meta,
                    "embed_hash": hashes[c.id],
                    **self._sparse_meta(sparse, c.id),
                    **({"sentences": sentences[c.id]} if sentences.get(c.id) else {}),
                    **({"muse": muse[c.id]} if muse.get(c.id) else {}),
                },
            )
            for c in chunks
        ]
        return stamped, matrix.astype(np.float32), len(missing)

    def _vector_sets(
        self,
        chunks: Sequence[Chunk],
        kept: Mapping[str, str],
        texts_of: Callable[[Chunk], list[str]],
        encode: Callable[[Sequence[str]], np.ndarray],
        progress: SyncProgress,
    ) -> tuple[dict[str, str], float]:
        """Each chunk's vectors of `texts_of(chunk)` as stored text, and the seconds spent encoding.

        A chunk in `kept` (stored with an unchanged chunk vector) keeps its text; the others are
        encoded in batches across chunks.
        """
        out = dict(kept)
        todo = [(c.id, text) for c in chunks if not out.get(c.id) for text in texts_of(c)]
        vectors: dict[str, list[np.ndarray]] = {}
        seconds = 0.0
        for start in range(0, len(todo), self.batch_size):
            batch = todo[start : start + self.batch_size]
            began = time.perf_counter()
            found = encode([text for _, text in batch])
            seconds += time.perf_counter() - began
            for (chunk_id, _), vector in zip(batch, found, strict=True):
                vectors.setdefault(chunk_id, []).append(vector)
            progress.vectors_encoded(len(batch))
        out.update({cid: sentence_text(np.stack(rows)) for cid, rows in vectors.items()})
        return out, seconds

    def _sparse_meta(self, sparse: dict[str, str], chunk_id: str) -> dict[str, str | int]:
        if not sparse.get(chunk_id):
            return {}
        return {"sparse": sparse[chunk_id], "sparse_terms": self.sparse_terms}


def embed_text(chunk: Chunk, title: str = "") -> str:
    """What the embedder sees: the document title and section heading as context, then the text.

    Running headers are stripped from pages, so the title is put back here, once per chunk.
    """
    context = [part for part in (title, chunk.heading) if part and part not in chunk.text]
    return "\n".join([" · ".join(context), chunk.text]) if context else chunk.text


def document_meta(
    doc_id: str, path: Path, entry: CatalogEntry | None, document: LoadedDocument
) -> dict[str, Any]:
    """Catalog metadata, with inference for what the catalog leaves out (title, language, kind)."""
    fields = entry.model_dump(exclude={"file", "password"}) if entry else {}
    languages = Counter(p.language for p in document.pages if p.language != "und")
    fields["title"] = (
        fields.get("title")
        or document.title
        or path.stem.replace("-", " ").replace("_", " ").title()
    )
    fields["language"] = fields.get("language") or (
        languages.most_common(1)[0][0] if languages else "und"
    )
    fields["page_languages"] = sorted(languages)
    fields.setdefault("kind", "unknown")
    fields["year"] = fields.get("year") or 0
    fields["format"] = path.suffix.lower().lstrip(".")
    fields["file"] = doc_id
    return {k: (list(v) if isinstance(v, tuple) else v) for k, v in fields.items()}
