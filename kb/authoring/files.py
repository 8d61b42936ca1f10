"""File helpers: deterministic ZIP containers (PPTX/DOCX) and the fixed date they carry."""

from __future__ import annotations

import datetime as dt
import zipfile
from pathlib import Path
from typing import Any

FIXED_DATETIME = dt.datetime(2024, 1, 1, 0, 0, 0)
_ZIP_TIME = (2024, 1, 1, 0, 0, 0)


def normalise_zip(path: Path) -> None:
    """Rewrite a ZIP with fixed timestamps and order so the same content gives the same bytes."""
    with zipfile.ZipFile(path) as archive:
        items = [(info.filename, archive.read(info)) for info in archive.infolist()]
    first = [item for item in items if item[0] == "[Content_Types].xml"]
    rest = sorted(item for item in items if item[0] != "[Content_Types].xml")
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, data in first + rest:
            info = zipfile.ZipInfo(name, date_time=_ZIP_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            archive.writestr(info, data)


def set_core_properties(props: Any, entry: Any) -> None:
    """Title, authors, topics and fixed dates on a DOCX or PPTX (both libraries share the fields)."""
    props.title, props.author = entry.title, "; ".join(entry.authors)
    props.subject = "Sample content written for the Portwise demo library"
    props.keywords = ", ".join(entry.topics)
    props.language, props.last_modified_by, props.revision = entry.language, "Portwise", 1
    props.created = props.modified = FIXED_DATETIME
