"""The OpenAI-compatible routes, driven by the real `openai` client library through TestClient."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.api_support import api_settings, assert_error, synced_client

QUESTION = "What is the berth occupancy ratio?"


@pytest.fixture(scope="module")
def client(
    tmp_path_factory: pytest.TempPathFactory, tiny: object, tiny_model_dir: Path
) -> Iterator[TestClient]:
    with synced_client(api_settings(tmp_path_factory.mktemp("openai"), tiny_model_dir)) as client:
        yield client


@pytest.fixture
def openai_client(client: TestClient) -> Any:
    import openai

    return openai.OpenAI(base_url="http://testserver/v1", api_key="unused", http_client=client)


def test_models_lists_portwise(openai_client: Any) -> None:
    assert [m.id for m in openai_client.models.list()] == ["portwise"]


def test_chat_completion_is_a_cited_answer(openai_client: Any) -> None:
    completion = openai_client.chat.completions.create(
        model="anything", messages=[{"role": "user", "content": QUESTION}]
    )
    assert completion.model == "portwise" and completion.object == "chat.completion"
    choice = completion.choices[0]
    assert choice.finish_reason == "stop" and choice.message.role == "assistant"
    content = choice.message.content
    citations = completion.model_extra["citations"]
    first = citations[0]
    assert first["quote"] and f"[{first['n']}]" in content
    assert "\n\nSources:\n[" in content and f"{first['doc_id']}, p. {first['page']}" in content


def test_streamed_chat_completion_has_openais_chunk_shape(openai_client: Any) -> None:
    stream = openai_client.chat.completions.create(
        model="portwise",
        messages=[
            {"role": "system", "content": "Be brief."},
            {"role": "user", "content": "Tell me about ships at anchor."},
            {"role": "assistant", "content": "Ships wait at anchor for a berth."},
            {"role": "user", "content": [{"type": "text", "text": QUESTION}]},
        ],
        stream=True,
    )
    chunks = list(stream)
    assert chunks[0].choices[0].delta.role == "assistant"
    assert all(c.object == "chat.completion.chunk" and c.model == "portwise" for c in chunks)
    assert len({c.id for c in chunks}) == 1
    text = "".join(c.choices[0].delta.content or "" for c in chunks)
    assert chunks[-1].choices[0].finish_reason == "stop"
    cited = chunks[-1].model_extra["citations"][0]
    assert f"[{cited['n']}]" in text and "\n\nSources:\n" in text and cited["doc_id"] in text


def test_a_chat_without_a_final_user_question_is_422(client: TestClient) -> None:
    body = {
        "messages": [{"role": "user", "content": QUESTION}, {"role": "assistant", "content": "?"}]
    }
    error = assert_error(client.post("/v1/chat/completions", json=body), 422, "ChatFormatError")
    assert "last message must be a user message" in error["message"]
    assert_error(client.post("/v1/chat/completions", json={"messages": []}), 422)
