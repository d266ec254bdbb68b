"""Support scores: numbers are facts, paragraph references are not, words must be there."""

from __future__ import annotations

import pytest

from rag.embed import HashEmbedder
from rag.records import Paragraph
from rag.support import SentenceScorer

P1 = Paragraph("d", 1, "We, the over 600 delegates from over 120 countries, met in Beijing. "
                       "The meeting ran from 30th November to 3rd December 2017.", "1")


@pytest.fixture
def scorer():
    return SentenceScorer(HashEmbedder(), None)


@pytest.mark.parametrize(
    ("claim", "supported"),
    [
        ("Over 600 delegates came from over 120 countries.", True),
        ("Over 700 delegates came from over 120 countries.", False),  # a number the text lacks
        ("Paragraph 9 says over 600 delegates met in Beijing.", True),  # "9" is a reference, not a fact
        ("第9段说超过600名代表。", False),  # Chinese, no multilingual embedder here: no lexical overlap either
        ("The delegates stayed in the Beijing International Hotel.", False),  # invented detail, shared words
    ],
    ids=["verbatim-facts", "wrong-number", "paragraph-ref-number", "zh-without-e5", "invented-detail"],
)
def test_support(scorer, claim, supported):
    score, quote = scorer.support(claim, P1)
    assert (score >= 0.65) is supported, score
    assert quote in P1.text


def test_best_supporting_sentence_is_returned(scorer):
    _, quote = scorer.support("The meeting ran until 3rd December 2017.", P1)
    assert quote == "The meeting ran from 30th November to 3rd December 2017."
