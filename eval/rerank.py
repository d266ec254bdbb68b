"""Does a reranking step pay for itself? Measured, not assumed.

No cross-encoder ships its weights offline here (see shared MODELS.md), so the
reranker is the embedded 1.5B model used as a yes/no relevance judge: for each
of the top ``depth`` paragraphs, P("Yes") that its best sentences answer the
question, read from the next-token logits. The top ``depth`` are reordered by
it. ``python -m eval rerank`` writes ``eval/reports/rerank.md`` with hybrid and
hybrid+rerank side by side, quality and added latency.
"""

from __future__ import annotations

import json
import tempfile
import time
from pathlib import Path

from rag.local_model import MODELS, ensure_gguf
from rag.pipeline import EmbedderPool, load_pipeline
from rag.settings import Settings
from rag.support import SentenceScorer

from .dataset import load_rows
from .judge import YesNoModel
from .metrics import percentile, rank_scores, rank_summary
from .retrieval import DATASETS, translator

SYSTEM = "You judge whether a passage from a document answers a question. Use only the passage."


class LLMJudge:
    """P("Yes") that a passage answers a question, from the embedded model (see ``eval.judge``)."""

    def __init__(self, model_path: Path, threads: int = 2) -> None:
        self.model = YesNoModel(model_path, threads, n_ctx=1024)

    def p_yes(self, passage: str, question: str) -> float:
        return self.model.p_yes(SYSTEM, f"Passage: {passage}\n\nQuestion: {question}\n\n"
                                        "Does the passage answer the question? Reply Yes or No.")


def run(out: Path, depth: int = 3) -> dict:
    settings = Settings()
    pool = EmbedderPool(settings)
    judge = LLMJudge(ensure_gguf(MODELS[settings.local_model], settings.model_cache), settings.threads)
    scorer = SentenceScorer(pool.get("minilm"), pool.get("e5"))
    translate = translator(settings)  # the default ranks a Chinese question by its translation, as rag search does
    results: dict = {"depth": depth, "datasets": {}}
    for name, (corpus, questions) in DATASETS.items():
        rows = [r for r in load_rows(questions) if r.answerable]
        with tempfile.TemporaryDirectory() as tmp:
            pipeline = load_pipeline(Settings(corpus=corpus, index_dir=Path(tmp) / "index", k=10), pool=pool)
            base, reranked, extra = [], [], []
            for row in rows:
                hits = pipeline.search(row.question, 10, translate(row.question)).hits
                ranked = [h.paragraph.number for h in hits]
                started = time.perf_counter()
                scores = []
                for hit in hits[:depth]:
                    best = sorted(scorer.relevance(row.question, hit.paragraph), key=lambda s: -s[1])[:2]
                    scores.append(judge.p_yes(" ".join(s for s, _ in best), row.question))
                extra.append(time.perf_counter() - started)
                pinned = [h.paragraph.number for h in hits if h.pinned]
                order = sorted(range(min(depth, len(hits))), key=lambda i: -scores[i])
                top = [ranked[i] for i in order]
                new = pinned + [n for n in top + ranked[depth:] if n not in pinned]
                base.append(ranked)
                reranked.append(new)
        results["datasets"][name] = {
            system: rank_summary(rank_scores(r, row.gold) for r, row in zip(ranks, rows))
            for system, ranks in (("hybrid", base), ("hybrid+llm-rerank", reranked))
        }
        results["datasets"][name]["added_latency_p50_s"] = percentile(extra, 50)
        results["datasets"][name]["added_latency_p95_s"] = percentile(extra, 95)
        print(name, json.dumps(results["datasets"][name]))
    out.mkdir(parents=True, exist_ok=True)
    (out / "rerank.json").write_text(json.dumps(results, indent=1))
    lines = ["# Does reranking pay for itself?", "",
             f"Produced by `python -m eval rerank` in one run: the default hybrid ranking, and the same with its top "
             f"{depth} reordered by the embedded Qwen2.5-Coder-1.5B as a yes/no relevance judge (P(\"Yes\") from "
             "the next-token logits over each paragraph's two most relevant sentences). History is ignored.", "",
             "| question set | system | recall@1 | recall@3 | MRR | added latency p50 / p95 s |", "|---|---|---|---|---|---|"]
    for name, r in results["datasets"].items():
        for system in ("hybrid", "hybrid+llm-rerank"):
            lat = "–" if system == "hybrid" else f"{r['added_latency_p50_s']:.2f} / {r['added_latency_p95_s']:.2f}"
            m = r[system]
            lines.append(f"| {name} | {system} | {m['recall@1']:.3f} | {m['recall@3']:.3f} | {m['mrr']:.3f} | {lat} |")
    (out / "rerank.md").write_text("\n".join(lines) + "\n")
    return results
