"""``python -m eval retrieval|run|replay|ablate|judges|rescore|compare|rerank|weights|follow-ups|bench|judge|load|llm-speed``: the evaluation and benchmark runners."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path


def main(argv: list[str] | None = None) -> int:
    from rag.cli import configure_logging
    from rag.settings import apply_offline_environment

    apply_offline_environment()
    parser = argparse.ArgumentParser(prog="python -m eval")
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("retrieval", help="compare retrieval systems side by side and write a report")
    p.add_argument("--out", default="eval/reports", help="report folder (default eval/reports)")
    p.add_argument("--systems", help="only these systems, comma-separated (e.g. hybrid,hybrid-expand)")
    r = sub.add_parser("run", help="run the real pipeline over a question set and write a report")
    r.add_argument("--dataset", required=True)
    r.add_argument("--out", required=True)
    r.add_argument("--answerer", choices=["local", "extractive", "ollama", "openai", "fake", "tutorial"],
                   help="tutorial = the tutorial LangChain RAG baseline with the embedded model")
    r.add_argument("--corpus")
    r.add_argument("--index")
    rp = sub.add_parser("replay", help="answer a finished run's questions again with today's code and the "
                        "model's drafts read back from the run (minutes, not a run's quarter of an hour)")
    rp.add_argument("run", help="a run folder written by `eval run` with a chat-model answerer (from the folder "
                    "it was run in: its question set and corpus paths are relative to it)")
    rp.add_argument("--out", required=True)
    rp.add_argument("--index")
    ab = sub.add_parser("ablate", help="replay the committed local runs with each answer rule off, one at a time, "
                        "side by side with every rule on")
    ab.add_argument("--rules", help="only these rules, comma-separated (default: all)")
    ab.add_argument("--out", default="eval/reports", help="report folder (default eval/reports)")
    jp = sub.add_parser("judges", help="replay the committed local runs asking each judge prompt of "
                        "eval/prompts/judges wherever the answerability judge is asked, beside the shipped one")
    jp.add_argument("--out", default="eval/reports", help="report folder (default eval/reports)")
    c = sub.add_parser("compare", help="put several runs' metrics side by side")
    c.add_argument("runs", nargs="+")
    c.add_argument("--out", required=True)
    rr = sub.add_parser("rerank", help="measure an LLM reranking step against the default ranking")
    rr.add_argument("--out", default="eval/reports")
    fu = sub.add_parser("follow-ups", help="which query finds the paragraph a follow-up asks about: the questions "
                        "joined, translated, or rewritten by the embedded model")
    fu.add_argument("--out", default="eval/reports")
    w = sub.add_parser("weights", help="measure whether tuning the fusion weights carries over to unseen question sets")
    w.add_argument("--out", default="eval/reports")
    b = sub.add_parser("bench", help="cost and growth: ingest, search, answers, cold start, memory")
    b.add_argument("--paragraphs", type=int, default=100_000, help="synthetic corpus size (default 100000)")
    b.add_argument("--json", action="store_true", help="print one JSON object (the largest size, all runs inside)")
    b.add_argument("--out", default="eval/reports", help="report folder; '-' writes none")
    b.add_argument("--embedders", help="override the embedders of both sizes, e.g. hash (for quick checks)")
    b.add_argument("--local", type=int, default=5, help="questions for the embedded model per size (0 = skip it)")
    b.add_argument("--no-baseline", action="store_true", help="skip the tutorial LangChain baseline")
    b.add_argument("--baseline-max", type=int, default=20_000,
                   help="measure the tutorial baseline only on corpora up to this many paragraphs (default 20000)")
    b.add_argument("--no-cold", action="store_true", help="skip the cold-start process")
    j = sub.add_parser("judge", help="ALCE citation recall/precision of finished runs, by the offline LLM judge")
    j.add_argument("runs", nargs="+", help="run folders written by `eval run`")
    j.add_argument("--limit", type=int, help="judge only the first N questions of each run")
    rs = sub.add_parser("rescore", help="score finished runs again from their stored answers (after a metric "
                        "or question-set fix; no answerer runs)")
    rs.add_argument("runs", nargs="+", help="run folders written by `eval run`")
    ld = sub.add_parser("load", help="bounded load test of the app on loopback (gradio_client users)")
    ld.add_argument("--extractive", type=int, default=100, help="questions for the extractive answerer (0 = skip)")
    ld.add_argument("--local", type=int, default=20, help="questions for the embedded model (0 = skip)")
    ld.add_argument("--users", type=int, default=8)
    ld.add_argument("--out", default="eval/reports")
    sp = sub.add_parser("llm-speed", help="how fast llama.cpp builds read the answer prompt and write")
    sp.add_argument("--build", action="append", help="a folder with another llama-cpp-python install "
                    "(pip install --target), as PATH or NAME=PATH; 'installed' is this environment's (the default); repeatable")
    sp.add_argument("--rounds", type=int, default=3)
    sp.add_argument("--questions", type=int, default=8)
    sp.add_argument("--out", default="eval/reports", help="report folder; '-' writes none")
    args = parser.parse_args(argv)
    if args.command == "bench" and args.paragraphs < 1:
        parser.error("--paragraphs must be at least 1")
    if args.command == "judge" and args.limit is not None and args.limit < 1:
        parser.error("--limit must be at least 1")
    configure_logging()
    from rag.errors import RagError

    try:
        return _run(args)
    except RagError as err:  # a bad path, dataset or setting: one sentence, no traceback
        print(f"error: {err}", file=sys.stderr)
        return 1


def _run(args: argparse.Namespace) -> int:
    if args.command == "run":
        from .run import run as run_eval

        metrics = run_eval(Path(args.dataset), Path(args.out), args.answerer,
                           Path(args.corpus) if args.corpus else None, Path(args.index) if args.index else None)
        print(json.dumps({k: metrics[k] for k in ("cites_correct_rate", "citation_precision", "key_fact_recall",
                                                  "declined_unanswerable", "wrongly_declined_answerable",
                                                  "uncited_answers", "latency_p50_s")}, indent=1))
        print(f"wrote {Path(args.out) / 'report.md'}")
    if args.command == "replay":
        from .run import read_run, replay

        metrics = replay(Path(args.run), Path(args.out), Path(args.index) if args.index else None)
        before = {r["id"]: r for r in read_run(Path(args.run))[1]}
        after = {r["id"]: r for r in read_run(Path(args.out))[1]}
        for i in metrics["replay_changed"]:
            b, a = before[i], after[i]
            same = (b["citations"], b["refused"]) == (a["citations"], a["refused"])
            print(f"{i}: " + " -> ".join("declined" if r["refused"] else f"cites {r['citations']}" for r in (b, a))
                  + (" (reworded)" if same else ""))
        print(json.dumps({k: metrics[k] for k in ("cites_correct_rate", "citation_precision", "key_fact_recall",
                                                  "declined_unanswerable", "wrongly_declined_answerable",
                                                  "uncited_answers")}, indent=1))
        print(f"{len(metrics['replay_changed'])} of {metrics['questions']} answers changed; "
              f"{len(metrics['replay_generated'])} drafts generated anew; wrote {Path(args.out) / 'report.md'}")
    if args.command == "ablate":
        from .ablate import RULES
        from .ablate import run as run_ablate

        run_ablate(Path(args.out), _chosen(RULES, args.rules, "answer rule"))
        print(f"wrote {Path(args.out) / 'ablation.md'}")
    if args.command == "judges":
        from .judges import run as run_judges

        run_judges(Path(args.out))
    if args.command == "bench":
        from .bench import run as run_bench

        summary = run_bench(args.paragraphs, None if args.out == "-" else Path(args.out),
                            args.embedders.split(",") if args.embedders else None, args.local,
                            not args.no_baseline, not args.no_cold, args.baseline_max)
        if args.json:
            print(json.dumps({k: v for k, v in summary.items()}))
        else:
            print(f"wrote {Path(args.out) / 'bench.md'}" if args.out != "-" else json.dumps(summary, indent=1))
    if args.command == "judge":
        from .judge import run as run_judge

        for name, scores in run_judge([Path(r) for r in args.runs], args.limit).items():
            print(name, json.dumps(scores))
    if args.command == "rescore":
        from .run import rescore

        for r in args.runs:
            m = rescore(Path(r))
            print(r, json.dumps({k: m[k] for k in ("cites_correct_rate", "citation_precision", "key_fact_recall",
                                                    "declined_unanswerable", "wrongly_declined_answerable")}))
    if args.command == "load":
        from .load import run as run_load

        runs = run_load(args.extractive, args.local, args.users, Path(args.out))
        for r in runs:
            print(json.dumps({k: v for k, v in r.items() if k != "records"}))
        print(f"wrote {Path(args.out) / 'load.md'}")
        return 0 if all(r["passed"] for r in runs) else 1
    if args.command == "llm-speed":
        from .llm_speed import run as run_speed

        summary = run_speed(args.build or ["installed"], args.rounds, args.questions,
                            None if args.out == "-" else Path(args.out))
        print(json.dumps(summary["builds"], indent=1))
    if args.command == "compare":
        from .compare import compare

        print(compare([Path(r) for r in args.runs], Path(args.out)))
    if args.command == "rerank":
        from .rerank import run as run_rerank

        run_rerank(Path(args.out))
        print(f"wrote {Path(args.out) / 'rerank.md'}")
    if args.command == "follow-ups":
        from .follow_ups import run as run_follow_ups

        run_follow_ups(Path(args.out))
        print(f"wrote {Path(args.out) / 'follow_ups.md'}")
    if args.command == "weights":
        from .weights import run as run_weights

        run_weights(Path(args.out))
        print(f"wrote {Path(args.out) / 'weights.md'}")
    if args.command == "retrieval":
        from .retrieval import SYSTEMS, run

        run(Path(args.out), _chosen(SYSTEMS, args.systems, "retrieval system"))
        print(f"wrote {Path(args.out) / 'retrieval.md'}")
    return 0


def _chosen(items: list, names: str | None, kind: str) -> list:
    """The ``items`` (each with a ``name``) named in the comma-separated ``names``, in their own order; all of
    them when ``names`` is empty; one sentence naming any unknown name and the choices."""
    if not names:
        return items
    wanted = names.split(",")
    unknown = sorted(set(wanted) - {item.name for item in items})
    if unknown:
        from rag.errors import RagError

        raise RagError(f"No {kind} {', '.join(unknown)}; choose from {', '.join(item.name for item in items)}.")
    return [item for item in items if item.name in wanted]
