"""Ingest details against a real Chroma store; the store contract (idempotency, edits, deletes, the keyword
index) runs on both store modes in test_store_contract.py."""

from __future__ import annotations

from pathlib import Path

import pytest

from ingest.sync import ingest, kept_text
from rag.embeddings import HashEmbeddings
from rag.store import CHUNK, SENTENCE, Store, open_chroma


@pytest.fixture
def store(tmp_path: Path) -> Store:
    return Store(open_chroma(tmp_path / "chroma", "test-collection", HashEmbeddings()), tmp_path / "kw.json")


def snapshot(store: Store) -> tuple[list[str], int, int]:
    return sorted(store.ids()), store.count(SENTENCE), store.count(CHUNK)


def run(corpus: Path, store: Store, tmp_path: Path):
    return ingest([corpus], store, tmp_path / "texts", progress=False)


def test_ids_come_from_content_not_from_the_run(corpus, tmp_path):
    one = Store(open_chroma(tmp_path / "one", "test-collection", HashEmbeddings()), tmp_path / "one.json")
    two = Store(open_chroma(tmp_path / "two", "test-collection", HashEmbeddings()), tmp_path / "two.json")
    run(corpus, one, tmp_path)
    run(corpus, two, tmp_path)
    assert snapshot(one) == snapshot(two)


def test_bad_files_are_skipped_by_name_and_the_rest_ingested(corpus, store, tmp_path):
    (corpus / "empty.txt").write_text("   \n", encoding="utf-8")
    (corpus / "latin1.txt").write_bytes("Caf\xe9 cr\xe8me.".encode("latin-1"))
    (corpus / "binary.md").write_bytes(b"\x00\x01\x02PNG")
    report = run(corpus, store, tmp_path)
    skipped = dict(report.skipped)
    assert set(skipped) == {"empty.txt", "latin1.txt", "binary.md"}
    assert "empty" in skipped["empty.txt"] and "UTF-8" in skipped["latin1.txt"] and "binary" in skipped["binary.md"]
    assert set(store.files()) == {"a.txt", "b.md"}


def test_offsets_slice_the_kept_text(corpus, store, tmp_path):
    run(corpus, store, tmp_path)
    for source, sha in store.files().items():
        text = kept_text(tmp_path / "texts", sha)
        assert text == (corpus / source).read_text(encoding="utf-8")
        for sentence in store.sentences(source):
            assert text[sentence.start : sentence.end] == sentence.text


def test_missing_path_is_a_clear_error(store, tmp_path):
    with pytest.raises(FileNotFoundError, match="no such file or folder"):
        ingest([tmp_path / "nope"], store, tmp_path / "texts", progress=False)


def test_large_reads_and_deletes_are_paged(corpus, store, tmp_path, monkeypatch):
    """Chroma fails one get of tens of thousands of records ('too many SQL variables'); pages must add up."""
    run(corpus, store, tmp_path)
    everything = sorted(store.ids())
    monkeypatch.setattr("rag.store.PAGE", 2)
    assert sorted(store.ids()) == everything and len(everything) > 6
    assert [s.text for s in store.sentences("a.txt")] == [
        "Alpha is first.",
        "Beta follows it.",
        "Gamma starts a paragraph.",
    ]
    (corpus / "b.md").unlink()
    run(corpus, store, tmp_path)
    assert {s.source for s in store.sentences()} == {"a.txt"}
