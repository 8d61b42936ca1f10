"""Fusion maths on hand-made rankings: RRF, weighted fusion, per-language z-scores, per-document caps."""

from __future__ import annotations

import math

import numpy as np
import pytest

from server import fusion


def test_rrf_sums_reciprocal_ranks() -> None:
    fused = fusion.reciprocal_rank_fusion({"dense": ["a", "b", "c"], "lexical": ["c", "a"]}, k=60)
    assert fused["a"] == pytest.approx(1 / 61 + 1 / 62)
    assert fused["b"] == pytest.approx(1 / 62)
    assert fused["c"] == pytest.approx(1 / 63 + 1 / 61)
    assert fusion.ordered(fused) == ["a", "c", "b"]


def test_rrf_weights_scale_each_leg() -> None:
    fused = fusion.reciprocal_rank_fusion(
        {"dense": ["a", "b"], "lexical": ["b", "a"]}, k=1, weights={"dense": 3.0, "lexical": 1.0}
    )
    assert fused["a"] == pytest.approx(3 / 2 + 1 / 3)
    assert fused["b"] == pytest.approx(3 / 3 + 1 / 2)
    assert fusion.ordered(fused)[0] == "a"


def test_an_item_found_by_both_legs_beats_one_found_by_one() -> None:
    fused = fusion.reciprocal_rank_fusion({"dense": ["x", "both"], "lexical": ["y", "both"]})
    assert fusion.ordered(fused)[0] == "both"


def test_weighted_fusion_normalises_each_leg() -> None:
    fused = fusion.weighted_fusion(
        {"dense": {"a": 0.9, "b": 0.8, "c": 0.7}, "lexical": {"c": 30.0, "b": 10.0}},
        weights={"dense": 1.0, "lexical": 0.5},
    )
    assert fused["a"] == pytest.approx(1.0)
    assert fused["b"] == pytest.approx(0.5 + 0.0)
    assert fused["c"] == pytest.approx(0.0 + 0.5)


def test_min_max_of_equal_scores_is_one() -> None:
    assert fusion.min_max({"a": 2.0, "b": 2.0}) == {"a": 1.0, "b": 1.0}
    assert fusion.min_max({}) == {}


def test_leg_ranks_are_one_based_per_leg() -> None:
    ranks = fusion.leg_ranks({"dense": ["a", "b"], "lexical": ["b"]})
    assert ranks == {"a": {"dense": 1}, "b": {"dense": 2, "lexical": 1}}


def test_zscore_by_group_removes_a_language_lean() -> None:
    # Thai chunks all score high for a Thai question (attraction); the English one stands out in its group.
    scores = {"th1": 0.86, "th2": 0.85, "en1": 0.84}
    groups = {"th1": "th", "th2": "th", "en1": "en"}
    stats = {"th": (0.84, 0.02), "en": (0.74, 0.02)}
    z = fusion.zscore_by_group(scores, groups, stats)
    assert fusion.ordered(z)[0] == "en1"
    assert z["en1"] == pytest.approx(5.0)
    assert z["th1"] == pytest.approx(1.0)


def test_zscore_keeps_a_standout_same_language_chunk_first() -> None:
    scores = {"th1": 0.95, "en1": 0.80}
    z = fusion.zscore_by_group(
        scores, {"th1": "th", "en1": "en"}, {"th": (0.84, 0.02), "en": (0.74, 0.02)}
    )
    assert fusion.ordered(z)[0] == "th1"


def test_cap_per_document_keeps_at_most_n_from_one_document() -> None:
    items = ["a1", "a2", "a3", "a4", "b1", "c1"]
    doc_of = {i: i[0] for i in items}
    assert fusion.cap_per_document(items, doc_of, k=5, max_per_document=2) == [
        "a1",
        "a2",
        "b1",
        "c1",
        "a3",
    ]


def test_cap_fills_from_held_back_only_when_too_few_documents() -> None:
    items = ["a1", "a2", "a3", "a4"]
    doc_of = dict.fromkeys(items, "a")
    assert fusion.cap_per_document(items, doc_of, k=3, max_per_document=1) == ["a1", "a2", "a3"]
    assert fusion.cap_per_document(items, doc_of, k=10, max_per_document=1) == items


def test_spread_moves_a_pages_later_items_behind_every_other_page() -> None:
    items = ["a1", "a2", "b1", "a3", "c1", "a4"]
    page_of = {"a1": ("a", 1), "a2": ("a", 1), "a3": ("a", 2), "a4": ("a", 1), "b1": ("b", 1)}
    # c1 has no page: it is its own. a3 is another page of the same document: it keeps its place.
    assert fusion.spread(items, page_of, 1) == ["a1", "b1", "a3", "c1", "a2", "a4"]
    assert fusion.spread(items, page_of, 2) == ["a1", "a2", "b1", "a3", "c1", "a4"]
    assert fusion.spread(items, page_of, 3) == items


