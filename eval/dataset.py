"""Load and validate question sets (JSONL, one row per question).

Row schema: ``{"id", "question", "history"?, "gold_paragraphs", "answerable",
"key_facts", "lang"?}``; see ``eval/datasets/``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path


class DatasetError(ValueError):
    pass


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
    path = Path(path)
    if not path.is_file():
        raise DatasetError(f"{path}: no such file.")
    rows: list[Row] = []
    seen: set[str] = set()
    for lineno, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            raw = json.loads(line)
            row = Row(
                id=str(raw["id"]),
                question=str(raw["question"]),
                gold=tuple(int(n) for n in raw.get("gold_paragraphs", [])),
                answerable=bool(raw.get("answerable", bool(raw.get("gold_paragraphs")))),
                key_facts=tuple(raw.get("key_facts", [])),
                history=tuple(raw.get("history", []) or []),
                lang=str(raw.get("lang", "en")),
            )
        except (json.JSONDecodeError, KeyError, TypeError, ValueError) as err:
            raise DatasetError(f"{path} line {lineno}: not a valid row ({err}).") from None
        if row.id in seen:
            raise DatasetError(f"{path} line {lineno}: id {row.id!r} appears twice.")
        if row.answerable != bool(row.gold):
            raise DatasetError(f"{path} line {lineno}: answerable rows need gold paragraphs, others none.")
        seen.add(row.id)
        rows.append(row)
    return rows
