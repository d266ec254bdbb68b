"""The fusion-weights benchmark (eval/weights.py): the rankings it fuses again are the retriever's own,
and a weighting is scored on a set only when it was picked on the other sets."""

from __future__ import annotations

import json

import pytest

from eval.dataset import Row
from eval.weights import collect, leave_one_out, ranked, render, weightings

QUESTIONS = ["How many delegates attended the meeting in Beijing?", "Why is peace compared to air and sunshine?",
             "What does paragraph 9 say about the UN?", "Which agreement on climate should be implemented?",
             "How should political parties encourage mutual learning among civilizations?"]


@pytest.fixture
def beijing_retriever(beijing, make_settings, retriever_for):
    return retriever_for(make_settings(beijing))


def _collected(retriever):
    rows = [Row(id=f"q{i}", question=q, gold=(1,), answerable=True) for i, q in enumerate(QUESTIONS)]
    return collect(retriever, retriever.search, rows, lambda question: None)


@pytest.mark.integration
def test_the_rankings_fused_again_with_the_retrievers_own_weights_are_its_search_order(beijing_retriever):
    for question in _collected(beijing_retriever):
        hits = [h.paragraph.number for h in beijing_retriever.search(QUESTIONS[int(question["id"][1:])], k=10).hits]
        assert ranked(beijing_retriever, question, beijing_retriever.weights)[: len(hits)] == hits


@pytest.mark.integration
def test_a_named_paragraph_stays_first_and_a_zero_weight_leaves_a_retriever_out(beijing_retriever):
    questions = _collected(beijing_retriever)
    named = next(q for q in questions if q["pinned"])
    assert named["pinned"] == [9]
    assert ranked(beijing_retriever, named, {"bm25": 0.0, "hash": 1.0})[0] == 9
    for question in questions:
        if question["pinned"]:
            continue
        bm25_first = question["rankings"]["bm25"][0][0][1]
        hash_first = question["rankings"]["hash"][0][0][1]
        assert ranked(beijing_retriever, question, {"bm25": 1.0, "hash": 0.0})[0] == bm25_first
        assert ranked(beijing_retriever, question, {"bm25": 0.0, "hash": 1.0})[0] == hash_first


def _scores(*reciprocal_ranks: float) -> list[dict]:
    return [{"r1": float(rr == 1.0), "r3": float(rr >= 1 / 3), "r5": float(rr >= 0.2), "rr": rr}
            for rr in reciprocal_ranks]


def test_each_set_is_scored_with_the_weights_picked_on_the_other_sets():
    default, tuned_a, tuned_bc = (json.dumps(w) for w in ({"e5": 2.0}, {"e5": 1.0}, {"e5": 3.0}))
    scored = {
        default: {"a": _scores(0.5, 0.5), "b": _scores(0.5, 0.5), "c": _scores(0.5, 0.5)},
        tuned_a: {"a": _scores(1.0, 1.0), "b": _scores(0.2, 0.2), "c": _scores(0.2, 0.2)},
        tuned_bc: {"a": _scores(0.2, 0.2), "b": _scores(1.0, 1.0), "c": _scores(1.0, 0.5)},
    }
    out = leave_one_out(scored, default)
    assert out["a"]["best_here"]["weights"] == {"e5": 1.0} and out["a"]["best_here"]["mrr"] == 1.0
    # picked on b and c, where tuned_bc is best; on a it does worse than the default
    assert out["a"]["picked_on_others"]["weights"] == {"e5": 3.0} and out["a"]["picked_on_others"]["mrr"] == 0.2
    assert out["a"]["default"]["mrr"] == 0.5
    # b's pick, on a and c: MRR 0.5 (default), 0.6 (tuned_a), 0.475 (tuned_bc)
    assert out["b"]["picked_on_others"]["weights"] == {"e5": 1.0} and out["b"]["picked_on_others"]["mrr"] == 0.2
    # c's, on a and b: 0.5, 0.6, 0.6: of the tied, the first seen (the default first, then in the order given)
    assert out["c"]["picked_on_others"]["weights"] == {"e5": 1.0}


def test_a_tie_goes_to_the_default():
    default, other = json.dumps({"e5": 2.0}), json.dumps({"e5": 1.0})
    scored = {other: {"a": _scores(0.5), "b": _scores(0.5)}, default: {"a": _scores(0.5), "b": _scores(0.5)}}
    out = leave_one_out(scored, default)
    assert out["a"]["picked_on_others"]["weights"] == out["a"]["best_here"]["weights"] == {"e5": 2.0}


def test_the_grid_leaves_out_only_all_zero_weights():
    grid = weightings({"bm25": (0.0, 1.0), "minilm": (0.0, 1.0)})
    assert grid == [{"bm25": 0.0, "minilm": 1.0}, {"bm25": 1.0, "minilm": 0.0}, {"bm25": 1.0, "minilm": 1.0}]


def test_the_report_names_each_sets_pick_and_its_held_out_score():
    summary = {"recall@1": 0.8, "recall@3": 0.9, "recall@5": 1.0, "mrr": 0.85}
    results = {"default": {"bm25": 1.0, "e5": 2.0}, "grid": {"bm25": (0.0, 1.0), "e5": (1.0, 2.0)},
               "datasets": {"water": {"default": summary,
                                      "best_here": {"weights": {"bm25": 0.0, "e5": 1.0}, **summary, "mrr": 0.9},
                                      "picked_on_others": {"weights": {"bm25": 1.0, "e5": 1.0}, **summary,
                                                           "mrr": 0.8}}},
               "pooled": {"default": summary, "best_in_sample": {"weights": {"bm25": 0.0, "e5": 1.0}, **summary},
                          "held_out_picks": summary}}
    text = render(results)
    assert "| water | 0.800 | 0.900 | 0.850 | 0.800 | 0.900 | 0.900 | bm25 0, e5 1 | 0.800 | 0.900 | 0.800 | bm25 1, e5 1 |" \
        in text
    assert "Default weights: bm25 1, e5 2." in text
