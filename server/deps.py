"""FastAPI dependencies: the service, the metrics, admin keys, filters from query parameters."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends, Query, Request, Security
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer

from kb.types import Filters
from server.metrics import Metrics
from server.schemas import ErrorOut
from server.service import Service

api_key_header = APIKeyHeader(
    name="X-API-Key", auto_error=False, description="An admin key from PORTWISE_SERVER__API_KEYS."
)
bearer = HTTPBearer(auto_error=False, description="The same admin key as a bearer token.")


def get_service(request: Request) -> Service:
    """The app's service (opened by the lifespan)."""
    service: Service = request.app.state.service
    return service


def get_metrics(request: Request) -> Metrics:
    """The app's Prometheus metrics."""
    metrics: Metrics = request.app.state.metrics
    return metrics


ServiceDep = Annotated[Service, Depends(get_service)]
MetricsDep = Annotated[Metrics, Depends(get_metrics)]


def require_admin(
    service: ServiceDep,
    key: Annotated[str | None, Security(api_key_header)],
    token: Annotated[HTTPAuthorizationCredentials | None, Security(bearer)],
) -> None:
    """Let the request through only with a configured admin key (header or bearer token)."""
    service.check_admin(key or (token.credentials if token else ""))


def filter_params(
    kind: Annotated[list[str], Query(description="Document kinds (repeat for several).")] = [],  # noqa: B006
    event: Annotated[list[str], Query(description="Courses, conferences, meetings.")] = [],  # noqa: B006
    language: Annotated[list[str], Query(description="Document languages.")] = [],  # noqa: B006
    topics: Annotated[list[str], Query(description="Topic slugs.")] = [],  # noqa: B006
    country: Annotated[list[str], Query(description="Countries.")] = [],  # noqa: B006
    audience: Annotated[list[str], Query(description="Intended audiences.")] = [],  # noqa: B006
    year_from: Annotated[int | None, Query(ge=1950, le=2100, description="Earliest year.")] = None,
    year_to: Annotated[int | None, Query(ge=1950, le=2100, description="Latest year.")] = None,
) -> Filters:
    """Catalog filters from query parameters."""
    return Filters(
        kind=tuple(kind),
        event=tuple(event),
        language=tuple(language),
        topics=tuple(topics),
        country=tuple(country),
        audience=tuple(audience),
        year_from=year_from,
        year_to=year_to,
    )


FiltersDep = Annotated[Filters, Depends(filter_params)]
AdminDep = Depends(require_admin)


def errors(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI error responses, all in the {"error", "message"} shape."""
    described = {
        401: "No API key was sent.",
        403: "The API key is wrong, or none is configured.",
        404: "The document, page or job does not exist.",
        413: "The upload is over the size, page or file-count limit.",
        415: "The file type is not accepted or its content does not match its extension.",
        422: "The request is invalid (the message says which field and why).",
        429: "Too many requests from this address; retry after `Retry-After` seconds.",
        503: "The service is not ready or busy.",
    }
    return {s: {"model": ErrorOut, "description": described[s]} for s in statuses}


# A route that can answer with server-sent events documents that media type beside its JSON.
SSE_DOC: dict[str, Any] = {"content": {"text/event-stream": {"schema": {"type": "string"}}}}
