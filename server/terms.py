"""Which chunks name a glossary term, in any of its languages: the term leg of a keyword search.

A keyword search in a language other than English (Thai "ท่าเรือบก", dry port) looks up a term
the glossary knows for certain, and a page answers it when it names that term, in whatever
language. The other legs read two or three words poorly and put pages in the asker's language
first, whatever they are about: for "ท่าเรือบก", the Thai smart-port roadmap, which never names
dry ports, came before the dry-port lecture. This leg scores a chunk by how many of the search's
terms it names, so a page that names the term rises above one that only shares the asker's
language, and a page in the asker's language that names it keeps its place.

A keyword search's hits are read as they are, not through an answer, so the leg ranks the pages
its asker can read (their language or English, the course's own) where any names the term: for
Thai "ท่าเรือบก", the Chinese corridor paper's pages on 陆港 came before the dry-port lecture.
A page in a third language keeps its other legs' scores, and where no readable page names the
term, the leg ranks every page that does.
"""

from __future__ import annotations

import functools
from collections import Counter
from collections.abc import Collection, Sequence

import numpy as np

from kb.glossary import Glossary, Term
from kb.store import StoredChunk


class TermMentions:
    """The chunks of one index version that name each term, found on the term's first search."""

    def __init__(self, rows: Sequence[StoredChunk], glossary: Glossary) -> None:
        self._rows = rows
        self._glossary = glossary
        self._naming: dict[str, np.ndarray] = {}

    @functools.cached_property
    def _texts(self) -> list[tuple[str, str]]:
        """Each chunk's lexical tokens as `Glossary.patterns` are found in them (built on first use).

        (space-padded, for whole-token runs; joined, for unspaced scripts.) Names match as
        written: with Snowball stems, "quay cranes" named the quay crane but every "contains"
        named the container, and keyword searches' top hits named their term less often (the
        glossary's 746 names in other languages than English: 0.932 -> 0.925).
        """
        return [(f" {row.tokens} ", row.tokens.replace(" ", "")) for row in self._rows]

    def naming(self, term: Term) -> np.ndarray:
        """Indexes of the chunks that name `term` in any language (kept after the first call)."""
        found = self._naming.get(term.id)
        if found is None:
            # A plain scan, written here: a term has a dozen names, looked for once per index
            # version (9 ms over the sample library's 643 chunks); a multi-pattern matcher
            # library would pay off only for many terms at once.
            names = self._glossary.patterns(term)
            found = np.asarray(
                [
                    i
                    for i, (padded, joined) in enumerate(self._texts)
                    if any(run in padded for run in names.runs)
                    or any(name in joined for name in names.joined)
                ],
                dtype=np.int64,
            )
            self._naming[term.id] = found
        return found

    def scores(
        self, terms: Sequence[Term], keep: np.ndarray | None, readable: Collection[str] = ()
    ) -> dict[int, float]:
        """{chunk index: how many of `terms` it names}, for the chunks `keep` keeps (None: all).

        With `readable` languages, only the chunks in one of them count, unless none names a term.
        """
        counts = Counter(int(i) for term in terms for i in self.naming(term))
        kept = {i: float(n) for i, n in counts.items() if keep is None or keep[i] > 0}
        read = {i: n for i, n in kept.items() if self._rows[i].language in readable}
        return read or kept
