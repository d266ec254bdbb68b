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
         "read_tps_p50": 90.0, "read_s_p50": 2.0, "write_tps_p50": 24.0}], "starts": [
        {"mode": "load", "start_s": 3.5, "first_s": 12.0, "second_s": 3.4},
        {"mode": "warm", "start_s": 12.2, "first_s": 3.5, "second_s": 3.3}]}
    text = report(summary)
    assert "| installed | AVX, AVX2 | 180 | 60.0 | 3.0 s | 20.0 | 1.00x |" in text
    assert "| /x | AVX2, AVX512 | 180 | 90.0 | 2.0 s | 24.0 | 1.50x |" in text
    assert "| load | 3.5 s | 12.0 s | 3.4 s |" in text and "| warm | 12.2 s | 3.5 s | 3.3 s |" in text


@pytest.mark.slow
def test_measures_the_installed_build(tmp_path):
    summary = run(["installed"], rounds=1, questions=2, out=tmp_path)
    build = summary["builds"][0]
    assert build["prompt_tokens_p50"] > 50 and build["read_tps_p50"] > 0 and build["write_tps_p50"] > 0
    assert json.loads((tmp_path / "llm_speed.json").read_text())["builds"][0]["build"] == "installed"
    assert "| installed |" in (tmp_path / "llm_speed.md").read_text()
    assert [s["mode"] for s in summary["starts"]] == ["load", "warm"]
    assert all(s["start_s"] > 0 and s["first_s"] > 0 and s["second_s"] > 0 for s in summary["starts"])
