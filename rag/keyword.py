"""The BM25 keyword index over source sentences, persisted beside the Chroma store and kept in step with it."""

from __future__ import annotations

import hashlib
import json
import math
import os
import uuid
from collections import Counter
from pathlib import Path

from rag.text import content_words
from rag.types import Sentence


def fingerprint(ids: list[str]) -> str:
    """A digest of a set of record ids: equal fingerprints mean the index and the store hold the same sentences."""
    return hashlib.sha256("\n".join(sorted(ids)).encode()).hexdigest()


def tokens(text: str) -> list[str]:
    """The terms BM25 sees: stemmed content words."""
    return sorted(content_words(text))


class KeywordIndex:
    """BM25 over sentences; also a catalogue of every sentence, for neighbours and lookups by id."""

    def __init__(self, sentences: list[Sentence]) -> None:
        self.sentences = sorted(sentences, key=lambda s: (s.source, s.index))
        self.by_id = {s.id: s for s in self.sentences}
        self._position = {(s.source, s.index): s for s in self.sentences}
        self.openings = [s for s in self.sentences if s.index == 0]  # each document's first sentence
        self.fingerprint = fingerprint(list(self.by_id))
        self._docs = [Counter(tokens(s.text)) for s in self.sentences]
        self._lengths = [sum(d.values()) for d in self._docs]
        self._mean_length = sum(self._lengths) / len(self._lengths) if self._lengths else 0.0
        frequency = Counter(term for doc in self._docs for term in doc)
        n = len(self._docs)
        # Lucene's idf stays positive even for a term found in every sentence of a tiny corpus.
        self._idf = {t: math.log(1 + (n - f + 0.5) / (f + 0.5)) for t, f in frequency.items()}

    @property
    def vocabulary(self) -> set[str]:
        """Every term (stemmed content word or numeral) found in the indexed sentences."""
        return set(self._idf)

    def search(self, query: str, k: int, k1: float = 1.2, b: float = 0.75) -> list[tuple[Sentence, float]]:
        """The ``k`` best sentences by BM25 score, best first; sentences sharing no term are left out."""
        terms = [t for t in tokens(query) if t in self._idf]
        scored = []
        for i, doc in enumerate(self._docs):
            norm = k1 * (1 - b + b * self._lengths[i] / (self._mean_length or 1))
            score = sum(self._idf[t] * doc[t] * (k1 + 1) / (doc[t] + norm) for t in terms if t in doc)
            if score > 0:
                scored.append((score, i))
        scored.sort(key=lambda item: (-item[0], item[1]))
        return [(self.sentences[i], score) for score, i in scored[:k]]

    def neighbours(self, sentence: Sentence, width: int = 1) -> list[Sentence]:
        """The sentence with up to ``width`` sentences either side of it, in order."""
        span = range(sentence.index - width, sentence.index + width + 1)
        return [n for i in span if (n := self._position.get((sentence.source, i))) is not None]

    def save(self, path: Path) -> None:
        """Write atomically: a reader sees the old index or the new one, never half of one."""
        path.parent.mkdir(parents=True, exist_ok=True)
        payload = {"fingerprint": self.fingerprint, "sentences": [s.model_dump() for s in self.sentences]}
        tmp = path.with_suffix(f".tmp{os.getpid()}-{uuid.uuid4().hex[:8]}")  # two writers never share one
        tmp.write_text(json.dumps(payload, ensure_ascii=False), encoding="utf-8")
        os.replace(tmp, path)

    @classmethod
    def load(cls, path: Path) -> KeywordIndex | None:
        """The saved index, or None if there is none or it cannot be read."""
        try:
            payload = json.loads(path.read_text(encoding="utf-8"))
            return cls([Sentence(**s) for s in payload["sentences"]])
        except (OSError, ValueError, KeyError, TypeError):
            return None
