"""The numbered sources the LLM reads: each chunk within a budget, cut around what the question asks.

A chunk longer than the budget used to lose its end. In the sample library 14% of chunks are
longer than 700 characters, and a figure near a page's end (a table's last row, a paragraph's
closing sentence) never reached the model, which then wrote one of its own. Verification
dropped it and the question was refused though its answer was retrieved. Now a long chunk keeps
the run of whole sentences around the sentence most relevant to the question, "…" marking what
was left out. Citations are still checked against the whole chunk.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from kb.languages import split_sentences
from kb.types import Chunk

# Sentences -> how relevant each is to the question (higher is more); None: keep the chunk's start.
Relevance = Callable[[Sequence[str]], Sequence[float]]
ELLIPSIS = "…"


def spans(text: str) -> list[tuple[int, int]]:
    """Where each of the text's sentences starts and ends (sentences not found verbatim skipped)."""
    found, position = [], 0
    for sentence in split_sentences(text):
        start = text.find(sentence, position)
        if start < 0:
            continue
        found.append((start, start + len(sentence)))
        position = start + len(sentence)
    return found


def excerpt(text: str, chars: int, relevance: Relevance | None = None) -> str:
    """The text whole when it fits in `chars`; else the sentences around the most relevant one.

    The run starts at the best sentence and grows one neighbour at a time, the more relevant
    neighbour first, while it fits. Without `relevance` (or when no sentence fits) the text is
    cut at `chars`, as before.
    """
    text = text.strip()
    if len(text) <= chars:
        return text
    bounds = spans(text) if relevance is not None else []
    if relevance is None or not bounds:
        return text[:chars]
    scores = list(relevance([text[a:b] for a, b in bounds]))
    best = max(range(len(bounds)), key=lambda i: scores[i])
    first = last = best
    if bounds[best][1] - bounds[best][0] > chars:
        return text[bounds[best][0] : bounds[best][0] + chars]

    def size(lo: int, hi: int) -> int:
        return bounds[hi][1] - bounds[lo][0]

    while True:
        grow = [i for i in (first - 1, last + 1) if 0 <= i < len(bounds)]
        grow = [i for i in grow if size(min(first, i), max(last, i)) <= chars]
        if not grow:
            break
        pick = max(grow, key=lambda i: scores[i])
        first, last = min(first, pick), max(last, pick)
    body = text[bounds[first][0] : bounds[last][1]]
    head = ELLIPSIS + " " if bounds[first][0] > 0 else ""
    tail = " " + ELLIPSIS if bounds[last][1] < len(text) else ""
    return f"{head}{body}{tail}"


def context_block(chunks: Sequence[Chunk], chars: int, relevance: Relevance | None = None) -> str:
    """The numbered sources for the prompt, each within `chars` characters of its text."""
    lines = []
    for n, chunk in enumerate(chunks, start=1):
        title = str(chunk.meta.get("title") or chunk.doc_id)
        text = excerpt(chunk.text, chars, relevance)
        text = text.replace("</sources>", "").replace("<sources>", "")
        lines.append(f"[{n}] ({title}, p. {chunk.page})\n{text}")
    return "\n\n".join(lines)
