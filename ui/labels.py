"""The components whose texts follow the interface language, and the updates that relabel them."""

from __future__ import annotations

from typing import Any, TypeVar

import gradio as gr

from ui.i18n import DEFAULT, t

C = TypeVar("C")


class Labels:
    """Components with the i18n key of each text they show (`label`, `value`, `placeholder`)."""

    def __init__(self) -> None:
        self._entries: list[tuple[Any, dict[str, str]]] = []

    def __call__(self, component: C, key: str, prop: str = "label", **more: str) -> C:
        """Register `component`'s `prop` (and any `more` props) under i18n keys; returns it."""
        props = {prop: key, **more}
        for name, text_key in props.items():  # the default language until the picker changes
            setattr(component, name, t(DEFAULT, text_key))
        self._entries.append((component, props))
        return component

    @property
    def components(self) -> list[Any]:
        """The registered components, in the order `updates` relabels them."""
        return [component for component, _ in self._entries]

    def updates(self, lang: str) -> list[Any]:
        """One gr.update per component with its texts in `lang`."""
        updates = []
        for _, props in self._entries:
            texts: dict[str, Any] = {prop: t(lang, key) for prop, key in props.items()}
            updates.append(gr.update(**texts))
        return updates
