"""Prompts are files in ``prompts/``, loaded by name and rendered strictly.

A variable the template uses but the caller does not give is an error, not an
empty string (Jinja2 ``StrictUndefined``). Nothing is fetched over the network.

>>> render("translate_user", text="和平呢？").splitlines()[-1]
'和平呢？'
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

PROMPTS_DIR = Path(__file__).resolve().parent.parent / "prompts"


@lru_cache(maxsize=None)
def _template(name: str, folder: str):
    from jinja2 import Environment, StrictUndefined

    path = Path(folder) / f"{name}.md"
    if not path.is_file():
        raise FileNotFoundError(f"no prompt named {name!r} in {folder}")
    env = Environment(undefined=StrictUndefined, keep_trailing_newline=False, autoescape=False)
    return env.from_string(path.read_text(encoding="utf-8"))


def render(name: str, folder: Path = PROMPTS_DIR, **variables: object) -> str:
    """Render ``prompts/<name>.md`` with ``variables`` (missing ones raise)."""
    return _template(name, str(folder)).render(**variables).strip()


def names(folder: Path = PROMPTS_DIR) -> list[str]:
    return sorted(p.stem for p in Path(folder).glob("*.md"))
