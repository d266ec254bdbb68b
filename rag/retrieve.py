"""Stage 5: hybrid retrieval of paragraphs.

Each retriever ranks paragraphs on its own (BM25 over whole paragraphs; each
dense embedder by the best-matching chunk of a paragraph), and the rankings
are fused. By default each retriever's scores are min-max normalised (BM25
from its theoretical minimum 0, a dense retriever from its weakest candidate)
and summed with weights: the convex combination that Bruch et al., "An
Analysis of Fusion Functions for Hybrid Retrieval" (2023), found ahead of
reciprocal rank fusion (RRF, the other setting). Unlike RRF it keeps how far
ahead a retriever's first paragraph is; here it ranked better on one question
set and the same on the other (``eval/reports/retrieval.md``). A question
written mostly in a non-Latin script (e.g. Chinese) is ranked by the
multilingual embedders alone: English BM25 and an English-only embedder only
add noise there (measured in ``eval/reports/retrieval.md``). A paragraph the
question names explicitly ("paragraph 9", "第9段", "[9]", "water:9" of several
documents, "Article 9" of a document numbered by Article), or by its place ("the last paragraph", "the penultimate paragraph", "How
does the declaration end?"), is pinned first; a named number the corpus lacks
("paragraph 42", "paragraph -1") is reported in ``missing_refs``, never guessed.
What the question calls the document itself ("the Beijing Initiative", "the text") is ranked as "the document"
(``rag.refs.as_the_document``): asked so, "initiative" had put the Belt and Road Initiative's paragraph first.

A question in everyday words ("Can I bring my mate for a swim?") may share few words with the paragraph
that answers it ("Members may bring up to two guests ..."). With ``RAG_EXPAND_CLOSE_QUERIES=true`` (off by
default), when the fused scores leave its two best paragraphs close and a chat model is at hand (``ask``,
``rag search``), the model writes the sentence a formal document would answer it with, and its ranking is
added at a quarter of the question's weight (HyDE, Gao et al., "Precise Zero-Shot Dense Retrieval without
Relevance Labels", 2022; here only for close calls, so most questions pay nothing). Measured in
``eval/reports/expand/retrieval.md``, where the expansion is named ``hybrid`` and the default
``hybrid-noexpand`` (``hybrid-expand`` and ``hybrid`` in ``eval retrieval`` now): it ranks the right paragraph
first more often, but the local answerer's answers were no better (README, "Measured"). The margin is on
min-max fusion's scale; under RRF's (sums of 1/(k + rank)) nearly every question is a close call.
"""

from __future__ import annotations

import re
import time
from collections import defaultdict
from collections.abc import Callable

from .embed import Embedder
from .index import Index
from .records import Hit, Paragraph, SearchResult
from .refs import as_the_document, document_names, label_refs, paragraph_refs, position_refs, unit_refs, whole_clauses
from .settings import Settings

DENSE_POOL = 50  # chunks fetched per dense retriever before fusing
# (unit, roman numerals, numbering): a question's "Article 3" names paragraph 3 of a document numbered "Article 1"
UNIT_NUMBERINGS = (("article", False, "Article 1"), ("article", True, "Article I"), ("section", False, "Section 1"),
                   ("article", False, "第一条"),  # a Chinese law's "第三条" is its Article 3
                   ("item", False, "Item 1"),  # minutes' "Item 3"
                   # in a document of clauses, "clause 2.1", "section 2.1" and "part 2" name paragraph 2
                   ("clause", False, "1.1"), ("section", False, "1.1"), ("part", False, "1.1"))
_LATIN = re.compile(r"[A-Za-z]")
_LETTER = re.compile(r"[^\W\d_]")


def mostly_latin(text: str) -> bool:
    """True when at least half of the letters are Latin (English-like queries).

    >>> mostly_latin("What about peace?"), mostly_latin("第9段讲了什么？关于 UN")
    (True, False)
    """
    letters = len(_LETTER.findall(text))
    return letters == 0 or len(_LATIN.findall(text)) * 2 >= letters


