"""Stage 4: the index, a versioned artifact.

Layout of ``settings.index_dir``::

    CURRENT                 the committed generation id (replaced atomically)
    gen-<id>/manifest.json  schema version, embedders, chunking, corpus hash
    gen-<id>/paragraphs.json  the paragraphs the vectors were built from
    gen-<id>/bm25/          the saved BM25 index
    chroma/                 embedded Chroma (unless RAG_CHROMA_URL is set)

A generation's id is the hash of everything that built it, so a changed
corpus or setting means a new generation; vectors of unchanged chunks are
copied from the previous generation instead of re-embedded. ``CURRENT`` is
written last: a build killed halfway leaves the previous generation serving.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
import time
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from . import store
from .chunk import CHUNKER_VERSION, chunk_paragraphs, indexed_text
from .embed import Embedder, model_id
from .errors import IndexStateError
from .ingest import PARSER_VERSION, corpus_sha256
from .lexical import LEXICAL_VERSION, Bm25
from .records import Chunk, Document, Paragraph
from .settings import EMBEDDERS, Settings

log = logging.getLogger(__name__)

SCHEMA_VERSION = 1
Progress = Callable[[int], None]


@dataclass
class BuildReport:
    status: str  # "built", "updated" or "unchanged"
    generation: str
    documents: int
    paragraphs: int
    chunks: int
    embedded: int  # vectors computed now, one per distinct new text (summed over embedders)
    reused: int  # chunk vectors copied from the previous generation
    seconds: float

    def summary(self) -> str:
        return (
            f"Index {self.status}: {self.documents} document(s), {self.paragraphs} paragraphs, "
            f"{self.chunks} chunks; {self.embedded} vectors embedded, {self.reused} reused "
            f"in {self.seconds:.1f} s (generation {self.generation})."
        )


def fingerprint(settings: Settings, documents: list[Document] | None = None) -> dict:
    """Everything that determines the index's content; its hash names the generation.

    Without ``documents`` only the settings' part is returned (no corpus hash).
    """
    fp = {
        "schema_version": SCHEMA_VERSION,
        "embedders": {name: model_id(name, settings.e5_engine) for name in settings.embedders},
        "parser_version": PARSER_VERSION,
        "chunking": {"version": CHUNKER_VERSION, "window_sentences": settings.window_sentences,
                     "window_stride": settings.window_stride, "section_titles": settings.section_titles},
        "bm25": settings.use_bm25,
        "lexical_version": LEXICAL_VERSION,
        "store": settings.chroma_url or "local",
    }
    if documents is not None:
        fp["corpus_sha256"] = corpus_sha256(documents)
    return fp


def generation_id(fp: dict) -> str:
    return hashlib.sha256(json.dumps(fp, sort_keys=True).encode()).hexdigest()[:12]


def current_generation(index_dir: Path) -> str | None:
    try:
        return (Path(index_dir) / "CURRENT").read_text().strip() or None
    except (FileNotFoundError, NotADirectoryError):
        return None


def collection_name(settings: Settings, generation: str, embedder: str) -> str:
    return f"{namespace(settings)}-{generation}-{embedder}"


def namespace(settings: Settings) -> str:
    """The prefix of this index's Chroma collections. An embedded store is the index folder's own; a
    Chroma server may hold the indexes of many folders (the app's, an eval run's, another checkout's),
    each of which clears out its old generations, so there the prefix also holds a hash of the folder's
    path: a build drops only its own collections, and two folders of one corpus never share one."""
    if not settings.chroma_url:
        return settings.collection_prefix
    digest = hashlib.sha256(str(Path(settings.index_dir).resolve()).encode()).hexdigest()[:8]
    return f"{settings.collection_prefix}-{digest}"


class Index:
    """A committed generation, opened for reading."""

    def __init__(self, generation: str, manifest: dict, paragraphs: list[Paragraph],
                 documents: list[dict], bm25: Bm25 | None, collections: dict[str, store.VectorCollection]) -> None:
        self.generation = generation
        self.manifest = manifest
        self.paragraphs = paragraphs
        self.documents = documents
        self.bm25 = bm25
        self.collections = collections

    @classmethod
    def open(cls, settings: Settings, client) -> Index:
        index_dir = Path(settings.index_dir)
        gen = current_generation(index_dir)
        if gen is None:
            raise IndexStateError(f"No index at {index_dir}; run `python -m rag index` to build it.")
        folder = index_dir / f"gen-{gen}"
        try:
            manifest = json.loads((folder / "manifest.json").read_text())
            snapshot = json.loads((folder / "paragraphs.json").read_text())
            paragraphs = [Paragraph(**p) for p in snapshot["paragraphs"]]
            bm25 = Bm25.load(folder / "bm25", len(paragraphs)) if manifest["fingerprint"]["bm25"] else None
            collections = {
                name: store.VectorCollection.open(client, collection_name(settings, gen, name))
                for name in manifest["fingerprint"]["embedders"]
            }
            counts = {name: col.count() for name, col in collections.items()}
            expected, schema = manifest["chunks"], manifest["fingerprint"]["schema_version"]
        except Exception as err:
            raise IndexStateError(
                f"The index at {index_dir} is damaged ({type(err).__name__}: {err}); "
                "run `python -m rag index` to rebuild it."
            ) from None
        for name, count in counts.items():
            if count != expected:
                raise IndexStateError(
                    f"The index at {index_dir} is incomplete ({name} holds {count} of "
                    f"{expected} chunks); run `python -m rag index` to rebuild it."
                )
        if schema != SCHEMA_VERSION:
            raise IndexStateError(
                f"The index at {index_dir} has schema {schema}, this version needs {SCHEMA_VERSION}; "
                "run `python -m rag index` to rebuild it."
            )
        return cls(gen, manifest, paragraphs, snapshot["documents"], bm25, collections)

    def stale_reason(self, settings: Settings, documents: list[Document] | None) -> str | None:
        """Why this index does not match the settings and corpus, or None if it does."""
        have = self.manifest["fingerprint"]
        want = fingerprint(settings, documents)
        for key in want:
            if have.get(key) != want[key]:
                return "the corpus changed" if key == "corpus_sha256" else f"the {key} setting changed"
        return None


def build_index(
    settings: Settings,
    documents: list[Document],
    embedders: dict[str, Embedder] | Callable[[], dict[str, Embedder]],
    client,
    progress: Callable[[int, str], Progress] | None = None,
) -> BuildReport:
    """Build or update the index for ``documents``; a no-op when nothing changed.

    ``embedders`` may be a callable so that an unchanged index never loads a model.
    ``progress(total, label)`` returns a callback advanced by the number of texts embedded.
    """
    started = time.perf_counter()
    index_dir = Path(settings.index_dir)
    index_dir.mkdir(parents=True, exist_ok=True)
    fp = fingerprint(settings, documents)
    gen = generation_id(fp)
    paragraphs = [p for d in documents for p in d.paragraphs]
    previous = current_generation(index_dir)

    if previous == gen:
        try:
            idx = Index.open(settings, client)
            chunks = idx.manifest["chunks"]
            return BuildReport("unchanged", gen, len(documents), len(paragraphs), chunks, 0,
                               chunks * len(idx.collections), time.perf_counter() - started)
        except IndexStateError as err:
            log.warning("%s Rebuilding.", err)

    if callable(embedders):
        embedders = embedders()
    chunks = chunks_for(settings, paragraphs)
    texts = index_texts(settings, chunks)
    folder = index_dir / f"gen-{gen}"
    if folder.exists():  # a half-built generation from an interrupted run
        shutil.rmtree(folder)
    folder.mkdir(parents=True)

    embedded = reused = 0
    batch = client.get_max_batch_size() if hasattr(client, "get_max_batch_size") else 1000
    for name in settings.embedders:
        embedder = embedders[name]
        known = _reusable_vectors(settings, client, previous, name, fp)
        missing = embedding_order(t for t in texts if t not in known)
        tick = progress(len(missing), f"embedding ({name})") if progress else None
        fresh = embed_texts(embedder, missing, settings.embed_batch_size, tick)
        known.update(fresh)
        embedded += len(fresh)  # texts the model embedded now: chunks of one text share its vector
        reused += sum(t not in fresh for t in texts)
        vectors = np.stack([known[t] for t in texts]) if texts else np.zeros((0, 1), np.float32)
        col = store.VectorCollection.create(client, collection_name(settings, gen, name))
        col.add([c.id for c in chunks], vectors, texts, [c.metadata() for c in chunks], batch)

    if settings.use_bm25:
        Bm25.build(index_texts(settings, paragraphs)).save(folder / "bm25")
    _write_json(folder / "paragraphs.json", {
        "documents": [{"doc": d.doc, "title": d.title, "path": d.path, "sha256": d.sha256,
                       "header": list(d.header), "paragraphs": len(d.paragraphs), "numbering": d.numbering}
                      for d in documents],
        "paragraphs": [asdict(p) for p in paragraphs],
    })
    _write_json(folder / "manifest.json", {
        "fingerprint": fp, "generation": gen, "chunks": len(chunks), "paragraphs": len(paragraphs),
        "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    })
    _commit(index_dir, gen)  # the one atomic step: from here on, readers see the new generation
    _collect_garbage(settings, client, keep={gen, previous} - {None})
    status = "built" if previous is None else "updated"
    return BuildReport(status, gen, len(documents), len(paragraphs), len(chunks), embedded, reused,
                       time.perf_counter() - started)


def _reusable_vectors(settings: Settings, client, previous: str | None, name: str, fp: dict) -> dict[str, np.ndarray]:
    """Vectors of the previous generation, if it used the same model and store."""
    if previous is None:
        return {}
    try:
        old = json.loads((Path(settings.index_dir) / f"gen-{previous}" / "manifest.json").read_text())
        same = old["fingerprint"]["embedders"].get(name) == fp["embedders"][name] and \
            old["fingerprint"]["store"] == fp["store"]
        if not same:
            return {}
        return store.VectorCollection.open(client, collection_name(settings, previous, name)).vectors_by_text()
    except Exception as err:  # an unreadable old generation only costs re-embedding
        log.info("not reusing vectors of generation %s: %s", previous, err)
        return {}


def chunks_for(settings: Settings, paragraphs: list[Paragraph]) -> list[Chunk]:
    """The chunks the settings cut ``paragraphs`` into (what the index embeds)."""
    return chunk_paragraphs(paragraphs, settings.window_sentences, settings.window_stride)


def index_texts(settings: Settings, pieces: list[Chunk] | list[Paragraph]) -> list[str]:
    """The texts the retrievers index for chunks (or paragraphs): with their section heading in front
    where the settings ask for it (see ``rag.chunk.indexed_text``)."""
    if not settings.section_titles:
        return [p.text for p in pieces]
    return [indexed_text(p.text, p.section) for p in pieces]


def embedding_order(texts: Iterable[str]) -> list[str]:
    """Distinct texts, shortest first: a batch pads to its longest text, so mixing paragraphs and
    windows wastes work."""
    return sorted(set(texts), key=lambda t: (len(t), t))


def embed_texts(embedder: Embedder, texts: list[str], batch: int, tick: Progress | None) -> dict[str, np.ndarray]:
    out: dict[str, np.ndarray] = {}
    for start in range(0, len(texts), batch):
        part = texts[start : start + batch]
        for text, vector in zip(part, embedder.embed_documents(part)):
            out[text] = vector
        if tick:
            tick(len(part))
    return out


def _write_json(path: Path, data: dict) -> None:
    tmp = path.with_suffix(".tmp")
    with open(tmp, "w", encoding="utf-8") as f:
        json.dump(data, f, ensure_ascii=False, indent=1)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


def _commit(index_dir: Path, gen: str) -> None:
    tmp = index_dir / "CURRENT.tmp"
    with open(tmp, "w") as f:
        f.write(gen + "\n")
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, index_dir / "CURRENT")


def _collect_garbage(settings: Settings, client, keep: set[str]) -> None:
    """Drop generations other than the new one and the one it replaced."""
    index_dir = Path(settings.index_dir)
    for folder in index_dir.glob("gen-*"):
        if folder.name[4:] not in keep:
            shutil.rmtree(folder, ignore_errors=True)
    names = {collection_name(settings, g, e) for g in keep for e in EMBEDDERS}
    store.drop_collections(client, namespace(settings), names)
