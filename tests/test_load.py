"""The bounded load test (``python -m eval load``): its checks can fail, and the app passes them."""

from __future__ import annotations

from pathlib import Path

import pytest

from eval.dataset import load_rows
from eval.load import DATASET, pick, run, summarize, well_formed
from rag.settings import Settings

ROOT = Path(__file__).resolve().parents[1]


def _record(**overrides) -> dict:
    base = {"id": "q", "user": 0, "latency_s": 0.1, "error": None, "refused": False, "cited": [6], "fallback": None,
            "well_formed": True, "same_as_serial": True, "serial_fallback": None, "agrees_with_gold": True}
    return {**base, **overrides}


@pytest.mark.parametrize("result, ok", [
    ({"answer": "Win-win cooperation [6].", "refused": False, "citations": [{"number": 6}]}, True),
    ({"answer": "The document does not address this.", "refused": True, "citations": []}, True),
    ({"answer": "Win-win cooperation [6]. And more.", "refused": False, "citations": [{"number": 6}]}, False),
    ({"answer": "Win-win cooperation.", "refused": False, "citations": []}, False),
    ({"answer": "", "refused": True, "citations": []}, False),
    ({"error": "TimeoutError", "answer": "", "refused": True, "citations": []}, False),
], ids=["cited", "declined", "one-sentence-uncited", "no-citation", "empty-decline", "error"])
def test_well_formed(result, ok):
    assert well_formed(result) is ok


@pytest.mark.parametrize("bad", [
    {"error": "ConnectionError: refused"},
    {"well_formed": False},
    {"same_as_serial": False},
], ids=["error", "malformed", "changed-by-load"])
def test_one_bad_answer_fails_the_run(bad):
    assert summarize("extractive", 8, [_record(), _record()], 1.0)["passed"] is True
    assert summarize("extractive", 8, [_record(), _record(**bad)], 1.0)["passed"] is False


def test_a_fallback_caused_by_load_is_counted_not_compared():
    busy = _record(fallback="timeout: no first token within 20 s", same_as_serial=False)
    summary = summarize("local", 8, [_record(), busy], 1.0)
    assert summary["passed"] and summary["fallbacks_under_load"] == 1 and summary["compared_with_serial"] == 1


def test_a_run_where_every_answer_fell_back_under_load_has_shown_nothing_and_fails():
    busy = _record(fallback="timeout: no first token within 20 s", same_as_serial=False)
    summary = summarize("local", 8, [busy, busy], 1.0)
    assert summary["compared_with_serial"] == 0 and summary["passed"] is False


def test_pick_spreads_over_the_set_deterministically():
    rows = load_rows(DATASET)
    chosen = pick(rows, 20)
    assert chosen == pick(rows, 20) and len({r.id for r in chosen}) == 20
    assert {r.kind for r in chosen} >= {"single-turn", "multi-turn", "zh"}
    assert any(not r.answerable for r in chosen)
    assert len(pick(rows, 300)) == 300


@pytest.mark.integration
def test_eight_users_one_hundred_questions_extractive(tmp_path):
    settings = Settings(corpus=ROOT / "corpus", index_dir=tmp_path / "index", embedders=("hash",),
                        answerer="extractive")
    [summary] = run(100, 0, 8, tmp_path / "report", settings=settings)
    assert summary["questions"] == 100 and summary["errors"] == 0 and summary["malformed"] == 0
    assert summary["same_as_serial"] == summary["compared_with_serial"] == 100
    assert summary["passed"] and len({r["user"] for r in summary["records"]}) > 1
    assert "| extractive | 8 | 100 | 0 | 0 |" in (tmp_path / "report" / "load.md").read_text()


@pytest.mark.slow
@pytest.mark.integration
@pytest.mark.timeout(1200)  # 20 answers alone, then 20 under load, one model: minutes, not seconds
def test_eight_users_twenty_questions_embedded_model(tmp_path):
    settings = Settings(corpus=ROOT / "corpus", index_dir=tmp_path / "index", answerer="extractive")
    [summary] = run(0, 20, 8, None, settings=settings)
    assert summary["questions"] == 20 and summary["errors"] == 0 and summary["malformed"] == 0
    assert summary["passed"], [r for r in summary["records"] if not r["same_as_serial"]]
