"""The evaluation runner's own input handling: a finished run is scored again from its stored answers
(``eval rescore``), question sets are read strictly, and a bad argument or folder is one sentence."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from eval.cli import main
from eval.dataset import DatasetError, load_rows
from eval.run import _stored_draft, rescore
from rag.errors import RagError


def _dataset(tmp_path: Path, rows: list[dict]) -> Path:
    path = tmp_path / "set.jsonl"
    path.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows) + "\n", encoding="utf-8")
    return path


def _finished_run(tmp_path: Path, dataset: Path) -> Path:
    """A run folder as `eval run` leaves it, scored by an older metric that read "4" into "24 hours" and
    "[4]", and judged (its ALCE scores must survive a rescore)."""
    run = tmp_path / "run"
    run.mkdir()
    records = [
        {"id": "q1", "question": "How many points open?", "answerable": True, "gold": [4], "kind": "single-turn",
         "answer": "Points open within 24 hours [4].", "citations": [4], "refused": False, "retrieved": [4, 2],
         "latency_s": 1.5, "first_token_s": 0.5, "fact_recall": 1.0, "cites_correct": 1.0,
         "citation_precision": 1.0, "r1": 1.0, "r3": 1.0, "r5": 1.0, "rr": 1.0, "wrongly_declined": False,
         "uncited": False},
        {"id": "q2", "question": "Who won the cup?", "answerable": False, "gold": [], "kind": "single-turn",
         "answer": "The document does not address this question.", "citations": [], "refused": True,
         "retrieved": [1], "latency_s": 0.5, "first_token_s": 0.5, "declined": True, "uncited": False},
    ]
    (run / "results.jsonl").write_text("\n".join(json.dumps(r) for r in records) + "\n")
    metrics = {"dataset": str(dataset), "answerer": "local", "corpus": "corpus", "key_fact_recall": 1.0,
               "alce_citation_recall": 0.9, "alce_citation_precision": 0.8, "alce_judged_answers": 1,
               "alce_judge_calls": 1}
    (run / "metrics.json").write_text(json.dumps(metrics))
    return run


# the set the finished run answered: one answerable question, one not
ROWS = [{"id": "q1", "question": "How many points open?", "gold_paragraphs": [4], "answerable": True,
         "key_facts": ["four|4"]},
        {"id": "q2", "question": "Who won the cup?", "gold_paragraphs": [], "answerable": False}]


def _results(run: Path) -> list[dict]:
    return [json.loads(line) for line in (run / "results.jsonl").read_text().splitlines()]


def test_rescore_scores_the_stored_answers_with_todays_metric_and_keeps_the_judges_scores(tmp_path):
    dataset = _dataset(tmp_path, ROWS)
    run = _finished_run(tmp_path, dataset)
    metrics = rescore(run)
    assert metrics["key_fact_recall"] == 0.0  # "24 hours" and "[4]" state no 4
    assert metrics["cites_correct_rate"] == 1.0 and metrics["declined_unanswerable"] == 1.0
    assert metrics["latency_p50_s"] == 1.0 and metrics["alce_citation_precision"] == 0.8
    assert metrics["precision_answers"] == 1
    stored = _results(run)
    assert stored[0]["fact_recall"] == 0.0 and stored[0]["answer"] == "Points open within 24 hours [4]."
    report = (run / "report.md").read_text()
    assert "| key_fact_recall | 0.000 |" in report and "citation recall 0.900, citation precision 0.800" in report
    assert json.loads((run / "metrics.json").read_text()) == metrics


def test_rescore_drops_the_scores_of_a_question_that_changed_kind(tmp_path):
    # q2 was answerable when the run was scored; the set now says it is not: its answerable-only scores must go
    dataset = _dataset(tmp_path, ROWS)
    run = _finished_run(tmp_path, dataset)
    stored = _results(run)
    stored[1].update({"fact_recall": 1.0, "cites_correct": 1.0, "r1": 1.0})
    (run / "results.jsonl").write_text("".join(json.dumps(r) + "\n" for r in stored))
    rescore(run)
    q2 = _results(run)[1]
    assert "declined" in q2 and not {"fact_recall", "cites_correct", "r1"} & set(q2)


def test_rescore_of_a_run_whose_question_left_the_set_says_which(tmp_path):
    dataset = _dataset(tmp_path, ROWS[:1])
    run = _finished_run(tmp_path, dataset)
    with pytest.raises(RagError, match="question 'q2' is no longer in"):
        rescore(run)


@pytest.mark.parametrize(("field", "value", "message"), [
    ("gold_paragraphs", "12", "must be a list of paragraph numbers"),
    ("gold_paragraphs", [3.9], "must be a list of paragraph numbers"),
    ("gold_paragraphs", [True], "must be a list of paragraph numbers"),
    ("answerable", "false", "must be true or false"),
    ("key_facts", "peace", "must be a list of non-empty strings"),
    ("key_facts", [5, None], "must be a list of non-empty strings"),
    ("key_facts", ["|"], "must be a list of non-empty strings"),
    ("question", "", "the question must be text"),  # read_question_rows, shared with `rag search --dataset`
    ("history", {"role": "user"}, "must be a list of"),
])
def test_a_question_set_row_of_the_wrong_type_is_refused_with_its_line(tmp_path, field, value, message):
    row = {"id": "q1", "question": "Why peace?", "gold_paragraphs": [5], "answerable": True, "key_facts": ["air"]}
    path = _dataset(tmp_path, [{"id": "q0", "question": "Why?", "gold_paragraphs": [5], "key_facts": ["air"]},
                               {**row, field: value}])
    with pytest.raises(DatasetError, match=rf"line 2: .*{message}"):
        load_rows(path)


@pytest.mark.parametrize("argv, message", [
    (["bench", "--paragraphs", "0"], "--paragraphs must be at least 1"),
    (["judge", "somewhere", "--limit", "0"], "--limit must be at least 1"),
])
def test_bad_arguments_are_a_usage_error_not_a_traceback(argv, message, capsys):
    with pytest.raises(SystemExit) as exit_:
        main(argv)
    assert exit_.value.code == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err


@pytest.mark.parametrize("command", ["rescore", "compare"])
def test_a_folder_that_is_no_run_is_one_sentence(command, tmp_path, capsys):
    argv = [command, str(tmp_path)] + (["--out", str(tmp_path / "answers.md")] if command == "compare" else [])
    assert main(argv) == 1
    err = capsys.readouterr().err.strip()
    assert err.startswith(f"error: {tmp_path} is not a finished run of `python -m eval run`") and "\n" not in err


def test_eval_run_into_a_file_fails_before_any_question_runs(tmp_path, capsys):
    dataset = _dataset(tmp_path, [{"id": "q1", "question": "Why peace?", "gold_paragraphs": [5], "key_facts": ["air"]}])
    out = tmp_path / "out.md"
    out.write_text("a report someone keeps")
    assert main(["run", "--dataset", str(dataset), "--out", str(out), "--answerer", "fake"]) == 1
    assert capsys.readouterr().err.strip() == f"error: {out} is a file: --out takes the folder the run's reports go to."
    assert out.read_text() == "a report someone keeps"


# --------------------------------------------------------------------------- replay

PARIS = "Which agreement on climate, the Paris Agreement, should be implemented for ecology?"


@pytest.mark.integration
def test_replay_reads_the_runs_drafts_back_through_todays_checks(tmp_path, fake_run, capsys):
    run_dir, index = tmp_path / "run", tmp_path / "index"
    # as if the model had drafted otherwise: an invented claim for q1, and a timeout at q2
    rows = fake_run([
        {"id": "q1", "question": PARIS, "gold_paragraphs": [12], "key_facts": ["paris agreement"]},
        {"id": "q2", "question": "Why is peace compared to air and sunshine?", "gold_paragraphs": [5]},
        {"id": "q3", "question": "What does paragraph 9 say?", "gold_paragraphs": [9]}],
        run_dir, {"q1": {"draft": "Mars has two moons [12]."}, "q2": {"fallback": "timeout: no first token within 20 s"}})
    assert rows[0]["citations"] == [12] and rows[0]["draft"]  # as the run stored it
    capsys.readouterr()

    assert main(["replay", str(run_dir), "--out", str(tmp_path / "replay")]) == 0  # the index the run recorded
    printed = capsys.readouterr().out
    replayed = _results(tmp_path / "replay")
    metrics = json.loads((tmp_path / "replay" / "metrics.json").read_text())
    # q1's invented draft is not in the text, nor at the second reading (the same stored draft), and the fake
    # judge does not find the answer in the passages: declined; q2 times out again and falls back to the
    # extractive answer; q3's stored draft reads back as it was
    assert replayed[0]["refused"] and replayed[0]["refusal_reason"] == "unsupported"
    assert replayed[0]["draft"] == "Mars has two moons [12]." and replayed[0]["answerability"] < 0.7
    assert replayed[1]["fallback"] == "timeout: no first token within 20 s"
    assert replayed[1]["draft"] == rows[1]["draft"]  # the tokens that came before the timeout
    assert replayed[2]["answer"] == rows[2]["answer"] and replayed[2]["fallback"] is None
    assert metrics["replay_of"] == str(run_dir) and metrics["replay_generated"] == []
    assert metrics["index_dir"] == str(index) and sorted(p.name for p in tmp_path.iterdir()) == [
        "index", "replay", "run", "set.jsonl"]
    assert metrics["replay_changed"][0] == "q1" and "q3" not in metrics["replay_changed"]
    assert metrics["latency_p50_s"] is None  # nothing was generated: no latency to report
    assert "q1: cites [12] -> declined" in printed and f"{len(metrics['replay_changed'])} of 3 answers changed" in printed
    assert "`python -m eval replay` of" in (tmp_path / "replay" / "report.md").read_text()


def test_a_run_without_model_drafts_is_not_replayed(tmp_path, capsys):
    run = _finished_run(tmp_path, tmp_path / "set.jsonl")
    metrics = json.loads((run / "metrics.json").read_text())
    (run / "metrics.json").write_text(json.dumps({**metrics, "answerer": "extractive"}))
    assert main(["replay", str(run), "--out", str(tmp_path / "out")]) == 1
    assert capsys.readouterr().err.strip() == (f"error: {run} is a run of the extractive answerer: it has no model "
                                               "drafts to replay (run it again instead).")
    assert not (tmp_path / "out").exists()


def test_a_replay_into_the_run_itself_is_refused_before_anything_is_written(tmp_path, capsys):
    run = _finished_run(tmp_path, tmp_path / "set.jsonl")
    before = (run / "results.jsonl").read_text()
    assert main(["replay", str(run), "--out", str(run / ".." / run.name)]) == 1
    err = capsys.readouterr().err.strip()
    assert err.startswith("error: ") and "is the run being replayed: --out takes another folder" in err
    assert (run / "results.jsonl").read_text() == before


class _Asker:
    """What a replayed draft falls back to where the run stored none: the model, here a fixed reply."""

    def _generate(self, question, evidence, history):
        yield "generated"


@pytest.mark.parametrize("record, readings", [
    ({"draft": "Peace [5].", "fallback": None}, ["Peace [5].", "Peace [5]."]),
    # a timeout after some tokens: those tokens, then the timeout again, at every reading
    ({"draft": "Peace [5]. And", "fallback": "timeout: answer took longer than 60 s"},
     ["Peace [5]. And" + "!TimeoutError", "Peace [5]. And!TimeoutError"]),
    ({"draft": "", "fallback": "backend error: BackendError: down"}, ["!BackendError", "!BackendError"]),
    # the first reading's draft stood, the second reading failed: it fails again, at the second reading only
    ({"draft": "Peace [5].", "fallback": "the second reading failed (timeout: no first token within 20 s)"},
     ["Peace [5].", "!TimeoutError"]),
    ({"draft": "", "fallback": None}, ["generated", "generated"]),  # not drafted in the run: the model drafts
])
def test_a_replayed_draft_reads_back_what_the_run_streamed_and_how_it_ended(record, readings):
    generated = []
    generate = _stored_draft(_Asker(), record, lambda: generated.append(1))
    seen = []
    for _ in readings:
        text = ""
        try:
            for token in generate("q", [], []):
                text += token
        except Exception as err:  # the replay's failure, as the run's draft loop catches it
            text += f"!{type(err).__name__}"
        seen.append(text)
    assert seen == readings
    assert len(generated) == (2 if readings[0] == "generated" else 0)


def test_a_run_of_other_questions_than_the_set_is_not_replayed(tmp_path, capsys):
    dataset = _dataset(tmp_path, [{"id": "q1", "question": "How many points open?", "gold_paragraphs": [4]}])
    run = _finished_run(tmp_path, dataset)  # answered q1 and q2; the set holds q1 only
    assert main(["replay", str(run), "--out", str(tmp_path / "out")]) == 1
    assert capsys.readouterr().err.strip() == (
        f"error: {run} answered other questions than {dataset} now holds (`eval rescore` scores a run against "
        "today's set; replay needs the same questions).")
    assert not (tmp_path / "out").exists()


def test_rescore_keeps_a_replay_a_replay(tmp_path):
    dataset = _dataset(tmp_path, [
        {"id": "q1", "question": "How many points open?", "gold_paragraphs": [4], "key_facts": ["four|4"]},
        {"id": "q2", "question": "Who won the cup?", "gold_paragraphs": [], "answerable": False}])
    run = _finished_run(tmp_path, dataset)
    metrics = json.loads((run / "metrics.json").read_text())
    (run / "metrics.json").write_text(json.dumps({**metrics, "replay_of": "runs/local", "replay_changed": ["q1"],
                                                  "replay_generated": []}))
    assert rescore(run)["replay_of"] == "runs/local"
    assert "`python -m eval replay` of `runs/local`" in (run / "report.md").read_text()



def test_an_unknown_retrieval_system_is_one_sentence(capsys):
    assert main(["retrieval", "--systems", "hybrid,nonsense"]) == 1
    assert capsys.readouterr().err.startswith("error: No retrieval system nonsense; choose from bm25, tutorial,")


def test_compare_tells_apart_runs_of_one_answerer_on_one_set_by_their_folders(tmp_path):
    from eval.compare import compare

    def run(folder, dataset, **metrics):
        folder.mkdir(parents=True)
        (folder / "metrics.json").write_text(json.dumps({"dataset": dataset, "answerer": "local", **metrics}))
        (folder / "results.jsonl").write_text("")
        return folder

    runs = [run(tmp_path / config / "set", "eval/datasets/set.jsonl", cites_correct_rate=rate)
            for config, rate in (("joined", 0.5), ("rewritten", 0.75))]
    table = compare([*runs, run(tmp_path / "other", "eval/datasets/other.jsonl")], tmp_path / "answers.md")
    assert "| set / local (joined) | 0.500 |" in table and "| set / local (rewritten) | 0.750 |" in table
    assert "| other / local |" in table  # alone on its set: no folder
    siblings = [run(tmp_path / "x" / name, "eval/datasets/set.jsonl") for name in ("set_a", "set_b")]
    table = compare(siblings, tmp_path / "answers.md")
    assert "| set / local (set_a) |" in table and "| set / local (set_b) |" in table  # their own names differ
