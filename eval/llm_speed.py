"""``python -m eval llm-speed``: how fast llama.cpp reads the answer prompt and writes, per build.

    python -m eval llm-speed [--build PATH ...] [--rounds 3] [--questions 8] [--out eval/reports]

The embedded model's first token waits for llama.cpp to read the prompt: the
answer system prompt is already in its KV cache (it is the same for every
question), so what it reads is the passages and the question, about 150-250
tokens. How fast that goes depends on the CPU instructions llama.cpp was
compiled for (the Makefile picks them, see ``LLAMA_CMAKE_ARGS``).

Each ``--build`` is a folder holding another llama-cpp-python install
(``pip install --target PATH``), optionally named (``avx2=PATH``); ``installed`` is
the one in this environment (the default). The builds are measured in turns, one fresh process per build
and round, so a slow spell of a shared machine falls on all of them. Each process
renders the real answer prompts (``prompts/``) for the first ``--questions``
questions of the Beijing set, with their gold paragraphs cut to the evidence
budget as passages, and measures per prompt:

- reading the prompt after the cached system prompt (tokens/s; the time to the first token);
- writing 32 tokens after that (tokens/s).

It also times the first question after the model is loaded, the app's chat model
(``LlamaCppChatModel``) in a fresh process per start and round, with the
installed build: started as before this change (``load()``: the weights only)
or warmed (``warm()``: the system prompt read in too, what the app does now).
It reports how long the start took and the first and second questions' time to
the first token.

Writes ``llm_speed.md`` and ``llm_speed.json``: medians over all prompts and rounds.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DATASET = ROOT / "eval" / "datasets" / "beijing_initiative.jsonl"
CORPUS = ROOT / "corpus" / "beijing_initiative_2017.txt"
GENERATED = 32
EVIDENCE_CHARS = 750  # evidence.select_evidence's budget


def _prompts(n: int) -> list[tuple[str, str]]:
    """(system, user) of the answer prompt for the first ``n`` answerable single-turn questions."""
    from rag.ingest import load_corpus
    from rag.prompts import render

    paragraphs = {p.number: p for p in load_corpus(CORPUS)[0].paragraphs}
    out = []
    for line in DATASET.read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        if not row.get("answerable") or row.get("history") or not row.get("gold_paragraphs"):
            continue
        p = paragraphs[row["gold_paragraphs"][0]]
        passages = [{"label": p.label, "text": p.text[:EVIDENCE_CHARS]}]
        out.append((render("answer_system"), render("answer_user", passages=passages, history=[],
                                                    question=row["question"])))
        if len(out) == n:
            break
    return out


def measure(model_path: str, questions: int, threads: int) -> dict:
    """One process's measurements of the llama.cpp it imports (see the module docstring)."""
    import llama_cpp
    from llama_cpp import Llama

    from rag.llm import chatml, compiled_features

    llm = Llama(model_path=model_path, n_ctx=4096, n_threads=threads, verbose=False)
    features = compiled_features(llama_cpp.llama_print_system_info().decode(errors="replace"))

    def tokens(text: str) -> list[int]:
        return llm.tokenize(text.encode(), add_bos=False, special=True)

    rows = []
    for system, user in _prompts(questions):
        head, prompt = tokens(chatml(system)), tokens(chatml(system, user))
        assert prompt[: len(head)] == head  # special tokens split the text, so the system turn tokenizes alike
        tail = prompt[len(head):]
        llm.reset()
        llm.eval(head)  # the system prompt, cached as in the app
        t = time.perf_counter()
        llm.eval(tail)
        read = time.perf_counter() - t
        t = time.perf_counter()
        for _ in range(GENERATED):
            token = llm.sample(temp=0.0)
            llm.eval([token])
        write = time.perf_counter() - t
        rows.append({"prompt_tokens": len(tail), "read_s": read, "read_tps": len(tail) / read,
                     "write_tps": GENERATED / write})
    llm.close()
    return {"features": features, "rows": rows}


START_MODES = ("load", "warm")


def first_questions(model_path: str, mode: str, threads: int) -> dict:
    """One process: start the app's chat model by ``mode`` ("load" or "warm"), then time two questions' first token."""
    from langchain_core.messages import HumanMessage, SystemMessage

    from rag.llm import LlamaCppChatModel

    model = LlamaCppChatModel(model_path=model_path, n_threads=threads)
    prompts = _prompts(8)
    first = prompts[0]
    second = next(p for p in prompts if p[1].split("\n")[1] != first[1].split("\n")[1])  # another passage
    t = time.perf_counter()
    model.load() if mode == "load" else model.warm(first[0])
    out = {"mode": mode, "start_s": time.perf_counter() - t}
    for name, (system, user) in zip(("first_s", "second_s"), (first, second)):
        t = time.perf_counter()
        for _ in model.stream([SystemMessage(system), HumanMessage(user)], max_tokens=1):
            break
        out[name] = time.perf_counter() - t
    return out


