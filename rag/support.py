"""Sentence-level relevance and support scores, shared by evidence selection
and citation verification.

``support(claim, paragraph)`` answers "does this paragraph say this?" with a
score in [0, 1] and the paragraph's sentence that best supports the claim:

- lexical coverage: the share of the claim's content words (stemmed) found in
  the best sentence, or the whole paragraph;
- semantic similarity of claim and sentence (MiniLM for English claims, the
  multilingual e5 for others), mapped so that only a close paraphrase scores high;
- numbers are facts: a number in the claim that the paragraph lacks makes the
  score 0, whatever the wording. A number the paragraph states only with a unit glued
  to it ("10p", "5km") is that quantity, not the bare number: it supports the claim's
  number only with the same unit ("10 miles per hour" is not in "10p per minute"); a
  Chinese date's month ("4月") is found by its English name. And a sentence that states every number of the
  claim (and half its words) is given ``NUMBER_ANCHOR_BONUS`` more lexical credit, since the numbers tie
  the claim to it ("If a technician doesn't show up, the account is credited with
  $30" against "If the RWA misses an agreed appointment, the customer's account is
  credited with $30");
- the embedders' similarity does not see negation ("you have to wear a helmet" is close to
  "helmets are recommended but not required"), and the stopword-free words do not either:
  when only one of an English claim and the sentence is negated, the semantic score does not
  count and the claim needs its words in the sentence (a claim in another language is checked
  so through its English translation, see ``answer._draft_support``);
- a sentence of the document that gives the assistant orders ("ignore your
  instructions and ...") is inert: it scores 0 for relevance and support, so an
  injected instruction can neither be picked as evidence nor vouch for an answer.

``restates(question, claim)`` tells an answer sentence that only repeats the
question ("Yes, the city compensates customers when service falls short") from
one that answers it: the document may well support the repetition, but it says
nothing.
"""

from __future__ import annotations

import re
import threading

import numpy as np

from .chunk import split_sentences
from .cite import NAMED_PARAGRAPHS
from .embed import Embedder
from .lexical import tokenize
from .records import Paragraph
from .refusal import commands_the_assistant
from .retrieve import mostly_latin
from .units import unit_of

_NUMBER = re.compile(r"\d+(?:[.,]\d+)*")
# A number with the letters glued after it, other than an ordinal or plural ending ("30th", "1990s").
_NUMBER_UNIT = re.compile(r"(\d+(?:[.,]\d+)*)((?:(?!(?:st|nd|rd|th|s)\b)[A-Za-z]+\d*)?)")
# Words that negate what a sentence states. "not" and "no" are BM25 stopwords, so the lexical
# coverage cannot tell "required" from "not required" either.
# "no fewer than 140" and "not only ... but also" negate nothing.
_NEGATION = re.compile(r"\b(?:not(?!\s+only\b)|no(?!\s+(?:fewer|more|less|later|earlier|longer)\s+than\b)|never|none|"
                       r"nor|neither|nothing|nobody|without|cannot)\b|n't\b", re.IGNORECASE)
_ANSWER_WORD = re.compile(r"^\W*(yes|no)\b[\s,.;:!—-]*", re.IGNORECASE)  # "No, ..." answers a question
# Cosines mapped onto [0, 1] so one threshold serves both: MiniLM cosine 0.85 (a close
# paraphrase) -> 1.0, 0.5 -> 0; e5 cosines crowd into a narrow band, 0.86 -> 1.0, 0.78 -> 0.
MINILM_FLOOR, MINILM_CEIL = 0.50, 0.85
E5_FLOOR, E5_CEIL = 0.78, 0.86
# e5 as the evidence ranker: a question and the sentence that answers it score 0.80-0.87, the
# rest of a relevant paragraph lower; the band is wider than for a paraphrase.
E5_RELEVANCE_FLOOR, E5_RELEVANCE_CEIL = 0.75, 0.90
# Lexical credit added for a sentence that states every number of the claim and at least half of
# its words: with the answer threshold of 0.65, half the words then suffice. Replayed over the 446
# stored model drafts of both eval sets, it passes 6 claims, all right (an answer's restatement of
# the question around a number it takes verbatim); the wrong ones that share a number with a
# sentence ("the lowest block costs $150", a rebate) cover under 0.4 of it. Below half, no credit:
# the translation check's lower floor (answer.TRANSLATED_SUPPORT_FLOOR) must not be passed on a
# shared year alone ("...更换完的时间是2026年" against the leak sensors' 2026).
NUMBER_ANCHOR_COVERAGE, NUMBER_ANCHOR_BONUS = 0.5, 0.15
# A paragraph of thousands of sentences (an archive's, a transcript's) had every sentence embedded the first
# time a question reached it: 46 s for 5,000 with e5 here. Past this many, only the sentences that share most
# words with the question (or claim) are embedded; the others score 0 by meaning (their words still count).
# No paragraph of the three eval documents comes near it.
MAX_EMBEDDED_SENTENCES = 128


