"""Load and validate question sets (JSONL, one row per question).

Row schema: ``{"id", "question", "history"?, "gold_paragraphs", "answerable",
"key_facts", "lang"?}``; see ``eval/datasets/``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from rag.errors import RagError
from rag.records import read_question_rows


class DatasetError(RagError, ValueError):
    """A question set that is not valid: one sentence naming the file and line."""


@dataclass(frozen=True)
class Row:
    id: str
    question: str
    gold: tuple[int, ...]
    answerable: bool
    key_facts: tuple[str, ...] = ()
    history: tuple[dict, ...] = ()
    lang: str = "en"

    @property
    def kind(self) -> str:
        """A coarse category for per-slice reporting."""
        if self.history:
            return "multi-turn"
        if self.lang != "en":
            return self.lang
        return "single-turn"


def load_rows(path: Path) -> list[Row]:
    """The question set's rows, checked: read as ``rag search --dataset`` reads them
    (:func:`rag.records.read_question_rows`), then each must be a valid row of this schema."""
    try:
        raw_rows = read_question_rows(Path(path))
    except RagError as err:
        raise DatasetError(str(err)) from None
    rows: list[Row] = []
    seen: set[str] = set()
    for lineno, raw in raw_rows:
        try:
            row = Row(
                id=str(raw["id"]),
                question=str(raw["question"]),
                gold=tuple(int(n) for n in raw.get("gold_paragraphs", [])),
                answerable=bool(raw.get("answerable", bool(raw.get("gold_paragraphs")))),
                key_facts=tuple(raw.get("key_facts", [])),
                history=tuple(raw.get("history", []) or []),
                lang=str(raw.get("lang", "en")),
            )
        except (KeyError, TypeError, ValueError) as err:
            raise DatasetError(f"{path} line {lineno}: not a valid row ({err}).") from None
        if row.id in seen:
            raise DatasetError(f"{path} line {lineno}: id {row.id!r} appears twice.")
        if row.answerable != bool(row.gold):
            raise DatasetError(f"{path} line {lineno}: answerable rows need gold paragraphs, others none.")
        seen.add(row.id)
        rows.append(row)
    return rows
