"""Answer evaluation: the question set through ask, per backend and language, written as JSON.

Per question: was the answer in the asker's language, does every citation hold (its number was in
the context and its quote is verbatim in that chunk, on the cited page), is a gold page cited, how
many key facts the answer states, refusals, and latency. The refusal threshold is calibrated from
the same run: the relevance of each question's best chunk, unanswerable versus answerable, on top
of the refusals the pipeline makes itself after generation.
"""

from __future__ import annotations

import itertools
import math
import re
import statistics
import unicodedata
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any

import yaml
from rich.console import Console

from eval.datasets import QUESTIONS_DIR, EvalQuery, load_question_set
from eval.retrieval import to_filters
from kb.languages import detect_language, normalise_language
from kb.settings import Settings
from kb.types import Answer
from server.answer import Asker, refusal_text
from server.citations import numbers_in, strip_markers

MAX_FALSE_REFUSALS = 0.10
OFF_TOPIC = Path(__file__).resolve().parent / "offtopic.yaml"


@dataclass(frozen=True)
class Outcome:
    """How one question's answer scored."""

    qid: str
    language: str
    answerable: bool
    backend: str
    refused: bool
    language_ok: bool
    citations: int
    citations_valid: int
    gold_cited: bool
    gold_recall: float
    facts: int
    facts_found: int
    relevance: float
    first_token_ms: float
    total_ms: float
    answer: str


def load_facts(folder: Path = QUESTIONS_DIR) -> dict[str, tuple[str, ...]]:
    """{question id: key facts} from the question files' `facts` fields."""
    facts: dict[str, tuple[str, ...]] = {}
    for path in sorted(folder.glob("*.yaml")):
        for row in yaml.safe_load(path.read_text(encoding="utf-8")) or []:
            facts[str(row["id"])] = tuple(str(f) for f in row.get("facts") or ())
    return facts


def _fold(text: str) -> str:
    return re.sub(r"\s+", " ", unicodedata.normalize("NFKC", text).casefold()).strip()


def fact_found(fact: str, answer: str) -> bool:
    """The fact appears in the answer, or (for a figure) every number it states does."""
    if _fold(fact) in _fold(answer):
        return True
    numbers = numbers_in(fact)
    return bool(numbers) and numbers <= numbers_in(answer)


def citation_valid(answer: Answer, n: int, doc_id: str, page: int, quote: str) -> bool:
    """The number was in the context and its quote is verbatim in that chunk, on the cited page."""
    if not 1 <= n <= len(answer.sources):
        return False
    chunk = answer.sources[n - 1].chunk
    return chunk.doc_id == doc_id and chunk.page == page and quote in chunk.text


def judge(query: EvalQuery, answer: Answer, backend: str, facts: Sequence[str]) -> Outcome:
    """Score one answer against the question's gold pages and key facts."""
    body = strip_markers(answer.text)
    cited = {(c.doc_id, c.page) for c in answer.citations}
    covered = [any(g.matches(d, p) for d, p in cited) for g in query.gold]
    valid = sum(citation_valid(answer, c.n, c.doc_id, c.page, c.quote) for c in answer.citations)
    return Outcome(
        qid=query.qid,
        language=normalise_language(query.language),
        answerable=query.answerable,
        backend=backend,
        refused=answer.refused,
        language_ok=detect_language(body) == normalise_language(query.language),
        citations=len(answer.citations),
        citations_valid=valid,
        gold_cited=any(covered),
        gold_recall=sum(covered) / len(covered) if covered else 0.0,
        facts=len(facts),
        facts_found=sum(fact_found(f, body) for f in facts) if not answer.refused else 0,
        relevance=float(answer.timings.get("relevance", float("-inf"))),
        first_token_ms=float(
            answer.timings.get("first_token_ms", answer.timings.get("total_ms", 0))
        ),
        total_ms=float(answer.timings.get("total_ms", 0.0)),
        answer=answer.text,
    )


def run_questions(
    asker: Asker,
    queries: Sequence[EvalQuery],
    facts: Mapping[str, Sequence[str]],
    progress: Callable[[list[Outcome]], None] | None = None,
) -> list[Outcome]:
    """Ask every question (with its catalog filters) and judge the answers."""
    outcomes: list[Outcome] = []
    for query in queries:
        answer, backend = asker.ask(query.text, filters=to_filters(query.filters))
        outcomes.append(judge(query, answer, backend, facts.get(query.qid, ())))
        if progress:
            progress(outcomes)
    return outcomes


def _share(values: Sequence[bool]) -> float | None:
    return round(sum(values) / len(values), 3) if values else None


def _ms(values: Sequence[float]) -> dict[str, float] | None:
    if not values:
        return None
    ordered = sorted(values)
    p95 = ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))]
    return {"p50": round(statistics.median(ordered), 1), "p95": round(p95, 1)}


