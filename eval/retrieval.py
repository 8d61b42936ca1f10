"""Retrieval evaluation runner: every query through `Retriever.search` per system, scored and broken down.

External sets (JSONL) are written as `<language>/<pid>.txt` files into a temporary folder and indexed
into a throwaway store by the product's own `Syncer` (same chunking, embedder, lexical tokens), so what
is measured is the product. The project set runs on the given store with each question's filters.
"""

from __future__ import annotations

import logging
import tempfile
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Literal, cast

from eval.datasets import (
    DatasetError,
    EvalQuery,
    PassageSet,
    load_passages,
    load_queries,
    load_question_set,
)
from eval.metrics import mean_scores, percentile, score
from ingest.pipeline import Syncer, SyncProgress
from kb.embedder import Embedder
from kb.settings import Settings, StoreSettings
from kb.store import Store
from kb.types import Filters, Hit
from server.retrieve import Mode, Retriever
from server.translate import QueryTranslator

logger = logging.getLogger(__name__)
System = Literal["dense", "lexical", "hybrid", "translated"]
SYSTEMS: tuple[System, ...] = ("dense", "lexical", "hybrid")
ATTRACTION = "language-attraction"
# `translated` is hybrid search plus the question's English translation by the LLM (needs one).
ALL_SYSTEMS: tuple[System, ...] = (*SYSTEMS, "translated")
K = 10
EVAL_COLLECTION = "eval"  # external sets kept in a --store never touch the product's collections
Scores = Mapping[str, float]
Judge = Callable[[EvalQuery, Sequence[Hit]], tuple[Scores, dict[str, Scores]]]


@dataclass(frozen=True)
class Outcome:
    """One query under one system: its scores, per (query, passage language) pair scores, latency."""

    query: EvalQuery
    scores: Scores
    pairs: Mapping[str, Scores]
    ms: float
    top_doc: str = ""  # the document of the first hit ("" when nothing was found)


def to_filters(raw: Mapping[str, Any]) -> Filters | None:
    """A question's `filters` block as the retriever's `Filters` (a year is an exact-year range)."""
    if not raw:
        return None

    def many(name: str) -> tuple[str, ...]:
        value = raw.get(name)
        if value in (None, ""):
            return ()
        return tuple(str(v) for v in value) if isinstance(value, list) else (str(value),)

    year = raw.get("year")
    return Filters(
        kind=many("kind"),
        event=many("event"),
        language=many("language"),
        topics=many("topics"),
        country=many("country"),
        audience=many("audience"),
        year_from=int(raw.get("year_from") or year or 0) or None,
        year_to=int(raw.get("year_to") or year or 0) or None,
    )


def split_doc_id(doc_id: str) -> tuple[str, str]:
    """`th/A00P00.txt` → (`th`, `A00P00`): an external passage's language tag and id."""
    tag, _, name = doc_id.partition("/")
    return tag, name.removesuffix(".txt")


def external_judge(tags: Sequence[str]) -> Judge:
    """Scores against the gold pid in any language, plus one pair score per passage language."""

    def judge(query: EvalQuery, hits: Sequence[Hit]) -> tuple[Scores, dict[str, Scores]]:
        located = [split_doc_id(h.chunk.doc_id) for h in hits]
        pids = {g.doc_id for g in query.gold}
        scores = score([pid for _, pid in located], pids)
        pairs = {
            f"{query.language}→{tag}": score(located, {(tag, pid) for pid in pids}) for tag in tags
        }
        return scores, pairs

    return judge


def project_judge(query: EvalQuery, hits: Sequence[Hit]) -> tuple[Scores, dict[str, Scores]]:
    """A hit counts for the first gold (document, pages) entry it lands in; each entry counts once."""
    units: list[Any] = []
    for hit in hits:
        chunk = hit.chunk
        found = [i for i, g in enumerate(query.gold) if g.matches(chunk.doc_id, chunk.page)]
        units.append(found[0] if found else (chunk.doc_id, chunk.page))
    scores = score(units, set(range(len(query.gold))))
    pair = f"{query.language}→{'+'.join(query.gold_languages) or 'none'}"
    return scores, {pair: scores}


