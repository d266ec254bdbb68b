"""Run the real pipeline over a question set and score it.

    python -m eval run --dataset FILE --out DIR [--answerer NAME] [--corpus PATH] [--index PATH]
    python -m eval replay RUN --out DIR

Writes ``DIR/results.jsonl`` (one row per question), ``DIR/metrics.json`` and
``DIR/report.md``. A question that raises is scored as a failure and the run
goes on. ``replay`` answers a finished run's questions again with the model's
drafts read back from it (see :func:`replay`).
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from rag.answer import AnswerResult, Asker
from rag.errors import BackendError, RagError
from rag.extractive import ZH_LEAD
from rag.pipeline import load_pipeline
from rag.retrieve import mostly_latin
from rag.settings import Settings, load_settings

from .dataset import Row, load_rows
from .metrics import (cites_correct, citation_precision, english_words, key_fact_recall, mean, nanmean, percentile,
                      rank_scores, rank_summary)


# every key score_row may set: a rescore drops them all first (a question may since have changed kind)
SCORES = ("uncited", "in_language", "r1", "r3", "r5", "rr", "wrongly_declined", "cites_correct",
          "citation_precision", "fact_recall", "declined")


def score_row(row: Row, answer: str, cited: list[int], refused: bool, retrieved: list[int],
              error: bool = False) -> dict:
    """Per-question metrics; each is a pure function of the row and the outcome. A question that raised
    (``error``) fails every measure of its kind, and is counted as an error, not as an uncited answer."""
    # asked in another script than the document's (Chinese) and answered in the answerer's own words (not the
    # extractive answer's, or a fallback's, "文件中的相关原文：" and the document's English sentences): in its language?
    own_words = not (refused or error or mostly_latin(row.question) or answer.startswith(ZH_LEAD))
    out: dict = {"uncited": not (refused or cited or error),
                 "in_language": float(english_words(answer) == 0) if own_words else float("nan")}
    if row.answerable:
        out.update({
            **rank_scores(retrieved, row.gold),
            "wrongly_declined": refused,
            "cites_correct": 0.0 if refused else cites_correct(cited, row.gold),
            "citation_precision": float("nan") if refused else citation_precision(cited, row.gold),
            "fact_recall": (0.0 if refused else key_fact_recall(answer, row.key_facts)) if row.key_facts else float("nan"),
        })
    else:
        out["declined"] = refused
    return out


def aggregate(records: list[dict]) -> dict:
    ans = [r for r in records if r["answerable"]]
    una = [r for r in records if not r["answerable"]]
    lat = [r["latency_s"] for r in records if r.get("latency_s") is not None]
    first = [r["first_token_s"] for r in records if r.get("first_token_s") is not None]
    in_language = [r["in_language"] for r in records
                   if r.get("in_language") is not None and r["in_language"] == r["in_language"]]  # not NaN
    return {
        "questions": len(records), "answerable": len(ans), "unanswerable": len(una),
        "errors": sum(1 for r in records if r.get("error")),
        **rank_summary(ans),
        "cites_correct_rate": mean(r["cites_correct"] for r in ans),
        "citation_precision": nanmean(r["citation_precision"] for r in ans),
        # the answers that precision is over: those that cite (a refusal or an uncited answer has none)
        "precision_answers": sum(1 for r in ans if r["citation_precision"] == r["citation_precision"]),
        "key_fact_recall": nanmean(r["fact_recall"] for r in ans),
        "declined_unanswerable": mean(float(r["declined"]) for r in una),
        "wrongly_declined_answerable": mean(float(r["wrongly_declined"]) for r in ans),
        "uncited_answers": sum(1 for r in records if r["uncited"]),
        # of the answers in their own words to questions in another script, the share with no untranslated words
        "answered_in_language": mean(in_language) if in_language else float("nan"),
        "language_answers": len(in_language),
        "fallbacks": sum(1 for r in records if r.get("fallback")),
        "latency_p50_s": percentile(lat, 50), "latency_p95_s": percentile(lat, 95),
        "first_token_p50_s": percentile(first, 50), "first_token_p95_s": percentile(first, 95),
    }


def run(dataset: Path, out: Path, answerer: str | None = None, corpus: Path | None = None,
        index: Path | None = None, progress: bool = True) -> dict:
    from tqdm import tqdm

    out = Path(out)
    _check_out(out)
    settings = _settings(corpus, index, answerer if answerer != "tutorial" else None)
    rows = load_rows(dataset)
    pipeline = load_pipeline(settings)
    if answerer == "tutorial":  # the baseline: its own splitter, store and prompt, the same embedded model
        from rag.llm import make_chat_model

        from .baselines import TutorialAsker

        asker = TutorialAsker(settings.corpus, pipeline.pool.get("minilm"), make_chat_model(settings, "local"))
    else:
        asker = pipeline.asker()
        asker.warm()  # as the app does at start: the first question's first token is timed like the others
    records = [answer_row(row, asker.ask) for row in tqdm(rows, desc=f"eval ({asker.name})", disable=not progress)]
    metrics = {"dataset": str(dataset), "answerer": asker.name, "corpus": str(settings.corpus),
               "index_dir": str(settings.index_dir), **nan_as_null(aggregate(records))}
    out.mkdir(parents=True, exist_ok=True)
    write_run(out, metrics, records)
    return metrics


def replay(run_dir: Path, out: Path, index: Path | None = None, progress: bool = True) -> dict:
    """Answer a finished run's questions again with today's code, reading the model's drafts back from the
    run instead of generating them: what a change to verification, refusal, completion or the fallback does
    to the same drafts, side by side with the run, in minutes instead of a run's quarter of an hour.

    Retrieval, evidence and every check run as in ``run``; the model is still asked what the run did not
    store: the yes/no judge, translations, and a draft for a question the run did not draft (counted in
    ``replay_generated``). A question whose second reading was stored replays that draft at both readings,
    and a stored timeout or backend error fails again. The judge reads its prompt with another KV-cache
    state than in the run (no draft was generated before it): its P("Yes") moved by up to 0.07 between
    the committed runs and their replay (a median 0.003-0.017), so a decision that near the threshold can
    differ. No latency is reported: nothing was generated. ``replay_changed`` names the questions whose
    answer, citations or refusal differ from the run's."""
    run_dir, out = Path(run_dir), Path(out)
    _check_out(out)
    if out.resolve() == run_dir.resolve():
        raise RagError(f"{out} is the run being replayed: --out takes another folder (the replay would "
                       "overwrite the drafts it reads).")
    run = open_replay(run_dir, index)
    records, generated = replay_rows(run, progress)
    outcome = ("answer", "citations", "refused")
    changed = [r["id"] for r in records if any(r.get(k) != run.drafts[r["id"]].get(k) for k in outcome)]
    replayed = {"dataset": run.metrics["dataset"], "answerer": run.asker.name, "corpus": str(run.settings.corpus),
                "index_dir": str(run.settings.index_dir), "replay_of": str(run_dir), "replay_generated": generated,
                "replay_changed": changed, **nan_as_null(aggregate(records))}
    out.mkdir(parents=True, exist_ok=True)
    write_run(out, replayed, records)
    return replayed


