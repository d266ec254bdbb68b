"""Slow: the default hybrid retriever with the real models on the project's own
question sets must stay above the thresholds committed in eval/thresholds.json."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from eval.dataset import load_rows
from eval.retrieval import DATASETS, SYSTEMS, _searcher, aggregate, score
from rag.pipeline import EmbedderPool
from rag.settings import Settings

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parents[1]
THRESHOLDS = json.loads((ROOT / "eval" / "thresholds.json").read_text())["retrieval"]


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
