"""Hybrid search: dense (Chroma) and lexical (BM25) legs run independently, fused, capped per document."""

from __future__ import annotations

import logging
import math
import time
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal, NamedTuple, TypeVar

import numpy as np

from kb import muse
from kb.embedder import Embedder, sparse_head
from kb.errors import PortwiseError
from kb.languages import (
    LANGUAGES,
    content_terms,
    country_code,
    detect_language,
    latin_words,
    lexical_tokens,
    named_countries,
    named_languages,
    named_years,
    script_language,
)
from kb.settings import SearchSettings
from kb.store import MetaFilter, Store, StoredChunk
from kb.types import Chunk, DocumentRecord, Filters, Hit
from server import fusion
from server.centring import QueryCentres, glossary_centres
from server.dense import ChunkVectors
from server.lexical import LexicalHit, LexicalIndex
from server.sentences import SentenceIndex
from server.sparse import SparseIndex
from server.terms import TermMentions

if TYPE_CHECKING:
    from kb.glossary import Glossary, Term
    from server.translate import QueryTranslator

logger = logging.getLogger(__name__)
Mode = Literal["hybrid", "dense", "lexical"]
V = TypeVar("V")
# For short text, e5 places Thai, Lao and Khmer (related Brahmic scripts) close together: a Thai
# keyword query is drawn to Lao and Khmer pages as much as to Thai ones.
_ATTRACTING = {lang: {"th", "lo", "km"} for lang in ("th", "lo", "km")}
# The muse leg scores a chunk by the mean of its own vector's cosine and its best sentence's: offline
# on XQuAD (R@1 th / zh) the mean gave .826 / .822, the best of the two .838 / .816, the chunk
# vector alone .797 / .805.
_MUSE_LEAD = 0.5
FACETS = ("kind", "event", "year", "language", "topics", "country", "audience")
# Filter fields whose values must be ones the facets list (each is also a facet's name).
FILTER_FIELDS = ("kind", "event", "language", "topics", "country", "audience")


class FilterError(PortwiseError):
    """A filter value that no indexed document has."""

    status = 422


class EmptyQueryError(PortwiseError):
    """The question was empty or whitespace."""

    status = 422


@dataclass(frozen=True)
class SearchResult:
    """Hits for one query, with how long each step took (milliseconds)."""

    query: str
    hits: list[Hit]
    timings: dict[str, float]
    translation: str | None = None  # the English translation also searched, if any
    language: str = ""  # the language the query was read in (Portwise's code)


class LanguageStats:
    """Mean and covariance of chunk vectors per language: a query's score distribution per language.

    For a query q, the scores over all chunks of language L have mean q·μ_L and variance q·Σ_L·q,
    computed exactly without touching the chunks; dense scores are z-scored against them.
    """

    def __init__(self, rows: Iterable[tuple[str, np.ndarray]], min_chunks: int = 10) -> None:
        grouped: dict[str, list[np.ndarray]] = {}
        for language, vector in rows:
            grouped.setdefault(language, []).append(vector)
        self._means: dict[str, np.ndarray] = {}
        self._covs: dict[str, np.ndarray] = {}
        everything = [v for vectors in grouped.values() for v in vectors]
        fallback = np.cov(np.stack(everything), rowvar=False) if len(everything) > 1 else None
        for language, vectors in grouped.items():
            matrix = np.stack(vectors).astype(np.float64)
            self._means[language] = matrix.mean(axis=0)
            own = len(vectors) >= min_chunks or fallback is None
            cov = np.cov(matrix, rowvar=False) if own and len(vectors) > 1 else fallback
            if cov is not None:
                self._covs[language] = np.atleast_2d(cov)

    def stats(self, query_vector: np.ndarray) -> dict[str, tuple[float, float]]:
        """{language: (mean score, score std)} for this query over each language's chunks."""
        q = query_vector.astype(np.float64)
        out = {}
        for language, mean in self._means.items():
            cov = self._covs.get(language)
            std = float(np.sqrt(max(q @ cov @ q, 1e-12))) if cov is not None else 1.0
            out[language] = (float(q @ mean), std)
        return out


