"""Hybrid retrieval: how the dense and keyword rankings are fused."""

from __future__ import annotations

from pathlib import Path

from ingest.sync import ingest_default
from rag.retrieval.retrieve import retrieve
from rag.service import open_store
from rag.settings import Settings
from rag.store.embeddings import HashEmbeddings

ANSWER = "A virtual environment holds each project's dependencies apart."
QUESTION = "How can pip isolate libraries?"


class Paraphrases(HashEmbeddings):
    """Bag-of-words vectors, except that the question is understood as the answer it paraphrases: what a real
    embedding model does and keyword search cannot."""

    def embed_query(self, text: str) -> list[float]:
        return super().embed_query(ANSWER if text == QUESTION else text)


def test_the_embeddings_best_sentence_is_kept_however_many_sentences_the_keywords_rank_above_it(tmp_path: Path):
    folder = tmp_path / "docs"
    folder.mkdir()
    lines = ["Pip installs packages.", "Pip upgrades packages.", "Pip removes packages.", "Pip lists packages."]
    (folder / "pip.txt").write_text("\n\n".join([*lines, ANSWER]), encoding="utf-8")
    settings = Settings(data_dir=folder, state_dir=tmp_path / "state")
    store = open_store(settings, Paraphrases())
    ingest_default(settings, store, progress=False)

    keyword = [h.sentence.text for h in retrieve(store, QUESTION, 3, "keyword")]
    assert ANSWER not in keyword  # the keywords alone never find it
    hits = retrieve(store, QUESTION, 3, "hybrid", dense_weight=1.0, keyword_weight=3.0)
    assert {h.sentence.text for h in hits[:2]} <= set(keyword)  # the keyword ranking still leads
    assert hits[-1].sentence.text == ANSWER
    assert hits == sorted(hits, key=lambda h: h.rank, reverse=True)
