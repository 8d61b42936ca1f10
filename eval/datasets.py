"""Evaluation data as typed values: the project's question set and external JSONL passages/queries.

Project questions (`eval/questions/*.yaml`) have gold (document, pages) entries, a language, types and
catalog filters. External sets are JSONL: passages `{pid, text}` (the id field is configurable, e.g.
`doc_id` for NTREX) and queries `{qid, question, gold_pid}`; a passages-format file also works as a
query file (its text is the query, its id the gold). A file's language tag is the part of its name
before `.jsonl` (`queries.th.jsonl` → `th`, `docs.eng-US.jsonl` → `eng-US`).
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from kb.catalog import load_catalog
from kb.errors import PortwiseError

QUESTIONS_DIR = Path(__file__).resolve().parent / "questions"
UNANSWERABLE = "unanswerable"


class DatasetError(PortwiseError):
    """An evaluation file is missing or malformed; the message names the file and the row."""

    status = 422


@dataclass(frozen=True)
class GoldEntry:
    """A gold unit: a document (or external passage id) and the pages that count (empty = any page)."""

    doc_id: str
    pages: frozenset[int] = frozenset()
    aliases: frozenset[str] = frozenset()  # documents with the same pages (a deck's PDF export)
    also: tuple[GoldEntry, ...] = ()  # other pages that state the same fact, in whole

    def matches(self, doc_id: str, page: int) -> bool:
        """True when a hit on `doc_id` (or an alias), page `page` lands in this gold unit."""
        same = doc_id == self.doc_id or doc_id in self.aliases
        own = same and (not self.pages or page in self.pages)
        return own or any(other.matches(doc_id, page) for other in self.also)

    @property
    def documents(self) -> tuple[str, ...]:
        """Every document a hit on which can land in this unit (aliases and `also` included)."""
        found = [self.doc_id, *sorted(self.aliases)]
        return tuple(dict.fromkeys(found + [d for other in self.also for d in other.documents]))


@dataclass(frozen=True)
class EvalQuery:
    """One query with its gold units, language, question types, filters and gold documents' languages."""

    qid: str
    text: str
    language: str
    gold: tuple[GoldEntry, ...]
    types: tuple[str, ...] = ()
    filters: Mapping[str, Any] = field(default_factory=dict)
    gold_languages: tuple[str, ...] = ()

    @property
    def answerable(self) -> bool:
        """False for questions the library cannot answer (no gold; excluded from recall)."""
        return bool(self.gold) and UNANSWERABLE not in self.types


@dataclass(frozen=True)
class Passage:
    """One external passage to index."""

    pid: str
    text: str


@dataclass(frozen=True)
class PassageSet:
    """The passages of one JSONL file, with the file's language tag."""

    language: str
    passages: tuple[Passage, ...]


class _PagesRow(BaseModel):
    model_config = ConfigDict(extra="forbid")
    doc: str
    pages: list[int] = Field(default_factory=list)
    notes: bool = False  # the fact is in a deck's speaker notes, so its PDF export lacks it


class _GoldRow(_PagesRow):
    # Other pages that state the same fact in whole (another document, or the answer in the
    # asker's language): a hit there is this unit found, not a miss.
    also: list[_PagesRow] = Field(default_factory=list)


class _QuestionRow(BaseModel):
    model_config = ConfigDict(extra="ignore")
    id: str
    question: str
    language: str
    types: list[str] = Field(default_factory=list)
    gold: list[_GoldRow] = Field(default_factory=list)
    filters: dict[str, Any] = Field(default_factory=dict)


def language_tag(path: Path) -> str:
    """The language part of a data file's name: `queries.th.jsonl` → `th`."""
    parts = path.name.split(".")
    return parts[-2] if len(parts) >= 3 else path.stem


