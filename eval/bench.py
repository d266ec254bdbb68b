"""``python -m eval bench``: what the pipeline costs, and how the cost grows.

    python -m eval bench [--paragraphs 100000] [--json] [--out eval/reports]

Two sizes, each measured in its own worker process (so memory does not leak
from one into the other): the 16-paragraph Beijing Initiative with the default
settings, and ``--paragraphs`` synthetic paragraphs (``eval/synthetic.py``) with
the scale profile (MiniLM + BM25 over whole paragraphs, see ``SCALE``). Per size:

- ingest: parse + chunk + embed + store + BM25 + manifest through ``build_index``
  into a fresh index, in paragraphs/s; beside it the embedders alone on the same
  chunk texts (a sample of them for large corpora), so ``ingest_s / embed_s``
  is the overhead the project adds;
- re-indexing the unchanged corpus (must embed nothing);
- warm search latency p50/p95, with a self-retrieval check (a query made of
  one paragraph's words should find that paragraph);
- answer latency: extractive, and the embedded model's first token and total;
- the tutorial LangChain RAG (1000/200 splitter, MiniLM, Chroma) built and
  searched on the same corpus in the same run, for the ratio;
- cold start: a new ``python -m rag ask`` process with the embedded model
  against the existing index: seconds until it is ready to answer (its wall
  time less the answer's own time), to its first answer, and its peak RSS.

Writes ``bench.md``, ``bench.json`` and ``bench.png``.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from .metrics import percentile

ROOT = Path(__file__).resolve().parents[1]
BEIJING = ROOT / "corpus" / "beijing_initiative_2017.txt"
DATASET = ROOT / "eval" / "datasets" / "beijing_initiative.jsonl"
SCALE = {"embedders": ["minilm"], "window_sentences": 0}  # e5 and windows would take hours at 100k here
EMBED_SAMPLE = 5000  # texts timed for the embedder-alone figure on large corpora
QUERIES = 200
# The tutorial baseline embeds ~1.2 chunks of 1,000 characters per paragraph with MiniLM: about
# 35 minutes at 100,000 paragraphs here, so by default it is measured up to this size only.
BASELINE_MAX = 20_000
GOALS = {"overhead_ratio": 1.2, "search_p50_ms": 100.0, "cold_start_s": 15.0, "peak_rss_mb": 3072.0}


# --------------------------------------------------------------------------- the worker (one size)


def _queries(paragraphs: list, n: int, seed: int) -> list[tuple[str, int]]:
    """(question, paragraph number) pairs: 6 words of one paragraph, in order, like a reader's keywords."""
    rng = np.random.default_rng(seed)
    out = []
    for i in rng.choice(len(paragraphs), size=min(n, len(paragraphs) * 4), replace=len(paragraphs) < n):
        p = paragraphs[int(i)]
        words = [w for w in p.text.replace(".", " ").split() if len(w) > 3]
        start = int(rng.integers(0, max(1, len(words) - 6)))
        out.append((" ".join(words[start : start + 6]), p.number))
    return out[:n]


def _ms(seconds: list[float]) -> dict:
    ms = [s * 1000 for s in seconds]
    return {"p50_ms": round(percentile(ms, 50), 1), "p95_ms": round(percentile(ms, 95), 1)}


