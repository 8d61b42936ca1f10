"""Search snippets: an excerpt of a chunk around the query's words, HTML-escaped, matches in <mark>."""

from __future__ import annotations

import functools
import html
import re

from kb.languages import lexical_tokens, script_language

WIDTH = 320  # characters of chunk text shown
_UNSPACED = {"zh", "th", "lo", "km"}  # scripts written without spaces between words


@functools.lru_cache(maxsize=256)
def _patterns(query: str) -> tuple[re.Pattern[str], ...]:
    """One pattern per query token: whole words, or any occurrence in scripts without spaces."""
    patterns = []
    for term in sorted(set(lexical_tokens(query))):
        unspaced = script_language(term) in _UNSPACED
        if len(term) < 2 and not unspaced:
            continue
        pattern = re.escape(term) if unspaced else rf"(?<!\w){re.escape(term)}(?!\w)"
        patterns.append(re.compile(pattern, re.IGNORECASE))
    return tuple(patterns)


def match_spans(text: str, query: str) -> list[tuple[int, int]]:
    """Sorted, merged (start, end) spans of `text` that match the query's lexical tokens."""
    spans = [m.span() for pattern in _patterns(query) for m in pattern.finditer(text)]
    merged: list[tuple[int, int]] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged


def snippet(text: str, query: str, width: int = WIDTH) -> str:
    """An HTML excerpt of `text` (about `width` characters) with the query's words marked."""
    flat = " ".join(text.split())
    spans = match_spans(flat, query)
    start = 0
    if len(flat) > width and spans:
        start = max(0, spans[0][0] - width // 4)
        space = flat.rfind(" ", 0, start + 1)
        start = space + 1 if space > start - 20 else start
    end = min(len(flat), start + width)
    parts = ["…" if start else ""]
    cursor = start
    for s, e in spans:
        if e <= start or s >= end:
            continue
        s, e = max(s, start), min(e, end)
        parts += [html.escape(flat[cursor:s]), f"<mark>{html.escape(flat[s:e])}</mark>"]
        cursor = e
    parts += [html.escape(flat[cursor:end]), "…" if end < len(flat) else ""]
    return "".join(parts)
