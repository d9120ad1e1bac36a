"""What a question must be before it is answered: checked here, so every surface refuses the same way."""

from __future__ import annotations

from collections.abc import Sequence

from rag.errors import InvalidRequest
from rag.settings import MAX_TOP_K
from rag.types import Turn


class InvalidQuestion(InvalidRequest):
    """The question cannot be answered as sent; the message tells the user what to change."""


def check_question(question: object, max_chars: int) -> str:
    """The stripped question, or ``InvalidQuestion`` if it is not a string of 1..max_chars characters."""
    if not isinstance(question, str):
        raise InvalidQuestion('question must be a string: send {"question": "..."}')
    stripped = question.strip()
    if not stripped:
        raise InvalidQuestion('question is empty: send a non-blank "question" string')
    if len(stripped) > max_chars:
        raise InvalidQuestion(f"question is too long: {len(stripped)} characters, the limit is {max_chars}")
    return stripped


def check_history(history: Sequence[Turn], max_turns: int, max_chars: int) -> None:
    """``InvalidQuestion`` if the chat history is longer than the configured limits."""
    if len(history) > max_turns:
        raise InvalidQuestion(f"history has {len(history)} turns, the limit is {max_turns}: send only the latest turns")
    size = sum(len(t.content) for t in history)
    if size > max_chars:
        raise InvalidQuestion(f"history is {size} characters, the limit is {max_chars}: send only the latest turns")


def check_top_k(top_k: object) -> int:
    """``top_k`` if it is an integer in 1..MAX_TOP_K, else ``InvalidQuestion``."""
    if isinstance(top_k, bool) or not isinstance(top_k, int) or not 1 <= top_k <= MAX_TOP_K:
        raise InvalidQuestion(f"top_k must be an integer from 1 to {MAX_TOP_K}, got {top_k!r}")
    return top_k
