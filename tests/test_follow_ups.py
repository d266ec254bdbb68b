"""The follow-ups benchmark (eval/follow_ups.py): each query form is ranked as ``ask`` ranks it (paragraphs
either question names pinned), and the report names every follow-up a form does not rank first."""

from __future__ import annotations

from eval.dataset import Row
from eval.follow_ups import FORMS, _ranked, _timed, render_report

PEACE = "What does the text say about world peace?"


def test_each_form_is_ranked_by_its_own_text_with_the_questions_pins(pipeline):
    row = Row(id="f1", question="And what about the Paris Agreement?", gold=(12,), answerable=True,
              history=({"role": "user", "content": PEACE},))
    forms = {"joined": lambda parts: None, "rewritten": lambda parts: "What does the text say about the Paris Agreement?"}
    ranked = _ranked(pipeline.search, row, [PEACE, row.question], forms)
    assert ranked["forms"]["rewritten"]["r1"] == 1.0 and ranked["top"]["rewritten"][0] == 12
    assert ranked["forms"]["joined"]["r1"] == 0.0 and ranked["top"]["joined"][0] == 9  # the earlier topic
    assert ranked["ranked_by"] == {"joined": None, "rewritten": "What does the text say about the Paris Agreement?"}
    named = _ranked(pipeline.search, row, ["What does paragraph 8 say?", "Which frontiers does it name?"],
                    {"rewritten": lambda parts: "Which frontiers of cooperation are named?"})
    assert named["top"]["rewritten"][0] == 8  # pinned from the earlier question, whatever the rewrite kept


def test_a_rewrite_is_timed_alone_and_falls_back_to_the_translation():
    from types import SimpleNamespace

    translated, warmed, seconds = [], [], []
    asker = SimpleNamespace(chat_model=SimpleNamespace(warm=warmed.append),
                            translate_query=lambda parts: translated.append(parts) or "translated")
    query = _timed(asker, lambda question, previous: None if "呢" in question else f"{previous} / {question}", seconds)
    assert query(["Before?", "And now?"]) == "Before? / And now?" and translated == []
    assert query(["Before?", "那现在呢？"]) == "translated" and translated == [["Before?", "那现在呢？"]]
    assert len(seconds) == 2 and len(warmed) == 2  # the answer prompt's system message held before each


def test_the_report_lists_every_follow_up_a_form_misses():
    def scores(r1):
        return {"r1": r1, "r3": 1.0, "r5": 1.0, "rr": 1.0 if r1 else 0.5}

    def row(id_, r1s, parts=2):
        return {"id": id_, "question": f"And {id_}?", "previous": "What | before?", "gold": [3], "parts": parts,
                "forms": {f: scores(r) for f, r in zip(FORMS, r1s)}, "ranked_by": {f: f"{f} text" for f in FORMS},
                "top": {f: [3, 4, 5] if r else [4, 3, 5] for f, r in zip(FORMS, r1s)}}

    assert len(FORMS) == 5
    rows = [row("hit", [1.0] * 5), row("miss", [0.0, 0.0, 0.0, 1.0, 1.0], parts=3)]
    results = {"forms": FORMS, "datasets": {"set": rows},
               "all": {f: {"recall@1": 0.5, "recall@3": 1.0, "mrr": 0.75} for f in FORMS},
               "chained": {f: {"recall@1": 0.0, "recall@3": 1.0, "mrr": 0.5} for f in FORMS},
               "rewrite_s": {"rewritten": {"p50": 0.7, "p95": 1.1, "n": 2}},
               "answer_system_reread_s": {"kept": 0.05, "read_again": 1.5}}
    report = render_report(results)
    assert "| rewritten | 0.500 | 1.000 | 0.750 | 0.70 / 1.10 s |" in report and "| joined | 0.500 | 1.000 | 0.750 | — |" in report
    assert "the 1 follow-ups to a follow-up" in report and "| joined, question before only | 0.000 | 1.000 | 0.500 |" in report
    assert "1.500 s against 0.050 s" in report
    misses = report.split("does not rank first")[1].split("## What each rewrite said")[0]
    assert "`miss`" in misses and "`hit`" not in misses and "What \\| before?" in misses
    assert "✗ [4, 3, 5] | ✗ [4, 3, 5] | ✗ [4, 3, 5] | ✓ [3, 4, 5] | ✓ [3, 4, 5]" in misses
