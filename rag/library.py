"""Documents a user opens in the chat, beside the configured corpus.

Each opened document gets an index of its own, built once under
``<index_dir>/.opened/<hash of its name and text>/`` and kept, so opening it
again (or after a restart) only reopens it; the embedders and the chat model are
the main pipeline's, shared, not loaded again. The document is read and parsed
before anything is written: a file that is not a document with numbered
paragraphs, or too large to index on the spot, is one sentence naming the
problem, and every index, the main one included, stays as it was. The folder is
hidden, so a corpus folder that holds the index never reads the copies as its
own documents.

    library = Library(pipeline)
    key, opened = library.open(Path("charter.md"))   # CorpusError on a bad file
    library.get(key).asker().ask("What does Article 2 say?")
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
import shutil
import tempfile
import threading
from collections import OrderedDict
from collections.abc import Callable
from pathlib import Path

from . import store
from .errors import CorpusError, RagError
from .index import Progress, namespace
from .ingest import SUFFIXES, parse_text, read_text
from .pipeline import Pipeline, load_pipeline

log = logging.getLogger(__name__)

OPENED = ".opened"  # inside the main index folder: the opened documents and their indexes
_KEY = re.compile(r"[0-9a-f]{16}")


class Library:
    """The main pipeline and the pipelines of the documents opened beside it: the last ``keep`` in memory
    (an older one is reopened from disk when asked for again), the last ``keep_on_disk`` on disk (an older
    one is deleted, and must be opened again). Safe to share between the app's users."""

    def __init__(self, main: Pipeline, keep: int = 8, keep_on_disk: int = 64, max_bytes: int | None = None,
                 max_paragraphs: int | None = None) -> None:
        self.main = main
        self.keep = keep
        self.keep_on_disk = keep_on_disk
        self.max_bytes = max_bytes if max_bytes is not None else main.settings.max_open_bytes
        self.max_paragraphs = max_paragraphs if max_paragraphs is not None else main.settings.max_open_paragraphs
        self.root = Path(main.settings.index_dir) / OPENED
        self._open: OrderedDict[str, Pipeline] = OrderedDict()
        self._locks: dict[str, threading.Lock] = {}
        self._lock = threading.Lock()

    def open(self, path: Path | str, progress: Callable[[int, str], Progress] | None = None
             ) -> tuple[str, Pipeline]:
        """Index the document at ``path`` (a .txt or .md file; its name is the document's name) unless it
        was opened before, and return its key and pipeline. Raises :class:`CorpusError`, one sentence that
        names the file (not where the server keeps it), for a file that is too large, is not UTF-8 text, has
        no numbered paragraphs or more than ``max_paragraphs``, or cannot be indexed."""
        path = Path(path)
        if path.suffix.lower() not in SUFFIXES:
            raise CorpusError(f"{path.name}: unsupported file type {path.suffix or '(none)'}; open a .txt or "
                              ".md document.")
        if path.is_file() and path.stat().st_size > self.max_bytes:
            raise CorpusError(f"{path.name}: the file is {path.stat().st_size:,} bytes; documents of up to "
                              f"{self.max_bytes:,} bytes can be opened here.")
        name = _safe_name(path)
        try:
            text = read_text(path)
            paragraphs = parse_text(text, name).paragraphs  # a bad document fails here, before anything is written
        except CorpusError as err:  # "/tmp/gradio/<hash>/My notes.txt: ..." -> "My notes.txt: ..."
            raise CorpusError(str(err).replace(str(path), path.name, 1).replace(name, path.name, 1)) from None
        if len(paragraphs) > self.max_paragraphs:
            raise CorpusError(f"{path.name}: {len(paragraphs):,} numbered paragraphs; documents of up to "
                              f"{self.max_paragraphs:,} can be opened here.")
        key = hashlib.sha256(f"{name}\0{text}".encode()).hexdigest()[:16]
        with self._lock:
            lock = self._locks.setdefault(key, threading.Lock())
        with lock:  # two users opening the same document build its index once
            folder = self.root / key
            with self._lock:
                if key in self._open:
                    self._open.move_to_end(key)
                    _touch(folder)
                    return key, self._open[key]
            created = not folder.exists()
            try:
                _write_once(folder / "document" / name, text)
                pipeline = self._load(folder, progress)
            except (RagError, OSError) as err:  # a store that fails, a full disk
                log.warning("opening %s as %s failed: %s", name, key, err)
                if created:  # nothing half built is left to reopen (one built before stays for its sessions)
                    self._discard(folder)
                raise CorpusError(f"{path.name} could not be indexed; the server's log says why.") from None
            log.info("opened %s as %s: %d paragraphs", name, key, len(paragraphs))
            self._keep(key, pipeline)
        self._prune()
        return key, pipeline

    def get(self, key: str | None) -> Pipeline:
        """The pipeline of an opened document (reopened from disk if it left memory), or the main one for
        ``None``. Raises :class:`CorpusError` for a key that names no opened document (deleted since)."""
        if key is None:
            return self.main
        with self._lock:
            if key in self._open:
                self._open.move_to_end(key)
                return self._open[key]
        folder = self.root / key
        if not _KEY.fullmatch(key) or not (folder / "document").is_dir():
            raise CorpusError("The document opened in this chat is no longer on the server; open it again.")
        with self._lock:
            lock = self._locks.setdefault(key, threading.Lock())
        with lock:
            with self._lock:
                if key in self._open:
                    return self._open[key]
            pipeline = self._load(folder, None)
            self._keep(key, pipeline)
            return pipeline

    def _settings(self, folder: Path):
        return self.main.settings.model_copy(update={"corpus": folder / "document", "index_dir": folder / "index"})

    def _load(self, folder: Path, progress: Callable[[int, str], Progress] | None) -> Pipeline:
        _touch(folder)
        return load_pipeline(self._settings(folder), progress, pool=self.main.pool, models=self.main.models)

    def _discard(self, folder: Path) -> None:
        """Delete an opened document: its collections on a Chroma server, or the embedded store Chroma keeps
        open for its folder (else reopening it later finds the old one), then the folder."""
        settings = self._settings(folder)
        if settings.chroma_url:
            try:
                store.drop_collections(store.connect(settings.index_dir, settings.chroma_url), namespace(settings),
                                       keep=set())
            except RagError as err:  # the server is away: its collections stay, the folder goes
                log.warning("could not drop the collections of %s: %s", folder.name, err)
        else:
            store.release(None, settings.index_dir)
        shutil.rmtree(folder, ignore_errors=True)

    def _keep(self, key: str, pipeline: Pipeline) -> None:
        """Keep ``pipeline`` in memory, dropping the least recently used past ``keep`` (not closing its store:
        a user may be answered from it at this moment; it is reopened from disk when asked for again)."""
        with self._lock:
            self._open[key] = pipeline
            self._open.move_to_end(key)
            while len(self._open) > self.keep:
                self._open.popitem(last=False)

    def _prune(self) -> None:
        """Delete the least recently opened documents past ``keep_on_disk``, except those in memory (a session
        asking one deleted is told to open it again)."""
        with self._lock:
            folders = sorted((f for f in self.root.iterdir() if _KEY.fullmatch(f.name) and f.name not in self._open),
                             key=lambda f: f.stat().st_mtime, reverse=True)
            kept = self.keep_on_disk - len(self._open)
        for folder in folders[max(kept, 0):]:
            log.info("deleting the least recently opened document %s", folder.name)
            self._discard(folder)


def _touch(folder: Path) -> None:
    """Mark an opened document as opened now (see ``Library._prune``); a folder deleted meanwhile is no error."""
    try:
        os.utime(folder)
    except OSError:
        pass


def _write_once(document: Path, text: str) -> None:
    """Write the document's copy whole or not at all (a crash leaves no half document to index), under a
    name of its own: two app processes may open the same document at once."""
    if document.exists():
        return
    document.parent.mkdir(parents=True, exist_ok=True)
    fd, staged = tempfile.mkstemp(dir=document.parent, prefix=".", suffix=".part")
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        out.write(text)
    os.replace(staged, document)


def _safe_name(path: Path) -> str:
    """The file's name as the document's name: letters, digits, ``-_.`` (its citations and index name it)."""
    stem = re.sub(r"[^\w-]+", "_", path.stem).strip("_.")[:60] or "document"
    return stem + path.suffix.lower()
