"""Integration: retrieval against a real ``chroma run`` server on loopback.

Starts the server from the installed chromadb package, builds the index into
it (RAG_CHROMA_URL), searches, then checks that an unreachable server is one
clear error.
"""

from __future__ import annotations

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



@pytest.fixture(scope="module")
def chroma_url(tmp_path_factory, free_port):
    exe = Path(sys.executable).with_name("chroma")
    if not exe.exists():
        exe = Path(shutil.which("chroma") or "chroma")
    port = free_port()
    data = tmp_path_factory.mktemp("chroma-server")
    proc = subprocess.Popen([str(exe), "run", "--path", str(data), "--host", "127.0.0.1", "--port", str(port)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            store.connect(data, url)
            break
        except StoreUnavailable:
            if proc.poll() is not None or time.monotonic() > deadline:
                proc.kill()
                pytest.fail(f"chroma run did not start on {url}")
            time.sleep(0.3)
    yield url
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()


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


def test_unreachable_server_is_one_clear_sentence(tmp_path, free_port):
    url = f"http://127.0.0.1:{free_port()}"
    with pytest.raises(StoreUnavailable) as err:
        store.connect(tmp_path, url)
    message = str(err.value)
    assert url in message and message.endswith(".") and "\n" not in message
