"""Chunking: sentence-aware pieces of about `max_tokens` embedder tokens, with overlap, never across pages.

Sentences come from kb.languages (Thai and Lao clauses, Khmer khan, CJK full stops), and a sentence longer
than a chunk is cut at word boundaries found by each script's segmenter, so text without spaces is never
split inside a word.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence

from kb.languages import script_language, split_sentences, words
from kb.types import Chunk, Page

TokenCounter = Callable[[str], int]
# Thai+Lao, Khmer, CJK punctuation, CJK ideographs, full-width forms.
_NO_SPACE_START = (0x0E00, 0x0EFF, 0x1780, 0x17FF, 0x3000, 0x303F, 0x3400, 0x9FFF, 0xFF00, 0xFFEF)


def chunk_pages(
    pages: Iterable[Page], count: TokenCounter, max_tokens: int = 256, overlap_tokens: int = 40
) -> list[Chunk]:
    """Cut every page into chunks; positions run over the whole document."""
    chunks: list[Chunk] = []
    for page in pages:
        for section in page.sections:
            pieces = _split_to_fit(split_sentences(section.text), count, max_tokens)
            for text in _pack(pieces, count, max_tokens, overlap_tokens):
                position = len(chunks)
                chunks.append(
                    Chunk(
                        id=Chunk.make_id(page.doc_id, position, text),
                        doc_id=page.doc_id,
                        page=page.number,
                        position=position,
                        text=text,
                        language=page.language,
                        heading=section.heading,
                        meta={"ocr": True} if page.ocr else {},
                    )
                )
    return chunks


def _joiner(left: str, right: str) -> str:
    """Pieces of text without spaces (Thai, Lao, Khmer, CJK) join with nothing, others with a space."""
    if left and right and _no_space(left[-1]) and _no_space(right[0]):
        return ""
    return " "


def _no_space(ch: str) -> bool:
    point = ord(ch)
    ranges = _NO_SPACE_START
    return any(ranges[i] <= point <= ranges[i + 1] for i in range(0, len(ranges), 2))


def join(pieces: Sequence[str]) -> str:
    """Join sentences or words back into text, respecting scripts that do not use spaces."""
    out = ""
    for piece in pieces:
        out = piece if not out else out + _joiner(out, piece) + piece
    return out


def _split_to_fit(sentences: Sequence[str], count: TokenCounter, max_tokens: int) -> list[str]:
    """Sentences, with any sentence longer than a chunk cut into word windows that fit."""
    pieces: list[str] = []
    for sentence in sentences:
        if count(sentence) <= max_tokens:
            pieces.append(sentence)
            continue
        window: list[str] = []
        # Segmenters for text without spaces; plain whitespace elsewhere keeps punctuation intact.
        tokens = words(sentence) if script_language(sentence) else sentence.split()
        for word in tokens:
            if window and count(join([*window, word])) > max_tokens:
                pieces.append(join(window))
                window = []
            window.append(word)
        if window:
            pieces.append(join(window))
    return pieces


def _pack(pieces: Sequence[str], count: TokenCounter, max_tokens: int, overlap: int) -> list[str]:
    """Greedy packing of pieces into chunks; each new chunk starts with the tail of the previous one."""
    chunks: list[str] = []
    current: list[str] = []
    for piece in pieces:
        if current and count(join([*current, piece])) > max_tokens:
            chunks.append(join(current))
            current = _tail(current, count, overlap, max_tokens - count(piece))
        current.append(piece)
    if current:
        chunks.append(join(current))
    return chunks


def _tail(pieces: Sequence[str], count: TokenCounter, overlap: int, room: int) -> list[str]:
    """The last pieces of a chunk that fit in `overlap` tokens (and in the room the next piece leaves)."""
    tail: list[str] = []
    for piece in reversed(pieces):
        if count(join([piece, *tail])) > min(overlap, room):
            break
        tail.insert(0, piece)
    return tail
