"""Consistency of question set and library: `python -m kb.authoring.check` (exit 1 on any error)."""

from __future__ import annotations

import functools
import html
import re
import sys
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from kb.authoring.verify import normalise
from kb.catalog import Catalog, load_catalog
from kb.errors import PortwiseError
from kb.languages import LANGUAGES
from kb.settings import KB_DIR

ROOT = KB_DIR.parent
TYPES = ("single", "cross-lingual", "multi-doc", "table", "notes", "filter", "unanswerable")
MIN_PER_LANGUAGE = {
    "en": 25,
    "zh": 25,
    "vi": 25,
    "th": 25,
    "km": 10,
    "lo": 10,
    "ms": 10,
    "fil": 10,
    "de": 10,
}
MIN_TOTAL, MIN_UNANSWERABLE = 200, 20
KEYS = frozenset({"id", "question", "language", "types", "gold", "facts", "filters"})
_ID = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*-[a-z]{2,3}-\d{2,3}$")
_CODE = re.compile(r"\d|^[A-Z][A-Z0-9./-]+$")


@dataclass
class CheckResult:
    """Errors, warnings and the counts the tables print."""

    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    docs: Counter[tuple[str, str]] = field(default_factory=Counter)  # (language, kind) -> documents
    pages: Counter[tuple[str, str]] = field(default_factory=Counter)  # (language, kind) -> pages
    by_language: Counter[str] = field(default_factory=Counter)
    by_type: Counter[str] = field(default_factory=Counter)
    total: int = 0


def page_count(path: Path) -> int:
    """Pages of a library file: PDF pages, slides, DOCX page breaks + 1, or 1 for text files."""
    if path.suffix == ".pdf":
        from pypdf import PdfReader

        return len(PdfReader(path).pages)
    if path.suffix == ".pptx":
        from pptx import Presentation

        return len(Presentation(str(path)).slides)
    if path.suffix == ".docx":
        with __import__("zipfile").ZipFile(path) as archive:
            xml = archive.read("word/document.xml").decode("utf-8")
        return len(re.findall(r'<w:br [^>]*w:type="page"', xml)) + 1
    return 1


@functools.cache
def page_texts(path: Path) -> tuple[str, ...]:
    """Text of every page of a library file (slides include tables and notes)."""
    if path.suffix == ".pdf":
        from pypdf import PdfReader

        return tuple(page.extract_text() for page in PdfReader(path).pages)
    if path.suffix == ".pptx":
        return _pptx_texts(path)
    if path.suffix == ".docx":
        return _docx_texts(path)
    text = path.read_text(encoding="utf-8")
    return (html.unescape(re.sub(r"<[^>]+>", " ", text)) if path.suffix == ".html" else text,)


def _pptx_texts(path: Path) -> tuple[str, ...]:
    from pptx import Presentation

    out = []
    for slide in Presentation(str(path)).slides:
        parts = [shape.text_frame.text for shape in slide.shapes if shape.has_text_frame]
        for shape in slide.shapes:
            if shape.has_table:
                parts.extend(cell.text for row in shape.table.rows for cell in row.cells)
        if slide.has_notes_slide:
            parts.append(slide.notes_slide.notes_text_frame.text)
        out.append("\n".join(parts))
    return tuple(out)


def _docx_texts(path: Path) -> tuple[str, ...]:
    import zipfile

    with zipfile.ZipFile(path) as archive:
        xml = archive.read("word/document.xml").decode("utf-8")
    pages = re.split(r'<w:br [^>]*w:type="page"[^>]*/>', xml)
    runs = (re.findall(r"<w:t[^>]*>([^<]*)</w:t>", page) for page in pages)
    return tuple(html.unescape(" ".join(texts)) for texts in runs)


def check(root: Path = ROOT, facts: bool = True) -> CheckResult:
    """Validate `eval/questions/*.yaml` against `kb/catalog.yaml` and the files in the library."""
    result = CheckResult()
    try:
        catalog = load_catalog(root / "kb")
    except PortwiseError as exc:
        result.errors.append(exc.message)
        return result
    counts = _library(catalog, result)
    seen: dict[str, str] = {}
    for path in sorted((root / "eval" / "questions").glob("*.yaml")):
        for question in _load_questions(path, result):
            _question(path.name, question, catalog, counts, seen, result, facts)
    _thresholds(result)
    return result


