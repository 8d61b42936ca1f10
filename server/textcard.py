"""Text cards: a page's indexed text drawn as a PNG with Noto fonts, for pages that cannot be rendered."""

from __future__ import annotations

import functools
import logging
import unicodedata
from collections.abc import Sequence
from pathlib import Path
from typing import Any

logger = logging.getLogger(__name__)

FONT_DIRS = (Path("/usr/share/fonts/truetype"), Path("/usr/share/fonts/opentype"))
# Fallback order: the first font whose character map holds a character draws it.
FONTS = (
    ("noto/NotoSans-Regular.ttf", 0),
    ("noto/NotoSansThai-Regular.ttf", 0),
    ("noto/NotoSansKhmer-Regular.ttf", 0),
    ("noto/NotoSansLao-Regular.ttf", 0),
    ("noto/NotoSansCJK-Regular.ttc", 2),  # index 2: Simplified Chinese
    ("dejavu/DejaVuSans.ttf", 0),
)
BACKGROUND, INK, MUTED = (255, 255, 255), (25, 32, 45), (110, 118, 130)
MAX_LINES = 60


@functools.cache
def _fonts() -> tuple[tuple[str, int, frozenset[int]], ...]:
    """The installed fallback fonts with the code points each covers."""
    from fontTools.ttLib import TTFont

    found = []
    for name, index in FONTS:
        path = next((d / name for d in FONT_DIRS if (d / name).is_file()), None)
        if path is not None:
            cmap = TTFont(str(path), fontNumber=index, lazy=True).getBestCmap() or {}
            found.append((str(path), index, frozenset(cmap)))
    if not found:
        logger.warning("no Noto or DejaVu fonts in /usr/share/fonts; text cards use Pillow's font")
    return tuple(found)


@functools.cache
def _font(path: str, index: int, size: int) -> Any:
    from PIL import ImageFont

    if not path:
        return ImageFont.load_default(size)
    layout = ImageFont.Layout.RAQM if _has_raqm() else ImageFont.Layout.BASIC
    return ImageFont.truetype(path, size, index=index, layout_engine=layout)


@functools.cache
def _has_raqm() -> bool:
    from PIL import features

    return bool(features.check("raqm"))


def runs(text: str, size: int) -> list[tuple[str, Any]]:
    """The text cut into runs that one font can draw (spaces and marks stay with their run)."""
    fonts = _fonts()
    out: list[tuple[str, Any]] = []
    for ch in text:
        key = ("", 0)
        if fonts:
            key = fonts[0][:2]
            for path, index, cover in fonts:
                if ord(ch) in cover:
                    key = (path, index)
                    break
        font = _font(key[0], key[1], size)
        keep = ch.isspace() or unicodedata.category(ch).startswith("M")
        if out and (out[-1][1] is font or keep):
            out[-1] = (out[-1][0] + ch, out[-1][1])
        else:
            out.append((ch, font))
    return out


def width(text: str, size: int) -> float:
    """How wide `text` draws at `size`."""
    return float(sum(font.getlength(run) for run, font in runs(text, size)))


def _pieces(word: str) -> list[str]:
    """A word cut between characters, never before a combining mark (for scripts without spaces)."""
    pieces: list[str] = []
    for ch in word:
        if pieces and unicodedata.category(ch).startswith("M"):
            pieces[-1] += ch
        else:
            pieces.append(ch)
    return pieces


def wrap(text: str, size: int, room: float) -> list[str]:
    """Lines of `text` no wider than `room`: breaks at spaces, inside long words when needed."""
    lines: list[str] = []
    for paragraph in text.splitlines():
        line = ""
        for word in paragraph.split(" "):
            candidate = f"{line} {word}" if line else word
            if width(candidate, size) <= room:
                line = candidate
                continue
            if line:
                lines.append(line)
            line = ""
            for piece in _pieces(word):
                if line and width(line + piece, size) > room:
                    lines.append(line)
                    line = ""
                line += piece
        lines.append(line)
    return lines


def draw(title: str, caption: str, text: str, card_width: int) -> Any:
    """A white card: the title, a caption line (document and page), then the wrapped text."""
    from PIL import Image, ImageDraw

    margin = card_width // 18
    title_size, body_size = max(14, card_width // 30), max(11, card_width // 48)
    room = card_width - 2 * margin
    title_lines = wrap(title, title_size, room)[:3]
    body = wrap(text, body_size, room)
    if len(body) > MAX_LINES:
        body = [*body[: MAX_LINES - 1], "…"]
    step_title, step_body = int(title_size * 1.45), int(body_size * 1.6)
    needed = 2 * margin + step_title * len(title_lines) + step_body * (len(body) + 2)
    height = max(int(card_width * 0.75), needed)
    image = Image.new("RGB", (card_width, height), BACKGROUND)
    pen = ImageDraw.Draw(image)
    y = margin
    y = _lines(pen, title_lines, margin, y, title_size, step_title, INK)
    y = _lines(pen, [caption], margin, y + step_body // 3, body_size, step_body, MUTED)
    pen.line([(margin, y + step_body // 4), (card_width - margin, y + step_body // 4)], MUTED, 1)
    _lines(pen, body, margin, y + step_body, body_size, step_body, INK)
    return image


def _lines(
    pen: Any, lines: Sequence[str], x: int, y: int, size: int, step: int, colour: Any
) -> int:
    for line in lines:
        left = float(x)
        for run, font in runs(line, size):
            pen.text((left, y), run, font=font, fill=colour)
            left += font.getlength(run)
        y += step
    return y
