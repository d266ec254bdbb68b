"""The extractive answerer: no model. It answers with the document's own most
relevant sentences, each carrying its citation. Instant, and the fallback
whenever a model fails, times out or is not supported by the text.
"""

from __future__ import annotations

from collections.abc import Iterator

from .cite import render_sentence
from .evidence import Evidence
from .retrieve import mostly_latin

ZH_LEAD = "文件中的相关原文："


class ExtractiveAnswerer:
    name = "extractive"

    def __init__(self, max_sentences: int = 2, keep_ratio: float = 0.6, other_ratio: float = 0.85) -> None:
        self.max_sentences = max_sentences
        self.keep_ratio = keep_ratio
        self.other_ratio = other_ratio

    def stream(self, question: str, evidence: list[Evidence], history: list[dict] | None = None) -> Iterator[str]:
        yield self.compose(question, evidence)

    def compose(self, question: str, evidence: list[Evidence]) -> str:
        """The best sentence overall, plus others nearly as relevant, each cited.

        >>> from rag.records import Paragraph
        >>> ev = [Evidence(Paragraph("d", 6, "A.", "6"), [("Win-win cooperation matters.", 0.9)], 0.1)]
        >>> ExtractiveAnswerer().compose("cooperation?", ev)
        'Win-win cooperation matters [6].'
        """
        candidates = [(r, s, e.label) for e in evidence for s, r in e.sentences]
        if not candidates:
            return ""
        if any(e.pinned for e in evidence):  # "What does paragraph 9 say?": its opening sentences
            e = next(e for e in evidence if e.pinned)
            picked = [(1.0, s, e.label) for s, _ in e.sentences[: self.max_sentences]]
        else:
            candidates.sort(key=lambda c: -c[0])
            top, _, first_label = candidates[0]
            # More sentences of the best paragraph when nearly as relevant; another paragraph
            # only when it is practically as relevant (each extra citation risks a wrong one).
            picked = [c for c in candidates
                      if c[0] >= top * (self.keep_ratio if c[2] == first_label else self.other_ratio)]
            picked = picked[: self.max_sentences]
        parts = [_cite(s, label) for _, s, label in picked]
        text = " ".join(parts)
        return text if mostly_latin(question) else f"{ZH_LEAD}{text}"


def _cite(sentence: str, label: str) -> str:
    return render_sentence(sentence, [label])
