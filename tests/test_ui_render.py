"""The UI's pure parts: HTML rendering (escaping, citation links, highlights) and interface strings."""

from __future__ import annotations

import re
import string

import pytest

from kb.types import Answer, Chunk, Citation, DocumentRecord, Gap, Hit, Job
from ui import render
from ui.i18n import DEFAULT, STRINGS, UI_LANGUAGES, language_choices, t

EVIL = '<script>alert("x")</script><img src=x onerror=alert(1)>'


def hit(doc_id: str = "case-studies/cai-mep.md", page: int = 2, text: str = "Berth text") -> Hit:
    meta = {"title": f"Title {EVIL}", "kind": "case-study", "year": 2023, "language": "vi"}
    chunk = Chunk("c1", doc_id, page, 0, text, "vi", meta=meta)
    return Hit(chunk, 0.9)


def answer(text: str = "Năng suất đạt 35 lượt/giờ [1]. Khác [2].", refused: bool = False) -> Answer:
    citations = (Citation(1, "case-studies/cai-mep.md", 2, "35 lượt/giờ"),)
    return Answer(text, citations, "vi", refused, (hit(), hit(page=3)))


def assert_no_markup_from(html: str) -> None:
    assert "<script" not in html
    assert "<img src=x" not in html
    assert "&lt;script&gt;" in html


def test_cite_links_escape_text_and_link_each_marker() -> None:
    html = render.cite_links(f"{EVIL} fact [1] and [12].", turn=3)
    assert_no_markup_from(html)
    assert '<a class="pw-cite" href="#pw-cite/3/1">[1]</a>' in html
    assert '<a class="pw-cite" href="#pw-cite/3/12">[12]</a>' in html


def test_answer_html_links_citations_and_lists_sources() -> None:
    html = render.answer_html(answer(), turn=0, lang="en")
    assert html.count('class="pw-cite"') == 2
    assert html.count('class="pw-src"') == 2
    assert "Sources" in html and "Page 3" in html
    assert_no_markup_from(html)


def test_refused_answer_shows_each_closest_document_once_without_citations() -> None:
    refused = answer("Tài liệu không có thông tin.", refused=True)
    refused = Answer(refused.text, (), "vi", True, (hit(page=2), hit(page=3), hit("b.pdf", 1)))
    html = render.answer_html(refused, 0, "vi")
    assert "pw-refused" in html and "pw-cite" not in html
    assert t("vi", "ask.closest") in html
    assert html.count('class="pw-src"') == 2
    assert 'href="#pw-src/0/1"' in html and 'href="#pw-src/0/3"' in html
    twins = (
        hit("lectures/isps.pptx", 8),
        hit("lectures/isps.pdf", 8),
        hit("lectures/isps-2.pdf", 8),
    )
    html = render.answer_html(Answer(refused.text, (), "vi", True, twins), 0, "vi")
    assert html.count('class="pw-src"') == 2  # the deck's PDF export is the deck, listed once


def test_streaming_html_shows_searching_note_until_text_arrives() -> None:
    assert t("th", "ask.searching") in render.streaming_html("", "", "th")
    assert "&lt;b&gt;" in render.streaming_html("<b>", "", "en")


def test_links_round_trip_ids_with_slashes_and_dashes() -> None:
    doc_id = "case-studies/cái mép-vi.md"
    link = render.link_id("doc", doc_id)
    assert link.startswith("#pw-doc/") and " " not in link and link.count("/") == 1
    assert render.parse_link(link) == ("doc", [doc_id])
    assert render.parse_link(render.link_id("cite", 2, 5)) == ("cite", ["2", "5"])


def test_file_url_quotes_the_document_id() -> None:
    assert render.file_url("guidelines/a b.pdf", 4) == (
        "/api/v1/documents/guidelines%2Fa%20b.pdf/file#page=4"
    )
    assert render.file_url("x.md") == "/api/v1/documents/x.md/file"


def test_highlight_marks_quote_across_whitespace_and_case() -> None:
    text = "Intro <b>.\nThe BERTH  occupancy\nratio was 76%. End."
    html = render.highlight(text, ["berth occupancy ratio was 76%."])
    assert "<mark>BERTH  occupancy\nratio was 76%</mark>" in html
    assert "&lt;b&gt;" in html


def test_highlight_without_match_only_escapes() -> None:
    assert render.highlight("a < b", ["nothing here"]) == "a &lt; b"
    assert render.highlight("a < b", [""]) == "a &lt; b"


def test_passage_html_marks_found_quotes_and_shows_missing_ones_beside() -> None:
    record = DocumentRecord("g/x.pdf", "h", 3, 5, {"title": EVIL})
    html = render.passage_html(
        record, 2, "Dwell time fell to 3.1 days.", ["3.1 days", "absent"], "en"
    )
    assert "<mark>3.1 days</mark>" in html
    assert "<blockquote>absent</blockquote>" in html
    assert "/api/v1/documents/g%2Fx.pdf/file#page=2" in html
    assert_no_markup_from(html)


