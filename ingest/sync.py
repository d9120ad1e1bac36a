"""Idempotent ingest: make the store hold exactly the current sentences and chunks of the given files."""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tqdm import tqdm

from ingest.chunks import Chunk, chunks_of, file_sha, record_id, sentences_of
from ingest.loaders import LoadError, SourceFile, discover, load
from rag.store import CHUNK, FILE, SENTENCE, Store
from rag.types import Sentence

BATCH = 64


@dataclass
class IngestReport:
    """What one ingest run found and wrote; counts of added/unchanged/removed are sentence and chunk records."""

    files: int = 0
    sentences: int = 0
    chunks: int = 0
    added: int = 0
    unchanged: int = 0
    removed: int = 0
    skipped: list[tuple[str, str]] = field(default_factory=list)
    seconds: float = 0.0

    def summary(self) -> str:
        """One line for the terminal."""
        skipped = f", {len(self.skipped)} skipped" if self.skipped else ""
        return (
            f"ingest: {self.files} files, {self.sentences} sentences, {self.chunks} chunks; "
            f"{self.added} added / {self.unchanged} unchanged / {self.removed} removed{skipped} "
            f"in {self.seconds:.1f} s"
        )


def ingest(paths: list[Path], store: Store, texts_dir: Path, progress: bool = True) -> IngestReport:
    """Sync the store to the files under ``paths``: new and changed files are (re)written, vanished ones removed.

    Each file's marker record is written after its sentences and chunks, and old versions are deleted after
    that, so a run killed at any point leaves the store for the next run to finish, never half-used.
    """
    began = time.perf_counter()
    report = IngestReport()
    known = store.files()
    found = discover(paths)
    pending: list[tuple[SourceFile, str, str, list[Sentence], list[Chunk]]] = []
    present: set[str] = set()
    for source in found:
        try:
            loaded = load(source.path)
        except LoadError as exc:
            report.skipped.append((source.name, str(exc)))
            present.add(source.name)  # keep what an earlier, readable version left: nothing is lost
            continue
        present.add(source.name)
        text = loaded.text
        sha = file_sha(text)
        sentences = sentences_of(source.name, text, sha, loaded.pages)
        chunks = chunks_of(sentences, text, sha)
        report.files += 1
        report.sentences += len(sentences)
        report.chunks += len(chunks)
        if known.get(source.name) == sha and not store.has_leftovers(source.name, sha):
            report.unchanged += len(sentences) + len(chunks)
            _keep_text(texts_dir, sha, text)  # a fresh state folder beside a shared store still gets the text
            continue
        pending.append((source, sha, text, sentences, chunks))

    total = sum(len(s) + len(c) + 1 for _, _, _, s, c in pending)
    with tqdm(total=total, desc="embedding", unit="rec", disable=not progress or not total, leave=False) as bar:
        for source, sha, text, sentences, chunks in pending:
            _keep_text(texts_dir, sha, text)
            records = [_sentence_record(s, sha) for s in sentences] + [_chunk_record(c, sha) for c in chunks]
            records.append(_file_record(source.name, sha, text, len(sentences), len(chunks)))
            for i in range(0, len(records), BATCH):
                batch = records[i : i + BATCH]
                store.add([r[0] for r in batch], [r[1] for r in batch], [r[2] for r in batch])
                bar.update(len(batch))
            report.added += len(sentences) + len(chunks)
            report.removed += store.delete_source(source.name, keep_sha=sha)

    for name in sorted(set(known) - present):
        report.removed += store.delete_source(name)
    prune_texts(texts_dir, set(store.files().values()))
    store.sync_keywords()
    report.seconds = time.perf_counter() - began
    return report


Record = tuple[str, dict[str, Any], str]


def _sentence_record(s: Sentence, sha: str) -> Record:
    meta: dict[str, Any] = {
        "kind": SENTENCE,
        "source": s.source,
        "file_sha": sha,
        "start": s.start,
        "end": s.end,
        "index": s.index,
    }
    if s.page is not None:  # Chroma metadata cannot hold None: no key means no page
        meta["page"] = s.page
    return s.text, meta, s.id


def _chunk_record(c: Chunk, sha: str) -> Record:
    meta = {
        "kind": CHUNK,
        "source": c.source,
        "file_sha": sha,
        "start": c.start,
        "end": c.end,
        "index": c.index,
        "sentence_ids": ",".join(c.sentence_ids),
    }
    return c.text, meta, c.id


def _file_record(source: str, sha: str, text: str, sentences: int, chunks: int) -> Record:
    meta = {
        "kind": FILE,
        "source": source,
        "file_sha": sha,
        "chars": len(text),
        "sentences": sentences,
        "chunks": chunks,
    }
    return f"{source}\n{text[:300]}", meta, record_id(FILE, source, sha, 0)


def _keep_text(texts_dir: Path, sha: str, text: str) -> None:
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
    """The extracted text of a file version, as ingested."""
    return (texts_dir / f"{sha}.txt").read_text(encoding="utf-8")
