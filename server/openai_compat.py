"""OpenAI-compatible routes (`/v1/chat/completions`, `/v1/models`): any OpenAI client gets cited answers.

The last user message is the question and earlier turns are the history. The content is the verified
answer with its [n] markers and a "Sources:" list; the top-level `citations` field carries the same
citations structured. Streaming sends the role at once and the verified answer when it is ready:
unverified LLM tokens are never sent, since a client cannot take back what it has shown.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterator
from typing import Annotated, Any, Literal

from fastapi import APIRouter
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, ConfigDict, Field

from kb.errors import PortwiseError
from kb.types import Answer, Done, Event
from server import payloads
from server.deps import SSE_DOC, MetricsDep, ServiceDep, errors
from server.schemas import CitationOut

router = APIRouter(prefix="/v1", tags=["openai-compatible"])
MODEL = "portwise"
PIECE = 24  # characters per streamed content delta


class ContentPart(BaseModel):
    """One part of a multi-part message; only text parts are read."""

    model_config = ConfigDict(extra="allow")

    type: str
    text: str = ""


class ChatMessage(BaseModel):
    """A chat message as OpenAI clients send it."""

    model_config = ConfigDict(extra="allow")

    role: Literal["system", "developer", "user", "assistant", "tool"]
    content: str | list[ContentPart] | None = None

    def text(self) -> str:
        """The message's text (text parts joined)."""
        if isinstance(self.content, list):
            return "\n".join(p.text for p in self.content if p.type == "text")
        return self.content or ""


class ChatRequest(BaseModel):
    """An OpenAI chat completion request; sampling options are accepted and ignored."""

    model_config = ConfigDict(
        extra="allow",
        json_schema_extra={
            "examples": [
                {"model": MODEL, "messages": [{"role": "user", "content": "What is TEU?"}]}
            ]
        },
    )

    model: str = MODEL
    messages: Annotated[list[ChatMessage], Field(min_length=1, max_length=40)]
    stream: bool = False


class AssistantMessage(BaseModel):
    """The answer message."""

    role: Literal["assistant"] = "assistant"
    content: str


class Choice(BaseModel):
    """The one choice Portwise returns."""

    index: int = 0
    message: AssistantMessage
    finish_reason: Literal["stop"] = "stop"
    logprobs: None = None


class ChatCompletion(BaseModel):
    """OpenAI's `chat.completion` object, plus `citations`."""

    id: str
    object: Literal["chat.completion"] = "chat.completion"
    created: int
    model: str = MODEL
    choices: list[Choice]
    citations: list[CitationOut] = Field(description="The answer's citations, structured.")


class ModelCard(BaseModel):
    """One model."""

    id: str = MODEL
    object: Literal["model"] = "model"
    created: int = 0
    owned_by: str = "portwise"


class ModelList(BaseModel):
    """The models this server answers as."""

    object: Literal["list"] = "list"
    data: list[ModelCard]


@router.get("/models")
def models() -> ModelList:
    """The one model, `portwise`."""
    return ModelList(data=[ModelCard()])


@router.post("/chat/completions", responses={200: SSE_DOC, **errors(422, 429, 503)})
def chat_completions(body: ChatRequest, service: ServiceDep, metrics: MetricsDep) -> Any:
    """Answer the last user message from the library, with citations (stream or not)."""
    question, history = conversation(body.messages)
    began = time.perf_counter()
    completion_id, created = f"chatcmpl-{uuid.uuid4().hex}", int(time.time())
    if not body.stream:
        answer, _ = service.ask(question, history)
        metrics.ask.labels("openai").observe(time.perf_counter() - began)
        choice = Choice(message=AssistantMessage(content=content(answer)))
        citations = payloads.citations_out(answer)
        return ChatCompletion(
            id=completion_id, created=created, choices=[choice], citations=citations
        )
    events = service.stream(question, history)
    next(events)  # retrieval runs here, so its errors are plain HTTP errors

    def chunks() -> Iterator[str]:
        yield from stream_chunks(completion_id, created, events)
        metrics.ask.labels("openai").observe(time.perf_counter() - began)

    return StreamingResponse(chunks(), media_type="text/event-stream")


def conversation(messages: list[ChatMessage]) -> tuple[str, list[dict[str, str]]]:
    """The question (the last user message) and the user/assistant turns before it."""
    if messages[-1].role != "user" or not messages[-1].text().strip():
        raise ChatFormatError("the last message must be a user message with text (the question)")
    turns = [
        {"role": m.role, "content": m.text()}
        for m in messages[:-1]
        if m.role in ("user", "assistant")
    ]
    return messages[-1].text(), turns


class ChatFormatError(PortwiseError):
    """A chat request without a question to answer."""

    status = 422


def content(answer: Answer) -> str:
    """The answer text, then the cited pages (or, for a refusal, the closest documents)."""
    titles = {
        h.chunk.doc_id: str(h.chunk.meta.get("title") or h.chunk.doc_id) for h in answer.sources
    }
    if answer.citations:
        listed = dict.fromkeys((c.n, c.doc_id, c.page) for c in answer.citations)
        lines = [f"[{n}] {titles.get(doc, doc)} — {doc}, p. {page}" for n, doc, page in listed]
        return f"{answer.text}\n\nSources:\n" + "\n".join(lines)
    closest = dict.fromkeys((h.chunk.doc_id, h.chunk.page) for h in answer.sources)
    lines = [f"- {titles.get(doc, doc)} — {doc}, p. {page}" for doc, page in closest]
    return f"{answer.text}\n\nClosest documents:\n" + "\n".join(lines) if lines else answer.text


def stream_chunks(completion_id: str, created: int, events: Iterator[Event]) -> Iterator[str]:
    """`chat.completion.chunk` events: the role at once, the verified content, the stop, [DONE]."""
    base = {
        "id": completion_id,
        "object": "chat.completion.chunk",
        "created": created,
        "model": MODEL,
    }

    def chunk(delta: dict[str, str], finish: str | None = None, **extra: Any) -> str:
        choice = {"index": 0, "delta": delta, "finish_reason": finish, "logprobs": None}
        return f"data: {json.dumps({**base, 'choices': [choice], **extra}, ensure_ascii=False)}\n\n"

    yield chunk({"role": "assistant", "content": ""})
    done = [e for e in events if isinstance(e, Done)][-1]
    text = content(done.answer)
    for start in range(0, len(text), PIECE):
        yield chunk({"content": text[start : start + PIECE]})
    citations = [c.model_dump() for c in payloads.citations_out(done.answer)]
    yield chunk({}, "stop", citations=citations)
    yield "data: [DONE]\n\n"
