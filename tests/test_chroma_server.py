"""Integration: retrieval against a real ``chroma run`` server on loopback.

Starts the server from the installed chromadb package, builds the index into
it (RAG_CHROMA_URL), searches, then checks that an unreachable server is one
clear error.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from rag import store
from rag.errors import StoreUnavailable
from rag.pipeline import load_pipeline
from rag.settings import Settings

pytestmark = pytest.mark.integration
CORPUS = Path(__file__).resolve().parents[1] / "corpus" / "beijing_initiative_2017.txt"



def start_chroma(data: Path, port: int) -> subprocess.Popen:
    """``chroma run`` on loopback from the installed package; returns once it answers."""
    exe = Path(sys.executable).with_name("chroma")
    if not exe.exists():
        exe = Path(shutil.which("chroma") or "chroma")
    proc = subprocess.Popen([str(exe), "run", "--path", str(data), "--host", "127.0.0.1", "--port", str(port)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            store.connect(data, url)
            return proc
        except StoreUnavailable:
            if proc.poll() is not None or time.monotonic() > deadline:
                proc.kill()
                pytest.fail(f"chroma run did not start on {url}")
            time.sleep(0.3)


def stop(proc: subprocess.Popen) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


@pytest.fixture(scope="module")
def chroma_url(tmp_path_factory, free_port):
    port = free_port()
    proc = start_chroma(tmp_path_factory.mktemp("chroma-server"), port)
    yield f"http://127.0.0.1:{port}"
    stop(proc)


def test_index_and_search_through_chroma_server(chroma_url, tmp_path):
    settings = Settings(corpus=CORPUS, index_dir=tmp_path / "index", chroma_url=chroma_url, embedders=("hash",))
    pipeline = load_pipeline(settings)
    assert pipeline.report.status == "built"
    assert not (tmp_path / "index" / "chroma").exists(), "server mode must not create an embedded store"
    hits = pipeline.search("Which climate agreement should be implemented (Paris)?", 3).hits
    assert 12 in [h.paragraph.number for h in hits]
    assert pipeline.search("What does paragraph 9 say?").hits[0].paragraph.number == 9

    # A second process-level open reuses the server's collections: nothing re-embedded.
    again = load_pipeline(settings)
    assert again.report.status == "unchanged" and again.report.embedded == 0


def test_index_folders_sharing_a_server_keep_their_own_collections(chroma_url, tmp_path):
    """Each folder's build clears out its own old generations only: updating one index twice (its first
    generation's collections dropped) leaves another folder's index of the same text whole."""
    corpus = tmp_path / "corpus" / CORPUS.name
    corpus.parent.mkdir()
    shutil.copyfile(CORPUS, corpus)
    first = Settings(corpus=corpus, index_dir=tmp_path / "first", chroma_url=chroma_url, embedders=("hash",))
    second = Settings(corpus=CORPUS, index_dir=tmp_path / "second", chroma_url=chroma_url, embedders=("hash",))
    load_pipeline(first)
    other = load_pipeline(second)
    for n in (1, 2):
        text = corpus.read_text(encoding="utf-8")
        corpus.write_text(text.replace("landscape and clear water", f"landscape and clear water ({n})"),
                          encoding="utf-8")
        assert load_pipeline(first).report.status == "updated"
    reopened = load_pipeline(second)
    assert reopened.report.status == "unchanged" and reopened.index.generation == other.index.generation
    assert reopened.search("What does paragraph 9 say?").hits[0].paragraph.number == 9


def test_documents_opened_in_the_chat_live_on_the_server_and_leave_it(chroma_url, tmp_path):
    """A document opened beside the corpus (rag.library) is indexed into the server too; when it leaves the
    disk its collections leave the server, and the corpus' stay."""
    from rag.index import namespace
    from rag.library import Library

    settings = Settings(corpus=CORPUS, index_dir=tmp_path / "index", chroma_url=chroma_url, embedders=("hash",))
    library = Library(load_pipeline(settings), keep=1, keep_on_disk=1)
    docs = []
    for n in (1, 2):
        (tmp_path / f"d{n}.md").write_text(f"Doc {n}\n\n1. Thing {n} matters.\n", encoding="utf-8")
        key, opened = library.open(tmp_path / f"d{n}.md")
        docs.append((key, namespace(opened.settings)))
        assert opened.search("thing", 1).hits[0].paragraph.text == f"Thing {n} matters."
    names = {getattr(c, "name", c) for c in store.connect(tmp_path, chroma_url).list_collections()}
    assert not any(name.startswith(docs[0][1] + "-") for name in names)  # the first left the disk and the server
    assert any(name.startswith(docs[1][1] + "-") for name in names)
    assert any(name.startswith(namespace(settings) + "-") for name in names)  # the corpus stays
    assert not (library.root / docs[0][0]).exists()


