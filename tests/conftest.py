"""Shared fixtures: every test is offline, hermetic and uses the ``hash`` embedder.

- The environment is scrubbed of ``RAG_*`` variables and set offline, and the
  working directory is the test's own ``tmp_path``, so the default
  ``corpus/`` and ``.index/`` of the repository are never read or written.
- Indexes live in ``tmp_path``; the embedder is :class:`rag.embed.HashEmbedder`
  (no model download, no torch).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import settings as hypothesis_settings

from rag.settings import OFFLINE_ENV

# Property tests: reproducible (no random seed, no example database written to disk) and quick.
hypothesis_settings.register_profile("rag", max_examples=60, deadline=None, derandomize=True, database=None)
hypothesis_settings.load_profile("rag")

ROOT = Path(__file__).resolve().parents[1]
BEIJING = ROOT / "corpus" / "beijing_initiative_2017.txt"



@pytest.fixture(scope="session")
def free_port() -> Callable[[], int]:
    """Pick a free port on loopback (for servers the tests start)."""

    def pick() -> int:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            return s.getsockname()[1]

    return pick


@pytest.fixture(autouse=True)
def hermetic(monkeypatch: pytest.MonkeyPatch, tmp_path: Path):
    """No RAG_* settings from the caller's shell, no network, cwd = tmp_path."""
    for key in list(os.environ):
        if key.startswith("RAG_"):
            monkeypatch.delenv(key)
    for key, value in OFFLINE_ENV.items():
        monkeypatch.setenv(key, value)
    monkeypatch.chdir(tmp_path)
    yield
    _forget_chroma_clients()


def _forget_chroma_clients() -> None:
    """Chroma caches one client system per folder; drop them so tmp dirs are released."""
    if "chromadb" not in sys.modules:  # never imported: nothing to release (and no import cost)
        return
    from chromadb.api.client import SharedSystemClient

    SharedSystemClient.clear_system_cache()


# --------------------------------------------------------------------------- files


@pytest.fixture
def write(tmp_path: Path) -> Callable[..., Path]:
    """``write("docs/a.txt", "1. Text")`` creates a file under tmp_path (str -> UTF-8, bytes as is)."""

    def _write(relative: str, content: str | bytes) -> Path:
        path = tmp_path / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
        return path

    return _write


@pytest.fixture
def beijing(tmp_path: Path) -> Path:
    """A private copy of the real corpus file (tests may edit it)."""
    target = tmp_path / "corpus" / BEIJING.name
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(BEIJING, target)
    return target


# --------------------------------------------------------------------------- settings / index


@pytest.fixture
def make_settings(tmp_path: Path):
    """Settings with the hash embedder and an index folder inside tmp_path."""
    from rag.settings import Settings

    def _make(corpus: Path, index_dir: Path | None = None, **overrides):
        return Settings(
            embedders=("hash",),
            corpus=Path(corpus),
            index_dir=Path(index_dir) if index_dir else tmp_path / "index",
            **overrides,
        )

    return _make


@pytest.fixture
def hash_embedders():
    from rag.embed import HashEmbedder

    return {"hash": HashEmbedder()}


@pytest.fixture
def connect():
    """``connect(settings)`` -> an embedded Chroma client in the settings' index folder."""
    from rag import store

    def _connect(settings):
        return store.connect(settings.index_dir, settings.chroma_url)

    return _connect


@pytest.fixture
def build(connect, hash_embedders):
    """``build(settings)`` -> (BuildReport, client): load the corpus and build/update its index."""
    from rag.index import build_index
    from rag.ingest import load_corpus

    def _build(settings, embedders=None):
        client = connect(settings)
        documents = load_corpus(settings.corpus)
        report = build_index(settings, documents, embedders if embedders is not None else hash_embedders, client)
        return report, client

    return _build


@pytest.fixture
def retriever_for(build, connect, hash_embedders):
    """``retriever_for(settings)`` -> a Retriever over a freshly built index."""
    from rag.index import Index
    from rag.retrieve import Retriever

    def _retriever(settings):
        _, client = build(settings)
        index = Index.open(settings, client)
        return Retriever.from_settings(settings, index, hash_embedders)

    return _retriever


# --------------------------------------------------------------------------- assertions

_QUOTED = re.compile(r"'[^'\n]*'|\"[^\"\n]*\"|`[^`\n]*`|\([^()\n]*\)")
_SENTENCE_BREAK = re.compile(r"[.!?]\s+[A-Z]")


def assert_one_sentence(message: str, *mentions: str) -> None:
    """A user-facing error: one line, one sentence, ending in a full stop, naming ``mentions``."""
    assert message.strip() == message and "\n" not in message, f"not one line: {message!r}"
    assert message.endswith((".", "!", "?")), f"does not end like a sentence: {message!r}"
    bare = message
    for _ in range(3):  # nested parentheses, quoted examples such as '1. We ...'
        bare = _QUOTED.sub("", bare)
    assert not _SENTENCE_BREAK.search(bare[:-1]), f"more than one sentence: {message!r}"
    for mention in mentions:
        assert mention in message, f"{mention!r} not named in {message!r}"


@pytest.fixture
def one_sentence():
    return assert_one_sentence


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """Settings (hash embedder, fake answerer) for a private copy of the Beijing corpus,
    its index built once per test module."""
    from rag.pipeline import load_pipeline
    from rag.settings import Settings

    root = tmp_path_factory.mktemp("built")
    corpus = root / "corpus" / BEIJING.name
    corpus.parent.mkdir()
    shutil.copyfile(BEIJING, corpus)
    with pytest.MonkeyPatch.context() as mp:
        for key in list(os.environ):
            if key.startswith("RAG_"):
                mp.delenv(key)
        settings = Settings(embedders=("hash",), answerer="fake", corpus=corpus, index_dir=root / "index")
        load_pipeline(settings)
    return settings


@pytest.fixture
def pipeline(built):
    """A fresh pipeline over the module's index (opening it takes milliseconds)."""
    from rag.pipeline import load_pipeline

    return load_pipeline(built)


@pytest.fixture
def fake_run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """``fake_run(questions, run_dir, changes)``: ``python -m eval run`` of the fake answerer (hash embedder) over
    ``questions`` (question-set rows, written to ``tmp_path/set.jsonl``) about the real corpus, into ``run_dir``
    with its index in ``tmp_path/index``; then each stored record updated with the fields ``changes`` gives for
    its question id, as if the model had drafted otherwise. Returns the records as the run stored them."""
    from eval.cli import main

    def run(questions: list[dict], run_dir: Path, changes: dict[str, dict] | None = None) -> list[dict]:
        monkeypatch.setenv("RAG_EMBEDDERS", "hash")
        dataset = tmp_path / "set.jsonl"
        dataset.write_text("".join(json.dumps(q, ensure_ascii=False) + "\n" for q in questions), encoding="utf-8")
        assert main(["run", "--dataset", str(dataset), "--out", str(run_dir), "--answerer", "fake",
                     "--corpus", str(BEIJING), "--index", str(tmp_path / "index")]) == 0
        results = run_dir / "results.jsonl"
        stored = [json.loads(line) for line in results.read_text().splitlines()]
        changed = [{**r, **(changes or {}).get(r["id"], {})} for r in stored]
        results.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in changed))
        return stored

    return run
