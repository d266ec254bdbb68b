"""``python -m rag ask`` (rag/cli.py), run in-process with RAG_EMBEDDERS=hash and tmp paths."""

from __future__ import annotations

import json

import pytest

from rag.chunk import split_sentences
from rag.cite import split_claims
from rag.cli import main

pytestmark = pytest.mark.integration

PARIS = "Which agreement on climate, the Paris Agreement, should be implemented for ecology?"
KEYS = {"answer", "citations", "refused", "retrieved", "query", "timings", "answerer"}


@pytest.fixture(autouse=True)
def hash_embedder_env(monkeypatch):
    monkeypatch.setenv("RAG_EMBEDDERS", "hash")


@pytest.fixture
def where(beijing, tmp_path):
    return ["--corpus", str(beijing), "--index", str(tmp_path / "index")]


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def error_lines(err: str) -> list[str]:
    """stderr without progress bars (tqdm draws them while the index is built)."""
    return [line for line in err.splitlines()
            if line.strip() and "text/s" not in line and "it/s" not in line and "%|" not in line]


@pytest.mark.parametrize("answerer", ["extractive", "fake"])
def test_json_output(capsys, where, beijing, answerer):
    code, out, _ = run(capsys, "ask", PARIS, "--answerer", answerer, *where, "--json")
    assert code == 0
    data = json.loads(out)
    assert KEYS <= set(data)
    assert data["answerer"] == answerer and data["refused"] is False and data["query"] == PARIS
    assert data["cited_paragraphs"][0] == 12
    assert all(labels for _, labels in split_claims(data["answer"]))
    paragraph_12 = next(line for line in beijing.read_text(encoding="utf-8").splitlines() if line.startswith("12."))
    quote = data["citations"][0]["quote"]
    assert data["citations"][0]["number"] == 12 and quote in split_sentences(paragraph_12[3:])
    assert data["retrieved"] and data["retrieved"][0]["number"] == 12
    assert data["timings"]["total_s"] >= 0


@pytest.mark.parametrize("answerer", ["extractive", "fake"])
def test_readable_output(capsys, where, answerer):
    code, out, err = run(capsys, "ask", PARIS, "--answerer", answerer, *where)
    assert code == 0
    lines = out.splitlines()
    assert lines[0].endswith("[12].") and "draft:" not in lines[0]  # the answer comes first
    assert "Cited paragraphs:" in lines
    cited = lines[lines.index("Cited paragraphs:") + 1:]
    assert cited and cited[0].startswith("  [12] ")
    assert "searched for" not in out and "note:" not in out
    assert ("draft: " in err) is (answerer == "fake")  # only a model streams a draft


def test_refusal_shows_the_closest_paragraphs(capsys, where):
    code, out, _ = run(capsys, "ask", "What does paragraph 42 say?", "--answerer", "extractive", *where)
    assert code == 0
    assert out.startswith("The document has no paragraph 42; its paragraphs run from 1 to 16.")
    assert "Closest paragraphs: [" in out and "Cited paragraphs:" not in out


def test_history_rewrites_the_query(capsys, where, write):
    history = write("history.json", json.dumps([
        {"role": "user", "content": "What does the document say about peace and development?"},
        {"role": "assistant", "content": "Peace and development remain the call of our day [3]."},
    ]))
    question = "And what about fairness?"
    code, out, _ = run(capsys, "ask", question, "--history", str(history), "--answerer", "extractive", *where,
                       "--json")
    assert code == 0
    data = json.loads(out)
    assert data["question"] == question
    assert data["query"] == f"What does the document say about peace and development? {question}"

    code, out, _ = run(capsys, "ask", question, "--history", str(history), "--answerer", "extractive", *where)
    assert code == 0 and f"(searched for: {data['query']})" in out


@pytest.mark.parametrize(
    ("content", "mention"),
    [
        ("[{\"role\": \"user\", ", "not valid JSON"),
        (json.dumps({"role": "user", "content": "Peace?"}), "History must be a list"),
        (json.dumps([{"role": "system", "content": "Be a pirate."}]), "History must be a list"),
        (None, "no such file"),
        ("folder", "not a file"),
    ],
    ids=["broken-json", "not-a-list", "bad-role", "missing-file", "a-folder"],
)
def test_invalid_history_is_one_error_line(capsys, where, tmp_path, content, mention, one_sentence):
    path = tmp_path / "history.json"
    if content == "folder":
        path.mkdir()
    elif content is not None:
        path.write_text(content, encoding="utf-8")
    code, out, err = run(capsys, "ask", "And fairness?", "--history", str(path), "--answerer", "extractive", *where)
    assert code == 1
    assert out == ""
    [line] = error_lines(err)
    assert line.startswith("error: ")
    one_sentence(line[len("error: "):], str(path), mention)


def test_empty_question_is_one_error_line(capsys, where, one_sentence):
    code, out, err = run(capsys, "ask", "  ", "--answerer", "extractive", *where)
    assert code == 1 and out == ""
    [line] = error_lines(err)
    one_sentence(line.removeprefix("error: "), "Ask a question")


def test_answerer_comes_from_the_environment(capsys, where, monkeypatch):
    monkeypatch.setenv("RAG_ANSWERER", "fake")
    code, out, _ = run(capsys, "ask", PARIS, *where, "--json")
    assert code == 0 and json.loads(out)["answerer"] == "fake"


def test_unknown_answerer_is_rejected_by_the_parser(capsys, where):
    with pytest.raises(SystemExit) as exit_:
        main(["ask", PARIS, "--answerer", "gpt-9", *where])
    assert exit_.value.code == 2
    assert "invalid choice" in capsys.readouterr().err


def test_readable_output_shows_a_second_reading_and_the_translation(capsys, where, monkeypatch):
    from rag.answer import AnswerResult
    from rag.pipeline import Pipeline

    result = AnswerResult(question="巴黎协定呢？", query="巴黎协定呢？", answer="应落实《巴黎协定》[12]。", citations=[],
                          refused=False, refusal_reason=None, retrieved=[], answerer="fake",
                          translation="What about the Paris Agreement?")

    class Rereading:
        def stream(self, question, history=None, k=None):
            yield "token", "NOT IN DOCUMENT"
            yield "status", "rereading"
            yield "token", "应落实《巴黎协定》[12]。"
            yield "result", result

    monkeypatch.setattr(Pipeline, "asker", lambda self, answerer=None: Rereading())
    code, out, err = run(capsys, "ask", "巴黎协定呢？", "--answerer", "fake", *where)
    assert code == 0
    assert "draft: NOT IN DOCUMENT\nreading the whole paragraph: 应落实《巴黎协定》[12]。" in err
    assert "(searched for: What about the Paris Agreement?)" in out
