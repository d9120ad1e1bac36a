"""Run one ingest and SIGKILL it at a chosen point: the harness of ``tests/ingest/test_crash_safety.py``.

``python -m tests.ingest.crash_ingest STATE CORPUS [POINT NTH]`` ingests the folder CORPUS into the store in STATE (real
Chroma, hashing embeddings). With a POINT the process kills itself there, on the NTH time it gets there; the parent
sees exit status -9 and then checks that the next, normal ingest repairs the store. Without one it runs to the end
and prints the report's summary.
"""

from __future__ import annotations

import os
import signal
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any, NoReturn

from ingest import sync
from ingest.sync import ingest
from rag.store.chroma import FILE, Store, open_chroma
from rag.store.embeddings import HashEmbeddings

COLLECTION = "crash"

POINTS = {
    "add": "right after the NTH batch of sentences and chunks is written",
    "before-marker": "just before the NTH file marker is written",
    "after-marker": "right after the NTH file marker is written, before that file's old records are deleted",
    "delete-partly": "in the NTH Chroma delete, after half of its ids are deleted",
    "vanished": "as the NTH vanished file is about to be deleted",
    "keep-text": "while the NTH kept text is written: the temporary file is there, not yet renamed",
    "prune": "while kept texts are pruned, after the NTH stale one is deleted",
    "keywords": "while the keyword index is saved: the temporary file is written, not yet renamed",
    "timer": "NTH milliseconds after ingest starts, wherever it is",
}


def open_state(state: Path) -> tuple[Store, Path]:
    """The store and kept-texts folder of a state folder, as the harness and the test both open them."""
    chroma = open_chroma(state / "chroma", COLLECTION, HashEmbeddings())
    return Store(chroma, state / "keyword.json"), state / "texts"


def die() -> NoReturn:
    """What a power cut or the OOM killer does: no cleanup, no flush, no exception handlers."""
    os.kill(os.getpid(), signal.SIGKILL)
    raise AssertionError("unreachable")


def _on_nth(nth: int) -> Callable[[], bool]:
    """A counter that says True on its ``nth`` call."""
    calls = 0

    def tick() -> bool:
        nonlocal calls
        calls += 1
        return calls == nth

    return tick


def install(point: str, nth: int, store: Store, texts: Path) -> None:
    """Patch this process so that it kills itself at ``point`` the ``nth`` time it gets there."""
    tick = _on_nth(nth)
    add, delete_source = Store.add, Store.delete_source

    def patched_add(self: Store, texts_: list[str], metadatas: list[dict[str, Any]], ids: list[str]) -> None:
        marker = any(m["kind"] == FILE for m in metadatas)
        if point == "before-marker" and marker and tick():
            die()
        add(self, texts_, metadatas, ids)
        if point == "after-marker" and marker and tick():
            die()
        if point == "add" and not marker and tick():
            die()

    def patched_delete_source(self: Store, source: str, keep_sha: str | None = None, **kwargs: Any) -> int:
        if point == "vanished" and keep_sha is None and not kwargs and tick():
            die()
        return delete_source(self, source, keep_sha, **kwargs)

    Store.add = patched_add  # type: ignore[method-assign]
    Store.delete_source = patched_delete_source  # type: ignore[method-assign]

    if point == "delete-partly":
        chroma_delete = store.chroma.delete

        def patched_delete(ids: list[str] | None = None, **kwargs: Any) -> None:
            if ids and tick():
                chroma_delete(ids=ids[: max(1, len(ids) // 2)], **kwargs)
                die()
            chroma_delete(ids=ids, **kwargs)

        store.chroma.delete = patched_delete  # type: ignore[method-assign]

    replace = os.replace

    def patched_replace(src: Any, dst: Any) -> None:
        target = Path(dst)
        if point == "keep-text" and target.parent == texts and tick():
            die()
        if point == "keywords" and target == store.keyword_path and tick():
            die()
        replace(src, dst)

    os.replace = patched_replace  # type: ignore[assignment]

    if point == "prune":
        prune = sync.prune_texts

        def patched_prune(texts_dir: Path, live: set[str]) -> None:
            stale = sorted(p for p in texts_dir.glob("*.txt") if p.stem not in live)
            for path in stale[:nth]:
                path.unlink()
            if len(stale) >= nth:
                die()
            prune(texts_dir, live)

        sync.prune_texts = patched_prune  # type: ignore[assignment]

    if point == "timer":
        timer = threading.Timer(nth / 1000, die)
        timer.daemon = True
        timer.start()


def main(argv: list[str]) -> int:
    """Ingest CORPUS into STATE, killed at POINT if one is given."""
    state, corpus = Path(argv[0]), Path(argv[1])
    store, texts = open_state(state)
    if len(argv) > 2:
        point, nth = argv[2], int(argv[3])
        if point not in POINTS:
            print(f"unknown kill point {point!r}: expected one of {', '.join(POINTS)}", file=sys.stderr)
            return 2
        install(point, nth, store, texts)
    print(ingest([corpus], store, texts, progress=False).summary())
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
