"""The answer-rule ablation (eval/ablate.py): a rule switched off changes the answers it governs and no
other, is switched on again after, the judge is asked once per question however many replays read it,
and the report's signs favour a rule that helps."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from eval.ablate import RULES, ablate, judged_once, pooled, render, switched_off
from eval.cli import main
from rag import answer
from rag.evidence import Evidence
from rag.records import Paragraph
from rag.support import SentenceScorer

RULE = {r.name: r for r in RULES}


def test_a_rule_switched_off_is_on_again_after():
    with switched_off(RULE["lead"]), switched_off(RULE["reanswer"]):
        assert answer.LEAD_MARGIN == float("inf") and answer.Asker._reanswer(None) is None
    assert answer.LEAD_MARGIN == 0.02 and answer.Asker._reanswer.__name__ == "_reanswer"


class _Judge:
    def __init__(self):
        self.calls = 0

    def p_yes(self, system: str, user: str) -> float:
        self.calls += 1
        return 0.5 + 0.1 * ("Peace is like air" in user)


def test_the_judge_is_asked_once_per_question_and_passages():
    model = _Judge()
    asker = SimpleNamespace(chat_model=model)
    five = [Evidence(Paragraph("d", 5, "Peace is like air.", "5"), [("Peace is like air.", 0.9)], 0.2)]
    six = [Evidence(Paragraph("d", 6, "Trade grows.", "6"), [("Trade grows.", 0.9)], 0.2)]
    with judged_once():
        first = [answer.Asker._judge(asker, "Why peace?", five, {}) for _ in range(3)]
        other = answer.Asker._judge(asker, "Why peace?", six, {})
    assert first == [0.6, 0.6, 0.6] and other == 0.5 and model.calls == 2
    answer.Asker._judge(asker, "Why peace?", five, {})  # outside, the judge is asked again
    assert model.calls == 3


def _counts(right: int, wrongly: int, declined: int, precision: float = 0.9, facts: float = 0.8) -> dict:
    return {"answerable": 10, "unanswerable": 4, "right": right, "wrongly_declined": wrongly,
            "declined": declined, "precision": precision, "key_facts": facts}


def test_the_report_counts_what_a_rule_is_worth_positive_when_it_helps():
    # "help" gains two right answers and one refusal of an unanswerable question on set a; "hurt" costs one
    # wrongly declined answer on the later set b
    sets = {"a": {"all on": _counts(8, 1, 3), "rules": {
                "help": {**_counts(6, 1, 2, 0.8), "changed": [
                    {"id": "a1", "answerable": True, "on": "cites [2]", "off": "declined", "reworded": False}]},
                "hurt": {**_counts(8, 1, 3), "changed": []}}},
            "b": {"all on": _counts(7, 2, 4), "rules": {
                "help": {**_counts(7, 2, 4), "changed": [
                    {"id": "b1", "answerable": True, "on": "cites [1]", "off": "cites [1]", "reworded": True}]},
                "hurt": {**_counts(7, 1, 4), "changed": []}}}}
    data = {"rules": {"help": "helps", "hurt": "hurts"}, "first": ["a"], "sets": sets}
    assert pooled(sets, ["a", "b"], None)["right"] == 15 and pooled(sets, ["a", "b"], "help")["right"] == 13
    report = render(data)
    assert "| help | helps | +2 | 0 | +1 | +0.100 | +0.000 | 0 | 0 | 0 | +0.000 | +0.000 | 2 |" in report
    assert "| hurt | hurts | 0 | 0 | 0 | +0.000 | +0.000 | 0 | -1 | 0 | +0.000 | +0.000 | 0 |" in report
    assert "- **help**: a1 (answerable) cites [2] -> declined; 1 reworded" in report
    assert "| help | +2 / 0 / +1 | 0 / 0 / 0 |" in report and "- **hurt**: none; 0 reworded" in report


def test_an_unknown_rule_is_one_sentence(capsys):
    assert main(["ablate", "--rules", "lead,nonsense"]) == 1
    assert capsys.readouterr().err.startswith("error: No answer rule nonsense; choose from completion, lead,")


@pytest.mark.integration
def test_a_rule_off_changes_the_answers_it_governs_and_no_others(tmp_path, fake_run):
    run_dir = tmp_path / "run"
    fake_run([{"id": "q1", "question": "Why is peace compared to air and sunshine?", "gold_paragraphs": [5]},
              {"id": "q2", "question": "What does paragraph 9 say?", "gold_paragraphs": [9]}],
             run_dir, {"q1": {"draft": "Peace is compared to air and sunshine [5]."}})  # says nothing the question does not

    result = ablate(run_dir, [RULE["restates"], RULE["translated"]], progress=False)
    restates, translated = result["rules"]["restates"], result["rules"]["translated"]
    assert [c["id"] for c in restates["changed"]] == ["q1"]  # kept as it is, only with the rule off
    assert restates["changed"][0]["off"] == "cites [5]"
    assert translated["changed"] == []  # no Chinese sentence to translate: nothing to change
    assert result["all on"]["answerable"] == 2 and answer.restates.__module__ == "rag.support"


def test_a_switch_inside_support_reaches_it_there():
    # the number-anchor rule lives inside support(), which reads it as a module global
    scorer = SentenceScorer(None, None)
    fee = Paragraph("d", 4, "If a technician misses an agreed appointment, the account is credited with $30.", "4")
    anchored = scorer.support("A missed visit gets the account $30 back.", fee)[0]
    with switched_off(RULE["number-anchor"]):
        assert scorer.support("A missed visit gets the account $30 back.", fee)[0] < anchored
