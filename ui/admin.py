"""The Admin screen: sign in with an API key, upload and index files, reports, deletes, gaps."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any, get_args

import gradio as gr

from kb.catalog import Kind
from kb.languages import LANGUAGES
from ui import render
from ui.edge import guarded
from ui.engine import Engine
from ui.i18n import DEFAULT, t
from ui.labels import Labels

POLL_S = 0.5
FORM_ROWS = (
    ("title", "event", "kind", "year", "language"),
    ("organisation", "country", "audience", "topics", "authors"),
)
LIST_FIELDS = ("topics", "authors")


def catalog_fields(values: dict[str, Any]) -> dict[str, Any]:
    """The catalog fields the admin filled in: lists split on `;` or `,`, empty ones left out."""
    fields: dict[str, Any] = {}
    for name, value in values.items():
        if isinstance(value, str):
            value = value.strip()
        if not value:
            continue
        if name in LIST_FIELDS:
            value = [part.strip() for part in value.replace(",", ";").split(";") if part.strip()]
        elif name == "year" and value.isdigit():
            value = int(value)
        fields[name] = value
    return fields


def headers(lang: str, key: str) -> list[str]:
    """Table column names from an i18n key of `|`-separated names."""
    return t(lang, key).split("|")


class Admin:
    """The Admin screen's handlers over one engine; every action checks the key first."""

    def __init__(self, engine: Engine, names: list[str]) -> None:
        self.engine = engine
        self.names = names  # catalog field of each metadata input, in order

    def overview(self, api_key: str, lang: str) -> tuple[Any, ...]:
        """Open the panel: last ingest report, documents to delete, unanswered questions."""
        self.engine.check_admin(api_key)
        jobs = self.engine.jobs(1)
        last = jobs[0].report if jobs else None
        records = self.engine.documents()
        gaps = render.gap_rows(self.engine.gaps())
        return (
            gr.update(visible=True),
            "" if last else t(lang, "admin.no_report"),
            gr.update(value=render.report_rows(last), headers=headers(lang, "report.cols")),
            gr.update(choices=[(render.title_of(r.meta, r.doc_id), r.doc_id) for r in records]),
            gr.update(value=gaps, headers=headers(lang, "admin.gap_cols")),
        )

    def upload(
        self, api_key: str, paths: list[str] | None, lang: str, *values: Any
    ) -> Iterator[Any]:
        """Upload files with their catalog fields, then follow the ingest job until it ends."""
        self.engine.check_admin(api_key)
        if not paths:
            raise gr.Error(t(lang, "admin.no_files"))
        pairs = [(Path(p).name, Path(p).read_bytes()) for p in paths]
        job = self.engine.upload(pairs, catalog_fields(dict(zip(self.names, values))))
        while job.status in ("queued", "running"):
            yield render.job_html(job, lang), *[gr.skip()] * 5
            time.sleep(POLL_S)
            job = self.engine.job(job.id)
        yield render.job_html(job, lang), *self.overview(api_key, lang)

    def remove(self, api_key: str, doc_id: str | None, lang: str) -> tuple[Any, ...]:
        """Delete the chosen document, then refresh the panel."""
        self.engine.check_admin(api_key)
        if doc_id:
            self.engine.delete_document(doc_id)
            gr.Info(t(lang, "admin.deleted", doc=doc_id))
        return self.overview(api_key, lang)


def field_input(name: str) -> Any:
    """The input for one catalog field: a list to pick from, or text."""
    if name == "kind":
        return gr.Dropdown(list(get_args(Kind)), value=None, min_width=140)
    if name == "language":
        return gr.Dropdown([(n, c) for c, n in LANGUAGES.items()], value=None, min_width=140)
    return gr.Textbox(
        min_width=100 if name == "year" else 160, max_length=4 if name == "year" else None
    )


def upload_form(labels: Labels) -> SimpleNamespace:
    """File picker, catalog fields (`fields`: name → input) and the upload button."""
    ui = SimpleNamespace(fields={})
    ui.files = labels(gr.File(file_count="multiple", elem_id="pw-files"), "admin.files")
    for row in FORM_ROWS:
        with gr.Row():
            for name in row:
                ui.fields[name] = labels(field_input(name), f"meta.{name}")
    ui.start = labels(gr.Button(variant="primary", elem_id="pw-upload"), "admin.start", "value")
    ui.progress = gr.HTML(elem_id="pw-progress")
    return ui


def layout(labels: Labels) -> SimpleNamespace:
    """The Admin tab: key and sign-in; then (once signed in) upload, report, delete, gaps."""
    ui = SimpleNamespace()
    with gr.Row(equal_height=True):
        ui.key = labels(gr.Textbox(type="password", scale=4, elem_id="pw-key"), "admin.key")
        button = gr.Button(variant="primary", scale=1, elem_id="pw-signin")
        ui.sign_in = labels(button, "admin.signin", "value")
    with gr.Column(visible=False) as ui.panel:
        labels(gr.Markdown(), "admin.signed_in", "value")
        with labels(gr.Accordion(open=True), "admin.upload"):
            ui.form = upload_form(labels)
        with labels(gr.Accordion(open=True), "admin.report"):
            ui.report_note = gr.Markdown()
            ui.report = gr.Dataframe(
                headers=headers(DEFAULT, "report.cols"), wrap=True, interactive=False
            )
            ui.refresh = labels(gr.Button(size="sm"), "admin.refresh", "value")
        with labels(gr.Accordion(open=False), "admin.delete"), gr.Row(equal_height=True):
            ui.doomed = labels(gr.Dropdown([], value=None, scale=4), "admin.document")
            button = gr.Button(variant="stop", scale=1)
            ui.delete = labels(button, "admin.delete_button", "value")
        with labels(gr.Accordion(open=True), "admin.gaps"):
            widths: list[str | int] = ["38%", "12%", "15%", "35%"]
            cols = headers(DEFAULT, "admin.gap_cols")
            ui.gaps = gr.Dataframe(headers=cols, wrap=True, column_widths=widths, interactive=False)
    return ui


def build(engine: Engine, lang: gr.Dropdown, labels: Labels) -> None:
    """Lay out the Admin tab inside the current Blocks and wire it to `engine`."""
    ui = layout(labels)
    admin = Admin(engine, list(ui.form.fields))
    shown = [ui.panel, ui.report_note, ui.report, ui.doomed, ui.gaps]
    for trigger in (ui.sign_in.click, ui.key.submit, ui.refresh.click):
        trigger(guarded(admin.overview), [ui.key, lang], shown)
    inputs = [ui.key, ui.form.files, lang, *ui.form.fields.values()]
    ui.form.start.click(guarded(admin.upload), inputs, [ui.form.progress, *shown])
    ui.delete.click(guarded(admin.remove), [ui.key, ui.doomed, lang], shown)
