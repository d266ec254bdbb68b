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
        problem = _problem(raw)
        if problem:
            raise DatasetError(f"{path} line {lineno}: {problem}.")
        row = Row(
            id=str(raw["id"]),
            question=raw["question"],
            gold=tuple(raw.get("gold_paragraphs", [])),
            answerable=raw.get("answerable", bool(raw.get("gold_paragraphs"))),
            key_facts=tuple(raw.get("key_facts", [])),
            history=tuple(raw.get("history", []) or []),
            lang=str(raw.get("lang", "en")),
        )
        if row.id in seen:
            raise DatasetError(f"{path} line {lineno}: id {row.id!r} appears twice.")
        if row.answerable != bool(row.gold):
            raise DatasetError(f"{path} line {lineno}: answerable rows need gold paragraphs, others none.")
        seen.add(row.id)
        rows.append(row)
    return rows


def _problem(raw: dict) -> str | None:
    """What is wrong with a row's fields beyond ``id`` and ``question`` (checked as they are read), or None.
    Strict on types: a string "12" of gold paragraphs would be read as paragraphs 1 and 2, "false" as true,
    and a key fact "peace" as five one-letter facts."""
    gold = raw.get("gold_paragraphs", [])
    if not isinstance(gold, list) or not all(isinstance(n, int) and not isinstance(n, bool) for n in gold):
        return "\"gold_paragraphs\" must be a list of paragraph numbers, e.g. [6, 9]"
    if "answerable" in raw and not isinstance(raw["answerable"], bool):
        return "\"answerable\" must be true or false"
    facts = raw.get("key_facts", [])
    if not isinstance(facts, list) or not all(isinstance(f, str) and f.strip("| ") for f in facts):
        return "\"key_facts\" must be a list of non-empty strings, e.g. [\"win-win|win win\"]"
    history = raw.get("history") or []
    if not isinstance(history, list) or not all(isinstance(t, dict) for t in history):
        return "\"history\" must be a list of {\"role\", \"content\"} turns"
    return None