def worker(spec: dict) -> dict:
    """Measure one corpus in this process; ``spec`` names the corpus, index folder and settings."""
    from rag.index import build_index, chunks_for, embed_texts, embedding_order, index_texts
    from rag.ingest import load_corpus
    from rag.pipeline import EmbedderPool, load_pipeline
    from rag.settings import Settings

    settings = Settings(corpus=Path(spec["corpus"]), index_dir=Path(spec["index"]), answerer="extractive",
                        **spec["settings"])
    out: dict = {"settings": spec["settings"]}
    pool = EmbedderPool(settings)
    t = time.perf_counter()
    embedders = pool.all()
    for e in embedders.values():
        e.embed_documents(["warm up"])
    out["model_load_s"] = round(time.perf_counter() - t, 2)

    # ingest through the project's own path, into a fresh index
    from rag import store

    t = time.perf_counter()
    documents = load_corpus(settings.corpus)
    client = store.connect(settings.index_dir, settings.chroma_url)
    report = build_index(settings, documents, embedders, client)
    ingest_s = time.perf_counter() - t
    paragraphs = [p for d in documents for p in d.paragraphs]
    out.update(paragraphs=len(paragraphs), chunks=report.chunks, ingest_s=round(ingest_s, 2),
               ingest_per_s=round(len(paragraphs) / ingest_s, 1))

    # the embedders alone on the same texts (sorted by length, batched, as the build does)
    texts = embedding_order(index_texts(settings, chunks_for(settings, paragraphs)))
    sample = texts if len(texts) <= EMBED_SAMPLE else texts[:: len(texts) // EMBED_SAMPLE]
    t = time.perf_counter()
    for e in embedders.values():
        embed_texts(e, sample, settings.embed_batch_size, None)
    embed_s = (time.perf_counter() - t) * len(texts) / len(sample)
    out.update(embed_s=round(embed_s, 2), embed_sampled=len(sample) < len(texts),
               embedder_per_s=round(len(paragraphs) / embed_s, 1), overhead_ratio=round(ingest_s / embed_s, 3))

    t = time.perf_counter()
    again = build_index(settings, load_corpus(settings.corpus), embedders, client)
    out.update(reindex_unchanged_s=round(time.perf_counter() - t, 2), reindex_embedded=again.embedded)

    pipeline = load_pipeline(settings, pool=pool)
    queries = _queries(paragraphs, QUERIES, seed=1)
    for q, _ in queries[:3]:
        pipeline.search(q)
    latencies, found = [], 0
    for q, number in queries:
        t = time.perf_counter()
        hits = pipeline.search(q, 5).hits
        latencies.append(time.perf_counter() - t)
        found += number in [h.paragraph.number for h in hits]
    search = _ms(latencies)
    out.update(search_p50_ms=search["p50_ms"], search_p95_ms=search["p95_ms"],
               self_recall_at_5=round(found / len(queries), 3))

    extractive = [pipeline.ask(q).timings["total_s"] for q, _ in queries[:40]]
    out["extractive_p50_s"] = round(percentile(extractive, 50), 3)

    if spec.get("local"):
        asker = pipeline.asker("local")
        t = time.perf_counter()
        asker.chat_model.load()
        out["local_load_s"] = round(time.perf_counter() - t, 2)
        first, total, generated = [], [], 0
        for q, number in queries[: spec["local"]]:
            result = asker.ask(f"What does paragraph {number} say about {q.split()[0]}?")
            generated += bool(result.draft)
            first.append(result.timings["first_token_s"])
            total.append(result.timings["total_s"])
        out.update(local_first_token_p50_s=round(percentile(first, 50), 2),
                   local_total_p50_s=round(percentile(total, 50), 2), local_generated=generated,
                   local_questions=len(first))

    if spec.get("baseline"):
        from .baselines import TutorialRetriever

        minilm = pool.get("minilm")  # loaded before the clock starts, as for the project's own build
        t = time.perf_counter()
        tutorial = TutorialRetriever(settings.corpus, minilm)
        tut_s = time.perf_counter() - t
        latencies, found = [], 0
        for q, number in queries:
            t = time.perf_counter()
            ranked = tutorial.ranked(q, 5)
            latencies.append(time.perf_counter() - t)
            found += number in ranked
        out["tutorial"] = {"chunks": tutorial.chunks, "ingest_s": round(tut_s, 2),
                           "ingest_per_s": round(len(paragraphs) / tut_s, 1), **_ms(latencies),
                           "self_recall_at_5": round(found / len(queries), 3)}
    return out


# --------------------------------------------------------------------------- the driver


def _run_measured(args: list[str], env: dict, timeout: float) -> tuple[subprocess.CompletedProcess, float, float]:
    """Run a child; return it, its wall seconds and its own peak RSS in MB (reaped with ``wait4``:
    RUSAGE_CHILDREN would give the largest child so far, not this one)."""
    started = time.perf_counter()
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        proc = subprocess.Popen(args, env=env, cwd=ROOT, stdout=out, stderr=err, text=True)
        deadline = time.monotonic() + timeout
        while True:
            pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
            if pid:
                break
            if time.monotonic() > deadline:
                proc.kill()
                os.wait4(proc.pid, 0)
                raise TimeoutError(f"{args[:4]} took longer than {timeout:g} s")
            time.sleep(0.05)
        wall = time.perf_counter() - started
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        done = subprocess.CompletedProcess(args, proc.returncode, out.read(), err.read())
    return done, wall, round(usage.ru_maxrss / 1024, 1)  # Linux reports KiB


def measure(corpus: Path, settings: dict, work: Path, local: int, baseline: bool, cold: bool) -> dict:
    index = work / "index"
    spec = {"corpus": str(corpus), "index": str(index), "settings": settings, "local": local, "baseline": baseline}
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done, _, rss = _run_measured([sys.executable, "-m", "eval.bench", json.dumps(spec)], env, timeout=4 * 3600)
    if done.returncode != 0:
        raise RuntimeError(f"bench worker failed: {done.stderr[-2000:]}")
    result = json.loads(done.stdout.strip().splitlines()[-1])
    result["build_peak_rss_mb"] = rss
    if cold:
        ask_env = {**env, "RAG_CORPUS": str(corpus), "RAG_INDEX_DIR": str(index), "RAG_ANSWERER": "local",
                   **{f"RAG_{k.upper()}": ",".join(v) if isinstance(v, list) else str(v) for k, v in settings.items()}}
        done, wall, rss = _run_measured([sys.executable, "-m", "rag", "ask", "What does paragraph 3 say?", "--json"],
                                        ask_env, timeout=600)
        if done.returncode != 0:
            raise RuntimeError(f"cold start failed: {done.stderr[-2000:]}")
        answer = json.loads(done.stdout)
        # serving = everything before the question: imports, index check, embedders, the model
        result.update(cold_start_s=round(wall - answer["timings"]["total_s"], 2), cold_first_answer_s=round(wall, 2),
                      peak_rss_mb=rss, cold_answerer=answer["answerer"], cold_generated=bool(answer.get("draft")))
    return result


def run(paragraphs: int, out_dir: Path | None, embedders: list[str] | None = None, local: int = 5,
        baseline: bool = True, cold: bool = True, baseline_max: int = BASELINE_MAX) -> dict:
    """Measure the real corpus and ``paragraphs`` synthetic ones; write the report if ``out_dir``."""
    from .synthetic import write_corpus

    runs = []
    with tempfile.TemporaryDirectory(prefix="bench-") as tmp:
        tmp = Path(tmp)
        sizes = [("beijing", BEIJING, {}, 16)]
        if paragraphs != 16:
            sizes.append(("synthetic", write_corpus(tmp / "synthetic", paragraphs, seed=0), dict(SCALE), paragraphs))
        for name, corpus, settings, size in sizes:
            if embedders is not None:
                settings = {**settings, "embedders": embedders}
            work = tmp / f"work-{name}"
            work.mkdir()
            result = measure(corpus, settings, work, local, baseline and size <= baseline_max, cold)
            result["corpus"] = name
            if result["paragraphs"] != size:  # the parser must see every paragraph, or nothing here means much
                raise RuntimeError(f"{name}: parsed {result['paragraphs']} paragraphs, expected {size}")
            runs.append(result)
            shutil.rmtree(work, ignore_errors=True)
    summary = {**runs[-1], "runs": runs, "goals": GOALS, "machine": _machine(), "baseline_max": baseline_max}
    if out_dir is not None:
        write_report(summary, out_dir)
    return summary


def _machine() -> dict:
    return {"cpus": os.cpu_count(), "python": sys.version.split()[0],
            "date": time.strftime("%Y-%m-%d", time.gmtime())}


# --------------------------------------------------------------------------- the report


def _verdict(value: float | None, goal: float) -> str:
    if value is None or value != value:
        return "not measured"
    return "met" if value <= goal else "**not met**"


def write_report(summary: dict, out_dir: Path) -> None:
    from rag.settings import Settings

    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "bench.json").write_text(json.dumps(summary, indent=1) + "\n", encoding="utf-8")
    runs = summary["runs"]
    big = runs[-1]

    def row(label: str, key: str, fmt: str = "{}") -> str:
        return f"| {label} | " + " | ".join(fmt.format(r[key]) if r.get(key) is not None else "–" for r in runs) + " |"

    def tut(label: str, key: str) -> str:
        return f"| {label} | " + " | ".join(str(r["tutorial"][key]) if "tutorial" in r else "–" for r in runs) + " |"

    head = "| | " + " | ".join(f"{r['corpus']} ({r['paragraphs']:,} paragraphs)" for r in runs) + " |"
    lines = [
        "# Benchmark: cost and growth", "",
        f"`python -m eval bench --paragraphs {big['paragraphs']}` on {summary['machine']['cpus']} CPUs, "
        f"Python {summary['machine']['python']}, {summary['machine']['date']}. Each size ran in its own "
        "process; medians over the queries of that run.", "",
        "Settings: the Beijing Initiative with the defaults (BM25 + MiniLM + e5 over paragraphs and "
        f"{Settings().window_sentences}-sentence windows); the synthetic corpus with the scale profile `{json.dumps(SCALE)}` "
        "(RAG_EMBEDDERS=minilm, RAG_WINDOW_SENTENCES=0).", "",
        head, "|---|" + "---|" * len(runs),
        row("chunks embedded", "chunks", "{:,}"),
        row("ingest (parse, chunk, embed, store, BM25), paragraphs/s", "ingest_per_s"),
        row("embedders alone on the same texts, paragraphs/s", "embedder_per_s"),
        row("overhead: ingest time / embedding time", "overhead_ratio"),
        row("embedder time sampled (large corpus)", "embed_sampled"),
        row("re-index unchanged corpus, s", "reindex_unchanged_s"),
        row("vectors embedded on re-index", "reindex_embedded"),
        row("warm search p50, ms", "search_p50_ms"),
        row("warm search p95, ms", "search_p95_ms"),
        row("self-retrieval@5 (query = 6 words of one paragraph)", "self_recall_at_5"),
        row("extractive answer p50, s", "extractive_p50_s"),
        row("embedded model: first token p50, s", "local_first_token_p50_s"),
        row("embedded model: answer p50, s", "local_total_p50_s"),
        row("cold start to serving (new process: index check, embedders, 1.5B model), s", "cold_start_s"),
        row("cold start to first answer (the same process, one answer later), s", "cold_first_answer_s"),
        row("peak RSS serving with the 1.5B model, MB", "peak_rss_mb"),
        row("peak RSS of the measuring process (build + search + answers), MB", "build_peak_rss_mb"),
        "", "## The tutorial LangChain RAG in the same run", "",
        f"Measured on corpora up to {summary.get('baseline_max', BASELINE_MAX):,} paragraphs (`--baseline-max`): "
        "at 100,000 it embeds ~123,000 chunks of 1,000 characters, about 35 minutes here. Written as tutorials "
        "write it (one `add_documents` call) it fails at that size: Chroma rejects a batch above its limit "
        "(5,461 here); the baseline adds in batches.", "",
        head, "|---|" + "---|" * len(runs),
        tut("chunks (1000/200 characters)", "chunks"),
        tut("ingest, paragraphs/s", "ingest_per_s"),
        tut("search p50, ms", "p50_ms"),
        tut("search p95, ms", "p95_ms"),
        tut("self-retrieval@5", "self_recall_at_5"),
        "", "## Goals (at the largest size)", "",
        "| goal | measured | |", "|---|---|---|",
        f"| ingest within 1.2x of the embedders' own time | {big.get('overhead_ratio')} | "
        f"{_verdict(big.get('overhead_ratio'), GOALS['overhead_ratio'])} |",
        f"| search p50 <= 100 ms | {big.get('search_p50_ms')} ms | {_verdict(big.get('search_p50_ms'), 100.0)} |",
        f"| cold start to serving <= 15 s | {big.get('cold_start_s')} s | {_verdict(big.get('cold_start_s'), 15.0)} |",
        f"| peak RSS with the 1.5B model <= 3 GB | {big.get('peak_rss_mb')} MB | "
        f"{_verdict(big.get('peak_rss_mb'), GOALS['peak_rss_mb'])} |",
        f"| re-indexing an unchanged corpus embeds nothing | {big.get('reindex_embedded')} vectors | "
        f"{'met' if big.get('reindex_embedded') == 0 else '**not met**'} |",
        "", "![benchmark](bench.png)", "",
    ]
    (out_dir / "bench.md").write_text("\n".join(lines), encoding="utf-8")
    _chart(runs, out_dir / "bench.png")


