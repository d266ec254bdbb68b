"""Which query finds the paragraph a follow-up asks about? Measured side by side, in one run.

    python -m eval follow-ups [--out eval/reports]

Every question set's answerable follow-ups that borrow the previous question's words ("And at weekends?"
after "What are the opening hours during the week?": ``Asker.query_parts`` gives two parts) are ranked by the
default retriever, pinning as ``ask`` does, with each query form of ``FORMS``. The embedded model's time per
rewrite is reported, and what a rewrite under a system message of its own costs the answer after it: the
answer prompt's system message, which llama.cpp otherwise keeps read from the question before, is read again.
Writes ``follow_ups.md`` and ``follow_ups.json``.
"""

from __future__ import annotations

import json
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from rag.pipeline import EmbedderPool, ModelPool, load_pipeline
from rag.prompts import render
from rag.settings import Settings
from rag.translate import QueryTranslator, follow_up_rewriter, rewrite_follow_up

from .dataset import load_rows
from .metrics import percentile, rank_scores, rank_summary
from .retrieval import DATASETS

PROMPTS = Path(__file__).parent / "prompts" / "follow_ups"
FORMS = {
    "joined": "the questions joined as they were asked (the extractive answerer's query); a follow-up to a "
              "follow-up with the question the thread started from too",
    "joined, question before only": "a follow-up joined to the question just before it only, as before "
                                    "2026-12-07 (differs from the above for a follow-up to a follow-up)",
    "joined, translated": "the same, with a part in another language translated into English apart from the "
                          "other (the local answerer's query, the default)",
    "rewritten, answer system": "the local model's standalone English question, asked under the answer prompt's "
                                "system message, as the translation is (eval/prompts/follow_ups)",
    "rewritten": "the local model's standalone English question, asked under a system message of its own "
                 "(RAG_REWRITE_FOLLOW_UPS=true: prompts/condense_system.md, prompts/condense_user.md)",
}


def run(out: Path, datasets: dict = DATASETS) -> dict:
    settings = Settings()
    pool, models = EmbedderPool(settings), ModelPool(settings)
    results: dict = {"forms": FORMS, "datasets": {}, "rewrite_s": {}}
    seconds: dict[str, list[float]] = {form: [] for form in FORMS}
    asker = rewriter = None
    for name, (corpus, questions) in datasets.items():
        with tempfile.TemporaryDirectory() as tmp:
            pipeline = load_pipeline(Settings(corpus=corpus, index_dir=Path(tmp) / "index", k=10, answerer="local"),
                                     pool=pool, models=models)
            asker = pipeline.asker()
            rewriter = follow_up_rewriter(asker.chat_model, settings.first_token_timeout_s)
            in_answer_system = QueryTranslator(asker.chat_model, settings.first_token_timeout_s,
                                               prompt="condense_answer_user", needed=lambda s: True, folder=PROMPTS)
            queries = {
                "joined": lambda parts: None,
                "joined, question before only": lambda parts: " ".join(parts[-2:]) if len(parts) > 2 else None,
                "joined, translated": asker.translate_query,
                "rewritten, answer system": _timed(asker, in_answer_system, seconds["rewritten, answer system"]),
                "rewritten": _timed(asker, rewriter, seconds["rewritten"]),
            }
            rows = []
            for row in load_rows(questions):
                parts = asker.query_parts(row.question, list(row.history))
                if row.answerable and len(parts) > 1:
                    rows.append(_ranked(pipeline.search, row, parts, queries))
        results["datasets"][name] = rows
        print(name, len(rows), "follow-ups ranked", flush=True)
    everything = [r for rows in results["datasets"].values() for r in rows]
    results["all"] = {form: rank_summary(r["forms"][form] for r in everything) for form in FORMS}
    chained = [r for r in everything if r["parts"] > 2]
    if chained:
        results["chained"] = {form: rank_summary(r["forms"][form] for r in chained) for form in FORMS}
    results["rewrite_s"] = {form: {"p50": statistics.median(s), "p95": percentile(s, 95), "n": len(s)}
                            for form, s in seconds.items() if s}
    results["answer_system_reread_s"] = _reread_cost(asker.chat_model, rewriter) if asker else {}
    out.mkdir(parents=True, exist_ok=True)
    (out / "follow_ups.json").write_text(json.dumps(results, indent=1, ensure_ascii=False))
    (out / "follow_ups.md").write_text(render_report(results))
    return results


def _timed(asker, rewrite: Callable[..., str | None], seconds: list[float]) -> Callable[[list[str]], str | None]:
    """``rewrite`` of a follow-up's parts as ``ask`` would rank by it, its time appended to ``seconds``. The
    model holds the answer prompt's system message first, as after the answer to the question before; a rewrite
    that is no English question falls back to the translation, as in ``ask`` (not timed)."""
    warm = getattr(asker.chat_model, "warm", lambda system: None)

    def query(parts: list[str]) -> str | None:
        warm(render("answer_system"))
        started = time.perf_counter()
        text = rewrite_follow_up(rewrite, parts)
        seconds.append(time.perf_counter() - started)
        return text or asker.translate_query(parts)
    return query


