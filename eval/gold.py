"""The gold question set: items whose supporting sentences are named by their exact text."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

from pydantic import BaseModel, Field

from rag.types import Sentence, Turn

QUESTIONS = Path(__file__).with_name("questions.jsonl")
ANSWERABLE = ("answerable", "multi-sentence", "paraphrase", "code", "follow-up")
MUST_REFUSE = ("unanswerable", "false-premise", "injection")


class GoldItem(BaseModel):
    """One question with the sentences that answer it (by text) and a short reference answer."""

    id: str
    kind: str
    question: str
    gold: list[str]
    answer: str
    history: list[Turn] = Field(default_factory=list)
    min_cited: int | None = Field(
        None, ge=1, description="the answer must cite at least this many of the gold sentences (a many-part answer)"
    )

    @property
    def answerable(self) -> bool:
        """Whether the document answers it, so that a refusal would be wrong."""
        return self.kind in ANSWERABLE


def load_gold(path: Path = QUESTIONS) -> list[GoldItem]:
    """Every item of the gold file, in order."""
    lines = path.read_text(encoding="utf-8").splitlines()
    return [GoldItem(**json.loads(line)) for line in lines if line.strip()]


def gold_ids(items: list[GoldItem], sentences: list[Sentence]) -> dict[str, set[str]]:
    """Item id to the ids of its gold sentences; fails loudly when a gold text is not exactly one sentence."""
    by_text: dict[str, list[str]] = {}
    for sentence in sentences:
        by_text.setdefault(sentence.text, []).append(sentence.id)
    resolved: dict[str, set[str]] = {}
    for item in items:
        ids: set[str] = set()
        for text in item.gold:
            matches = by_text.get(text, [])
            if len(matches) != 1:
                raise ValueError(f"{item.id}: gold text matches {len(matches)} sentences, expected 1: {text[:80]!r}")
            ids.update(matches)
        resolved[item.id] = ids
    return resolved


def stratified(items: list[GoldItem], per_kind: int) -> list[GoldItem]:
    """The first ``per_kind`` items of every kind, in file order: a small subset that still covers each kind."""
    seen: Counter[str] = Counter()
    chosen = []
    for item in items:
        if seen[item.kind] < per_kind:
            seen[item.kind] += 1
            chosen.append(item)
    return chosen