def run_system(
    retriever: Retriever, queries: Sequence[EvalQuery], system: System, judge: Judge, k: int = K
) -> list[Outcome]:
    """Every query through `retriever.search` as `system` runs it, timed and judged."""
    translate = system == "translated"
    mode = cast(Mode, "hybrid" if translate else system)
    if queries:  # warm-up: the first search builds the lexical index; keep it out of the timings
        retriever.search(queries[0].text, k=k, mode=mode)
    outcomes = []
    for number, query in enumerate(queries, start=1):
        began = time.perf_counter()
        result = retriever.search(
            query.text,
            k=k,
            filters=to_filters(query.filters),
            mode=mode,
            translate=translate,
        )
        ms = (time.perf_counter() - began) * 1000
        scores, pairs = judge(query, result.hits)
        top = result.hits[0].chunk.doc_id if result.hits else ""
        outcomes.append(Outcome(query, scores, pairs, ms, top))
        if number % 200 == 0:
            logger.info("%s: %d/%d queries", system, number, len(queries))
    return outcomes


def index_passages(
    sets: Sequence[PassageSet], syncer: Syncer, progress: SyncProgress | None = None
) -> int:
    """Write every passage as `<language>/<pid>.txt` in a temporary folder and sync it into the store."""
    with tempfile.TemporaryDirectory(prefix="portwise-eval-") as scratch:
        folder = Path(scratch)
        for passage_set in sets:
            (folder / passage_set.language).mkdir(exist_ok=True)
            for passage in passage_set.passages:
                if "/" in passage.pid or passage.pid.startswith("."):
                    raise DatasetError(f"passage id {passage.pid!r} cannot name a file; rename it")
                (folder / passage_set.language / f"{passage.pid}.txt").write_text(
                    passage.text, encoding="utf-8"
                )
        report = syncer.sync(folder, progress)
    return int(report.totals()["indexed"])


def evaluate_external(
    passage_files: Sequence[Path],
    query_files: Sequence[Path],
    settings: Settings,
    embedder: Embedder,
    systems: Sequence[System] = SYSTEMS,
    id_field: str = "pid",
    limit: int | None = None,
    progress: SyncProgress | None = None,
    keep: str | None = None,
    translator: QueryTranslator | None = None,
) -> dict[str, Any]:
    """Index the passages into a throwaway store, run every query file, return the JSON report.

    With `keep` (a store path), the index lives in that store's `eval` collections instead and is
    reused by the next run on the same passages (the product's `portwise` collections are untouched).
    """
    began = time.perf_counter()
    sets = [load_passages(path, id_field) for path in passage_files]
    queries = [q for path in query_files for q in load_queries(path, id_field, limit)]
    with tempfile.TemporaryDirectory(prefix="portwise-eval-store-") as scratch:
        where = StoreSettings(path=keep, collection=EVAL_COLLECTION) if keep else None
        store = Store(where or StoreSettings(path=scratch), embedder.name, embedder.dim)
        syncer = Syncer.from_settings(store, embedder, settings)
        indexed = index_passages(sets, syncer, progress)
        index_seconds = time.perf_counter() - began
        retriever = Retriever(store, embedder, settings.search, translator=translator)
        judge = external_judge([s.language for s in sets])
        by_system = {system: run_system(retriever, queries, system, judge) for system in systems}
        chunks = store.count()
    facts = {
        "passages": sum(len(s.passages) for s in sets),
        "newly_indexed": indexed,
        "chunks": chunks,
        "index_seconds": round(index_seconds, 1),
    }
    return build_report(by_system, facts, time.perf_counter() - began, embedder.name)


def evaluate_project(
    settings: Settings,
    embedder: Embedder,
    systems: Sequence[System] = SYSTEMS,
    limit: int | None = None,
    progress: SyncProgress | None = None,
    translator: QueryTranslator | None = None,
) -> dict[str, Any]:
    """Run the project question set on the settings' store (ingesting the library first if empty)."""
    began = time.perf_counter()
    queries = load_question_set()[:limit]
    store = Store(settings.store, embedder.name, embedder.dim)
    if store.count() == 0:
        logger.info("the store is empty; ingesting %s first", settings.library.root)
        syncer = Syncer.from_settings(store, embedder, settings)
        syncer.sync(settings.library.root, progress)
    retriever = Retriever(store, embedder, settings.search, translator=translator)
    records = store.documents()
    languages = {doc: str(r.meta.get("language", "")) for doc, r in records.items()}
    queries = tag_attraction(queries, languages)
    by_system = {
        system: run_system(retriever, queries, system, project_judge) for system in systems
    }
    facts = {"passages": len(records), "chunks": store.count(), "store": store.location}
    report = build_report(by_system, facts, time.perf_counter() - began, embedder.name)
    report["attraction"] = {
        system: attraction(outcomes, languages) for system, outcomes in by_system.items()
    }
    return report