class Retriever:
    def __init__(self, index: Index, embedders: dict[str, Embedder], k: int = 5, fusion: str = "minmax",
                 weights: dict[str, float] | None = None, rrf_k: int = 10, route_by_script: bool = True,
                 expand_margin: float = 0.1, expand_weight: float = 0.25) -> None:
        if fusion not in ("minmax", "rrf"):
            raise ValueError(f"unknown fusion {fusion!r}: use minmax or rrf")
        self.index = index
        self.fusion = fusion
        self.route_by_script = route_by_script
        self.embedders = embedders
        self.k = k
        self.rrf_k = rrf_k
        self.weights = weights or {}
        self.expand_margin, self.expand_weight = expand_margin, expand_weight
        self._by_key = {p.key: p for p in index.paragraphs}
        self._by_number: dict[int, list[Paragraph]] = defaultdict(list)
        by_doc: dict[str, list[Paragraph]] = defaultdict(list)
        for p in index.paragraphs:
            self._by_number[p.number].append(p)
            by_doc[p.doc].append(p)
        self._docs = set(by_doc)
        # "Article 3" (or "Article III", "Section 3") names paragraph 3 where a document is numbered so (rag.ingest)
        numberings = {d.get("numbering") for d in getattr(index, "documents", [])}
        self._units = [(unit, roman) for unit, roman, name in UNIT_NUMBERINGS if name in numberings]
        self._clauses = "1.1" in numberings  # "clause 2.1" names paragraph 2 (see whole_clauses)
        # "the first / last paragraph": of each document, in the document's own order
        self._by_position = {"first": [ps[0] for ps in by_doc.values()], "last": [ps[-1] for ps in by_doc.values()],
                             "penultimate": [ps[-2] for ps in by_doc.values() if len(ps) > 1]}
        # "the Beijing Initiative", "the text": the question's words for the document itself (see rag.refs)
        self._names = document_names([d.get("title") or "" for d in getattr(index, "documents", [])],
                                     (p.text for p in index.paragraphs))

    @classmethod
    def from_settings(cls, settings: Settings, index: Index, embedders: dict[str, Embedder]) -> Retriever:
        """The retriever the settings describe (k, fusion, weights, RRF constant, script routing, expansion)."""
        return cls(index, embedders, k=settings.k, fusion=settings.fusion, weights=settings.fusion_weights,
                   rrf_k=settings.rrf_k, route_by_script=settings.route_by_script,
                   expand_margin=settings.expand_margin, expand_weight=settings.expand_weight)

    def search(self, query: str, k: int | None = None, translation: str | None = None,
               expand: Callable[[str], str | None] | None = None) -> SearchResult:
        """Rank the corpus' paragraphs for ``query``: named paragraphs first, then by fused score.
        Given an English ``translation`` of the query, that is what the retrievers rank by; the
        paragraphs the query names are still read from the query itself. Given ``expand`` (see
        ``rag.translate.query_expander``), a query that names no paragraph and leaves its two best within
        ``expand_margin`` is ranked by the expansion too, its fused scores added at ``expand_weight``."""
        k = k or self.k
        timings: dict[str, float] = {}
        rankings = self.rankings(self.ranked_text(translation or query), timings)
        fused = self.fuse(rankings)
        named = whole_clauses(query) if self._clauses else query
        numbers = paragraph_refs(named)
        for unit, roman in self._units:
            numbers += [n for n in unit_refs(named, unit, roman) if n not in numbers]
        pinned = [p for n in numbers for p in self._by_number.get(n, [])]
        # "water:3": that document's paragraph; a name no document has is no reference ("Note:3")
        labelled = [ref for ref in label_refs(query) if ref[0] in self._docs]
        places = position_refs(self.ranked_text(query))  # "How does the Beijing Initiative end?" as "the document"
        expansion = None
        if expand is not None and not (numbers or labelled or places) and self._close(fused):
            t = time.perf_counter()
            expansion = expand(translation or query)
            timings["expand"] = _ms(t)
            if expansion:
                fused = self._with_expansion(fused, self.fuse(self.rankings(expansion)))
        pinned += [self._by_key[ref] for ref in labelled if ref in self._by_key and self._by_key[ref] not in pinned]
        for where in places:  # of the documents whose such paragraph ranks best, up to k
            keys = {p.key for p in pinned}
            candidates = sorted(self._by_position[where], key=lambda p: -fused.get(p.key, 0.0))
            pinned += [p for p in candidates if p.key not in keys][:k]
        missing = [str(n) for n in numbers if n not in self._by_number]
        missing += [f"{doc}:{n}" for doc, n in labelled if (doc, n) not in self._by_key]
        hits: list[Hit] = []
        for p in pinned:
            hits.append(self._hit(p, fused, rankings, pinned=True))
        pinned_keys = {p.key for p in pinned}
        for key, _ in sorted(fused.items(), key=lambda kv: -kv[1]):
            if len(hits) >= max(k, len(pinned)):
                break
            if key not in pinned_keys:
                hits.append(self._hit(self._by_key[key], fused, rankings))
        return SearchResult(query=query, hits=hits[: max(k, len(pinned))], missing_refs=missing, timings_ms=timings,
                            translation=translation, expansion=expansion)

    def ranked_text(self, query: str) -> str:
        """What the retrievers rank ``query`` (or its translation) by: its words for the document itself read as
        "the document" (see ``rag.refs.as_the_document``)."""
        return as_the_document(query, self._names)

    def _close(self, fused: dict[tuple, float]) -> bool:
        """Whether the two best paragraphs' fused scores are within ``expand_margin`` (a corpus of one: no)."""
        best = sorted(fused.values(), reverse=True)[:2]
        return len(best) == 2 and best[0] - best[1] < self.expand_margin

    def _with_expansion(self, fused: dict[tuple, float], expanded: dict[tuple, float]) -> dict[tuple, float]:
        """The query's fused scores plus the expansion's at ``expand_weight``, back on the query's scale (in the
        query's order first: paragraphs that tie keep their order)."""
        w = self.expand_weight
        keys = [*fused, *(key for key in expanded if key not in fused)]
        return {key: (fused.get(key, 0.0) + w * expanded.get(key, 0.0)) / (1 + w) for key in keys}

    def rankings(self, query: str, timings: dict[str, float] | None = None) -> dict[str, list[tuple[tuple, float]]]:
        """Per retriever: paragraph keys with raw scores, best first."""
        timings = {} if timings is None else timings
        out: dict[str, list[tuple[tuple, float]]] = {}
        names = list(self.index.collections)
        latin = mostly_latin(query)
        if self.route_by_script and not latin and any(self.embedders[n].multilingual for n in names):
            names = [n for n in names if self.embedders[n].multilingual]
        if self.index.bm25 is not None and (latin or not self.route_by_script or not names):
            t = time.perf_counter()
            positions, scores = self.index.bm25.top(query, DENSE_POOL)
            out["bm25"] = [(self.index.paragraphs[int(i)].key, float(s)) for i, s in zip(positions, scores)]
            timings["bm25"] = _ms(t)
        for name in names:
            col = self.index.collections[name]
            t = time.perf_counter()
            vector = self.embedders[name].embed_query(query)
            best: dict[tuple, float] = {}
            for meta, sim in col.query(vector, DENSE_POOL):
                key = (meta["doc"], int(meta["number"]))
                if sim > best.get(key, float("-inf")):
                    best[key] = sim
            out[name] = sorted(best.items(), key=lambda kv: -kv[1])
            timings[name] = _ms(t)
        return out

    def fuse(self, rankings: dict[str, list[tuple[tuple, float]]],
             weights: dict[str, float] | None = None) -> dict[tuple, float]:
        """Paragraph key -> fused score in [0, 1] (min-max) or the weighted RRF sum; ``weights`` replace the
        retriever's own (``python -m eval weights`` tries others on the same rankings)."""
        weights = self.weights if weights is None else weights
        fused: dict[tuple, float] = defaultdict(float)
        if self.fusion == "rrf":
            for name, ranked in rankings.items():
                weight = weights.get(name, 1.0)
                for rank, (key, _) in enumerate(ranked, start=1):
                    fused[key] += weight / (self.rrf_k + rank)
            return fused
        total = sum(weights.get(name, 1.0) for name in rankings) or 1.0
        for name, ranked in rankings.items():
            if not ranked:
                continue
            scores = [s for _, s in ranked]
            # BM25's floor is its theoretical minimum, 0 (no query term): a paragraph that alone matches a rare
            # word keeps its lead. A dense retriever's floor is its weakest candidate (cosines have no useful floor).
            lo, hi = (0.0 if name == "bm25" else min(scores)), max(scores)
            # every candidate scored alike: this retriever cannot tell them apart, so it adds nothing
            weight = weights.get(name, 1.0) / total if hi > lo else 0.0
            for key, s in ranked:  # a paragraph outside this retriever's candidates gets its minimum, 0
                fused[key] += weight * (s - lo) / ((hi - lo) or 1.0)
        return fused

    def _hit(self, p: Paragraph, fused: dict, rankings: dict, pinned: bool = False) -> Hit:
        ranks, signals = {}, {}
        for name, ranked in rankings.items():
            for rank, (key, score) in enumerate(ranked, start=1):
                if key == p.key:
                    ranks[name], signals[name] = rank, score
                    break
        # A named paragraph scores 1.0, at least any fused score (min-max: at most 1; RRF: far below).
        score = 1.0 if pinned else fused.get(p.key, 0.0)
        return Hit(paragraph=p, score=score, ranks=ranks, signals=signals, pinned=pinned)


def _ms(start: float) -> float:
    return round((time.perf_counter() - start) * 1000, 2)
