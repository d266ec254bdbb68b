"""Which wording of the answerability judge tells answerable questions from unanswerable ones best?

    python -m eval judges [--out eval/reports]

The judge (``Asker._judge``: the embedded model's P("Yes") that the passages answer the question) decides
whether a refusal is overruled. Every committed local run (``eval/reports/<set>/local``) is replayed, its
drafts read back (see ``eval.run.replay``), and wherever the chain asks the judge, each prompt in
``eval/prompts/judges/`` is asked too, about the same question and passages, beside the shipped one
(``prompts/answerable_user.md``). Per prompt: ROC AUC over the judged questions, pooled and by set; and,
since the prompts read on different scales, the threshold each set gets when it is held out and the
threshold is picked on the other sets: the lowest that lets through no larger share of their unanswerable
questions than the reference prompt did at the reference threshold (the library examples at 0.7, the
shipped judge until 2026-12-07). Writes ``judges.md`` and ``judges.json``.
"""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from unittest import mock

from rag import answer
from rag.errors import RagError
from rag.prompts import names, render

from .run import open_replay, replay_rows

RUNS = Path("eval/reports")
JUDGES = Path(__file__).resolve().parent / "prompts" / "judges"
SHIPPED = "shipped"
REFERENCE, REFERENCE_THRESHOLD = "library", 0.7


def judge_run(run_dir: Path, prompts: list[str], progress: bool = True) -> list[dict]:
    """The run's questions the chain judged, each with its P("Yes") under the shipped prompt (as the chain asked
    it) and under each of ``prompts`` (from ``eval/prompts/judges``); a question judged twice counts once."""
    from tqdm import tqdm

    run = open_replay(run_dir)
    original = answer.Asker._judge
    judged: list[dict] = []
    for row in tqdm(run.rows, desc=f"judges ({run_dir.parent.name})", disable=not progress):
        def judge(asker, question, evidence, timings, row=row):
            p_yes = original(asker, question, evidence, timings)
            if p_yes is not None and not any(j["id"] == row.id for j in judged):
                passages = answer._passages(evidence)
                scores = {SHIPPED: p_yes}
                for name in prompts:
                    scores[name] = asker.chat_model.p_yes(
                        render("answer_system"), render(name, JUDGES, passages=passages, question=question))
                judged.append({"set": run_dir.parent.name, "id": row.id, "answerable": row.answerable,
                               "question": question, "p_yes": scores})
            return p_yes

        with mock.patch.object(answer.Asker, "_judge", judge):
            replay_rows(replace(run, rows=[row]), progress=False)
    return judged


def auc(judged: list[dict], prompt: str) -> float | None:
    """ROC AUC of ``prompt``'s P("Yes") for answerable against unanswerable questions; None without both."""
    from sklearn.metrics import roc_auc_score

    labels = [j["answerable"] for j in judged]
    if len(set(labels)) < 2:
        return None
    return float(roc_auc_score(labels, [j["p_yes"][prompt] for j in judged]))


def through(judged: list[dict], prompt: str, threshold: float, answerable: bool) -> int:
    """How many of the (un)answerable judged questions ``prompt`` lets through at ``threshold``."""
    return sum(1 for j in judged if j["answerable"] == answerable and j["p_yes"][prompt] >= threshold)


def matched_threshold(judged: list[dict], prompt: str) -> float:
    """The lowest threshold (of the values ``prompt`` gave) at which it lets through no larger share of the
    unanswerable ``judged`` questions than the reference prompt at the reference threshold."""
    unanswerable = [j for j in judged if not j["answerable"]]
    if not unanswerable:
        raise RagError("No unanswerable question was judged: no threshold can be matched.")
    budget = through(judged, REFERENCE, REFERENCE_THRESHOLD, False)
    candidates = sorted({j["p_yes"][prompt] for j in judged} | {1.0 + 1e-9})
    return next(t for t in candidates if through(judged, prompt, t, False) <= budget)


