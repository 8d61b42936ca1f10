"""Operations routes at the root: liveness, readiness and Prometheus metrics."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST

from server.deps import MetricsDep, ServiceDep
from server.schemas import Health

router = APIRouter(tags=["operations"])


@router.get("/healthz")
def healthz() -> Health:
    """The process is alive."""
    return Health(status="ok")


@router.get("/readyz", responses={503: {"model": Health, "description": "Not ready."}})
def readyz(service: ServiceDep) -> JSONResponse:
    """The embedder is loaded and the store answers; 503 with the failed checks otherwise."""
    problems = service.ready()
    health = Health(status="not ready" if problems else "ready", checks=problems)
    return JSONResponse(health.model_dump(), status_code=503 if problems else 200)


@router.get("/metrics", response_class=Response, responses={200: {"content": {"text/plain": {}}}})
def metrics(registry: MetricsDep) -> Response:
    """Prometheus metrics: requests and latency per route, search/ask latency, library size."""
    return Response(registry.render(), media_type=CONTENT_TYPE_LATEST)
