"""The common tutorial RAG retrieval, measured as a baseline.

A 1000/200 character splitter over the raw file, all-MiniLM-L6-v2, LangChain's
Chroma vector store, top-k chunks. Chunks lose paragraph numbers, so for
scoring each chunk is mapped back to the paragraph holding its midpoint.
"""

from __future__ import annotations

import re
import uuid
from pathlib import Path

from rag.embed import Embedder
from rag.ingest import load_corpus, read_text


class LangChainEmbeddings:
    """Adapts a project embedder to LangChain's ``Embeddings`` interface."""

    def __init__(self, embedder: Embedder) -> None:
        self._embedder = embedder

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return self._embedder.embed_documents(texts).tolist()

    def embed_query(self, text: str) -> list[float]:
        return self._embedder.embed_query(text).tolist()


class TutorialRetriever:
    def __init__(self, corpus: Path, embedder: Embedder, chunk_size: int = 1000, overlap: int = 200) -> None:
        import chromadb
        from chromadb.config import Settings as ChromaSettings
        from langchain_chroma import Chroma
        from langchain_core.embeddings import Embeddings
        from langchain_text_splitters import RecursiveCharacterTextSplitter

        text = read_text(Path(corpus))
        doc = load_corpus(Path(corpus))[0]
        # paragraph spans in the raw text, to map chunks back for scoring only
        self._spans: list[tuple[int, int]] = []
        pos = 0
        for p in doc.paragraphs:
            m = re.compile(rf"^\s*(?:\*\*)?{p.number}\s*[.)．]", re.MULTILINE).search(text, pos)
            pos = m.start() if m else pos
            self._spans.append((pos, p.number))
        splitter = RecursiveCharacterTextSplitter(chunk_size=chunk_size, chunk_overlap=overlap, add_start_index=True)
        docs = splitter.create_documents([text])
        Embeddings.register(LangChainEmbeddings)
        client = chromadb.EphemeralClient(settings=ChromaSettings(anonymized_telemetry=False))
        self._store = Chroma(collection_name=f"tutorial-{uuid.uuid4().hex[:8]}", client=client,
                             embedding_function=LangChainEmbeddings(embedder))
        self._store.add_documents(docs)
        self.chunks = len(docs)

    def ranked(self, question: str, k: int = 10) -> list[int]:
        out: list[int] = []
        for d in self._store.similarity_search(question, k=k):
            mid = d.metadata["start_index"] + len(d.page_content) // 2
            number = self._paragraph_at(mid)
            if number is not None and number not in out:
                out.append(number)
        return out

    def _paragraph_at(self, offset: int) -> int | None:
        found = None
        for start, number in self._spans:
            if start <= offset:
                found = number
        return found
