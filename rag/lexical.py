"""Lexical retrieval: BM25 (the ``bm25s`` library) with Snowball stemming.

Built once at index time and saved beside the manifest, so a search never
rebuilds it; loading is a few memory-mapped arrays.

>>> bm = Bm25.build(["Peace and development.", "Tax forms are due in April."])
>>> [int(i) for i in bm.top("developing peacefully", 2)[0]]
[0]
"""

from __future__ import annotations

from pathlib import Path

import bm25s
import numpy as np
import Stemmer

_STEMMER = Stemmer.Stemmer("english")


def tokenize(texts: list[str]) -> list[list[str]]:
    return bm25s.tokenize(
        texts, stopwords="en", stemmer=_STEMMER.stemWords, return_ids=False, show_progress=False
    )


class Bm25:
    def __init__(self, retriever: bm25s.BM25, size: int) -> None:
        self._retriever = retriever
        self.size = size

    @classmethod
    def build(cls, texts: list[str]) -> Bm25:
        retriever = bm25s.BM25()
        retriever.index(tokenize(texts), show_progress=False)
        return cls(retriever, len(texts))

    def save(self, folder: Path) -> None:
        self._retriever.save(str(folder), show_progress=False)

    @classmethod
    def load(cls, folder: Path, size: int) -> Bm25:
        return cls(bm25s.BM25.load(str(folder), mmap=False, show_progress=False), size)

    def scores(self, query: str) -> np.ndarray:
        """BM25 score of every indexed text (positions as at build time)."""
        vocab = self._retriever.vocab_dict
        tokens = [t for t in tokenize([query])[0] if t in vocab]
        if not tokens:
            return np.zeros(self.size, dtype=np.float32)
        return np.asarray(self._retriever.get_scores(tokens), dtype=np.float32)

    def top(self, query: str, k: int) -> tuple[np.ndarray, np.ndarray]:
        """Positions and scores of the best ``k`` texts with a positive score."""
        scores = self.scores(query)
        k = min(k, len(scores))
        order = np.argpartition(-scores, k - 1)[:k] if k < len(scores) else np.arange(len(scores))
        order = order[np.argsort(-scores[order], kind="stable")]
        order = order[scores[order] > 0]
        return order, scores[order]
