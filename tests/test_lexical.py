"""The lexical leg: script-aware tokens reach BM25 (th, zh, km, lo), filters hold, the index follows the store."""

from __future__ import annotations

from pathlib import Path

import pytest

from ingest.pipeline import Syncer
from kb.languages import content_terms, latin_words, lexical_tokens, stems, subwords
from kb.settings import ChunkSettings, SearchSettings, StoreSettings
from kb.store import MetaFilter, Store, StoredChunk
from kb.types import Filters
from server.lexical import LexicalIndex
from server.retrieve import Retriever
from tests.search_library import DOCS, ingested_store, write_library


@pytest.fixture(scope="module")
def lexical_retriever(tmp_path_factory: pytest.TempPathFactory, tiny: object) -> Retriever:
    """Hybrid search over the test library, embedded with the tiny model (the lexical leg is real)."""
    store = ingested_store(tmp_path_factory.mktemp("lexical"), tiny)
    return Retriever(store, tiny, SearchSettings(glossary=False))  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("query", "doc"),
    [
        ("อัตราการใช้ท่าเทียบเรือ", "th/berth-th.txt"),
        ("岸电 排放", "zh/shore-power.txt"),
        ("ប្រព័ន្ធអេឡិចត្រូនិក គយ", "km/customs.txt"),
        ("ທ່າບົກທ່ານາແລ້ງ ທາງລົດໄຟ", "lo/dry-port.txt"),
        ("Liegeplatz Reede", "de/anchorage.txt"),
    ],
)
def test_unspaced_scripts_find_their_chunk_lexically(
    lexical_retriever: Retriever, query: str, doc: str
) -> None:
    result = lexical_retriever.search(query, k=3, mode="lexical")
    assert result.hits, f"no lexical hit for {query!r}"
    assert result.hits[0].chunk.doc_id == doc
    assert result.hits[0].ranks == {"lexical": 1}


def test_lexical_leg_never_returns_a_chunk_the_filters_exclude(
    lexical_retriever: Retriever,
) -> None:
    query = "reefer berth occupancy Reede 岸电"
    unfiltered = {
        h.chunk.doc_id for h in lexical_retriever.search(query, k=10, mode="lexical").hits
    }
    assert {"en/reefer-handbook.txt", "en/berth-occupancy.txt", "de/anchorage.txt"} <= unfiltered
    for filters in (
        Filters(kind=("lecture",)),
        Filters(year_from=2021, year_to=2022),
        Filters(topics=("green-port",)),
        Filters(country=("Germany", "China")),
    ):
        hits = lexical_retriever.search(query, k=10, filters=filters, mode="lexical").hits
        assert hits
        for hit in hits:
            assert filters.to_meta().matches(dict(hit.chunk.meta, language=hit.chunk.language))


def test_index_is_rebuilt_when_the_store_changes(tmp_path: Path, tiny: object) -> None:
    store = Store(StoreSettings(path=str(tmp_path / "store")), tiny.name, tiny.dim)  # type: ignore[attr-defined]
    syncer = Syncer(store, tiny, ChunkSettings(max_tokens=48, overlap_tokens=8))  # type: ignore[arg-type]
    folder = write_library(tmp_path / "lib", ["en/berth-occupancy.txt"])
    syncer.sync(folder)
    retriever = Retriever(store, tiny, SearchSettings(glossary=False))  # type: ignore[arg-type]
    assert not retriever.search("岸电", mode="lexical").hits
    first = retriever.index()
    assert retriever.index() is first  # same version: built once
    syncer.sync(write_library(folder, ["en/berth-occupancy.txt", "zh/shore-power.txt"]))
    assert retriever.search("岸电", mode="lexical").hits[0].chunk.doc_id == "zh/shore-power.txt"
    assert retriever.index() is not first


def test_lexical_index_directly_with_a_filter_mask() -> None:
    rows = [
        StoredChunk(f"c{i}", f"d{i}", " ".join(lexical_tokens(text)), {"kind": meta["kind"]})
        for i, (text, meta) in enumerate(DOCS.values())
    ]
    index = LexicalIndex(rows)
    hits = index.search(lexical_tokens("reefer plugs"), depth=5)
    assert [h.id for h in hits] == ["c6"]
    assert not index.search(lexical_tokens("reefer"), 5, MetaFilter({"kind": ("lecture",)}))
    assert index.search([], 5) == []