@dataclass
class Replayable:
    """A finished run opened for replay: its metrics, the question set it answered, its records by question
    id (the drafts), and an asker over the run's own index."""
    metrics: dict
    rows: list[Row]
    drafts: dict[str, dict]
    asker: Asker
    settings: Settings


def open_replay(run_dir: Path, index: Path | None = None) -> Replayable:
    """``run_dir`` read and its pipeline loaded, for :func:`replay_rows`; one sentence if it cannot be replayed."""
    metrics, stored = read_run(run_dir)
    if metrics["answerer"] in ("extractive", "tutorial"):
        raise RagError(f"{run_dir} is a run of the {metrics['answerer']} answerer: it has no model drafts to "
                       "replay (run it again instead).")
    rows = load_rows(Path(metrics["dataset"]))
    drafts = {r["id"]: r for r in stored}
    if {row.id for row in rows} != set(drafts):
        raise RagError(f"{run_dir} answered other questions than {metrics['dataset']} now holds "
                       "(`eval rescore` scores a run against today's set; replay needs the same questions).")
    # the run's own index: one that named its corpus (or index) recorded it; the default corpus's is the default's
    corpus = Path(metrics["corpus"])
    settings = _settings(None if corpus == load_settings().corpus else corpus,
                         index or (Path(metrics["index_dir"]) if metrics.get("index_dir") else None),
                         metrics["answerer"])
    return Replayable(metrics, rows, drafts, load_pipeline(settings).asker(), settings)


def replay_rows(run: Replayable, progress: bool = True) -> tuple[list[dict], list[str]]:
    """Each of the run's questions answered again from its stored draft (see :func:`replay`): the records, and
    the ids of the questions whose draft had to be generated."""
    from tqdm import tqdm

    generated: list[str] = []
    records = []
    for row in tqdm(run.rows, desc=f"replay ({run.asker.name})", disable=not progress):
        run.asker._generate = _stored_draft(run.asker, run.drafts[row.id], lambda: generated.append(row.id))
        try:
            record = answer_row(row, run.asker.ask)
        finally:
            del run.asker._generate  # the class's own again
        records.append({**record, "latency_s": None, "first_token_s": None})
    return records, generated


