"""Put several eval runs side by side: ``python -m eval compare DIR... --out FILE.md``.

Reads each run's ``metrics.json`` and writes one markdown table and a PNG chart
beside it, so answerers and datasets are compared from the same runs.
"""

from __future__ import annotations

import json
from pathlib import Path

from .run import read_run

COLUMNS = [
    ("cites_correct_rate", "correct paragraph cited", ">= 0.95"),
    ("citation_precision", "citation precision (answers that cite)", ">= 0.95"),
    ("key_fact_recall", "key-fact recall", ">= 0.85"),
    ("declined_unanswerable", "unanswerable declined", ">= 0.95"),
    ("wrongly_declined_answerable", "answerable wrongly declined", "<= 0.05"),
    ("uncited_answers", "answers without citation", "0"),
    ("answered_in_language", "Chinese questions answered in Chinese (own words, quotes aside)", ""),
    ("alce_citation_recall", "ALCE citation recall (LLM judge)", ""),
    ("alce_citation_precision", "ALCE citation precision (LLM judge)", ""),
    ("latency_p50_s", "latency p50 s", ""),
    ("latency_p95_s", "latency p95 s", ""),
    ("first_token_p50_s", "first token p50 s", ""),
]


def _told_apart(name: str, run: Path, alike: list[Path]) -> str:
    """``name``, and for runs of one answerer on one set (``alike``), the fewest of the run's folders that tell
    it from the others, after the folders all of them end in: "(joined)" for joined/set beside rewritten/set.

    >>> _told_apart("set / local", Path("a/joined/set"), [Path("a/joined/set"), Path("a/rewritten/set")])
    'set / local (joined)'
    """
    if len(alike) < 2:
        return name
    paths = [Path(r).resolve().parts for r in alike]
    common = 0
    while common < min(map(len, paths)) - 1 and len({p[-1 - common] for p in paths}) == 1:
        common += 1
    parts = Path(run).resolve().parts
    parts = parts[: len(parts) - common]
    for n in range(1, len(parts) + 1):
        if sum(p[: len(p) - common][-n:] == parts[-n:] for p in paths) == 1:
            return f"{name} ({'/'.join(parts[-n:])})"
    return f"{name} ({run})"


def compare(runs: list[Path], out: Path) -> str:
    rows = []
    for run in runs:
        m, _ = read_run(Path(run), with_records=False)
        replayed = " (replay)" if m.get("replay_of") else ""
        rows.append((f"{Path(m['dataset']).stem} / {m['answerer']}{replayed}", m))
    rows = [(_told_apart(name, run, [r for r, (other, _) in zip(runs, rows) if other == name]), m)
            for run, (name, m) in zip(runs, rows)]
    lines = ["| run | " + " | ".join(label for _, label, _ in COLUMNS) + " |",
             "|---|" + "---|" * len(COLUMNS),
             "| target | " + " | ".join(t for _, _, t in COLUMNS) + " |"]
    for name, m in rows:
        cells = []
        for key, _, _ in COLUMNS:
            v = m.get(key)
            cell = "–" if v is None or v != v else (f"{v:.3f}" if isinstance(v, float) else str(v))
            if key == "citation_precision" and m.get("precision_answers") is not None:
                cell += f" ({m['precision_answers']})"  # how many answers cite: the tutorial's few, the others' many
            if key == "answered_in_language" and m.get("language_answers"):
                cell += f" ({m['language_answers']})"
            cells.append(cell)
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    table = "\n".join(lines) + "\n"
    out.parent.mkdir(parents=True, exist_ok=True)
    chart = out.with_suffix(".png")
    _chart(rows, chart)
    out.write_text(f"# Answer quality, side by side\n\nFrom the runs in {', '.join(f'`{r}`' for r in runs)}.\n\n"
                   f"![answer quality]({chart.name})\n\n{table}{_retrieval_baselines(out.parent / 'retrieval.json')}")
    return table


def _retrieval_baselines(path: Path) -> str:
    """The retrieval systems (BM25-only, dense-only, tutorial, hybrid) from the same ``make eval``, if present."""
    if not path.is_file():
        return ""
    data = json.loads(path.read_text())
    lines = ["", "## Retrieval under these answers (`python -m eval retrieval`, same `make eval`)", "",
             "| system | " + " | ".join(f"{d} recall@1 | recall@3 | MRR" for d in data["datasets"]) + " |",
             "|---|" + "---|---|---|" * len(data["datasets"])]
    for system, description in data["systems"].items():
        cells = []
        for scores in data["datasets"].values():
            s = scores[system]["all"]
            cells += [f"{s['recall@1']:.3f}", f"{s['recall@3']:.3f}", f"{s['mrr']:.3f}"]
        lines.append(f"| {system}: {description} | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def _chart(rows: list[tuple[str, dict]], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    keys = [k for k, _, _ in COLUMNS[:5]]
    labels = [label for _, label, _ in COLUMNS[:5]]
    fig, ax = plt.subplots(figsize=(10, 4))
    width = 0.8 / max(len(rows), 1)
    for i, (name, m) in enumerate(rows):
        values = [m.get(k) or 0.0 for k in keys]
        ax.bar([x + i * width for x in range(len(keys))], values, width=width, label=name)
    ax.set_xticks([x + width * (len(rows) - 1) / 2 for x in range(len(keys))], labels, fontsize=8)
    ax.set_ylim(0, 1)
    ax.legend(fontsize=7, loc="upper right")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