def test_word_languages_are_those_whose_chunks_hold_every_word() -> None:
    texts = {
        "fil": "Lahat ng barko ay dapat mag-ulat bago dumaong sa pantalan.",
        "ms": "Semua kapal wajib melaporkan maklumat sebelum tiba di pelabuhan.",
        "de": "Schiffe warten auf der Reede, bis ein Liegeplatz frei wird.",
        "en": "Ships wait at the anchorage until a berth is free.",
    }
    rows = [
        StoredChunk(f"c{i}", f"d{i}", " ".join(lexical_tokens(text)), {"language": language})
        for i, (language, text) in enumerate(texts.items())
    ]
    index = LexicalIndex(rows)
    assert index.word_languages(["lahat"]) == {"fil"}
    assert index.word_languages(["warten"]) == {"de"}
    assert index.word_languages(["wajib", "maklumat"]) == {"ms"}
    assert index.word_languages(["free"]) == {"en"}
    # Stemmed in each language's own way: "ships" and "berths" meet the English chunk's words.
    assert index.word_languages(["berths", "ships"]) == {"en"}
    assert index.word_languages(["lahat", "wajib"]) == set()  # no one language holds both
    assert index.word_languages(["zzz"]) == set()
    assert index.word_languages([]) == set()


def test_expansion_tokens_weigh_less_than_the_query() -> None:
    rows = [
        StoredChunk("en", "en", "shore power cuts emissions"),
        StoredChunk("zh", "zh", "岸电 减少 排放"),
    ]
    index = LexicalIndex(rows)
    hits = index.search(
        ["岸电"], 5, expansion=[("en", "shore"), ("en", "power")], expansion_weight=0.5
    )
    assert [h.id for h in hits] == ["zh", "en"]
    assert hits[1].score < hits[0].score


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("ឆ្នាំ ២០១៧ ដល់ ៨០%", ["ឆ្នាំ", "2017", "ដល់", "80"]),  # Khmer digits
        ("ในปี ๒๕๖๕ มี ๘๐ ตัน", ["ใน", "ปี", "2565", "มี", "80", "ตัน"]),  # Thai digits
        ("ປີ ໒໐໑໗", ["ປີ", "2017"]),  # Lao digits: one number, not split by the segmenter
    ],
)
def test_digits_of_any_script_are_ascii_tokens(text: str, expected: list[str]) -> None:
    assert lexical_tokens(text) == expected


def test_a_khmer_question_matches_an_english_page_by_its_numbers() -> None:
    rows = [
        StoredChunk(
            "2017",
            "en/a",
            " ".join(lexical_tokens("At 80% occupancy in 2017 ships waited 14.9 hours")),
        ),
        StoredChunk("2019", "en/b", " ".join(lexical_tokens("In 2019 the berth handled 90 calls"))),
        # Written by an older ingest, before digits were read as ASCII: read the same way now.
        StoredChunk("old", "km/c", "ឆ្នាំ ២០១៧ ៨០"),
    ]
    hits = LexicalIndex(rows).search(lexical_tokens("ឆ្នាំ ២០១៧ ៨០% ម៉ោង"), depth=5)
    assert {h.id for h in hits} == {"2017", "old"}


def test_lao_function_words_are_not_content_terms() -> None:
    # "the railway OF Laos IN 2021": only the content words and the year are searched for.
    question = "ທາງລົດໄຟ ຂອງ ລາວ ໃນ ປີ 2021"
    assert {"ຂອງ", "ໃນ"} <= set(lexical_tokens(question))
    assert content_terms(lexical_tokens(question)) == ["ທາງລົດໄຟ", "ລາວ", "ປີ", "2021"]
    english = lexical_tokens("the berth of the port")
    assert content_terms(english) == english


