"""Support scores: numbers are facts, paragraph references are not, words must be there."""

from __future__ import annotations

import numpy as np
import pytest

from rag.embed import HashEmbedder
from rag.chunk import split_sentences
from rag.records import Paragraph
from rag.support import SentenceScorer, restates

P1 = Paragraph("d", 1, "We, the over 600 delegates from over 120 countries, met in Beijing at 9.30 am. "
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
        ("Over 600 delegates from over 120 countries met in Beijing at 9:30 am.", True),  # 9.30 am in the text
        ("Over 600 delegates from over 120 countries met in Beijing at 9:45 am.", False),
        ("Over 600 delegates from over 120 countries met in Beijing at 09.30.", True),  # the same time, no "am"
    ],
    ids=["verbatim-facts", "wrong-number", "paragraph-ref-number", "zh-without-e5", "invented-detail",
         "a-time-written-another-way", "another-time", "a-time-without-am"],
)
def test_support(scorer, claim, supported):
    score, quote = scorer.support(claim, P1)
    assert (score >= 0.65) is supported, score
    assert quote in P1.text


P17 = Paragraph("d", 17, "Complaints can be made by phone or online. If the RWA misses an agreed appointment, "
                         "the customer's account is credited with $30. A rebate of up to $150 is offered on a "
                         "water-efficient washing machine.", "17")


@pytest.mark.parametrize(
    ("claim", "supported"),
    [
        # half its words, and the sentence states its number: the number ties the claim to it
        ("If a technician doesn't show up for an agreed visit, the customer's account is credited with $30.", True),
        # the same words without the number: half the words alone are not enough
        ("If a technician doesn't show up for an agreed visit, the customer's account is credited.", False),
        # the number is in the paragraph, but in a sentence that says something else
        ("The lowest block of the water bill costs $150.", False),
        # both numbers must be in the one sentence
        ("A technician who misses an agreed appointment costs the utility $150, credited as $30.", False),
    ],
    ids=["number-anchored", "same-words-no-number", "number-elsewhere", "numbers-split"],
)
def test_a_sentence_stating_the_claims_numbers_needs_fewer_of_its_words(scorer, claim, supported):
    score, _ = scorer.support(claim, P17)
    assert (score >= 0.65) is supported, score


def test_a_shared_number_alone_earns_no_credit(scorer):
    # a translated Chinese claim must reach 0.3 (answer.TRANSLATED_SUPPORT_FLOOR); a year shared with a
    # sentence about something else must not lift it there
    p8 = Paragraph("d", 8, "Acoustic leak sensors will cover the whole network by 2026.", "8")
    claim = "All lead pipes get replaced in 2026."  # one word of six, the year, in that sentence
    score, _ = scorer.support(claim, p8)
    assert score < 0.3, score


class SameVector:
    """An embedder to which every text means the same: its similarity vouches for any claim, as a
    real one does for a claim on the right topic. What still fails, the similarity cannot rescue."""

    name = "same"

    def embed_documents(self, texts):
        return np.ones((len(texts), 4), np.float32) / 2

    def embed_query(self, text):
        return np.ones(4, np.float32) / 2


PRICE = Paragraph("d", 4, "Electric bicycles cost an extra 10p per minute, capped at £4 per hire.", "4")
FLEET = Paragraph("d", 1, "It offers 2,400 bicycles, of which 600 are electric, at 180 docking stations.", "1")
COMPLAINTS = Paragraph("d", 14, "Complaints are answered within 10 working days; the helpline is open 24 hours a day.", "14")
HELMET = Paragraph("d", 8, "Helmets are recommended but not required by law.", "8")
TERMS = Paragraph("d", 18, "These terms take effect on 1 April 2025.", "18")


@pytest.mark.parametrize(
    ("claim", "paragraph", "supported"),
    [
        ("Electric bicycles cost an extra 10p per minute.", PRICE, True),
        ("The top speed of the electric bicycles is 10 miles per hour.", PRICE, False),  # 10p is not 10
        ("An electric hire costs at most £4 extra.", PRICE, True),
        ("Yes, you have to wear a helmet.", HELMET, False),  # "not required": the similarity cannot see it
        ("No, you do not have to wear a helmet.", HELMET, True),  # negated as the text is
        ("这些条款自2025年4月1日起生效。", TERMS, True),  # 4月 is April
        ("这些条款自2025年5月1日起生效。", TERMS, False),
        ("There are 180 docking stations.", FLEET, True),
        ("An electric bicycle can ride 180 km on a full charge.", FLEET, False),  # 180 counts stations
        ("电动自行车充满电能骑180公里。", FLEET, False),
        ("Complaints are answered within 10 days.", COMPLAINTS, True),  # "10 working days": still days
        ("Complaints are answered within 10 hours.", COMPLAINTS, False),
        ("The helpline is open 24 hours a day.", COMPLAINTS, True),
        ("Complaints are answered within 10 seconds.", COMPLAINTS, False),
        ("There are 180 metres between docking stations.", FLEET, False),
        ("It offers 2,400 bicycles at 180 stations.", FLEET, True),
    ],
    ids=["glued-unit", "bare-number-vs-glued-unit", "currency", "negation-missed", "negation-kept", "zh-month",
         "zh-wrong-month", "a-count", "a-count-as-a-distance", "zh-a-count-as-a-distance", "unit-after-a-word",
         "another-unit", "same-unit", "seconds-are-a-unit", "a-count-as-a-length", "a-word-after-no-unit"],
)
def test_what_the_similarity_cannot_vouch_for(claim, paragraph, supported):
    score, _ = SentenceScorer(SameVector(), SameVector()).support(claim, paragraph)
    assert (score >= 0.65) is supported, score


