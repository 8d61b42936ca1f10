"""LLM backends behind one protocol: local llama.cpp (GGUF) or any OpenAI-compatible server."""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any, Protocol, TypedDict

from kb.errors import ConfigError, PortwiseError
from kb.settings import AnswerSettings

logger = logging.getLogger(__name__)


class Message(TypedDict):
    """One chat message."""

    role: str
    content: str


class LLMError(PortwiseError):
    """The LLM failed or timed out; callers fall back to the extractive answer."""

    status = 503


class LLM(Protocol):
    """What the answer pipeline needs from a language model."""

    name: str

    def complete(self, messages: Sequence[Message], max_tokens: int | None = None) -> str:
        """The whole reply to `messages` (at most `max_tokens`, default the backend's own)."""
        ...

    def stream(self, messages: Sequence[Message], max_tokens: int | None = None) -> Iterator[str]:
        """The reply to `messages`, piece by piece as it is generated."""
        ...


class StreamingLLM:
    """Base for backends that implement `stream`: `complete` joins the streamed pieces."""

    name = "llm"

    def complete(self, messages: Sequence[Message], max_tokens: int | None = None) -> str:
        """The whole reply to `messages`."""
        return "".join(self.stream(messages, max_tokens))

    def stream(  # pragma: no cover - abstract
        self, messages: Sequence[Message], max_tokens: int | None = None
    ) -> Iterator[str]:
        """The reply to `messages`, piece by piece."""
        raise NotImplementedError


class LlamaCppLLM(StreamingLLM):
    """A GGUF model run in-process by llama-cpp-python, with the chat template the GGUF carries."""

    name = "local"

    def __init__(
        self,
        model_path: str | Path,
        max_tokens: int = 160,
        timeout_s: float = 60.0,
        threads: int = 0,
        n_ctx: int = 2048,
        repeat_penalty: float = 1.0,
    ) -> None:
        self.model_path = Path(model_path)
        self.repeat_penalty = repeat_penalty
        self.max_tokens = max_tokens
        self.timeout_s = timeout_s
        self.threads = threads or (os.cpu_count() or 2)
        self.n_ctx = n_ctx
        self._llama: Any = None
        # One llama.cpp context serves one generation at a time: others queue here (up to the
        # timeout, after which the caller falls back to an extractive answer).
        self._busy = threading.Lock()

    def _model(self) -> Any:
        if self._llama is None:
            try:
                from llama_cpp import Llama
            except ImportError as exc:
                raise ConfigError(
                    "the local backend needs llama-cpp-python: pip install llama-cpp-python==0.3.36"
                ) from exc
            if not self.model_path.is_file():
                raise ConfigError(f"{self.model_path}: no such GGUF; run `portwise models`")
            self._llama = Llama(
                model_path=str(self.model_path),
                n_ctx=self.n_ctx,
                n_threads=self.threads,
                verbose=False,
            )
        return self._llama

    def stream(self, messages: Sequence[Message], max_tokens: int | None = None) -> Iterator[str]:
        """Tokens as llama.cpp generates them; LLMError once the timeout has passed."""
        began = time.perf_counter()
        if not self._busy.acquire(timeout=self.timeout_s):
            raise LLMError("the local LLM is busy with other questions")
        try:
            chunks = self._model().create_chat_completion(
                messages=list(messages),
                max_tokens=max_tokens or self.max_tokens,
                temperature=0.0,
                repeat_penalty=self.repeat_penalty,
                stream=True,
            )
            for chunk in chunks:
                piece = chunk["choices"][0]["delta"].get("content") or ""
                if piece:
                    yield piece
                if time.perf_counter() - began > self.timeout_s:
                    raise LLMError(f"the local LLM ran past its {self.timeout_s:.0f} s timeout")
        except ValueError as exc:  # llama-cpp-python's "Requested tokens (N) exceed context window"
            raise LLMError(f"the prompt does not fit the local LLM's context: {exc}") from exc
        finally:
            self._busy.release()


class OpenAILikeLLM(StreamingLLM):
    """Any OpenAI-compatible server, through llama-index's OpenAILike integration."""

    name = "openai"

    def __init__(self, settings: AnswerSettings) -> None:
        if not settings.base_url or not settings.model:
            raise ConfigError(
                "the openai backend needs PORTWISE_ANSWER__BASE_URL and PORTWISE_ANSWER__MODEL"
            )
        from llama_index.llms.openai_like import OpenAILike

        key = settings.api_key.get_secret_value() if settings.api_key else "none"
        self._llm = OpenAILike(
            model=settings.model,
            api_base=settings.base_url,
            api_key=key,
            is_chat_model=True,
            timeout=settings.timeout_s,
            max_tokens=settings.max_tokens,
            temperature=0.0,
            max_retries=0,
        )

    def stream(self, messages: Sequence[Message], max_tokens: int | None = None) -> Iterator[str]:
        """Deltas as the server streams them; transport errors become LLMError."""
        from llama_index.core.llms import ChatMessage
        from openai import OpenAIError

        chat = [ChatMessage(role=m["role"], content=m["content"]) for m in messages]
        try:
            limit = {"max_tokens": max_tokens} if max_tokens else {}
            for response in self._llm.stream_chat(chat, **limit):
                if response.delta:
                    yield response.delta
        except (OpenAIError, OSError) as exc:
            raise LLMError(f"the OpenAI-compatible server failed: {exc}") from exc


def make_llm(settings: AnswerSettings) -> LLM | None:
    """The configured LLM, or None for the extractive backend (or a local model not installed)."""
    if settings.backend == "extractive":
        return None
    if settings.backend == "openai":
        return OpenAILikeLLM(settings)
    from server.models import installed_model

    path = (
        Path(settings.model_path) if settings.model_path else installed_model(settings.models_dir)
    )
    if path is None or not path.is_file():
        logger.warning("local model not installed (run `portwise models`); answering extractively")
        return None
    return LlamaCppLLM(
        path,
        settings.max_tokens,
        settings.timeout_s,
        settings.threads,
        settings.context_tokens,
        settings.repeat_penalty,
    )