@dataclass
class _Legs:
    """Each leg's ranking, scores and per-item weights for one search, keyed by leg name."""

    rankings: dict[str, list[str]] = field(default_factory=dict)
    scores: dict[str, dict[str, float]] = field(default_factory=dict)
    item_weights: dict[str, dict[str, float]] = field(default_factory=dict)
    stand_ins: dict[str, tuple[str, frozenset[str]]] = field(default_factory=dict)


class Anchors(NamedTuple):
    """English words searched for a question as a query of their own, and the terms they name."""

    words: str = ""
    share: float = 0.0  # their legs' fusion weight, as a share of the question's own
    terms: tuple[Term, ...] = ()  # a keyword search's glossary terms (for the term leg)


@dataclass(frozen=True)
class SearchIndex:
    """What search keeps in memory for one store version: BM25 and per-language statistics."""

    version: str
    lexical: LexicalIndex
    language_share: dict[str, float]  # share of chunks per page language
    languages: LanguageStats | None  # only the `zscore` calibration needs them
    sparse: SparseIndex | None = None  # None: the sparse leg is off or no chunk has a vector
    sentences: SentenceIndex | None = None  # None: the sentence leg is off or no chunk has any
    muse: SentenceIndex | None = None  # None: the muse leg is off or no chunk has muse vectors
    muse_unread: frozenset[str] = frozenset()  # chunks without muse vectors (other languages)
    vectors: ChunkVectors | None = None  # None: the store is too large; Chroma's HNSW answers
    terms: TermMentions | None = None  # None: no glossary or the term leg is off
    documents_per_year: dict[int, int] = field(default_factory=dict)  # catalog year -> documents
    documents_per_language: dict[str, int] = field(default_factory=dict)  # language -> documents
    documents_per_country: dict[str, int] = field(default_factory=dict)  # ISO code -> documents


