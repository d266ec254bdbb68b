"""Synthetic documents for the scale benchmark: deterministic from a seed, realistic lengths.

Sentences are drawn from the words of the project's two real documents, with
sentence and paragraph lengths drawn around theirs (2-7 sentences of 10-40
words, so ~150-1,500 characters a paragraph), section headings every few dozen
paragraphs, and the numbered-paragraph layout the parser reads. The text means
nothing; its shape is what costs time.

>>> a = synthetic_document(50, seed=7)
>>> a == synthetic_document(50, seed=7), a == synthetic_document(50, seed=8)
(True, False)
>>> from rag.ingest import parse_text
>>> [p.number for p in parse_text(a, "synthetic.txt").paragraphs][-3:]
[48, 49, 50]
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
SOURCES = [ROOT / "corpus" / "beijing_initiative_2017.txt", ROOT / "eval" / "corpora" / "city_water_charter.md"]
_ROMAN = ["I", "II", "III", "IV", "V", "VI", "VII", "VIII", "IX", "X"]


def _vocabulary() -> list[str]:
    words: list[str] = []
    for path in SOURCES:
        words += re.findall(r"[A-Za-z][a-z]{2,}", path.read_text(encoding="utf-8"))
    return [w.lower() for w in words]


def synthetic_document(paragraphs: int, seed: int = 0, title: str = "Synthetic Archive") -> str:
    """A document of ``paragraphs`` numbered paragraphs (1..N) with a header and sections."""
    rng = np.random.default_rng(seed)
    vocab = np.array(_vocabulary())
    lines = [title, "1 January 2026", ""]
    section = 0
    for number in range(1, paragraphs + 1):
        if number % 40 == 1:
            lines += [f"{_ROMAN[section % len(_ROMAN)]}. Section {section + 1}", ""]
            section += 1
        sentences = []
        for _ in range(int(rng.integers(2, 8))):
            words = list(vocab[rng.integers(0, len(vocab), int(rng.integers(10, 41)))])
            if rng.random() < 0.2:
                words.insert(int(rng.integers(1, len(words))), str(int(rng.integers(2, 2030))))
            sentences.append(" ".join(words).capitalize() + ".")
        lines += [f"{number}. " + " ".join(sentences), ""]
    return "\n".join(lines)


def write_corpus(folder: Path, paragraphs: int, seed: int = 0) -> Path:
    """Write the synthetic document into ``folder`` (created) and return the file."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"synthetic_{paragraphs}_{seed}.txt"
    path.write_text(synthetic_document(paragraphs, seed), encoding="utf-8")
    return path
