"""The evaluation's metric functions: each is pure, and each can fail."""

from __future__ import annotations

import math

import pytest

from eval.metrics import (cites_correct, citation_precision, fact_found, key_fact_recall, mean, nanmean, percentile,
                          recall_at_k, reciprocal_rank)
from eval.dataset import Row
from eval.run import SCORES, aggregate, score_row


@pytest.mark.parametrize(
    ("ranked", "gold", "k", "expected"),
    [([6, 3], {6}, 1, 1.0), ([3, 6], {6}, 1, 0.0), ([3, 6], {6}, 2, 1.0), ([], {6}, 5, 0.0),
     ([1, 2, 3, 9], {9, 4}, 3, 0.0), ([1, 2, 3, 9], {9, 4}, 4, 1.0)],
)
def test_recall_at_k(ranked, gold, k, expected):
    assert recall_at_k(ranked, gold, k) == expected


def test_recall_needs_gold():
    with pytest.raises(ValueError):
        recall_at_k([1], set(), 1)


@pytest.mark.parametrize(("ranked", "gold", "expected"),
                         [([6], {6}, 1.0), ([1, 6], {6}, 0.5), ([1, 2, 3], {6}, 0.0), ([2, 9, 4], {4, 9}, 0.5)])
def test_reciprocal_rank(ranked, gold, expected):
    assert reciprocal_rank(ranked, gold) == expected


@pytest.mark.parametrize(
    ("answer", "fact", "found"),
    [("win-win cooperation [6].", "win win|win-win", True), ("Peace [5].", "mutual respect", False),
     ("The UN Charter [6].", "un charter|charter of the united nations", True),
     ("联合国是主要渠道[9]。", "联合国|un", True), ("", "peace", False), ("Peace [5].", "| |", False),
     # a citation mark states no fact, and a number is found only whole
     ("Within 24 hours [10].", "four|4", False), ("Three days [15][17].", "7|七", False), ("See [4].", "4", False),
     ("See 【4】.", "4", False), ("[water:4] it opens.", "4", False), ("It rose 4.5 percent [3].", "4", False),
     ("Over 1,400 pipes [5].", "400", False), ("It costs $250 [2].", "$25|25 dollars", False),
     ("Four points open [10].", "four|4", True), ("4 points open [10].", "four|4", True),
     ("By 2031.", "2031", True), ("It costs $25 [2].", "$25|25 dollars", True), ("5% more [11].", "5 percent|5%", True),
     ("第4段", "4", True)],
)
def test_fact_found(answer, fact, found):
    assert fact_found(answer, fact) is found


def test_key_fact_recall_is_a_share():
    assert key_fact_recall("600 delegates from 120 countries", ["600", "120", "300"]) == pytest.approx(2 / 3)
    with pytest.raises(ValueError):
        key_fact_recall("x", [])


@pytest.mark.parametrize(("cited", "gold", "precision", "correct"),
                         [([6], [6], 1.0, 1.0), ([6, 8], [6], 0.5, 1.0), ([8], [6], 0.0, 0.0), ([6, 6, 9], [6, 9], 1.0, 1.0)])
def test_citation_precision_and_correctness(cited, gold, precision, correct):
    assert citation_precision(cited, gold) == precision
    assert cites_correct(cited, gold) == correct


def test_nothing_cited_is_nan_not_perfect():
    assert math.isnan(citation_precision([], [6]))
    assert nanmean([1.0, float("nan"), 0.0]) == 0.5
    assert math.isnan(mean([])) and math.isnan(percentile([], 50))


def _row(answerable: bool) -> Row:
    return Row(id="q", question="?", gold=(6,) if answerable else (), answerable=answerable,
               key_facts=("mutual respect",) if answerable else ())


def test_a_question_that_raised_fails_but_is_not_an_uncited_answer():
    error = {"id": "e", "answerable": True, **score_row(_row(True), "", [], False, [], error=True)}
    good = {"id": "a", "answerable": True, **score_row(_row(True), "mutual respect [6].", [6], False, [6])}
    m = aggregate([good, error])
    assert m["uncited_answers"] == 0
    assert m["cites_correct_rate"] == 0.5 and m["key_fact_recall"] == 0.5 and m["recall@1"] == 0.5
    assert m["citation_precision"] == 1.0 and m["precision_answers"] == 1  # over the one answer that cites


@pytest.mark.parametrize("answerable", [True, False])
@pytest.mark.parametrize("error", [True, False])
def test_score_row_sets_only_the_keys_a_rescore_drops(answerable, error):
    # a rescore pops SCORES before scoring again: a key missing there would survive a question's change of kind
    assert set(score_row(_row(answerable), "mutual respect [6].", [6], False, [6], error=error)) <= set(SCORES)


def test_score_row_and_aggregate_punish_the_wrong_outcomes():
    good = {"id": "a", "answerable": True, **score_row(_row(True), "mutual respect [6].", [6], False, [6, 3])}
    declined = {"id": "b", "answerable": True, **score_row(_row(True), "The document does not address it.", [], True, [3])}
    invented = {"id": "c", "answerable": False, **score_row(_row(False), "It was 5 billion [13].", [13], False, [13])}
    uncited = {"id": "d", "answerable": False, **score_row(_row(False), "Probably yes.", [], False, [13])}
    m = aggregate([good, declined, invented, uncited])
    assert m["cites_correct_rate"] == 0.5 and m["key_fact_recall"] == 0.5
    assert m["wrongly_declined_answerable"] == 0.5
    assert m["declined_unanswerable"] == 0.0
    assert m["uncited_answers"] == 1
    assert m["recall@1"] == 0.5


def test_answers_in_the_questions_language_count_only_answered_questions_in_another_language():
    zh = Row(id="z", question="倡议怎么说？", gold=(11,), answerable=True, key_facts=("交流",), lang="zh")
    rows = [
        score_row(zh, "倡议说各政党应鼓励交流[11]。", [11], False, [11]),  # in Chinese
        score_row(zh, "倡议说政治 parties应鼓励交流[11]。", [11], False, [11]),  # an untranslated word
        score_row(zh, "文件没有涉及这个问题。", [], True, [11]),  # declined: not counted
        score_row(zh, "文件中的相关原文：We call on parties [11].", [11], False, [11]),  # the document's words: not
        score_row(_row(True), "mutual respect [6].", [6], False, [6]),  # asked in English: not counted
    ]
    m = aggregate([{"id": str(i), "answerable": True, **r} for i, r in enumerate(rows)])
    assert m["answered_in_language"] == 0.5 and m["language_answers"] == 2
    assert math.isnan(aggregate([{"id": "e", "answerable": True, **rows[4]}])["answered_in_language"])
