"""Assemble a canonical text and its passages from blocks, whatever the reader."""

from __future__ import annotations

from dataclasses import dataclass, field

from .models import Document, FootnoteMark, Passage

SEPARATOR = "\n\n"


@dataclass
class Block:
    """A paragraph-like piece of text a reader produced, before offsets are known."""

    text: str
    kind: str = "paragraph"
    level: int = 0
    page: int | None = None
    #: (offset inside ``text``, footnote number) for every footnote mark removed from it
    marks: list[tuple[int, str]] = field(default_factory=list)
    #: the PDF lines the block was made of (PDF reader only; never part of the document)
    lines: list = field(default_factory=list, repr=False, compare=False)
    #: for ``reference`` blocks (a reference-list entry): the works it cites, parsed
    references: list = field(default_factory=list)


class DocumentBuilder:
    """Collects blocks and returns a :class:`Document` with consistent offsets."""

    def __init__(self) -> None:
        self.blocks: list[Block] = []

    def add(self, block: Block) -> None:
        """Append a block; empty blocks are dropped."""
        if block.text.strip():
            self.blocks.append(block)

    def build(self, **document_fields) -> Document:
        """Join the blocks with blank lines and compute passages and marks."""
        parts: list[str] = []
        passages: list[Passage] = []
        marks: list[FootnoteMark] = []
        pos = 0
        for block in self.blocks:
            raw = block.text
            lead = len(raw) - len(raw.lstrip())
            text = raw.strip()
            if parts:
                parts.append(SEPARATOR)
                pos += len(SEPARATOR)
            ordinal = len(passages)
            cited: list[str] = []
            for offset, number in block.marks:
                local = min(max(offset - lead, 0), len(text))
                marks.append(FootnoteMark(number=number, offset=pos + local, passage=ordinal))
                if number not in cited:
                    cited.append(number)
            passages.append(
                Passage(
                    ordinal=ordinal,
                    start=pos,
                    end=pos + len(text),
                    page=block.page,
                    kind=block.kind,
                    level=block.level,
                    footnotes=cited,
                    references=list(block.references),
                )
            )
            parts.append(text)
            pos += len(text)
        return Document(text="".join(parts), passages=passages, marks=marks, **document_fields)
