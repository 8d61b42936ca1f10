"""Query translation into English with the configured LLM: a cross-lingual leg for hybrid search.

multilingual-e5 ranks English passages for a Chinese or Vietnamese question well, but not as well as
for the same question in English, and BM25 cannot match across languages at all. No registry package
carries MT weights (MODELS.md), so the LLM that writes answers translates the question; search then
runs its dense and lexical legs on the translation too and fuses them with the original's.
Measured on XQuAD (question → English passages) it pays for zh, vi and de, and on the question set
for ms and fil; Qwen-1.5B's Thai, Khmer and Lao translations make search worse, so those stay out of
the default languages.
"""

from __future__ import annotations

import logging
import re
import threading
from collections import OrderedDict
from collections.abc import Collection, Mapping

from kb.settings import SearchSettings
from server.llm import LLM, LLMError

logger = logging.getLogger(__name__)

PROMPT = "Translate the user's question into English. Reply with the translation only."
MAX_TOKENS = 64
CACHE_SIZE = 2048  # translations the server keeps, most recent first
_QUOTES = "\"'“”‘’「」«»"


def clean_translation(reply: str) -> str:
    """The first non-empty line of the reply, without a 'Translation:' label or wrapping quotes."""
    line = next((s.strip() for s in reply.splitlines() if s.strip()), "")
    line = re.sub(r"^(english\s*)?(translation)?\s*:\s*", "", line, flags=re.IGNORECASE)
    return line.strip(_QUOTES + " ")


def looks_english(text: str) -> bool:
    """Mostly Latin letters: a reply still in the source script is not a translation."""
    letters = [c for c in text if c.isalpha()]
    return bool(letters) and sum(c.isascii() for c in letters) / len(letters) >= 0.8


class QueryTranslator:
    """English translations of questions, cached (questions repeat: the UI, the eval, follow-ups).

    The server keeps the `cache_size` most recent; `cache_size=None` keeps every one, for an
    evaluation that saves them to a file and re-runs the same questions (XQuAD's zh and vi alone
    are 2,380, and a bounded cache made each run translate part of them again).
    """

    def __init__(
        self,
        llm: LLM,
        languages: Collection[str],
        cache_size: int | None = CACHE_SIZE,
        known: Mapping[str, str | None] | None = None,
    ) -> None:
        self.llm = llm
        self.languages = frozenset(languages)
        self._cache: OrderedDict[str, str | None] = OrderedDict(known or {})
        self._cache_size = None if cache_size is None else max(cache_size, len(self._cache))
        self._lock = threading.Lock()

    def known(self) -> dict[str, str | None]:
        """The translations made so far (the eval harness keeps them between runs)."""
        with self._lock:
            return dict(self._cache)

    def wants(self, language: str) -> bool:
        """Whether questions in `language` are translated (English never is)."""
        return language != "en" and language in self.languages

    def english(self, query: str, language: str) -> str | None:
        """The query in English, or None (language not translated, LLM failed, or no translation)."""
        if not self.wants(language):
            return None
        with self._lock:
            if query in self._cache:
                self._cache.move_to_end(query)
                return self._cache[query]
        translation = self._translate(query)
        with self._lock:
            self._cache[query] = translation
            if self._cache_size is not None and len(self._cache) > self._cache_size:
                self._cache.popitem(last=False)
        return translation

    def _translate(self, query: str) -> str | None:
        try:
            reply = self.llm.complete(
                [{"role": "system", "content": PROMPT}, {"role": "user", "content": query}],
                max_tokens=MAX_TOKENS,
            )
        except LLMError as exc:
            logger.warning(
                "query translation failed (%s); searching the original only", exc.message
            )
            return None
        text = clean_translation(reply)
        if not looks_english(text) or text.casefold() == query.casefold():
            return None
        return text


def translator_for(llm: LLM | None, settings: SearchSettings) -> QueryTranslator | None:
    """The translator search uses, or None (no LLM, or translation off in the settings)."""
    if llm is None or settings.translate == "off" or not settings.translate_languages:
        return None
    return QueryTranslator(llm, settings.translate_languages)
