"""Faults: the index vanishing or breaking under a running app, a model backend that is
down, slow or talks nonsense, and an index build killed with SIGKILL.

Each test makes the fault really happen (files deleted or overwritten, a real HTTP
server that misbehaves, a real ``kill -9``) and then checks what the user gets.
"""

from __future__ import annotations

import json
import logging
import os
import signal
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

import app
from rag.errors import CorpusError
from rag.index import current_generation
from rag.pipeline import load_pipeline
from rag.render import answer_html

ROOT = Path(__file__).resolve().parents[1]
QUESTION = "What does the initiative say about climate change and the Paris Agreement?"


@pytest.fixture
def serving(beijing, make_settings):
    """A pipeline over a fresh index (extractive answerer), and its first answer."""
    settings = make_settings(beijing, answerer="extractive")
    pipeline = load_pipeline(settings)
    return settings, pipeline, pipeline.ask(QUESTION)


def _edit_paragraph_12(path: Path) -> str:
    """Add a sentence to paragraph 12; return the original text."""
    text = path.read_text(encoding="utf-8")
    lines = [line + " We also make the Kunming pledges." if line.startswith("12.") else line
             for line in text.split("\n")]
    path.write_text("\n".join(lines), encoding="utf-8")
    return text


def _same_answer(before, after) -> None:
    assert not after.refused and after.citations
    assert after.answer == before.answer and after.cited_numbers == before.cited_numbers


# --------------------------------------------------------------------------- the index under a running app


def test_index_deleted_while_serving_is_rebuilt_with_a_log_line(serving, caplog):
    settings, pipeline, before = serving
    import shutil

    shutil.rmtree(settings.index_dir)
    with caplog.at_level(logging.WARNING, logger="rag.pipeline"):
        after = pipeline.ask(QUESTION)
    _same_answer(before, after)
    assert any("changed on disk" in r.getMessage() for r in caplog.records)
    assert current_generation(settings.index_dir) == pipeline.index.generation  # really on disk again
    assert load_pipeline(settings).report.status == "unchanged"


def test_store_overwritten_while_serving_is_moved_aside_and_rebuilt(serving, caplog):
    settings, pipeline, before = serving
    (settings.index_dir / "chroma" / "chroma.sqlite3").write_bytes(b"not a database " * 100)
    with caplog.at_level(logging.WARNING, logger="rag.pipeline"):
        after = pipeline.ask(QUESTION)
    _same_answer(before, after)
    assert any("is damaged" in r.getMessage() and ".damaged" in r.getMessage() for r in caplog.records)
    assert (settings.index_dir.parent / "index.damaged" / "chroma" / "chroma.sqlite3").exists(), "kept for a look"
    assert load_pipeline(settings).report.status == "unchanged"


def test_index_replaced_by_another_build_is_served_with_the_new_text(serving, beijing):
    """`python -m rag index` run beside the app: the app serves the new generation, never old citations."""
    settings, pipeline, _ = serving
    old = pipeline.index.generation
    _edit_paragraph_12(beijing)
    load_pipeline(settings)  # another process rebuilds the index
    after = pipeline.ask("What are the Kunming pledges?")
    assert pipeline.index.generation != old
    assert "Kunming pledges [12]" in after.answer


def test_damaged_store_between_runs_is_moved_aside_and_rebuilt(serving, caplog):
    settings, pipeline, before = serving
    del pipeline
    for path in settings.index_dir.rglob("*"):
        if path.is_file():
            path.write_bytes(b"\x00garbage\xff" * 50)
    with caplog.at_level(logging.WARNING):
        again = load_pipeline(settings)
    assert again.report.status == "built"
    _same_answer(before, again.ask(QUESTION))
    assert any(".damaged" in r.getMessage() for r in caplog.records)


def test_index_and_corpus_both_gone_is_one_sentence_in_the_app_and_recovers(serving, beijing, one_sentence):
    """Nothing to rebuild from: one clear sentence per question, no crash, and back once the corpus is back."""
    settings, pipeline, before = serving
    import shutil

    saved = beijing.read_bytes()
    shutil.rmtree(settings.index_dir)
    beijing.unlink()
    with pytest.raises(CorpusError) as err:
        pipeline.ask(QUESTION)
    one_sentence(str(err.value))
    *_, (messages, _, result) = app.respond(QUESTION, [], pipeline)
    assert result is None and "declined" in messages[-1]["content"]
    beijing.write_bytes(saved)
    _same_answer(before, pipeline.ask(QUESTION))


# --------------------------------------------------------------------------- a model backend that misbehaves


def _chunk(text: str) -> bytes:
    body = {"id": "x", "object": "chat.completion.chunk", "created": 0, "model": "m",
            "choices": [{"index": 0, "delta": {"role": "assistant", "content": text}, "finish_reason": None}]}
    return f"data: {json.dumps(body)}\n\n".encode()


