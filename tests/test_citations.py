"""Citation verification: invented numbers and unsupported quotes are removed; bare facts dropped."""

from __future__ import annotations

from dataclasses import replace

from kb.types import Chunk
from server.citations import (
    contains,
    is_factual,
    numbers_in,
    parse,
    quotes,
    source_numbers,
    spells_out,
    strip_markers,
    verify,
)


def _chunk(doc_id: str, page: int, text: str) -> Chunk:
    return Chunk(
        id=f"{doc_id}-{page}", doc_id=doc_id, page=page, position=0, text=text, language="en"
    )


CONTEXT = [
    _chunk(
        "kpi.pdf",
        3,
        "Berth occupancy is the share of time a berth is occupied. "
        "Above 70% occupancy, waiting time rises sharply at a multi-berth terminal.",
    ),
    _chunk(
        "dwell.md",
        1,
        "Average import container dwell time fell from 5.2 days to 3.5 days after the reform.",
    ),
]


def test_parse_reads_every_marker_form() -> None:
    claims = parse("Occupancy matters [1]. Dwell fell [1, 2]. Both [1][2]。Next [2]")
    assert [c.cited for c in claims] == [(1,), (1, 2), (1, 2), (2,)]
    assert claims[0].text == "Occupancy matters."
    assert strip_markers("a [3] b [1,2]") == "a b"


def test_marker_after_the_full_stop_belongs_to_the_sentence() -> None:
    claims = parse("Waiting rises above 70% occupancy. [1]")
    assert [(c.text, c.cited) for c in claims] == [("Waiting rises above 70% occupancy.", (1,))]


def test_supported_citation_is_kept_with_a_verbatim_quote() -> None:
    result = verify("Above 70% occupancy, waiting time rises sharply [1].", CONTEXT)
    assert [c.n for c in result.citations] == [1]
    citation = result.citations[0]
    assert (citation.doc_id, citation.page) == ("kpi.pdf", 3)
    assert citation.quote in CONTEXT[0].text
    assert citation.quote.startswith("Above 70% occupancy")
    assert result.text == "Above 70% occupancy, waiting time rises sharply [1]."


def test_invented_number_is_removed_and_the_sentence_reattached_when_supported() -> None:
    result = verify("Import container dwell time fell from 5.2 days to 3.5 days [7].", CONTEXT)
    assert 7 in result.removed
    assert [c.n for c in result.citations] == [2]
    assert "[7]" not in result.text and result.text.endswith("[2].")


def test_mismatched_citation_is_removed_and_the_unsupported_sentence_dropped() -> None:
    answer = "Quay cranes are stopped when gusts exceed 20 metres per second [2]. Dwell fell [2]."
    result = verify(answer, CONTEXT)
    assert 2 in result.removed
    assert result.dropped == ("Quay cranes are stopped when gusts exceed 20 metres per second.",)
    assert "Quay cranes" not in result.text


def test_a_number_missing_from_the_cited_chunk_voids_the_citation() -> None:
    result = verify("Above 80% occupancy, waiting time rises sharply [1].", CONTEXT)
    assert result.citations == ()
    assert result.removed == (1,)
    assert result.text == ""


def test_short_non_factual_sentences_need_no_citation() -> None:
    result = verify("In short: yes. Above 70% occupancy, waiting time rises sharply [1].", CONTEXT)
    assert result.text.startswith("In short: yes.")
    assert not is_factual("In short: yes.")
    assert is_factual("It takes 3 days.")


def test_every_factual_sentence_that_survives_carries_a_valid_citation() -> None:
    answer = "Dwell fell to 3.5 days [2]. Occupancy above 70% brings waiting [5]. Cranes fly [1]."
    result = verify(answer, CONTEXT)
    for claim in parse(result.text):
        if is_factual(claim.text):
            assert claim.cited
            assert all(1 <= n <= len(CONTEXT) for n in claim.cited)
    for citation in result.citations:
        assert citation.quote in CONTEXT[citation.n - 1].text