def test_named_boost_weighs_a_named_value_by_how_few_documents_carry_it() -> None:
    fused = {"forum": 1.0, "lecture": 1.2, "other": 1.1}
    year_of = {"forum": 2019, "lecture": 2024, "other": 2023}
    per_year = {2019: 1, 2024: 4, 2023: 3}  # 8 documents
    boosted = fusion.named_boost(fused, year_of, {2019}, per_year, weight=0.4)
    assert boosted["forum"] == pytest.approx(1.4)  # one document of 8 has 2019: the full share
    assert (boosted["lecture"], boosted["other"]) == (1.2, 1.1)
    common = fusion.named_boost(fused, year_of, {2024}, per_year, weight=0.4)
    assert common["lecture"] == pytest.approx(1.2 + 0.4 * math.log(2) / math.log(8))
    assert fusion.named_boost(fused, year_of, {1999}, per_year, weight=0.4) == fused  # no holder
    assert fusion.named_boost(fused, year_of, set(), per_year, weight=0.4) == fused


def test_top_indices_drops_zero_scores_and_orders() -> None:
    scores = np.array([0.0, 2.0, 5.0, 0.0, 1.0], dtype=np.float32)
    assert fusion.top_indices(scores, 10) == [2, 1, 4]
    assert fusion.top_indices(scores, 2) == [2, 1]
    assert fusion.top_indices(np.zeros(0), 3) == []
    keep = np.array([1, 0, 1, 1, 1], dtype=np.float32)
    assert fusion.top_indices(scores, 10, keep) == [2, 4]
    signed = np.array([-1.0, 5.0, 2.0, -3.0], dtype=np.float32)
    assert fusion.top_indices(signed, 10, np.array([1, 0, 1, 1]), floor=-np.inf) == [2, 0, 3]


def test_collapse_duplicates_keeps_the_better_of_two_documents_with_the_same_text() -> None:
    slide = [f"w{i}" for i in range(20)]
    words = {
        "pdf-9": frozenset(slide),
        "deck-9": frozenset([*slide, "speaker", "notes"]),  # the same slide, with its notes
        "deck-9b": frozenset(slide),
        "other": frozenset([*slide[:17], *(f"x{i}" for i in range(5))]),  # 17 of 22 shared
    }
    doc_of = {"deck-9": "deck.pptx", "pdf-9": "deck.pdf", "deck-9b": "deck.pptx", "other": "x"}
    order = ["pdf-9", "other", "deck-9", "deck-9b"]
    # The deck's chunk adds its notes: it stays; its bare copy of the slide goes. Within one
    # document repeats are the per-document cap's business.
    assert fusion.collapse_duplicates(order, words, doc_of) == ["pdf-9", "other", "deck-9"]
    assert fusion.collapse_duplicates(["deck-9", "pdf-9"], words, doc_of) == ["deck-9"]
    assert fusion.collapse_duplicates(order, words, doc_of, threshold=1.01) == order
    short = {"a": frozenset({"berth"}), "b": frozenset({"berth"})}
    assert fusion.collapse_duplicates(["a", "b"], short, {"a": "1", "b": "2"}) == ["a", "b"]


def test_weighted_fusion_scores_what_a_leg_cannot_read_with_its_stand_in() -> None:
    dense = {"en-a": 1.0, "en-b": 0.5, "vi-c": 0.9, "vi-d": 0.0}
    muse = {"en-a": 0.2, "en-b": 0.8, "en-e": 0.4}  # reads English only: vi-c is not a miss there
    plain = fusion.weighted_fusion({"dense": dense, "muse": muse}, {"dense": 1.0, "muse": 0.5})
    assert plain["vi-c"] == pytest.approx(0.9)  # without a stand-in: 0 in the muse leg
    fused = fusion.weighted_fusion(
        {"dense": dense, "muse": muse},
        {"dense": 1.0, "muse": 0.5},
        {"muse": ("dense", frozenset({"vi-c", "vi-d"}))},
    )
    assert fused["vi-c"] == pytest.approx(0.9 + 0.5 * 0.9)  # its dense score stands in
    assert fused["vi-d"] == pytest.approx(0.0)
    assert fused["en-a"] == pytest.approx(plain["en-a"])  # read by the leg: unchanged
    assert fused["en-e"] == pytest.approx(0.5 * (0.4 - 0.2) / 0.6)  # ranked low, not stood in for
    leg_absent = fusion.weighted_fusion({"dense": dense}, {}, {"muse": ("dense", {"vi-c"})})
    assert leg_absent == fusion.weighted_fusion({"dense": dense})  # a leg that did not run: nothing