def _stored_draft(asker, record: dict, generating: Callable[[], None]):
    """``Asker._generate`` for a replay: the ``record``'s stored draft, and its stored failure again after the
    tokens that came before it (at the second reading, for a second reading that failed); the model itself
    (``generating`` is told) where the run stored no draft and no failure."""
    failure = record.get("fallback") or ""
    second = re.fullmatch(r"the second reading failed \((.*)\)", failure, re.DOTALL)
    failure = second.group(1) if second else failure
    calls = []

    def generate(question: str, evidence, history) -> Iterator[str]:
        calls.append(question)
        draft = record.get("draft") or ""
        fails = failure.startswith(("timeout: ", "backend error: ")) and (len(calls) == 2 or not second)
        if draft and not (fails and second):  # a second reading that failed streamed nothing the run kept
            yield draft
        if fails and failure.startswith("timeout: "):
            raise TimeoutError(failure.removeprefix("timeout: "))
        if fails:
            raise BackendError(f"(replayed) {failure.removeprefix('backend error: ')}")
        if not draft:
            generating()
            yield from type(asker)._generate(asker, question, evidence, history)

    return generate


def answer_row(row: Row, ask: Callable[[str, list[dict]], AnswerResult]) -> dict:
    """One question answered by ``ask`` and scored; an exception is scored as a failure (the run goes on)."""
    started = time.perf_counter()
    record = {"id": row.id, "question": row.question, "answerable": row.answerable, "gold": list(row.gold),
              "kind": row.kind}
    try:
        result = ask(row.question, list(row.history))
        cited = result.cited_numbers
        retrieved = [r["number"] for r in result.retrieved]
        record.update({
            "answer": result.answer, "citations": cited, "refused": result.refused,
            "refusal_reason": result.refusal_reason, "retrieved": retrieved, "query": result.query,
            "rewritten": result.rewritten, "expansion": result.expansion,
            "fallback": result.fallback, "answerability": getattr(result, "answerability", None),
            "notes": result.notes, "draft": result.draft,
            "latency_s": round(time.perf_counter() - started, 3),
            "first_token_s": result.timings.get("first_token_s"),
        })
        record.update(score_row(row, result.answer, cited, result.refused, retrieved))
    except Exception as err:  # scored as a failure; the run goes on
        record.update({"answer": "", "citations": [], "refused": False, "retrieved": [],
                       "error": f"{type(err).__name__}: {err}", "latency_s": None})
        record.update(score_row(row, "", [], False, [], error=True))
    return record


def _check_out(out: Path) -> None:
    if out.exists() and not out.is_dir():  # found now, not after every question has run
        raise RagError(f"{out} is a file: --out takes the folder the run's reports go to.")


def _settings(corpus: Path | None, index: Path | None, answerer: str | None):
    """The settings of a run: another corpus is indexed under ``.cache/eval-index/<its name>`` unless
    ``index`` says where."""
    overrides: dict = {}
    if corpus:
        overrides["corpus"] = Path(corpus)
        overrides["index_dir"] = Path(index) if index else Path(".cache/eval-index") / Path(corpus).stem
    elif index:
        overrides["index_dir"] = Path(index)
    if answerer:
        overrides["answerer"] = answerer
    return load_settings(**overrides)


def rescore(run_dir: Path) -> dict:
    """Score a finished run again from its stored answers, with today's metrics and question set (its
    gold paragraphs and key facts): a fix to either needs no new run of the answerer. Keeps the run's
    timings and its ALCE scores (those are the judge's, see ``eval judge``)."""
    run_dir = Path(run_dir)
    metrics, records = read_run(run_dir)
    rows = {row.id: row for row in load_rows(Path(metrics["dataset"]))}
    for record in records:
        row = rows.get(record["id"])
        if row is None:
            raise RagError(f"{run_dir}: question {record['id']!r} is no longer in {metrics['dataset']}.")
        for key in SCORES:
            record.pop(key, None)
        record.update({"answerable": row.answerable, "gold": list(row.gold), "kind": row.kind,
                       **score_row(row, record["answer"], record["citations"], record["refused"], record["retrieved"],
                                   error=bool(record.get("error")))})
    head = {k: v for k, v in metrics.items()
            if k in ("dataset", "answerer", "corpus", "index_dir") or k.startswith("replay_")}
    judged = {k: v for k, v in metrics.items() if k.startswith("alce_")}
    metrics = {**head, **nan_as_null(aggregate(records)), **judged}
    write_run(run_dir, metrics, records)
    return metrics


