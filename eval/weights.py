"""Are the fusion weights tuned to the question sets they were picked on? Measured, not assumed.

    python -m eval weights [--out eval/reports]

The default weights (BM25 1, MiniLM 1, e5 2; see ``rag.settings``) were picked on the first two
question sets. Every set's answerable questions are ranked once by each retriever (a Chinese
question by its English translation, as ``rag search`` does; history ignored); the same rankings
are then fused with every weighting of a small grid (``Retriever.fuse``), so the comparison costs
no more embedding. For each set, the weights with the best MRR on the *other* sets are scored on
it (leave one set out): what tuning on the questions at hand would buy on questions it has not
seen. Writes ``weights.md`` and ``weights.json``.
"""

from __future__ import annotations

import itertools
import json
import tempfile
from collections.abc import Callable
from pathlib import Path

from rag.pipeline import EmbedderPool, load_pipeline
from rag.retrieve import Retriever
from rag.settings import Settings

from .dataset import load_rows
from .metrics import mean, rank_scores, rank_summary
from .retrieval import DATASETS, translator

GRID = {"bm25": (0.0, 0.5, 1.0, 1.5), "minilm": (0.0, 0.5, 1.0, 1.5), "e5": (0.5, 1.0, 1.5, 2.0, 2.5, 3.0, 4.0)}


def weightings(grid: dict[str, tuple[float, ...]] = GRID) -> list[dict[str, float]]:
    """Every combination of the grid's weights (a weight of 0 leaves that retriever out).

    >>> len(weightings({"bm25": (0.0, 1.0), "e5": (1.0, 2.0, 3.0)}))
    6
    """
    names = list(grid)
    return [dict(zip(names, ws)) for ws in itertools.product(*(grid[n] for n in names)) if any(ws)]


def ranked(retriever: Retriever, question: dict, weights: dict[str, float]) -> list[int]:
    """The paragraph numbers as ``Retriever.search`` would rank them with ``weights``: the paragraphs the
    question names first, then by fused score."""
    fused = retriever.fuse(question["rankings"], weights)
    order = sorted(fused, key=lambda key: -fused[key])
    return question["pinned"] + [number for _, number in order if number not in question["pinned"]]


def mrr(scores: list[dict]) -> float:
    return mean(s["rr"] for s in scores)


def leave_one_out(scored: dict[str, dict[str, list[dict]]], default: str) -> dict[str, dict]:
    """``scored[weights][set]``: per question rank scores. For each set: the default weights' summary, the
    weights with the best MRR on this set (in-sample) and on the other sets pooled, and that pick's
    summary on this set (held out). Ties go to the default, then to the first weights seen."""
    sets = list(scored[default])
    candidates = [default] + [w for w in scored if w != default]
    out = {}
    for name in sets:
        own = max(candidates, key=lambda w: mrr(scored[w][name]))
        others = max(candidates, key=lambda w: mrr([s for other in sets if other != name for s in scored[w][other]]))
        out[name] = {"default": rank_summary(scored[default][name]),
                     "best_here": {"weights": json.loads(own), **rank_summary(scored[own][name])},
                     "picked_on_others": {"weights": json.loads(others), **rank_summary(scored[others][name])}}
    return out


def collect(retriever: Retriever, search: Callable, rows: list, translate: Callable[[str], str | None]) -> list[dict]:
    """Each answerable question's per-retriever rankings and the paragraphs it names, computed once."""
    out = []
    for row in rows:
        translation = translate(row.question)
        pinned = [h.paragraph.number for h in search(row.question, 10, translation).hits if h.pinned]
        out.append({"id": row.id, "gold": list(row.gold), "pinned": pinned,
                    "rankings": retriever.rankings(retriever.ranked_text(translation or row.question))})
    return out


def run(out: Path, datasets: dict = DATASETS, grid: dict[str, tuple[float, ...]] = GRID) -> dict:
    settings = Settings()
    pool = EmbedderPool(settings)
    translate = translator(settings)
    default = json.dumps({name: settings.fusion_weights.get(name, 1.0) for name in grid})
    scored: dict[str, dict[str, list[dict]]] = {}
    for name, (corpus, questions) in datasets.items():
        rows = [r for r in load_rows(questions) if r.answerable]
        with tempfile.TemporaryDirectory() as tmp:
            pipeline = load_pipeline(Settings(corpus=corpus, index_dir=Path(tmp) / "index", k=10), pool=pool)
            retriever = pipeline.retriever
            questions_ranked = collect(retriever, pipeline.search, rows, translate)
            for key in dict.fromkeys([default] + [json.dumps(w) for w in weightings(grid)]):
                scored.setdefault(key, {})[name] = [rank_scores(ranked(retriever, q, json.loads(key)), q["gold"])
                                                    for q in questions_ranked]
        print(name, len(rows), "questions ranked", flush=True)
    results = {"default": json.loads(default), "grid": grid, "datasets": leave_one_out(scored, default)}
    pooled = {w: [s for per_set in scored[w].values() for s in per_set] for w in scored}
    results["pooled"] = {"default": rank_summary(pooled[default]),
                         "best_in_sample": {"weights": json.loads(best := max(pooled, key=lambda w: mrr(pooled[w]))),
                                            **rank_summary(pooled[best])},
                         "held_out_picks": rank_summary(_held_out_scores(scored, results["datasets"]))}
    out.mkdir(parents=True, exist_ok=True)
    (out / "weights.json").write_text(json.dumps(results, indent=1))
    (out / "weights.md").write_text(render(results))
    return results


def _held_out_scores(scored: dict, per_set: dict) -> list[dict]:
    """Every question scored by the weights picked on the other sets."""
    return [s for name, r in per_set.items() for s in scored[json.dumps(r["picked_on_others"]["weights"])][name]]


def render(results: dict) -> str:
    def cells(m: dict) -> str:
        return f"{m['recall@1']:.3f} | {m['recall@3']:.3f} | {m['mrr']:.3f}"

    def named(w: dict) -> str:
        return ", ".join(f"{k} {v:g}" for k, v in w.items())

    grid = "; ".join(f"{k} {', '.join(f'{v:g}' for v in vs)}" for k, vs in results["grid"].items())
    lines = ["# Fusion weights: tuned, or picked on other questions?", "",
             "Produced by `python -m eval weights` in one run. Each set's answerable questions ranked once by each "
             "retriever (a Chinese question by its English translation; history ignored), then fused with every "
             f"weighting of the grid ({grid}). **Picked on the others**: the weights with the best MRR on the other "
             "sets' questions, scored on this set's, as tuning would fare on questions it has not seen.", "",
             f"Default weights: {named(results['default'])}.", "",
             "| question set | default r@1 | r@3 | MRR | best here r@1 | r@3 | MRR | weights | picked on the others "
             "r@1 | r@3 | MRR | weights |", "|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for name, r in results["datasets"].items():
        lines.append(f"| {name} | {cells(r['default'])} | {cells(r['best_here'])} | {named(r['best_here']['weights'])} "
                     f"| {cells(r['picked_on_others'])} | {named(r['picked_on_others']['weights'])} |")
    p = results["pooled"]
    lines += ["", "All sets' questions pooled:", "", "| weights | recall@1 | recall@3 | MRR |", "|---|---|---|---|",
              f"| default | {cells(p['default'])} |",
              f"| best on all questions (in-sample: {named(p['best_in_sample']['weights'])}) | "
              f"{cells(p['best_in_sample'])} |",
              f"| each set's pick on the other sets | {cells(p['held_out_picks'])} |"]
    return "\n".join(lines) + "\n"
