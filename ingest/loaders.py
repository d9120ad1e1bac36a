"""Finding corpus files and reading their text, with a clear reason when a file cannot be used."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

SUFFIXES = (".txt", ".md")


class LoadError(Exception):
    """A file that cannot be ingested; the message says why, for the user."""


@dataclass(frozen=True)
class SourceFile:
    """A file to ingest and the name its citations will carry."""

    name: str
    path: Path


def discover(paths: list[Path]) -> list[SourceFile]:
    """Corpus files under ``paths``: a folder gives its files named relative to it, a file gives its own name."""
    found: dict[str, SourceFile] = {}
    for root in paths:
        if root.is_dir():
            for path in sorted(root.rglob("*")):
                rel = path.relative_to(root)
                if path.is_file() and path.suffix.lower() in SUFFIXES and not _hidden(rel):
                    found.setdefault(rel.as_posix(), SourceFile(rel.as_posix(), path))
        elif root.exists():
            found.setdefault(root.name, SourceFile(root.name, root))
        else:
            raise FileNotFoundError(f"{root}: no such file or folder to ingest")
    return list(found.values())


def _hidden(rel: Path) -> bool:
    return any(part.startswith(".") for part in rel.parts)


def read_text(path: Path) -> str:
    """The file's text, or ``LoadError`` if it is unreadable, of an unsupported type, empty, binary or not UTF-8."""
    if path.suffix.lower() not in SUFFIXES:
        raise LoadError(f"unsupported file type {path.suffix or '(none)'!r}: expected one of {', '.join(SUFFIXES)}")
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise LoadError(f"cannot read the file: {exc.strerror or exc}") from exc
    if b"\x00" in data:
        raise LoadError("binary data, not text")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise LoadError(f"not UTF-8 text (bad byte at offset {exc.start}): save it as UTF-8") from exc
    if not text.strip():
        raise LoadError("the file is empty")
    return text
