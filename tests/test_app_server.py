"""The app on a real loopback port: the named /ask API through gradio_client,
eight simultaneous users, and the default bind address."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

import app
from rag.pipeline import load_pipeline
from rag.settings import Settings

pytestmark = pytest.mark.integration
CORPUS = Path(__file__).resolve().parents[1] / "corpus" / "beijing_initiative_2017.txt"



@pytest.fixture(scope="module")
def server(tmp_path_factory, free_port):
    settings = Settings(corpus=CORPUS, index_dir=tmp_path_factory.mktemp("index"), embedders=("hash",),
                        answerer="fake")
    pipeline = load_pipeline(settings)
    demo = app.build_app(pipeline)
    demo.launch(server_port=free_port(), prevent_thread_lock=True, quiet=True)
    yield demo, pipeline
    demo.close()


def _client(demo):
    from gradio_client import Client

    return Client(demo.local_url, verbose=False)


def test_listens_on_loopback_by_default(server, monkeypatch):
    demo, _ = server
    assert demo.local_url.startswith("http://127.0.0.1:")
    assert demo.share_url is None


def test_ask_endpoint_returns_a_cited_answer(server):
    demo, pipeline = server
    result = _client(demo).predict("Which climate agreement should be implemented?", None, None, api_name="/ask")
    assert result["refused"] is False
    numbers = [c["number"] for c in result["citations"]]
    assert 12 in numbers
    texts = {p.number: p.text for p in pipeline.index.paragraphs}
    assert all(c["quote"] in texts[c["number"]] for c in result["citations"])
    assert result["retrieved"] and result["answer"].count("[") >= 1


def test_ask_endpoint_declines_what_the_document_lacks(server):
    demo, _ = server
    result = _client(demo).predict("What does paragraph 42 say?", None, None, api_name="/ask")
    assert result["refused"] is True and result["refusal_reason"] == "missing_paragraph"
    assert result["citations"] == []


def test_ask_endpoint_takes_history_and_rewrites_the_follow_up(server):
    demo, _ = server
    history = [{"role": "user", "content": "What does the text say about climate and the Paris Agreement?"},
               {"role": "assistant", "content": "It calls for implementing the Paris Agreement [12]."}]
    result = _client(demo).predict("And what about that?", history, None, api_name="/ask")
    assert result["query"] != result["question"] and "Paris" in result["query"]


def test_eight_simultaneous_users_each_get_their_own_answer(server):
    demo, _ = server
    numbers = list(range(1, 9))

    def ask(n: int) -> tuple[int, dict]:
        return n, _client(demo).predict(f"What does paragraph {n} say?", None, None, api_name="/ask")

    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(ask, numbers))
    for n, result in results:
        assert "error" not in result
        assert result["refused"] is False
        assert [c["number"] for c in result["citations"]] == [n], (n, result["answer"])
