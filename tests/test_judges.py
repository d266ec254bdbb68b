"""The judge-prompt comparison (eval/judges.py): ROC AUC and held-out thresholds on known numbers, and a
replay that asks every prompt exactly where the chain asks its judge."""

from __future__ import annotations

import pytest

from eval.judges import JUDGES, judge_run, matched_threshold, report, summarise
from rag.errors import RagError


def _judged(name: str, answerable: bool, library: float, shipped: float) -> dict:
    return {"set": name, "id": f"{name}-{library}", "answerable": answerable, "question": "?",
            "p_yes": {"shipped": shipped, "library": library}}


A = [_judged("a", True, 0.8, 0.9), _judged("a", True, 0.6, 0.85),
     _judged("a", False, 0.65, 0.7), _judged("a", False, 0.75, 0.8)]
B = [_judged("b", True, 0.72, 0.82), _judged("b", True, 0.5, 0.81), _judged("b", False, 0.4, 0.6)]


def test_the_matched_threshold_lets_through_no_more_unanswerable_questions_than_the_reference():
    # on set a the library prompt at 0.7 lets one of two unanswerable questions through (0.75); the shipped
    # prompt lets both through at 0.7, one at 0.8
    assert matched_threshold(A, "shipped") == 0.8
    assert matched_threshold(B, "shipped") == 0.81  # b's budget is none: above its unanswerable 0.6
    with pytest.raises(RagError, match="No unanswerable question"):
        matched_threshold([j for j in A if j["answerable"]], "shipped")


def test_each_set_is_scored_at_the_threshold_the_other_sets_pick():
    summary = summarise(A + B)
    shipped, library = summary["prompts"]["shipped"], summary["prompts"]["library"]
    assert shipped["auc"] == 1.0 and library["auc"] == pytest.approx(7 / 12)
    assert shipped["held_out"] == {"thresholds": {"a": 0.81, "b": 0.8}, "answerable": 4, "unanswerable": 0}
    # the reference itself, held out, is not its own 0.7: a's threshold comes from b (0.5), b's from a (0.75)
    assert library["held_out"] == {"thresholds": {"a": 0.5, "b": 0.75}, "answerable": 2, "unanswerable": 2}
    assert shipped["by_set"] == {"a": 1.0, "b": 1.0}
    text = report(summary)
    assert "| shipped | 1.000 | 4 of 4 | 0 of 3 | 0.800-0.810 |" in text
    assert "| library | 0.583 | 2 of 4 | 2 of 3 | 0.500-0.750 |" in text
    # the reference at 0.7: a's 0.8 and b's 0.72 answerable, a's 0.75 unanswerable
    assert "`library` at 0.7 itself (no threshold picked): 2 of 4 answerable let through, 1 of 3 unanswerable." in text


def test_nothing_judged_is_one_sentence():
    with pytest.raises(RagError, match="No question of the committed runs was judged"):
        summarise([])


def test_the_previous_judge_prompt_is_kept_to_compare_against():
    assert (JUDGES / "library.md").read_text().rstrip().endswith("Do the passages answer the question? Reply Yes or No.")


@pytest.mark.integration
def test_every_prompt_is_asked_where_the_chain_asks_its_judge_and_only_there(tmp_path, fake_run):
    run_dir = tmp_path / "run" / "local"
    fake_run([{"id": "q1", "question": "Why is peace compared to air and sunshine?", "gold_paragraphs": [5]},
              {"id": "q2", "question": "What is peace like, according to the text?", "gold_paragraphs": [5]}],
             run_dir, {"q1": {"draft": "NOT IN DOCUMENT"},  # the model declines: the judge is asked
                       "q2": {"draft": "Peace is like air and sunshine [5]."}})  # an answer that holds up: no judge
    [judged] = judge_run(run_dir, ["library"], progress=False)
    assert judged["id"] == "q1" and judged["set"] == "run" and judged["answerable"] is True
    assert set(judged["p_yes"]) == {"shipped", "library"}
    assert all(0.0 <= p <= 1.0 for p in judged["p_yes"].values())