class _Backend(BaseHTTPRequestHandler):
    """An OpenAI-compatible endpoint that fails the way ``mode`` says."""

    mode = "garbage"

    def log_message(self, *args) -> None:
        pass

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        if self.mode == "error":
            self.send_response(500)
            self.end_headers()
            self.wfile.write(b'{"error": {"message": "model crashed"}}')
            return
        if self.mode == "slow":
            time.sleep(20)
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.end_headers()
        if self.mode == "broken":
            self.wfile.write(b"data: {this is not json\n\n")
            return
        for word in "Bananas are blue and the moon is made of cheese.".split():  # "garbage": fluent, uncited
            self.wfile.write(_chunk(word + " "))
        self.wfile.write(b"data: [DONE]\n\n")


@pytest.fixture
def backend(free_port):
    """``backend(mode)`` -> base URL of a local OpenAI-compatible server misbehaving as told;
    ``backend("down")`` -> a URL nothing listens on."""
    servers = []

    def start(mode: str) -> str:
        port = free_port()
        if mode == "down":
            return f"http://127.0.0.1:{port}/v1"
        handler = type("Handler", (_Backend,), {"mode": mode})
        server = ThreadingHTTPServer(("127.0.0.1", port), handler)
        server.daemon_threads = True  # a handler still sleeping does not hold up the teardown
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        return f"http://127.0.0.1:{port}/v1"

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


@pytest.mark.parametrize("mode", ["down", "error", "slow", "broken", "garbage"])
def test_misbehaving_backend_falls_back_to_a_cited_answer_with_a_visible_notice(beijing, make_settings, backend, mode):
    settings = make_settings(beijing, answerer="openai", llm_model="m", llm_base_url=backend(mode),
                             first_token_timeout_s=1.0, answer_timeout_s=5.0)
    pipeline = load_pipeline(settings)
    question = "What does paragraph 12 say?"  # strong evidence: garbage is replaced, not declined
    result = pipeline.ask(question)
    assert result.fallback, f"{mode}: no fallback recorded: {result.to_dict()}"
    if mode == "slow":  # the slow backend (20 s) is not waited for: the first-token limit ends it
        assert result.fallback.startswith("timeout: no first token within 1 s"), result.fallback
    assert not result.refused and result.citations
    assert result.answer == pipeline.ask(question, answerer="extractive").answer
    assert "Bananas" not in result.answer and "cheese" not in result.answer
    assert result.sentences and all(s["labels"] for s in result.sentences)
    paragraphs = {p.label: p for p in pipeline.index.paragraphs}
    assert "Answered from the document's own sentences" in answer_html(result, paragraphs)


# --------------------------------------------------------------------------- a build killed with SIGKILL

_KILLABLE_BUILD = """
import sys, time
from pathlib import Path
import rag.index as index_module

original = index_module._write_json

def write_json(path, data):
    if path.name == "manifest.json":  # vectors and BM25 of the new generation are written by now
        Path(sys.argv[1]).write_text("ready")
        time.sleep(600)
    original(path, data)

index_module._write_json = write_json
from rag.cli import main
sys.exit(main(["index"]))
"""


@pytest.mark.integration
def test_build_killed_with_sigkill_leaves_the_previous_index_serving(beijing, make_settings, tmp_path):
    settings = make_settings(beijing, answerer="extractive")
    first = load_pipeline(settings)
    before = first.ask("What does paragraph 12 say?")
    generation = first.index.generation
    del first

    text = _edit_paragraph_12(beijing)
    marker = tmp_path / "halfway"
    env = {**os.environ, "PYTHONPATH": str(ROOT), "RAG_CORPUS": str(settings.corpus),
           "RAG_INDEX_DIR": str(settings.index_dir), "RAG_EMBEDDERS": "hash"}
    proc = subprocess.Popen([sys.executable, "-c", _KILLABLE_BUILD, str(marker)], env=env, cwd=tmp_path,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 120
        while not marker.exists():
            assert proc.poll() is None, f"the build ended before it could be killed: {proc.stderr.read()[-500:]}"
            assert time.monotonic() < deadline, "the build never got halfway"
            time.sleep(0.05)
        os.kill(proc.pid, signal.SIGKILL)
        assert proc.wait(timeout=30) == -signal.SIGKILL
    finally:
        if proc.poll() is None:
            proc.kill()

    assert current_generation(settings.index_dir) == generation
    beijing.write_text(text, encoding="utf-8")  # the corpus as the previous index knows it
    survivor = load_pipeline(settings)
    assert survivor.report.status == "unchanged" and survivor.index.generation == generation
    after = survivor.ask("What does paragraph 12 say?")
    assert after.answer == before.answer and after.cited_numbers[:1] == [12] == before.cited_numbers[:1]

    _edit_paragraph_12(beijing)
    retry = load_pipeline(settings)  # the next build, not killed, completes the update
    assert retry.report.status == "updated"
    assert "Kunming" in next(p.text for p in retry.index.paragraphs if p.number == 12)