class Retriever:
    """Hybrid search over one store: dense + lexical, fused, with filters and per-document capping."""

    def __init__(
        self,
        store: Store,
        embedder: Embedder,
        settings: SearchSettings | None = None,
        glossary: Glossary | None = None,
        translator: QueryTranslator | None = None,
    ) -> None:
        self.store = store
        self.embedder = embedder
        self.settings = settings or SearchSettings()
        self._glossary = glossary
        self.translator = translator
        self._index: SearchIndex | None = None
        self._centres: QueryCentres | None = None

    @property
    def glossary(self) -> Glossary | None:
        """The port glossary used for lexical expansion (loaded on first use), or None when off."""
        if not self.settings.glossary:
            return None
        if self._glossary is None:
            from kb.glossary import load_glossary

            self._glossary = load_glossary()
        return self._glossary

    def centres(self) -> QueryCentres | None:
        """Each language's mean query vector (from the glossary's names), or None when centring is off."""
        if self.settings.query_centring <= 0:
            return None
        if self._centres is None:
            self._centres = glossary_centres(self.embedder)
        return self._centres

    def index(self) -> SearchIndex:
        """The in-memory index for the store's current version (rebuilt when the store changed)."""
        version = self.store.version()
        if self._index is None or self._index.version != version:
            began = time.perf_counter()
            lexical = LexicalIndex(
                self.store.lexical_rows(),
                stemming=self.settings.lexical_stemming,
                subword_weight=self.settings.lexical_subword_weight,
            )
            head = sparse_head(self.embedder) if self.settings.sparse_weight > 0 else None
            sparse = SparseIndex(lexical.rows, head.sparse_dim) if head is not None else None
            sentences = (
                SentenceIndex([row.sentences for row in lexical.rows], self.store.dim)
                if self.settings.sentence_weight > 0
                else None
            )
            second = (
                SentenceIndex([row.muse for row in lexical.rows], muse.DIM, name="muse")
                if self.settings.muse_weight > 0
                else None
            )
            second = second if second is not None and second.covered else None
            self._index = SearchIndex(
                version=version,
                lexical=lexical,
                language_share=_shares(row.language for row in lexical.rows),
                languages=(
                    LanguageStats(self.store.language_vectors())
                    if self.settings.language_calibration == "zscore"
                    else None
                ),
                sparse=sparse if sparse is not None and sparse.covered else None,
                sentences=sentences if sentences is not None and sentences.covered else None,
                muse=second,
                muse_unread=frozenset(
                    lexical.rows[i].id for i in (second.uncovered() if second else [])
                ),
                documents_per_year=_documents_per(lexical.rows, _year),
                documents_per_language=_documents_per(lexical.rows, _row_language),
                documents_per_country=_documents_per(lexical.rows, _country),
                vectors=(
                    ChunkVectors.aligned(
                        self.store.vectors(), [row.id for row in lexical.rows], self.store.dim
                    )
                    if len(lexical.rows) <= self.settings.exact_dense_chunks
                    else None
                ),
                terms=(
                    TermMentions(lexical.rows, self.glossary)
                    if self.glossary is not None and self.settings.term_weight > 0
                    else None
                ),
            )
            _ = self.glossary, self.centres()
            _ = named_languages(""), named_countries("")  # they load CLDR's names once
            logger.info("search index built in %.0f ms", (time.perf_counter() - began) * 1e3)
        return self._index

    @property
    def indexed(self) -> bool:
        """True when the in-memory index for the store's current version is built."""
        return self._index is not None and self._index.version == self.store.version()

    def warm(self) -> float:
        """Build what a first search would: the index, query centres, the second embedder; seconds.

        The server runs this in the background at start, so its first question does not wait
        (on the sample library that wait was about 8 s).
        """
        began = time.perf_counter()
        index = self.index()
        if index.muse is not None:
            muse.muse_encoder(threads=1).embed(["port"])
        return time.perf_counter() - began

    def search(
        self,
        query: str,
        k: int = 10,
        filters: Filters | None = None,
        mode: Mode = "hybrid",
        translate: bool = False,
        distinct_pages: bool = True,
    ) -> SearchResult:
        """The `k` best chunks for `query` among those `filters` keep.

        With `distinct_pages`, a page lists at most `max_per_page` chunks before every other page
        that qualifies (a results list shows pages); answers read chunks, and pass False.

        With `translate` (and a translator that takes the query's language), the query's English
        translation runs the same legs again (`dense_en`, `lexical_en`), fused with the original's;
        a Khmer or Lao question's `anchors` do too (`dense_anchor`, `lexical_anchor`).
        """
        if not query.strip():
            raise EmptyQueryError("the query is empty; type a question or some keywords")
        clock = _Clock()
        index = self.index()
        clock.lap("index_ms")
        where = (filters or Filters()).to_meta()
        tokens = lexical_tokens(query)
        asked = self._language(query, index, tokens)
        legs = _Legs()
        chunks: dict[str, Chunk] = {}
        self._run_legs(query, asked, mode, where, index, legs, lap=clock.lap)
        english = None
        if translate and self.translator is not None:
            english = self.translator.english(query, asked)
            clock.lap("translate_ms")
        weights = self._weights(asked, index, translated=bool(english))
        anchors = self.anchors(query, asked) if mode == "hybrid" else Anchors()
        readable = self.settings.keyword_lexical_readable
        if (
            (readable or asked != "en")
            and not anchors.terms
            and len(tokens) <= self.settings.keyword_lexical_tokens
        ):
            # A word or two that names no glossary term: the pages with those words, first. The
            # embedder reads so little text poorly, however much of the library is in its language.
            weights["lexical"] = max(weights["lexical"], self.settings.keyword_lexical_weight)
            if readable and mode == "hybrid":  # a single leg is a baseline: it ranks every page
                _readable_only(legs, "lexical", {asked, "en"}, index.lexical.by_id)
        if anchors.terms:
            self._term_leg(anchors.terms, asked, where, index, legs, weights)
            clock.lap("term_ms")
        english_queries = {  # suffix: (English words for the question, fusion share, timing)
            "_anchor": (anchors.words, anchors.share, "anchor_ms"),
            "_en": (english or "", self.settings.translation_weight, "translated_ms"),
        }
        for suffix, (text, share, lap) in english_queries.items():
            if text:  # the same legs again, fused at a share of the question's own
                self._run_legs(text, "en", mode, where, index, legs, suffix=suffix)
                weights[f"dense{suffix}"] = share * weights["dense"]
                weights[f"lexical{suffix}"] = share * self._weights("en", index)["lexical"]
                clock.lap(lap)
        per_page = self.settings.max_per_page if distinct_pages else 0
        hits = self._fuse(legs, chunks, index, k, weights, query, per_page)
        clock.lap("fuse_ms")
        return SearchResult(query, hits, clock.timings(), english, asked)

    def _run_legs(
        self,
        text: str,
        language: str,
        mode: Mode,
        where: MetaFilter,
        index: SearchIndex,
        legs: _Legs,
        suffix: str = "",
        lap: Callable[[str], None] = lambda _name: None,
    ) -> None:
        """The dense, lexical and sparse legs for `text` (in `language`), into `legs`.

        They are kept as `dense{suffix}`, `lexical{suffix}` and `sparse{suffix}`; `lap` times each
        step. The sentence and muse legs (the latter for languages the second embedder knows) and
        the sparse leg run for the original query only: on XQuAD, the translation's sparse
        leg added nothing to its dense and lexical legs (R@1 0.878 with it, 0.880 without).
        """
        if mode in ("hybrid", "dense"):
            vector = self.embedder.embed_queries([text])[0]
            lap("embed_ms")
            vector = self._centred(language, vector, index)
            dense = self._dense(language, vector, where, index)
            legs.rankings[f"dense{suffix}"] = [cid for cid, _ in dense]
            legs.scores[f"dense{suffix}"] = dict(dense)
            lap("dense_ms")
            if mode == "hybrid" and not suffix and index.sentences is not None:
                rows = index.lexical.rows
                best = index.sentences.search(
                    vector, self.settings.dense_depth, index.lexical.mask(where)
                )
                found = self._calibrated(language, {rows[i].id: v for i, v in best}, vector, index)
                legs.rankings["sentence"] = [cid for cid, _ in found]
                legs.scores["sentence"] = dict(found)
                lap("sentence_ms")
            if mode == "hybrid" and not suffix and index.muse is not None and muse.covers(language):
                self._muse_leg(text, where, index.muse, index, legs)
                lap("muse_ms")
        if mode in ("hybrid", "lexical"):
            lexical = self._lexical(text, language, where, index)
            name = f"lexical{suffix}"
            legs.rankings[name] = [h.id for h in lexical]
            legs.scores[name] = {h.id: h.score for h in lexical}
            # A word match across languages is mostly a shared name or number, weak evidence
            # next to dense similarity: those lexical hits count for less in the fusion.
            cross = self.settings.cross_language_lexical
            legs.item_weights[name] = {h.id: cross for h in lexical if h.language != language}
            lap("lexical_ms")
        head = sparse_head(self.embedder)
        if mode == "hybrid" and not suffix and index.sparse is not None and head is not None:
            query = head.embed_sparse([text])[0]
            rows = index.lexical.rows
            found = index.sparse.search(query, self.settings.dense_depth, index.lexical.mask(where))
            legs.rankings["sparse"] = [rows[i].id for i, _ in found]
            legs.scores["sparse"] = {rows[i].id: score for i, score in found}
            lap("sparse_ms")

    def _muse_leg(
        self, text: str, where: MetaFilter, second: SentenceIndex, index: SearchIndex, legs: _Legs
    ) -> None:
        """The second embedder's leg: chunks by their muse vectors (chunk and best sentence averaged).

        A chunk it cannot read is scored there by the dense leg, not counted as a miss.
        """
        vector = muse.muse_encoder(threads=1).embed([text])[0]
        rows = index.lexical.rows
        found = second.search(
            vector, self.settings.dense_depth, index.lexical.mask(where), lead=_MUSE_LEAD
        )
        legs.rankings["muse"] = [rows[i].id for i, _ in found]
        legs.scores["muse"] = {rows[i].id: score for i, score in found}
        legs.stand_ins["muse"] = ("dense", index.muse_unread)

    def _language(self, query: str, index: SearchIndex, tokens: Sequence[str]) -> str:
        """The language to read `query` in: a language Portwise serves or the library holds.

        A query that is exactly a glossary name is read in that name's language
        (`Glossary.reading`): a keyword search in Malay read as English would lose its English
        names and term leg.

        A keyword search in Latin script (`keyword_lexical_tokens` words or fewer of its lexical
        `tokens`) whose words
        the detected language's pages do not hold, but another's do, is read in that language
        (`keyword_words_language`): the detector reads Filipino "lahat" as English, which
        stemmed it as English.
        """
        detected = detect_language(query, among={*LANGUAGES, *index.language_share})
        settings = self.settings
        if settings.keyword_words_language and script_language(query) is None:
            words = [t for t in tokens if not t.isdigit()]
            if 0 < len(words) <= settings.keyword_lexical_tokens:
                held = index.lexical.word_languages(words)
                if held and detected not in held:
                    detected = max(sorted(held), key=lambda code: index.language_share[code])
        return self.glossary.reading(query, detected) if self.glossary is not None else detected

    def _term_leg(
        self,
        terms: Sequence[Term],
        asked: str,
        where: MetaFilter,
        index: SearchIndex,
        legs: _Legs,
        weights: dict[str, float],
    ) -> None:
        """The chunks that name a keyword search's glossary terms (`server.terms`).

        Those in the asker's language or English where any does (`term_readable_first`), else
        those in any language.
        """
        if index.terms is None:
            return
        rows = index.lexical.rows
        readable = (asked, "en") if self.settings.term_readable_first else ()
        named = index.terms.scores(terms, index.lexical.mask(where), readable)
        ranked = sorted(named, key=lambda i: -named[i])
        legs.rankings["term"] = [rows[i].id for i in ranked]
        legs.scores["term"] = {rows[i].id: named[i] for i in ranked}
        weights["term"] = self.settings.term_weight

    def anchors(self, query: str, language: str) -> Anchors:
        """English words for the question, searched as a query of their own, and their fusion share.

        Empty when none are wanted. Two cases:

        - A keyword search in any language but English: a few words (`keyword_tokens`) that name
          glossary terms, such as Filipino "kreyn sa pantalan" or Malay "kren dermaga". The
          embedder reads two or three words of a language other than English poorly (the
          Filipino quay crane found Lao and Khmer pages first), while the glossary knows the
          term for certain: its English names are searched at `keyword_anchor_weight`, and
          its terms (`terms`) rank the chunks that name them (the term leg, `term_weight`).
        - A Khmer or Lao question (`anchor_languages`): its Latin-script words (names, codes,
          acronyms) and the English names of the glossary terms it names, at `anchor_weight`.
          For these languages the embedder's cross-lingual match is weak (question set, Lao
          dense R@1 0.167) and the local LLM's translations are wrong, while an English page
          shares exactly these words with the question; searched as their own query, they are
          not drowned by the question's own-language words in the lexical leg's normalisation.
        """
        settings = self.settings
        glossary = self.glossary
        if language == "en":
            return Anchors()
        tokens = lexical_tokens(query)
        keyword_weight, term_weight = settings.keyword_anchor_weight, settings.term_weight
        keyword = len(tokens) <= settings.keyword_tokens and (keyword_weight or term_weight) > 0
        anchored = language in settings.anchor_languages and settings.anchor_weight > 0
        if not (keyword or anchored):  # most questions: no glossary lookup
            return Anchors()
        terms = glossary.find(query, tokens) if glossary else []
        names = [name for term in terms for name in term.names.get("en", ())[:1]]
        latin = latin_words(query) if language in settings.anchor_languages else []
        words = " ".join(dict.fromkeys([*latin, *names]))
        if keyword and names:
            return Anchors(words if keyword_weight > 0 else "", keyword_weight, tuple(terms))
        if anchored:
            return Anchors(words, settings.anchor_weight)
        return Anchors()

    def _centred(self, asked: str, vector: np.ndarray, index: SearchIndex) -> np.ndarray:
        """The query vector less its language's mean query direction (where centring is on)."""
        centres = self.centres()
        if centres is None or asked not in self.settings.centring_languages:
            return vector
        # Less centring where more of the library is in the question's language: there, a
        # document in that language is more likely the answer (XQuAD's five-language pool:
        # top-5 0.977 with a flat 0.5, 0.987 without centring).
        share = index.language_share.get(asked, 0.0)
        return centres.centre(vector, asked, self.settings.query_centring * (1.0 - share))

    def _dense(
        self, asked: str, vector: np.ndarray, where: MetaFilter, index: SearchIndex
    ) -> list[tuple[str, float]]:
        """(chunk id, score) by calibrated score of the (centred) query vector.

        Scores are exp(-cosine distance), as Chroma's are read (`Store.nearest`), exact or not.
        """
        depth = self.settings.dense_depth
        if index.vectors is None:
            raw = dict(self.store.nearest(vector, depth, where.where()))
        else:
            rows = index.lexical.rows
            found = index.vectors.search(vector, depth, index.lexical.mask(where))
            raw = {rows[i].id: math.exp(cosine - 1.0) for i, cosine in found}
        return self._calibrated(asked, raw, vector, index)

    def _calibrated(
        self, asked: str, raw: dict[str, float], vector: np.ndarray, index: SearchIndex
    ) -> list[tuple[str, float]]:
        """Cosine scores less the pull of the question's own language, best first."""
        method = self.settings.language_calibration
        if method == "off":
            return list(raw.items())
        languages = {cid: _language(cid, index) for cid in raw}
        if method == "zscore" and index.languages is not None:
            calibrated = fusion.zscore_by_group(raw, languages, index.languages.stats(vector))
        else:
            offset = self.settings.language_offsets.get(asked, self.settings.same_language_offset)
            near = _ATTRACTING.get(asked, {asked})
            calibrated = {c: s - (offset if languages[c] in near else 0.0) for c, s in raw.items()}
        return sorted(calibrated.items(), key=lambda item: -item[1])

    def _lexical(
        self, query: str, language: str, where: MetaFilter, index: SearchIndex
    ) -> list[LexicalHit]:
        tokens = lexical_tokens(query)
        glossary = self.glossary
        expansion = glossary.expand(query, tokens) if glossary else []
        return index.lexical.search(
            content_terms(tokens),
            self.settings.lexical_depth,
            where,
            expansion=expansion,
            expansion_weight=self.settings.glossary_weight,
            language=language,
        )

    def _weights(
        self, asked: str, index: SearchIndex, translated: bool = False
    ) -> dict[str, float]:
        """Each leg's fusion weight for a question in `asked` (`translated`: its English too).

        The asked language's tuned weights (`language_weights`, then `translated_weights` for a
        question also searched in English) replace the defaults; lexical gains weight when much
        of the library is in the asked language.
        """
        settings = self.settings
        weights = {
            "dense": settings.dense_weight,
            "lexical": settings.lexical_weight,
            "sparse": settings.sparse_weight,
            "sentence": settings.sentence_weight,
            "muse": settings.muse_weight,
        }
        weights.update(settings.language_weights.get(asked, {}))
        if translated:
            weights.update(settings.translated_weights.get(asked, {}))
        share = index.language_share.get(asked, 0.0) * settings.lexical_share_scale
        weights["lexical"] = max(weights["lexical"], share)
        return weights

    def _fuse(
        self,
        legs: _Legs,
        chunks: dict[str, Chunk],
        index: SearchIndex,
        k: int,
        weights: dict[str, float],
        query: str,
        per_page: int = 0,
    ) -> list[Hit]:
        settings = self.settings
        rankings = legs.rankings
        if len(rankings) == 1:  # one leg: its own scores (calibrated cosine or BM25)
            fused = next(iter(legs.scores.values()))
        elif settings.fusion == "weighted":
            fused = fusion.weighted_fusion(legs.scores, weights, legs.stand_ins)
        else:
            fused = fusion.reciprocal_rank_fusion(
                rankings, settings.rrf_k, weights, legs.item_weights
            )
        rows = index.lexical.by_id
        fused = {cid: v for cid, v in fused.items() if cid not in index.lexical.boilerplate}
        # "The 2019 forum", "the German lecture notes", "Thailand's guideline": the documents of
        # that year, language or country gain a share of the fused scale (hybrid only: a single
        # leg keeps its own scores, cosine or BM25, as the baselines they are).
        hybrid = len(rankings) > 1
        scale = _fused_scale(rankings, weights)
        named = (  # what the query names, each chunk's value, documents per value, the share
            (named_years, _year, index.documents_per_year, settings.year_boost),
            (named_languages, _row_language, index.documents_per_language, settings.language_boost),
            (named_countries, _country, index.documents_per_country, settings.country_boost),
        )
        for names_in, value, documents_per_value, boost in named:
            values = names_in(query) if boost > 0 and hybrid else set()
            if values:
                value_of = {cid: value(rows[cid]) for cid in fused if cid in rows}
                fused = fusion.named_boost(
                    fused, value_of, values, documents_per_value, boost * scale
                )
        unknown = [cid for cid in fused if cid not in rows and cid not in chunks]
        if unknown:  # written after this index was built: read them from the store
            chunks.update({c.id: c for c in self.store.chunks(unknown)})
        doc_of = {cid: rows[cid].doc_id for cid in fused if cid in rows}
        doc_of.update({cid: chunk.doc_id for cid, chunk in chunks.items()})
        ranked = fusion.ordered(fused)[: max(4 * k, 40)]
        words = {cid: frozenset(rows[cid].tokens.split()) for cid in ranked if cid in rows}
        ranked = fusion.collapse_duplicates(ranked, words, doc_of, settings.duplicate_threshold)
        if per_page > 0:
            page_of = {cid: (rows[cid].doc_id, rows[cid].page) for cid in ranked if cid in rows}
            page_of.update({cid: (chunk.doc_id, chunk.page) for cid, chunk in chunks.items()})
            ranked = fusion.spread(ranked, page_of, per_page)
        chosen = fusion.cap_per_document(ranked, doc_of, k, settings.max_per_document)
        missing = [cid for cid in chosen if cid not in chunks]
        chunks.update({c.id: c for c in self.store.chunks(missing)} if missing else {})
        ranks = fusion.leg_ranks(rankings)
        return [Hit(chunks[c], fused[c], ranks.get(c, {})) for c in chosen if c in chunks]

    def facets(self, filters: Filters | None = None) -> dict[str, dict[str, int]]:
        """Document counts per value of each catalog field, under every filter but that field's own."""
        filters = filters or Filters()
        records = list(self.store.documents().values())
        return {name: _count(records, filters.to_meta(skip=name), name) for name in FACETS}

    def check_filters(self, filters: Filters) -> None:
        """Raise FilterError for a value no indexed document has, listing the values there are.

        A misspelt value would otherwise filter everything out and look like "nothing found".
        """
        asked = {name: getattr(filters, name) for name in FILTER_FIELDS if getattr(filters, name)}
        facets = self.facets() if asked else {}  # a scan of every record: only when needed
        problems = []
        for name, values in asked.items():
            unknown = [v for v in values if v not in facets[name]]
            if unknown:
                allowed = ", ".join(sorted(facets[name])) or "(none indexed)"
                problems.append(f"{name}: unknown {', '.join(map(repr, unknown))}; use {allowed}")
        if filters.year_from and filters.year_to and filters.year_from > filters.year_to:
            problems.append(f"year_from {filters.year_from} is after year_to {filters.year_to}")
        if problems:
            raise FilterError("; ".join(problems))


