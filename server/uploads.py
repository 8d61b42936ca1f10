"""Uploaded files: checked by content, capped, stored under server-made names with their catalog rows."""

from __future__ import annotations

import hashlib
import io
import re
import threading
import uuid
import zipfile
import zlib
from collections.abc import Mapping, Sequence
from pathlib import Path, PurePosixPath
from typing import Any

import yaml
from pydantic import ValidationError

from kb.catalog import UPLOADS_CATALOG, CatalogEntry, load_catalog
from kb.errors import CatalogError, NotFoundError, UploadError

UPLOADS_DIR = "uploads"
# Accepted extensions and the suffix the stored file gets.
SUFFIXES = {
    ".pdf": ".pdf",
    ".pptx": ".pptx",
    ".docx": ".docx",
    ".html": ".html",
    ".htm": ".html",
    ".md": ".md",
    ".markdown": ".md",
    ".txt": ".txt",
}
OOXML = {
    ".pptx": ("presentationml.presentation.main+xml", "ppt/presentation.xml"),
    ".docx": ("wordprocessingml.document.main+xml", "word/document.xml"),
}
_SLIDE = re.compile(r"ppt/slides/slide\d+\.xml")
ZIP_RATIO = 20  # an OOXML file may unpack to at most this many times the upload cap


class UploadTooLargeError(UploadError):
    """An upload over the size, page or file-count limits."""

    status = 413


def label(name: str) -> str:
    """The client's file name as shown in messages: its last part, printable, at most 80 chars."""
    base = PurePosixPath(name.replace("\\", "/")).name
    return "".join(ch for ch in base if ch.isprintable())[:80] or "(unnamed file)"


def check_file(name: str, data: bytes, max_bytes: int, max_pages: int) -> str:
    """The suffix to store the file under, once its content matches its extension and limits."""
    shown = label(name)
    suffix = PurePosixPath(shown).suffix.lower()
    if suffix not in SUFFIXES:
        allowed = ", ".join(sorted(SUFFIXES))
        raise UploadError(f"{shown}: {suffix or 'no extension'} is not accepted; upload {allowed}")
    if len(data) > max_bytes:
        raise UploadTooLargeError(
            f"{shown}: {len(data) / 1e6:.1f} MB is over the {max_bytes / 1e6:.0f} MB limit"
        )
    if not data.strip():
        raise UploadError(f"{shown}: the file is empty")
    if suffix == ".pdf":
        pages = _pdf_pages(shown, data)
    elif suffix in OOXML:
        pages = _ooxml_pages(shown, suffix, data, max_bytes * ZIP_RATIO)
    else:
        pages = _text_pages(shown, data)
    if pages > max_pages:
        raise UploadTooLargeError(f"{shown}: {pages} pages is over the {max_pages}-page limit")
    return SUFFIXES[suffix]


def _pdf_pages(shown: str, data: bytes) -> int:
    import pypdfium2 as pdfium

    if b"%PDF-" not in data[:1024]:
        raise UploadError(f"{shown}: not a PDF (no %PDF- header); check the file")
    try:
        document = pdfium.PdfDocument(data)
    except pdfium.PdfiumError as exc:
        if "password" in str(exc).lower():
            raise UploadError(f"{shown}: encrypted PDF; upload an unlocked copy") from exc
        raise UploadError(f"{shown}: damaged PDF ({exc}); re-export it") from exc
    try:
        return len(document)
    finally:
        document.close()


def _ooxml_pages(shown: str, suffix: str, data: bytes, max_unpacked: int) -> int:
    kind, main = OOXML[suffix]
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = set(archive.namelist())
            if sum(info.file_size for info in archive.infolist()) > max_unpacked:
                raise UploadTooLargeError(f"{shown}: unpacks to more than the size limit allows")
            if "[Content_Types].xml" not in names or main not in names:
                raise UploadError(f"{shown}: not a {suffix[1:].upper()} file (no {main})")
            if kind not in archive.read("[Content_Types].xml").decode("utf-8", "replace"):
                raise UploadError(f"{shown}: the content is not a {suffix[1:].upper()} document")
            if suffix == ".pptx":
                return sum(1 for n in names if _SLIDE.fullmatch(n))
            return archive.read(main).count(b'w:type="page"') + 1
    except (zipfile.BadZipFile, zipfile.LargeZipFile) as exc:
        raise UploadError(f"{shown}: not a {suffix[1:].upper()} file (not a zip archive)") from exc
    except (zlib.error, EOFError, NotImplementedError, ValueError) as exc:  # a damaged archive
        raise UploadError(
            f"{shown}: damaged {suffix[1:].upper()} file ({exc}); re-save it"
        ) from exc


