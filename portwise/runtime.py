"""What every `portwise` command shares: consoles, settings, services, and the error edge."""

from __future__ import annotations

import functools
import os
from collections.abc import Callable
from typing import Annotated, Any, TypeVar

import typer
from rich.console import Console

from kb.errors import PortwiseError
from kb.settings import Settings

out = Console()
err = Console(stderr=True)
F = TypeVar("F", bound=Callable[..., Any])

StoreOpt = Annotated[
    str | None, typer.Option("--store", help="Store path or http:// URL of a Chroma server.")
]
JsonOpt = Annotated[bool, typer.Option("--json", help="Machine-readable JSON on standard output.")]


def edge(func: F) -> F:
    """Translate project errors once, at the CLI edge: a red message and exit status 2."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except PortwiseError as exc:
            err.print(f"[red]error:[/red] {exc.message}", highlight=False)
            raise typer.Exit(2) from exc

    return wrapper  # type: ignore[return-value]


def load_settings(store: str | None) -> Settings:
    """Settings from the environment, with `--store` applied."""
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    settings = Settings()
    if store:
        settings.store.path = store
    return settings


def open_services(settings: Settings) -> tuple[Any, Any]:
    """The embedder and the store it fills."""
    from kb.embedder import make_embedder
    from kb.store import Store

    embedder = make_embedder(settings.embedder)
    return embedder, Store(settings.store, embedder.name, embedder.dim)


def open_asker(settings: Settings) -> Any:
    """The ask pipeline: retriever over the store, the configured LLM (or none), the embedder."""
    from server.answer import Asker
    from server.llm import make_llm
    from server.retrieve import Retriever

    embedder, vector_store = open_services(settings)
    retriever = Retriever(vector_store, embedder, settings.search)
    return Asker(retriever, embedder, make_llm(settings.answer), settings.answer)


BACKENDS = ("local", "openai", "extractive")
