"""`build_ui(engine)`: the Gradio app — Ask, Search, Library and Admin tabs over one engine."""

from __future__ import annotations

import gradio as gr

from ui import admin, ask, library, search
from ui.engine import Engine
from ui.i18n import DEFAULT, language_choices
from ui.labels import Labels

FONTS = (
    '"Source Sans Pro", "Noto Sans", "Noto Sans Thai", "Noto Sans Khmer", "Noto Sans Lao", '
    '"Noto Sans CJK SC", "Noto Sans Myanmar", ui-sans-serif, system-ui, sans-serif'
)
# Carried by a component's `head` so that it applies however the app is mounted.
CSS = f"""
.gradio-container, .gradio-container .prose {{ --font: {FONTS}; font-family: {FONTS} !important; }}
.pw-bridge {{ display: none !important; }}
#pw-header h1 {{ margin: 0; font-size: 1.6rem; }}
#pw-header p {{ margin: 0.2rem 0 0; color: var(--body-text-color-subdued); }}
.pw-muted {{ color: var(--body-text-color-subdued); font-size: 0.9em; }}
.gradio-container a.pw-cite {{ font-weight: 700; text-decoration: none; color: var(--color-accent) !important; padding: 0 1px; }}
.gradio-container a.pw-cite:hover, .gradio-container a.pw-src:hover {{ text-decoration: underline; }}
.pw-sources {{ margin-top: 0.5rem; font-size: 0.92em; }}
.pw-sources > div {{ margin: 0.15rem 0 0 0.4rem; }}
.pw-refused > p {{ font-style: italic; }}
#pw-chat .placeholder-content {{ padding: 0 2.5rem; text-align: center; }}
#pw-source-hint, #pw-library-hint {{ border: 1px dashed var(--border-color-primary); border-radius: 8px;
  padding: 2rem 1rem; min-height: 200px; display: flex; align-items: center; justify-content: center;
  text-align: center; color: var(--body-text-color-subdued); }}
.pw-passage h3 {{ margin: 0 0 0.2rem; }}
.pw-passage blockquote {{ border-left: 3px solid var(--color-accent); margin: 0.4rem 0; padding: 0.2rem 0.6rem; }}
.pw-pagetext {{ white-space: pre-wrap; max-height: 320px; overflow-y: auto; font-size: 0.9em;
  border: 1px solid var(--border-color-primary); border-radius: 6px; padding: 0.5rem; margin-top: 0.3rem; }}
.pw-pagetext mark, .pw-answer mark {{ background: #ffe58a; color: inherit; padding: 0 1px; }}
.pw-card {{ border: 1px solid var(--border-color-primary); border-radius: 8px; padding: 0.6rem 0.8rem;
  margin: 0 0 0.8rem; }}
.pw-card h3 {{ margin: 0 0 0.2rem; }}
.pw-hit {{ display: flex; gap: 0.8rem; margin-top: 0.6rem; align-items: flex-start; }}
.pw-hit p {{ margin: 0.2rem 0; white-space: pre-line; display: -webkit-box; -webkit-box-orient: vertical;
  -webkit-line-clamp: 6; overflow: hidden; }}
.pw-hit-heading {{ font-weight: 600; margin-top: 0.2rem; }}
.pw-thumb {{ width: 120px; max-height: 170px; flex: none; object-fit: cover; object-position: top;
  border: 1px solid var(--border-color-primary); border-radius: 4px; }}
.pw-count {{ font-weight: 600; }}
.pw-doc-row {{ padding: 0.45rem 0; border-bottom: 1px solid var(--border-color-primary); }}
.pw-doc {{ font-weight: 600; }}
.pw-meta th {{ text-align: left; padding-right: 1rem; vertical-align: top; white-space: nowrap; }}
.pw-download {{ display: inline-block; margin-top: 0.5rem; font-weight: 600; }}
.pw-error {{ color: var(--error-text-color); }}
.pw-done {{ color: var(--color-green-600, green); font-weight: 600; }}
"""


def build_ui(engine: Engine) -> gr.Blocks:
    """The whole interface, built over `engine`; mount it with `gradio.mount_gradio_app`."""
    labels = Labels()
    demo = gr.Blocks(title="Portwise", analytics_enabled=False)
    with demo:
        gr.HTML("", head=f"<style>{CSS}</style>", js_on_load=None, elem_classes="pw-bridge")
        with gr.Row(elem_id="pw-header", equal_height=True):
            with gr.Column(scale=4):
                gr.HTML("<h1>Portwise</h1>")
                labels(gr.Markdown(), "app.tagline", "value")
            lang = labels(
                gr.Dropdown(language_choices(), value=DEFAULT, scale=1, elem_id="pw-lang"),
                "app.language",
            )
        with gr.Tabs():
            with labels(gr.Tab(id="ask", elem_id="pw-tab-ask"), "tab.ask"):
                ask.build(demo, engine, lang, labels)
            with labels(gr.Tab(id="search", elem_id="pw-tab-search"), "tab.search"):
                search.build(demo, engine, lang, labels)
            with labels(gr.Tab(id="library", elem_id="pw-tab-library"), "tab.library"):
                library.build(demo, engine, lang, labels)
            with labels(gr.Tab(id="admin", elem_id="pw-tab-admin"), "tab.admin"):
                admin.build(engine, lang, labels)
        lang.change(labels.updates, lang, labels.components)
    return demo