def _library(catalog: Catalog, result: CheckResult) -> dict[str, int]:
    counts: dict[str, int] = {}
    for rel, entry in sorted(catalog.entries.items()):
        path = catalog.library / rel
        if not path.is_file():
            result.errors.append(f"kb/catalog.yaml: {rel} is listed but missing from the library")
            continue
        counts[rel] = page_count(path)
        result.docs[(entry.language, entry.kind)] += 1
        result.pages[(entry.language, entry.kind)] += counts[rel]
        if not entry.sample:
            result.errors.append(f"kb/catalog.yaml: {rel} is not marked sample: true")
    return counts


def _load_questions(path: Path, result: CheckResult) -> list[dict[str, Any]]:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or []
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        result.errors.append(f"{path.name}: not valid YAML ({exc})")
        return []
    if not isinstance(data, list) or not all(isinstance(item, dict) for item in data):
        result.errors.append(f"{path.name}: expected a list of question mappings")
        return []
    return data


def _question(
    file: str,
    q: dict[str, Any],
    catalog: Catalog,
    counts: dict[str, int],
    seen: dict[str, str],
    result: CheckResult,
    facts: bool,
) -> None:
    qid = str(q.get("id", ""))
    where = f"{file}: {qid or '(no id)'}"
    errors, warnings = result.errors, result.warnings
    missing = {"id", "question", "language", "types", "gold", "facts"} - set(q)
    if missing or set(q) - KEYS:
        errors.append(f"{where}: missing {sorted(missing)} / unknown {sorted(set(q) - KEYS)} keys")
        return
    if qid in seen:
        errors.append(f"{where}: id already used in {seen[qid]}")
    seen[qid] = file
    if not _ID.match(qid):
        warnings.append(f"{where}: id does not look like <area>-<lang>-<nn>")
    language, types, gold = q["language"], q["types"], q["gold"]
    if language not in LANGUAGES:
        errors.append(f"{where}: language {language!r} is not one of {', '.join(LANGUAGES)}")
    if not isinstance(types, list) or not types or set(types) - set(TYPES):
        errors.append(f"{where}: types must be a non-empty list of {', '.join(TYPES)}")
        types = [t for t in types if t in TYPES] if isinstance(types, list) else []
    if not isinstance(gold, list) or not isinstance(q["facts"], list):
        errors.append(f"{where}: gold and facts must be lists")
        return
    if ("unanswerable" in types) != (not gold):
        errors.append(f"{where}: unanswerable questions (and only they) must have gold: []")
    docs = _gold(where, gold, catalog, counts, result)
    result.total += 1
    result.by_language[str(language)] += 1
    result.by_type.update(str(t) for t in types)
    _semantics(where, q, types, docs, catalog, result)
    if facts and docs:
        _facts(where, q["facts"], gold, catalog, warnings)


def _gold(
    where: str, gold: list[Any], catalog: Catalog, counts: dict[str, int], result: CheckResult
) -> list[str]:
    docs: list[str] = []
    for item in gold:
        doc = item.get("doc") if isinstance(item, dict) else None
        pages = item.get("pages") if isinstance(item, dict) else None
        if doc not in catalog.entries:
            result.errors.append(f"{where}: gold doc {doc!r} is not in kb/catalog.yaml")
            continue
        if doc not in counts:
            continue  # already reported as missing from the library
        if not isinstance(pages, list) or not pages or not all(isinstance(p, int) for p in pages):
            result.errors.append(f"{where}: gold pages for {doc} must be a list of page numbers")
            continue
        bad = [p for p in pages if not 1 <= p <= counts[doc]]
        if bad:
            result.errors.append(f"{where}: {doc} has {counts[doc]} pages; no page {bad}")
        docs.append(str(doc))
        also = item.get("also", [])  # other pages stating the same answer: checked the same way
        if not isinstance(also, list):
            result.errors.append(f"{where}: `also` of {doc} must be a list of {{doc, pages}}")
            continue
        _gold(f"{where} (also of {doc})", also, catalog, counts, result)
    return docs