def test_a_lao_function_word_alone_no_longer_finds_the_lao_page() -> None:
    rows = [
        StoredChunk("lo", "lo/a", " ".join(lexical_tokens(DOCS["lo/dry-port.txt"][0]))),
        StoredChunk("en", "en/b", " ".join(lexical_tokens("ICD Lat Krabang, east of Bangkok"))),
    ]
    index = LexicalIndex(rows)
    question = "ICD ແລະ Bangkok"  # "ICD and Bangkok": ແລະ ("and") is in the Lao page too
    assert {h.id for h in index.search(lexical_tokens(question), depth=5)} == {"lo", "en"}
    assert [h.id for h in index.search(content_terms(lexical_tokens(question)), depth=5)] == ["en"]


def test_latin_words_are_the_names_and_codes_in_another_script() -> None:
    text = "ລະບົບ TradeNet ແລະ IEC/IEEE 80005-1, CO2 ຕໍ່ TEU"
    assert latin_words(text) == ["TradeNet", "IEC/IEEE", "CO2", "TEU"]


def test_a_keyword_search_is_read_in_a_language_portwise_serves() -> None:
    from kb.languages import LANGUAGES, detect_language

    keywords = ["pilotage", "IMDG Code", "TEU", "kren dermaga", "kreyn sa pantalan", "Reede"]
    # The detector's first guesses: Spanish, Luxembourgish, Portuguese, Hungarian, Cebuano, Danish.
    assert [detect_language(k) for k in keywords] == ["es", "lb", "pt", "hu", "ceb", "da"]
    served = ["en", "en", "en", "ms", "fil", "de"]
    assert [detect_language(k, LANGUAGES) for k in keywords] == served
    # Acronyms alone are English only where English may be chosen.
    assert detect_language("ISPS", {"de", "fil"}) in {"de", "fil"}
    # A whole question is read as before, or better (XQuAD: "Who do gurus control?" was Turkish).
    assert detect_language("Wie lange dauert die Liegezeit eines Containers?", LANGUAGES) == "de"
    assert detect_language("Wen kontrollieren Gurus?") == "tr"
    assert detect_language("Wen kontrollieren Gurus?", LANGUAGES) == "de"
    # Documents are read without a preference, and a library's own languages may be preferred.
    assert detect_language("Un rapport sur les ports") == "fr"
    assert detect_language("Un rapport sur les ports", {*LANGUAGES, "fr"}) == "fr"


def test_named_years_in_any_script_and_era() -> None:
    from kb.languages import named_years

    assert named_years("Trong bài báo năm 2022 và CAPCN 2019") == {2019, 2022}
    assert named_years("ក្នុងឆ្នាំ ២០២១ នៅកំពង់ផែ") == {2021}  # Khmer digits
    assert named_years("ตามรายงานปี ๒๕๖๐ ของท่าเรือ") == {2017}  # Thai Buddhist era
    assert named_years("IEC 80005-1, 2,350 m of quay, 1234 TEU, UN 1993") == {1993}


def test_named_languages_in_any_course_language() -> None:
    from kb.languages import named_languages

    assert named_languages("Sa German na lecture notes noong 2022") == {"de"}
    assert named_languages("theo bài tham luận tiếng Trung") == {"zh"}
    assert named_languages("laut des chinesischen Konferenzbeitrags") == {"zh"}  # an adjective
    assert named_languages("德语危险货物讲义说") == {"de"}
    assert named_languages("ในเอกสารภาษาเยอรมัน") == {"de"}
    assert named_languages("dalam bahasa Melayu dan English") == {"ms", "en"}
    # A country is not its language: Thailand, Malaysia, Laos; nor is Thai จีน (China or Chinese).
    assert named_languages("ports of Thailand, Malaysia and Laos") == set()
    assert named_languages("ท่าเรือของจีน") == set()


