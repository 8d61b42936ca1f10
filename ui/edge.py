"""The UI's edge: in-app link bridges, page images for display, and PortwiseError → gr.Error, once."""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import gradio as gr
from PIL import Image

from kb.errors import PortwiseError

F = TypeVar("F", bound=Callable[..., Any])

# One document-level listener per bridge: a click on <a href="#pw-KIND-..."> for one of the
# bridge's kinds becomes the bridge's `click` event, with the link in the event data. The latest
# `trigger` is kept on window so a re-rendered bridge never doubles its listener.
BRIDGE_JS = """
const kinds = String(props.kinds).split(" ");
window.__pwBridges = window.__pwBridges || {};
const fresh = !(kinds[0] in window.__pwBridges);
window.__pwBridges[kinds[0]] = trigger;
if (fresh) {
  document.addEventListener("click", (event) => {
    const link = event.target.closest && event.target.closest('a[href^="#pw-"]');
    if (!link) return;
    const href = link.getAttribute("href");
    if (!kinds.some((kind) => href.startsWith("#pw-" + kind + "/"))) return;
    event.preventDefault();
    event.stopPropagation();
    window.__pwBridges[kinds[0]]("click", {link: href});
  }, true);
}
"""


def bridge(kinds: str) -> gr.HTML:
    """An invisible component whose `click` fires when an in-app link of `kinds` is clicked."""
    return gr.HTML("", js_on_load=BRIDGE_JS, kinds=kinds, elem_classes="pw-bridge")


def guarded(fn: F) -> F:
    """Turn the engine's PortwiseError into gr.Error (its message shown to the user)."""
    if inspect.isgeneratorfunction(fn):

        @functools.wraps(fn)
        def stream(*args: Any, **kwargs: Any) -> Any:
            try:
                yield from fn(*args, **kwargs)
            except PortwiseError as exc:
                raise gr.Error(exc.message) from exc

        return stream  # type: ignore[return-value]

    @functools.wraps(fn)
    def call(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except PortwiseError as exc:
            raise gr.Error(exc.message) from exc

    return call  # type: ignore[return-value]


def page_picture(path: Path) -> Image.Image:
    """A page image loaded into memory (gradio caches its own copy; the engine's file stays put)."""
    with Image.open(path) as image:
        return image.convert("RGB")
