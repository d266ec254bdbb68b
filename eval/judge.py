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

import hashlib
import json
from functools import lru_cache
from pathlib import Path


SUPPORT_SYSTEM = "You check whether a statement is supported by passages from a document. Use only the passages."
SUPPORT_USER = "Passages:\n{passages}\n\nStatement: {statement}\n\nIs the statement supported by the passages? Reply Yes or No."


class YesNoModel:
    """A GGUF chat model of its own, asked yes/no questions (see ``rag.llm.YesNoReader``)."""

    def __init__(self, model_path: Path, threads: int = 2, n_ctx: int = 2048) -> None:
        from rag.llm import YesNoReader, open_llama

        self.name = Path(model_path).name
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
        user = SUPPORT_USER.format(passages=passages, statement=_strip_citations(sentence))
        return self.model.p_yes(SUPPORT_SYSTEM, user) >= 0.5


def _strip_citations(sentence: str) -> str:
    from rag.cite import CITATION

    return CITATION.sub("", sentence).replace(" .", ".").strip()


def judge_run(run: Path, model: YesNoModel, limit: int | None = None) -> dict:
    """Score one run directory in place; return the aggregates.

    An answer judged before, in this folder's ``judge.jsonl``, word for word, against the same text of
    the paragraphs it cites, by the same model and prompt, keeps its scores instead of asking the judge
    again (a run made again after a change most answers do not see): ``alce_reused_answers`` counts
    them, ``alce_judge_calls`` the new calls."""
    from tqdm import tqdm

    from rag.cite import split_claims
    from rag.ingest import load_corpus

    from .metrics import alce_citations, nanmean
    from .run import nan_as_null, read_run, write_metrics

    metrics, records = read_run(run)
    documents = load_corpus(Path(metrics["corpus"]))
    paragraphs = {p.label: p.text for d in documents for p in d.paragraphs}
    judge = SupportJudge(model, paragraphs)
    before = _judged_before(run / "judge.jsonl")
    scored, reused = [], 0
    for row in tqdm(records[:limit], desc=f"judge {run.name}"):
        claims = [] if row.get("refused") or not row.get("answer") else split_claims(row["answer"])
        key = {"answer": row.get("answer") or "", "passages": _passages_digest(claims, paragraphs, model)}
        old = before.get((row["id"], key["answer"], key["passages"]))
        if old is not None:
            reused += bool(claims)
            scores = {k: old[k] for k in ("alce_recall", "alce_precision")}
        else:
            scores = alce_citations(claims, judge)  # NaN for an answer with no claims, without asking
        scored.append({"id": row["id"], "sentences": len(claims), **scores, **key})
    with open(run / "judge.jsonl", "w", encoding="utf-8") as f:
        for s in scored:
            f.write(json.dumps(nan_as_null(s), ensure_ascii=False) + "\n")
    answered = [s for s in scored if s["sentences"]]
    out = {"alce_citation_recall": nanmean(s["alce_recall"] for s in answered),
           "alce_citation_precision": nanmean(s["alce_precision"] for s in answered),
           "alce_judged_answers": len(answered), "alce_judge_calls": judge.calls, "alce_reused_answers": reused}
    metrics.update(nan_as_null(out))
    write_metrics(run, metrics, records)
    return out


def _passages_digest(claims, paragraphs: dict[str, str], model) -> str:
    """What the judge reads besides the answer, and who reads it: the text of each paragraph the answer
    cites, the prompt and the model."""
    labels = sorted({label for _, cited in claims for label in cited})
    text = "\n".join([getattr(model, "name", type(model).__name__), SUPPORT_SYSTEM, SUPPORT_USER]
                     + [f"[{label}] {paragraphs.get(label, '')}" for label in labels])
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def _judged_before(path: Path) -> dict[tuple[str, str, str], dict]:
    """The scores of a previous judging of this folder, by question, answer and cited passages (none
    from a file written before rows recorded what they judged)."""
    if not path.exists():
        return {}
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    return {(r["id"], r["answer"], r["passages"]): {k: _nan(r[k]) for k in ("alce_recall", "alce_precision")}
            for r in rows if "answer" in r and "passages" in r}


def _nan(value: float | None) -> float:
    return float("nan") if value is None else value


def run(runs: list[Path], limit: int | None = None) -> dict[str, dict]:
    from rag.local_model import MODELS, ensure_gguf
    from rag.settings import Settings

    settings = Settings()
    model = YesNoModel(ensure_gguf(MODELS[settings.local_model], settings.model_cache), settings.threads)
    return {str(r): judge_run(Path(r), model, limit) for r in runs}