class SentenceScorer:
    def __init__(self, english: Embedder | None, multilingual: Embedder | None) -> None:
        self.english = english
        self.multilingual = multilingual
        self._cache: dict[tuple, tuple[list[str], list[set[str]], dict[int, np.ndarray], np.ndarray]] = {}
        self._texts: dict[tuple[str, bool, str], np.ndarray] = {}  # queries and claims
        self._lock = threading.Lock()

    def _paragraph(self, p: Paragraph, embedder: Embedder | None, text: str
                   ) -> tuple[list[str], list[set[str]], np.ndarray | None, np.ndarray]:
        """A paragraph's sentences, their stemmed words and vectors, and which of them may
        count as evidence (1.0) or are inert orders to the assistant (0.0); each sentence embedded
        once per embedder. Of a paragraph longer than MAX_EMBEDDED_SENTENCES, only the sentences
        closest in words to ``text`` (the query or claim at hand) have vectors, the others zeros."""
        key = (embedder.name if embedder else None, p.key, p.text)  # the text too: an index rebuilt under us may change it
        with self._lock:
            cached = self._cache.get(key)
        if cached is None:
            sents = split_sentences(p.text) or [p.text]
            cached = (sents, [set(words) for words in tokenize(sents)], {},
                      np.array([0.0 if commands_the_assistant(s) else 1.0 for s in sents]))
            with self._lock:
                cached = self._cache.setdefault(key, cached)
        sents, words, known, usable = cached
        if embedder is None:
            return sents, words, None, usable
        wanted = list(range(len(sents)))
        if len(sents) > MAX_EMBEDDED_SENTENCES:
            asked = _content_words(text)
            wanted = sorted(wanted, key=lambda i: -_coverage(asked, words[i]))[:MAX_EMBEDDED_SENTENCES]
        missing = [i for i in wanted if i not in known]
        if missing:  # a short paragraph: all its sentences at once, the first time
            fresh = embedder.embed_documents([sents[i] for i in missing])
            with self._lock:
                known.update(zip(missing, fresh))
        chosen, zero = set(wanted), np.zeros_like(known[wanted[0]])
        return sents, words, np.stack([known[i] if i in chosen else zero for i in range(len(sents))]), usable

    def _embed(self, embedder: Embedder, text: str, as_query: bool) -> np.ndarray:
        """A query's or claim's vector, computed once: it is scored against several paragraphs."""
        key = (embedder.name, as_query, text)
        with self._lock:
            vector = self._texts.get(key)
        if vector is None:
            vector = embedder.embed_query(text) if as_query else embedder.embed_documents([text])[0]
            with self._lock:
                if len(self._texts) >= 256:
                    self._texts.clear()  # bounded; only the current question's texts matter
                self._texts[key] = vector
        return vector

    def _embedder_for(self, text: str) -> tuple[Embedder | None, bool]:
        if mostly_latin(text) and self.english is not None:
            return self.english, False
        if self.multilingual is not None:
            return self.multilingual, True
        return self.english, False

    def relevance(self, query: str, p: Paragraph) -> list[tuple[str, float]]:
        """Each sentence of ``p`` with its relevance to ``query`` in [0, 1], to pick evidence by: the
        multilingual e5 when it is loaded, whatever the query's language (it is trained to match
        questions to the passages that answer them), else the English embedder.

        Measured against MiniLM (which ranked English questions' evidence before) over both eval
        sets' answerable questions: the share of key facts in the evidence the model sees rose from
        0.885 to 0.910 (Beijing) and from 0.867 to 0.878 (water charter); see eval/reports/answers.md
        for the answers.
        """
        if self.multilingual is None:
            return self.similarity(query, p)
        sents, _, vectors, usable = self._paragraph(p, self.multilingual, query)
        sims = _scale(vectors @ self._embed(self.multilingual, query, as_query=True), E5_RELEVANCE_FLOOR,
                      E5_RELEVANCE_CEIL)
        return [(s, float(x)) for s, x in zip(sents, sims * usable)]

    def similarity(self, query: str, p: Paragraph) -> list[tuple[str, float]]:
        """Each sentence of ``p`` with how closely it restates ``query``, in [0, 1]: MiniLM for an
        English query, e5 for others. A plain restatement is a sign that the paragraph answers
        (see ``answer._restating``); which sentence answers best is :meth:`relevance`'s to say."""
        embedder, multilingual = self._embedder_for(query)
        sents, words, vectors, usable = self._paragraph(p, embedder, query)
        if vectors is None:
            claim_words = _content_words(query)
            sims = np.array([_coverage(claim_words, w) for w in words])
        else:
            sims = vectors @ self._embed(embedder, query, as_query=True)
            if multilingual:
                sims = _scale(sims, E5_FLOOR, E5_CEIL)
        return [(s, float(x)) for s, x in zip(sents, sims * usable)]

    def support(self, claim: str, p: Paragraph) -> tuple[float, str]:
        """How well ``p`` supports ``claim`` (0..1) and the best supporting sentence."""
        facts = _clock(NAMED_PARAGRAPHS.sub(" ", claim))  # "paragraphs 10 and 13": where, not what
        numbers = set(_NUMBER.findall(facts))
        text = _clock(p.text)
        missing = {n for n in numbers if not _states_number(text, n, facts)}
        embedder, multilingual = self._embedder_for(claim)
        sents, words, vectors, usable = self._paragraph(p, embedder, facts)
        stated = [set(_NUMBER.findall(_clock(s))) for s in sents]  # each sentence's numbers, times written alike
        claim_words = _content_words(facts)
        lexical = [_coverage(claim_words, w) for w in words]
        if numbers:
            lexical = [min(1.0, lx + NUMBER_ANCHOR_BONUS) if lx >= NUMBER_ANCHOR_COVERAGE and numbers <= found else lx
                       for lx, found in zip(lexical, stated)]
        if vectors is None:
            sims = np.zeros(len(sents))
        elif multilingual:
            sims = _scale(vectors @ self._embed(embedder, claim, as_query=True), E5_FLOOR, E5_CEIL)
        else:
            sims = _scale(vectors @ self._embed(embedder, claim, as_query=False), MINILM_FLOOR, MINILM_CEIL)
        negated = None if multilingual else _negated(facts)  # the e5 path: another script, no such words
        scores = [(lx if negated is not None and _negated(sent) != negated else max(lx, float(sm))) * float(ok)
                  for lx, sm, ok, sent in zip(lexical, sims, usable, sents)]
        # of sentences that score alike (each states every word of "The fee in 2021 was 9 euros"), the one
        # that states the claim's numbers too is its quote
        best = max(range(len(scores)), key=lambda i: (scores[i], len(numbers & stated[i])))
        facts_words = set().union(*(w for w, ok in zip(words, usable) if ok))
        score = max(scores[best], _coverage(claim_words, facts_words) * 0.9)
        return (0.0 if missing else score), sents[best]


