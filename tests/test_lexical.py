"""Lexical matching (rag/lexical.py): British and American spellings meet, BM25 finds either."""

from __future__ import annotations

import pytest

from rag.lexical import Bm25, tokenize

PAIRS = [  # (how a question may spell it, how the document spells it)
    ("organisations", "organizations"),
    ("civilisations", "civilizations"),
    ("institutionalised", "institutionalized"),
    ("globalisation", "globalization"),
    ("analyse", "analyze"),
    ("centres", "centers"),
    ("millimetres", "millimeters"),
    ("neighbours", "neighbors"),
    ("Harbour", "Harbor"),
    ("dialogue", "dialog"),
    ("defence", "defense"),
    ("programme", "program"),
]


@pytest.mark.parametrize(("british", "american"), PAIRS)
def test_both_spellings_give_one_token(british, american):
    assert tokenize([british]) == tokenize([american]) != [[]]


@pytest.mark.parametrize(("british", "american"), PAIRS)
def test_bm25_finds_the_other_spelling(british, american):
    bm = Bm25.build(["Tax forms are due in April.", f"The {american} were praised.", "Rivers flow to the sea."])
    positions, scores = bm.top(british, 3)
    assert [int(p) for p in positions] == [1] and scores[0] > 0


@pytest.mark.parametrize("word", ["four", "hour", "our", "rise", "crisis", "water", "genre", "promise"])
def test_words_without_a_variant_still_match_themselves(word):
    bm = Bm25.build([f"A {word} here.", "Tax forms are due in April."])
    assert tokenize([word])[0]  # none of them is a stopword: each must find its own text
    assert [int(p) for p in bm.top(word, 2)[0]] == [0]