def _language(chunk_id: str, index: SearchIndex) -> str:
    row = index.lexical.by_id.get(chunk_id)
    return row.language if row else ""


def _year(row: StoredChunk) -> int:
    return int(row.meta.get("year") or 0)  # the catalog validates it as a year (0: none)


def _row_language(row: StoredChunk) -> str:
    return row.language


def _country(row: StoredChunk) -> str:
    return country_code(str(row.meta.get("country") or ""))  # "" for none or one outside COUNTRIES


def _readable_only(
    legs: _Legs, leg: str, readable: set[str], rows: Mapping[str, StoredChunk]
) -> None:
    """`leg` keeps only the chunks in a `readable` language, where it found any.

    A keyword search's hits are read as they are: the English "container", lifted, put first a
    Lao page that quotes the word. Its other legs still rank every page.
    """
    kept = [cid for cid in legs.rankings.get(leg, ()) if rows[cid].language in readable]
    if kept:
        legs.rankings[leg] = kept
        legs.scores[leg] = {cid: legs.scores[leg][cid] for cid in kept}


def _fused_scale(rankings: Mapping[str, object], weights: Mapping[str, float]) -> float:
    """How many times the question's own legs' weight the fused scores span.

    The translation's and the anchors' legs (`_en`, `_anchor`) add to the fused scale; a boost
    tuned on the plain hybrid search grows with it, or it would count for less exactly where
    `ask` searches (question set, translated: German R@5 0.833 -> 0.900 with the scaling).
    """
    own = sum(weights.get(leg, 1.0) for leg in rankings if not leg.endswith(("_en", "_anchor")))
    return sum(weights.get(leg, 1.0) for leg in rankings) / own if own else 1.0


