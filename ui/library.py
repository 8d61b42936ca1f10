"""The Library screen (network members): browse documents by catalog field and open any of them."""

from __future__ import annotations

from typing import Any

import gradio as gr

from ui import filters, render
from ui.edge import bridge, guarded, page_picture
from ui.engine import Engine
from ui.i18n import t
from ui.labels import Labels

FIELDS = ("event", "kind", "topics", "language", "year_from", "year_to")
PAGE_WIDTH = 700
MAX_PAGES = 24


def build(demo: gr.Blocks, engine: Engine, lang: gr.Dropdown, labels: Labels) -> None:
    """Lay out the Library tab inside the current Blocks and wire it to `engine`."""
    labels(gr.Markdown(), "library.intro", "value")
    with gr.Row():
        picks = filters.dropdowns(labels, FIELDS, "library")
    with gr.Row(equal_height=False):
        with gr.Column(scale=2):
            listing = gr.HTML(elem_id="pw-library")
        with gr.Column(scale=3):
            hint = labels(gr.Markdown(elem_id="pw-library-hint"), "library.hint", "value")
            details = gr.HTML(elem_id="pw-document")
            pages = labels(
                gr.Gallery(
                    columns=2, height=640, object_fit="contain", visible=False, elem_id="pw-pages"
                ),
                "library.pages",
            )
    links = bridge("doc")

    @guarded
    def browse(ui_lang: str, *values: Any) -> str:
        chosen = filters.make_filters(FIELDS, values)
        return render.documents_html(engine.documents(chosen), ui_lang)

    @guarded
    def open_document(ui_lang: str, evt: gr.EventData) -> tuple[Any, ...]:
        _, parts = render.parse_link(evt.link)
        record = engine.document(parts[0])
        shown = range(1, min(record.page_count, MAX_PAGES) + 1)
        images = [
            (
                page_picture(engine.page_image(record.doc_id, n, PAGE_WIDTH)),
                t(ui_lang, "page", page=n),
            )
            for n in shown
        ]
        shown_pages = gr.update(value=images, visible=True)
        return gr.update(visible=False), render.document_html(record, ui_lang), shown_pages

    inputs = [lang, *picks]
    for widget in [lang, *picks]:  # the list follows the filters and the interface language
        widget.change(browse, inputs, listing)
    links.click(open_document, [lang], [hint, details, pages])
    demo.load(guarded(lambda: filters.refreshed(engine.facets(), FIELDS)), None, picks)
    demo.load(browse, inputs, listing)