def _text_pages(shown: str, data: bytes) -> int:
    try:
        text = data.decode("utf-16") if data[:2] in (b"\xff\xfe", b"\xfe\xff") else data.decode()
    except UnicodeDecodeError as exc:
        raise UploadError(f"{shown}: not UTF-8 text; save it as UTF-8") from exc
    if "\x00" in text:
        raise UploadError(f"{shown}: binary content, not text")
    return text.count("\f") + 1


class Uploads:
    """Uploaded files in `<library>/uploads/`, their catalog rows in `catalog.uploads.yaml`."""

    _lock = threading.Lock()

    def __init__(self, root: Path, max_bytes: int, max_pages: int) -> None:
        self.root = root
        self.catalog_path = root / UPLOADS_CATALOG
        self.max_bytes = max_bytes
        self.max_pages = max_pages

    def folder(self) -> Path:
        """The library folder documents are read from (the catalog's `library:`)."""
        return load_catalog(self.root).library

    def save(self, files: Sequence[tuple[str, bytes]], fields: Mapping[str, Any]) -> list[str]:
        """Check every file, then store each with its catalog row; returns their document ids."""
        checked = [(n, d, check_file(n, d, self.max_bytes, self.max_pages)) for n, d in files]
        folder = self.folder() / UPLOADS_DIR
        rows, targets = [], []
        for name, data, suffix in checked:
            stored = hashlib.sha256(data).hexdigest()[:20] + suffix
            doc_id = f"{UPLOADS_DIR}/{stored}"
            rows.append(catalog_row(doc_id, name, fields))
            targets.append((folder / stored, data))
        with self._lock:
            self._write_rows(rows, remove=())
        folder.mkdir(parents=True, exist_ok=True)
        for path, data in targets:
            atomic_write(path, data)
        return [row["file"] for row in rows]

    def remove(self, doc_id: str) -> None:
        """Delete an uploaded file and its catalog row."""
        path = self.folder() / doc_id
        path.unlink(missing_ok=True)
        with self._lock:
            self._write_rows([], remove=(doc_id,))

    def _write_rows(self, rows: list[dict[str, Any]], remove: Sequence[str]) -> None:
        existing: list[dict[str, Any]] = []
        if self.catalog_path.is_file():
            data = yaml.safe_load(self.catalog_path.read_text(encoding="utf-8")) or {}
            existing = list(data.get("documents", []))
        replaced = {row["file"] for row in rows} | set(remove)
        kept = [row for row in existing if row.get("file") not in replaced]
        text = yaml.safe_dump({"documents": kept + rows}, allow_unicode=True, sort_keys=False)
        atomic_write(self.catalog_path, text.encode("utf-8"))


def catalog_row(doc_id: str, name: str, fields: Mapping[str, Any]) -> dict[str, Any]:
    """A validated uploads-catalog row; the title defaults to the client's file name."""
    values = {k: v for k, v in fields.items() if v not in (None, "", [], ())}
    values.setdefault("title", _title(name))
    try:
        entry = CatalogEntry.model_validate({**values, "file": doc_id})
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors()
        )
        raise CatalogError(f"{label(name)}: invalid catalog fields: {problems}") from exc
    return {"file": doc_id, **entry.model_dump(mode="json", exclude_defaults=True)}


def _title(name: str) -> str:
    stem = PurePosixPath(label(name)).stem
    words = " ".join(stem.replace("_", " ").replace("-", " ").split())
    return words[:200] or "Uploaded document"


def atomic_write(path: Path, data: bytes) -> None:
    """Write through a hidden temporary file in the same folder, then rename over the target."""
    temp = path.with_name(f".{uuid.uuid4().hex}.tmp")
    try:
        temp.write_bytes(data)
        temp.replace(path)  # atomic on POSIX (os.replace)
    finally:
        temp.unlink(missing_ok=True)


def stored_file(folder: Path, doc_id: str) -> Path:
    """The file of a document id inside the library folder (never outside it)."""
    path = (folder / doc_id).resolve()
    if not path.is_relative_to(folder.resolve()) or not path.is_file():
        raise NotFoundError(f"{doc_id}: the document's file is not in the library folder")
    return path
