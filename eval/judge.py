"""An offline yes/no judge, and ALCE-style citation scores for finished eval runs.

    python -m eval judge RUN_DIR... [--limit N]

The judge is the embedded Qwen2.5-Coder-1.5B read as a classifier: P("Yes") from
the next-token logits after a yes/no question (MODELS.md: 13 of 14 support pairs
right). It is independent of the project's own verifier (lexical and embedding
alignment in ``rag/support.py``), so it can disagree with it.

``judge`` reads each run's ``results.jsonl``, splits every answer into its cited
sentences, asks the judge whether the cited paragraphs support each sentence
(:func:`eval.metrics.alce_citations`), and writes ``judge.jsonl`` plus
``alce_citation_recall`` / ``alce_citation_precision`` (macro-averaged over
answered questions) into the run's ``metrics.json`` and ``report.md``.
"""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path


SUPPORT_SYSTEM = "You check whether a statement is supported by passages from a document. Use only the passages."


class YesNoModel:
    """A GGUF chat model of its own, asked yes/no questions (see ``rag.llm.YesNoReader``)."""

    def __init__(self, model_path: Path, threads: int = 2, n_ctx: int = 2048) -> None:
        from rag.llm import YesNoReader, open_llama

        self.llm = open_llama(model_path=str(model_path), n_ctx=n_ctx, n_threads=threads, verbose=False)
        self._reader = YesNoReader(self.llm)

    def p_yes(self, system: str, user: str) -> float:
        return self._reader.p_yes(system, user)


class SupportJudge:
    """``judge(sentence, labels)``: do these paragraphs, together, support the sentence?"""

    def __init__(self, model: YesNoModel, paragraphs: dict[str, str]) -> None:
        self.model = model
        self.paragraphs = paragraphs
        self.calls = 0
        self._cached = lru_cache(maxsize=4096)(self._judge)

    def __call__(self, sentence: str, labels) -> bool:
        return self._cached(sentence, tuple(labels))

    def _judge(self, sentence: str, labels: tuple[str, ...]) -> bool:
        self.calls += 1
        passages = "\n".join(f"[{label}] {self.paragraphs.get(label, '(no such paragraph)')}" for label in labels)
        user = (f"Passages:\n{passages}\n\nStatement: {_strip_citations(sentence)}\n\n"
                "Is the statement supported by the passages? Reply Yes or No.")
        return self.model.p_yes(SUPPORT_SYSTEM, user) >= 0.5


def _strip_citations(sentence: str) -> str:
    from rag.cite import CITATION

    return CITATION.sub("", sentence).replace(" .", ".").strip()


def judge_run(run: Path, model: YesNoModel, limit: int | None = None) -> dict:
    """Score one run directory in place; return the two aggregates."""
    from tqdm import tqdm

    from rag.cite import split_claims
    from rag.ingest import load_corpus

    from .metrics import alce_citations, nanmean
    from .run import nan_as_null, read_run, write_metrics

    metrics, records = read_run(run)
    documents = load_corpus(Path(metrics["corpus"]))
    judge = SupportJudge(model, {p.label: p.text for d in documents for p in d.paragraphs})
    scored = []
    for row in tqdm(records[:limit], desc=f"judge {run.name}"):
        claims = [] if row.get("refused") or not row.get("answer") else split_claims(row["answer"])
        scores = alce_citations(claims, judge) if claims else {"alce_recall": float("nan"),
                                                               "alce_precision": float("nan")}
        scored.append({"id": row["id"], "sentences": len(claims), **scores})
    with open(run / "judge.jsonl", "w", encoding="utf-8") as f:
        for s in scored:
            f.write(json.dumps(nan_as_null(s)) + "\n")
    answered = [s for s in scored if s["sentences"]]
    out = {"alce_citation_recall": nanmean(s["alce_recall"] for s in answered),
           "alce_citation_precision": nanmean(s["alce_precision"] for s in answered),
           "alce_judged_answers": len(answered), "alce_judge_calls": judge.calls}
    metrics.update(nan_as_null(out))
    write_metrics(run, metrics, records)
    return out


def run(runs: list[Path], limit: int | None = None) -> dict[str, dict]:
    from rag.local_model import MODELS, ensure_gguf
    from rag.settings import Settings

    settings = Settings()
    model = YesNoModel(ensure_gguf(MODELS[settings.local_model], settings.model_cache), settings.threads)
    return {str(r): judge_run(Path(r), model, limit) for r in runs}
