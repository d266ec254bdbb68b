"""ALCE-style citation scores and the offline judge behind them; the tutorial RAG answer baseline."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from eval.baselines import TutorialAsker
from eval.judge import SupportJudge, judge_run
from eval.metrics import alce_citations
from rag.embed import HashEmbedder
from rag.errors import RagError
from rag.llm import FakeChatModel

ROOT = Path(__file__).resolve().parents[1]
BEIJING = ROOT / "corpus" / "beijing_initiative_2017.txt"
FACTS = {"1": "rivers flow", "2": "cats purr", "3": "rivers flow and cats purr"}


def fact_judge(sentence, labels) -> bool:
    """Supported when one cited passage's words all occur in the sentence, or the cited passages together cover it."""
    words = set(sentence.split())
    return any(set(FACTS[label].split()) <= words for label in labels) or \
        words <= set(" ".join(FACTS[label] for label in labels).split())


@pytest.mark.parametrize("claims, recall, precision", [
    ([("rivers flow", ["1"])], 1.0, 1.0),
    ([("rivers flow", ["2"])], 0.0, 0.0),  # wrong paragraph cited
    ([("rivers flow", [])], 0.0, float("nan")),  # uncited sentence: recall drops, no citation to score
    ([("rivers flow", ["1", "2"])], 1.0, 0.5),  # [2] is not needed
    ([("rivers flow and cats purr", ["1", "2"])], 1.0, 1.0),  # each needed: neither alone suffices
    ([("rivers flow", ["1"]), ("cats purr", ["1"])], 0.5, 0.5),
], ids=["supported", "miscited", "uncited", "redundant-citation", "both-needed", "half"])
def test_alce_citations(claims, recall, precision):
    scores = alce_citations(claims, fact_judge)
    assert scores["alce_recall"] == recall
    assert scores["alce_precision"] == precision or (precision != precision and scores["alce_precision"] != scores["alce_precision"])


class RecordingModel:
    """Stands in for the LLM: 'Yes' when the statement's last word occurs in the passages."""

    def __init__(self) -> None:
        self.prompts: list[str] = []

    def p_yes(self, system: str, user: str) -> float:
        self.prompts.append(user)
        passages, statement = user.split("Statement: ")
        return 0.9 if statement.split(".")[0].split()[-1] in passages else 0.1


def test_support_judge_shows_the_cited_paragraphs_and_a_bare_statement_once():
    model = RecordingModel()
    judge = SupportJudge(model, {"6": "Win-win cooperation is the way.", "7": "Peace matters."})
    assert judge("They want win-win cooperation [6].", ["6"]) is True
    assert judge("They want win-win cooperation [6].", ["6"]) is True  # cached: no second call
    assert judge("They want peace [7].", ["6"]) is False
    assert judge.calls == len(model.prompts) == 2
    assert "[6] Win-win cooperation is the way." in model.prompts[0]
    assert "Statement: They want win-win cooperation." in model.prompts[0]  # citation marks removed


def test_judge_run_scores_a_run_folder_in_place(tmp_path):
    from eval.run import aggregate

    run = tmp_path / "run"
    run.mkdir()
    rows = [{"id": "a", "question": "?", "answer": "Something about ecology and environment [12]. Something else [3].",
             "refused": False, "answerable": True, "kind": "single-turn", "cites_correct": 1.0, "citations": [12, 3],
             "gold": [12], "r1": 1.0, "r3": 1.0, "r5": 1.0, "rr": 1.0, "wrongly_declined": False,
             "citation_precision": 0.5, "fact_recall": 1.0, "uncited": False},
            {"id": "b", "question": "?", "answer": "The document does not address this.", "refused": True,
             "answerable": False, "kind": "single-turn", "citations": [], "gold": [], "declined": True, "uncited": False}]
    metrics = {"dataset": "set.jsonl", "answerer": "x", "corpus": str(BEIJING), **aggregate(rows)}
    (run / "metrics.json").write_text(json.dumps(metrics))
    (run / "report.md").write_text("# Report\n")
    (run / "results.jsonl").write_text("\n".join(json.dumps(r) for r in rows) + "\n")

    class EcologyModel(RecordingModel):
        def p_yes(self, system, user):
            return 0.9 if "environment" in user.split("Statement: ")[1] else 0.1

    scores = judge_run(run, EcologyModel())
    assert scores["alce_citation_recall"] == 0.5 and scores["alce_citation_precision"] == 0.5
    assert scores["alce_judged_answers"] == 1
    metrics = json.loads((run / "metrics.json").read_text())
    assert metrics["alce_citation_recall"] == 0.5 and metrics["cites_correct_rate"] == 1.0
    assert [json.loads(line)["sentences"] for line in (run / "judge.jsonl").read_text().splitlines()] == [2, 0]
    report = (run / "report.md").read_text()
    assert "| cites_correct_rate | 1.000 |" in report
    assert "2 judge calls: citation recall 0.500, citation precision 0.500." in report


