"""Citations the code owns: parse [n] markers, check each against its chunk, drop what is unsupported.

Pure functions. A citation survives only when its number was in the context, the cited chunk
supports the sentence (a scorer, lexical by default; half the support suffices when the chunk holds
figures the sentence states beyond the question's) and holds every number and name the sentence
states (its document's title, event and year count as held; a number the source spells out,
"six operating modules", holds 6), and its quote (the chunk's best-supporting sentence) is
verbatim in the chunk. A factual sentence left without a citation gets the best-supporting chunk
when the support is high, or is dropped.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache

from text_to_num import alpha2digit

from kb.glossary import load_glossary
from kb.languages import (
    ascii_digits,
    detect_language,
    language_names,
    lexical_tokens,
    split_sentences,
)
from kb.types import Chunk, Citation

MARKER = re.compile(r"\s*\[(\d+(?:\s*[,;，、]\s*\d+)*)\]")
_NUMBER = re.compile(r"\d+(?:[.,\s]\d{3}(?!\d))*(?:[.,]\d+)?")
_SENTENCE = re.compile(r"(?<![\s(]pp\.)(?<![\s(]p\.)(?<=[.!?。！？។])\s+|(?<=[。！？])|\n+")
_END = ".!?。！？។:：;；"
_ACRONYM = re.compile(r"\b[A-Z][A-Z0-9]*[A-Z][A-Z0-9]*\b")  # two or more capitals: IMO, TEU, ISPS
_CLAUSE = re.compile(r"[;；]")
_LATIN_WORD = re.compile(r"\b[A-Za-z][A-Za-z0-9'-]*\b")
# Support scorer: a claim against candidate quotes -> support in [0, 1] for each.
Scorer = Callable[[str, Sequence[str]], list[float]]


@dataclass(frozen=True)
class Claim:
    """One sentence of an answer, its markers removed, with the numbers it cites."""

    text: str
    cited: tuple[int, ...]


@dataclass(frozen=True)
class Verified:
    """An answer after verification: its text, the citations kept, and what was removed."""

    text: str
    citations: tuple[Citation, ...]
    dropped: tuple[str, ...] = ()
    removed: tuple[int, ...] = ()


def strip_markers(text: str) -> str:
    """The text without any [n] markers."""
    return MARKER.sub("", text)


def _marker_numbers(text: str) -> list[int]:
    """The citation numbers of the text's markers, in order ([1, 2] and [1][3] alike)."""
    return [int(n) for m in MARKER.findall(text) for n in re.split(r"\D+", m) if n]


def markers(text: str) -> set[int]:
    """Every citation number the text carries."""
    return set(_marker_numbers(text))


def parse(answer: str) -> list[Claim]:
    """The answer's sentences with the citation numbers each carries ([1], [1, 2], [1][3])."""
    claims = []
    pieces = [p for p in _SENTENCE.split(answer.strip()) if p and p.strip()]
    for index, piece in enumerate(pieces):
        # A marker that opens a sentence belongs to the previous one ("… 12%. [1]").
        numbers = tuple(_marker_numbers(piece))
        text = strip_markers(piece).strip()
        if not text and claims and index:
            last = claims[-1]
            claims[-1] = Claim(last.text, last.cited + numbers)
            continue
        if text:
            claims.append(Claim(text, tuple(dict.fromkeys(numbers))))
    return claims


def numbers_in(text: str) -> set[str]:
    """Digit strings the text states, separators removed (1,200 = 1.200 = 1200; 3,5 = 3.5).

    Digits of any script read as ASCII ones: a Khmer, Lao or Thai answer may write ២០២២ or ๒๕ for
    the source's 2022 or 25.
    """
    flat = " ".join(strip_markers(text).split())  # the same runs of digits however text was wrapped
    return {ascii_digits(re.sub(r"\D", "", n)) for n in _NUMBER.findall(flat)}


# Languages whose number words text2num reads: the library's sources are English and German
# ("six operating modules", "fünf Liegeplätze"); a claim in any language states them as digits.
_SPELLED_IN = ("en", "de")
# text2num reads a bare scale word as its value ("1.2 million" -> "1.2 1000000"): not a figure.
_SCALES = frozenset({"100", "1000", "1000000", "1000000000"})


@lru_cache(maxsize=4096)
def source_numbers(source: str) -> frozenset[str]:
    """The numbers a source states: its digit strings and its numbers written as words.

    An answer turns "six operating modules" into "6 โมดูล"; the figure is the source's.
    Ambiguous words stay words (text2num leaves "one of the ports" alone).
    """
    spelled = set().union(*(numbers_in(alpha2digit(source, lang)) for lang in _SPELLED_IN))
    return frozenset(numbers_in(source) | (spelled - _SCALES))


def numbers_ok(claim: str, source: str) -> bool:
    """True when every number in the claim also appears in the source, in digits or in words."""
    return numbers_in(claim) <= source_numbers(source)


