"""The question sets in eval/datasets/ mean what they say: every gold paragraph exists in its
document, every key fact is stated by the gold paragraphs (in one of its ``|`` alternatives),
and no key fact can be found in an answer by its citation mark alone."""

from __future__ import annotations

from pathlib import Path

import pytest

from eval.dataset import load_rows
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
            alternatives = [a.strip().lower() for a in fact.split("|") if a.strip()]
            assert any(a in text for a in alternatives), f"{row.id}: the gold paragraphs do not state {fact!r}"
            marks = " ".join(f"[{g}]" for g in row.gold)  # "2" would be found in any answer citing [2]
            assert not any(a in marks for a in alternatives), f"{row.id}: {fact!r} is found in a citation mark"


def test_eval_run_with_a_missing_dataset_is_one_line_not_a_traceback(tmp_path, capsys):
    from eval.cli import main

    missing = tmp_path / "nope.jsonl"
    assert main(["run", "--dataset", str(missing), "--out", str(tmp_path / "out"), "--answerer", "fake"]) == 1
    err = capsys.readouterr().err.strip()
    assert err == f"error: {missing}: no such file." and "Traceback" not in err
