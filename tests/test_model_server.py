"""Scale-out: the answer chain against an OpenAI-compatible server on loopback.

The server is llama-cpp-python's own (``python -m llama_cpp.server``) serving the
same GGUF the embedded answerer uses; the project talks to it through
``RAG_ANSWERER=openai`` + ``RAG_LLM_BASE_URL``, exactly as it would to vLLM.
"""

from __future__ import annotations

import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from rag.pipeline import load_pipeline
from rag.settings import Settings

pytestmark = [pytest.mark.slow, pytest.mark.integration]
ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT / "corpus" / "beijing_initiative_2017.txt"


@pytest.fixture(scope="module")
def model_server(free_port, tmp_path_factory):
    gguf = subprocess.run([sys.executable, "-m", "rag", "model"], cwd=ROOT, capture_output=True, text=True,
                          check=True).stdout.strip()
    port = free_port()
    log = tmp_path_factory.mktemp("model-server") / "server.log"
    with open(log, "w") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "llama_cpp.server", "--model", gguf, "--model_alias", "qwen",
             "--host", "127.0.0.1", "--port", str(port), "--n_ctx", "4096", "--n_threads", "2"],
            stdout=out, stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}/v1"
    deadline = time.monotonic() + 180
    while True:
        try:
            with urllib.request.urlopen(f"{url}/models", timeout=2) as response:
                if response.status == 200:
                    break
        except OSError:
            pass
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            pytest.fail(f"llama_cpp.server did not start: {log.read_text()[-1500:]}")
        time.sleep(0.5)
    yield url
    proc.terminate()
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()


@pytest.fixture(scope="module")
def pipeline(model_server, tmp_path_factory):
    index = tmp_path_factory.mktemp("index")
    return load_pipeline(Settings(corpus=CORPUS, index_dir=index, answerer="openai", llm_model="qwen",
                                  llm_base_url=model_server, first_token_timeout_s=60, answer_timeout_s=120))


def test_answers_stream_from_the_model_server_and_are_verified(pipeline):
    events = list(pipeline.asker().stream("Which international climate agreement does the declaration want implemented?"))
    tokens = [value for kind, value in events if kind == "token"]
    result = events[-1][1]
    assert len(tokens) > 3, "tokens arrive one by one from the server"
    assert result.answerer == "openai" and result.fallback is None, result.fallback
    assert not result.refused and 12 in result.cited_numbers and "Paris" in result.answer
    assert "".join(tokens) == result.draft


def test_unanswerable_question_is_declined_with_the_model_server(pipeline):
    result = pipeline.ask("Who won the 2018 FIFA World Cup?")
    assert result.refused and not result.citations
