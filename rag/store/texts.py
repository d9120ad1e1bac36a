"""Kept texts: the extracted text of every ingested file version, under its content hash, as citation offsets
refer to it. Ingest writes them; the source view and the answer pipeline read them."""

from __future__ import annotations

import os
from pathlib import Path


def keep_text(texts_dir: Path, sha: str, text: str) -> None:
    """Save the extracted text that offsets refer to, atomically, under its content hash."""
    texts_dir.mkdir(parents=True, exist_ok=True)
    target = texts_dir / f"{sha}.txt"
    if target.exists():
        return
    tmp = target.with_suffix(f".tmp{os.getpid()}")
    tmp.write_text(text, encoding="utf-8", newline="")
    os.replace(tmp, target)


def prune_texts(texts_dir: Path, live: set[str]) -> None:
    """Delete kept texts whose content hash is not in ``live``."""
    if texts_dir.is_dir():
        for path in texts_dir.glob("*.txt"):
            if path.stem not in live:
                path.unlink(missing_ok=True)


def kept_text(texts_dir: Path, sha: str) -> str:
    """The extracted text of a file version, exactly as ingested: no newline translation, so a "\r" stays one and
    citation offsets still slice it."""
    with (texts_dir / f"{sha}.txt").open(encoding="utf-8", newline="") as handle:
        return handle.read()
