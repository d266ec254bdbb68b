"""The common tutorial RAG, measured as a baseline: retrieval, and answers.

A 1000/200 character splitter over the raw file, all-MiniLM-L6-v2, LangChain's
Chroma vector store, top-k chunks. Chunks lose paragraph numbers, so for
scoring each chunk is mapped back to the paragraph holding its midpoint.
:class:`TutorialAsker` stuffs the top 4 chunks into LangChain's classic RAG
prompt (``eval/prompts/tutorial_rag.md``) for the same embedded model the
project uses, with one added line asking for ``[n]`` citations (the chunks hold
the document's own "6." numbering, so the model can see them). The ``[n]`` it
writes are taken at face value when the document has that paragraph: no
verification, no quote, refusal left to the model.
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

        doc = load_corpus(Path(corpus))[0]  # a folder: its (first) document, as the tutorial reads one file
        self.document = doc
        text = read_text(Path(doc.path))
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
        batch = client.get_max_batch_size()  # one add of a large corpus exceeds Chroma's limit (5,461 here)
        for start in range(0, len(docs), batch):
            self._store.add_documents(docs[start : start + batch])
        self.chunks = len(docs)

    def ranked(self, question: str, k: int = 10) -> list[int]:
        return self.search(question, k)[1]

    def search(self, question: str, k: int) -> tuple[list, list[int]]:
        """The top ``k`` chunks, and the paragraphs they map to (for scoring only)."""
        docs = self._store.similarity_search(question, k=k)
        out: list[int] = []
        for d in docs:
            mid = d.metadata["start_index"] + len(d.page_content) // 2
            number = self._paragraph_at(mid)
            if number is not None and number not in out:
                out.append(number)
        return docs, out

    def _paragraph_at(self, offset: int) -> int | None:
        found = None
        for start, number in self._spans:
            if start <= offset:
                found = number
        return found


PROMPTS = Path(__file__).resolve().parent / "prompts"
_DONT_KNOW = re.compile(r"\b(don't|do not|doesn't|does not) (know|mention|say|provide|specify)|\bnot (mentioned|provided|"
                        r"specified|stated)\b|no information", re.IGNORECASE)


class TutorialAsker:
    """The tutorial chain as an answerer with the project's ``ask`` shape (for ``eval run --answerer tutorial``)."""

    name = "tutorial"

    def __init__(self, corpus: Path, embedder: Embedder, chat_model, k: int = 4) -> None:
        from langchain_core.output_parsers import StrOutputParser
        from langchain_core.prompts import ChatPromptTemplate

        self.retriever = TutorialRetriever(corpus, embedder)
        self._paragraphs = {p.number: p for p in self.retriever.document.paragraphs}  # to resolve its [n]
        self.k = k
        self.chain = ChatPromptTemplate.from_messages([("human", "{prompt}")]) | chat_model | StrOutputParser()

    def ask(self, question: str, history: list[dict] | None = None):
        import time

        from rag.answer import AnswerResult
        from rag.prompts import render

        started = time.perf_counter()
        docs, ranked = self.retriever.search(question, self.k)
        prompt = render("tutorial_rag", folder=PROMPTS, context="\n\n".join(d.page_content for d in docs),
                        question=question)
        text, first = "", None
        for token in self.chain.stream({"prompt": prompt}):
            if first is None:
                first = time.perf_counter() - started
            text += token
        refused = bool(_DONT_KNOW.search(text)) or not text.strip()
        total = time.perf_counter() - started
        citations = [] if refused else self._citations(text)
        return AnswerResult(question=question, query=question, answer=text.strip(), citations=citations,
                            refused=refused,
                            refusal_reason="model" if refused else None,
                            retrieved=[{"number": n, "label": str(n)} for n in ranked], answerer=self.name,
                            draft=text, timings={"first_token_s": round(first or total, 3), "total_s": round(total, 3)})

    def _citations(self, text: str) -> list:
        """The ``[n]`` the model wrote that name a paragraph of the document, unchecked (status ``unverified``)."""
        from rag.answer import Citation
        from rag.cite import parse_labels

        out = []
        for label in parse_labels(text):
            number = int(label) if label.isdigit() else None
            if number in self._paragraphs:
                p = self._paragraphs[number]
                out.append(Citation(label=label, doc=p.doc, number=number, section=p.section, quote="",
                                    status="unverified"))
        return out
