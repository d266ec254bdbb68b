"""Find explicit paragraph references in a question.

>>> paragraph_refs("What do paragraphs 3-5 and para. 9 say?")
[3, 4, 5, 9]
>>> paragraph_refs("第十二段讲了什么？ 还有¶2")
[12, 2]
>>> paragraph_refs("How many paragraphs are there?")
[]
"""

from __future__ import annotations

import re

_MAX_RANGE = 50
_NUM = r"\d{1,4}"
_EN = re.compile(
    rf"(?:\bparagraphs?|\bparas?\b\.?|¶|§)\s*(?:no\.?\s*|number\s*|#\s*)?"
    rf"({_NUM}(?:\s*(?:-|–|—|to|through|and|or|,|&)\s*{_NUM})*)",
    re.IGNORECASE,
)
_ZH_DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4,
              "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
_ZH = re.compile(r"第\s*([0-9零〇一二两三四五六七八九十百]+)\s*(?:段|条|款|节|自然段)")
_ZH_PLAIN = re.compile(r"(?:段落|段)\s*(\d{1,4})")


def paragraph_refs(question: str) -> list[int]:
    """Paragraph numbers the question names, in order of mention, without repeats."""
    found: list[tuple[int, int]] = []  # (position, number)
    for m in _EN.finditer(question):
        found.extend((m.start(), n) for n in _expand(m.group(1)))
    for m in _ZH.finditer(question):
        n = _zh_number(m.group(1))
        if n is not None:
            found.append((m.start(), n))
    for m in _ZH_PLAIN.finditer(question):
        found.append((m.start(), int(m.group(1))))
    seen: list[int] = []
    for _, n in sorted(found, key=lambda x: x[0]):
        if n not in seen:
            seen.append(n)
    return seen


def _expand(span: str) -> list[int]:
    numbers: list[int] = []
    tokens = re.findall(rf"{_NUM}|-|–|—|\bto\b|\bthrough\b", span, re.IGNORECASE)
    i = 0
    while i < len(tokens):
        tok = tokens[i]
        if tok.isdigit():
            if i + 2 < len(tokens) and not tokens[i + 1].isdigit() and tokens[i + 2].isdigit():
                a, b = int(tok), int(tokens[i + 2])
                if a <= b and b - a <= _MAX_RANGE:
                    numbers.extend(range(a, b + 1))
                else:
                    numbers.extend([a, b])
                i += 3
                continue
            numbers.append(int(tok))
        i += 1
    return numbers


def _zh_number(text: str) -> int | None:
    """Arabic or Chinese numerals up to 999: '12', '十二', '二十', '一百零五'."""
    if text.isdigit():
        return int(text)
    total, current = 0, 0
    for ch in text:
        if ch in _ZH_DIGITS:
            current = _ZH_DIGITS[ch]
        elif ch == "十":
            total += (current or 1) * 10
            current = 0
        elif ch == "百":
            total += (current or 1) * 100
            current = 0
        else:
            return None
    total += current
    return total or None