def _semantics(
    where: str,
    q: dict[str, Any],
    types: list[str],
    docs: list[str],
    catalog: Catalog,
    result: CheckResult,
) -> None:
    """Soft checks that the declared types match the gold (warnings only)."""
    warn = result.warnings.append
    languages = {catalog.entries[d].language for d in docs}
    if docs and ("cross-lingual" in types) != any(lang != q["language"] for lang in languages):
        warn(f"{where}: cross-lingual flag disagrees with gold language(s) {sorted(languages)}")
    if "multi-doc" in types and len(set(docs)) < 2:
        warn(f"{where}: multi-doc needs two gold documents")
    if "notes" in types and not any(d.endswith(".pptx") for d in docs):
        warn(f"{where}: notes questions should point at the .pptx")
    if "filter" in types and not q.get("filters"):
        warn(f"{where}: filter question without filters")
    if docs and not q["facts"]:
        warn(f"{where}: answerable question without facts")


def _facts(
    where: str, facts: list[Any], gold: list[dict[str, Any]], catalog: Catalog, warnings: list[str]
) -> None:
    texts: list[str] = []
    for item in gold:
        if item.get("doc") in catalog.entries:
            all_pages = page_texts(catalog.library / item["doc"])
            numbers = [p for p in item.get("pages", []) if 1 <= p <= len(all_pages)]
            texts.extend(all_pages[p - 1] for p in numbers)
    haystack = normalise(" ".join(texts))
    for fact in facts:
        if _CODE.search(str(fact)) and normalise(str(fact)) not in haystack:
            warnings.append(f"{where}: fact {fact!r} not found on its gold page(s)")


def _thresholds(result: CheckResult) -> None:
    errors = result.errors
    for language, least in MIN_PER_LANGUAGE.items():
        if result.by_language[language] < least:
            errors.append(f"questions in {language}: {result.by_language[language]} < {least}")
    if result.total < MIN_TOTAL:
        errors.append(f"questions: {result.total} < {MIN_TOTAL}")
    if result.by_type["unanswerable"] < MIN_UNANSWERABLE:
        found = result.by_type["unanswerable"]
        errors.append(f"unanswerable questions: {found} < {MIN_UNANSWERABLE}")
    non_english = result.total - result.by_language["en"]
    if result.by_type["cross-lingual"] * 2 < non_english:
        errors.append(
            f"cross-lingual questions: {result.by_type['cross-lingual']} < half of {non_english}"
            " non-English questions"
        )


def table(title: str, rows: Sequence[tuple[str, ...]]) -> str:
    """A plain-text table with a title line."""
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = ["  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)) for row in rows]
    return "\n".join([title, *lines, ""])


def report(result: CheckResult) -> str:
    """The tables: documents/pages per language and per kind, questions per language and type."""
    out = []
    for label, index in (("language", 0), ("kind", 1)):
        keys = sorted({key[index] for key in result.docs})
        rows = [(label, "documents", "pages")] + [
            (
                k,
                str(sum(n for key, n in result.docs.items() if key[index] == k)),
                str(sum(n for key, n in result.pages.items() if key[index] == k)),
            )
            for k in keys
        ]
        out.append(table(f"Library by {label}", rows))
    rows = [("language", "questions", "minimum")] + [
        (lang, str(result.by_language[lang]), str(MIN_PER_LANGUAGE.get(lang, 0)))
        for lang in LANGUAGES
    ]
    out.append(table(f"Questions by language (total {result.total})", rows))
    out.append(
        table(
            "Questions by type",
            [("type", "questions")] + [(t, str(result.by_type[t])) for t in TYPES],
        )
    )
    return "\n".join(out)


def main() -> int:
    """Print the tables, warnings and errors; exit 1 on any error."""
    result = check()
    lines = [report(result)] + [f"warning: {w}" for w in result.warnings]
    lines += [f"ERROR: {e}" for e in result.errors]
    lines.append(f"{len(result.errors)} error(s), {len(result.warnings)} warning(s)")
    sys.stdout.write("\n".join(lines) + "\n")
    return 1 if result.errors else 0


if __name__ == "__main__":
    sys.exit(main())
