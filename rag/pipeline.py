"""Assemble the stages once: corpus -> index (built or updated if needed) -> retriever.

Entry points (CLI, ``app.py``, ``eval/``) call :func:`load_pipeline` with the
settings object and keep the result; nothing here runs on import.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field

from . import store
from .embed import Embedder, make_embedder
from .errors import CorpusError, IndexStateError
from .index import BuildReport, Index, Progress, build_index
from .ingest import load_corpus
from .answer import AnswerResult, Asker
from .records import SearchResult
from .retrieve import Retriever
from .settings import Settings
from .support import SentenceScorer

log = logging.getLogger(__name__)


@dataclass
class Pipeline:
    settings: Settings
    index: Index
    retriever: Retriever
    pool: EmbedderPool
    report: BuildReport | None = None
    warnings: list[str] = field(default_factory=list)
    _askers: dict = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)  # app users may pick an answerer at once

    def search(self, query: str, k: int | None = None) -> SearchResult:
        return self.retriever.search(query, k)

    def asker(self, answerer: str | None = None) -> Asker:
        """The question answerer for ``answerer`` (default: the settings'), built once."""
        name = answerer or self.settings.answerer
        with self._lock:
            if name not in self._askers:
                self._askers[name] = self._build_asker(name)
            return self._askers[name]

    def _build_asker(self, name: str) -> Asker:
        from .llm import make_chat_model  # LangChain loads only when answering

        chat_model = None if name == "extractive" else make_chat_model(self.settings, name)
        scorer = SentenceScorer(self._embedder("minilm") or self._embedder("hash"), self._embedder("e5"))
        return Asker(
            self.retriever, scorer, chat_model, name=name, k=self.settings.k,
            max_question_chars=self.settings.max_question_chars,
            first_token_timeout=self.settings.first_token_timeout_s,
            answer_timeout=self.settings.answer_timeout_s,
        )

    def ask(self, question: str, history: list[dict] | None = None, answerer: str | None = None) -> AnswerResult:
        return self.asker(answerer).ask(question, history)

    def _embedder(self, name: str) -> Embedder | None:
        return self.retriever.embedders.get(name) or (self.pool.get(name) if name in self.settings.embedders else None)


class EmbedderPool:
    """Loads each embedder once, on first use, and keeps it."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._loaded: dict[str, Embedder] = {}

    def get(self, name: str) -> Embedder:
        if name not in self._loaded:
            log.info("loading embedder %s", name)
            self._loaded[name] = make_embedder(name, self.settings.threads, self.settings.embed_batch_size)
        return self._loaded[name]

    def all(self) -> dict[str, Embedder]:
        return {name: self.get(name) for name in self.settings.embedders}


def ensure_index(settings: Settings, client, pool: EmbedderPool,
                 progress: Callable[[int, str], Progress] | None = None) -> tuple[Index, BuildReport | None, list[str]]:
    """Open the index, building or updating it first if the corpus or settings changed.

    A corpus that fails to parse leaves the previous index serving, with a warning.
    """
    try:
        documents = load_corpus(settings.corpus)
    except CorpusError as err:
        try:
            index = Index.open(settings, client)
        except IndexStateError:
            raise err from None
        warning = f"{err} Serving the previous index (generation {index.generation})."
        log.warning(warning)
        return index, None, [warning]
    report = build_index(settings, documents, pool.all, client, progress)
    return Index.open(settings, client), report, []


def load_pipeline(settings: Settings, progress: Callable[[int, str], Progress] | None = None,
                  pool: EmbedderPool | None = None) -> Pipeline:
    pool = pool or EmbedderPool(settings)
    client = store.connect(settings.index_dir, settings.chroma_url)
    index, report, warnings = ensure_index(settings, client, pool, progress)
    embedders = {name: pool.get(name) for name in index.collections}
    retriever = Retriever(index, embedders, k=settings.k, rrf_k=settings.rrf_k,
                          route_by_script=settings.route_by_script)
    return Pipeline(settings, index, retriever, pool, report, warnings)
