"""Slow: the default hybrid retriever with the real models on the project's own
question sets must stay above the thresholds committed in eval/thresholds.json."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from eval.dataset import load_rows
from eval.retrieval import BY_NAME, DATASETS, SYSTEMS, _searcher, aggregate, by_name, score
from rag.pipeline import EmbedderPool
from rag.settings import Settings

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parents[1]
GATES = json.loads((ROOT / "eval" / "thresholds.json").read_text())
THRESHOLDS, BY_NAME_THRESHOLDS = GATES["retrieval"], GATES["retrieval_by_name"]


@pytest.fixture(scope="module")
def pool():
    return EmbedderPool(Settings())


@pytest.mark.parametrize("dataset", sorted(THRESHOLDS))
def test_default_retrieval_meets_committed_thresholds(dataset, pool, tmp_path, monkeypatch):
    monkeypatch.chdir(ROOT)
    corpus, questions = DATASETS[dataset]
    rows = [r for r in load_rows(questions) if r.answerable]
    hybrid = next(s for s in SYSTEMS if s.name == "hybrid")
    search, _, _ = _searcher(hybrid, corpus, tmp_path / "index", pool)
    got = aggregate(score(rows, search)["rows"])
    for metric, floor in THRESHOLDS[dataset].items():
        assert got[metric] >= floor, f"{dataset} {metric} = {got[metric]:.3f} < {floor}"


@pytest.mark.parametrize("dataset", sorted(BY_NAME_THRESHOLDS))
def test_questions_that_call_the_document_by_its_name_find_what_they_ask(dataset, pool, tmp_path, monkeypatch):
    """"What does the Beijing Initiative say about ...?": the set's own questions, so asked (eval.retrieval.by_name)."""
    monkeypatch.chdir(ROOT)
    corpus, questions = DATASETS[dataset]
    rows = by_name([r for r in load_rows(questions) if r.answerable], BY_NAME[dataset])
    hybrid = next(s for s in SYSTEMS if s.name == "hybrid")
    search, _, _ = _searcher(hybrid, corpus, tmp_path / "index", pool)
    got = aggregate(score(rows, search)["rows"])
    for metric, floor in BY_NAME_THRESHOLDS[dataset].items():
        assert got[metric] >= floor, f"{dataset} by its name: {metric} = {got[metric]:.3f} < {floor}"


def test_minilm_in_bfloat16_keeps_its_float32_vectors():
    """RAG_MINILM_BF16=true, on a CPU with bfloat16 arithmetic (rag.embed.native_bf16): the same vectors, faster."""
    import numpy as np

    from rag.embed import MiniLMEmbedder
    from rag.ingest import load_corpus

    texts = [p.text for d in load_corpus(ROOT / "corpus") for p in d.paragraphs]
    full = MiniLMEmbedder(bf16=False).embed_documents(texts)
    bf16 = MiniLMEmbedder(bf16=True)
    if not bf16.bf16:
        pytest.skip("this CPU has no bfloat16 arithmetic")
    half = bf16.embed_documents(texts)
    assert not np.array_equal(full, half)  # it did run in bfloat16
    assert float((full * half).sum(axis=1).min()) > 0.999