def test_judge_run_asks_again_only_about_answers_it_has_not_judged(tmp_path):
    # a run made again: the same answer to "a" against the same paragraph text keeps its scores, and
    # the judge is asked only about the rest
    from eval.run import aggregate

    corpus, run = tmp_path / "doc.txt", tmp_path / "run"
    run.mkdir()

    def write(rows, second_paragraph="Rivers flow to the sea."):
        corpus.write_text(f"1. Cats purr when content.\n\n2. {second_paragraph}\n", encoding="utf-8")
        metrics = {"dataset": "set.jsonl", "answerer": "x", "corpus": str(corpus), **aggregate(rows)}
        (run / "metrics.json").write_text(json.dumps(metrics))
        (run / "results.jsonl").write_text("\n".join(json.dumps(r) for r in rows) + "\n")

    def row(id, answer, cited):
        return {"id": id, "question": "?", "answer": answer, "refused": False, "answerable": True,
                "kind": "single-turn", "cites_correct": 1.0, "citations": cited, "gold": cited, "r1": 1.0,
                "r3": 1.0, "r5": 1.0, "rr": 1.0, "wrongly_declined": False, "citation_precision": 1.0,
                "fact_recall": 1.0, "uncited": False}

    def judged():
        return [(r["id"], r["alce_recall"]) for r in map(json.loads, (run / "judge.jsonl").read_text().splitlines())]

    write([row("a", "Cats purr [1].", [1]), row("b", "Rivers flow to the sea [2].", [2])])
    first = judge_run(run, RecordingModel())
    assert (first["alce_judge_calls"], first["alce_reused_answers"]) == (2, 0)
    assert judged() == [("a", 1.0), ("b", 1.0)]

    write([row("a", "Cats purr [1].", [1]), row("b", "Rivers flow to the moon [2].", [2])])
    model = RecordingModel()
    second = judge_run(run, model)
    assert (second["alce_judge_calls"], second["alce_reused_answers"]) == (1, 1)
    assert [prompt.split("Statement: ")[1].split(".")[0] for prompt in model.prompts] == ["Rivers flow to the moon"]
    assert judged() == [("a", 1.0), ("b", 0.0)]
    assert "1 judge calls (1 answers' scores kept from an earlier judging of the same answer)" in \
        (run / "report.md").read_text()

    # the same answers, but the paragraph "b" cites now says something else: "b" is judged again
    write([row("a", "Cats purr [1].", [1]), row("b", "Rivers flow to the moon [2].", [2])],
          second_paragraph="Rivers flow to the moon in stories.")
    model = RecordingModel()
    third = judge_run(run, model)
    assert (third["alce_judge_calls"], third["alce_reused_answers"]) == (1, 1)
    assert judged() == [("a", 1.0), ("b", 1.0)]


def test_judge_run_of_a_folder_that_is_no_run_is_one_sentence(tmp_path):
    with pytest.raises(RagError, match="is not a finished run of `python -m eval run`"):
        judge_run(tmp_path, RecordingModel())


def test_tutorial_baseline_takes_its_citations_at_face_value_and_leaves_refusal_to_the_model():
    model = FakeChatModel(responses=["I don't know.",
                                     "The Paris Agreement should be implemented [12]. Also see [99] and [3].",
                                     "The Paris Agreement should be implemented."])
    asker = TutorialAsker(BEIJING, HashEmbedder(), model)
    declined = asker.ask("Who won the 2018 FIFA World Cup?")
    cited = asker.ask("Which climate agreement should be implemented?")
    uncited = asker.ask("Which climate agreement should be implemented?")
    assert declined.refused and declined.citations == []
    assert not cited.refused and cited.answerer == "tutorial" and cited.retrieved
    # [99] names no paragraph; [3] is kept although paragraph 3 says nothing of Paris: nothing is verified
    assert cited.cited_numbers == [12, 3] and {c.status for c in cited.citations} == {"unverified"}
    assert uncited.citations == [] and uncited.answer == "The Paris Agreement should be implemented."


@pytest.mark.slow
def test_the_embedded_judge_tells_supported_from_unsupported():
    from eval.judge import YesNoModel
    from rag.ingest import load_corpus
    from rag.local_model import MODELS, ensure_gguf
    from rag.settings import Settings

    settings = Settings()
    model = YesNoModel(ensure_gguf(MODELS[settings.local_model], settings.model_cache))
    paragraphs = {p.label: p.text for p in load_corpus(BEIJING)[0].paragraphs}
    judge = SupportJudge(model, paragraphs)
    assert judge("Political parties should implement the Paris Agreement on climate change [12].", ["12"])
    assert not judge("The declaration bans all private cars by 2030 [12].", ["12"])
    assert not judge("Political parties should implement the Paris Agreement on climate change [9].", ["9"])