@pytest.mark.parametrize("claim", ["The fee in 2021 was 9 euros.", "The fee in 2020 was 7 euros.",
                                   "The fee was 5 euros in 2019."])
def test_of_sentences_that_score_alike_the_one_with_the_claim_s_numbers_is_the_quote(scorer, claim):
    fees = Paragraph("d", 1, "The fee in 2019 was 5 euros. The fee in 2020 was 7 euros. The fee in 2021 was 9 euros.", "1")
    score, quote = scorer.support(claim, fees)
    year = next(y for y in ("2019", "2020", "2021") if y in claim)
    assert score >= 0.65 and year in quote and quote.split()[-2] in claim


def test_best_supporting_sentence_is_returned(scorer):
    _, quote = scorer.support("The meeting ran until 3rd December 2017.", P1)
    assert quote == "The meeting ran from 30th November to 3rd December 2017."


class _Recording(HashEmbedder):
    """The hash embedder, under another name, noting what it embeds as a query."""

    def __init__(self, name: str, multilingual: bool) -> None:
        super().__init__(dim=64)
        self.name, self.multilingual, self.queries = name, multilingual, []

    def embed_query(self, text):
        self.queries.append(text)
        return super().embed_query(text)


def test_evidence_is_ranked_by_the_multilingual_embedder_and_restatement_by_the_english_one():
    english, multilingual = _Recording("en", False), _Recording("ml", True)
    scorer = SentenceScorer(english, multilingual)
    ranked = scorer.relevance("When did the meeting run?", P1)
    assert multilingual.queries == ["When did the meeting run?"] and english.queries == []
    assert [s for s, _ in ranked] == [s for s, _ in scorer.similarity("When did the meeting run?", P1)]
    assert english.queries == ["When did the meeting run?"]  # English: restated by the English embedder
    assert all(0.0 <= r <= 1.0 for _, r in ranked)
    assert SentenceScorer(english, None).relevance("When?", P1) == SentenceScorer(english, None).similarity("When?", P1)


class _Counting(HashEmbedder):
    """The hash embedder, counting the sentences it embeds."""

    def __init__(self, multilingual: bool) -> None:
        super().__init__(dim=64)
        self.multilingual, self.embedded = multilingual, 0
        self.name = "ml" if multilingual else "en"

    def embed_documents(self, texts):
        self.embedded += len(texts)
        return super().embed_documents(texts)


def test_a_paragraph_of_thousands_of_sentences_embeds_only_those_closest_in_words():
    from rag.support import MAX_EMBEDDED_SENTENCES

    filler = [f"Item {n} of the inventory lists a crate of nails." for n in range(2000)]
    answer = "Bananas are stored in the cold room beside the harbour."
    long = Paragraph("d", 1, " ".join(filler[:1200] + [answer] + filler[1200:]), "1")
    english, multilingual = _Counting(False), _Counting(True)
    scorer = SentenceScorer(english, multilingual)
    assert len(scorer.relevance("Where are the bananas stored?", long)) == 2001
    assert multilingual.embedded == MAX_EMBEDDED_SENTENCES
    similar = scorer.similarity("Where are the bananas stored?", long)  # the hash embedder's cosines, unscaled
    assert max(similar, key=lambda c: c[1])[0] == answer  # the one sharing the question's words is among them
    assert english.embedded == MAX_EMBEDDED_SENTENCES
    score, quote = scorer.support("Bananas are stored in the cold room.", long)
    # the claim itself, and the sentences closest to its words that the question's did not bring in
    assert quote == answer and score >= 0.65 and english.embedded <= 2 * MAX_EMBEDDED_SENTENCES + 1
    short = SentenceScorer(english, _Counting(True))
    short.relevance("Where?", P1)
    assert short.multilingual.embedded == len(split_sentences(P1.text))  # a short paragraph: every sentence


@pytest.mark.parametrize(
    ("question", "claim", "restated"),
    [
        ("Does the city compensate customers when service falls short?",
         "Yes, the city compensates customers when service falls short.", True),
        ("Does the city compensate customers when service falls short?",
         "Yes, an account is credited with $30 when the RWA misses an appointment.", False),
        ("Were there side events alongside the main meeting?", "Yes.", True),  # says nothing at all
        ("What does the text say about climate change?", "The text says climate change continues to spread.", False),
        ("When does the charter come into force?", "On 1 July 2024.", False),  # a number is a fact
        ("低收入家庭的水费有优惠吗？", "是的，低收入家庭的水费有优惠。", True),
        ("低收入家庭的水费有优惠吗？", "低收入家庭可享受40%的优惠。", False),
        ("Which paragraph says that?", "Paragraph 12 says that.", False),  # the number is the answer
        ("Is peace seen as a precondition or a result of development?", "Peace is a precondition of development.",
         False),  # a choice: the answer picks the question's own words
    ],
    ids=["yes-plus-question", "yes-plus-fact", "bare-yes", "new-words", "date", "zh-restated", "zh-number",
         "paragraph-number", "choice-question"],
)
def test_restates(question, claim, restated):
    assert restates(question, claim) is restated