def test_named_countries_in_any_course_language() -> None:
    from kb.languages import country_code, named_countries

    assert named_countries("Theo hướng dẫn ISPS của Thái Lan") == {"TH"}
    assert named_countries("ท่าเรือแหลมฉบัง ประเทศไทย") == {"TH"}
    assert named_countries("老挝他那凉陆港与中国") == {"LA", "CN"}
    assert named_countries("Port Klang, Malaysia and the Lao PDR") == {"MY", "LA"}
    assert named_countries("Hafenbehörden in Deutschland") == {"DE"}
    # Adjectives and languages are not countries; nor is a word that starts like one.
    assert named_countries("the Thai guideline and Vietnamese ports") == set()
    # The catalog's official short names and CLDR's everyday ones are the same country.
    assert country_code("Lao PDR") == country_code("Laos") == country_code("ລາວ") == "LA"
    assert country_code("Viet Nam") == country_code("Vietnam") == "VN"
    assert country_code("") == country_code("Atlantis") == ""


def test_stems_follow_each_language_and_english_names_meet_across_scripts() -> None:
    assert stems(["containerterminals"], "de") == stems(["containerterminal"], "de")
    assert stems(["berths", "extended"], "en") == stems(["berth", "extend"], "en")
    # Words of languages without suffixes, and other scripts, stay as they are ...
    for language, word in [("vi", "những"), ("th", "ท่าเรือ"), ("zh", "港口"), ("fil", "daungan")]:
        assert stems([word], language) == [word]
    # ... while an English name inside them is stemmed as an English page's is.
    for language in ("vi", "th", "zh", "km", "lo", "fil", "ms"):
        assert stems(["containers"], language) == stems(["container"], "en")
    assert stems(["terminal", "diesel"], "ms") == stems(["terminal", "diesel"], "en")


def _chunk(cid: str, text: str, language: str) -> StoredChunk:
    return StoredChunk(cid, cid, " ".join(lexical_tokens(text)), {"language": language})


def test_a_question_finds_another_inflection_of_its_word_in_its_language() -> None:
    rows = [
        _chunk("de", "Die Containerterminals des Hafens arbeiten rund um die Uhr.", "de"),
        _chunk("en", "Two berths were extended in 2021.", "en"),
        _chunk("vi", "Cảng có hai bến.", "vi"),
    ]
    stemmed, plain = LexicalIndex(rows), LexicalIndex(rows, stemming=False)
    german = lexical_tokens("Wie viele Containerterminal gibt es?")
    assert [h.id for h in stemmed.search(german, 5, language="de")] == ["de"]
    assert plain.search(german, 5, language="de") == []
    english = lexical_tokens("berth extension")  # "extension" and "extended" keep distinct stems
    assert [h.id for h in stemmed.search(english, 5, language="en")] == ["en"]
    assert plain.search(english, 5, language="en") == []


def test_glossary_expansion_is_stemmed_as_its_own_language() -> None:
    index = LexicalIndex([_chunk("de", "Eine Landstromanlage am Liegeplatz", "de")])

    def found(expansion: list[tuple[str, str]]) -> bool:
        return bool(index.search(["岸电"], 5, expansion=expansion, language="zh"))

    # German stems join the plural with the page's singular; English rules leave the plural as is.
    assert found([("de", "landstromanlagen")])
    assert not found([("en", "landstromanlagen")])


def test_subwords_are_chinese_thai_and_vietnamese_bigrams_and_german_ngrams() -> None:
    # Chinese: characters, across jieba's words; a Latin word ends the run.
    assert subwords(["码头", "吞吐", "port", "岸电", "系统"], "zh") == [
        "码头", "头吞", "吞吐", "岸电", "电系", "系统",
    ]  # fmt: skip
    # Thai: syllables (pythainlp), across words: ท่าเทียบเรือ is one word to newmm.
    assert subwords(["ท่าเทียบเรือ", "จอด"], "th") == ["ท่าเทียบ", "เทียบเรือ", "เรือจอด"]
    # A lone character or syllable pairs with nothing.
    assert subwords(["港", "berth", "ท่า"], "zh") == []
    # German words give their 4-grams, marked at the word's ends; no other language's do.
    assert subwords(["liegeplatz", "am"], "de") == [
        "_lie", "lieg", "iege", "egep", "gepl", "epla", "plat", "latz", "atz_",
    ]  # fmt: skip
    # Vietnamese: neighbouring syllables, joined as its word segmenters write words; a token of
    # another script ends the run. Other Latin-script languages write words whole: no pairs.
    assert subwords(["cảng", "biển", "cái", "mép", "កំពង់ផែ", "thị", "vải"], "vi") == [
        "cảng_biển", "biển_cái", "cái_mép", "thị_vải",
    ]  # fmt: skip
    assert subwords(["cảng", "biển"], "en") == subwords(["pelabuhan", "kering"], "ms") == []
    assert subwords(["liegeplatz", "cảng", "កំពង់ផែ"], "km") == []


