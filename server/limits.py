"""Request body limits for the API: 413 early from Content-Length, or as soon as the stream runs over."""

from __future__ import annotations

import json

from starlette.types import ASGIApp, Message, Receive, Scope, Send

JSON_LIMIT = 1_000_000  # bytes: every JSON route (questions, feedback) fits well within this
API_PREFIXES = ("/api/", "/v1/")  # the UI's own routes (Gradio) keep Gradio's limits


class BodyTooLarge(Exception):
    """Raised into the app when the body it is reading has gone over the limit."""


class BodyLimitMiddleware:
    """Caps request bodies on API routes; the upload route gets its own, larger cap."""

    def __init__(self, app: ASGIApp, upload_path: str, upload_limit: int, hint: str) -> None:
        self.app = app
        self.upload_path = upload_path
        self.upload_limit = upload_limit
        self.hint = hint

    def limit(self, scope: Scope) -> int | None:
        """The cap for this request, or None for routes outside the API."""
        path = str(scope.get("path", ""))
        if path == self.upload_path and scope.get("method") == "POST":
            return self.upload_limit
        return JSON_LIMIT if path.startswith(API_PREFIXES) else None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Pass the request on with a counting `receive`; answer 413 once it runs over."""
        limit = self.limit(scope) if scope["type"] == "http" else None
        if limit is None:
            await self.app(scope, receive, send)
            return
        length = dict(scope.get("headers") or []).get(b"content-length", b"")
        if length.isdigit() and int(length) > limit:
            await self._reject(send, limit)
            return
        state = {"received": 0, "over": False, "replaced": False}

        async def limited_receive() -> Message:
            message = await receive()
            if message["type"] == "http.request":
                state["received"] += len(message.get("body", b""))
                if state["received"] > limit:
                    state["over"] = True
                    raise BodyTooLarge
            return message

        async def guarded_send(message: Message) -> None:
            # Once over the limit, whatever the app answers (a parse error) becomes the 413.
            if state["over"] and message["type"] == "http.response.start":
                state["replaced"] = True
                await self._reject(send, limit)
            elif not state["replaced"]:
                await send(message)

        try:
            await self.app(scope, limited_receive, guarded_send)
        except BodyTooLarge:
            if not state["replaced"]:
                await self._reject(send, limit)

    async def _reject(self, send: Send, limit: int) -> None:
        message = f"the request body is over the {limit / 1e6:.1f} MB limit of this route"
        if limit != JSON_LIMIT:
            message += f"; {self.hint}"
        body = json.dumps({"error": "RequestTooLarge", "message": message}).encode()
        headers = [
            (b"content-type", b"application/json"),
            (b"content-length", str(len(body)).encode()),
        ]
        await send({"type": "http.response.start", "status": 413, "headers": headers})
        await send({"type": "http.response.body", "body": body})
