"""The FastAPI application: routes, limits, CORS, metrics, errors at the edge, and the Gradio UI on `/`."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from http import HTTPStatus
from importlib.metadata import PackageNotFoundError, version

from fastapi import FastAPI, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.exceptions import RequestValidationError
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException

from kb.errors import PortwiseError
from kb.settings import Settings
from server import admin, api, openai_compat, ops
from server.limits import BodyLimitMiddleware
from server.metrics import Metrics, MetricsMiddleware
from server.ratelimit import RateLimitMiddleware, parse_rates
from server.service import Service

logger = logging.getLogger(__name__)
DESCRIPTION = (
    "Offline multilingual search and cited answers over port-training documents. "
    'Errors are `{"error": type, "message": text}`. Admin routes need `X-API-Key` '
    "or `Authorization: Bearer`."
)


def create_app(settings: Settings, ui: bool = True, service: Service | None = None) -> FastAPI:
    """The app over one service (opened and closed by the lifespan), with the UI mounted on `/`."""
    service = service or Service(settings)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        await run_in_threadpool(service.start)
        try:
            yield
        finally:
            await run_in_threadpool(service.close)

    app = FastAPI(
        title="Portwise API", version=_version(), description=DESCRIPTION, lifespan=lifespan
    )
    app.state.service = service
    app.state.metrics = metrics = Metrics(service.counts)
    for router in (api.router, admin.router, openai_compat.router, ops.router):
        app.include_router(router)
    _handle_errors(app)
    _add_middleware(app, settings, metrics)
    if ui:
        _mount_ui(app, service)
    return app


def _add_middleware(app: FastAPI, settings: Settings, metrics: Metrics) -> None:
    server = settings.server
    per_file = f"at most {server.max_upload_files} files of {server.max_upload_mb:g} MB each"
    upload_cap = int((server.max_upload_mb * server.max_upload_files + 1) * 1e6)
    app.add_middleware(
        BodyLimitMiddleware, upload_path="/api/v1/documents", upload_limit=upload_cap, hint=per_file
    )
    rates = parse_rates(server.rate_limit)
    if rates:  # inside CORS and metrics: a 429 carries CORS headers and is counted
        app.add_middleware(RateLimitMiddleware, rates=rates)
    if server.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=server.cors_origins,
            allow_methods=["GET", "POST", "DELETE"],
            allow_headers=["Authorization", "X-API-Key", "Content-Type", "Accept"],
        )
    app.add_middleware(MetricsMiddleware, metrics=metrics)


def _handle_errors(app: FastAPI) -> None:
    """Translate every error once, at the edge, into {"error": type, "message": text}."""

    @app.exception_handler(PortwiseError)
    async def portwise_error(_request: Request, exc: PortwiseError) -> JSONResponse:
        return _error(exc.status, type(exc).__name__, exc.message)

    @app.exception_handler(RequestValidationError)
    async def invalid(_request: Request, exc: RequestValidationError) -> JSONResponse:
        return _error(422, "ValidationError", validation_message(exc))

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, exc: HTTPException) -> JSONResponse:
        if exc.status_code == 400 and request.method in ("POST", "PUT", "PATCH"):
            # FastAPI and Starlette raise 400 only for a body they cannot parse: the same 422
            # as any other unreadable body, with a message that says what to send.
            return _error(422, "ValidationError", unreadable_body_message(exc))
        name = HTTPStatus(exc.status_code).phrase.replace(" ", "")
        headers = dict(exc.headers) if exc.headers else None
        return _error(exc.status_code, name, str(exc.detail), headers)

    @app.exception_handler(Exception)
    async def unexpected(request: Request, exc: Exception) -> JSONResponse:
        logger.exception("unexpected error on %s %s", request.method, request.url.path)
        message = f"unexpected {type(exc).__name__}; the server log has the details"
        return _error(500, "InternalError", message)


def _error(
    status: int, name: str, message: str, headers: dict[str, str] | None = None
) -> JSONResponse:
    return JSONResponse({"error": name, "message": message}, status_code=status, headers=headers)


def unreadable_body_message(exc: HTTPException) -> str:
    """Why a body could not be parsed: not UTF-8 JSON, or broken multipart (e.g. no boundary)."""
    if isinstance(exc.__cause__, UnicodeDecodeError):
        return "the body is not valid JSON: it is not UTF-8 text"
    return f"the body could not be read ({exc.detail}); send JSON, or multipart/form-data uploads"


def validation_message(exc: RequestValidationError) -> str:
    """One readable line per problem: `body.top_k: Input should be less than or equal to 50`."""
    lines = []
    for error in exc.errors():
        if error.get("type") == "json_invalid":
            reason = (error.get("ctx") or {}).get("error", "JSON decode error")
            at = error.get("loc", ("body", 0))[-1]
            lines.append(f"the body is not valid JSON: {reason} (at character {at})")
            continue
        where = ".".join(str(part) for part in error.get("loc", ()))
        lines.append(f"{where}: {error.get('msg', 'invalid')}")
    return "; ".join(lines) or "the request is invalid"


def _mount_ui(app: FastAPI, service: Service) -> None:
    try:
        import gradio

        from ui.app import build_ui
    except ImportError as exc:
        logger.warning("the web UI is not available (%s); serving the API only", exc)
        return
    gradio.mount_gradio_app(app, build_ui(service), path="/")


def _version() -> str:
    try:
        return version("portwise")
    except PackageNotFoundError:
        return "0.0.0"
