"""Thumbs up/down on answers, appended to a local JSONL file that the eval can read."""

from __future__ import annotations

import json
import threading
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal

from rag.types import Answer

_lock = threading.Lock()


def record_feedback(path: Path, question: str, answer: Answer, rating: Literal["up", "down"]) -> dict:
    """Append one feedback record (whole lines only, one writer at a time) and return it."""
    record = {
        "time": datetime.now(UTC).isoformat(timespec="seconds"),
        "rating": rating,
        "question": question,
        "answer": answer.answer,
        "refused": answer.refused,
        "citations": [c.id for c in answer.citations],
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    with _lock, path.open("a", encoding="utf-8") as out:
        out.write(json.dumps(record, ensure_ascii=False) + "\n")
    return record


def read_feedback(path: Path) -> list[dict]:
    """Every record written so far (none if the file does not exist)."""
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
