"""Evidence selection (rag/evidence.py): the most relevant sentences of the top
paragraphs, within a reading budget; a named paragraph whole."""

from __future__ import annotations

import pytest

from rag.embed import HashEmbedder
from rag.evidence import Evidence, select_evidence, sentence_relevance, widen, within_budget
from rag.records import Hit, Paragraph
from rag.support import SentenceScorer

P1 = Paragraph("d", 1, "Rivers flood in spring. The city builds levees along the river. Tax forms are due in April. "
                       "The levees are two metres high.", "1")
P2 = Paragraph("d", 2, "Flood warnings go out by text message. Parks close at dusk.", "2")
P3 = Paragraph("d", 3, "Libraries lend books for three weeks.", "3")
QUESTION = "What does the city build against river floods?"


@pytest.fixture
def scorer():
    return SentenceScorer(HashEmbedder(), None)


def hits(*paragraphs, pinned=()):
    return [Hit(p, 1.0 - i / 10, pinned=p.number in pinned) for i, p in enumerate(paragraphs)]


def chars(evidence):
    return sum(len(s) for e in evidence for s, _ in e.sentences)


@pytest.mark.parametrize("budget", [40, 80, 120, 200, None])
def test_the_budget_holds_and_the_best_sentence_is_always_there(scorer, budget):
    evidence = select_evidence(QUESTION, hits(P1, P2, P3), scorer, max_chars=budget)
    best = max(scorer.relevance(QUESTION, P1), key=lambda s: s[1])[0]
    assert evidence[0].label == "1" and best in [s for s, _ in evidence[0].sentences]
    assert budget is None or chars(evidence) <= max(budget, len(best))
    for e in evidence:  # document order within a paragraph, every sentence from it
        texts = [s for s, _ in e.sentences]
        assert all(t in e.paragraph.text for t in texts)
        assert sorted(texts, key=e.paragraph.text.index) == texts


def test_a_bigger_budget_adds_the_next_most_relevant_sentences(scorer):
    small = select_evidence(QUESTION, hits(P1, P2, P3), scorer, max_chars=60)
    large = select_evidence(QUESTION, hits(P1, P2, P3), scorer, max_chars=400)
    small_texts = {s for e in small for s, _ in e.sentences}
    large_texts = {s for e in large for s, _ in e.sentences}
    assert small_texts < large_texts


def test_a_named_paragraph_is_whole_and_outside_the_budget(scorer):
    question = "What does paragraph 1 say about flood warnings?"
    evidence = select_evidence(question, hits(P1, P2, pinned={1}), scorer, max_chars=30)
    assert evidence[0].pinned and evidence[0].text == " ".join(s for s, _ in scorer.relevance("x", P1))
    assert [e.label for e in evidence] == ["1", "2"] and chars(evidence[1:]) <= 30


@pytest.mark.parametrize("query, asked, pinned, labels", [
    ("What does paragraph 1 say?", None, {1}, ["1"]),                     # asks only what it says: it alone
    ("What is in the last paragraph?", None, {1}, ["1"]),                 # named by place
    ("Summarise paragraphs 1 and 3.", None, {1, 3}, ["1", "3"]),
    ("What does paragraph 1 say about flood warnings?", None, {1}, ["1", "2"]),  # asks something of it
    ("What do the texts say about floods? (paragraph 1)", "And the one before it?", {1}, ["1"]),  # the user's words
    ("What does paragraph 1 say?", "What does paragraph 1 say about flood warnings?", {1}, None),  # more than [1]
])
def test_a_question_that_asks_only_what_named_paragraphs_say_gets_them_alone(scorer, query, asked, pinned, labels):
    evidence = select_evidence(query, hits(P1, P2, P3, pinned=pinned), scorer, asked=asked, max_chars=None)
    if labels is None:
        assert evidence[0].label == "1" and len(evidence) > 1
    else:
        assert [e.label for e in evidence] == labels


def test_unnamed_paragraphs_stay_when_nothing_is_pinned(scorer):
    # "What does paragraph 42 say?" in a 16-paragraph document pins nothing: keeping only the pinned paragraphs
    # would leave no evidence, and the refusal names the closest ones
    evidence = select_evidence("What does paragraph 42 say?", hits(P1, P2), scorer, max_chars=None)
    assert evidence and evidence[0].label == "1" and not any(e.pinned for e in evidence)


def test_a_paragraph_left_without_a_sentence_is_dropped():
    ev = [Evidence(P1, [("Rivers flood in spring.", 0.9)], 1.0), Evidence(P2, [("Parks close at dusk.", 0.2)], 0.5)]
    assert [e.label for e in within_budget(ev, 25)] == ["1"]
    assert [e.label for e in within_budget(ev, 60)] == ["1", "2"]
    assert within_budget([], 10) == [] and within_budget(ev, None) is ev


FOLLOW_UP = "And how high?"
JOINED = f"What does the city build along the river against spring floods? {FOLLOW_UP}"  # as Asker.query_parts joins


def test_a_follow_up_s_sentences_are_chosen_by_what_it_asks_as_well_as_its_topic(scorer):
    """By the joined query alone the earlier question's topic leads (the levees' place, not their height);
    by the mean of it and the user's own words, what is asked now."""
    alone = select_evidence(JOINED, hits(P1, P2, P3), scorer, max_chars=40)
    asked = select_evidence(JOINED, hits(P1, P2, P3), scorer, max_chars=40, asked=FOLLOW_UP)
    assert alone[0].text == "The city builds levees along the river."
    assert asked[0].text == "The levees are two metres high."
    wider = widen(JOINED, asked, scorer, FOLLOW_UP)  # the second reading ranks its sentences the same way
    assert dict(wider[0].sentences) == dict(sentence_relevance(scorer, JOINED, P1, FOLLOW_UP))


@pytest.mark.parametrize("asked", [None, JOINED])
def test_a_question_that_borrows_nothing_is_scored_by_itself_alone(scorer, asked):
    assert sentence_relevance(scorer, JOINED, P1, asked) == scorer.relevance(JOINED, P1)


def test_a_follow_up_s_relevance_is_the_mean_of_both(scorer):
    joined, own = scorer.relevance(JOINED, P1), scorer.relevance(FOLLOW_UP, P1)
    blended = sentence_relevance(scorer, JOINED, P1, FOLLOW_UP)
    assert [s for s, _ in blended] == [s for s, _ in joined]
    assert [r for _, r in blended] == pytest.approx([(a + b) / 2 for (_, a), (_, b) in zip(joined, own)])
