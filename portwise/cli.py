"""The `portwise` command line: ingest, search, bench. Errors become one red line and a non-zero exit."""

from __future__ import annotations

import functools
import json
import logging
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer
from rich.console import Console

from kb.errors import PortwiseError
from kb.settings import Settings

app = typer.Typer(
    help="Portwise: offline multilingual search over port best-practice materials.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
bench_app = typer.Typer(help="Benchmarks: print numbers and write them under bench-results/.")
app.add_typer(bench_app, name="bench")
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


@app.callback()
def main(
    verbose: Annotated[
        bool, typer.Option("--verbose", "-v", help="Log what each step does.")
    ] = False,
) -> None:
    """Portwise command line."""
    logging.basicConfig(
        level=logging.WARNING, stream=sys.stderr, format="%(levelname)s %(name)s: %(message)s"
    )
    for package in ("kb", "ingest", "server", "eval", "portwise"):
        logging.getLogger(package).setLevel(logging.INFO if verbose else logging.WARNING)


@app.command()
@edge
def ingest(
    folder: Annotated[
        Path, typer.Argument(help="Library folder (with catalog.yaml), e.g. kb/")
    ] = Path("kb"),
    store: StoreOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Make the store match FOLDER: index new and changed files, drop removed ones."""
    from ingest.pipeline import Syncer
    from portwise.progress import BarProgress
    from portwise.render import print_sync_report

    settings = load_settings(store)
    embedder, vector_store = open_services(settings)
    syncer = Syncer(vector_store, embedder, settings.chunk, settings.embedder.batch_size)
    with BarProgress(err, enabled=not as_json) as progress:
        report = syncer.sync(folder, progress)
    if as_json:
        out.print_json(json.dumps(report.to_json(), ensure_ascii=False))
    else:
        print_sync_report(out, report)
    if report.failed:
        raise typer.Exit(1)


@app.command()
@edge
def search(
    query: Annotated[str, typer.Argument(help="Question or keywords, in any course language.")],
    k: Annotated[int, typer.Option("-k", "--top-k", min=1, max=100, help="Number of hits.")] = 5,
    store: StoreOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Search the library and print the best chunks with document, page and score."""
    from portwise.render import hit_json, print_hits
    from server.retrieve import Retriever

    embedder, vector_store = open_services(load_settings(store))
    result = Retriever(vector_store, embedder).search(query, k=k)
    if as_json:
        payload = {
            "query": query,
            "hits": [hit_json(h) for h in result.hits],
            "timings": result.timings,
        }
        out.print_json(json.dumps(payload, ensure_ascii=False))
    else:
        print_hits(out, result.hits)


@bench_app.command("ingest")
@edge
def bench_ingest(
    folder: Annotated[Path, typer.Argument(help="Library folder to ingest.")] = Path("kb"),
    results: Annotated[Path, typer.Option(help="Folder for the JSON results.")] = Path(
        "bench-results"
    ),
) -> None:
    """Ingest FOLDER into a scratch store; print pages/s, chunks/s, embeddings/s and pipeline overhead."""
    from eval.bench_ingest import run_ingest_bench

    settings = load_settings(None)
    figures = run_ingest_bench(folder, settings, results)
    for key, value in figures.items():
        out.print(f"{key:>28}: {value}")