def names_in(text: str) -> set[str]:
    """Names and codes the text states, lower-cased.

    Acronyms (IMO, SKPK) count in any language; in English, so do capitalised words past a
    sentence's first. Acronyms survive translation; other names may not ("Vientiane" is "Viêng Chăn" in Vietnamese),
    and German capitalises every noun, so only English text is held to its capitalised words. A
    claim about "Atlantis" is not supported by a source that never names it, however many of its
    other words the source shares.
    """
    plain = strip_markers(text)
    names = {w.lower() for w in _ACRONYM.findall(plain)}
    if detect_language(plain) == "en":
        names.update(w.lower() for w in _capitalised(plain))
    return names


def spells_out(acronym: str, source: str) -> bool:
    """True when the source writes the acronym's words out, capitalised ("Inland Container Depots").

    A title often gives the words and the page only the acronym, or neither. Three letters at
    least: two capitalised words in a row spell many two-letter codes by chance.
    """
    if len(acronym) < 3 or not acronym.isalpha():
        return False
    words = _LATIN_WORD.findall(source)
    letters = acronym.lower()
    return any(
        all(w[:1].isupper() and w[0].lower() == ch for w, ch in zip(run, letters, strict=True))
        for run in (words[i : i + len(letters)] for i in range(len(words) - len(letters) + 1))
    )


def _fold(text: str) -> str:
    """Lower-cased, without diacritics: Vietnamese "Cái Mép" and English "Cai Mep" compare equal."""
    decomposed = unicodedata.normalize("NFD", text.lower().replace("đ", "d"))
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def _capitalised(text: str) -> set[str]:
    """Latin words written with a capital past each sentence's first word."""
    found = set()
    for sentence in _SENTENCE.split(strip_markers(text)):
        found.update(w for w in _LATIN_WORD.findall(sentence)[1:] if w[0].isupper())
    return found


def asked_names(claim: str, question: str) -> set[str]:
    """Names the question gives that the claim repeats ("… Philippine Ports Authority …").

    A claim about the entity the user asked about must come from a source that names it, in any
    Latin-script language; German is left out, as it capitalises every noun. The words of a port
    glossary term the claim uses are not names: the Malay "Forum Pelabuhan Pintar" is the
    Smart Port Forum, and an English source names it in English.
    """
    if not question or detect_language(strip_markers(claim)) == "de":
        return set()
    asked = {_fold(w) for w in _capitalised(question) | set(_LATIN_WORD.findall(question)[:1])}
    terms = {
        _fold(w)
        for term in load_glossary().find(claim)
        for _, name in term.variants()
        for w in _LATIN_WORD.findall(name)
    }
    return ({_fold(w) for w in _capitalised(claim)} & asked) - terms


def facts_ok(claim: str, source: str, given: str = "") -> bool:
    """The claim states no number and no name that the source lacks.

    With the question as `given`, the question's names that the claim repeats count too.
    """
    flat = " ".join(source.split()).lower()
    acronyms = {w.lower() for w in _ACRONYM.findall(strip_markers(claim))}
    held = (
        name in flat or (name in acronyms and spells_out(name, source)) for name in names_in(claim)
    )
    if not numbers_ok(claim, source) or not all(held):
        return False
    folded = _fold(flat)
    return all(name in folded for name in asked_names(claim, given))


def label(chunk: Chunk) -> str:
    """The chunk's text with what a reader sees beside a citation: title, event, year, language.

    The heading and the names of the document's language (`language_names`) come too.
    A claim may state the year or event the question names ("according to the 2022 conference
    paper, …") when it is the cited document's own, though the page's text never repeats it; so
    with the language it names ("sa German na lecture notes": a German page never says "German").
    """
    parts = [chunk.meta.get(key) for key in ("title", "event", "year")]
    extra = [str(p) for p in (*parts, chunk.heading, *language_names(chunk.language)) if p]
    return "\n".join([chunk.text, *extra])


def lexical_support(claim: str, candidates: Sequence[str]) -> list[float]:
    """Share of the claim's words found in each candidate."""
    words = set(lexical_tokens(claim))
    if not words:
        return [0.0 for _ in candidates]
    return [len(words & set(lexical_tokens(c))) / len(words) for c in candidates]


def is_factual(text: str) -> bool:
    """A sentence that states something (a number, or four words or more) must carry a citation."""
    return bool(numbers_in(text)) or len(lexical_tokens(text)) >= 4


def contains(text: str, quote: str) -> bool:
    """True when `quote` is in `text`, whitespace runs counting as one space."""
    return " ".join(quote.split()) in " ".join(text.split())


def quotes(chunk: Chunk) -> list[str]:
    """The chunk's sentences, each verbatim in its text: the quotes a citation may carry."""
    found = [s for s in split_sentences(chunk.text) if s in chunk.text]
    return found or [chunk.text.strip()]


def clauses(sentence: str) -> list[str]:
    """The sentence's clauses when semicolons join several, else none."""
    parts = [p.strip() for p in _CLAUSE.split(sentence)]
    return [p for p in parts if p] if len(parts) > 1 else []


