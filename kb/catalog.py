"""The catalog: each document's metadata, read from `catalog.yaml` (or `.csv`) plus uploads, validated per row."""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from kb.errors import CatalogError
from kb.languages import LANGUAGES, normalise_language

Kind = Literal[
    "lecture", "slides", "conference-paper", "guideline", "report", "case-study", "faq", "unknown"
]
CATALOG_NAMES = ("catalog.yaml", "catalog.yml", "catalog.csv")
# Written by the server for uploaded files; merged into the catalog beside it.
UPLOADS_CATALOG = "catalog.uploads.yaml"
LIST_FIELDS = ("topics", "authors")


class CatalogEntry(BaseModel):
    """Metadata for one document, keyed by its path relative to the library folder."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    file: str = Field(description="Path of the document relative to the library folder.")
    title: str = Field(default="", description="Human title; inferred from the file when empty.")
    kind: Kind = Field(default="unknown", description="What sort of document this is.")
    event: str = Field(default="", description="Course, conference or meeting it belongs to.")
    year: int | None = Field(default=None, ge=1950, le=2100, description="Year of the event.")
    language: str = Field(default="", description="Main language code; detected when empty.")
    topics: tuple[str, ...] = Field(default=(), description="Topic slugs, e.g. `port-kpis`.")
    authors: tuple[str, ...] = Field(default=(), description="Authors or lecturers.")
    organisation: str = Field(default="", description="Publishing organisation.")
    country: str = Field(default="", description="Country the material is about or from.")
    audience: str = Field(default="", description="Intended audience, e.g. `port-managers`.")
    sample: bool = Field(
        default=False, description="True for sample material written for Portwise."
    )
    password: str = Field(default="", description="Password that opens an encrypted PDF.")

    @field_validator("language")
    @classmethod
    def _known_language(cls, value: str) -> str:
        if not value:
            return value
        code = normalise_language(value)
        if code not in LANGUAGES:
            raise ValueError(f"unknown language {value!r}; use one of {', '.join(LANGUAGES)}")
        return code

    @field_validator("topics", "authors", mode="before")
    @classmethod
    def _split_list(cls, value: Any) -> Any:
        if isinstance(value, str):
            return tuple(part.strip() for part in value.split(";") if part.strip())
        return value


@dataclass(frozen=True)
class Catalog:
    """Validated catalog entries for one library folder."""

    library: Path
    entries: dict[str, CatalogEntry] = field(default_factory=dict)

    def entry_for(self, rel_path: str) -> CatalogEntry | None:
        """The entry for a document path relative to the library, if the catalog has one."""
        return self.entries.get(rel_path)


def find_catalog(folder: Path) -> Path | None:
    """The catalog file inside `folder`, if there is one."""
    for name in CATALOG_NAMES:
        if (folder / name).is_file():
            return folder / name
    return None


def load_catalog(folder: Path) -> Catalog:
    """Read and validate the catalog in `folder`, merged with the uploads catalog beside it.

    A folder without a catalog gets an empty one. The uploads catalog (`catalog.uploads.yaml`,
    written by the server) lists uploaded files relative to the same library folder.

    Raises:
        CatalogError: listing every bad row, with its file and the field at fault.
    """
    path = find_catalog(folder)
    library, rows = _read_rows(path) if path is not None else (".", [])
    entries: dict[str, CatalogEntry] = {}
    problems = _validate(rows, entries, "")
    uploads = folder / UPLOADS_CATALOG
    if uploads.is_file():
        problems += _validate(_read_rows(uploads)[1], entries, f"{UPLOADS_CATALOG} ")
    if problems:
        listing = "\n  ".join(problems)
        where = path or uploads
        raise CatalogError(f"{where}: {len(problems)} problem(s); fix these rows:\n  {listing}")
    base = path.parent if path is not None else folder
    return Catalog(library=(base / library).resolve(), entries=entries)


def _validate(rows: list[Any], entries: dict[str, CatalogEntry], source: str) -> list[str]:
    """Validate rows into `entries`; returns one line per problem."""
    problems: list[str] = []
    for index, row in enumerate(rows, start=1):
        label = f"{source}row {index}" + (f" ({row.get('file')})" if isinstance(row, dict) else "")
        try:
            entry = CatalogEntry.model_validate(row)
        except ValidationError as exc:
            problems.extend(f"{label}: {_describe(err)}" for err in exc.errors())
            continue
        if entry.file in entries:
            problems.append(f"{label}: duplicate entry for {entry.file}")
        entries[entry.file] = entry
    return problems


def _describe(error: Any) -> str:
    where = ".".join(str(part) for part in error["loc"]) or "row"
    return f"{where}: {error['msg']}"


def _read_rows(path: Path) -> tuple[str, list[Any]]:
    if path.suffix == ".csv":
        with path.open(newline="", encoding="utf-8") as handle:
            rows = [
                {k: v for k, v in row.items() if v not in ("", None)}
                for row in csv.DictReader(handle)
            ]
        return ".", rows
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as exc:
        raise CatalogError(f"{path}: not valid YAML ({exc}); fix the syntax") from exc
    if not isinstance(data, dict) or not isinstance(data.get("documents", []), list):
        raise CatalogError(f"{path}: expected a mapping with a `documents:` list")
    return str(data.get("library", ".")), list(data.get("documents", []))
