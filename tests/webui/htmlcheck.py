"""Helpers for the view tests: parse rendered HTML the way the annotation script reads it."""

from __future__ import annotations

import re
from html.parser import HTMLParser

VOID = {"br", "img", "input", "meta", "link", "hr", "wbr", "source"}
INLINE_HANDLER = re.compile(r"<[^>]*\son[a-z]+\s*=", re.IGNORECASE)


class PassageText(HTMLParser):
    """Collects, per element with class "passage", the text not inside data-glossa-skip elements."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[tuple[str, bool, str | None]] = []  # (tag, skip, passage id)
        self.passages: dict[str, dict] = {}

    def handle_starttag(self, tag, attrs):
        if tag in VOID:
            return
        a = dict(attrs)
        skip = "data-glossa-skip" in a
        pid = a.get("id") if "passage" in (a.get("class") or "").split() else None
        if pid:
            self.passages[pid] = {"start": int(a["data-start"]), "end": int(a["data-end"]), "text": []}
        self.stack.append((tag, skip, pid))

    def handle_endtag(self, tag):
        if tag in VOID:
            return
        while self.stack:
            if self.stack.pop()[0] == tag:
                break

    def handle_data(self, data):
        if any(skip for _, skip, _ in self.stack):
            return
        for _, _, pid in reversed(self.stack):
            if pid:
                self.passages[pid]["text"].append(data)
                return


def passage_texts(html: str) -> dict[str, dict]:
    """Map passage id -> {start, end, text} from rendered HTML."""
    parser = PassageText()
    parser.feed(html)
    for p in parser.passages.values():
        p["text"] = "".join(p["text"])
    return parser.passages


class _Handlers(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.found += [f"{tag} {name}" for name, _ in attrs if name.lower().startswith("on")]


def handler_attributes(html: str) -> list[str]:
    """Every inline event handler attribute (onclick=...) of the parsed HTML."""
    parser = _Handlers()
    parser.feed(html)
    return parser.found
