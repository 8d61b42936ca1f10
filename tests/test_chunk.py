"""Chunking: token-bounded, sentence-aware, overlapping, never across pages, in every script."""

from __future__ import annotations

import pytest

from ingest.chunk import chunk_pages
from kb.languages import words
from kb.types import Page, Section

SAMPLES = {
    "en": "The berth occupancy ratio rises as more ships call at the terminal. "
    "Above seventy percent, waiting times grow quickly. Planners add berths or cranes. ",
    "vi": "Tỷ lệ chiếm dụng cầu bến tăng khi có nhiều tàu cập cảng. "
    "Khi vượt bảy mươi phần trăm, thời gian chờ tăng nhanh. ",
    "zh": "泊位占用率随着到港船舶增加而上升。超过百分之七十时，等待时间迅速增加。规划人员会增加泊位或岸桥。",
    "th": "อัตราการใช้ท่าเทียบเรือเพิ่มขึ้นเมื่อมีเรือเข้าเทียบท่ามากขึ้น "
    "เมื่อเกินร้อยละเจ็ดสิบ เวลารอคอยจะเพิ่มขึ้นอย่างรวดเร็ว ",
    "km": "អត្រាកាន់កាប់ផែកើនឡើងនៅពេលដែលមាននាវាចូលចតច្រើន។ នៅពេលលើសពីចិតសិបភាគរយ ពេលវេលារង់ចាំកើនឡើងយ៉ាងលឿន។ ",
    "lo": "ອັດຕາການນຳໃຊ້ທ່າຈອດເຮືອເພີ່ມຂຶ້ນເມື່ອມີເຮືອເຂົ້າຈອດຫຼາຍຂຶ້ນ ເມື່ອເກີນເຈັດສິບເປີເຊັນ ເວລາລໍຖ້າຈະເພີ່ມຂຶ້ນຢ່າງໄວວາ ",
}


def _page(lang: str, number: int, repeats: int) -> Page:
    return Page("doc", number, (Section("Heading", SAMPLES[lang] * repeats),), lang)


@pytest.mark.parametrize("lang", sorted(SAMPLES))
def test_chunks_fit_overlap_and_stay_on_their_page(lang: str, e5: object) -> None:
    count = e5.token_count  # type: ignore[attr-defined]
    pages = [_page(lang, 1, 12), _page(lang, 2, 1)]
    chunks = chunk_pages(pages, count, max_tokens=64, overlap_tokens=16)
    first_page = [c for c in chunks if c.page == 1]
    assert len(first_page) >= 3, "a long page must be split"
    assert [c.position for c in chunks] == list(range(len(chunks)))
    assert all(count(c.text) <= 64 for c in chunks)
    # Never across pages: page 2's text is short and lands in its own chunk.
    assert [c.page for c in chunks][-1] == 2
    squeeze = lambda text: "".join(text.split())  # noqa: E731 - compare text regardless of spacing
    page_two = [c for c in chunks if c.page == 2]
    assert page_two and all(squeeze(c.text) in squeeze(SAMPLES[lang]) for c in page_two)
    # Overlap: each chunk after the first begins with text that ended the previous one.
    for before, after in zip(first_page, first_page[1:]):
        head = squeeze(after.text)[:8]
        assert head in squeeze(before.text), f"no overlap between chunks in {lang}"
    assert all(c.language == lang and c.heading == "Heading" for c in chunks)


@pytest.mark.parametrize("lang", ["th", "km", "lo", "zh"])
def test_no_space_scripts_are_cut_between_words(lang: str, e5: object) -> None:
    # One "sentence" far longer than a chunk: it must be cut at segmenter word boundaries.
    text = SAMPLES[lang].replace(" ", "").replace("។", "").replace("。", "") * 10
    chunks = chunk_pages([Page("doc", 1, (Section("", text),), lang)], e5.token_count, 48, 0)  # type: ignore[attr-defined]
    assert len(chunks) > 2
    segments = words(text)
    assert "".join(segments) == text
    boundaries = {sum(len(w) for w in segments[:i]) for i in range(len(segments) + 1)}
    offset = 0
    for chunk in chunks:  # no overlap: the chunks tile the text, each ending on a word boundary
        assert text.startswith(chunk.text, offset)
        offset += len(chunk.text)
        assert offset in boundaries
    assert offset == len(text)


def test_chunk_ids_are_deterministic(e5: object) -> None:
    pages = [_page("en", 1, 5)]
    first = chunk_pages(pages, e5.token_count, 64, 16)  # type: ignore[attr-defined]
    again = chunk_pages(pages, e5.token_count, 64, 16)  # type: ignore[attr-defined]
    assert [c.id for c in first] == [c.id for c in again]
    assert len({c.id for c in first}) == len(first)