def read_run(run_dir: Path, with_records: bool = True) -> tuple[dict, list[dict]]:
    """A finished run's ``metrics.json`` and (``with_records``) its ``results.jsonl`` rows; a folder that
    holds no run is one :class:`RagError` sentence (``compare``, ``judge`` and ``rescore`` read runs so)."""
    run_dir = Path(run_dir)
    try:
        metrics = json.loads((run_dir / "metrics.json").read_text(encoding="utf-8"))
        lines = (run_dir / "results.jsonl").read_text(encoding="utf-8").splitlines() if with_records else []
        return metrics, [json.loads(line) for line in lines]
    except (OSError, ValueError) as err:
        raise RagError(f"{run_dir} is not a finished run of `python -m eval run` ({err}).") from None


def write_run(out: Path, metrics: dict, records: list[dict]) -> None:
    """A run's ``results.jsonl`` (a question without citations has NaN precision), then its metrics."""
    with open(out / "results.jsonl", "w", encoding="utf-8") as f:
        for r in records:
            f.write(json.dumps(r, ensure_ascii=False) + "\n")
    write_metrics(out, metrics, records)


def write_metrics(out: Path, metrics: dict, records: list[dict]) -> None:
    """``metrics.json`` and ``report.md`` of a run (the ALCE section too, once the run is judged)."""
    (out / "metrics.json").write_text(json.dumps(metrics, indent=1, ensure_ascii=False))
    (out / "report.md").write_text(render(metrics, records))


def nan_as_null(values: dict) -> dict:
    """NaN as null, for JSON."""
    return {k: (None if isinstance(v, float) and v != v else v) for k, v in values.items()}


def render(metrics: dict, records: list[dict]) -> str:
    m = metrics
    lines = [f"# Grounding evaluation: {m['answerer']} on {Path(m['dataset']).name}", "",
             f"{m['questions']} questions ({m['answerable']} answerable, {m['unanswerable']} not), "
             f"corpus `{m['corpus']}`. Produced by " + (
                 f"`python -m eval replay` of `{m['replay_of']}`: its drafts read back, "
                 f"{len(m.get('replay_generated') or [])} generated anew." if m.get("replay_of") else
                 "`python -m eval run`."), "",
             "| metric | value |", "|---|---|"]
    for key in ("cites_correct_rate", "citation_precision", "precision_answers", "key_fact_recall",
                "declined_unanswerable", "wrongly_declined_answerable", "uncited_answers", "answered_in_language",
                "language_answers", "fallbacks", "errors", "recall@1",
                "recall@3", "mrr", "latency_p50_s", "latency_p95_s", "first_token_p50_s", "first_token_p95_s"):
        v = m.get(key)  # a run scored before a metric existed lacks it: `eval rescore` adds it
        v = "–" if v is None else v
        lines.append(f"| {key} | {v:.3f} |" if isinstance(v, float) else f"| {key} | {v} |")
    worst = [r for r in records if r.get("error") or (r["answerable"] and (r.get("refused") or not r.get("cites_correct")))
             or (not r["answerable"] and not r.get("refused"))]
    lines += ["", f"## Items that failed ({len(worst)})", ""]
    for r in worst:
        why = r.get("error") or ("wrongly declined" if r["answerable"] and r.get("refused") else
                                 "answered an unanswerable question" if not r["answerable"] else
                                 f"cited {r.get('citations')}, gold {r['gold']}")
        lines.append(f"- `{r['id']}` ({r['kind']}): {why} — {r['question'][:90]!r}")
    if m.get("alce_judged_answers") is not None:
        lines += ["", "## ALCE citation scores (offline judge)", "",
                  f"Judged by the embedded Qwen2.5-Coder-1.5B (`python -m eval judge`) over {m['alce_judged_answers']} "
                  f"answered questions, {m['alce_judge_calls']} judge calls"
                  + (f" ({m['alce_reused_answers']} answers' scores kept from an earlier judging of the same answer)"
                     if m.get("alce_reused_answers") else "")
                  + f": citation recall {_fmt(m['alce_citation_recall'])}, "
                  f"citation precision {_fmt(m['alce_citation_precision'])}."]
    return "\n".join(lines) + "\n"


def _fmt(value: float | None) -> str:
    return "–" if value is None or value != value else f"{value:.3f}"
