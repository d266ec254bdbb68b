"""``python -m eval bench`` end to end on a small synthetic corpus (the hash embedder builds and searches it in
seconds; the cold start loads the real 1.5B model, so the end-to-end test is marked slow).

The numbers are the committed report's business (eval/reports/bench.md); this
checks that the benchmark runs from a clean clone, reports what the issue asks
for, and that its own checks are real (re-indexing embeds nothing, search finds
the paragraph a query was drawn from)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from eval.bench import _queries, _verdict
from eval.synthetic import synthetic_document
from rag.ingest import parse_text

ROOT = Path(__file__).resolve().parents[1]
KEYS = {"paragraphs", "ingest_per_s", "embedder_per_s", "search_p50_ms", "search_p95_ms", "cold_start_s",
        "peak_rss_mb"}


def test_synthetic_corpus_is_deterministic_and_realistic():
    doc = parse_text(synthetic_document(400, seed=3), "s.txt")
    assert [p.number for p in doc.paragraphs] == list(range(1, 401))
    lengths = sorted(len(p.text) for p in doc.paragraphs)
    assert 400 < lengths[200] < 1200 and lengths[0] > 50  # around the real documents' paragraphs
    assert len({p.section for p in doc.paragraphs}) == 10
    assert synthetic_document(400, seed=3) != synthetic_document(400, seed=4)


def test_queries_come_from_their_paragraph():
    doc = parse_text(synthetic_document(50, seed=1), "s.txt")
    words = {p.number: set(p.text.replace(".", " ").split()) for p in doc.paragraphs}
    for query, number in _queries(doc.paragraphs, 30, seed=2):
        assert len(query.split()) == 6 and set(query.split()) <= words[number]


def test_verdicts():
    assert _verdict(90.0, 100.0) == "met" and _verdict(120.0, 100.0) == "**not met**"
    assert _verdict(None, 1.0) == "not measured" and _verdict(float("nan"), 1.0) == "not measured"


@pytest.mark.slow
@pytest.mark.integration
@pytest.mark.timeout(900)
def test_bench_end_to_end(tmp_path):
    run = subprocess.run(
        [sys.executable, "-m", "eval", "bench", "--paragraphs", "300", "--embedders", "hash", "--local", "0",
         "--json", "--out", str(tmp_path)],
        cwd=ROOT, capture_output=True, text=True, timeout=900,
    )
    assert run.returncode == 0, run.stderr[-2000:]
    summary = json.loads(run.stdout.strip().splitlines()[-1])
    assert KEYS <= set(summary) and summary["paragraphs"] == 300
    assert [r["paragraphs"] for r in summary["runs"]] == [16, 300]
    for r in summary["runs"]:
        assert r["reindex_embedded"] == 0 and r["overhead_ratio"] > 0.5
        assert r["self_recall_at_5"] >= 0.8, r  # BM25 alone finds a paragraph from six of its words
        assert 0 < r["search_p50_ms"] <= r["search_p95_ms"]
        assert r["cold_answerer"] == "local" and r["cold_start_s"] > 0 and r["peak_rss_mb"] > 500
        assert r["tutorial"]["chunks"] > 0
    report = (tmp_path / "bench.md").read_text()
    assert "| search p50 <= 100 ms |" in report and (tmp_path / "bench.png").stat().st_size > 1000
