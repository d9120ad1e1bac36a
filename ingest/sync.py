"""Idempotent ingest: make the store hold exactly the current sentences and chunks of the given files."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tqdm import tqdm

from ingest.chunks import Chunk, chunks_of, file_sha, record_id, sentences_of
from ingest.loaders import Loaded, LoadError, discover, load
from rag.library import Library
from rag.settings import MAX_DOCUMENT_BYTES, UPLOADS, Settings
from rag.store.chroma import CHUNK, FILE, SENTENCE, Store, stored_text
from rag.store.texts import keep_text, prune_texts
from rag.types import Sentence

log = logging.getLogger(__name__)

BATCH = 64
Record = tuple[str, dict[str, Any], str]
"""A record to write: its text, its metadata and its id."""


@dataclass
class IngestReport:
    """What one ingest run found and wrote; counts of added/unchanged/removed are sentence and chunk records."""

    files: int = 0
    sentences: int = 0
    chunks: int = 0
    added: int = 0
    unchanged: int = 0
    removed: int = 0
    reindexed: int = 0
    skipped: list[tuple[str, str]] = field(default_factory=list)
    seconds: float = 0.0

    def summary(self) -> str:
        """One line for the terminal."""
        skipped = f", {len(self.skipped)} skipped" if self.skipped else ""
        reindexed = f", {self.reindexed} re-indexed" if self.reindexed else ""
        return (
            f"ingest: {self.files} files, {self.sentences} sentences, {self.chunks} chunks; "
            f"{self.added} added / {self.unchanged} unchanged / {self.removed} removed{skipped}{reindexed} "
            f"in {self.seconds:.1f} s"
        )


def ingest(
    paths: list[Path | tuple[Path, str]],
    store: Store,
    texts_dir: Path,
    progress: bool = True,
    max_bytes: int = MAX_DOCUMENT_BYTES,
) -> IngestReport:
    """Sync the store to the files under ``paths``: new and changed files are (re)written, vanished ones removed.

    A path is a folder (its files are named relative to it), a file, or a ``(folder, prefix)`` pair whose files are
    named ``prefix/<relative name>``.

    Each file's marker record is written alone, after all its sentences and chunks, and old versions are deleted
    after that, so a run killed at any point leaves the store for the next run to finish, never half-used. A file
    counts as unchanged only when the store holds exactly the records it yields, so records a killed run wrote
    or failed to delete are repaired too. A run that deleted records, or found that the last run was killed, then
    checks that every record is in the vector index and writes back any that is not (``Store.unreachable``). Files
    over ``max_bytes`` are skipped without being read.
    """
    began = time.perf_counter()
    report = IngestReport()
    # Present from here to the end of the run: found at the start, it says the last run was killed.
    running = store.keyword_path.with_suffix(".ingesting")
    interrupted = running.exists()
    running.parent.mkdir(parents=True, exist_ok=True)
    running.touch()
    known = store.files()
    pending: list[tuple[str, list[Record], Record]] = []
    present: set[str] = set()
    for source in discover(paths):
        present.add(source.name)
        try:
            loaded = load(source.path, max_bytes)
            text = loaded.text
            sha = file_sha(text)
            sentences = citable(source.name, loaded, sha)
        except LoadError as exc:
            report.skipped.append((source.name, str(exc)))
            # Keep the last complete version an earlier, readable file left (nothing is lost); drop any other.
            report.removed += store.delete_source(source.name, keep_sha=known.get(source.name))
            continue
        chunks = chunks_of(sentences, text, sha)
        records = [_sentence_record(s, sha) for s in sentences] + [_chunk_record(c, sha) for c in chunks]
        marker = _file_record(source.name, sha, text, len(sentences), len(chunks))
        report.files += 1
        report.sentences += len(sentences)
        report.chunks += len(chunks)
        keep_text(texts_dir, sha, text)  # before any record refers to it; a fresh state folder gets it too
        if store.source_ids(source.name) == {r[2] for r in records} | {marker[2]}:
            report.unchanged += len(records)
            continue
        pending.append((source.name, records, marker))

    total = sum(len(records) + 1 for _, records, _ in pending)
    with tqdm(total=total, desc="embedding", unit="rec", disable=not progress or not total, leave=False) as bar:
        for name, records, marker in pending:
            for i in range(0, len(records), BATCH):
                _write(store, records[i : i + BATCH])
                bar.update(len(records[i : i + BATCH]))
            _write(store, [marker])
            bar.update(1)
            report.added += len(records)
            # The old version's records, and those of this version that an older splitter cut differently.
            report.removed += store.delete_source(name, keep_ids={r[2] for r in records} | {marker[2]})

    # Not only files with a marker: a file that vanished while its first ingest was cut short left records too.
    for name in sorted(store.sources_except(present)):
        report.removed += store.delete_source(name)
    prune_texts(texts_dir, set(store.files().values()))
    store.sync_keywords()
    if interrupted or report.removed:
        report.reindexed = _reindex_lost(store)
    running.unlink(missing_ok=True)
    report.seconds = time.perf_counter() - began
    return report


def _reindex_lost(store: Store) -> int:
    """Write back the records that deletes or a killed writer left out of Chroma's vector graph."""
    lost = store.unreachable()
    if lost:
        log.warning("%d records were missing from the vector index; writing them back", len(lost))
        store.reindex(lost)
    return len(lost)


def citable(name: str, loaded: Loaded, sha: str | None = None) -> list[Sentence]:
    """The sentences of a loaded file; ``LoadError`` when it has text but nothing to cite (only headings, say):
    ingested, it would be a document no answer can ever quote."""
    sentences = sentences_of(name, loaded.text, sha or file_sha(loaded.text), loaded.pages, loaded.blocks)
    if not sentences:
        raise LoadError("it holds no sentence to cite (headings alone are not cited)")
    return sentences


def _write(store: Store, records: list[Record]) -> None:
    store.add([r[0] for r in records], [r[1] for r in records], [r[2] for r in records])


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
    if s.code:
        meta["code"] = True
    if s.item:
        meta["item"] = True
    if s.section:
        meta["section"] = s.section
    return stored_text(s), meta, s.id


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


def ingest_default(settings: Settings, store: Store, progress: bool = True) -> IngestReport:
    """Sync a collection's store with its corpus folder and its uploads; writes nothing when it is up to date."""
    folders: list[Path | tuple[Path, str]] = [settings.data_dir]
    if settings.uploads_dir.is_dir():
        folders.append((settings.uploads_dir, UPLOADS))
    report = ingest(folders, store, settings.texts_dir, progress=progress, max_bytes=settings.max_document_bytes)
    for name, reason in report.skipped:
        log.warning("skipped %s: %s", name, reason)
    return report


def ingest_all(library: Library, progress: bool = False) -> list[str]:
    """Sync every collection whose folder exists with it; one summary line per collection."""
    lines = []
    for name in library.names():
        if library.folder(name).is_dir():
            pipeline = library.pipeline(name)
            report = ingest_default(pipeline.settings, pipeline.store, progress=progress)
            lines.append(f"{name}: {report.summary()}")
    return lines
