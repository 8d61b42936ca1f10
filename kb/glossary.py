"""The port glossary: course terms in every course language, for `define` and cross-lingual query expansion."""

from __future__ import annotations

import difflib
import functools
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from kb.errors import ConfigError
from kb.languages import LANGUAGES, lexical_tokens

GLOSSARY_PATH = Path(__file__).resolve().parent / "glossary.yaml"
_SPACED = ("en", "vi", "ms", "fil", "de")  # languages whose terms are matched on word boundaries
_MIN_SUBSTRING = 3  # unspaced-script terms shorter than this must match as whole tokens


class TermEntry(BaseModel):
    """One glossary row as written in glossary.yaml: every course language must be present."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(description="Stable slug, e.g. `berth-occupancy`.")
    definition: str = Field(min_length=1, description="One-line English definition.")
    en: tuple[str, ...] = Field(min_length=1)
    zh: tuple[str, ...] = Field(min_length=1)
    vi: tuple[str, ...] = Field(min_length=1)
    th: tuple[str, ...] = Field(min_length=1)
    km: tuple[str, ...] = Field(min_length=1)
    lo: tuple[str, ...] = Field(min_length=1)
    ms: tuple[str, ...] = Field(min_length=1)
    fil: tuple[str, ...] = Field(min_length=1)
    de: tuple[str, ...] = Field(min_length=1)


@dataclass(frozen=True)
class NamePatterns:
    """A term's names as they appear in a text's lexical tokens (each run space-padded)."""

    runs: frozenset[str]  # token runs, to find in f" {' '.join(tokens)} "
    joined: frozenset[str]  # unspaced-script names, to find in "".join(tokens)


@dataclass(frozen=True)
class Term:
    """A glossary term: its names per language (usual name first) and a short definition."""

    id: str
    definition: str
    names: Mapping[str, tuple[str, ...]]

    def variants(self) -> list[tuple[str, str]]:
        """(language, name) for every name of the term."""
        return [(lang, name) for lang, names in self.names.items() for name in names]


def _fold(text: str) -> str:
    return unicodedata.normalize("NFC", text).casefold().strip()


class Glossary:
    """Lookup by any name in any language, and expansion of a query with its terms' other names."""

    def __init__(self, terms: Sequence[Term]) -> None:
        self.terms = list(terms)
        self._by_name: dict[str, Term] = {}
        self._languages: dict[str, set[str]] = {}  # folded name -> the languages it is a name in
        # Names by their first token, and unspaced-script names as strings: `find` looks up each
        # of a query's tokens instead of sliding every one of ~900 names along the query (about
        # 2 ms a search). A dict of first tokens does what a matcher library would, in five lines.
        self._by_first_token: dict[str, list[tuple[str, tuple[str, ...]]]] = {}
        self._substrings: list[tuple[str, str]] = []  # (term id, folded name)
        self._tokens: dict[str, list[tuple[str, str]]] = {}
        self._patterns: dict[str, NamePatterns] = {}
        for term in self.terms:
            runs, joined = set(), set()
            self._by_name[_fold(term.id)] = term
            for lang, name in term.variants():
                folded = _fold(name)
                self._by_name.setdefault(folded, term)
                self._languages.setdefault(folded, set()).add(lang)
                name_tokens = tuple(lexical_tokens(name))
                if name_tokens:
                    self._by_first_token.setdefault(name_tokens[0], []).append(
                        (term.id, name_tokens)
                    )
                    runs.add(f" {' '.join(name_tokens)} ")
                if lang not in _SPACED and len(folded) >= _MIN_SUBSTRING:
                    self._substrings.append((term.id, folded))
                    joined.add("".join(name_tokens))
                self._tokens.setdefault(term.id, []).extend((lang, t) for t in name_tokens)
            self._patterns[term.id] = NamePatterns(frozenset(runs), frozenset(joined))

    def __len__(self) -> int:
        return len(self.terms)

    def lookup(self, text: str) -> Term | None:
        """The term one of whose names (or id) is exactly `text`, ignoring case."""
        return self._by_name.get(_fold(text))

    def languages_of(self, text: str) -> set[str]:
        """The languages in which `text` is exactly a term's name, ignoring case (empty: none)."""
        return set(self._languages.get(_fold(text), ()))

    def reading(self, text: str, detected: str) -> str:
        """The language to read `text` in, given the detector's reading `detected`.

        A text that is exactly a term's name is read in that name's language where the detector
        says otherwise: it reads two words of Malay or Filipino as English ("pelabuhan kering",
        "tuyong daungan": dry port). "dry port" is English and Filipino, and stays English.
        """
        named = self.languages_of(text)
        return detected if not named or detected in named else sorted(named)[0]

    def suggest(self, text: str, n: int = 5) -> list[str]:
        """Names close to `text`, for a "did you mean" message."""
        return difflib.get_close_matches(_fold(text), list(self._by_name), n=n, cutoff=0.6)

    def find(self, query: str, tokens: Sequence[str] | None = None) -> list[Term]:
        """Terms named in `query`: a name's tokens appear in a row, or an unspaced-script name is a substring."""
        folded = _fold(query)
        tokens = tuple(tokens if tokens is not None else lexical_tokens(query))
        found = {term_id for term_id, name in self._substrings if name in folded}
        for start, token in enumerate(tokens):
            for term_id, name_tokens in self._by_first_token.get(token, ()):
                if tokens[start : start + len(name_tokens)] == name_tokens:
                    found.add(term_id)
        return [term for term in self.terms if term.id in found]  # in glossary order

    def patterns(self, term: Term) -> NamePatterns:
        """The term's names as `find` looks for them, to find them in a chunk's lexical tokens."""
        return self._patterns.get(term.id, NamePatterns(frozenset(), frozenset()))

    def expand(self, query: str, tokens: Sequence[str] | None = None) -> list[tuple[str, str]]:
        """(language, lexical token) of every name of the terms in `query`, minus the query's own tokens.

        The language goes with each token so the lexical index can stem it as its own language's word.
        """
        tokens = list(tokens if tokens is not None else lexical_tokens(query))
        seen = set(tokens)
        extra: list[tuple[str, str]] = []
        for term in self.find(query, tokens):
            for lang, token in self._tokens[term.id]:
                if token not in seen:
                    seen.add(token)
                    extra.append((lang, token))
        return extra


def load_glossary(path: Path = GLOSSARY_PATH) -> Glossary:
    """The glossary in `path` (cached per path).

    Raises:
        ConfigError: naming the term and field at fault when the file is invalid.
    """
    return _load(str(path))


@functools.cache
def _load(path: str) -> Glossary:
    try:
        raw = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
        entries = [TermEntry.model_validate(row) for row in raw.get("terms", [])]
    except (OSError, yaml.YAMLError) as exc:
        raise ConfigError(f"{path}: cannot read the glossary ({exc})") from exc
    except ValidationError as exc:
        raise ConfigError(f"{path}: invalid glossary entry: {exc}") from exc
    terms = [
        Term(e.id, e.definition, {lang: tuple(getattr(e, lang)) for lang in LANGUAGES})
        for e in entries
    ]
    return Glossary(terms)
