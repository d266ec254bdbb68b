"""Documents a user opens in the chat, beside the configured corpus.

Each opened document gets an index of its own, built once under
``<index_dir>/opened/<hash of its text>/`` and kept, so opening it again (or
after a restart) only reopens it; the embedders and the chat model are the main
pipeline's, shared, not loaded again. The document is parsed before anything is
written: a file that is not a document with numbered paragraphs is one sentence
naming the problem, and every index, the main one included, stays as it was.

    library = Library(pipeline)
    key, opened = library.open(Path("charter.md"))   # CorpusError on a bad file
    library.get(key).asker().ask("What does Article 2 say?")
"""

from __future__ import annotations

import hashlib
import logging
import re
import threading
from collections import OrderedDict
from collections.abc import Callable
from pathlib import Path

from .errors import CorpusError
from .index import Progress
from .ingest import SUFFIXES, parse_text, read_text
from .pipeline import Pipeline, load_pipeline

log = logging.getLogger(__name__)

OPENED = "opened"  # the folder, inside the main index folder, that holds opened documents and their indexes


class Library:
    """The main pipeline and the pipelines of the documents opened beside it, the last ``keep`` in memory
    (an older one is reopened from disk when asked for again). Safe to share between the app's users."""

    def __init__(self, main: Pipeline, keep: int = 8, max_bytes: int | None = None) -> None:
        self.main = main
        self.keep = keep
        self.max_bytes = max_bytes if max_bytes is not None else main.settings.max_open_bytes
        self.root = Path(main.settings.index_dir) / OPENED
        self._open: OrderedDict[str, Pipeline] = OrderedDict()
        self._locks: dict[str, threading.Lock] = {}
        self._lock = threading.Lock()

    def open(self, path: Path | str, progress: Callable[[int, str], Progress] | None = None
             ) -> tuple[str, Pipeline]:
        """Index the document at ``path`` (a .txt or .md file; its name is the document's name) unless it
        was opened before, and return its key and pipeline. Raises :class:`CorpusError`, one sentence,
        for a file that is too large, not UTF-8 text, or has no numbered paragraphs."""
        path = Path(path)
        if path.suffix.lower() not in SUFFIXES:
            raise CorpusError(f"{path.name}: unsupported file type {path.suffix or '(none)'}; open a .txt or "
                              ".md document.")
        if path.is_file() and path.stat().st_size > self.max_bytes:
            raise CorpusError(f"{path.name}: the file is {path.stat().st_size:,} bytes; documents of up to "
                              f"{self.max_bytes:,} bytes can be opened here (set RAG_MAX_OPEN_BYTES for more).")
        text = read_text(path)
        name = _safe_name(path)
        parse_text(text, name)  # a bad document fails here, before anything is written
        key = hashlib.sha256(f"{name}\0{text}".encode()).hexdigest()[:16]
        with self._lock:
            lock = self._locks.setdefault(key, threading.Lock())
        with lock:  # two users opening the same document build its index once
            with self._lock:
                if key in self._open:
                    self._open.move_to_end(key)
                    return key, self._open[key]
            folder = self.root / key
            document = folder / "document" / name
            if not document.exists():
                document.parent.mkdir(parents=True, exist_ok=True)
                staged = document.with_name(f".{name}.part")
                staged.write_text(text, encoding="utf-8")
                staged.replace(document)  # whole or not at all: a crash leaves no half document to index
            pipeline = self._load(folder, progress)
            log.info("opened %s as %s: %d paragraphs", name, key, len(pipeline.index.paragraphs))
            self._keep(key, pipeline)
            return key, pipeline

    def get(self, key: str | None) -> Pipeline:
        """The pipeline of an opened document (reopened from disk if it left memory), or the main one for
        ``None`` or a key that names no opened document."""
        if key is None:
            return self.main
        with self._lock:
            if key in self._open:
                self._open.move_to_end(key)
                return self._open[key]
        folder = self.root / key
        if not re.fullmatch(r"[0-9a-f]{16}", key) or not (folder / "document").is_dir():
            log.warning("no opened document %r; answering from the main corpus", key)
            return self.main
        with self._lock:
            lock = self._locks.setdefault(key, threading.Lock())
        with lock:
            with self._lock:
                if key in self._open:
                    return self._open[key]
            pipeline = self._load(folder, None)
            self._keep(key, pipeline)
            return pipeline

    def _load(self, folder: Path, progress: Callable[[int, str], Progress] | None) -> Pipeline:
        settings = self.main.settings.model_copy(update={"corpus": folder / "document", "index_dir": folder / "index"})
        return load_pipeline(settings, progress, pool=self.main.pool, models=self.main.models)

    def _keep(self, key: str, pipeline: Pipeline) -> None:
        """Keep ``pipeline`` in memory, dropping the least recently used past ``keep`` (not closing its store:
        a user may be answered from it at this moment; it is reopened from disk when asked for again)."""
        with self._lock:
            self._open[key] = pipeline
            self._open.move_to_end(key)
            while len(self._open) > self.keep:
                self._open.popitem(last=False)


def _safe_name(path: Path) -> str:
    """The file's name as the document's name: letters, digits, ``-_.`` (its citations and index name it)."""
    stem = re.sub(r"[^\w-]+", "_", path.stem).strip("_.")[:60] or "document"
    return stem + path.suffix.lower()
