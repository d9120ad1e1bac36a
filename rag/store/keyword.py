"""The keyword index over source sentences: BM25 by ``bm25s``, saved beside the Chroma store and kept in step with
it, plus the catalogue of every sentence (by id, by position) that neighbours and the document prompt read."""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
import shutil
import uuid
from collections import Counter
from functools import cached_property
from pathlib import Path

import bm25s
import numpy as np

from rag.text.sentences import asks
from rag.text.words import alphanumerics, capitalised, content_words, named_literals
from rag.types import Sentence, last_heading

log = logging.getLogger(__name__)
logging.getLogger("bm25s").setLevel(logging.WARNING)  # on import bm25s sets its logger to DEBUG: every index built

K1, B = 1.2, 0.75  # the usual BM25 constants; Lucene's idf stays positive even for a term in every sentence


def fingerprint(ids: list[str]) -> str:
    """A digest of a set of record ids: equal fingerprints mean the index and the store hold the same sentences."""
    return hashlib.sha256("\n".join(sorted(ids)).encode()).hexdigest()


# Names how ``tokens`` makes terms. A saved index made another way would silently miss every query whose stems
# differ, so it is rebuilt from its catalogue when loaded; change this whenever ``tokens`` changes.
TERMS = (
    "content-words/light-stem-final-e-doubled-ment-ation-ate-ability-ety+named-literals+alphanumerics+specifier-letters"
)


def tokens(text: str) -> list[str]:
    """The terms BM25 sees: stemmed content words, and each identifier or package name whole (``named_literals``):
    "python-is-python3" is also "python", "is", "python" and "3", which every sentence about python3 holds too, and
    "ffi_prep_cif" also in "ffi_prep_cif_var". Not a file name or version specifier ("requests==2.6.0"), whose
    parts are its words, and which would only lengthen its sentence. A word of letters and digits is a term whole
    too (``alphanumerics``): "v9" is all that tells "libjpeg v9" from "libjpeg v8". So is a letter written as a
    format specifier ("%M"), which is no word: as written, since "%k" is not "%K"."""
    return sorted(content_words(text) | named_literals(text) | alphanumerics(text) | _letters(text))


_LETTER = re.compile(r"(?<![\w%])%([^\W\d_])(?!\w)")
"""A letter written as a format specifier: "%M" (not "%%", nor "%Mmax"). Not an option's "-m": a command's flags
stand in its code beside the words that find it, and every "python3 -m" would only lengthen its line."""


def _letters(text: str) -> set[str]:
    """The letters the text writes as format specifiers (``_LETTER``), in their case."""
    return set(_LETTER.findall(text))


def _terms(sentence: Sentence) -> list[str]:
    """A sentence's terms, with its section path's: a section's words find its sentences. A heading of one letter
    names a specifier or an option too ("M" over "Maximum resident set size of the process…")."""
    section = sentence.section or ""
    leaf = last_heading(section).strip()
    single = {leaf} if len(leaf) == 1 and leaf.isalpha() else set()
    return sorted(set(tokens(f"{section} {sentence.text}")) | single)


def _bm25(sentences: list[Sentence]) -> bm25s.BM25 | None:
    """The BM25 index of the sentences; None when no sentence has a single term (nothing could ever match)."""
    corpus = [_terms(s) for s in sentences]
    if not any(corpus):
        return None
    index = bm25s.BM25(k1=K1, b=B, method="lucene")
    index.index(corpus, show_progress=False)
    return index


SUBJECT_SHARE = 0.1
"""The share of a document's sentences that name something it is about (``KeywordIndex.subjects``)."""


