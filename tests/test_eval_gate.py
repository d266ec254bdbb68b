"""Slow: the deterministic part of the grounding evaluation (real retrieval, the
extractive answerer, the whole chain with the deterministic fake model) must stay
within the floors committed in eval/thresholds.json."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from eval.retrieval import DATASETS
from eval.run import run

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parents[1]
THRESHOLDS = json.loads((ROOT / "eval" / "thresholds.json").read_text())
CASES = [(answerer, dataset) for answerer in ("extractive", "fake") for dataset in sorted(THRESHOLDS[f"answers_{answerer}"])]


# One question set's whole run: about 2-4 minutes on a 2-core AMD EPYC with AVX2 only, where e5 embeds at half
# the speed of the AVX-512 machine the project was first measured on; 300 s (pytest.ini) timed out there.
@pytest.mark.timeout(900)
@pytest.mark.parametrize("answerer, dataset", CASES)
def test_answers_stay_within_committed_thresholds(answerer, dataset, tmp_path, monkeypatch):
    monkeypatch.chdir(ROOT)
    corpus, questions = DATASETS[dataset]
    gate = THRESHOLDS[f"answers_{answerer}"][dataset]
    metrics = run(questions, tmp_path / "out", answerer=answerer, corpus=corpus, index=tmp_path / "index",
                  progress=False)
    assert metrics["errors"] == 0
    for key, floor in gate["min"].items():
        assert metrics[key] is not None, f"{dataset} {key}: nothing to measure it on"
        assert metrics[key] >= floor, f"{dataset} {key} = {metrics[key]:.3f} < {floor}"
    for key, ceiling in gate["max"].items():
        assert metrics[key] is not None, f"{dataset} {key}: nothing to measure it on"
        assert metrics[key] <= ceiling, f"{dataset} {key} = {metrics[key]} > {ceiling}"
    rows = [json.loads(line) for line in (tmp_path / "out" / "results.jsonl").read_text().splitlines()]
    assert len(rows) == metrics["questions"] and all("citations" in r and "refused" in r for r in rows)
