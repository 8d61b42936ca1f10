"""The extractive backend (no LLM): the context sentences that best answer the question, cited."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from kb.embedder import Embedder
from kb.languages import lexical_tokens
from kb.types import Chunk
from server.citations import lexical_support, quotes

MAX_CANDIDATES = 16
MIN_WORDS = 3
LEXICAL_WEIGHT = 0.3
RANK_PENALTY = 0.01
SECOND_MARGIN = 0.03


def candidates(context: Sequence[Chunk], chunks: int = 3) -> list[tuple[int, int, str]]:
    """(context number, position, sentence) for the sentences of the first `chunks` chunks."""
    found = []
    for n, chunk in enumerate(context[:chunks], start=1):
        for position, sentence in enumerate(quotes(chunk)):
            if len(lexical_tokens(sentence)) >= MIN_WORDS:
                found.append((n, position, sentence))
    return found[:MAX_CANDIDATES]


def score_sentences(
    question: str, sentences: Sequence[str], embedder: Embedder, query: np.ndarray | None = None
) -> np.ndarray:
    """Embedding similarity to the question plus a share of lexical overlap."""
    query = embedder.embed_queries([question])[0] if query is None else query
    passages = embedder.embed_passages(list(sentences))
    dense = passages @ query
    lexical = np.asarray(lexical_support(question, sentences))
    return np.asarray(dense + LEXICAL_WEIGHT * lexical)


def extract(
    question: str,
    context: Sequence[Chunk],
    embedder: Embedder,
    max_sentences: int = 2,
    query: np.ndarray | None = None,
) -> str:
    """One or two sentences from the context that answer `question`, each ending with its [n]."""
    found = candidates(context)
    if not found:
        return ""
    scores = score_sentences(question, [s for _, _, s in found], embedder, query)
    scores -= RANK_PENALTY * np.asarray([n for n, _, _ in found])
    order = [int(i) for i in np.argsort(-scores)]
    chosen = [order[0]]
    for index in order[1:max_sentences]:
        if scores[index] >= scores[order[0]] - SECOND_MARGIN:
            chosen.append(index)
    chosen.sort(key=lambda i: found[i][:2])
    return " ".join(f"{' '.join(found[i][2].split())} [{found[i][0]}]" for i in chosen)