# A time of day, "9.30", "9:30" or "09:30": one way of writing it, so that a claim's "9:30 am" states a text's "9.30 am"
# (not a date's "04.12.2017", a ratio's "3:1" or a price's "3.5")
_CLOCK = re.compile(r"(?<![\d.:])0?(\d{1,2})[.:](\d{2})(?![\d.:]?\d)")


def _clock(text: str) -> str:
    """``text`` with its times of day written "9.30".

    >>> _clock("Ring before 9:30 am or 09.45, by 17:00; 3.50 euros, 1.5 days, on 04.12.2017, 3:1.")
    'Ring before 9.30 am or 9.45, by 17.00; 3.50 euros, 1.5 days, on 04.12.2017, 3:1.'
    """
    return _CLOCK.sub(r"\1.\2", text)


# A number the claim measures in a unit (rag.units: "180 km") is not stated by a text that counts something
# else with it ("180 docking stations"). What follows a number: the rest of a range ("10-15", "10 to 15"),
# then a word, "%" or a CJK unit, and the word after that ("10 working days": "working" names no unit)
_AFTER_NUMBER = re.compile(r"(?:\s*(?:-|–|to)\s*\d+(?:[.,]\d+)*)?[\s-]*(per\s+cent|%|[A-Za-z]+|[\u4e00-\u9fff]{1,2})?"
                           r"(?:[\s-]+([A-Za-z]+))?", re.IGNORECASE)


