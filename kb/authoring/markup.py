"""Light Markdown (paragraphs, bullets, `###`, pipe tables) as HTML, blocks and plain text."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Literal

from markdown_it import MarkdownIt
from markdown_it.token import Token


@dataclass(frozen=True)
class Run:
    """A stretch of inline text with one style."""

    text: str
    bold: bool = False
    italic: bool = False


Inline = tuple[Run, ...]


@dataclass(frozen=True)
class Block:
    """A block of a page body: heading, paragraph, list item (with level) or table."""

    kind: Literal["heading", "paragraph", "bullet", "number", "table"]
    runs: Inline = ()
    level: int = 0
    rows: tuple[tuple[Inline, ...], ...] = ()

    @property
    def text(self) -> str:
        """The block's plain text (cells joined by spaces)."""
        if self.kind == "table":
            return "\n".join(" ".join(plain(cell) for cell in row) for row in self.rows)
        return plain(self.runs)


@functools.cache
def _parser() -> MarkdownIt:
    return MarkdownIt("commonmark", {"html": False, "typographer": False}).enable("table")


def to_html(text: str) -> str:
    """Body Markdown as an HTML fragment (raw HTML in the source is escaped)."""
    return str(_parser().render(text))


def plain(runs: Inline) -> str:
    """Text of a run sequence."""
    return "".join(run.text for run in runs)


def to_blocks(text: str) -> list[Block]:
    """Body Markdown as a flat list of blocks for PPTX and DOCX."""
    tokens = _parser().parse(text)
    blocks: list[Block] = []
    lists: list[str] = []
    row: list[Inline] = []
    rows: list[tuple[Inline, ...]] = []
    for index, token in enumerate(tokens):
        kind = token.type
        if kind in ("bullet_list_open", "ordered_list_open"):
            lists.append("bullet" if kind.startswith("bullet") else "number")
        elif kind in ("bullet_list_close", "ordered_list_close"):
            lists.pop()
        elif kind == "table_open":
            rows = []
        elif kind == "tr_open":
            row = []
        elif kind == "tr_close":
            rows.append(tuple(row))
        elif kind == "table_close":
            blocks.append(Block("table", rows=tuple(rows)))
        elif kind == "inline":
            blocks_for_inline(tokens, index, lists, row, blocks)
        elif kind in ("code_block", "fence"):
            blocks.append(Block("paragraph", (Run(token.content.rstrip()),)))
    return blocks


def blocks_for_inline(
    tokens: list[Token], index: int, lists: list[str], row: list[Inline], blocks: list[Block]
) -> None:
    """Attach one inline token to the right place: a table cell, list item, heading or paragraph."""
    runs = inline_runs(tokens[index])
    parent = tokens[index - 1].type if index else ""
    if parent in ("th_open", "td_open"):
        row.append(runs)
    elif parent == "heading_open":
        blocks.append(Block("heading", runs))
    elif lists:
        kind: Literal["bullet", "number"] = "bullet" if lists[-1] == "bullet" else "number"
        blocks.append(Block(kind, runs, level=len(lists) - 1))
    else:
        blocks.append(Block("paragraph", runs))


def inline_runs(token: Token) -> Inline:
    """Styled runs of an inline token; soft breaks become spaces, hard breaks newlines."""
    runs: list[Run] = []
    bold = italic = False
    for child in token.children or []:
        if child.type in ("strong_open", "strong_close"):
            bold = child.type == "strong_open"
        elif child.type in ("em_open", "em_close"):
            italic = child.type == "em_open"
        elif child.type in ("text", "code_inline"):
            runs.append(Run(child.content, bold, italic))
        elif child.type in ("softbreak", "hardbreak"):
            runs.append(Run(" " if child.type == "softbreak" else "\n", bold, italic))
        elif child.type == "image":
            runs.append(Run(child.content, bold, italic))
    return tuple(runs)


def to_plain(text: str) -> str:
    """Body Markdown as plain text, one block per line."""
    return "\n".join(block.text for block in to_blocks(text))
