"""The Search screen (lecturers): filtered hybrid search, hits grouped by document, more like this."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import gradio as gr

from kb.types import Hit
from ui import filters, render
from ui.edge import bridge, guarded
from ui.engine import Engine
from ui.i18n import t
from ui.labels import Labels

FIELDS = ("kind", "event", "language", "topics", "country", "year_from", "year_to")
THUMB_WIDTH = 180
TOP_K = 10


def thumbnails(engine: Engine, hits: Sequence[Hit]) -> dict[tuple[str, int], str]:
    """Small page images of the hits' pages, as data URIs keyed by (doc id, page)."""
    pages = {(h.chunk.doc_id, h.chunk.page) for h in hits}
    return {
        (doc_id, page): render.data_uri(engine.page_image(doc_id, page, THUMB_WIDTH).read_bytes())
        for doc_id, page in pages
    }


def build(demo: gr.Blocks, engine: Engine, lang: gr.Dropdown, labels: Labels) -> None:
    """Lay out the Search tab inside the current Blocks and wire it to `engine`."""
    shown = gr.State([])
    with gr.Row(equal_height=True):
        query = labels(
            gr.Textbox(scale=5, lines=1, elem_id="pw-query"),
            "search.query",
            placeholder="search.placeholder",
        )
        go = labels(
            gr.Button(variant="primary", scale=1, elem_id="pw-search"), "search.button", "value"
        )
    with labels(gr.Accordion(open=True), "filters"), gr.Row():
        picks = filters.dropdowns(labels, FIELDS, "search")
    results = gr.HTML(elem_id="pw-results")
    links = bridge("like")

    @guarded
    def run(text: str, ui_lang: str, *values: Any) -> tuple[str, list[Hit]]:
        chosen = filters.make_filters(FIELDS, values)
        hits = engine.search(text, chosen, k=TOP_K)
        return render.results_html(hits, thumbnails(engine, hits), ui_lang), hits

    @guarded
    def more_like(before: list[Hit], ui_lang: str, evt: gr.EventData) -> tuple[str, list[Hit]]:
        _, parts = render.parse_link(evt.link)
        hits = engine.similar(parts[0], k=TOP_K)
        source = next((h.chunk for h in before if h.chunk.id == parts[0]), None)
        heading = ""
        if source is not None:
            title = render.title_of(source.meta, source.doc_id)
            heading = (
                f"<h3>{render.esc(t(ui_lang, 'search.like', title=title, page=source.page))}</h3>"
            )
        return heading + render.results_html(hits, thumbnails(engine, hits), ui_lang), hits

    inputs = [query, lang, *picks]
    go.click(run, inputs, [results, shown])
    query.submit(run, inputs, [results, shown])
    links.click(more_like, [shown, lang], [results, shown])
    demo.load(guarded(lambda: filters.refreshed(engine.facets(), FIELDS)), None, picks)
