"""Ranking metrics as pure functions: Recall@k, MRR@k and nDCG@k over ranked ids and a gold set.

`ranked` holds one id per hit, best first: the gold unit a hit belongs to (a passage, a document's
page) or any other id when it belongs to none. A gold unit counts once, at its first rank, so one
document's many chunks never count twice; later hits of the same unit are simply not relevant.
"""

from __future__ import annotations

import math
from collections.abc import Collection, Hashable, Mapping, Sequence

METRICS = ("recall@1", "recall@5", "recall@10", "mrr@10", "ndcg@10")


def gold_ranks(ranked: Sequence[Hashable], gold: Collection[Hashable], k: int) -> list[int]:
    """1-based ranks, within the top `k`, at which each gold unit first appears."""
    seen: set[Hashable] = set()
    ranks = []
    for rank, unit in enumerate(ranked[:k], start=1):
        if unit in gold and unit not in seen:
            seen.add(unit)
            ranks.append(rank)
    return ranks


def recall_at(ranked: Sequence[Hashable], gold: Collection[Hashable], k: int) -> float:
    """Share of the gold units found in the top `k` hits (0 when there is no gold)."""
    if not gold:
        return 0.0
    return len(gold_ranks(ranked, gold, k)) / len(gold)


def mrr_at(ranked: Sequence[Hashable], gold: Collection[Hashable], k: int) -> float:
    """Reciprocal rank of the first gold hit within the top `k` (0 when none is there)."""
    ranks = gold_ranks(ranked, gold, k)
    return 1.0 / ranks[0] if ranks else 0.0


def ndcg_at(ranked: Sequence[Hashable], gold: Collection[Hashable], k: int) -> float:
    """Binary-relevance nDCG over the top `k`: each gold unit gains 1/log2(rank + 1) once."""
    if not gold:
        return 0.0
    dcg = sum(1.0 / math.log2(rank + 1) for rank in gold_ranks(ranked, gold, k))
    ideal = sum(1.0 / math.log2(rank + 1) for rank in range(1, min(len(gold), k) + 1))
    return dcg / ideal


def score(ranked: Sequence[Hashable], gold: Collection[Hashable]) -> dict[str, float]:
    """Every metric in `METRICS` for one query."""
    return {
        "recall@1": recall_at(ranked, gold, 1),
        "recall@5": recall_at(ranked, gold, 5),
        "recall@10": recall_at(ranked, gold, 10),
        "mrr@10": mrr_at(ranked, gold, 10),
        "ndcg@10": ndcg_at(ranked, gold, 10),
    }


def mean_scores(scores: Sequence[Mapping[str, float]]) -> dict[str, float]:
    """Per-metric means over queries (all zeros for an empty list)."""
    if not scores:
        return dict.fromkeys(METRICS, 0.0)
    return {name: sum(s[name] for s in scores) / len(scores) for name in METRICS}


def percentile(values: Sequence[float], q: float) -> float:
    """The `q`-th percentile (0-100) by linear interpolation; 0 for no values."""
    if not values:
        return 0.0
    ordered = sorted(values)
    position = (len(ordered) - 1) * q / 100
    low = math.floor(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)
