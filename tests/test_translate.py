"""Query translation: cleaning the LLM's reply, caching, failure, and the translated search legs."""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import pytest

from kb.settings import SearchSettings
from kb.store import Store
from server.llm import LLMError, Message, StreamingLLM
from server.retrieve import Retriever
from server.translate import QueryTranslator, clean_translation, looks_english, translator_for
from tests.search_library import ingested_store


class ScriptedTranslator(StreamingLLM):
    """The real LLM protocol with fixed replies per question; records what it was asked."""

    name = "scripted"

    def __init__(self, replies: dict[str, str], fail: bool = False) -> None:
        self.replies = replies
        self.fail = fail
        self.asked: list[tuple[str, int | None]] = []

    def stream(self, messages: Sequence[Message], max_tokens: int | None = None) -> Iterator[str]:
        question = messages[-1]["content"]
        self.asked.append((question, max_tokens))
        if self.fail:
            raise LLMError("scripted failure")
        yield self.replies.get(question, "")


@pytest.mark.parametrize(
    ("reply", "expected"),
    [
        ("How is berth occupancy measured?", "How is berth occupancy measured?"),
        ('Translation: "What is shore power?"\n\nNote: literal.', "What is shore power?"),
        ("English translation: Why do ships wait?", "Why do ships wait?"),
        ("\n\n  “Dwell time of containers”  ", "Dwell time of containers"),
    ],
)
def test_clean_translation_keeps_the_first_line_without_labels(reply: str, expected: str) -> None:
    assert clean_translation(reply) == expected


def test_looks_english_rejects_replies_in_the_source_script() -> None:
    assert looks_english("How many cranes does the Port of Example have?")
    assert not looks_english("岸电系统是什么？")
    assert not looks_english("12 / 30")


def test_translator_caches_and_skips_english_and_unlisted_languages() -> None:
    llm = ScriptedTranslator({"岸电是什么？": "What is shore power?"})
    translator = QueryTranslator(llm, ["zh", "vi"])
    assert translator.english("岸电是什么？", "zh") == "What is shore power?"
    assert translator.english("岸电是什么？", "zh") == "What is shore power?"
    assert translator.english("What is shore power?", "en") is None
    assert translator.english("ท่าเรือคืออะไร", "th") is None  # th is not in the list
    assert llm.asked == [("岸电是什么？", 64)]  # once, with a short token budget


def test_translator_cache_is_bounded_unless_told_to_keep_every_translation() -> None:
    replies = {"岸电？": "Shore power?", "泊位？": "Berth?", "吊机？": "Crane?"}
    bounded = ScriptedTranslator(replies)
    recent = QueryTranslator(bounded, ["zh"], cache_size=2)
    every = QueryTranslator(ScriptedTranslator(replies), ["zh"], cache_size=None)
    for question in replies:
        recent.english(question, "zh")
        every.english(question, "zh")
    assert list(recent.known()) == ["泊位？", "吊机？"]  # the oldest was dropped
    assert every.known() == replies
    recent.english("岸电？", "zh")  # dropped, so asked again
    assert [q for q, _ in bounded.asked] == ["岸电？", "泊位？", "吊机？", "岸电？"]


def test_translator_gives_none_when_the_llm_fails_or_does_not_translate() -> None:
    assert (
        QueryTranslator(ScriptedTranslator({}, fail=True), ["zh"]).english("岸电？", "zh") is None
    )
    untranslated = ScriptedTranslator({"岸电是什么？": "岸电是什么？"})
    assert QueryTranslator(untranslated, ["zh"]).english("岸电是什么？", "zh") is None


def test_translator_for_follows_the_settings() -> None:
    llm = ScriptedTranslator({})
    assert translator_for(None, SearchSettings()) is None
    assert translator_for(llm, SearchSettings(translate="off")) is None
    assert translator_for(llm, SearchSettings(translate_languages=[])) is None
    assert translator_for(llm, SearchSettings()) is not None


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory, e5: object) -> Store:
    return ingested_store(tmp_path_factory.mktemp("translate"), e5)


def test_translated_legs_join_the_fusion(store: Store, e5: object) -> None:
    # A Vietnamese question about berth occupancy; its translation is plain English.
    question = "Tỷ lệ chiếm dụng cầu bến là gì?"
    llm = ScriptedTranslator({question: "What is the berth occupancy ratio?"})
    retriever = Retriever(store, e5, translator=QueryTranslator(llm, ["vi"]))  # type: ignore[arg-type]
    plain = retriever.search(question, k=5)
    assert plain.translation is None and llm.asked == []  # translate defaults to off
    result = retriever.search(question, k=5, translate=True)
    assert result.translation == "What is the berth occupancy ratio?"
    assert "translate_ms" in result.timings
    top = result.hits[0]
    assert top.chunk.doc_id == "en/berth-occupancy.txt"
    assert {"dense", "dense_en", "lexical_en"} <= set(top.ranks)
    assert top.ranks["lexical_en"] == 1  # the English words match only through the translation