def _documents_per(rows: Iterable[StoredChunk], value: Callable[[StoredChunk], V]) -> dict[V, int]:
    """How many documents carry each value (a catalog year, 0: none; a language)."""
    return dict(Counter({row.doc_id: value(row) for row in rows}.values()))


def _shares(languages: Iterable[str]) -> dict[str, float]:
    counts: dict[str, int] = {}
    for language in languages:
        counts[language] = counts.get(language, 0) + 1
    total = sum(counts.values()) or 1
    return {language: n / total for language, n in counts.items()}


def _count(records: list[DocumentRecord], where: MetaFilter, name: str) -> dict[str, int]:
    counts: dict[str, int] = {}
    for record in records:
        if not where.matches(record.meta):
            continue
        value = record.meta.get(name)
        for item in value if isinstance(value, list | tuple) else [value]:
            if item not in (None, "", 0, "und"):
                counts[str(item)] = counts.get(str(item), 0) + 1
    return dict(sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))


class _Clock:
    """Lap timer for SearchResult.timings (milliseconds)."""

    def __init__(self) -> None:
        self._start = self._last = time.perf_counter()
        self._laps: dict[str, float] = {}

    def lap(self, name: str) -> None:
        now = time.perf_counter()
        self._laps[name] = (now - self._last) * 1000
        self._last = now

    def timings(self) -> dict[str, float]:
        return {**self._laps, "total_ms": (self._last - self._start) * 1000}