def test_numbers_are_compared_without_separators() -> None:
    assert numbers_in("1,200,000 TEU and 3,5 ngày") == {"1200000", "35"}
    assert numbers_in("1.200.000 TEU, 3.5 days [2]") == {"1200000", "35"}


def test_numbers_in_any_script_match_ascii_digits() -> None:
    assert numbers_in("ឆ្នាំ ២០២២ (៨០%)") == {"2022", "80"}  # Khmer digits
    assert numbers_in("ປີ ໒໐໑໙ · ๒๕ ตู้") == {"2019", "25"}  # Lao and Thai digits
    source = _chunk("kpi.pdf", 3, "អត្រាកាន់កាប់ចំណត 80% ក្នុងឆ្នាំ 2022។")
    result = verify("អត្រាកាន់កាប់ចំណត ៨០% ក្នុងឆ្នាំ ២០២២ [1]។", [source])
    assert [c.n for c in result.citations] == [1]


def test_a_number_the_source_spells_out_holds_the_claims_digits() -> None:
    source = _chunk(
        "icd.pptx",
        4,
        "Lat Krabang lies about 30 km east of Bangkok. "
        "Its six operating modules are leased to private operators.",
    )
    right = verify("Lat Krabang leases 6 operating modules to private operators [1].", [source])
    assert [(c.n, c.quote) for c in right.citations] == [
        (1, "Its six operating modules are leased to private operators.")
    ]
    wrong = verify("Lat Krabang leases 7 operating modules to private operators [1].", [source])
    assert wrong.citations == () and wrong.text == ""
    assert source_numbers("Der Hafen hat fünf Liegeplätze.") == {"5"}
    # a bare scale word is not a figure: "1.2 million" holds 12, not 1000000
    assert source_numbers("The port handled 1.2 million TEU.") == {"12"}


def test_an_acronym_is_held_by_a_source_that_writes_its_words_out() -> None:
    assert spells_out("icd", "Dry Ports and Inland Container Depots in the Mekong Region")
    assert not spells_out("icd", "an inland container depot")  # capitalised words only
    assert not spells_out("pa", "Port Authority")  # two letters: too easily spelt by chance
    title = "Dry Ports and Inland Container Depots"
    source = _chunk("icd.pptx", 4, "Its six operating modules are leased to private operators.")
    source = replace(source, meta={"title": title})
    claim = "The ICD leases 6 operating modules to private operators [1]."
    assert [c.n for c in verify(claim, [source]).citations] == [1]
    untitled = replace(source, meta={"title": "Dry Ports"})
    assert verify(claim, [untitled]).citations == ()


def test_quotes_are_verbatim_sentences_of_the_chunk() -> None:
    for chunk in CONTEXT:
        for quote in quotes(chunk):
            assert quote in chunk.text
    assert contains("a  b\nc", "a b c")


def test_numbers_parse_the_same_however_the_text_was_wrapped() -> None:
    assert (
        numbers_in("Table 3\n\n2019 volumes") == numbers_in("Table 3 2019 volumes") == {"3", "2019"}
    )
    wrapped = _chunk("t.pdf", 2, "Rail share\n12%\nin 2020")
    result = verify("Rail share 12% in 2020 [1].", [wrapped])
    assert [c.n for c in result.citations] == [1]


def test_a_citation_with_the_wrong_number_moves_to_the_source_that_holds_it() -> None:
    # The model cited [2] for a fact on [1]: same support test, right number.
    verified = verify("Import dwell time fell to 3.5 days [1].", CONTEXT)
    assert verified.removed == (1,)
    assert [(c.n, c.doc_id) for c in verified.citations] == [(2, "dwell.md")]
    assert verified.text == "Import dwell time fell to 3.5 days [2]."
    # A number no source holds still takes the sentence with it.
    wrong = verify("Import dwell time fell to 2.5 days [1].", CONTEXT)
    assert wrong.text == "" and wrong.citations == ()


