"""Slow: the real embedded model, assembled from its PyPI parts and checked, answering for real."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from rag.local_model import MODELS, ensure_gguf
from rag.pipeline import load_pipeline
from rag.settings import Settings

pytestmark = pytest.mark.slow
CORPUS = Path(__file__).resolve().parents[1] / "corpus" / "beijing_initiative_2017.txt"


@pytest.fixture(scope="module")
def pipeline(tmp_path_factory):
    index = tmp_path_factory.mktemp("index")
    # Not warmed (see Asker.warm), the first question reads the whole prompt: on a 2-core AMD EPYC with AVX2
    # only (prompt reading 33 tokens/s) that once passed the 20 s first-token limit, and the answer fell back.
    # These tests are about what the model answers; its speed is measured by `eval run` and `eval llm-speed`.
    return load_pipeline(Settings(corpus=CORPUS, index_dir=index, answerer="local", first_token_timeout_s=120))


def test_model_file_is_assembled_and_matches_its_checksum():
    spec = MODELS["qwen2.5-coder-1.5b"]
    path = ensure_gguf(spec, Settings().model_cache)
    assert path.stat().st_size == spec.size
    assert path.with_suffix(".verified.json").read_text().count(spec.sha256) == 1


def test_warm_leaves_the_system_turn_a_real_answer_prompt_starts_with_in_the_kv_cache(pipeline):
    from rag.llm import chatml
    from rag.prompts import render

    asker = pipeline.asker()
    asker.warm()
    llama = asker.chat_model.load()
    system = render("answer_system")
    head = llama.tokenize(chatml(system).encode(), add_bos=False, special=True)
    prompt = llama.tokenize(chatml(system, "Passages:\n[12] ...\n\nQuestion: Which agreement?").encode(),
                            add_bos=False, special=True)
    cached = list(llama.input_ids[: llama.n_tokens])
    shared = llama.longest_token_prefix(cached, prompt)
    assert len(head) > 200 and shared > len(head), (len(head), shared, len(cached))


def test_local_model_answers_with_a_verified_citation(pipeline):
    result = pipeline.ask("Which international climate agreement does the declaration want implemented?")
    assert not result.refused, result.answer
    assert 12 in result.cited_numbers
    assert "Paris" in result.answer
    assert all(c.quote in pipeline.index.paragraphs[c.number - 1].text for c in result.citations)
    assert result.answerer == "local" and result.draft  # the model really generated text


def test_local_model_declines_a_paragraph_the_document_lacks(pipeline):
    result = pipeline.ask("What does paragraph 42 say?")
    assert result.refused and result.refusal_reason == "missing_paragraph"


def test_local_model_as_a_yes_no_judge_tells_an_answering_passage_from_an_unrelated_one(pipeline):
    from rag.prompts import render

    model = pipeline.asker().chat_model
    paris = [{"label": "12", "text": pipeline.index.paragraphs[11].text}]

    def p_yes(question: str) -> float:
        return model.p_yes(render("answer_system"), render("answerable_user", passages=paris, question=question))

    answered = p_yes("Which international climate agreement does the declaration want implemented?")
    unrelated = p_yes("Who won the 2022 Champions League final?")
    assert 0.0 <= unrelated < 0.5 < answered <= 1.0, (answered, unrelated)


def test_a_first_token_timeout_falls_back_and_the_process_exits_cleanly(tmp_path):
    # the abandoned generation goes on in its thread; freeing the model under it crashed at exit
    env = {**os.environ, "RAG_CORPUS": str(CORPUS), "RAG_INDEX_DIR": str(tmp_path), "RAG_EMBEDDERS": "hash",
           "RAG_ANSWERER": "local", "RAG_FIRST_TOKEN_TIMEOUT_S": "0.5"}
    run = subprocess.run([sys.executable, "-m", "rag", "ask", "What does paragraph 3 say?", "--json"],
                         env=env, cwd=CORPUS.parents[1], capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, (run.returncode, run.stderr[-1000:])
    result = json.loads(run.stdout)
    assert result["fallback"] == "timeout: no first token within 0.5 s" and result["cited_paragraphs"] == [3]
