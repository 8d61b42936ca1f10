"""The lexical leg: BM25 (bm25s) over the script-aware tokens stored with each chunk, filtered in memory."""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from kb.languages import ascii_digits, lexical_tokens, stems, subwords
from kb.store import MetaFilter, StoredChunk
from server.fusion import top_indices

logger = logging.getLogger(__name__)

# One word per segmenter, so jieba, pythainlp, khmer-nltk and laonlp load at build time, not mid-query.
WARM_UP = "port 港口 ท่าเรือ កំពង់ផែ ທ່າເຮືອ"


@dataclass(frozen=True)
class LexicalHit:
    """A chunk the lexical leg found, with its BM25 score."""

    id: str
    doc_id: str
    score: float
    language: str = ""


def boilerplate(rows: Sequence[StoredChunk], documents: int = 3) -> frozenset[str]:
    """Chunks whose very text recurs in at least `documents` documents: a label, a disclaimer.

    Such a chunk is never the answer, yet a short generic text sits near every query in the
    embedder's space: for Khmer and Lao questions, a "Sample content ..." label chunk came first
    in the dense leg. A slide deck and its PDF export are only two documents.
    """
    holders: dict[str, set[str]] = {}
    for row in rows:
        if row.text_hash:
            holders.setdefault(row.text_hash, set()).add(row.doc_id)
    common = {h for h, docs in holders.items() if len(docs) >= documents}
    return frozenset(row.id for row in rows if row.text_hash in common)


class LexicalIndex:
    """BM25 over every chunk in the store, with each chunk's filterable metadata kept alongside."""

    def __init__(
        self,
        rows: Iterable[StoredChunk],
        k1: float = 1.2,
        b: float = 0.75,
        stemming: bool = True,
        subword_weight: float = 0.0,
    ) -> None:
        import bm25s

        # bm25s sets its own logger to DEBUG at import; bring it back in line with the rest.
        logging.getLogger("bm25s").setLevel(logging.WARNING)

        began = time.perf_counter()
        self.rows: list[StoredChunk] = list(rows)
        self.by_id = {row.id: row for row in self.rows}
        self._bm25: Any = bm25s.BM25(k1=k1, b=b)
        self.stemming = stemming
        # Stores written before digits were read as ASCII at ingest are read the same way here.
        # Stems are taken here, not at ingest, so a store needs no re-ingest to gain them.
        tokens = [ascii_digits(row.tokens).split() for row in self.rows]
        corpus = [self.terms(words, row.language) or [""] for words, row in zip(tokens, self.rows)]
        if corpus:
            self._bm25.index(corpus, show_progress=False)
        # Pieces of words (`subwords`: Chinese, Thai and Vietnamese bigrams, German n-grams) are a
        # second index, not more terms in the first: in the first, a Chinese chunk would count
        # twice its length against the library's mean, and every word's score in it would fall
        # beside an English chunk's (question set: one Thai question lost a source from its top 5).
        self.subword_weight = subword_weight
        self._subwords: Any = None
        if subword_weight > 0 and corpus:
            self._subwords = bm25s.BM25(k1=k1, b=b)
            self._subwords.index(
                [
                    subwords(t, row.language) or [""]
                    for t, row in zip(tokens, self.rows, strict=True)
                ],
                show_progress=False,
            )
        self._masks: dict[str, np.ndarray] = {}
        # Each chunk's language as a code into `_language_names`, so a word's holders are counted
        # in numpy, not in a Python loop over every chunk that holds a common word.
        self._language_names = sorted({row.language for row in self.rows if row.language})
        code = {name: i for i, name in enumerate(self._language_names)}
        self._language_codes = np.asarray([code.get(row.language, -1) for row in self.rows])
        self.boilerplate = boilerplate(self.rows)
        warm = lexical_tokens(WARM_UP)
        if self._subwords is not None:
            subwords(warm, "de")  # loads pythainlp's syllable dictionary
        logger.info(
            "BM25 index: %d chunks in %.0f ms", len(self.rows), (time.perf_counter() - began) * 1e3
        )

    def __len__(self) -> int:
        return len(self.rows)

    def terms(self, tokens: Sequence[str], language: str) -> list[str]:
        """The index's terms for lexical tokens of text in `language`: their stems where stemming is on."""
        return stems(tokens, language) if self.stemming else list(tokens)

    def word_languages(self, tokens: Sequence[str]) -> set[str]:
        """The languages whose chunks hold every one of `tokens`, each read as that language's word.

        Where a detector cannot tell one or two words' language (it reads Filipino "lahat" and
        German "warten" as English), the library can: a word only its Filipino pages hold is
        Filipino.
        """
        names = self._language_names
        held = set(names)
        for token in tokens:
            by_term: dict[str, set[str]] = {}  # its stem in each language (most share one)
            for language in names:
                for term in self.terms([token], language):
                    by_term.setdefault(term, set()).add(language)
            holders: set[str] = set()
            for term, languages in by_term.items():
                found = np.unique(self._language_codes[self.scores([term]) > 0])
                holders |= languages & {names[i] for i in found if i >= 0}
            held &= holders
        return held if tokens else set()

    def scores(self, tokens: Sequence[str], bm25: Any = None) -> np.ndarray:
        """BM25 score of every chunk for these query terms (zeros when there are none).

        `bm25`: the index to score in (default: the words'; the pieces' is the other).
        """
        if not tokens or not self.rows:
            return np.zeros(len(self.rows), dtype=np.float32)
        index = bm25 if bm25 is not None else self._bm25
        return np.asarray(index.get_scores(list(tokens)), dtype=np.float32)

    def mask(self, where: MetaFilter | None) -> np.ndarray | None:
        """1.0 for chunks the filter keeps, 0.0 for the rest (cached per filter); None = keep all."""
        clause = where.where() if where else None
        if where is None or clause is None:
            return None
        key = json.dumps(clause, sort_keys=True)
        if key not in self._masks:
            keep = [where.matches(row.meta) for row in self.rows]
            self._masks[key] = np.asarray(keep, dtype=np.float32)
        return self._masks[key]

    def search(
        self,
        tokens: Sequence[str],
        depth: int,
        where: MetaFilter | None = None,
        expansion: Sequence[tuple[str, str]] = (),
        expansion_weight: float = 0.5,
        language: str = "",
    ) -> list[LexicalHit]:
        """The best `depth` chunks among those `where` keeps, for query `tokens` in `language`.

        `expansion` holds (language, token) pairs, each counting `expansion_weight`. The tokens'
        pieces (`subwords`) count `subword_weight`, in an index of their own.
        """
        terms = self.terms(tokens, language)
        scores = self.scores(terms)
        own = set(terms)
        extra = [t for lang, token in expansion for t in self.terms([token], lang) if t not in own]
        if extra and expansion_weight:
            scores = scores + expansion_weight * self.scores(extra)
        if self._subwords is not None:
            scores = scores + self.subword_weight * self.scores(
                subwords(tokens, language), self._subwords
            )
        keep = self.mask(where)
        return [
            LexicalHit(
                self.rows[i].id,
                self.rows[i].doc_id,
                float(scores[i]),
                self.rows[i].language,
            )
            for i in top_indices(scores, depth, keep)
        ]
