"""The eval's corpora: the default corpus (the essay) and documents of other kinds, each with its own gold set.

A corpus is evaluated as a collection of its own, with the default configuration and no setting changed for it.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from rag.settings import Settings

HERE = Path(__file__).parent


@dataclass(frozen=True)
class EvalCorpus:
    """A corpus folder and its gold questions; ``folder`` None means the configured data dir."""

    name: str
    questions: Path
    folder: Path | None = None

    def settings(self, settings: Settings) -> Settings:
        """The settings that make this corpus the collection under evaluation."""
        if self.folder is None:
            return settings
        return settings.model_copy(update={"data_dir": self.folder, "collection": f"eval-{self.name}"})


CORPORA = (
    EvalCorpus("essay", HERE / "questions.jsonl"),
    EvalCorpus("python-venv", HERE / "corpora/python-venv/questions.jsonl", HERE / "corpora/python-venv/corpus"),
)


def corpus(name: str) -> EvalCorpus:
    """The corpus called ``name``; ``KeyError`` listing the known names otherwise."""
    for found in CORPORA:
        if found.name == name:
            return found
    raise KeyError(f"no eval corpus {name!r}: expected one of {', '.join(c.name for c in CORPORA)}")