def _chart(runs: list[dict], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    labels = [f"{r['paragraphs']:,} ¶" for r in runs]
    x = np.arange(len(runs))
    fig, (a, b) = plt.subplots(1, 2, figsize=(10, 4))
    w = 0.27
    a.bar(x - w, [r["ingest_per_s"] for r in runs], w, label="ingest (this project)")
    a.bar(x, [r["embedder_per_s"] for r in runs], w, label="embedders alone")
    a.bar(x + w, [r.get("tutorial", {}).get("ingest_per_s", 0) for r in runs], w, label="tutorial RAG ingest")
    a.set_xticks(x, labels)
    a.set_ylabel("paragraphs / s")
    a.set_yscale("log")
    a.legend(fontsize=8)
    a.set_title("Ingest throughput")
    b.bar(x - w / 2, [r["search_p50_ms"] for r in runs], w, label="this project p50")
    b.bar(x + w / 2, [r.get("tutorial", {}).get("p50_ms", 0) for r in runs], w, label="tutorial p50")
    b.axhline(100, color="grey", linestyle="--", linewidth=1, label="goal 100 ms")
    b.set_xticks(x, labels)
    b.set_ylabel("ms")
    b.legend(fontsize=8)
    b.set_title("Warm search latency")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


if __name__ == "__main__":  # the worker: python -m eval.bench '<spec json>'
    from rag.settings import apply_offline_environment

    apply_offline_environment()
    print(json.dumps(worker(json.loads(sys.argv[1]))))