def load_question_set(folder: Path = QUESTIONS_DIR, library: Path | None = None) -> list[EvalQuery]:
    """Every question in `folder/*.yaml`, with gold languages from `library`'s catalog (default kb/)."""
    files = sorted(folder.glob("*.yaml"))
    if not files:
        raise DatasetError(f"{folder}: no question files (*.yaml) found")
    catalog = load_catalog(library or folder.resolve().parents[1] / "kb")
    languages = {doc: entry.language or "und" for doc, entry in catalog.entries.items()}
    queries = []
    for path in files:
        for row in _question_rows(path):
            gold = tuple(_gold_entry(g, row.types, catalog.entries) for g in row.gold)
            queries.append(
                EvalQuery(
                    qid=row.id,
                    text=row.question,
                    language=row.language,
                    gold=gold,
                    types=tuple(row.types),
                    filters=row.filters,
                    gold_languages=tuple(sorted({languages.get(g.doc_id, "und") for g in gold})),
                )
            )
    return queries


def _gold_entry(row: _GoldRow, types: Sequence[str], catalog: Mapping[str, Any]) -> GoldEntry:
    def pages(of: _PagesRow) -> GoldEntry:
        twins = _twins(of.doc, (*types, "notes") if of.notes else types, catalog)
        return GoldEntry(of.doc, frozenset(of.pages), twins)

    return replace(pages(row), also=tuple(pages(other) for other in row.also))


def _twins(doc_id: str, types: Sequence[str], catalog: Mapping[str, Any]) -> frozenset[str]:
    """The other document holding the same pages: a slide deck's PDF export, or the deck itself.

    Speaker notes are only in the deck, so a notes question has no twin when its gold is the deck.
    """
    stem, _, suffix = doc_id.rpartition(".")
    twin = {"pptx": f"{stem}.pdf", "pdf": f"{stem}.pptx"}.get(suffix)
    if twin is None or twin not in catalog or (suffix == "pptx" and "notes" in types):
        return frozenset()
    return frozenset({twin})


def _question_rows(path: Path) -> Iterator[_QuestionRow]:
    try:
        rows = yaml.safe_load(path.read_text(encoding="utf-8")) or []
    except yaml.YAMLError as exc:
        raise DatasetError(f"{path}: not valid YAML ({exc})") from exc
    for index, row in enumerate(rows, start=1):
        try:
            yield _QuestionRow.model_validate(row)
        except ValidationError as exc:
            raise DatasetError(f"{path}: question {index} is malformed: {exc}") from exc


def _jsonl(path: Path) -> Iterator[tuple[int, dict[str, Any]]]:
    if not path.is_file():
        raise DatasetError(f"{path}: no such file")
    with path.open(encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                yield number, json.loads(line)
            except json.JSONDecodeError as exc:
                raise DatasetError(f"{path}:{number}: not valid JSON ({exc.msg})") from exc


def _field(path: Path, number: int, row: Mapping[str, Any], *names: str) -> str:
    for name in names:
        if row.get(name) not in (None, ""):
            return str(row[name])
    raise DatasetError(f"{path}:{number}: missing field {' or '.join(names)!r}")


def load_passages(path: Path, id_field: str = "pid") -> PassageSet:
    """Passages `{<id_field>, text}` from a JSONL file."""
    passages = tuple(
        Passage(pid=_field(path, n, row, id_field), text=_field(path, n, row, "text"))
        for n, row in _jsonl(path)
    )
    return PassageSet(language=language_tag(path), passages=passages)


def load_queries(path: Path, id_field: str = "pid", limit: int | None = None) -> list[EvalQuery]:
    """Queries `{qid, question, gold_pid}`, or passages used as queries (text → query, id → gold).

    With `limit`, at most that many, spread evenly over the file (its order often follows passages).
    """
    queries = []
    for number, row in _jsonl(path):
        pid = _field(path, number, row, "gold_pid", id_field)
        queries.append(
            EvalQuery(
                qid=_field(path, number, row, "qid", id_field),
                text=_field(path, number, row, "question", "text"),
                language=str(row.get("language") or language_tag(path)),
                gold=(GoldEntry(pid),),
            )
        )
    if limit is not None and len(queries) > limit:
        step = len(queries) / limit
        queries = [queries[int(i * step)] for i in range(limit)]
    return queries
