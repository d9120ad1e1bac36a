"""Sentences with ids, and chunks built from consecutive sentences of one paragraph."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass

from ingest.loaders import PageSpan, page_at
from ingest.markup import Block
from ingest.plain import plain_units
from rag.text.sentences import split_sentences
from rag.types import SECTION_SEPARATOR, Sentence


def record_id(kind: str, source: str, file_sha: str, index: int, *parts: object) -> str:
    """A store id derived from content: the same file, cut the same way, always yields the same ids. ``parts``
    (offsets, section, code, and "item" for a list item's sentence) are part of it, so that a new version of the
    splitter that cuts a file differently makes the next ingest rewrite its records instead of keeping the old
    sentences under the same ids."""
    key = "\0".join(str(part) for part in (kind, source, file_sha, index, *parts))
    return hashlib.sha256(key.encode()).hexdigest()[:32]


def file_sha(text: str) -> str:
    """Content hash of a source's extracted text."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def sentences_of(
    source: str, text: str, sha: str, pages: Sequence[PageSpan] = (), blocks: Sequence[Block] = ()
) -> list[Sentence]:
    """Every sentence of ``text`` with its exact offsets and content-derived id; with PDF ``pages``, the page its
    start is on. With ``blocks`` (Markdown, HTML) sentences come from blocks: headings give none but name the
    section of those below them, a code block is one unit, and a list item's sentences are marked ``item``."""
    return [
        Sentence(
            id=record_id(
                "sentence", source, sha, i, s, e, section, kind == "code", *(["item"] if kind == "item" else [])
            ),
            source=source,
            text=text[s:e],
            start=s,
            end=e,
            index=i,
            page=page_at(pages, s),
            section=section,
            code=kind == "code",
            item=kind == "item",
        )
        for i, (s, e, section, kind) in enumerate(_units(text, blocks))
    ]


def _units(text: str, blocks: Sequence[Block]) -> list[tuple[int, int, str | None, str]]:
    if not blocks:
        return plain_units(text)
    units = []
    for block in blocks:
        section = SECTION_SEPARATOR.join(block.section) or None
        if block.kind == "code":
            units.extend((s, e, section, "code") for s, e in code_parts(text, block.start, block.end))
        elif block.kind != "heading":
            body = text[block.start : block.end]
            units.extend((block.start + s, block.start + e, section, block.kind) for s, e in split_sentences(body))
    return units


CODE_PART = 1000
"""Characters of code one unit holds at most, where blank lines allow: the embedding model reads about 250 word
pieces of a unit, which is some 750 characters of code, and ignores the rest."""

_BLANK_LINES = re.compile(r"\n[ \t]*\n\s*")


def code_parts(text: str, start: int, end: int, most: int = CODE_PART) -> list[tuple[int, int]]:
    """A code block as citable units: whole, or cut at blank lines into runs of paragraphs up to ``most``
    characters when it is longer. A changelog kept as one indented block (libffi's README: 7,300 characters) is
    otherwise one unit whose later entries no search can reach; a paragraph longer than ``most`` stays whole."""
    if end - start <= most:
        return [(start, end)]
    cuts = [start, *(m.start() for m in _BLANK_LINES.finditer(text, start, end)), end]
    paragraphs = [(a, b) for a, b in zip(cuts, cuts[1:]) if text[a:b].strip()]
    parts: list[tuple[int, int]] = []
    for a, b in paragraphs:
        if parts and b - parts[-1][0] <= most:
            parts[-1] = (parts[-1][0], b)
        else:
            parts.append((a, b))
    return [_stripped(text, a, b) for a, b in parts]


def _stripped(text: str, start: int, end: int) -> tuple[int, int]:
    """The span without the blank lines before it and the whitespace after it; its first line keeps its indent."""
    lead = re.match(r"\s*\n", text[start:end])
    start += lead.end() if lead else 0
    return start, start + len(text[start:end].rstrip())


@dataclass(frozen=True)
class Chunk:
    """Consecutive sentences of one paragraph; ``text`` is the exact slice they span."""

    id: str
    source: str
    text: str
    start: int
    end: int
    index: int
    sentence_ids: tuple[str, ...]


def chunks_of(sentences: list[Sentence], text: str, sha: str, max_chars: int = 800) -> list[Chunk]:
    """Group sentences into chunks that never cross a paragraph break and stay under ``max_chars`` if they can."""
    groups: list[list[Sentence]] = []
    for sentence in sentences:
        if groups:
            last = groups[-1]
            gap = text[last[-1].end : sentence.start]
            if "\n" not in gap and sentence.end - last[0].start <= max_chars:
                last.append(sentence)
                continue
        groups.append([sentence])
    return [
        Chunk(
            id=record_id("chunk", g[0].source, sha, i, g[0].start, g[-1].end),
            source=g[0].source,
            text=text[g[0].start : g[-1].end],
            start=g[0].start,
            end=g[-1].end,
            index=i,
            sentence_ids=tuple(s.id for s in g),
        )
        for i, g in enumerate(groups)
    ]
