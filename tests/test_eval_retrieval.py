"""The retrieval evaluation end to end: external JSONL through the real pipeline, and the question set."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from eval.datasets import DatasetError, load_passages, load_queries, load_question_set
from eval.retrieval import evaluate_external, to_filters
from kb.catalog import load_catalog
from kb.settings import Settings
from portwise.cli import app

ROOT = Path(__file__).resolve().parents[1]
METRICS = {"recall@1", "recall@5", "recall@10", "mrr@10", "ndcg@10"}
ENGLISH = [
    "Berth occupancy ratio measures how long berths are occupied by ships.",
    "Container dwell time is the time a box stays in the terminal yard.",
    "The ISPS Code sets three security levels for ships and port facilities.",
    "Green ports cut emissions with onshore power supply.",
]
THAI = ["ท่าเรือ ตู้คอนเทนเนอร์", "ท่าเทียบเรือ", "ความปลอดภัย", "ท่าเรือ ความปลอดภัย"]


def _jsonl(path: Path, rows: list[dict[str, str]]) -> Path:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), "utf-8")
    return path


@pytest.fixture
def tiny_set(tmp_path: Path) -> tuple[list[Path], Path]:
    """Two passage files (en, th) with the same pids, and English queries with known gold."""
    en = _jsonl(
        tmp_path / "passages.en.jsonl",
        [{"pid": f"P{i}", "text": t} for i, t in enumerate(ENGLISH)],
    )
    th = _jsonl(
        tmp_path / "passages.th.jsonl", [{"pid": f"P{i}", "text": t} for i, t in enumerate(THAI)]
    )
    queries = _jsonl(
        tmp_path / "queries.en.jsonl",
        [
            {
                "qid": "q1",
                "question": "green ports onshore power supply emissions",
                "gold_pid": "P3",
            },
            {"qid": "q2", "question": "container dwell time terminal yard", "gold_pid": "P1"},
        ],
    )
    return [en, th], queries


def _tiny_settings(model_dir: Path) -> Settings:
    settings = Settings()
    settings.embedder.backend = "sentence-transformers"
    settings.embedder.model_path = str(model_dir)
    settings.embedder.query_prefix = ""
    settings.embedder.passage_prefix = ""
    return settings


def test_external_set_end_to_end(
    tiny_set: tuple[list[Path], Path], tiny: object, tiny_model_dir: Path
) -> None:
    passages, queries = tiny_set
    report = evaluate_external(passages, [queries], _tiny_settings(tiny_model_dir), tiny)  # type: ignore[arg-type]
    assert set(report["systems"]) == {"dense", "lexical", "hybrid"}
    for figures in report["systems"].values():
        assert set(figures) >= METRICS
        assert set(figures["latency_ms"]) == {"mean", "p50", "p95"}
    assert report["queries"] == 2
    assert report["passages"] == 8
    assert report["systems"]["lexical"]["recall@1"] == 1.0  # word-for-word queries
    assert report["systems"]["hybrid"]["recall@5"] == 1.0
    assert set(report["breakdown"]["language"]) == {"en"}
    assert set(report["breakdown"]["pair"]) == {"en→en", "en→th"}
    assert report["breakdown"]["pair"]["en→en"]["hybrid"]["recall@5"] == 1.0


def test_cli_writes_json_and_chart(
    tiny_set: tuple[list[Path], Path], tiny_model_dir: Path, tmp_path: Path
) -> None:
    passages, queries = tiny_set
    out = tmp_path / "results" / "tiny.json"
    env = {
        "PORTWISE_EMBEDDER__BACKEND": "sentence-transformers",
        "PORTWISE_EMBEDDER__MODEL_PATH": str(tiny_model_dir),
        "PORTWISE_EMBEDDER__QUERY_PREFIX": "",
        "PORTWISE_EMBEDDER__PASSAGE_PREFIX": "",
    }
    args = ["eval", "retrieval", "--passages", str(passages[0]), "--queries", str(queries)]
    result = CliRunner().invoke(
        app, [*args, "--systems", "lexical,hybrid", "--json", str(out)], env=env
    )
    assert result.exit_code == 0, result.output
    report = json.loads(out.read_text("utf-8"))
    assert set(report["systems"]) == {"lexical", "hybrid"}
    assert out.with_suffix(".png").read_bytes().startswith(b"\x89PNG")


def test_cli_rejects_unknown_system(tiny_set: tuple[list[Path], Path]) -> None:
    passages, queries = tiny_set
    args = ["eval", "retrieval", "--passages", str(passages[0]), "--queries", str(queries)]
    result = CliRunner().invoke(app, [*args, "--systems", "dense,bm42"])
    assert result.exit_code != 0


def test_passages_file_works_as_queries(tmp_path: Path) -> None:
    docs = _jsonl(tmp_path / "docs.khm.jsonl", [{"doc_id": "bbc.1", "text": "អត្ថបទ"}])
    (query,) = load_queries(docs, id_field="doc_id")
    assert (query.qid, query.language, query.gold[0].doc_id) == ("bbc.1", "khm", "bbc.1")
    assert load_passages(docs, id_field="doc_id").passages[0].pid == "bbc.1"
    with pytest.raises(DatasetError, match="missing field"):
        load_passages(docs)  # no `pid` field


def test_question_set_gold_is_in_the_catalog() -> None:
    questions = load_question_set()
    catalog = load_catalog(ROOT / "kb")
    assert len(questions) > 150
    assert len({q.qid for q in questions}) == len(questions)
    for question in questions:
        assert question.answerable == bool(question.gold), question.qid
        for doc_id in (doc for gold in question.gold for doc in gold.documents):
            assert doc_id in catalog.entries, f"{question.qid}: {doc_id}"
            assert (catalog.library / doc_id).is_file(), doc_id
        to_filters(question.filters)  # every filter block converts


def test_filters_from_a_question() -> None:
    filters = to_filters({"year": 2019, "kind": "conference-paper"})
    assert filters is not None
    assert (filters.year_from, filters.year_to, filters.kind) == (2019, 2019, ("conference-paper",))
    assert to_filters({}) is None


@pytest.mark.bench
def test_search_bench_writes_figures(tiny: object, tiny_model_dir: Path, tmp_path: Path) -> None:
    from eval.bench_search import run_search_bench
    from ingest.pipeline import Syncer
    from kb.store import Store

    library = tmp_path / "library"
    library.mkdir()
    for i, text in enumerate(ENGLISH):
        (library / f"doc{i}.txt").write_text(text, "utf-8")
    settings = _tiny_settings(tiny_model_dir)
    settings.store.path = str(tmp_path / "store")
    store = Store(settings.store, tiny.name, tiny.dim)  # type: ignore[attr-defined]
    Syncer(store, tiny, settings.chunk).sync(library)  # type: ignore[arg-type]
    figures = run_search_bench(settings, tiny, tmp_path / "results")  # type: ignore[arg-type]
    assert figures["questions"] > 150
    for system in ("hybrid", "dense", "bare_store_search"):
        assert set(figures[system]) == {"mean_ms", "p50_ms", "p95_ms", "p99_ms"}
    assert json.loads((tmp_path / "results" / "search.json").read_text("utf-8")) == figures


def test_questions_exposed_to_language_attraction_are_tagged() -> None:
    from eval.datasets import EvalQuery, GoldEntry
    from eval.retrieval import ATTRACTION, tag_attraction

    def query(qid: str, language: str, gold: str | None) -> EvalQuery:
        entries = (GoldEntry(gold, frozenset({1}), frozenset()),) if gold else ()
        return EvalQuery(qid, "?", language, entries, types=("single",))

    languages = {"en/kpi.pdf": "en", "vi/cang.pdf": "vi", "th/thai.pdf": "th"}
    tagged = tag_attraction(
        [
            query("vi-en", "vi", "en/kpi.pdf"),  # a Vietnamese document can pull it away
            query("vi-vi", "vi", "vi/cang.pdf"),  # its own language holds the answer
            query("km-en", "km", "en/kpi.pdf"),  # no Khmer document to be drawn to
            query("en-th", "en", "th/thai.pdf"),
            query("vi-none", "vi", None),  # unanswerable
        ],
        languages,
    )
    assert [q.qid for q in tagged if ATTRACTION in q.types] == ["vi-en", "en-th"]
    assert all(q.types[0] == "single" for q in tagged)


def test_attraction_counts_only_a_wrong_first_hit_in_the_questions_own_language() -> None:
    from eval.datasets import EvalQuery, GoldEntry
    from eval.retrieval import ATTRACTION, Outcome, attraction

    def outcome(
        language: str, r1: float, top: str, types: tuple[str, ...] = (ATTRACTION,), sources=1
    ):
        gold = tuple(
            GoldEntry(f"en/kpi-{n}.pdf", frozenset({1}), frozenset()) for n in range(sources)
        )
        query = EvalQuery(f"{language}-{top}", "?", language, gold, types=types)
        return Outcome(query, {"recall@1": r1, "mrr@10": 1.0 if r1 else 0.0}, {}, 1.0, top)

    languages = {
        "en/kpi-0.pdf": "en",
        "en/kpi-1.pdf": "en",
        "en/other.pdf": "en",
        "vi/cang.pdf": "vi",
    }
    figures = attraction(
        [
            outcome("vi", 1.0, "en/kpi-0.pdf"),  # found
            outcome("vi", 0.5, "en/kpi-1.pdf", sources=2),  # one of its two sources first
            outcome("vi", 0.0, "vi/cang.pdf"),  # drawn to its own language: counts
            outcome("vi", 0.0, "en/other.pdf"),  # a miss, but not attraction
            outcome("vi", 0.0, ""),  # nothing found
            outcome("vi", 0.0, "vi/cang.pdf", types=("single",)),  # not exposed: ignored
        ],
        languages,
    )
    assert figures == {
        "questions": 5,
        "recall@1": 0.3,  # (1 + 0.5) / 5
        "recall@1_ceiling": 0.9,  # (1 + 0.5 + 1 + 1 + 1) / 5: two sources cannot both be first
        "first_hit_gold": 0.4,
        "own_language_first": 0.2,
    }
