"""Project errors: user-fixable problems, each with an HTTP status and a message that says what to do."""

from __future__ import annotations


class PortwiseError(Exception):
    """Base for every expected, user-fixable problem; the edges (CLI, HTTP, UI) translate it once."""

    status: int = 400

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class DocumentReadError(PortwiseError):
    """A file could not be turned into pages (encrypted, damaged, no text, unsupported)."""

    status = 422


class CatalogError(PortwiseError):
    """The catalog file has invalid rows; the message lists each one."""

    status = 422


class ConfigError(PortwiseError):
    """Settings point at something missing or inconsistent (a model path, a store)."""

    status = 500


class StoreError(PortwiseError):
    """The vector store is unreachable or was built with another embedder."""

    status = 503


class NotFoundError(PortwiseError):
    """A document, page or job that does not exist."""

    status = 404


class AuthError(PortwiseError):
    """An admin action without a valid API key."""

    status = 401


class UploadError(PortwiseError):
    """An upload that cannot be accepted: wrong type, too large, too many pages."""

    status = 415