class KeywordIndex:
    """BM25 over sentences; also a catalogue of every sentence, for neighbours and lookups by id."""

    def __init__(self, sentences: list[Sentence], bm25: bm25s.BM25 | None = None, current: bool = True) -> None:
        self.sentences = sorted(sentences, key=lambda s: (s.source, s.index))
        self.by_id = {s.id: s for s in self.sentences}
        self._position = {(s.source, s.index): s for s in self.sentences}
        first: dict[str, Sentence] = {}
        for s in self.sentences:
            if not s.code:
                first.setdefault(s.source, s)
        self.openings = list(first.values())  # each document's first sentence that is not code
        self.sections: dict[str, list[str]] = {}  # each structured document's section paths, in order
        for s in self.sentences:
            if s.section and s.section not in self.sections.setdefault(s.source, []):
                self.sections[s.source].append(s.section)
        self.fingerprint = fingerprint(list(self.by_id))
        self._bm25 = bm25 if bm25 is not None else _bm25(self.sentences)
        self.current = current  # False: loaded from an index whose terms were made another way (and rebuilt)

    @cached_property
    def vocabulary(self) -> frozenset[str]:
        """Every term (stemmed content word or numeral) found in the indexed sentences; built once per index, as
        retrieval asks for it with every query."""
        return frozenset(self._bm25.vocab_dict) - {""} if self._bm25 is not None else frozenset()

    @cached_property
    def subjects(self) -> frozenset[str]:
        """The stems of the names a document writes in at least ``SUBJECT_SHARE`` of its sentences, and of the words
        of its file's name: what it is about ("Ninja" in Ninja's manual, "libtasn1" in libtasn1.pdf, which writes it
        in 15 of its 713 sentences), which a sentence need not name to speak of it."""
        documents: dict[str, list[Sentence]] = {}
        for sentence in self.sentences:
            documents.setdefault(sentence.source, []).append(sentence)
        found: set[str] = set()
        for source, sentences in documents.items():
            counted = Counter(name for s in sentences for name in capitalised(s.text))
            found |= {name for name, count in counted.items() if count >= SUBJECT_SHARE * len(sentences)}
            found |= content_words(re.sub(r"[_\W]+", " ", Path(source).stem))
        return frozenset(found)

    @cached_property
    def asked(self) -> dict[str, Sentence]:
        """The first sentence under each heading that asks a question (a FAQ's "5.1. Why don't my variables get
        expanded?"), by its section path: where the question's answer opens; built once per index."""
        found: dict[str, Sentence] = {}
        for s in self.sentences:
            if s.section and asks(last_heading(s.section)):
                found.setdefault(s.section, s)
        return found

    @cached_property
    def text(self) -> str:
        """Every indexed sentence's text, and every section path, joined by spaces: what answer checks search for a
        quoted command or option (a manual's "--enable-cache-owner[=ARG]" is the heading over what it does); built
        once per index."""
        sections = dict.fromkeys(s.section for s in self.sentences if s.section)
        return " ".join([*(s.text for s in self.sentences), *sections])

    def search(self, query: str, k: int) -> list[tuple[Sentence, float]]:
        """The ``k`` best sentences by BM25 score, best first; sentences sharing no term are left out. A query of
        one term that more than ``k`` sentences hold finds nothing: BM25 would rank them by their length only, and
        its ``k`` would be the shortest ("What is Ninja?" over Ninja's manual ranked "Run ninja." and "+" first)."""
        if self._bm25 is None:
            return []
        terms = [t for t in tokens(query) if t in self._bm25.vocab_dict]
        if not terms or (len(set(terms)) == 1 and self._holders(terms[0]) > k):
            return []
        scores = self._bm25.get_scores(terms)
        k = min(k, len(scores))
        best = np.argpartition(-scores, k - 1)[:k]
        ranked = sorted((i for i in best.tolist() if scores[i] > 0), key=lambda i: (-scores[i], i))
        return [(self.sentences[i], float(scores[i])) for i in ranked]

    def _holders(self, term: str) -> int:
        """How many sentences (with their section paths) hold a term of the index: its column's entries in BM25's
        score matrix, which bm25s keeps by term."""
        assert self._bm25 is not None
        at, start = self._bm25.vocab_dict[term], self._bm25.scores["indptr"]
        return int(start[at + 1] - start[at])

    def following(self, sentence: Sentence) -> Sentence | None:
        """The next sentence (or code block) of the same document, if there is one."""
        return self._position.get((sentence.source, sentence.index + 1))

    def preceding(self, sentence: Sentence) -> Sentence | None:
        """The sentence (or code block) before it in the same document, if there is one."""
        return self._position.get((sentence.source, sentence.index - 1))

    def neighbours(self, sentence: Sentence, width: int = 1) -> list[Sentence]:
        """The sentence with up to ``width`` sentences either side of it, in order."""
        span = range(sentence.index - width, sentence.index + width + 1)
        return [n for i in span if (n := self._position.get((sentence.source, i))) is not None]

    def save(self, path: Path) -> None:
        """Write the index so that a reader sees the old one or the new one, never half of one.

        The BM25 arrays go into a folder named by the fingerprint, then the catalogue (``path``, JSON) is replaced
        in one step to point at it; folders older than the previous one are removed.
        """
        path.parent.mkdir(parents=True, exist_ok=True)
        scheme = hashlib.sha256(TERMS.encode()).hexdigest()[:8]
        folder = path.with_name(f"{path.stem}.{self.fingerprint[:16]}-{scheme}.bm25")
        if self._bm25 is not None and not folder.is_dir():
            tmp = folder.with_name(f".{folder.name}.{os.getpid()}-{uuid.uuid4().hex[:8]}")
            self._bm25.save(str(tmp), show_progress=False)
            try:
                os.rename(tmp, folder)
            except OSError:  # another writer saved the same index first
                shutil.rmtree(tmp, ignore_errors=True)
        payload = {
            "fingerprint": self.fingerprint,
            "terms": TERMS,
            "bm25": folder.name if self._bm25 is not None else None,
            "sentences": [s.model_dump() for s in self.sentences],
        }
        tmp = path.with_suffix(f".tmp{os.getpid()}-{uuid.uuid4().hex[:8]}")  # two writers never share one
        tmp.write_text(json.dumps(payload, ensure_ascii=False), encoding="utf-8")
        os.replace(tmp, path)
        old = sorted(path.parent.glob(f"{path.stem}.*.bm25"), key=lambda p: p.stat().st_mtime, reverse=True)
        for stale in [p for p in old if p != folder][1:]:  # the previous one may still be being read
            shutil.rmtree(stale, ignore_errors=True)

    @classmethod
    def load(cls, path: Path) -> KeywordIndex | None:
        """The saved index, or None if there is none or its catalogue cannot be read; BM25 arrays that cannot be
        read, or whose terms were made another way (``TERMS``), are rebuilt from the catalogue."""
        try:
            payload = json.loads(path.read_text(encoding="utf-8"))
            sentences = [Sentence(**s) for s in payload["sentences"]]
        except (OSError, ValueError, KeyError, TypeError):
            return None
        bm25 = None
        current = payload.get("terms") == TERMS
        if not current:
            log.info("rebuilding the keyword index of %s: its terms were made another way", path)
        elif payload.get("bm25"):
            try:
                bm25 = bm25s.BM25.load(str(path.with_name(payload["bm25"])), show_progress=False)
            except (OSError, ValueError, KeyError) as exc:
                log.warning("rebuilding the keyword index of %s: %s", path, exc)
        return cls(sentences, bm25, current)
