"""Prompt files (prompts/*.md via rag/prompts.py): rendered strictly, with the
variables the code passes, passages shown as "[label] text" lines."""

from __future__ import annotations

import re

import pytest
from jinja2 import UndefinedError

from rag.llm import REFUSAL_MARK, _PASSAGE
from rag.prompts import PROMPTS_DIR, names, render

PASSAGES = [{"label": "9", "text": "We call on political parties to contribute to world peace."},
            {"label": "report:12", "text": "Joint efforts should be made to implement the Paris Agreement."}]
HISTORY = [{"role": "user", "content": "What about peace?"},
           {"role": "assistant", "content": "Peace matters [5]."}]

# What rag/answer.py passes to each prompt.
VARIABLES = {
    "answer_system": {},
    "answer_user": {"passages": PASSAGES, "history": HISTORY, "question": "And the climate?"},
    "answerable_user": {"passages": PASSAGES, "question": "And the climate?"},
    "translate_user": {"text": "气候呢？"},
    "translate_claim": {"text": "和平很重要。"},
    "expand_system": {},
    "expand_user": {"text": "Can I bring my mate for a swim?"},
    "condense_system": {},
    "condense_user": {"previous": "What are the opening hours during the week?", "text": "And at weekends?"},
}


def test_every_prompt_file_is_covered():
    assert names() == sorted(VARIABLES) == sorted(p.stem for p in PROMPTS_DIR.glob("*.md"))


@pytest.mark.parametrize("name", sorted(VARIABLES))
def test_every_prompt_renders_with_the_variables_the_code_passes(name):
    text = render(name, **VARIABLES[name])
    assert text and text == text.strip()
    assert "{{" not in text and "{%" not in text


@pytest.mark.parametrize(
    ("name", "missing"),
    [("answer_user", "passages"), ("answer_user", "history"), ("answer_user", "question"),
     ("answerable_user", "passages"), ("answerable_user", "question"), ("translate_user", "text"), ("translate_claim", "text"),
     ("expand_user", "text"), ("condense_user", "previous"), ("condense_user", "text")],
)
def test_a_missing_variable_raises(name, missing):
    variables = {k: v for k, v in VARIABLES[name].items() if k != missing}
    with pytest.raises(UndefinedError, match=missing):
        render(name, **variables)


def test_answer_user_shows_each_passage_as_a_numbered_line():
    text = render("answer_user", **VARIABLES["answer_user"])
    lines = text.splitlines()
    for p in PASSAGES:
        assert f"[{p['label']}] {p['text']}" in lines
    assert lines[-1] == "Question: And the climate?"
    assert "user: What about peace?" in lines and "assistant: Peace matters [5]." in lines
    # The fake model (and a reader) find the passages by that exact shape.
    assert _PASSAGE.findall(text) == [(p["label"], p["text"]) for p in PASSAGES]


def test_answer_user_without_history_has_no_conversation_block():
    text = render("answer_user", passages=PASSAGES, history=[], question="Q?")
    assert "Conversation so far" not in text
    assert text.splitlines() == ["Passages:", "[9] " + PASSAGES[0]["text"], "[report:12] " + PASSAGES[1]["text"],
                                 "", "Question: Q?"]


def test_system_prompt_asks_for_bracketed_citations_and_the_refusal_mark():
    text = render("answer_system")
    assert REFUSAL_MARK in text
    assert re.search(r"\[\d+\]", text)


def test_render_uses_strict_undefined_in_any_folder(tmp_path):
    (tmp_path / "greet.md").write_text("Hello {{ who }}!\n", encoding="utf-8")
    assert render("greet", folder=tmp_path, who="Ada") == "Hello Ada!"
    with pytest.raises(UndefinedError):
        render("greet", folder=tmp_path)
    assert names(tmp_path) == ["greet"]


def test_unknown_prompt_name_raises():
    with pytest.raises(FileNotFoundError, match="no_such_prompt"):
        render("no_such_prompt")


def test_translate_user_ends_with_the_question_alone():
    # the fake model (rag.llm) gives back the last line: the question, unchanged
    assert render("translate_user", text="气候呢？").splitlines()[-1] == "气候呢？"