def summary(outcomes: Sequence[Outcome]) -> dict[str, Any]:
    """The acceptance figures for a group of outcomes."""
    answerable = [o for o in outcomes if o.answerable]
    answered = [o for o in answerable if not o.refused]
    unanswerable = [o for o in outcomes if not o.answerable]
    citations = sum(o.citations for o in outcomes)
    facts = sum(o.facts for o in answered)
    return {
        "questions": len(outcomes),
        "answer_language_accuracy": _share([o.language_ok for o in outcomes]),
        "citation_precision": round(sum(o.citations_valid for o in outcomes) / citations, 3)
        if citations
        else None,
        "citations": citations,
        "gold_page_cited": _share([o.gold_cited for o in answered]),
        "gold_page_cited_all_answerable": _share([o.gold_cited for o in answerable]),
        "citation_recall": round(statistics.fmean(o.gold_recall for o in answered), 3)
        if answered
        else None,
        "key_fact_coverage": round(sum(o.facts_found for o in answered) / facts, 3)
        if facts
        else None,
        "correct_refusals": _share([o.refused for o in unanswerable]),
        "false_refusals": _share([o.refused for o in answerable]),
        "first_token_ms": _ms([o.first_token_ms for o in outcomes if not o.refused]),
        "total_ms": _ms([o.total_ms for o in outcomes]),
    }


def calibrate(outcomes: Sequence[Outcome], floor: float = -1.0) -> dict[str, float | None]:
    """The relevance threshold that, on top of the pipeline's own refusals, refuses best.

    A question is refused at threshold t when its relevance is under t or the pipeline refused it
    anyway (the LLM said the sources do not cover it, or nothing survived verification). The
    threshold refuses most unanswerable questions within 10% false refusals; when the pipeline
    alone already refuses more answerable questions than that, the threshold adds refusals only
    where they separate (most correct minus false refusals; the lowest such threshold on ties).
    `floor` is the threshold the outcomes were run at: below it, what generation would have done
    is unknown, so no lower threshold is offered (run with --threshold -1 to calibrate freely; a
    cosine is never under -1, so -1 refuses on relevance only when nothing was found).
    Thresholds are offered halfway between neighbouring relevances, not on one question's value.
    """
    good = [o for o in outcomes if o.answerable]
    bad = [o for o in outcomes if not o.answerable]
    if not good or not bad:
        return {"threshold": None, "correct_refusals": None, "false_refusals": None}

    def rates(threshold: float) -> tuple[float, float]:
        def refused(o: Outcome) -> bool:
            return o.refused or o.relevance < threshold

        return sum(map(refused, bad)) / len(bad), sum(map(refused, good)) / len(good)

    seen = sorted({o.relevance for o in outcomes if math.isfinite(o.relevance)})
    halfway = [(low + high) / 2 for low, high in itertools.pairwise(seen)]
    candidates = [floor, *(t for t in halfway if t > floor)]
    scored = [(threshold, *rates(threshold)) for threshold in candidates]
    within = [row for row in scored if row[2] <= MAX_FALSE_REFUSALS]
    if within:  # most correct refusals, then fewest false ones, then the lowest threshold
        threshold, correct, false = max(within, key=lambda r: (r[1], -r[2], -r[0]))
    else:
        threshold, correct, false = max(scored, key=lambda r: (r[1] - r[2], -r[0]))
    return {"threshold": threshold, "correct_refusals": correct, "false_refusals": false}


def answerable_floor(outcomes: Sequence[Outcome]) -> float | None:
    """The highest threshold that refuses no answerable question on relevance: their lowest relevance.

    Where relevance does not separate the set's unanswerable questions (they are on the course's
    topics, and only the asked fact is missing), the joint calibration offers no threshold; this
    floor still refuses what scores below every answerable question, as an off-topic question does,
    at no cost to the set.
    """
    scores = [o.relevance for o in outcomes if o.answerable and math.isfinite(o.relevance)]
    return min(scores) if scores else None


def apply_threshold(outcomes: Sequence[Outcome], threshold: float) -> list[Outcome]:
    """The outcomes the pipeline gives at `threshold`: refusal depends on relevance alone, before generation."""
    return [
        replace(
            o,
            refused=True,
            language_ok=True,  # the fixed refusal sentence (tests check each is detected as its language)
            citations=0,
            citations_valid=0,
            gold_cited=False,
            gold_recall=0.0,
            facts_found=0,
            answer=refusal_text(o.language),
        )
        if o.relevance < threshold
        else o
        for o in outcomes
    ]


def figures(outcomes: Sequence[Outcome]) -> dict[str, Any]:
    """Overall and per-language figures."""
    languages = sorted({o.language for o in outcomes})
    return {
        "overall": summary(outcomes),
        "per_language": {
            lang: summary([o for o in outcomes if o.language == lang]) for lang in languages
        },
    }