def run(builds: list[str], rounds: int, questions: int, out: Path | None, threads: int = 2) -> dict:
    from rag.local_model import MODELS, ensure_gguf
    from rag.settings import Settings

    settings = Settings()
    model = str(ensure_gguf(MODELS[settings.local_model], Path(settings.model_cache)))
    results: dict[str, dict] = {b: {"features": None, "rows": []} for b in builds}
    for r in range(rounds):
        for build in builds if r % 2 == 0 else builds[::-1]:
            env = dict(os.environ)
            if build != "installed":
                env["PYTHONPATH"] = os.pathsep.join([build.split("=", 1)[-1], str(ROOT)])
            done = subprocess.run([sys.executable, "-m", "eval.llm_speed", "--worker", model, str(questions),
                                   str(threads)], env=env, cwd=ROOT, capture_output=True, text=True, check=True)
            got = json.loads(done.stdout.strip().splitlines()[-1])
            results[build]["features"] = got["features"]
            results[build]["rows"].extend(got["rows"])
    starts: list[dict] = []
    for r in range(rounds):  # the installed build's chat model, started both ways, in turns
        for mode in START_MODES if r % 2 == 0 else START_MODES[::-1]:
            done = subprocess.run([sys.executable, "-m", "eval.llm_speed", "--start", model, mode, str(threads)],
                                  cwd=ROOT, capture_output=True, text=True, check=True)
            starts.append(json.loads(done.stdout.strip().splitlines()[-1]))
    summary = {"rounds": rounds, "questions": questions, "threads": threads, "builds": [], "starts": [
        {"mode": mode, **{key: round(statistics.median(x[key] for x in starts if x["mode"] == mode), 2)
                          for key in ("start_s", "first_s", "second_s")}} for mode in START_MODES]}
    for build, res in results.items():
        rows = res["rows"]
        summary["builds"].append({
            "build": build.split("=", 1)[0], "features": res["features"],
            "prompt_tokens_p50": statistics.median(x["prompt_tokens"] for x in rows),
            "read_tps_p50": round(statistics.median(x["read_tps"] for x in rows), 1),
            "read_s_p50": round(statistics.median(x["read_s"] for x in rows), 3),
            "write_tps_p50": round(statistics.median(x["write_tps"] for x in rows), 1),
        })
    if out is not None:
        out.mkdir(parents=True, exist_ok=True)
        (out / "llm_speed.json").write_text(json.dumps(summary, indent=1) + "\n", encoding="utf-8")
        (out / "llm_speed.md").write_text(report(summary), encoding="utf-8")
    return summary


def report(summary: dict) -> str:
    base = summary["builds"][0]
    lines = [
        "# llama.cpp builds: reading the answer prompt, writing the answer",
        "",
        f"Written by `python -m eval llm-speed`. {summary['questions']} answer prompts (Beijing questions, "
        f"gold paragraph cut to {EVIDENCE_CHARS} characters), the system prompt cached, {summary['threads']} "
        f"threads; the builds measured in turns, {summary['rounds']} rounds, a fresh process each. "
        "Medians over all prompts and rounds.",
        "",
        "| build | compiled for | prompt tokens read | read tokens/s | time to read (first token) | "
        f"write tokens/s ({GENERATED} tokens) | read speed vs first |",
        "|---|---|---|---|---|---|---|",
    ]
    for b in summary["builds"]:
        features = ", ".join(f for f in b["features"] if f.startswith(("AVX", "AMX", "FMA", "F16C")))
        lines.append(f"| {b['build']} | {features} | {b['prompt_tokens_p50']:g} | {b['read_tps_p50']} | "
                     f"{b['read_s_p50']} s | {b['write_tps_p50']} | "
                     f"{b['read_tps_p50'] / base['read_tps_p50']:.2f}x |")
    if summary.get("starts"):
        lines += [
            "",
            "## The first question after the model is loaded",
            "",
            f"The app's chat model with the installed build, a fresh process per start, {summary['rounds']} rounds, "
            "the two starts in turns; two Beijing answer prompts on different paragraphs asked in order, time to their first token. "
            "`load`: the weights only; `warm`: the answer system prompt read into the KV cache as well "
            "(`Asker.warm`, what the app and `eval run` do at start). Medians.",
            "",
            "| start | start takes | first question, first token | second question, first token |",
            "|---|---|---|---|",
        ]
        for st in summary["starts"]:
            lines.append(f"| {st['mode']} | {st['start_s']} s | {st['first_s']} s | {st['second_s']} s |")
    return "\n".join(lines) + "\n"


if __name__ == "__main__" and len(sys.argv) == 5 and sys.argv[1] == "--worker":
    print(json.dumps(measure(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]))))
if __name__ == "__main__" and len(sys.argv) == 5 and sys.argv[1] == "--start":
    print(json.dumps(first_questions(sys.argv[2], sys.argv[3], int(sys.argv[4]))))
