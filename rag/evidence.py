"""Stage 6a: pick the evidence an answerer sees: the retrieved paragraphs,
each cut down to its sentences most relevant to the question.

Short evidence keeps a small model's prompt (and time to first token) small
and its citations precise; a paragraph the question names is given whole.
"""

from __future__ import annotations

from dataclasses import dataclass

from .records import Hit, Paragraph
from .support import SentenceScorer


@dataclass
class Evidence:
    paragraph: Paragraph
    sentences: list[tuple[str, float]]  # (sentence, relevance), in document order
    retrieval_score: float
    pinned: bool = False
    similarity: float = 0.0  # how closely its closest sentence restates the question (SentenceScorer.similarity)

    @property
    def label(self) -> str:
        return self.paragraph.label

    @property
    def text(self) -> str:
        return " ".join(s for s, _ in self.sentences)

    @property
    def relevance(self) -> float:
        return max((r for _, r in self.sentences), default=0.0)


def select_evidence(query: str, hits: list[Hit], scorer: SentenceScorer, max_paragraphs: int = 3,
                    sentences_first: int = 2, sentences_other: int = 1, min_share: float = 0.5) -> list[Evidence]:
    """The top paragraphs with their best sentences (more for the best paragraph).

    A lower-ranked paragraph is kept only if its best sentence is at least
    ``min_share`` as relevant as the best one so far: every token of evidence
    costs prompt-reading time, and weak passages invite wrong citations.
    """
    out: list[Evidence] = []
    for rank, hit in enumerate(hits[:max_paragraphs]):
        scored = scorer.relevance(query, hit.paragraph)
        if hit.pinned:
            chosen = scored  # the user asked for this paragraph: give all of it
        else:
            keep = sentences_first if rank == 0 else sentences_other
            best = sorted(range(len(scored)), key=lambda i: -scored[i][1])[:keep]
            chosen = [scored[i] for i in sorted(best)]
        closest = max((x for _, x in scorer.similarity(query, hit.paragraph)), default=0.0)
        evidence = Evidence(hit.paragraph, chosen, hit.score, hit.pinned, closest)
        if out and not hit.pinned and evidence.relevance < min_share * max(e.relevance for e in out):
            continue
        out.append(evidence)
    return out


def widen(query: str, evidence: list[Evidence], scorer: SentenceScorer) -> list[Evidence] | None:
    """The same evidence with its first paragraph given whole, for a second reading when the
    model finds no answer in the chosen sentences; None when that paragraph already is whole."""
    if not evidence:
        return None
    first = evidence[0]
    whole = scorer.relevance(query, first.paragraph)
    if len(whole) <= len(first.sentences):
        return None
    return [Evidence(first.paragraph, whole, first.retrieval_score, first.pinned, first.similarity), *evidence[1:]]