def _cli(url: str, index: Path, *argv: str) -> subprocess.CompletedProcess:
    """``python -m rag ...`` in a fresh process, configured only through the environment, as a user would."""
    root = Path(__file__).resolve().parents[1]
    env = {**os.environ, "RAG_CHROMA_URL": url, "RAG_EMBEDDERS": "hash", "PYTHONPATH": str(root)}
    return subprocess.run([sys.executable, "-m", "rag", *argv, "--corpus", str(CORPUS), "--index", str(index)],
                          env=env, cwd=root, capture_output=True, text=True, timeout=300)


def test_cli_index_search_and_ask_through_chroma_server(chroma_url, tmp_path):
    index = tmp_path / "cli-index"
    built = _cli(chroma_url, index, "index")
    assert built.returncode == 0, built.stderr
    assert not (index / "chroma").exists(), "server mode must not create an embedded store"

    again = _cli(chroma_url, index, "index")
    assert again.returncode == 0 and "unchanged" in again.stdout, again.stdout + again.stderr

    search = _cli(chroma_url, index, "search", "What does paragraph 9 say?", "--json")
    assert search.returncode == 0, search.stderr
    assert json.loads(search.stdout)["hits"][0]["number"] == 9

    ask = _cli(chroma_url, index, "ask", "Which climate agreement should be implemented?", "--answerer",
               "extractive", "--json")
    assert ask.returncode == 0, ask.stderr
    result = json.loads(ask.stdout)
    assert result["refused"] is False and 12 in [c["number"] for c in result["citations"]]


def test_app_answers_through_chroma_server(chroma_url, tmp_path, free_port):
    """The chat app's /ask API served from an index that lives on the Chroma server."""
    import app
    from gradio_client import Client

    settings = Settings(corpus=CORPUS, index_dir=tmp_path / "index", chroma_url=chroma_url, embedders=("hash",),
                        answerer="extractive")
    demo = app.build_app(load_pipeline(settings))
    demo.launch(server_port=free_port(), prevent_thread_lock=True, quiet=True)
    try:
        result = Client(demo.local_url, verbose=False).predict("What does paragraph 12 say?", None, None,
                                                               api_name="/ask")
    finally:
        demo.close()
    assert result["refused"] is False and [c["number"] for c in result["citations"]] == [12]


def test_unreachable_server_is_one_clear_sentence(tmp_path, free_port):
    url = f"http://127.0.0.1:{free_port()}"
    with pytest.raises(StoreUnavailable) as err:
        store.connect(tmp_path, url)
    message = str(err.value)
    assert url in message and message.endswith(".") and "\n" not in message


def test_server_down_while_serving_is_one_sentence_and_recovers(tmp_path, free_port, one_sentence):
    """The app stays up: while the server is down each question gets one sentence naming
    the address; once it is back, the next question is answered as before."""
    import app

    port, data = free_port(), tmp_path / "server"
    url = f"http://127.0.0.1:{port}"
    proc = start_chroma(data, port)
    try:
        settings = Settings(corpus=CORPUS, index_dir=tmp_path / "index", chroma_url=url, embedders=("hash",),
                            answerer="extractive")
        pipeline = load_pipeline(settings)
        question = "What does paragraph 12 say?"
        before = pipeline.ask(question)
        stop(proc)

        for _ in range(2):  # no crash loop: every question while it is down gets the same clear sentence
            with pytest.raises(StoreUnavailable) as err:
                pipeline.ask(question)
            one_sentence(str(err.value), url)
            *_, (messages, _, result) = app.respond(question, [], pipeline)
            assert result is None and url in messages[-1]["content"]

        proc = start_chroma(data, port)
        after = pipeline.ask(question)
        assert after.answer == before.answer and after.cited_numbers == before.cited_numbers
    finally:
        stop(proc)


def test_app_without_its_server_stops_with_one_sentence(tmp_path, free_port):
    url = f"http://127.0.0.1:{free_port()}"
    root = Path(__file__).resolve().parents[1]
    env = {**os.environ, "RAG_CHROMA_URL": url, "RAG_CORPUS": str(CORPUS), "RAG_INDEX_DIR": str(tmp_path / "index"),
           "RAG_ANSWERER": "extractive", "RAG_EMBEDDERS": "hash", "PYTHONPATH": str(root)}
    run = subprocess.run([sys.executable, str(root / "app.py")], env=env, cwd=tmp_path, capture_output=True,
                         text=True, timeout=120)
    assert run.returncode == 2
    errors = [line for line in run.stderr.splitlines() if "ERROR" in line]
    assert len(errors) == 1 and url in errors[0] and "Traceback" not in run.stderr
