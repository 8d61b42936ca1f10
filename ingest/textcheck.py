"""Text-layer quality: letters, garbled layers (unmapped fonts, mojibake) and which extraction to trust."""

from __future__ import annotations

import re
import unicodedata

MIN_LETTERS = 10  # fewer letters than this on a page with graphics: a scan (maybe a page number)
GARBLED_SHARE = 0.1  # control, private-use or replacement characters among the visible ones
SWAPPED_SHARE = 0.3  # CJK-looking characters that are byte-swapped ASCII (UTF-16 read backwards)
FALLBACK_GAIN = 1.1  # pypdfium2 must read this many times pypdf's letters (Khmer: pypdf loses ~20%)
FALLBACK_COVER = 0.9  # ...and hold at least this share of pypdf's characters (more, not different)
_GLYPH_NAME = re.compile(r"/(?:g|gid|uni|cid|G)[0-9A-Fa-f]+")
_WORD = re.compile(r"\S+")


def letters(text: str) -> int:
    """Letters and combining marks (Khmer and Thai vowels are marks), after compatibility folding."""
    return sum(unicodedata.category(ch)[0] in "LM" for ch in unicodedata.normalize("NFKC", text))


def garbled(text: str) -> str:
    """Why a text layer is unreadable (fonts that map glyphs to no real characters), or ""."""
    visible = [ch for ch in text if not ch.isspace()]
    if not visible:
        return ""
    bad = sum(_is_junk(ch) for ch in visible)
    if bad >= GARBLED_SHARE * len(visible):
        return "control, private-use or replacement characters"
    if sum(_is_swapped_ascii(ch) for ch in visible) >= SWAPPED_SHARE * len(visible):
        return "byte-swapped UTF-16, mojibake"
    names = sum(len(m.group()) for m in _GLYPH_NAME.finditer(text))
    if names >= 0.5 * len(visible):
        return "glyph names instead of characters"
    words = _WORD.findall(text)
    singles = sum(len(w) == 1 and w.isascii() and w.isalpha() for w in words)
    if len(words) >= 8 and singles >= 0.6 * len(words):
        return "letters without words: a font with a wrong character map"
    digits = sum(ch.isdigit() for ch in visible)
    if len(visible) >= 5 and letters(text) == 0 and digits < len(visible) / 2:
        return "symbols without letters"
    return ""


def best_text(pypdf_text: str, pdfium_text: str) -> str:
    """The better of the two extractions of a page: pypdf's, unless pypdfium2's reads clearly more.

    pypdf drops Khmer (and some other complex-script) characters that Chromium writes as /ActualText
    spans; pypdfium2 reads them. It is taken only when it has noticeably more letters and holds
    nearly all of pypdf's characters, so a layout difference never swaps one text for another.
    A garbled extraction never wins over a readable one.
    """
    if garbled(pypdf_text) or not pypdf_text.strip():
        return pdfium_text if not garbled(pdfium_text) else ""
    if garbled(pdfium_text):
        return pypdf_text
    gain = letters(pdfium_text) >= FALLBACK_GAIN * letters(pypdf_text) + 5
    return pdfium_text if gain and _covers(pdfium_text, pypdf_text) else pypdf_text


def needs_ocr(text: str, graphics: int) -> bool:
    """A page with (almost) no readable text that shows images or drawings: a scan, outlined text."""
    return graphics > 0 and letters(text) < MIN_LETTERS


def _covers(bigger: str, smaller: str) -> bool:
    want = _letter_counts(smaller)
    have = _letter_counts(bigger)
    total = sum(want.values())
    return not total or sum(min(n, have.get(ch, 0)) for ch, n in want.items()) >= (
        FALLBACK_COVER * total
    )


def _letter_counts(text: str) -> dict[str, int]:
    counts: dict[str, int] = {}
    for ch in unicodedata.normalize("NFKC", text):
        if unicodedata.category(ch)[0] in "LM":
            counts[ch] = counts.get(ch, 0) + 1
    return counts


def _is_junk(ch: str) -> bool:
    category = unicodedata.category(ch)
    return category in ("Cc", "Co", "Cn", "Cs") or ch == "\ufffd"


def _is_swapped_ascii(ch: str) -> bool:
    """U+4D00 and friends: an ASCII byte followed by a zero byte, read as one UTF-16 code unit."""
    point = ord(ch)
    return point & 0xFF == 0 and 0x20 <= point >> 8 <= 0x7E
