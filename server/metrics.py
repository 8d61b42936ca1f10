"""Prometheus metrics: requests and latency per route, search and answer latency, library size."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from kb.errors import PortwiseError

SECONDS = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60)


class LibraryCollector(Collector):
    """Documents and chunks in the store, read at scrape time."""

    def __init__(self, counts: Callable[[], tuple[int, int]]) -> None:
        self.counts = counts

    def collect(self) -> Iterator[GaugeMetricFamily]:
        """The two gauges (nothing while the service is not started)."""
        try:
            documents, chunks = self.counts()
        except PortwiseError:
            return
        yield GaugeMetricFamily("portwise_documents", "Indexed documents.", value=documents)
        yield GaugeMetricFamily("portwise_chunks", "Indexed chunks.", value=chunks)


class Metrics:
    """One registry per app, so several apps (tests) never share counters."""

    def __init__(self, counts: Callable[[], tuple[int, int]]) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "portwise_http_requests",
            "HTTP requests by method, route template and status.",
            ["method", "route", "status"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "portwise_http_request_duration_seconds",
            "HTTP request latency by method and route template.",
            ["method", "route"],
            buckets=SECONDS,
            registry=self.registry,
        )
        self.search = Histogram(
            "portwise_search_duration_seconds",
            "Hybrid search latency.",
            buckets=SECONDS,
            registry=self.registry,
        )
        self.ask = Histogram(
            "portwise_ask_duration_seconds",
            "Time to a verified answer, by mode (json, sse, openai).",
            ["mode"],
            buckets=SECONDS,
            registry=self.registry,
        )
        self.registry.register(LibraryCollector(counts))

    def render(self) -> bytes:
        """The text exposition format."""
        return generate_latest(self.registry)


class MetricsMiddleware:
    """Pure ASGI middleware: counts every HTTP request by its route template (never the raw path)."""

    def __init__(self, app: ASGIApp, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Time the request and count it under its route template and status."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        began = time.perf_counter()
        status = [500]

        async def send_status(message: Message) -> None:
            if message["type"] == "http.response.start":
                status[0] = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, send_status)
        finally:
            route = _route(scope)
            method = str(scope.get("method", ""))
            self.metrics.requests.labels(method, route, str(status[0])).inc()
            self.metrics.latency.labels(method, route).observe(time.perf_counter() - began)


def _route(scope: Scope) -> str:
    route: Any = scope.get("route")
    path = getattr(route, "path", None)
    return str(path) if path is not None else "unmatched"
