"""Fusion of ranked lists (reciprocal rank, weighted scores) and per-document capping: pure functions."""

from __future__ import annotations

import math
from collections.abc import Collection, Hashable, Mapping, Sequence
from typing import TypeVar

import numpy as np

K = TypeVar("K", bound=Hashable)


def leg_ranks(rankings: Mapping[str, Sequence[K]]) -> dict[K, dict[str, int]]:
    """Each item's 1-based rank in every leg that returned it: {item: {leg: rank}}."""
    ranks: dict[K, dict[str, int]] = {}
    for leg, items in rankings.items():
        for rank, item in enumerate(items, start=1):
            ranks.setdefault(item, {})[leg] = rank
    return ranks


def reciprocal_rank_fusion(
    rankings: Mapping[str, Sequence[K]],
    k: int = 60,
    weights: Mapping[str, float] | None = None,
    item_weights: Mapping[str, Mapping[K, float]] | None = None,
) -> dict[K, float]:
    """RRF: sum over legs of weight / (k + rank); legs missing from `weights` weigh 1.

    `item_weights[leg][item]` scales one item's contribution within a leg (default 1).
    """
    weights = weights or {}
    item_weights = item_weights or {}
    fused: dict[K, float] = {}
    for leg, items in rankings.items():
        weight = weights.get(leg, 1.0)
        scale = item_weights.get(leg, {})
        for rank, item in enumerate(items, start=1):
            fused[item] = fused.get(item, 0.0) + weight * scale.get(item, 1.0) / (k + rank)
    return fused


def min_max(scores: Mapping[K, float]) -> dict[K, float]:
    """Scores rescaled to [0, 1] (all 1.0 when they are equal)."""
    if not scores:
        return {}
    low, high = min(scores.values()), max(scores.values())
    span = high - low
    return {key: (value - low) / span if span else 1.0 for key, value in scores.items()}


def weighted_fusion(
    scores: Mapping[str, Mapping[K, float]],
    weights: Mapping[str, float] | None = None,
    stand_ins: Mapping[str, tuple[str, Collection[K]]] | None = None,
) -> dict[K, float]:
    """Weighted sum of each leg's min-max normalised scores; an item a leg missed gets 0 there.

    `stand_ins[leg] = (other, items)`: `items` are ones `leg` cannot score at all, as opposed to
    ones it ranked low (a language its encoder does not know); they take `other` leg's normalised
    score in its place, so that leg does not count them as misses.
    """
    weights = weights or {}
    normalised = {leg: min_max(leg_scores) for leg, leg_scores in scores.items()}
    fused: dict[K, float] = {}
    for leg, values in normalised.items():
        weight = weights.get(leg, 1.0)
        for item, value in values.items():
            fused[item] = fused.get(item, 0.0) + weight * value
    for leg, (other, items) in (stand_ins or {}).items():
        if leg not in normalised:
            continue
        weight = weights.get(leg, 1.0)
        for item, value in normalised.get(other, {}).items():
            if item in items:
                fused[item] = fused.get(item, 0.0) + weight * value
    return fused


def zscore_by_group(
    scores: Mapping[K, float],
    groups: Mapping[K, str],
    stats: Mapping[str, tuple[float, float]],
) -> dict[K, float]:
    """(score - mean) / std of the item's group; items of a group without stats keep z = 0 offset.

    `stats` maps a group (a language) to the mean and standard deviation of the query's scores over
    that whole group, so a language that every score leans towards loses its lean.
    """
    out: dict[K, float] = {}
    for item, value in scores.items():
        mean, std = stats.get(groups.get(item, ""), (0.0, 1.0))
        out[item] = (value - mean) / (std or 1.0)
    return out


def named_boost(
    fused: Mapping[K, float],
    value_of: Mapping[K, Hashable],
    named: Collection[Hashable],
    documents_per_value: Mapping[Hashable, int],
    weight: float,
) -> dict[K, float]:
    """Fused scores, plus a share for items whose document carries a value the question names.

    A value is a catalog year ("the 2019 forum") or a document language ("the German lecture
    notes"). The share is `weight` times how rare that value is among the library's documents
    (log N/df over log N, N counting every document, those without one too): a year or language
    one document carries counts in full, one that most carry barely.
    """
    documents = sum(documents_per_value.values())
    boost: dict[Hashable, float] = {}
    for value in named:
        holders = documents_per_value.get(value, 0)
        if holders and documents > 1:
            boost[value] = weight * math.log(documents / holders) / math.log(documents)
    if not boost:
        return dict(fused)
    return {item: score + boost.get(value_of.get(item), 0.0) for item, score in fused.items()}


def ordered(scores: Mapping[K, float]) -> list[K]:
    """Items by descending score (ties keep insertion order)."""
    return sorted(scores, key=lambda item: -scores[item])


def collapse_duplicates(
    items: Sequence[K],
    tokens_of: Mapping[K, frozenset[str]],
    doc_of: Mapping[K, str],
    threshold: float = 0.95,
    min_words: int = 15,
) -> list[K]:
    """Drop an item whose words are (nearly) all in a better one from another document.

    A slide deck and its PDF export hold the same text, the deck's chunk with the speaker notes
    besides: the PDF page's words lie ~100% in the deck's chunk, while between distinct documents
    of the sample library containment tops out at 0.93. Only the item that adds nothing goes: a
    deck chunk ranked below its PDF page stays, for its notes. Items under `min_words` stay.
    """
    kept: list[K] = []
    for item in items:
        words = tokens_of.get(item, frozenset())
        duplicate = len(words) >= min_words and any(
            doc_of.get(other) != doc_of.get(item)
            and len(other_words := tokens_of.get(other, frozenset())) >= min_words
            and len(words & other_words) / len(words) >= threshold
            for other in kept
        )
        if not duplicate:
            kept.append(item)
    return kept


def spread(items: Sequence[K], group_of: Mapping[K, Hashable], most: int) -> list[K]:
    """Items in order, each group's after its first `most` moved behind all the others.

    A group is a page (a page of several chunks otherwise lists once per chunk, and its second
    chunk takes a slot another page would fill) or a document (`cap_per_document`). The moved
    items still fill the list where too few groups qualify. An item without a group (not in
    `group_of`) is its own.
    """
    first: list[K] = []
    later: list[K] = []
    per_group: dict[Hashable, int] = {}
    for item in items:
        group = group_of.get(item, item)
        per_group[group] = per_group.get(group, 0) + 1
        (first if per_group[group] <= most else later).append(item)
    return first + later


def cap_per_document(
    items: Sequence[K], doc_of: Mapping[K, str], k: int, max_per_document: int
) -> list[K]:
    """The first `k` items with at most `max_per_document` from one document.

    Items held back by the cap fill the remaining slots (in order) only when too few other
    documents qualify, so a library of one document still returns `k` hits.
    """
    return spread(items, doc_of, max_per_document)[:k]


def top_indices(
    scores: np.ndarray, depth: int, keep: np.ndarray | None = None, floor: float = 0.0
) -> list[int]:
    """Indices of the `depth` highest scores above `floor` (positive ones by default), best first.

    `keep` masks rows out (0): they are never returned, whatever `floor`.
    """
    if keep is not None:
        scores = np.where(keep > 0, scores, -np.inf)
    if scores.size == 0 or depth <= 0:
        return []
    depth = min(depth, scores.size)
    top = np.argpartition(-scores, depth - 1)[:depth]
    top = top[np.argsort(-scores[top], kind="stable")]
    return [int(i) for i in top if scores[i] > floor]
