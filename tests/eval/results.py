"""Hand-made eval results for the metric and comparison tests."""

from __future__ import annotations

from eval.metrics import ItemResult


def result(**overrides) -> ItemResult:
    """One item's result: an answerable item, answered, citing its gold sentence first; fields overridden."""
    base = dict(
        id="q", kind="answerable", question="?", answer="a", refused=False, mode="generated", gold=["g1"],
        retrieved=["x", "g1"], cited=[["g1"], ["x"]], cited_texts=["t"], sentence_citations=[[1], [2]],
        unsupported=0.0, timings_ms={"total": 100.0},
    )  # fmt: skip
    return ItemResult(**{**base, **overrides})
