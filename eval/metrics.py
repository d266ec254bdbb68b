"""Pure metric functions. Each takes plain values and returns a number.

>>> recall_at_k([3, 6, 9], {6}, 1), recall_at_k([3, 6, 9], {6}, 3)
(0.0, 1.0)
>>> reciprocal_rank([3, 6, 9], {9})
0.3333333333333333
>>> percentile([1.0, 2.0, 3.0, 4.0], 50)
2.5
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence

import numpy as np


def recall_at_k(ranked: Sequence, gold: Iterable, k: int) -> float:
    """1.0 if any gold paragraph is in the top ``k``, else 0.0 (hit rate per question)."""
    gold = set(gold)
    if not gold:
        raise ValueError("recall needs at least one gold paragraph")
    return 1.0 if any(p in gold for p in ranked[:k]) else 0.0


def rank_scores(ranked: Sequence, gold: Iterable) -> dict[str, float]:
    """One question's retrieval scores: hit at 1, 3, 5 and reciprocal rank.

    >>> rank_scores([3, 6, 9], {6})
    {'r1': 0.0, 'r3': 1.0, 'r5': 1.0, 'rr': 0.5}
    """
    gold = set(gold)
    return {"r1": recall_at_k(ranked, gold, 1), "r3": recall_at_k(ranked, gold, 3),
            "r5": recall_at_k(ranked, gold, 5), "rr": reciprocal_rank(ranked, gold)}


def rank_summary(rows: Iterable[dict]) -> dict[str, float]:
    """Means of :func:`rank_scores` over questions, under their report names."""
    rows = list(rows)
    return {"recall@1": mean(r["r1"] for r in rows), "recall@3": mean(r["r3"] for r in rows),
            "recall@5": mean(r["r5"] for r in rows), "mrr": mean(r["rr"] for r in rows)}


def reciprocal_rank(ranked: Sequence, gold: Iterable) -> float:
    """1 / rank of the first gold paragraph; 0.0 when none is retrieved."""
    gold = set(gold)
    for rank, p in enumerate(ranked, start=1):
        if p in gold:
            return 1.0 / rank
    return 0.0


def mean(values: Iterable[float]) -> float:
    values = list(values)
    return float(sum(values) / len(values)) if values else float("nan")


def percentile(values: Iterable[float], q: float) -> float:
    values = list(values)
    return float(np.percentile(values, q)) if values else float("nan")


def fact_found(answer: str, fact: str) -> bool:
    """A key fact is found when any of its ``|``-separated alternatives occurs (case-insensitive), in the
    answer's words: citation marks do not count ("[4]" states no fact 4), and a number is found only whole
    (the "4" of "24 hours", "4.5" or "1,400" is not a 4).

    >>> fact_found("They pursue win-win cooperation [6].", "win win|win-win")
    True
    >>> fact_found("Peace [5].", "mutual respect")
    False
    >>> [fact_found(a, "four|4") for a in ["within 24 hours [10].", "See [4].", "4.5 percent", "open 4 days"]]
    [False, False, False, True]
    >>> fact_found("It costs $250.", "$25|25 dollars"), fact_found("It costs $25.", "$25|25 dollars")
    (False, True)
    """
    from rag.cite import CITATION

    text = CITATION.sub(" ", answer).lower()
    return any(re.search(_whole(alt.strip().lower()), text) for alt in fact.split("|") if alt.strip())


def _whole(alternative: str) -> str:
    """The pattern of a key fact's alternative: as written, with no digit running on at a digit end."""
    pattern = re.escape(alternative)
    if alternative[0].isdigit():
        pattern = r"(?<![\d.,])" + pattern
    if alternative[-1].isdigit():
        pattern += r"(?![\d]|[.,]\d)"
    return pattern


def key_fact_recall(answer: str, facts: Sequence[str]) -> float:
    """Share of key facts found in the answer."""
    if not facts:
        raise ValueError("key-fact recall needs at least one fact")
    return sum(fact_found(answer, f) for f in facts) / len(facts)


def citation_precision(cited: Sequence[int], gold: Iterable[int]) -> float:
    """Share of cited paragraphs that are gold; NaN when nothing is cited (reported separately)."""
    cited = list(dict.fromkeys(cited))
    if not cited:
        return float("nan")
    gold = set(gold)
    return sum(c in gold for c in cited) / len(cited)


def cites_correct(cited: Sequence[int], gold: Iterable[int]) -> float:
    """1.0 when at least one cited paragraph is gold."""
    return 1.0 if set(cited) & set(gold) else 0.0


# What an answer quotes of the document as such: "原文：“...”" (the original of what it just said) and text inside
# quotation marks
_QUOTED = re.compile(r"原文：\s*“[^”]*”|“[^”]*”|\"[^\"]*\"|「[^」]*」")
# An English word in lower case, glued to Chinese or not ("是outdated的"); not a unit glued to a number ("10p", "5km")
_ENGLISH_WORD = re.compile(r"(?<![A-Za-z0-9'’-])[a-z][a-z'’-]+")


def english_words(answer: str) -> int:
    """Untranslated English words in an answer to a question asked in another script (Chinese): words in lower
    case ("政治 parties", "新 frontier", "是outdated的") outside what the answer quotes of the document as such
    (quotation marks, the original after "原文："). Names and acronyms, capitalised, may stay as the document
    spells them, so a word the model merely capitalises ("政治 Parties") is not caught either.

    >>> english_words("倡议说政治 parties应该鼓励交流[11]。 原文：“We call on parties” [11].")
    1
    >>> english_words("电动自行车每分钟额外收10p [4]。 CPC中央委员会表示感谢[16]。"), english_words("是outdated的[6]。")
    (0, 1)
    """
    return len(_ENGLISH_WORD.findall(_QUOTED.sub(" ", answer)))


def nanmean(values: Iterable[float]) -> float:
    kept = [v for v in values if v == v]  # NaN != NaN
    return float(sum(kept) / len(kept)) if kept else float("nan")


def alce_citations(claims: Sequence[tuple[str, Sequence[str]]],
                   supports: Callable[[str, Sequence[str]], bool]) -> dict[str, float]:
    """ALCE citation recall and precision of one answer (Gao et al., 2023).

    ``claims`` are the answer's sentences with the labels they cite;
    ``supports(sentence, labels)`` is the judge: do those passages, together,
    support the sentence? Recall is the share of sentences their citations
    support. A citation is precise when its sentence is supported and the
    citation is needed: it supports the sentence alone, or the other citations
    do not without it. NaN when there is nothing to score.

    >>> facts = {"1": "rivers flow", "2": "cats purr"}
    >>> judge = lambda s, labels: any(facts[l] in s for l in labels)
    >>> alce_citations([("rivers flow [1][2]", ["1", "2"]), ("cats purr", [])], judge)
    {'alce_recall': 0.5, 'alce_precision': 0.5}
    >>> alce_citations([("rivers flow [2]", ["2"])], judge)
    {'alce_recall': 0.0, 'alce_precision': 0.0}
    """
    if not claims:
        return {"alce_recall": float("nan"), "alce_precision": float("nan")}
    supported = cited = precise = 0
    for sentence, labels in claims:
        labels = list(dict.fromkeys(labels))
        cited += len(labels)
        if not labels or not supports(sentence, labels):
            continue
        supported += 1
        for label in labels:
            rest = [other for other in labels if other != label]
            if len(labels) == 1 or supports(sentence, [label]) or not supports(sentence, rest):
                precise += 1
    return {"alce_recall": supported / len(claims), "alce_precision": precise / cited if cited else float("nan")}
