"""The extractive answerer: no model. It answers with the document's own
sentences, each carrying its citation: the most relevant one of the paragraph
retrieval ranked first, then any others nearly as relevant. Instant, and the
fallback whenever a model fails, times out or is not supported by the text.
"""

from __future__ import annotations

from collections.abc import Sequence

from .cite import render_sentence
from .evidence import Evidence
from .refs import asks_what_it_says
from .retrieve import mostly_latin

ZH_LEAD = "文件中的相关原文："


class ExtractiveAnswerer:
    name = "extractive"

    def __init__(self, max_sentences: int = 2, keep_ratio: float = 0.6, other_ratio: float = 0.9) -> None:
        self.max_sentences = max_sentences
        self.keep_ratio = keep_ratio
        self.other_ratio = other_ratio

    def compose(self, question: str, evidence: list[Evidence], *, lead: Sequence[str] = (),
                alone: bool = False) -> str:
        """The best sentence of the best-ranked paragraph, plus others nearly as relevant, each cited.

        Retrieval ranks paragraphs better than one sentence's similarity to the question does
        (BM25 and two embedders fused, against one embedder), so the paragraph retrieval put
        first leads. Measured by the extractive runs of ``python -m eval run``: correct paragraph
        cited 0.875 -> 0.913 (Beijing) and 0.844 -> 0.911 (water charter) against leading with the
        single most similar sentence.

        >>> from rag.records import Paragraph
        >>> ev = [Evidence(Paragraph("d", 6, "A.", "6"), [("Win-win cooperation matters.", 0.9)], 0.1)]
        >>> ExtractiveAnswerer().compose("cooperation?", ev)
        'Win-win cooperation matters [6].'

        Asked what named paragraphs say, it gives their openings: one paragraph's first sentences, or
        the first sentence of each of several ("How do paragraphs 9 and 10 differ?").

        Replacing a model's answer (see ``answer.Asker._finish``), the first of the ``lead`` labels (the
        paragraphs the model cited, in its order) with a relevant sentence leads instead, unless the question
        names paragraphs; and ``alone`` keeps the answer in the one paragraph that leads (or in the ones
        the question names):

        >>> ev = [Evidence(Paragraph("d", 2, "A.", "2"), [("Every house gets 50 litres.", 0.62)], 0.2),
        ...       Evidence(Paragraph("d", 11, "B.", "11"), [("Tariffs are set each year.", 0.57)], 0.1)]
        >>> ExtractiveAnswerer().compose("prices?", ev)
        'Every house gets 50 litres [2]. Tariffs are set each year [11].'
        >>> ExtractiveAnswerer().compose("prices?", ev, lead=["11", "2"], alone=True)
        'Tariffs are set each year [11].'
        """
        if not any(e.sentences for e in evidence):
            return ""
        pinned = [e for e in evidence if e.pinned and e.sentences]
        named = pinned[0] if pinned else None
        if len(pinned) > 1 and asks_what_it_says(question):  # "How do paragraphs 9 and 10 differ?": each opening
            picked = [(e.sentences[0][0], e.label) for e in pinned]
        elif named is not None and asks_what_it_says(question):  # "What does paragraph 9 say?": its opening
            picked = [(s, named.label) for s, _ in named.sentences[: self.max_sentences]]
        else:
            # the paragraph the question names ("What does paragraph 6 say about the UN?"), else the first the
            # model cited (``lead``), else the first with a usable sentence (an order to the assistant scores 0);
            # if none has one, everything scores 0 and verification decides what stands
            relevant = {e.label: e for e in evidence if e.relevance > 0}
            first = named or next((relevant[label] for label in lead if label in relevant),
                                  next(iter(relevant.values()), None) or next(e for e in evidence if e.sentences))
            own = sorted(first.sentences, key=lambda c: -c[1])
            best = max(e.relevance for e in evidence)
            # More sentences of the lead paragraph when nearly as relevant as its best; another
            # paragraph (one the question names too, if it names any) only when practically as
            # relevant as the best sentence anywhere (each extra citation risks a wrong one).
            more = [(r, s, first.label) for s, r in own[1:] if r >= own[0][1] * self.keep_ratio]
            others = [e for e in evidence if e is not first and (e.pinned if named is not None else not alone)]
            more += [(r, s, e.label) for e in others for s, r in e.sentences if r >= best * self.other_ratio]
            more.sort(key=lambda c: -c[0])
            picked = [(own[0][0], first.label)] + [(s, label) for _, s, label in more]
            picked = picked[: self.max_sentences]
        parts = [_cite(s, label) for s, label in picked]
        text = " ".join(parts)
        return text if mostly_latin(question) else f"{ZH_LEAD}{text}"


def _cite(sentence: str, label: str) -> str:
    return render_sentence(sentence, [label])
