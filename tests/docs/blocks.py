"""Fenced code blocks of the Markdown docs, for the tests that hold the docs to the truth."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

DOCS = Path(__file__).resolve().parents[2] / "docs"
README = DOCS.parent / "README.md"

_FENCE = re.compile(r"^```([\w-]*)[^\n]*\n(.*?)^```[ \t]*$", re.M | re.S)


@dataclass(frozen=True)
class Block:
    path: Path
    line: int  # 1-based line of the opening fence
    lang: str
    text: str

    @property
    def where(self) -> str:
        return f"{self.path.name}:{self.line}"


def blocks(path: Path) -> list[Block]:
    text = path.read_text(encoding="utf-8")
    return [
        Block(path, text.count("\n", 0, m.start()) + 1, m.group(1).lower(), m.group(2))
        for m in _FENCE.finditer(text)
    ]


def doc_blocks(*langs: str) -> list[Block]:
    """Every block of ``docs/*.md`` in one of ``langs``, in file order."""
    return [b for p in sorted(DOCS.glob("*.md")) for b in blocks(p) if b.lang in langs]
