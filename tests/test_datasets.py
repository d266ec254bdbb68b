"""The question sets in eval/datasets/ mean what they say: every gold paragraph exists in its
document, every key fact is stated by the gold paragraphs (in one of its ``|`` alternatives, matched
as the metric matches it), and no key fact is in its own question: an answer that only repeats the
question ("What does the text say about climate change?" -> "... climate change ...") must not score."""

from __future__ import annotations

from pathlib import Path

import pytest

from eval.dataset import load_rows
from eval.metrics import fact_found
from eval.retrieval import DATASETS
from rag.ingest import parse_text

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize("name", sorted(DATASETS))
def test_question_set_is_grounded_in_its_document(name):
    corpus, questions = DATASETS[name]
    doc = parse_text((ROOT / corpus).read_text(encoding="utf-8"), corpus.name)
    paragraphs = {p.number: p.text.lower() for p in doc.paragraphs}
    rows = load_rows(ROOT / questions)
    assert len({r.id for r in rows}) == len(rows)
    assert any(not r.answerable for r in rows) and any(r.history for r in rows) and any(r.lang == "zh" for r in rows)
    for row in rows:
        if not row.answerable:
            assert not row.gold and not row.key_facts, row.id
            continue
        assert row.gold and row.key_facts, row.id
        assert set(row.gold) <= set(paragraphs), f"{row.id}: gold {row.gold} not in {corpus}"
        text = " ".join(paragraphs[g] for g in row.gold)
        for fact in row.key_facts:
            assert fact_found(text, fact), f"{row.id}: the gold paragraphs do not state {fact!r}"
            assert not fact_found(row.question, fact), f"{row.id}: {fact!r} is in the question itself"


def test_eval_run_with_a_missing_dataset_is_one_line_not_a_traceback(tmp_path, capsys):
    from eval.cli import main

    missing = tmp_path / "nope.jsonl"
    assert main(["run", "--dataset", str(missing), "--out", str(tmp_path / "out"), "--answerer", "fake"]) == 1
    err = capsys.readouterr().err.strip()
    assert err == f"error: {missing}: no such file." and "Traceback" not in err