def best_quote(claim: str, chunk: Chunk, scorer: Scorer = lexical_support) -> tuple[str, float]:
    """The chunk sentence that best supports the claim, scored against the sentence and the chunk.

    The support is the best over every sentence, each clause of one (a claim in another language
    restates one clause, and embedding similarity with the whole sentence stays low: "大桥是1994年
    通车的" against "The Friendship Bridge opened in 1994; the railway … followed in 2009."),
    and the whole chunk. The quote shown is a whole sentence: the best among those holding most
    of the claim's numbers, since that is the evidence a reader checks.
    """
    candidates = quotes(chunk)
    parts = [(i, part) for i, sentence in enumerate(candidates) for part in clauses(sentence)]
    scored = scorer(claim, candidates + [part for _, part in parts])
    scores = scored[: len(candidates)]
    for (i, _), score in zip(parts, scored[len(candidates) :], strict=True):
        scores[i] = max(scores[i], score)  # a sentence supports what one of its clauses does
    best = max(range(len(candidates)), key=lambda i: scores[i])
    whole = scorer(claim, [chunk.text])[0] if len(candidates) > 1 else scores[best]
    shown = best
    wanted = numbers_in(claim)
    if wanted:
        held = [len(wanted & source_numbers(c)) for c in candidates]
        if max(held) > held[best]:
            shown = max(
                (i for i in range(len(candidates)) if held[i] == max(held)),
                key=lambda i: scores[i],
            )
    return candidates[shown], max(scores[best], whole)


def _cite(
    claim: str, n: int, context: Sequence[Chunk], scorer: Scorer, floor: float, given: str = ""
) -> Citation | None:
    chunk = context[n - 1]
    quote, support = best_quote(claim, chunk, scorer)
    if (
        support < floor
        or not facts_ok(claim, label(chunk), given)
        or not contains(chunk.text, quote)
    ):
        return None
    return Citation(n=n, doc_id=chunk.doc_id, page=chunk.page, quote=quote)


def _best_citation(
    claim: str, context: Sequence[Chunk], scorer: Scorer, floor: float, given: str = ""
) -> Citation | None:
    best, best_support = None, floor
    for n, chunk in enumerate(context, start=1):
        quote, support = best_quote(claim, chunk, scorer)
        if support >= best_support and facts_ok(claim, label(chunk), given):
            best, best_support = Citation(n, chunk.doc_id, chunk.page, quote), support
    return best


def join_sentences(sentences: Sequence[str]) -> str:
    """Sentences as one text: a space between them, none after CJK full stops."""
    out = ""
    for sentence in sentences:
        wide = out and (out[-1] in "。！？" or sentence[:1] in "，。")
        out += sentence if not out or wide else f" {sentence}"
    return out


def with_markers(text: str, numbers: Sequence[int]) -> str:
    """The sentence with its `[n]` markers before its final stop."""
    markers = "".join(f"[{n}]" for n in numbers)
    if text and text[-1] in _END:
        return f"{text[:-1].rstrip()} {markers}{text[-1]}"
    return f"{text} {markers}"


def verify(
    answer: str,
    context: Sequence[Chunk],
    scorer: Scorer = lexical_support,
    keep: float = 0.3,
    attach: float = 0.6,
    given: str = "",
) -> Verified:
    """Keep the citations the context supports; re-attach or drop factual sentences left bare.

    A claim that states figures of its own (not the question's, `given`) needs half the support:
    the cited chunk must hold every figure (`facts_ok`), and a figure is evidence that survives
    translation, where word overlap and embedding similarity between a Chinese claim and an
    English source stay low.
    """
    asked = numbers_in(given)
    sentences: list[str] = []
    citations: dict[tuple[int, str], Citation] = {}
    dropped: list[str] = []
    removed: list[int] = []
    for claim in parse(answer):
        scale = 0.5 if numbers_in(claim.text) - asked else 1.0
        valid = []
        for n in claim.cited:
            citation = (
                _cite(claim.text, n, context, scorer, keep * scale, given)
                if 1 <= n <= len(context)
                else None
            )
            (valid.append(citation) if citation else removed.append(n))
        if not valid and is_factual(claim.text):
            # A sentence the model cited with the wrong number moves to the source that passes
            # the same test a right citation passes; a sentence it left bare needs more support.
            floor = (keep if claim.cited else attach) * scale
            best = _best_citation(claim.text, context, scorer, floor, given)
            valid = [best] if best else []
        if not valid and is_factual(claim.text):
            dropped.append(claim.text)
            continue
        citations.update({(c.n, c.quote): c for c in valid})
        numbers = sorted({c.n for c in valid})
        sentences.append(with_markers(claim.text, numbers) if numbers else claim.text)
    ordered = tuple(sorted(citations.values(), key=lambda c: c.n))
    return Verified(join_sentences(sentences), ordered, tuple(dropped), tuple(removed))
