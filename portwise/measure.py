"""`portwise bench` and `portwise eval`: benchmarks and quality evaluations that print and save figures."""

from __future__ import annotations

import json
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer

from portwise.runtime import (
    BACKENDS,
    StoreOpt,
    edge,
    err,
    load_settings,
    open_asker,
    open_translator,
    out,
    save_translations,
    translation_cache,
)


class Only(StrEnum):
    """Which half of the question set `eval answers --only` runs."""

    answerable = "answerable"
    unanswerable = "unanswerable"


bench_app = typer.Typer(help="Benchmarks: print numbers and write them under bench-results/.")
eval_app = typer.Typer(help="Evaluations: measure retrieval and answer quality, print the figures.")


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


def _ints(text: str) -> list[int]:
    return [int(part.replace("k", "000")) for part in text.split(",") if part.strip()]


@bench_app.command("scale")
@edge
def bench_scale(
    sizes: Annotated[str, typer.Option(help="Collection sizes in chunks, comma-separated.")] = (
        "1k,10k,100k"
    ),
    modes: Annotated[str, typer.Option(help="Store modes: embedded, server.")] = "embedded,server",
    clients: Annotated[str, typer.Option(help="Concurrent clients, comma-separated.")] = "1,8",
    queries: Annotated[
        int, typer.Option(help="Questions timed per cell (XQuAD, 5 languages).")
    ] = 200,
    results: Annotated[Path, typer.Option(help="Folder for scale.json and scale.png.")] = Path(
        "bench-results"
    ),
) -> None:
    """Search latency, HNSW recall@10 and memory at each size, embedded and `chroma run` stores."""
    from eval.bench_scale import run_scale_bench
    from kb.embedder import make_embedder

    settings = load_settings(None)
    embedder = make_embedder(settings.embedder)
    report = run_scale_bench(
        settings,
        embedder,
        results,
        _ints(sizes),
        [m.strip() for m in modes.split(",")],
        _ints(clients),
        queries,
    )
    out.print_json(json.dumps(report))


@bench_app.command("load")
@edge
def bench_load(
    library: Annotated[Path, typer.Option(help="Library folder (holds catalog.yaml).")] = Path(
        "kb"
    ),
    duration: Annotated[float, typer.Option(min=5, help="Seconds of load.")] = 120.0,
    clients: Annotated[int, typer.Option(min=1, help="Concurrent search/ask clients.")] = 20,
    uploads: Annotated[int, typer.Option(min=0, help="Documents uploaded during the run.")] = 3,
    results: Annotated[Path, typer.Option(help="Folder for load.json and load.png.")] = Path(
        "bench-results"
    ),
) -> None:
    """A real server over a scratch copy of LIBRARY: search and ask clients, uploads, RSS over time."""
    from eval.bench_load import run_load_bench
    from eval.datasets import load_question_set
    from eval.load import LoadConfig
    from eval.load_report import report_lines

    questions = [query.text for query in load_question_set()]
    config = LoadConfig(duration_s=duration, clients=clients, uploads=uploads)
    report, written = run_load_bench(library, questions, config, results)
    for line in report_lines(report):
        out.print(line, highlight=False)
    out.print(f"wrote {', '.join(map(str, written))}")
    if report["errors"]:
        raise typer.Exit(1)


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
    translate_languages: Annotated[
        str | None,
        typer.Option(
            help="For the `translated` system: question languages to translate, comma-separated "
            "(default: the search.translate_languages setting)."
        ),
    ] = None,
) -> None:
    """Recall@1/5/10, MRR@10, nDCG@10 per system: the project question set, or external JSONL sets.

    Systems: dense, lexical, hybrid, and translated (hybrid plus the question's English
    translation by the configured LLM; needs `portwise models` or the openai backend).
    """
    from eval.report import print_report, write_chart
    from eval.retrieval import ALL_SYSTEMS, evaluate_external, evaluate_project
    from kb.embedder import make_embedder
    from portwise.progress import BarProgress

    names = {name.strip() for name in systems.split(",") if name.strip()}
    chosen = [mode for mode in ALL_SYSTEMS if mode in names]
    if not chosen or names - set(ALL_SYSTEMS):
        raise typer.BadParameter(
            f"--systems takes a comma-separated subset of {', '.join(ALL_SYSTEMS)}"
        )
    if bool(passages) != bool(queries):
        raise typer.BadParameter("external sets need both --passages and --queries")
    settings = load_settings(store)
    if translate_languages is not None:
        languages = [part.strip() for part in translate_languages.split(",") if part.strip()]
        settings.search.translate_languages = languages
    cache = translation_cache(settings)
    translator = open_translator(settings, cache) if "translated" in chosen else None
    embedder = make_embedder(settings.embedder)
    with BarProgress(err) as progress:
        if passages and queries:
            report = evaluate_external(
                passages,
                queries,
                settings,
                embedder,
                chosen,
                id_field,
                limit,
                progress,
                store,
                translator,
            )
        else:
            report = evaluate_project(settings, embedder, chosen, limit, progress, translator)
    if translator is not None:
        save_translations(translator, cache)
    print_report(out, report)
    if json_file:
        json_file.parent.mkdir(parents=True, exist_ok=True)
        json_file.write_text(json.dumps(report, indent=2, ensure_ascii=False), encoding="utf-8")
        chart = write_chart(report, json_file.with_suffix(".png"))
        out.print(f"wrote {json_file} and {chart}")


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
    only: Annotated[
        Only | None,
        typer.Option(help="Run only the answerable or only the unanswerable questions."),
    ] = None,
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

    report = evaluate_backends(
        settings, chosen, limit, open_asker, err, checkpoint=write, only=only
    )
    write(report)
    for name, figures in report["backends"].items():
        out.print(f"[bold]{name}[/bold]")
        out.print_json(
            json.dumps({"overall": figures["overall"], "calibration": figures["calibration"]})
        )
    out.print(f"wrote {target}")