def _unit_after(text: str, end: int) -> tuple[str | None, bool]:
    """The unit of measure named by the word right after a number that ends at ``end``, or the one after
    that (None if neither), and whether a word follows the number at all ("180 docking stations": a count
    of something, not a measure)."""
    m = _AFTER_NUMBER.match(text, end)
    word, second = (m.group(1) or "", m.group(2) or "") if m else ("", "")
    if not word:
        return None, False
    if re.fullmatch(r"per\s+cent", word, re.IGNORECASE):
        return "percent", True
    if word[0] >= "\u4e00":  # a CJK unit is one or two characters: "公里", "天", "小时"
        return unit_of(word) or unit_of(word[0]), True
    return unit_of(word) or unit_of(second), True


def _claims_unit(number: str, claim: str) -> set[str]:
    """The units of measure the claim gives ``number`` ("An e-bike can ride 180 km" -> {"km"})."""
    units = set()
    for m in re.finditer(rf"(?<![\d.,]){re.escape(number)}(?![\d])", claim):
        unit, _ = _unit_after(claim, m.end())
        if unit:
            units.add(unit)
    return units


def _states_number(text: str, number: str, claim: str) -> bool:
    """Whether ``text`` states ``number`` as the claim does: bare, or with the unit glued to it in the
    text ("10p") when the claim gives it that unit too ("10p", "10 p"); and when the claim measures it
    in a unit ("180 km"), with that unit or none, not as a count of something else ("180 docking stations").

    >>> _states_number("It costs 10p per minute.", "10", "It costs 10 miles per hour.")
    False
    >>> _states_number("It costs 10p per minute.", "10", "It costs 10p per minute.")
    True
    >>> _states_number("From 30th November.", "30", "From 30 November.")
    True
    >>> _states_number("nearly300 parties", "300", "300")
    True
    >>> _states_number("They take effect on 1 April 2025.", "4", "自2025年4月1日起生效")  # the month, by its name
    True
    >>> _states_number("Members may ask.", "5", "5月"), _states_number("On 13 May 2024.", "5", "2024年5月13日")
    (False, True)
    >>> _states_number("180 docking stations.", "180", "An e-bike can ride 180 km."), _states_number(
    ...     "Open 24 hours a day.", "24", "It is open 24 hours."), _states_number("A 40% discount.", "40", "40 percent off")
    (False, True, True)
    """
    if _names_month(text, number, claim):
        return True
    measured = _claims_unit(number, claim)
    units = set()
    for m in _NUMBER_UNIT.finditer(text):
        found, unit = m.group(1), m.group(2)
        if found != number:
            continue
        if unit:
            units.add(unit)
            continue
        if not measured:
            return True
        named, worded = _unit_after(text, m.end())
        if named in measured or not worded:  # the same unit, or the number standing alone ("a limit of 15.")
            return True
    return any(re.search(rf"(?<![\d.,]){re.escape(number)}\s*{re.escape(u)}(?![A-Za-z])", claim, re.IGNORECASE)
               for u in units)


# May only beside a day or a year: "members may ask" names no month
_MONTHS = ("january", "february", "march", "april", r"\d+(?:st|nd|rd|th)?(?:\s+of)?\s+may|may\s+\d+", "june",
           "july", "august", "september", "october", "november", "december")


def _names_month(text: str, number: str, claim: str) -> bool:
    """A Chinese date's month ("4月") against an English text that names it ("April")."""
    if not (number.isdigit() and 1 <= int(number) <= 12 and re.search(rf"(?<![\d.,]){number}\s*月", claim)):
        return False
    return bool(re.search(rf"\b(?:{_MONTHS[int(number) - 1]})\b", text, re.IGNORECASE))


