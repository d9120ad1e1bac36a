"""Recognising, before any model is called, questions that the documents cannot or must not answer."""

from __future__ import annotations

import re

from ingest.sentences import split_sentences
from rag.keyword import KeywordIndex
from rag.text import STOP_WORDS, stem, words
from rag.types import ScoredSentence

# Attempts to turn the question into instructions: override, role-play, or extraction of the hidden prompt.
_INJECTION = re.compile(
    r"\b(?:ignore|disregard|forget|override|bypass)\b[^.?!]{0,40}\b(?:instructions?|rules|prompt|guidelines|essay|"
    r"document|above|previous|context)\b"
    r"|\b(?:system|hidden|secret|initial)\s+(?:prompt|instructions?|configuration|message|override)\b"
    r"|\b(?:reveal|print|show|repeat|output|translate)\b[^.?!]{0,40}"
    r"\b(?:instructions?|prompt|configuration|text above)\b"
    r"|\byou are now\b|\bapi key\b|\bjailbreak\b|\bdeveloper mode\b",
    re.IGNORECASE,
)
# Questions whose answer must be a figure or a year.
_QUANTITY = re.compile(
    r"\b(?:how many|how much|what (?:percentage|proportion|share|number|amount)|(?:in )?(?:what|which) year)\b",
    re.IGNORECASE,
)
_NUMERAL = re.compile(r"\d+")
_PREFIX = 4  # "Japanese" is known when the documents say "Japan": compare names on their first letters


def is_injection(question: str) -> bool:
    """Whether the question tries to give the system instructions instead of asking about the documents."""
    return bool(_INJECTION.search(question))


def unknown_names(question: str, index: KeywordIndex) -> list[str]:
    """Capitalised words and numerals in the question that appear nowhere in the documents."""
    vocabulary = index.vocabulary
    prefixes = {term[:_PREFIX] for term in vocabulary if len(term) >= _PREFIX}
    unknown: list[str] = []
    for start, end in split_sentences(question):
        for token in words(question[start:end])[1:]:
            term = stem(token)
            if not token[:1].isupper() or token.lower() in STOP_WORDS or term in vocabulary:
                continue
            if len(term) >= _PREFIX and term[:_PREFIX] in prefixes:
                continue
            unknown.append(token)
    unknown += [n for n in _NUMERAL.findall(question) if n not in vocabulary]
    return list(dict.fromkeys(unknown))


def refusal_reason(question: str, hits: list[ScoredSentence], index: KeywordIndex, threshold: float) -> str | None:
    """Why the documents cannot answer the question, or None when they may."""
    if is_injection(question):
        return "the question contains instructions; only questions about the documents are answered"
    if not hits or max(h.score for h in hits) < threshold:
        return "nothing in the documents is close to this question"
    missing = unknown_names(question, index)
    if missing:
        return f"the documents never mention {', '.join(missing)}"
    if _QUANTITY.search(question) and not any(_NUMERAL.search(h.sentence.text) for h in hits[:4]):
        return "the question asks for a figure, and the relevant passages give none"
    return None
