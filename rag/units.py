"""Units of measure and of time, by the words that name them: one table for the two checks that read
what a number measures.

- ``support``: a number the claim measures in one unit ("180 km") is not stated by a text that counts
  something else with it ("180 docking stations"), nor by one that measures it in another unit.
- ``refusal``: a question asking for a measure ("What is the top speed?", "How long is it kept?") needs
  a number with a unit in the answer.

Each check leaves out what would mislead it (see :func:`unit_of` and :data:`MEASURE`).
"""

from __future__ import annotations

import re

# canonical unit -> the words that name it, English then Chinese
UNITS: dict[str, str] = {
    "km": "km kilometre kilometres kilometer kilometers 公里 千米",
    "mile": "mile miles mi",
    "mph": "mph",
    "kph": "kph",
    "metre": "metre metres meter meters m 米",
    "cm": "cm centimetre centimetres centimeter centimeters",
    "mm": "mm",
    "foot": "foot feet ft",
    "inch": "inch inches",
    "kg": "kg kilogram kilograms 公斤 千克",
    "gram": "g gram grams",
    "tonne": "tonne tonnes ton tons",
    "litre": "litre litres liter liters l 升",
    "m3": "m3",
    "degree": "degree degrees 度",
    "percent": "% percent pct",
    "kwh": "kwh",
    "second": "sec secs second seconds 秒",
    "minute": "min mins minute minutes 分钟",
    "hour": "h hr hrs hour hours 小时 钟头",
    "day": "day days 天 日",
    "week": "week weeks 周 星期",
    "month": "month months 个月",
    "year": "year years 年",
}
# Words that name a unit only sometimes: "m" and "l" may stand for a million ("£2 m"); a year is a date
# as often as a duration ("in 2025", "2025年"), and so is 日 ("5月13日"). They answer a question that
# asks for a measure ("for 2 years", "2 m deep"), but never make a claim's number a measure.
_NOT_FOR_CLAIMS = {"m", "l", "year", "years", "年", "日"}

_WORD_UNIT = {w: unit for unit, words in UNITS.items() for w in words.split()}


def unit_of(word: str) -> str | None:
    """The unit a word following a number names in a claim, or None ("stations", "m", "年").

    >>> unit_of("Kilometres"), unit_of("公里"), unit_of("stations"), unit_of("m"), unit_of("年")
    ('km', 'km', None, None, None)
    """
    word = word if word[:1] >= "\u4e00" else word.lower()
    return None if word in _NOT_FOR_CLAIMS else _WORD_UNIT.get(word)


def _alternation(words) -> str:
    return "|".join(re.escape(w) for w in sorted(words, key=len, reverse=True))


_LATIN_WORDS = [w for w in _WORD_UNIT if not re.search(r"[\u4e00-\u9fff]", w)]
_CJK_WORDS = [w for w in _WORD_UNIT if re.search(r"[\u4e00-\u9fff]", w)]
# Units written in more than one word, or with a symbol, that a text may state a measure in.
_LATIN_MEASURE = rf"°\s*[CF]?|per\s+cent|cubic\s+met(?:re|er)s?|{_alternation(_LATIN_WORDS)}"
_NUMBER_WORDS = ("one two three four five six seven eight nine ten eleven twelve fifteen twenty thirty forty fifty "
                 "sixty hundred")

# A number with a unit of measure or of time: what answers a question asking for a measure.
MEASURE = re.compile(
    rf"(?:\d[\d,.]*|\b(?:{'|'.join(_NUMBER_WORDS.split())}))\s*(?:(?:-|–|to)\s*[\d,.]+\s*)?"
    rf"(?:{_LATIN_MEASURE})(?![A-Za-z])"
    rf"|[\d一二两三四五六七八九十百千]\s*个?(?:{_alternation(_CJK_WORDS)})",
    re.IGNORECASE,
)