def test_results_group_by_document_in_order_of_best_hit() -> None:
    hits = [hit("a.pdf", 1), hit("b.pdf", 4), hit("a.pdf", 2)]
    groups = render.group_hits(hits)
    assert [[h.chunk.page for h in g] for g in groups] == [[1, 2], [4]]
    html = render.results_html(hits, {("a.pdf", 1): "data:image/png;base64,AAA"}, "en")
    assert "3 passage(s) in 2 document(s)" in html
    assert html.count('<section class="pw-card">') == 2
    assert html.count('class="pw-thumb"') == 1
    assert 'href="#pw-like/c1"' in html
    assert_no_markup_from(html)


def test_hit_shows_its_heading_above_the_text_once() -> None:
    meta = {"title": "Smart and Green Ports: FAQ"}
    faq = Chunk("c1", "faq.html", 1, 2, "Up to 65 million TEU.", "en", f"Tuas {EVIL}?", meta)
    html = render.hit_html(Hit(faq, 0.9), "", "en")
    assert '<div class="pw-hit-heading">Tuas &lt;script&gt;' in html
    assert html.index("pw-hit-heading") < html.index("Up to 65 million TEU.")
    assert_no_markup_from(html)
    # A heading the text starts with, or the document's own title, is not shown again.
    slide = Chunk(
        "c2", "deck.pdf", 5, 0, "Singapore Tuas:\nplanning a port", "en", "Singapore Tuas:"
    )
    first = Chunk("c3", "faq.html", 1, 0, "Sample content", "en", meta["title"], meta)
    for chunk in (slide, first):
        assert chunk.shown_heading == ""
        assert "pw-hit-heading" not in render.hit_html(Hit(chunk, 0.9), "", "en")
    assert faq.shown_heading == f"Tuas {EVIL}?"


def test_results_html_without_hits_says_so() -> None:
    assert t("zh", "search.none") in render.results_html([], {}, "zh")


def test_documents_and_document_html_escape_metadata() -> None:
    record = DocumentRecord("lectures/x.pdf", "h", 4, 7, {"title": EVIL, "topics": ["a", EVIL]})
    listing = render.documents_html([record], "en")
    assert 'href="#pw-doc/lectures%2Fx.pdf"' in listing
    assert_no_markup_from(listing)
    card = render.document_html(
        DocumentRecord("x", "h", 1, 2, {**record.meta, "language": "th"}), "vi"
    )
    assert t("vi", "meta.topics") in card and "Số trang" in card and "Thai" in card
    assert_no_markup_from(card)


def test_data_uri_is_base64_png() -> None:
    assert render.data_uri(b"\x89PNG") == "data:image/png;base64,iVBORw=="


def test_job_and_report_and_gap_rendering() -> None:
    job = Job("j1", "upload", "running", 0.0, 2, 1, current=EVIL)
    html = render.job_html(job, "en")
    assert "Job j1: running, 1 of 2 files" in html
    assert "Job 0123abcd:" in render.job_html(Job("0123abcd" * 4, "upload", "done", 0.0), "en")
    assert_no_markup_from(html)
    report = {
        "files": [{"doc_id": "u/a.pdf", "status": "failed", "chunks": 0, "reason": "no text"}]
    }
    assert render.report_rows(report) == [["u/a.pdf", "failed", 0, "no text"]]
    assert render.report_rows(None) == []
    rows = render.gap_rows([Gap("Cảng nào?", "vi", 0.0, ("a.pdf", "b.pdf"))])
    assert rows[0][0] == "Cảng nào?" and rows[0][3] == "a.pdf, b.pdf"


@pytest.mark.parametrize("lang", list(UI_LANGUAGES))
def test_every_language_has_every_key_with_the_same_fields(lang: str) -> None:
    english = STRINGS[DEFAULT]
    assert set(STRINGS[lang]) == set(english)
    fields = string.Formatter()
    for key, text in STRINGS[lang].items():
        assert text.strip(), key
        names = {name for _, name, _, _ in fields.parse(text) if name}
        assert names == {n for _, n, _, _ in fields.parse(english[key]) if n}, key
        assert text.count("|") == english[key].count("|"), key


def test_translations_are_not_left_in_english() -> None:
    english = STRINGS[DEFAULT]
    for lang in ("zh", "th"):
        same = [k for k, v in STRINGS[lang].items() if v == english[k] and re.search("[a-z]{4}", v)]
        assert not same, (lang, same)


def test_t_fills_fields_and_falls_back_to_english() -> None:
    assert t("vi", "page", page=4) == "Trang 4"
    assert t("xx", "tab.ask") == "Ask"
    assert language_choices()[:4] == [
        ("English", "en"),
        ("中文", "zh"),
        ("Tiếng Việt", "vi"),
        ("ไทย", "th"),
    ]
