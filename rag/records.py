"""Small typed records that cross stage boundaries.

A paragraph keeps the number its document gave it from ingest to the chat
window; nothing downstream re-derives numbers from list order.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from .errors import RagError


@dataclass(frozen=True)
class Paragraph:
    """One numbered paragraph of one document.

    ``label`` is how citations name it: ``"6"`` when the corpus holds one
    document, ``"report:6"`` when it holds several (so a citation always
    says which document it points to).
    """

    doc: str
    number: int
    text: str
    label: str
    section: str | None = None

    @property
    def key(self) -> tuple[str, int]:
        return (self.doc, self.number)


@dataclass(frozen=True)
class Document:
    """A parsed document: its id (file stem), title, header lines and paragraphs."""

    doc: str
    path: str
    title: str
    header: tuple[str, ...]
    paragraphs: tuple[Paragraph, ...]
    sha256: str
    numbering: str = "1."  # how its paragraphs are numbered: "1.", "(1)", "[1]", "§ 1", "¶ 1", "Article 1",
    #                        "Article I", "Section 1", "Item 1", "I.", "第一条", "（一）", "一、", "## 1.", "## 1",
    #                        "1 Scope", or "1.1" (clauses, several to a paragraph; see rag.ingest.NUMBERINGS)


@dataclass(frozen=True)
class Chunk:
    """A retrievable piece of exactly one paragraph (never crosses paragraphs)."""

    id: str
    doc: str
    number: int
    label: str
    section: str | None
    kind: str  # "paragraph" or "window"
    text: str

    def metadata(self) -> dict[str, str | int]:
        meta: dict[str, str | int] = {
            "doc": self.doc,
            "number": self.number,
            "label": self.label,
            "kind": self.kind,
        }
        if self.section:
            meta["section"] = self.section
        return meta


@dataclass
class Hit:
    """A retrieved paragraph with its fused score and per-retriever ranks."""

    paragraph: Paragraph
    score: float
    ranks: dict[str, int] = field(default_factory=dict)  # 1-based rank per retriever
    signals: dict[str, float] = field(default_factory=dict)  # raw score per retriever
    pinned: bool = False  # named by the question: "paragraph 9", "the last paragraph", "the one before it"

    def to_dict(self) -> dict:
        p = self.paragraph
        return {
            "label": p.label,
            "doc": p.doc,
            "number": p.number,
            "section": p.section,
            "score": round(self.score, 6),
            "ranks": self.ranks,
            "signals": {k: round(v, 6) for k, v in self.signals.items()},
            "pinned": self.pinned,
            "text": p.text,
        }


@dataclass
class SearchResult:
    """Ranked hits for one query, plus paragraph references the document lacks."""

    query: str
    hits: list[Hit]
    missing_refs: list[str] = field(default_factory=list)
    timings_ms: dict[str, float] = field(default_factory=dict)
    translation: str | None = None  # the English query the retrievers ranked by, when the query was translated
    expansion: str | None = None  # the model's sentence also ranked by, when the query was expanded

    def to_dict(self) -> dict:
        return {
            "query": self.query,
            "translation": self.translation,
            "expansion": self.expansion,
            "hits": [h.to_dict() for h in self.hits],
            "missing_refs": self.missing_refs,
            "timings_ms": self.timings_ms,
        }


def read_question_rows(path: Path) -> list[tuple[int, dict]]:
    """The rows of a JSONL question file (``rag search --dataset``, the eval sets), each with its line
    number: a JSON object with at least ``id`` and ``question``; blank lines are skipped. A missing file,
    a line that is not JSON or a row without those is one :class:`RagError` sentence naming the line."""
    path = Path(path)
    if not path.is_file():
        raise RagError(f"{path}: no such file.")
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as err:
        raise RagError(f"{path}: not UTF-8 text (invalid byte at offset {err.start}); save it as UTF-8.") from None
    rows = []
    for lineno, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as err:
            raise RagError(f"{path} line {lineno}: not valid JSON ({err.msg}).") from None
        if not isinstance(row, dict) or "id" not in row or "question" not in row:
            raise RagError(f"{path} line {lineno}: a row needs 'id' and 'question'.")
        if not isinstance(row["question"], str) or not row["question"].strip():
            raise RagError(f"{path} line {lineno}: the question must be text.")
        rows.append((lineno, row))
    return rows
