"""The vector store seam: an embedded Chroma folder, or a Chroma server.

``RAG_CHROMA_URL`` unset: ``chromadb.PersistentClient`` in the index folder.
Set (e.g. ``http://127.0.0.1:8000``): ``chromadb.HttpClient`` against a
``chroma run`` server. Nothing else in the project knows which.
"""

from __future__ import annotations

import logging
import os
import shutil
from pathlib import Path
from urllib.parse import urlparse

import numpy as np

from .errors import ConfigError, StoreUnavailable

log = logging.getLogger(__name__)


def connect(index_dir: Path, chroma_url: str | None):
    """Return a Chroma client; a server that cannot be reached raises one clear sentence."""
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    chroma_settings = ChromaSettings(anonymized_telemetry=False)
    if not chroma_url:
        path = Path(index_dir) / "chroma"
        path.mkdir(parents=True, exist_ok=True)
        return chromadb.PersistentClient(path=str(path), settings=chroma_settings)
    url = urlparse(chroma_url if "://" in chroma_url else f"http://{chroma_url}")
    if url.scheme not in ("http", "https") or not url.hostname:
        raise ConfigError(f"RAG_CHROMA_URL={chroma_url!r} is not an http(s) address such as http://127.0.0.1:8000.")
    try:
        client = chromadb.HttpClient(
            host=url.hostname,
            port=url.port or (443 if url.scheme == "https" else 8000),
            ssl=url.scheme == "https",
            settings=chroma_settings,
        )
        client.heartbeat()
    except Exception as err:  # chromadb raises several transport-level types
        raise StoreUnavailable(f"The Chroma server at {chroma_url} cannot be reached ({type(err).__name__}).") from None
    return client


class VectorCollection:
    """One Chroma collection of chunk vectors for one embedder."""

    def __init__(self, collection) -> None:
        self._col = collection

    @classmethod
    def create(cls, client, name: str) -> VectorCollection:
        try:
            client.delete_collection(name)  # left over from an interrupted build
        except Exception:
            pass
        return cls(client.create_collection(name, metadata={"hnsw:space": "cosine"}, embedding_function=None))

    @classmethod
    def open(cls, client, name: str) -> VectorCollection:
        return cls(client.get_collection(name, embedding_function=None))

    def count(self) -> int:
        return self._col.count()

    def add(self, ids: list[str], vectors: np.ndarray, texts: list[str], metadatas: list[dict], batch: int) -> None:
        for start in range(0, len(ids), batch):
            end = start + batch
            self._col.add(
                ids=ids[start:end],
                embeddings=vectors[start:end],
                documents=texts[start:end],
                metadatas=metadatas[start:end],
            )

    def vectors_by_text(self, batch: int = 5000) -> dict[str, np.ndarray]:
        """Map each stored text to its vector, to reuse instead of re-embedding."""
        found: dict[str, np.ndarray] = {}
        total = self.count()
        for offset in range(0, total, batch):
            page = self._col.get(include=["embeddings", "documents"], limit=batch, offset=offset)
            for text, vector in zip(page["documents"], page["embeddings"]):
                found[text] = np.asarray(vector, dtype=np.float32)
        return found

    def query(self, vector: np.ndarray, n: int) -> list[tuple[dict, float]]:
        """Nearest chunks as (metadata, cosine similarity), best first."""
        n = min(n, self.count())
        if n <= 0:
            return []
        res = self._col.query(query_embeddings=[vector], n_results=n, include=["metadatas", "distances"])
        return [(m, 1.0 - d) for m, d in zip(res["metadatas"][0], res["distances"][0])]


def drop_collections(client, prefix: str, keep: set[str]) -> None:
    """Delete this project's collections that no generation uses any more."""
    for col in client.list_collections():
        name = getattr(col, "name", col)
        if name.startswith(prefix + "-") and name not in keep:
            try:
                client.delete_collection(name)
            except Exception as err:  # never fail a build over clean-up
                log.warning("could not delete old collection %s: %s", name, err)


def release(client, index_dir: Path | None = None) -> None:
    """Close ``client`` and forget Chroma's cached system for ``index_dir``, so the
    folder can be opened afresh after it was deleted or damaged."""
    try:
        if client is not None:
            client.close()
    except Exception as err:  # a damaged store may fail to close; it is being replaced anyway
        log.debug("closing the Chroma client failed: %s", err)
    if index_dir is None:
        return
    from chromadb.api.shared_system_client import SharedSystemClient  # Chroma keeps one system per folder

    key = str(Path(index_dir) / "chroma")
    system = SharedSystemClient._identifier_to_system.pop(key, None)
    SharedSystemClient._identifier_to_refcount.pop(key, None)
    if system is not None:
        try:
            system.stop()
        except Exception as err:
            log.debug("stopping the Chroma system failed: %s", err)


def quarantine(index_dir: Path) -> Path:
    """Move a damaged index folder aside (``<name>.damaged``, replacing an older one) and return where."""
    index_dir = Path(index_dir)
    aside = index_dir.with_name(index_dir.name + ".damaged")
    if aside.exists():
        shutil.rmtree(aside, ignore_errors=True)
    if index_dir.exists():
        os.replace(index_dir, aside)
    return aside