def test_a_word_segmented_or_compounded_differently_is_found_by_its_pieces() -> None:
    rows = [
        StoredChunk(
            "zh-1", "zh-1", " ".join(lexical_tokens("集装箱吞吐量增长明显")), {"language": "zh"}
        ),
        StoredChunk("zh-2", "zh-2", " ".join(lexical_tokens("码头岸桥数量")), {"language": "zh"}),
        StoredChunk(
            "th-1", "th-1", " ".join(lexical_tokens("เรือลากจูงช่วยเรือเข้าท่า")), {"language": "th"}
        ),
        StoredChunk("de-1", "de-1", "drei containerterminals am fluss", {"language": "de"}),
        StoredChunk(
            "en-1", "en-1", "container throughput grew at the terminal", {"language": "en"}
        ),
    ]
    words, both = LexicalIndex(rows), LexicalIndex(rows, subword_weight=0.5)
    # jieba reads 吞吐量 on the page and 吞吐 in the question; newmm reads เรือลากจูง whole;
    # German writes its terminals inside Containerterminals.
    for query, language, chunk in (
        ("吞吐", "zh", "zh-1"),
        ("ลากจูง", "th", "th-1"),
        ("Terminal", "de", "de-1"),
    ):
        tokens = lexical_tokens(query)
        assert not words.search(tokens, 5, language=language), query
        assert [h.id for h in both.search(tokens, 5, language=language)] == [chunk]
    # In an index of their own, pieces leave the words' scores as they were: the Chinese, Thai
    # and German chunks do not grow longer against the English one.
    english = lexical_tokens("container throughput")
    assert [(h.id, h.score) for h in both.search(english, 5, language="en")] == [
        (h.id, h.score) for h in words.search(english, 5, language="en")
    ]
    plain = {h.id: h.score for h in words.search(lexical_tokens("码头 数量"), 5, language="zh")}
    added = {h.id: h.score for h in both.search(lexical_tokens("码头 数量"), 5, language="zh")}
    assert set(plain) == set(added) == {"zh-2"} and added["zh-2"] > plain["zh-2"]


def test_vietnamese_syllable_pairs_put_the_word_above_its_syllables_apart() -> None:
    # cảng biển (seaport) against a shorter page with both syllables apart: biển báo (sign) and
    # cảng (port). Words alone rank the shorter page first; the pair cảng_biển is on one page.
    texts = {
        "vi-1": "Cảng biển nước sâu cho tàu container lớn",
        "vi-2": "Biển báo trong cảng",
        "en-1": "the seaport and the sea",
    }
    rows = [
        StoredChunk(cid, cid, " ".join(lexical_tokens(text)), {"language": cid[:2]})
        for cid, text in texts.items()
    ]
    words, both = LexicalIndex(rows), LexicalIndex(rows, subword_weight=0.5)
    tokens = lexical_tokens("cảng biển")
    assert [h.id for h in words.search(tokens, 5, language="vi")] == ["vi-2", "vi-1"]
    assert [h.id for h in both.search(tokens, 5, language="vi")] == ["vi-1", "vi-2"]


def test_the_search_reads_thai_bigrams_by_default(lexical_retriever: Retriever) -> None:
    # เทียบเรือ (berth) is inside the page's one word ท่าเทียบเรือ.
    hits = lexical_retriever.search("เทียบเรือ", k=3, mode="lexical").hits
    assert hits and hits[0].chunk.doc_id == "th/berth-th.txt"
    off = Retriever(
        lexical_retriever.store,
        lexical_retriever.embedder,
        SearchSettings(glossary=False, lexical_subword_weight=0),
    )
    assert not off.search("เทียบเรือ", k=3, mode="lexical").hits