def test_the_quote_shown_is_the_sentence_that_holds_the_claims_number() -> None:
    from server.citations import best_quote

    hinterland = _chunk(
        "hinterland.pdf",
        8,
        "Port Meridian handled its hinterland containers mostly by road and by rail in 2020. "
        "The 2025 goal is 120,000 TEU.",
    )
    claim = (
        "Port Meridian handled its hinterland containers mostly by road; "
        "its goal is 120,000 TEU [1]."
    )
    quote, _ = best_quote(claim, hinterland)
    assert quote == "The 2025 goal is 120,000 TEU."
    # Without numbers, the quote is the sentence sharing most words with the claim.
    assert best_quote("Port Meridian's hinterland [1].", hinterland)[0].startswith("Port Meridian")
    verified = verify(claim, [hinterland])
    assert [c.quote for c in verified.citations] == [quote]


def test_a_name_the_source_never_states_voids_the_citation() -> None:
    from server.citations import facts_ok, names_in

    assert names_in("Ships bound for Atlantis pay double port dues [1].") == {"atlantis"}
    assert names_in("Theo IMO, tàu đến Viêng Chăn [1].") == {"imo"}  # acronyms only, not in vi
    assert names_in("Die Containerbrücke reicht über 13 Reihen.") == set()  # German nouns
    dues = _chunk("dues.pdf", 2, "Ships pay port dues per gross ton; dues double at night.")
    assert not facts_ok("Ships bound for Atlantis pay double port dues.", dues.text)
    assert facts_ok("Ships pay double port dues at night.", dues.text)
    verified = verify(
        "Ships bound for Atlantis always pay double port dues [2].", [CONTEXT[0], dues]
    )
    assert verified.text == "" and verified.citations == ()


def test_the_cited_documents_year_and_title_count_as_held_by_the_source() -> None:
    from dataclasses import replace

    from server.citations import label

    paper = replace(
        CONTEXT[1],
        meta={"title": "Truck appointments at the Port of Example", "year": 2021},
        heading="Results",
    )
    claim = "According to the 2021 paper, dwell time fell from 5.2 days to 3.5 days [1]."
    kept = verify(claim, [paper])
    assert [c.n for c in kept.citations] == [1] and kept.citations[0].quote in paper.text
    assert "2021" in label(paper) and "Results" in label(paper)
    # Without the catalog year the same claim states a number its source lacks.
    assert verify(claim, [CONTEXT[1]]).citations == ()


def test_a_figure_the_source_holds_halves_the_support_a_claim_needs() -> None:
    beirut = _chunk("beirut.md", 1, "About 2,750 tonnes of ammonium nitrate exploded in 2020.")
    weak = lambda claim, candidates: [0.2 for _ in candidates]  # noqa: E731 - between 0.15 and 0.3
    question = "贝鲁特港2020年爆炸的硝酸铵大约有多少吨？"
    kept = verify("爆炸的硝酸铵大约有2,750吨 [1]。", [beirut], weak, given=question)
    assert [c.n for c in kept.citations] == [1] and "2,750" in kept.citations[0].quote
    # A figure the source lacks voids the citation whatever the support ...
    assert verify("爆炸的硝酸铵大约有3,000吨 [1]。", [beirut], weak, given=question).citations == ()
    # ... and the question's own figure, said back, is no evidence: the full support is needed.
    assert verify("爆炸发生在2020年 [1]。", [beirut], weak, given=question).citations == ()
    assert verify("爆炸发生在2020年 [1]。", [beirut], weak).citations != ()