def report(
    outcomes: Sequence[Outcome], ran_at: float, threshold: float | None = None
) -> dict[str, Any]:
    """Figures as run, the calibration, figures at its (or a given) threshold, every outcome.

    `ran_at` is the refusal threshold the outcomes were run at.
    """
    calibration = calibrate(outcomes, floor=ran_at)
    chosen = threshold if threshold is not None else calibration["threshold"]
    at = figures(apply_threshold(outcomes, chosen)) if chosen is not None else None
    return {
        **figures(outcomes),
        "ran_at_threshold": ran_at,
        "calibration": calibration,
        "at_threshold": {"threshold": chosen, **at} if at else None,
        "outcomes": [asdict(o) for o in outcomes],
    }


def choose(queries: Sequence[EvalQuery], only: str | None, limit: int | None) -> list[EvalQuery]:
    """The questions to run: `only` answerable or unanswerable ones (None: all), at most `limit`."""
    kept = [q for q in queries if only is None or q.answerable == (only == "answerable")]
    return spread(kept, limit)


def spread(queries: Sequence[EvalQuery], limit: int | None) -> list[EvalQuery]:
    """At most `limit` questions, ordered so that every prefix samples the whole set evenly."""
    stride = 10
    order = sorted(range(len(queries)), key=lambda i: (i % stride, i))
    return [queries[i] for i in order[: limit or len(queries)]]


def evaluate_backends(
    settings: Settings,
    backends: Sequence[str],
    limit: int | None,
    open_asker: Callable[[Settings], Asker],
    console: Console,
    checkpoint: Callable[[dict[str, Any]], None] | None = None,
    only: str | None = None,
) -> dict[str, Any]:
    """Run the question set through each backend; a backend whose LLM is missing is reported, not run.

    `only` ("answerable" or "unanswerable") runs that half of the set, for refusal work on the
    28 unanswerable questions without an hour of generation on the rest.
    """
    queries = choose(load_question_set(), only, limit)
    facts = load_facts()
    out: dict[str, Any] = {"questions": len(queries), "backends": {}, "skipped": {}}
    for name in backends:
        answer_settings = settings.answer.model_copy(update={"backend": name})
        asker = open_asker(settings.model_copy(update={"answer": answer_settings}))
        ran_at = answer_settings.refusal_threshold
        if name != "extractive" and asker.llm is None:
            out["skipped"][name] = "no LLM configured or installed (run `portwise models`)"
            continue

        def tick(done: list[Outcome], backend: str = name, ran_at: float = ran_at) -> None:
            console.print(f"{backend}: {len(done)}/{len(queries)} questions", highlight=False)
            if checkpoint:
                checkpoint({**out, "backends": {**out["backends"], backend: report(done, ran_at)}})

        outcomes = run_questions(asker, queries, facts, tick)
        out["backends"][name] = report(outcomes, ran_at)
        out["backends"][name]["settings"] = answer_settings.model_dump(exclude={"api_key"})
    return out


def calibrate_questions(asker: Asker, queries: Sequence[EvalQuery]) -> dict[str, Any]:
    """Calibrate the refusal threshold on relevance alone (no generation): every question, fast.

    It cannot see the refusals generation makes, so it spends the whole false-refusal budget on
    relevance; the threshold `evaluate_backends` calibrates from a run at --threshold -1 does not.
    """
    outcomes = []
    for query in queries:
        relevance = asker.relevance(query.text, to_filters(query.filters))
        outcome = _blank(query, relevance)
        outcomes.append(outcome)
    per_language = {
        lang: calibrate([o for o in outcomes if o.language == lang])
        for lang in sorted({o.language for o in outcomes})
    }
    floor = answerable_floor(outcomes)
    off_topic = [asker.relevance(q, None) for q in load_off_topic()]
    return {
        "overall": calibrate(outcomes),
        "per_language": per_language,
        "answerable_floor": floor,
        "off_topic_under_floor": sum(r < floor for r in off_topic) if floor is not None else None,
        "off_topic": len(off_topic),
        "questions": len(outcomes),
    }


def load_off_topic(path: Path = OFF_TOPIC) -> list[str]:
    """The off-topic questions (eval/offtopic.yaml) that no course material answers."""
    return [row["question"] for row in yaml.safe_load(path.read_text(encoding="utf-8"))]


def _blank(query: EvalQuery, relevance: float) -> Outcome:
    return Outcome(
        qid=query.qid,
        language=normalise_language(query.language),
        answerable=query.answerable,
        backend="",
        refused=False,
        language_ok=False,
        citations=0,
        citations_valid=0,
        gold_cited=False,
        gold_recall=0.0,
        facts=0,
        facts_found=0,
        relevance=relevance,
        first_token_ms=0.0,
        total_ms=0.0,
        answer="",
    )
