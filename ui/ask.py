"""The Ask screen: a chat that streams cited answers, opens cited pages, and records feedback."""

from __future__ import annotations

from collections.abc import Iterator
from types import SimpleNamespace
from typing import Any

import gradio as gr

from kb.types import Answer, Done, Sources, Token
from ui import filters, render
from ui.edge import bridge, guarded, page_picture
from ui.engine import Engine
from ui.i18n import t
from ui.labels import Labels

FIELDS = ("kind", "language", "event")
# Scroll the page text so that the first highlighted quote is in view.
SCROLL_TO_MARK = """
watch("value", () => {
  const box = element.querySelector(".pw-pagetext");
  const mark = box && box.querySelector("mark");
  if (mark) box.scrollTop += mark.getBoundingClientRect().top - box.getBoundingClientRect().top - 30;
});
"""
Turn = dict[str, Any]  # {"question": str, "answer": Answer | None, "html": str}


def messages(turns: list[Turn]) -> list[dict[str, str]]:
    """The chat as the Chatbot shows it: escaped questions, rendered answers."""
    chat = []
    for turn in turns:
        chat.append({"role": "user", "content": render.esc(turn["question"])})
        chat.append({"role": "assistant", "content": turn["html"]})
    return chat


def history(turns: list[Turn]) -> list[dict[str, str]]:
    """Earlier questions and answers as plain text, for the engine's follow-up rewriting."""
    out = []
    for turn in turns:
        if turn["answer"] is not None:
            out.append({"role": "user", "content": turn["question"]})
            out.append({"role": "assistant", "content": turn["answer"].text})
    return out


class Ask:
    """The Ask screen's handlers over one engine."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def respond(self, text: str, done: list[Turn], lang: str, *values: Any) -> Iterator[Any]:
        """Stream one answer: sources first, then the text so far, then the verified answer."""
        text = text.strip()
        if not text:
            return
        turn: Turn = {"question": text, "answer": None, "html": render.streaming_html("", "", lang)}
        current = [*done, turn]
        yield "", messages(current), done
        n, sources, answer_text = len(done), "", ""
        chosen = filters.make_filters(FIELDS, values)
        for event in self.engine.stream(text, history(done), chosen):
            if isinstance(event, Sources):
                show = render.closest_html if event.refused else render.sources_html
                sources = show(event.hits, n, lang)
            elif isinstance(event, Token):
                answer_text += event.text
            elif isinstance(event, Done):
                turn.update(answer=event.answer, html=render.answer_html(event.answer, n, lang))
                yield "", messages(current), current
                return
            turn["html"] = render.streaming_html(answer_text, sources, lang)
            yield "", messages(current), done

    def open_source(self, done: list[Turn], lang: str, evt: gr.EventData) -> tuple[Any, ...]:
        """Show the page of a clicked citation or source, with the cited passage marked."""
        kind, parts = render.parse_link(evt.link)
        turn, n = int(parts[0]), int(parts[1])
        if turn >= len(done) or done[turn]["answer"] is None:
            return gr.skip(), gr.skip(), gr.skip()
        answer: Answer = done[turn]["answer"]
        chunk = answer.sources[n - 1].chunk
        quotes = [c.quote for c in answer.citations if c.n == n] if kind == "cite" else []
        page_text = self.engine.page_text(chunk.doc_id, chunk.page)
        record = self.engine.document(chunk.doc_id)
        html = render.passage_html(record, chunk.page, page_text, quotes or [chunk.text], lang)
        picture = page_picture(self.engine.page_image(chunk.doc_id, chunk.page))
        return gr.update(visible=False), gr.update(value=picture, visible=True), html

    def feedback(self, done: list[Turn], lang: str, data: gr.LikeData) -> None:
        """Record a thumbs up or down on an answer, with its question."""
        index = data.index if isinstance(data.index, int) else data.index[0]
        turn = done[index // 2] if index // 2 < len(done) else None
        if turn is None or turn["answer"] is None:
            return
        rating = 1 if data.liked in (True, "Like") else -1
        self.engine.record_feedback(turn["question"], turn["answer"], rating)
        gr.Info(t(lang, "ask.thanks"))


def layout(labels: Labels) -> SimpleNamespace:
    """The Ask tab's components: chat, question, filters on the left; the source on the right."""
    ui = SimpleNamespace(turns=gr.State([]))
    with gr.Row(equal_height=False):
        with gr.Column(scale=3):
            chatbot = gr.Chatbot(height=520, latex_delimiters=[], elem_id="pw-chat")
            ui.chat = labels(chatbot, "ask.chat", placeholder="ask.welcome")
            with gr.Row():
                box = gr.Textbox(scale=5, lines=1, max_lines=4, elem_id="pw-question")
                ui.question = labels(box, "ask.question", placeholder="ask.placeholder")
                button = gr.Button(variant="primary", scale=1, elem_id="pw-ask")
                ui.send = labels(button, "ask.send", "value")
            with labels(gr.Accordion(open=False), "filters"), gr.Row():
                ui.picks = filters.dropdowns(labels, FIELDS, "ask")
            ui.clear = labels(gr.Button(size="sm", variant="secondary"), "ask.clear", "value")
        with gr.Column(scale=2):
            ui.hint = labels(gr.Markdown(elem_id="pw-source-hint"), "ask.source_hint", "value")
            image = gr.Image(
                type="pil", interactive=False, height=460, visible=False, elem_id="pw-page"
            )
            ui.image = labels(image, "ask.source")
            ui.passage = gr.HTML(js_on_load=SCROLL_TO_MARK, elem_id="pw-passage")
    ui.links = bridge("cite src")
    return ui


def build(demo: gr.Blocks, engine: Engine, lang: gr.Dropdown, labels: Labels) -> None:
    """Lay out the Ask tab inside the current Blocks and wire it to `engine`."""
    ask, ui = Ask(engine), layout(labels)
    ask_inputs = [ui.question, ui.turns, lang, *ui.picks]
    ask_outputs = [ui.question, ui.chat, ui.turns]
    ui.send.click(guarded(ask.respond), ask_inputs, ask_outputs)
    ui.question.submit(guarded(ask.respond), ask_inputs, ask_outputs)
    ui.links.click(guarded(ask.open_source), [ui.turns, lang], [ui.hint, ui.image, ui.passage])
    ui.chat.like(guarded(ask.feedback), [ui.turns, lang], None)
    ui.clear.click(
        lambda: ([], [], gr.update(visible=True), gr.update(value=None, visible=False), ""),
        None,
        [ui.chat, ui.turns, ui.hint, ui.image, ui.passage],
    )
    demo.load(guarded(lambda: filters.refreshed(engine.facets(), FIELDS)), None, ui.picks)