def test_a_name_the_question_gives_must_be_in_the_source_that_a_claim_cites() -> None:
    from server.citations import asked_names

    fal = _chunk("fal.pptx", 1, "Maritime single window: mandatory since 1 January 2024.")
    question = "Ano ang itinakdang deadline ng Philippine Ports Authority para sa single window?"
    claim = (
        "Ang deadline ng Philippine Ports Authority para sa single window ay 1 January 2024 [1]."
    )
    assert asked_names(claim, question) == {"philippine", "ports", "authority"}
    assert verify(claim, [fal], given=question).citations == ()
    # The same claim without the question's entity is what the source says.
    plain = "Ang single window ay mandatory since 1 January 2024 [1]."
    assert [c.n for c in verify(plain, [fal], given=question).citations] == [1]
    # Names compare without diacritics: a Vietnamese claim cites an English source.
    caimep = _chunk("caimep.md", 1, "Berth occupancy at Cai Mep reached 76% in 2020.")
    vi = "Năm 2020, tỷ lệ sử dụng bến tại Cái Mép là 76% [1]."
    assert verify(
        vi, [caimep], given="Tỷ lệ sử dụng bến ở Cái Mép năm 2020 là bao nhiêu?"
    ).citations


def test_a_glossary_term_in_a_claim_is_not_a_name_the_source_must_repeat() -> None:
    from server.citations import asked_names

    table = _chunk("forums.pdf", 5, "Forum | Host | Participants\n2022 | Kuala Lumpur | 231")
    question = "Berapakah peserta Forum Pelabuhan Pintar 2022 di Kuala Lumpur?"
    claim = "231 peserta Forum Pelabuhan Pintar 2022 dihoskan dari Kuala Lumpur [1]."
    # "Pelabuhan Pintar" is the glossary's Malay "smart port", a term of the course, not a name:
    # the English source says it in English, and it still names the forum and the city.
    assert asked_names(claim, question) == {"forum", "kuala", "lumpur"}
    assert [c.n for c in verify(claim, [table], given=question).citations] == [1]
    # A city the source never names still voids the citation.
    elsewhere = "231 peserta Forum Pelabuhan Pintar 2022 dihoskan dari Manila [1]."
    assert verify(elsewhere, [table], given="Berapakah peserta forum di Manila?").citations == ()


def test_the_language_a_question_names_is_held_by_a_source_in_that_language() -> None:
    # "The German lecture notes": a German page never says "German", but its language does.
    german = Chunk(
        id="gefahrgut-7",
        doc_id="gefahrgut.pdf",
        page=7,
        position=0,
        text="Alarmierung bis Eintreffen der Werkfeuerwehr 7 Minuten",
        language="de",
    )
    question = "Sa German na lecture notes, ilang minuto bago dumating ang fire team?"
    claim = "Sa German na lecture notes, ang Werkfeuerwehr ay dumating sa 7 Minuten [1]."
    assert [c.n for c in verify(claim, [german], given=question).citations] == [1]
    # The same words cited to an English page: the name is not held, the citation goes.
    english = replace(german, id="hazmat-7", doc_id="hazmat.pdf", language="en")
    assert verify(claim, [english], given=question).citations == ()
    # Vietnamese names a language with "tiếng": "bài tham luận tiếng Trung" is a Chinese paper.
    from server.citations import asked_names, facts_ok, label

    chinese = replace(german, text="重庆—钦州港 铁海联运班列 约 36 小时", language="zh")
    asked = "Theo bài tham luận tiếng Trung, tàu chạy bao lâu?"
    vi = "Theo bài tham luận tiếng Trung, tàu chạy khoảng 36 giờ."
    assert asked_names(vi, asked) == {"trung"}
    assert facts_ok(vi, label(chinese), asked)
    assert not facts_ok(vi, label(replace(chinese, language="en")), asked)


def test_language_names_come_in_every_course_language() -> None:
    from kb.languages import language_names

    assert {"German", "Tiếng Đức", "Jerman", "Deutsch", "德语"} <= set(language_names("de"))
    assert {"Malay", "Indonesian", "Melayu"} <= set(language_names("id"))  # one bucket
    assert language_names("xx") == ()


def test_a_page_reference_does_not_end_a_sentence() -> None:
    answer = (
        "The ISPS Code in Practice, p. 5 states that one PFSO may cover several facilities. [1]"
    )
    assert [(c.text, c.cited) for c in parse(answer)] == [
        ("The ISPS Code in Practice, p. 5 states that one PFSO may cover several facilities.", (1,))
    ]