def _negated(sentence: str) -> bool:
    """Whether ``sentence`` negates what it states; a leading "Yes"/"No" answers a question and does not count.

    >>> _negated("Helmets are recommended but not required."), _negated("No, the charge is capped at £4.")
    (True, False)
    >>> _negated("Yes, you have to wear a helmet."), _negated("You don't have to.")
    (False, True)
    >>> _negated("Water is sampled at no fewer than 140 points."), _negated("It is not only fair but also wise.")
    (False, False)
    """
    return bool(_NEGATION.search(_ANSWER_WORD.sub("", sentence, count=1)))


# Words that describe the source, not the facts: "The declaration wants X [12]" claims X.
_META = set(tokenize(["document declaration text initiative charter paragraph passage says states mentions "
                      "wants calls notes according describes refers yes"])[0])


_CJK = re.compile(r"[\u3400-\u9fff]")
# Characters that carry no fact of their own in a Chinese answer ("是的，…的…了")
_CJK_FUNCTION = set("的了是吗呢吧啊也都就和与及")
# "A or B?", "…还是…？": the answer picks one of the question's own words
_CHOICE = re.compile(r"\bor\b|还是", re.IGNORECASE)


def restates(question: str, claim: str) -> bool:
    """True when ``claim`` adds nothing to ``question``: no content word (stemmed; numbers count)
    and no Chinese character beyond the question's, other than words about the source ("the
    text says", "yes"). Not for a question that offers a choice, whose answer repeats a part of it.

    >>> restates("Does the utility use any technology to find leaking pipes?",
    ...          "Yes, the utility uses technology to find leaking pipes.")
    True
    >>> restates("Does the utility use any technology to find leaking pipes?",
    ...          "Yes, acoustic leak sensors find leaking pipes.")
    False
    >>> restates("低收入家庭的水费有优惠吗？", "是的，低收入家庭的水费有优惠。"), restates("低收入家庭的水费有优惠吗？", "有，优惠40%。")
    (True, False)
    >>> restates("Which paragraph says that?", "Paragraph 12."), restates("Is it A or B?", "It is B.")
    (False, False)
    """
    if _CHOICE.search(question):
        return False
    new_words = {w for w in _content_words(claim) - _content_words(question) if not _CJK.search(w)}
    new_chars = set(_CJK.findall(claim)) - set(_CJK.findall(question)) - _CJK_FUNCTION
    new_numbers = set(_NUMBER.findall(claim)) - set(_NUMBER.findall(question))  # "优惠40%": one token with its word
    return not (new_words or new_chars or new_numbers)


def is_fragment(claim: str) -> bool:
    """An English-script answer sentence with at most one content word besides its numbers: "2030.",
    "By 1 December.", "Chinese." It states its fact only together with the question it answers,
    so it is verified together with it (see ``answer.FRAGMENT_SUPPORT_FLOOR``).

    >>> is_fragment("By 1 December."), is_fragment("412,000"), is_fragment("The charter takes effect on 1 July.")
    (True, True, False)
    """
    if not mostly_latin(claim):
        return False  # a Chinese sentence is one token here; its translation is checked instead
    return len({w for w in _content_words(claim) if not _NUMBER.fullmatch(w)}) <= 1


def coverage(sentence: str, text: str) -> float:
    """Share of ``sentence``'s content words (stemmed; numbers count) that ``text`` states.

    >>> round(coverage("Peace, like air and sunshine, is hardly noticed.", "Peace is the precondition for development."), 2)
    0.17
    """
    return _coverage(_content_words(sentence), _content_words(text))


def _content_words(text: str) -> set[str]:
    """Stemmed content words, without the words about the source."""
    return set(tokenize([text])[0]) - _META


def _coverage(claim_words: set[str], text_words: set[str]) -> float:
    """Share of the claim's content words that occur in the text."""
    if not claim_words:
        return 0.0
    return len(claim_words & text_words) / len(claim_words)


def _scale(sims: np.ndarray, floor: float, ceil: float) -> np.ndarray:
    """Map cosines so that ``floor`` -> 0 and ``ceil`` -> 1, clipped."""
    return np.clip((sims - floor) / (ceil - floor), 0.0, 1.0)
