"""What every `portwise` command shares: consoles, settings, services, and the error edge."""

from __future__ import annotations

import functools
import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer
from rich.console import Console

from kb.errors import ConfigError, PortwiseError
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
    from server.translate import translator_for

    embedder, vector_store = open_services(settings)
    llm = make_llm(settings.answer)
    translator = translator_for(llm, settings.search)
    retriever = Retriever(vector_store, embedder, settings.search, translator=translator)
    return Asker(retriever, embedder, llm, settings.answer)


def open_translator(settings: Settings, cache: Path | None = None) -> Any:
    """The query translator over the configured LLM; a ConfigError when there is no LLM.

    With `cache`, translations already in that JSON file are reused; `save_translations` adds
    the new ones (evaluations re-run the same questions many times).
    """
    from server.llm import make_llm
    from server.translate import CACHE_SIZE, QueryTranslator

    llm = make_llm(settings.answer)
    if llm is None:
        raise ConfigError(
            "translation needs an LLM: run `portwise models` (local) or set "
            "PORTWISE_ANSWER__BACKEND=openai with its base URL and model"
        )
    known = json.loads(cache.read_text(encoding="utf-8")) if cache and cache.is_file() else {}
    size = None if cache else CACHE_SIZE  # a file cache keeps every translation
    return QueryTranslator(llm, settings.search.translate_languages, cache_size=size, known=known)


def translation_cache(settings: Settings) -> Path:
    """Where evaluations keep translations made by the configured LLM."""
    answer = settings.answer
    model = answer.model if answer.backend == "openai" else Path(answer.model_path or "qwen").stem
    slug = "".join(c if c.isalnum() else "-" for c in f"{answer.backend}-{model}")
    return Path("bench-results") / "cache" / f"translations-{slug}.json"


def save_translations(translator: Any, cache: Path) -> None:
    """Write the translator's translations to `cache` (JSON)."""
    cache.parent.mkdir(parents=True, exist_ok=True)
    text = json.dumps(translator.known(), ensure_ascii=False, indent=0)
    cache.write_text(text, encoding="utf-8")


BACKENDS = ("local", "openai", "extractive")