def tag_attraction(queries: Sequence[EvalQuery], languages: Mapping[str, str]) -> list[EvalQuery]:
    """Queries exposed to language attraction get the type `language-attraction`.

    Those asked in a language the library holds documents in (`languages`: document → language),
    whose answer lies only in documents of other languages: dense search tends to rank the
    question's own-language documents first, relevant or not.
    """
    held = set(languages.values())

    def exposed(query: EvalQuery) -> bool:
        gold = {languages.get(doc, "") for g in query.gold for doc in g.documents}
        return bool(query.gold) and query.language in held and query.language not in gold

    return [replace(q, types=(*q.types, ATTRACTION)) if exposed(q) else q for q in queries]


def attraction(outcomes: Sequence[Outcome], languages: Mapping[str, str]) -> dict[str, Any]:
    """On the questions exposed to language attraction: their R@1, and how often attraction wins.

    `own_language_first` is the share whose first hit is a wrong document in the question's own
    language: R@1 counts every kind of miss, this counts the one the correction is for.
    `first_hit_gold` is the share whose first hit is a gold page; R@1 falls short of it where a
    question has two gold entries and can find only one at rank 1, so `recall@1_ceiling` is the
    most R@1 can reach on these questions.
    """
    exposed = [o for o in outcomes if ATTRACTION in o.query.types and o.query.answerable]
    attracted = [
        o
        for o in exposed
        if o.scores["recall@1"] == 0 and languages.get(o.top_doc) == o.query.language
    ]
    count = max(len(exposed), 1)
    return {
        "questions": len(exposed),
        "recall@1": round(sum(o.scores["recall@1"] for o in exposed) / count, 4),
        "recall@1_ceiling": round(sum(1 / len(o.query.gold) for o in exposed) / count, 4),
        "first_hit_gold": round(sum(o.scores["mrr@10"] == 1.0 for o in exposed) / count, 4),
        "own_language_first": round(len(attracted) / count, 4),
    }


def summary(outcomes: Sequence[Outcome], latency: bool = True) -> dict[str, Any]:
    """Mean metrics over the answerable queries (rounded), their count, and latency over all."""
    answerable = [o.scores for o in outcomes if o.query.answerable]
    figures: dict[str, Any] = {k: round(v, 4) for k, v in mean_scores(answerable).items()}
    figures["queries"] = len(answerable)
    if latency:
        ms = [o.ms for o in outcomes]
        figures["latency_ms"] = {
            "mean": round(sum(ms) / max(len(ms), 1), 2),
            "p50": round(percentile(ms, 50), 2),
            "p95": round(percentile(ms, 95), 2),
        }
    return figures


def breakdown(
    by_system: Mapping[str, Sequence[Outcome]],
    groups: Callable[[Outcome], Iterable[tuple[str, Scores]]],
) -> dict[str, dict[str, Any]]:
    """{group: {system: metrics}} over answerable queries; `groups` yields (group, scores) per outcome."""
    table: dict[str, dict[str, Any]] = {}
    for system, outcomes in by_system.items():
        grouped: dict[str, list[Outcome]] = {}
        for outcome in (o for o in outcomes if o.query.answerable):
            for group, scores in groups(outcome):
                grouped.setdefault(group, []).append(Outcome(outcome.query, scores, {}, outcome.ms))
        for group, members in sorted(grouped.items()):
            table.setdefault(group, {})[system] = summary(members, latency=False)
    return table


def build_report(
    by_system: Mapping[str, Sequence[Outcome]],
    facts: Mapping[str, Any],
    seconds: float,
    embedder: str,
) -> dict[str, Any]:
    """The `--json` report: overall per system, and breakdowns by language, pair and type."""
    first = next(iter(by_system.values()), [])
    return {
        "systems": {system: summary(outcomes) for system, outcomes in by_system.items()},
        "queries": len(first),
        "answerable": sum(o.query.answerable for o in first),
        **facts,
        "seconds": round(seconds, 1),
        "embedder": embedder,
        "breakdown": {
            "language": breakdown(by_system, lambda o: [(o.query.language, o.scores)]),
            "pair": breakdown(by_system, lambda o: o.pairs.items()),
            "type": breakdown(
                by_system,
                lambda o: [(t, o.scores) for t in o.query.types if t != "unanswerable"],
            ),
        },
    }
