"""Catalog filter widgets: dropdowns whose choices come from the engine's facets, and `Filters`."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import gradio as gr

from kb.languages import LANGUAGES
from kb.types import Filters
from ui.labels import Labels

YEARS = ("year_from", "year_to")


def facet_of(field: str) -> str:
    """The facet that lists a filter field's values (both year bounds list the years)."""
    return "year" if field in YEARS else field


def dropdowns(labels: Labels, fields: Sequence[str], screen: str) -> list[gr.Dropdown]:
    """One dropdown per filter field (several values each, one for a year bound), labelled."""
    return [
        labels(
            gr.Dropdown(
                [],
                value=None if name in YEARS else [],
                multiselect=name not in YEARS,
                elem_id=f"pw-{screen}-{name}",
            ),
            f"filter.{name}",
        )
        for name in fields
    ]


def choices(facets: Mapping[str, Mapping[Any, int]], field: str) -> list[tuple[str, str]]:
    """(shown, value) pairs for one field: the value (a language's name) and its document count."""
    counts = facets.get(facet_of(field), {})
    pairs = []
    for value, count in sorted(counts.items(), key=lambda item: str(item[0])):
        if str(value) in ("", "0"):
            continue
        shown = LANGUAGES.get(str(value), str(value)) if field == "language" else str(value)
        pairs.append((shown if field in YEARS else f"{shown} ({count})", str(value)))
    return pairs


def refreshed(facets: Mapping[str, Mapping[Any, int]], fields: Sequence[str]) -> list[Any]:
    """Updates that load each dropdown's choices from `facets`."""
    return [gr.update(choices=choices(facets, field)) for field in fields]


def make_filters(fields: Sequence[str], values: Sequence[Any]) -> Filters:
    """Filters from the dropdowns' selections, in `fields` order."""
    chosen: dict[str, Any] = {}
    for field, value in zip(fields, values):
        if field in YEARS:
            chosen[field] = int(value) if value else None
        else:
            chosen[field] = tuple(value or ())
    return Filters(**chosen)
