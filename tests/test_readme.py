"""The README's configuration table is generated from the settings' field descriptions."""

from __future__ import annotations

from pathlib import Path

from kb.settings import settings_table

README = Path(__file__).resolve().parents[1] / "README.md"


def test_settings_table_matches_the_code() -> None:
    text = README.read_text(encoding="utf-8")
    start, end = "<!-- settings-table:start -->", "<!-- settings-table:end -->"
    table = text[text.index(start) + len(start) : text.index(end)].strip()
    assert table == settings_table(), (
        "README is stale; regenerate the table with: "
        ".venv/bin/python -c 'from kb.settings import settings_table; print(settings_table())'"
    )
