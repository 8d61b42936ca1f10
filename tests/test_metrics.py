"""Ranking metrics on tiny hand-checked cases, and hit judging for both kinds of gold."""

from __future__ import annotations

import math

import pytest

from eval.datasets import EvalQuery, GoldEntry
from eval.metrics import mean_scores, mrr_at, ndcg_at, percentile, recall_at, score
from eval.retrieval import external_judge, project_judge, split_doc_id
from kb.types import Chunk, Hit


def test_gold_at_rank_two() -> None:
    ranked = ["x", "g", "y"]
    assert recall_at(ranked, {"g"}, 1) == 0
    assert recall_at(ranked, {"g"}, 5) == 1
    assert mrr_at(ranked, {"g"}, 10) == 0.5
    assert ndcg_at(ranked, {"g"}, 10) == pytest.approx(1 / math.log2(3))


def test_gold_first_is_perfect_and_missing_gold_is_zero() -> None:
    assert score(["g", "x"], {"g"}) == dict.fromkeys(score(["g"], {"g"}), 1.0)
    assert score(["x", "y"], {"g"}) == dict.fromkeys(score(["g"], {"g"}), 0.0)
    assert recall_at(["g"], set(), 5) == 0


def test_gold_beyond_k_does_not_count() -> None:
    assert recall_at(["x"] * 10 + ["g"], {"g"}, 10) == 0
    assert mrr_at(["x"] * 10 + ["g"], {"g"}, 10) == 0


def test_one_unit_counts_once_however_many_chunks_hit_it() -> None:
    ranked = ["a", "a", "a", "b"]
    assert recall_at(ranked, {"a", "b"}, 3) == 0.5  # three chunks of `a` are still one gold unit
    expected = (1 + 1 / math.log2(5)) / (1 + 1 / math.log2(3))
    assert ndcg_at(ranked, {"a", "b"}, 10) == pytest.approx(expected)
    assert ndcg_at(["a", "a"], {"a"}, 10) == 1.0  # never above 1


def test_two_gold_units_recall_is_a_share() -> None:
    assert recall_at(["a", "x", "y"], {"a", "b"}, 5) == 0.5
    assert mrr_at(["x", "x", "b", "a"], {"a", "b"}, 10) == pytest.approx(1 / 3)


def test_means_and_percentiles() -> None:
    means = mean_scores([score(["g"], {"g"}), score(["x", "g"], {"g"})])
    assert means["recall@1"] == 0.5
    assert means["mrr@10"] == 0.75
    assert mean_scores([])["recall@5"] == 0
    assert percentile([1, 2, 3, 4, 5], 50) == 3
    assert percentile([10, 20], 95) == pytest.approx(19.5)
    assert percentile([], 95) == 0


def _hit(doc_id: str, page: int = 1) -> Hit:
    chunk = Chunk(id=f"{doc_id}#{page}", doc_id=doc_id, page=page, position=0, text="", language="")
    return Hit(chunk=chunk, score=1.0)


def test_project_judge_matches_document_and_page() -> None:
    query = EvalQuery(
        qid="q",
        text="?",
        language="th",
        gold=(GoldEntry("a.pdf", frozenset({2, 3})), GoldEntry("b.md")),
        gold_languages=("en",),
    )
    scores, pairs = project_judge(query, [_hit("a.pdf", 1), _hit("a.pdf", 3), _hit("a.pdf", 2)])
    assert scores["recall@1"] == 0
    assert scores["recall@5"] == 0.5  # entry a found (once), entry b not
    assert scores["mrr@10"] == 0.5
    assert pairs == {"th→en": scores}


def test_a_page_stating_the_same_answer_counts_for_its_unit_once() -> None:
    faq = GoldEntry("faq.html", frozenset({1}))
    query = EvalQuery(
        qid="q",
        text="?",
        language="zh",
        gold=(GoldEntry("deck.pptx", frozenset({6}), also=(faq,)), GoldEntry("b.md")),
    )
    hits = [_hit("faq.html", 1), _hit("deck.pptx", 6), _hit("faq.html", 2), _hit("b.md")]
    scores, _ = project_judge(query, hits)
    assert scores["recall@1"] == 0.5  # the FAQ answers the first unit: found at rank 1
    assert scores["recall@5"] == 1.0  # the deck's page is the same unit again; b.md the second
    assert scores["mrr@10"] == 1.0
    assert project_judge(query, [_hit("faq.html", 2)])[0]["recall@5"] == 0  # another page: a miss
    assert query.gold[0].documents == ("deck.pptx", "faq.html")


def test_external_judge_any_language_and_per_pair() -> None:
    assert split_doc_id("th/A00P01.txt") == ("th", "A00P01")
    query = EvalQuery(qid="q", text="?", language="th", gold=(GoldEntry("P1"),))
    judge = external_judge(["en", "th"])
    scores, pairs = judge(query, [_hit("en/P1.txt"), _hit("th/P1.txt")])
    assert scores["recall@1"] == 1  # the pid in any language
    assert pairs["th→en"]["recall@1"] == 1
    assert pairs["th→th"]["recall@1"] == 0
    assert pairs["th→th"]["mrr@10"] == 0.5


def test_report_leaves_unanswerable_out_of_recall() -> None:
    from eval.retrieval import Outcome, build_report

    answerable = EvalQuery(
        qid="a", text="?", language="th", gold=(GoldEntry("x.md"),), types=("cross-lingual",)
    )
    unanswerable = EvalQuery(qid="u", text="?", language="zh", gold=(), types=("unanswerable",))
    outcomes = [
        Outcome(answerable, *project_judge(answerable, [_hit("x.md")]), ms=10.0),
        Outcome(unanswerable, *project_judge(unanswerable, [_hit("x.md")]), ms=30.0),
    ]
    report = build_report({"dense": outcomes}, {"passages": 1}, 1.0, "test")
    assert (report["queries"], report["answerable"]) == (2, 1)
    assert report["systems"]["dense"]["recall@1"] == 1.0
    assert report["systems"]["dense"]["latency_ms"]["mean"] == 20.0  # latency counts every query
    assert set(report["breakdown"]["language"]) == {"th"}
    assert set(report["breakdown"]["type"]) == {"cross-lingual"}


def test_a_deck_and_its_pdf_export_answer_for_each_other() -> None:
    from eval.datasets import load_question_set

    queries = {q.qid: q for q in load_question_set()}
    twinned = [g for q in queries.values() for g in q.gold if g.aliases]
    assert twinned, "the sample library has slide decks with PDF exports"
    for gold in twinned:
        twin = next(iter(gold.aliases))
        page = min(gold.pages) if gold.pages else 1
        assert gold.matches(twin, page)
        assert not gold.matches(twin, page + 1000)
    notes = [
        g
        for q in queries.values()
        if "notes" in q.types
        for g in q.gold
        if g.doc_id.endswith(".pptx")
    ]
    assert notes and all(not g.aliases for g in notes), "speaker notes live only in the deck"
    in_notes = queries["conn-zh-04"].gold[0].also[0]  # an `also` page marked `notes: true`
    assert in_notes.doc_id.endswith(".pptx") and not in_notes.aliases