def held_out(judged: list[dict], prompt: str) -> dict:
    """Each set held out, its threshold matched on the others: the thresholds and what they let through there."""
    sets = sorted({j["set"] for j in judged})
    out = {"thresholds": {}, "answerable": 0, "unanswerable": 0}
    for name in sets:
        threshold = matched_threshold([j for j in judged if j["set"] != name], prompt)
        mine = [j for j in judged if j["set"] == name]
        out["thresholds"][name] = threshold
        out["answerable"] += through(mine, prompt, threshold, True)
        out["unanswerable"] += through(mine, prompt, threshold, False)
    return out


def summarise(judged: list[dict]) -> dict:
    if not judged:
        raise RagError("No question of the committed runs was judged: there is nothing to compare the prompts on.")
    prompts = list(judged[0]["p_yes"])
    if REFERENCE not in prompts:
        raise RagError(f"The reference judge prompt {REFERENCE!r} is not in {JUDGES}.")
    sets = sorted({j["set"] for j in judged})
    return {
        "questions": len(judged), "answerable": sum(j["answerable"] for j in judged),
        "reference": {"answerable": through(judged, REFERENCE, REFERENCE_THRESHOLD, True),
                      "unanswerable": through(judged, REFERENCE, REFERENCE_THRESHOLD, False)},
        "prompts": {p: {"auc": auc(judged, p),
                        "by_set": {s: auc([j for j in judged if j["set"] == s], p) for s in sets},
                        "held_out": held_out(judged, p)} for p in prompts},
    }


def report(summary: dict) -> str:
    n, yes = summary["questions"], summary["answerable"]
    sets = sorted(next(iter(summary["prompts"].values()))["by_set"])
    lines = [
        "# Which judge prompt tells answerable questions from unanswerable ones?", "",
        "Produced by `python -m eval judges`: every committed local run replayed, and wherever the chain asked the "
        "answerability judge, each prompt in `eval/prompts/judges/` asked too, about the same question and "
        f"passages, beside the shipped `prompts/answerable_user.md`. {n} questions judged, {yes} of them "
        f"answerable. Held out: each set's threshold is picked on the other sets, the lowest that lets through no "
        f"larger share of their unanswerable questions than `{REFERENCE}` at {REFERENCE_THRESHOLD}; the counts "
        "are what those thresholds let through on the held-out sets.", "",
        "| prompt | ROC AUC | held out: answerable let through | unanswerable let through | thresholds |",
        "|---|---|---|---|---|",
    ]
    for name, s in summary["prompts"].items():
        h = s["held_out"]
        thresholds = sorted(h["thresholds"].values())
        lines.append(f"| {name} | {_f(s['auc'])} | {h['answerable']} of {yes} | {h['unanswerable']} of {n - yes} | "
                     f"{thresholds[0]:.3f}-{thresholds[-1]:.3f} |")
    reference = summary["reference"]
    lines += ["", f"`{REFERENCE}` at {REFERENCE_THRESHOLD} itself (no threshold picked): {reference['answerable']} of {yes} "
              f"answerable let through, {reference['unanswerable']} of {n - yes} unanswerable."]
    lines += ["", "ROC AUC by set:", "", "| prompt | " + " | ".join(sets) + " |", "|---|" + "---|" * len(sets)]
    for name, s in summary["prompts"].items():
        lines.append(f"| {name} | " + " | ".join(_f(s["by_set"][x]) for x in sets) + " |")
    return "\n".join(lines) + "\n"


def _f(x: float | None) -> str:
    return "–" if x is None else f"{x:.3f}"


def run(out: Path, progress: bool = True) -> None:
    dirs = sorted(d for d in RUNS.glob("*/local") if (d / "results.jsonl").is_file())
    if not dirs:
        raise RagError(f"No committed local runs in {RUNS}/*/local to replay.")
    judged = [j for d in dirs for j in judge_run(d, names(JUDGES), progress)]
    summary = summarise(judged)
    out.mkdir(parents=True, exist_ok=True)
    (out / "judges.json").write_text(json.dumps({**summary, "judged": judged}, ensure_ascii=False, indent=1) + "\n")
    (out / "judges.md").write_text(report(summary))
    print(f"wrote {out / 'judges.md'}")