def _ranked(search: Callable, row, parts: list[str], queries: dict[str, Callable]) -> dict:
    """One follow-up ranked with each query form: its rank scores and the text ranked by."""
    query = " ".join(parts)
    out = {"id": row.id, "question": row.question, "previous": " ".join(parts[:-1]), "parts": len(parts),
           "gold": list(row.gold), "forms": {}, "ranked_by": {}, "top": {}}
    for form, make in queries.items():
        text = make(parts)
        ranked = [hit.paragraph.number for hit in search(query, 10, translation=text).hits]
        out["forms"][form], out["ranked_by"][form], out["top"][form] = rank_scores(ranked, row.gold), text, ranked[:3]
    return out


def _reread_cost(chat_model, rewriter) -> dict:
    """Seconds to read the answer prompt's system message when llama.cpp holds it already (another question
    before), and after a rewrite under its own system message (median of five each)."""
    warm = getattr(chat_model, "warm", None)
    if warm is None:
        return {}
    system = render("answer_system")
    kept, again = [], []
    for i in range(5):
        warm(system)
        started = time.perf_counter()
        warm(system)
        kept.append(time.perf_counter() - started)
        rewriter(f"And at weekends ({i})?", previous="What are the opening hours during the week?")
        started = time.perf_counter()
        warm(system)
        again.append(time.perf_counter() - started)
    return {"kept": statistics.median(kept), "read_again": statistics.median(again)}


def render_report(results: dict) -> str:
    def cells(m: dict) -> str:
        return f"{m['recall@1']:.3f} | {m['recall@3']:.3f} | {m['mrr']:.3f}"

    everything = [r for rows in results["datasets"].values() for r in rows]
    lines = ["# Follow-ups: which query finds the paragraph they ask about?", "",
             "Produced by `python -m eval follow-ups` in one run. Each question set's answerable follow-ups that "
             "borrow the previous question's words, ranked by the default retriever (paragraphs either question "
             f"names pinned, as `ask` does), with each query form. {len(everything)} follow-ups in "
             f"{len(results['datasets'])} sets.", "", "| query | recall@1 | recall@3 | MRR | model time p50 / p95 |",
             "|---|---|---|---|---|"]
    for form, m in results["all"].items():
        t = results["rewrite_s"].get(form)
        took = f"{t['p50']:.2f} / {t['p95']:.2f} s" if t else "—"
        lines.append(f"| {form} | {cells(m)} | {took} |")
    if "chained" in results:  # summed by ``run`` over the follow-ups of three parts
        n = sum(r["parts"] > 2 for r in everything)
        lines += ["", f"Of these, the {n} follow-ups to a follow-up (\"And after ten?\" after \"And after "
                      "five years?\"), which borrow the question the thread started from too:", "",
                  "| query | recall@1 | recall@3 | MRR |", "|---|---|---|---|"]
        lines += [f"| {form} | {cells(m)} |" for form, m in results["chained"].items()]
    cost = results.get("answer_system_reread_s")
    if cost:
        lines += ["", f"The answer after a rewrite under its own system message reads the answer prompt's system "
                      f"message again: {cost['read_again']:.3f} s against {cost['kept']:.3f} s when it is kept "
                      "(median of five, `LocalChatModel.warm`)."]
    lines += ["", "## Query forms", ""] + [f"- **{k}**: {v}" for k, v in results["forms"].items()]
    lines += ["", "## Follow-ups whose paragraph a form does not rank first", "",
              "| follow-up | earlier question | gold | " + " | ".join(f"{f} (top 3)" for f in results["forms"]) + " |",
              "|---|---|---|" + "---|" * len(results["forms"])]
    for r in everything:
        if all(s["r1"] == 1.0 for s in r["forms"].values()):
            continue
        tops = " | ".join(f"{'✓' if r['forms'][f]['r1'] == 1.0 else '✗'} {r['top'][f]}" for f in results["forms"])
        lines.append(f"| `{r['id']}` {_cell(r['question'])} | {_cell(r['previous'])} | {r['gold']} | {tops} |")
    lines += ["", "## What each rewrite said", "", "| follow-up | rewritten, answer system | rewritten |", "|---|---|---|"]
    for r in everything:
        lines.append(f"| `{r['id']}` {_cell(r['question'])} | {_cell(r['ranked_by']['rewritten, answer system'])} | "
                     f"{_cell(r['ranked_by']['rewritten'])} |")
    return "\n".join(lines) + "\n"


def _cell(text: str | None) -> str:
    return "—" if not text else text.replace("|", "\\|").replace("\n", " ")
