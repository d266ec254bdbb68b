"""Assemble the stages once: corpus -> index (built or updated if needed) -> retriever.

Entry points (CLI, ``app.py``, ``eval/``) call :func:`load_pipeline` with the
settings object and keep the result; nothing here runs on import.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from . import store
from .embed import Embedder, make_embedder
from .errors import ConfigError, CorpusError, IndexStateError, RagError, StoreUnavailable
from .index import BuildReport, Index, Progress, build_index, current_generation
from .ingest import load_corpus
from .answer import AnswerResult, Asker
from .records import SearchResult
from .retrieve import Retriever
from .settings import ANSWERERS, Settings
from .support import SentenceScorer

log = logging.getLogger(__name__)


@dataclass
class Pipeline:
    """The assembled stages. It is also what the askers search through: before each
    search it checks that the index it serves is still the one on disk, and an index
    deleted, replaced or damaged under a running app is rebuilt (or reopened) once,
    with a log line, instead of failing every question after it."""

    settings: Settings
    retriever: Retriever
    pool: EmbedderPool
    client: object = None
    report: BuildReport | None = None
    warnings: list[str] = field(default_factory=list)
    _askers: BuiltOnce = field(default_factory=lambda: BuiltOnce())  # app users may pick an answerer at once
    _heal_lock: threading.Lock = field(default_factory=threading.Lock)
    models: ModelPool | None = None  # the chat models, shared with other pipelines (see rag.library)

    def __post_init__(self) -> None:
        self.models = self.models or ModelPool(self.settings)

    @property
    def index(self) -> Index:
        return self.retriever.index

    def search(self, query: str, k: int | None = None, translation: str | None = None,
               expand: Callable[[str], str | None] | None = None) -> SearchResult:
        retriever = self.retriever
        if not self._on_disk(retriever.index):
            self._heal(retriever, "changed on disk")
            retriever = self.retriever
        try:
            return retriever.search(query, k, translation, expand)
        except RagError:
            raise
        except Exception as err:  # the store broke under us: rebuild once, then search again
            self._heal(retriever, f"failed a search ({type(err).__name__}: {err})")
            return self.retriever.search(query, k, translation, expand)

    def _on_disk(self, index: Index) -> bool:
        index_dir = Path(self.settings.index_dir)
        files = [index_dir / f"gen-{index.generation}" / "manifest.json"]
        if not self.settings.chroma_url:
            files.append(index_dir / "chroma" / "chroma.sqlite3")
        return current_generation(index_dir) == index.generation and all(f.exists() for f in files)

    def _heal(self, stale: Retriever, reason: str) -> None:
        with self._heal_lock:
            if self.retriever is not stale:  # another user's question already did it
                return
            log.warning("The index at %s %s; rebuilding or reopening it.", self.settings.index_dir, reason[:300])
            store.release(self.client, None if self.settings.chroma_url else self.settings.index_dir)
            self.client, index, self.report, self.warnings = open_index(self.settings, self.pool)
            self.retriever = make_retriever(self.settings, index, self.pool)
            log.warning("Serving index generation %s again.", index.generation)

    def asker(self, answerer: str | None = None) -> Asker:
        """The question answerer for ``answerer`` (default: the settings'), built once."""
        name = answerer or self.settings.answerer
        if name not in ANSWERERS:  # the app's /ask API and the CLI pass what the user typed
            raise ConfigError(f"Unknown answerer {name!r}; choose from {', '.join(ANSWERERS)}.")
        # assembling and checking the local model takes a while the first time, and users of the answerers
        # already built must not wait for it
        return self._askers.build(name, lambda: self._build_asker(name))

    def _build_asker(self, name: str) -> Asker:
        chat_model = None if name == "extractive" else self.models.get(name)
        scorer = SentenceScorer(self._embedder("minilm") or self._embedder("hash"), self._embedder("e5"))
        translator = claims = expander = rewriter = None
        if chat_model is not None:
            from .translate import QueryTranslator, claim_translator, follow_up_rewriter, query_expander

            claims = claim_translator(chat_model, timeout=self.settings.first_token_timeout_s)
            if self.settings.translate_queries:
                translator = QueryTranslator(chat_model, timeout=self.settings.first_token_timeout_s)
            if self.settings.rewrite_follow_ups:
                rewriter = follow_up_rewriter(chat_model, timeout=self.settings.first_token_timeout_s)
            if self.settings.expand_close_queries:
                expander = query_expander(chat_model, timeout=self.settings.first_token_timeout_s)
        return Asker(
            self, scorer, chat_model, name=name, k=self.settings.k, translator=translator, claim_translator=claims,
            expander=expander, rewriter=rewriter,
            max_question_chars=self.settings.max_question_chars, judge_threshold=self.settings.judge_threshold,
            first_token_timeout=self.settings.first_token_timeout_s,
            answer_timeout=self.settings.answer_timeout_s,
        )

    def translate(self, query: str) -> str | None:
        """The English retrieval query for a question in another language, made by the settings'
        answerer's chat model as ``ask`` makes it (so ``rag search`` ranks as the chat does); the model
        loads only for a question that needs it. None when none is needed, or there is no chat model
        (the extractive answerer, ``RAG_TRANSLATE_QUERIES=false``), or it cannot be loaded."""
        from .translate import needs_translation

        if not self.settings.translate_queries or not needs_translation(query):
            return None
        return self._rewrite("translator", query, "translating")  # none: e5 ranks the original, as before

    def expand(self, query: str) -> str | None:
        """A close call's expansion for retrieval (see ``Retriever.search``), made by the settings' answerer's
        chat model as ``ask`` makes it (so ``rag search`` ranks as the chat does); the model loads only for a
        query that is a close call. None when off (``RAG_EXPAND_CLOSE_QUERIES=false``), with no chat model (the
        extractive answerer), or when it cannot be loaded or writes nothing usable."""
        if not self.settings.expand_close_queries:
            return None
        return self._rewrite("expander", query, "expanding")  # none: the question is ranked alone, as before

    def _rewrite(self, part: str, query: str, doing: str) -> str | None:
        """``query`` rewritten by the settings' answerer's ``part`` (its translator or expander); None when it
        has none (the extractive answerer) or its model cannot be loaded (logged: "Not ``doing`` the question")."""
        try:
            rewrite = getattr(self.asker(), part)
        except RagError as err:
            log.warning("Not %s the question: %s", doing, err)
            return None
        return rewrite(query) if rewrite is not None else None

    def ask(self, question: str, history: list[dict] | None = None, answerer: str | None = None) -> AnswerResult:
        return self.asker(answerer).ask(question, history)

    def _embedder(self, name: str) -> Embedder | None:
        return self.retriever.embedders.get(name) or (self.pool.get(name) if name in self.settings.embedders else None)


class BuiltOnce(dict):
    """Values built on first use, once per key, each under a lock of its own: a slow build (assembling the
    local model) holds up no other key. Safe to share between threads."""

    def __init__(self) -> None:
        super().__init__()
        self._lock = threading.Lock()
        self._building: dict[object, threading.Lock] = {}

    def build(self, key, make: Callable[[], object]):
        """The value for ``key``, made by ``make()`` the first time."""
        with self._lock:
            if key in self:
                return self[key]
            building = self._building.setdefault(key, threading.Lock())
        with building:
            with self._lock:
                if key in self:  # built by another thread meanwhile
                    return self[key]
            value = make()
            with self._lock:
                self[key] = value
            return value


class ModelPool:
    """Builds each answerer's chat model once, on first use, and keeps it: every pipeline of the app (one per
    document opened, see rag.library) answers with the same 2 GB local model and its one lock."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._loaded = BuiltOnce()

    def get(self, name: str):
        from .llm import make_chat_model  # LangChain loads only when answering

        return self._loaded.build(name, lambda: make_chat_model(self.settings, name))


class EmbedderPool:
    """Loads each embedder once, on first use, and keeps it."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._loaded: dict[str, Embedder] = {}

    def get(self, name: str) -> Embedder:
        if name not in self._loaded:
            log.info("loading embedder %s", name)
            self._loaded[name] = make_embedder(name, self.settings.threads, self.settings.embed_batch_size,
                                               bf16=self.settings.minilm_bf16, e5_engine=self.settings.e5_engine)
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


def open_index(settings: Settings, pool: EmbedderPool,
               progress: Callable[[int, str], Progress] | None = None) -> tuple[object, Index, BuildReport | None, list[str]]:
    """Connect to the store and open the index, building or updating it first if needed.

    An embedded Chroma folder too damaged to read is moved aside to
    ``<index>.damaged`` and the index is built again, once, with a log line; a
    Chroma server that fails is one clear error naming its address.
    """
    client = None
    try:
        client = store.connect(settings.index_dir, settings.chroma_url)
        return (client, *ensure_index(settings, client, pool, progress))
    except RagError:
        raise
    except Exception as err:  # chromadb raises its own and sqlite's types for a damaged store
        store.release(client, None if settings.chroma_url else settings.index_dir)
        if settings.chroma_url:
            raise StoreUnavailable(
                f"The Chroma server at {settings.chroma_url} failed ({type(err).__name__}: {str(err)[:120]})."
            ) from None
        aside = store.quarantine(settings.index_dir)
        log.warning("The index at %s is damaged (%s: %s); moved it to %s and building it again.",
                    settings.index_dir, type(err).__name__, str(err)[:200], aside)
    try:
        client = store.connect(settings.index_dir, None)
        return (client, *ensure_index(settings, client, pool, progress))
    except RagError:
        raise
    except Exception as err:
        raise IndexStateError(
            f"The index at {settings.index_dir} could not be rebuilt ({type(err).__name__}: {str(err)[:200]})."
        ) from None


def make_retriever(settings: Settings, index: Index, pool: EmbedderPool) -> Retriever:
    embedders = {name: pool.get(name) for name in index.collections}
    return Retriever.from_settings(settings, index, embedders)


def load_pipeline(settings: Settings, progress: Callable[[int, str], Progress] | None = None,
                  pool: EmbedderPool | None = None, models: ModelPool | None = None) -> Pipeline:
    """The pipeline the settings describe, its index opened (built or updated first if needed); ``pool`` and
    ``models`` share embedders and chat models already loaded by another pipeline."""
    pool = pool or EmbedderPool(settings)
    client, index, report, warnings = open_index(settings, pool, progress)
    return Pipeline(settings, make_retriever(settings, index, pool), pool, client, report, warnings, models=models)
