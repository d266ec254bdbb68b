"""``python -m eval llm-speed``: the prompts it times are the app's answer prompts, and it runs end to end.

The speeds themselves are the committed report's business (eval/reports/llm_speed.md)."""

from __future__ import annotations

import json

import pytest

from eval.llm_speed import EVIDENCE_CHARS, _prompts, report, run
from rag.prompts import render


def test_prompts_are_the_answer_prompts_of_answerable_questions():
    prompts = _prompts(5)
    assert len(prompts) == 5
    for system, user in prompts:
        assert system == render("answer_system")
        assert user.startswith("Passages:\n[") and "\nQuestion: " in user
        passage = user.split("\n")[1]
        assert len(passage) <= EVIDENCE_CHARS + len("[16] ")


def test_report_compares_each_build_with_the_first():
    summary = {"rounds": 2, "questions": 3, "threads": 2, "builds": [
        {"build": "installed", "features": ["AVX", "AVX2", "OPENMP"], "prompt_tokens_p50": 180,
         "read_tps_p50": 60.0, "read_s_p50": 3.0, "write_tps_p50": 20.0},
        {"build": "/x", "features": ["AVX2", "AVX512"], "prompt_tokens_p50": 180,
         "read_tps_p50": 90.0, "read_s_p50": 2.0, "write_tps_p50": 24.0}]}
    text = report(summary)
    assert "| installed | AVX, AVX2 | 180 | 60.0 | 3.0 s | 20.0 | 1.00x |" in text
    assert "| /x | AVX2, AVX512 | 180 | 90.0 | 2.0 s | 24.0 | 1.50x |" in text


@pytest.mark.slow
def test_measures_the_installed_build(tmp_path):
    summary = run(["installed"], rounds=1, questions=2, out=tmp_path)
    build = summary["builds"][0]
    assert build["prompt_tokens_p50"] > 50 and build["read_tps_p50"] > 0 and build["write_tps_p50"] > 0
    assert json.loads((tmp_path / "llm_speed.json").read_text())["builds"][0]["build"] == "installed"
    assert "| installed |" in (tmp_path / "llm_speed.md").read_text()
