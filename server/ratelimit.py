"""Per-client rate limits on the public routes that cost compute: 429 with Retry-After once over.

Counted per client address (`scope["client"]`: behind a reverse proxy on this machine, uvicorn takes
it from `X-Forwarded-For`) in a moving window held in memory, so Retry-After is exact; each worker
counts its own clients.
"""

from __future__ import annotations

import json
import math
import time

from limits import RateLimitItem, parse_many
from limits.storage import MemoryStorage
from limits.strategies import MovingWindowRateLimiter
from starlette.types import ASGIApp, Receive, Scope, Send

from kb.errors import ConfigError

# Searching, answering and the one write anyone may make; reading the library stays unlimited.
LIMITED = frozenset({"/api/v1/search", "/api/v1/ask", "/api/v1/feedback", "/v1/chat/completions"})
LIMITED_PREFIX = "/api/v1/chunks/"  # more like this
NAMESPACE = "public"


def parse_rates(rate: str) -> list[RateLimitItem]:
    """The limits of a rate setting (`120/minute`, `10/second; 1000/hour`); none when blank."""
    if not rate.strip():
        return []
    try:
        return list(parse_many(rate))
    except ValueError as exc:
        raise ConfigError(
            f"PORTWISE_SERVER__RATE_LIMIT={rate!r} is not a rate; write it like '120/minute' "
            "(several joined by ';'), or leave it empty for no limit"
        ) from exc


class RateLimitMiddleware:
    """Answers 429 `TooManyRequests` to a client over any of the rates on the limited routes."""

    def __init__(self, app: ASGIApp, rates: list[RateLimitItem]) -> None:
        self.app = app
        self.rates = rates
        self.limiter = MovingWindowRateLimiter(MemoryStorage())

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Count the request against its client's budget; pass it on or answer 429."""
        path = str(scope.get("path", ""))
        limited = path in LIMITED or path.startswith(LIMITED_PREFIX)
        if scope["type"] != "http" or scope.get("method") == "OPTIONS" or not limited:
            await self.app(scope, receive, send)
            return
        client = scope.get("client")
        address = str(client[0]) if client else "unknown"
        over = [rate for rate in self.rates if not self.limiter.hit(rate, NAMESPACE, address)]
        if not over:
            await self.app(scope, receive, send)
            return
        reset = max(self.limiter.get_window_stats(r, NAMESPACE, address).reset_time for r in over)
        await _reject(send, over[0], max(1, math.ceil(reset - time.time())))


async def _reject(send: Send, rate: RateLimitItem, retry_after: int) -> None:
    message = (
        f"more than {rate} requests from your address to search, ask and chat; "
        f"try again in {retry_after} s"
    )
    body = json.dumps({"error": "TooManyRequests", "message": message}).encode()
    headers = [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(body)).encode()),
        (b"retry-after", str(retry_after).encode()),
    ]
    await send({"type": "http.response.start", "status": 429, "headers": headers})
    await send({"type": "http.response.body", "body": body})