def test_a_named_language_counts_as_much_in_a_translated_search(store: Store, e5: object) -> None:
    # The translation's legs widen the fused scale; the boost for "tiếng Đức" widens with it.
    question = "Theo tài liệu tiếng Đức, tàu phải chờ ở khu neo đậu bao lâu?"
    english = "According to the German notes, how long do ships wait at the anchorage?"

    def boost(translate: bool) -> float:
        scores = []
        for share in (0.0, 0.4):
            retriever = Retriever(
                store,
                e5,  # type: ignore[arg-type]
                SearchSettings(language_boost=share),
                translator=QueryTranslator(ScriptedTranslator({question: english}), ["vi"]),
            )
            hits = retriever.search(question, k=10, translate=translate).hits
            scores.append(next(h.score for h in hits if h.chunk.doc_id == "de/anchorage.txt"))
        return scores[1] - scores[0]

    assert boost(translate=False) == pytest.approx(0.4)  # one German document of seven
    # dense_en and lexical_en weigh about as much as the question's own dense, lexical and
    # sparse legs (English lexical more: more of the library is English): about twice the scale.
    assert 0.4 * 1.5 < boost(translate=True) < 0.4 * 3


def test_a_translated_question_takes_its_languages_translated_weights(
    store: Store, e5: object
) -> None:
    question = "Tỷ lệ chiếm dụng cầu bến là gì?"
    english = "What is the berth occupancy ratio?"
    only_dense = {"lexical": 0.0, "sparse": 0.0, "sentence": 0.0, "muse": 0.0}
    settings = SearchSettings(
        lexical_share_scale=0,
        translation_weight=0.0,
        # A question this short that names a term is a keyword search: no anchors, no term leg.
        keyword_anchor_weight=0.0,
        term_weight=0.0,
        language_weights={},
        translated_weights={"vi": only_dense},
    )
    retriever = Retriever(
        store,
        e5,  # type: ignore[arg-type]
        settings,
        translator=QueryTranslator(ScriptedTranslator({question: english}), ["vi"]),
    )
    index = retriever.index()
    assert retriever._weights("vi", index)["sentence"] == settings.sentence_weight
    assert retriever._weights("vi", index, translated=True)["sentence"] == 0.0
    assert retriever._weights("de", index, translated=True)["sentence"] == settings.sentence_weight
    # Translated, only the question's dense leg weighs: it ranks as dense search does.
    translated = retriever.search(question, k=5, translate=True)
    assert translated.translation == english
    dense = retriever.search(question, k=5, mode="dense")
    assert [h.chunk.id for h in translated.hits] == [h.chunk.id for h in dense.hits]


def test_search_without_a_translation_is_the_plain_hybrid(store: Store, e5: object) -> None:
    question = "Tỷ lệ chiếm dụng cầu bến là gì?"
    failing = Retriever(
        store, e5, translator=QueryTranslator(ScriptedTranslator({}, fail=True), ["vi"])
    )  # type: ignore[arg-type]
    plain = Retriever(store, e5)  # type: ignore[arg-type]
    translated = failing.search(question, k=5, translate=True)
    assert translated.translation is None
    assert [h.chunk.id for h in translated.hits] == [
        h.chunk.id for h in plain.search(question, k=5).hits
    ]


@pytest.mark.parametrize(("mode", "translated"), [("ask", True), ("all", True), ("off", False)])
def test_ask_searches_with_the_translation_unless_it_is_off(
    store: Store, e5: object, mode: str, translated: bool
) -> None:
    from server.answer import Asker

    question = "Tỷ lệ chiếm dụng cầu bến là gì?"
    llm = ScriptedTranslator({question: "What is the berth occupancy ratio?"})
    settings = SearchSettings(translate=mode)  # type: ignore[arg-type]
    retriever = Retriever(store, e5, settings, translator=QueryTranslator(llm, ["vi"]))  # type: ignore[arg-type]
    Asker(retriever, e5, None).ask(question)  # type: ignore[arg-type]
    assert [q for q, _ in llm.asked] == ([question] if translated else [])
