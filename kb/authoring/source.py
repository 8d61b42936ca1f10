"""Source files: one YAML per sample document, loaded and validated with errors naming the file."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from kb.catalog import CatalogEntry
from kb.errors import PortwiseError

SUFFIXES = (".pdf", ".pptx", ".docx", ".md", ".html")
FOLDERS = ("lectures", "guidelines", "conferences", "case-studies", "faq")
TOPICS = frozenset(
    [
        "port-kpis",
        "terminal-operations",
        "yard-planning",
        "equipment",
        "berth-planning",
        "isps-security",
        "solas",
        "imdg-dangerous-goods",
        "marpol",
        "green-port",
        "safety-management",
        "cybersecurity",
        "single-window",
        "port-community-system",
        "fal-convention",
        "trade-facilitation",
        "hinterland",
        "dry-ports",
        "corridors",
        "asean-connectivity",
        "smart-port",
        "digital-twin",
        "automation",
        "port-city",
        "governance",
        "training",
        "emergency-response",
    ]
)
FOOTER = "Sample content written for the Portwise demo library — not an official document"
PAGE_KEYS = frozenset({"title", "body", "notes"})
TOP_KEYS = frozenset({"output", "pdf_export", "catalog", "pages"})
_DENSE = re.compile(r"[\u0e00-\u0eff\u1780-\u17ff]")
_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff]")


class SourceError(PortwiseError):
    """A source file is missing, not valid YAML, or breaks the source format."""

    status = 422


@dataclass(frozen=True)
class SourcePage:
    """One page of a source: a PDF/DOCX page or a slide."""

    title: str
    body: str
    notes: str = ""


@dataclass(frozen=True)
class Source:
    """A validated source file: where it renders to, its catalog entry and its pages."""

    path: Path
    output: str
    pdf_export: bool
    entry: CatalogEntry
    pages: tuple[SourcePage, ...]
    digest: str

    @property
    def slug(self) -> str:
        """The source's file stem, used by `--only`."""
        return self.path.stem

    @property
    def outputs(self) -> tuple[str, ...]:
        """Every document this source produces, relative to the library folder."""
        if self.pdf_export:
            return (self.output, str(Path(self.output).with_suffix(".pdf")))
        return (self.output,)


def load_source(path: Path) -> Source:
    """Read and validate one source file.

    Raises:
        SourceError: naming the file and what to fix.
    """
    raw = path.read_bytes()
    try:
        data = yaml.safe_load(raw.decode("utf-8"))
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        raise SourceError(f"{path}: not valid UTF-8 YAML ({exc})") from exc
    if not isinstance(data, dict):
        raise SourceError(f"{path}: expected a mapping with output, catalog and pages")
    unknown = set(data) - TOP_KEYS
    if unknown:
        raise SourceError(f"{path}: unknown key(s) {sorted(unknown)}; allowed: {sorted(TOP_KEYS)}")
    output = _output(path, data.get("output"))
    pdf_export = bool(data.get("pdf_export", False))
    if pdf_export and not output.endswith(".pptx"):
        raise SourceError(f"{path}: pdf_export is only for .pptx outputs")
    entry = _entry(path, output, data.get("catalog"))
    pages = _pages(path, data.get("pages"))
    return Source(path, output, pdf_export, entry, pages, hashlib.sha256(raw).hexdigest())


def _output(path: Path, value: Any) -> str:
    if not isinstance(value, str) or not value:
        raise SourceError(f"{path}: `output` must be a path like lectures/name.pdf")
    rel = Path(value)
    if rel.is_absolute() or ".." in rel.parts or len(rel.parts) != 2 or rel.parts[0] not in FOLDERS:
        raise SourceError(f"{path}: output {value!r} must be <folder>/<file>, folder in {FOLDERS}")
    if rel.suffix not in SUFFIXES:
        raise SourceError(f"{path}: output {value!r} must end in one of {SUFFIXES}")
    return rel.as_posix()


def _entry(path: Path, output: str, value: Any) -> CatalogEntry:
    if not isinstance(value, dict):
        raise SourceError(f"{path}: `catalog` must be a mapping of catalog fields")
    try:
        entry = CatalogEntry.model_validate({**value, "file": output})
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
        raise SourceError(f"{path}: catalog: {problems}") from exc
    missing = [name for name in ("title", "language", "year") if not getattr(entry, name)]
    if missing or entry.kind == "unknown":
        raise SourceError(f"{path}: catalog needs title, kind, language, year (missing {missing})")
    if not entry.sample:
        raise SourceError(f"{path}: catalog.sample must be true (all documents are sample content)")
    return entry


def _pages(path: Path, value: Any) -> tuple[SourcePage, ...]:
    if not isinstance(value, list) or not value:
        raise SourceError(f"{path}: `pages` must be a non-empty list")
    pages: list[SourcePage] = []
    for number, item in enumerate(value, start=1):
        if not isinstance(item, dict) or set(item) - PAGE_KEYS:
            raise SourceError(f"{path}: page {number} must be a mapping with title, body, notes")
        title, body, notes = (item.get(key) or "" for key in ("title", "body", "notes"))
        if not all(isinstance(text, str) for text in (title, body, notes)) or not title.strip():
            raise SourceError(f"{path}: page {number} needs a text title (body/notes: text)")
        pages.append(SourcePage(title.strip(), body.strip(), notes.strip()))
    return tuple(pages)


def source_warnings(source: Source) -> list[str]:
    """Soft problems: unknown topic slugs and pages that are probably too long to fit."""
    out = [
        f"{source.path.name}: topic {topic!r} is not in the shared list"
        for topic in source.entry.topics
        if topic not in TOPICS
    ]
    slides = source.output.endswith(".pptx")
    for number, page in enumerate(source.pages, start=1):
        size, limit = page_size(page.body, slides)
        if size > limit:
            out.append(f"{source.path.name}: page {number} is long ({size} > {limit}); may not fit")
        if page.notes and not slides:
            out.append(f"{source.path.name}: page {number} has notes but only slides keep notes")
    return out


def page_size(body: str, slides: bool = False) -> tuple[int, int]:
    """A page's size (words, or characters for CJK/Thai/Khmer/Lao) and the cap for its kind."""
    dense, cjk = len(_DENSE.findall(body)), len(_CJK.findall(body))
    if dense > cjk and dense > len(body) / 3:
        return dense, 300 if slides else 900
    if cjk > len(body) / 3:
        return cjk, 200 if slides else 600
    return len(body.split()), 90 if slides else 300
