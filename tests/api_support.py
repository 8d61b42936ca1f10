"""The HTTP API under test: settings over a scratch library and store, a client, job polling."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from eval import served
from kb.settings import (
    AnswerSettings,
    ChunkSettings,
    EmbedderSettings,
    LibrarySettings,
    SearchSettings,
    ServerSettings,
    Settings,
    StoreSettings,
)
from server.app import create_app
from tests.search_library import write_library

KEY = "test-admin-key-0123456789"
ADMIN = {"X-API-Key": KEY}


def api_settings(root: Path, model_dir: Path, **server: Any) -> Settings:
    """Settings for an app over the search test library under `root`, tiny embedder, no LLM."""
    write_library(root / "lib")
    return Settings(
        store=StoreSettings(path=str(root / "store")),
        embedder=EmbedderSettings(
            backend="sentence-transformers",
            model_path=str(model_dir),
            query_prefix="",
            passage_prefix="",
        ),
        chunk=ChunkSettings(max_tokens=48, overlap_tokens=8),
        library=LibrarySettings(root=root / "lib"),
        search=SearchSettings(glossary=False),
        answer=AnswerSettings(backend="extractive", refusal_threshold=-1.0),
        server=ServerSettings(**{"data_dir": str(root / "data"), "api_keys": [KEY], **server}),
    )


def sync(settings: Settings) -> None:
    """Ingest the library into the store, as `portwise ingest` would."""
    from ingest.pipeline import Syncer
    from kb.embedder import make_embedder
    from kb.store import Store

    embedder = make_embedder(settings.embedder)
    store = Store(settings.store, embedder.name, embedder.dim)
    Syncer.from_settings(store, embedder, settings).sync(settings.library.root)


@contextmanager
def synced_client(settings: Settings) -> Iterator[TestClient]:
    """A client of the API (no UI) over the library, ingested first."""
    sync(settings)
    with TestClient(create_app(settings, ui=False)) as client:
        yield client


def wait_for_job(client: Any, job_id: str, timeout: float = 60.0) -> dict[str, Any]:
    """Poll a job until it is done, failed or interrupted."""
    return served.wait_for_job(client, job_id, KEY, timeout)


def assert_error(response: Any, status: int, name: str | None = None) -> dict[str, Any]:
    """The response is an error of the API's one shape."""
    assert response.status_code == status, response.text
    body: dict[str, Any] = response.json()
    assert set(body) == {"error", "message"} and body["message"], body
    if name is not None:
        assert body["error"] == name, body
    return body
