"""Scoring answers against the gold set: retrieval, citations, refusals, unsupported content and latency."""

from __future__ import annotations

import statistics
from collections.abc import Iterable

from pydantic import BaseModel, Field

from eval.gold import MUST_REFUSE
from eval.stats import percentile
from rag.text.words import content_words

RECALL_AT = (1, 4, 12)


class ItemResult(BaseModel):
    """What one configuration did with one gold item, reduced to what the metrics need."""

    id: str
    kind: str
    question: str
    answer: str
    refused: bool
    mode: str
    gold: list[str] = Field(description="ids of the gold sentences")
    retrieved: list[str] = Field(description="ids of the retrieved sentences, best first")
    cited: list[list[str]] = Field(description="per citation, the sentence ids it covers (one, or a chunk's)")
    cited_texts: list[str]
    sentence_citations: list[list[int]] = Field(description="per answer sentence, its citation numbers (1-based)")
    unsupported: float = Field(description="share of answer content words found in no cited text")
    timings_ms: dict[str, float]
    ttft_ms: float | None = None
    leaked: bool = False
    dropped: int = 0
    best_score: float | None = Field(None, description="cosine similarity of the best retrieved sentence")
    answerable: float | None = Field(None, description="the model's probability that the documents state the answer")
    on_point: float | None = Field(None, description="the model's probability that its draft gives what was asked")
    declined: bool = Field(False, description="the model replied that the documents do not answer")
    min_cited: int | None = Field(None, description="the gold sentences the answer must cite at least, if set")
    drafted: list[str] = Field(
        default_factory=list,
        description="ids of the sentences the model's own sentences were aligned to, verified or not",
    )
    notice: str | None = Field(None, description="why the answer was not written as usual: the model was unavailable")
    unmentioned: list[str] = Field(
        default_factory=list, description="the question's names the documents never mention, which its draft needed"
    )


def unsupported_share(answer: str, cited_texts: Iterable[str]) -> float:
    """Share of the answer's content words (stop words removed, lightly stemmed) absent from every cited text."""
    words = content_words(answer)
    if not words:
        return 0.0
    pool = set().union(*(content_words(t) for t in cited_texts))
    return len(words - pool) / len(words)


def _mean(values: list[float]) -> float | None:
    return round(statistics.fmean(values), 4) if values else None


def cites_gold(r: ItemResult) -> bool:
    """Whether the answer cites one of the item's gold sentences."""
    return any(set(unit) & set(r.gold) for unit in r.cited)


def refusal_correct(r: ItemResult) -> bool:
    """A must-refuse item is handled when refused, or (a false premise) corrected with a gold citation."""
    if r.refused:
        return True
    return r.kind == "false-premise" and bool(r.gold) and cites_gold(r)


def score(results: list[ItemResult]) -> dict[str, float | None]:
    """Every metric over a list of results (one configuration, one kind or all kinds)."""
    answerable = [r for r in results if r.gold and r.kind not in MUST_REFUSE]
    answered = [r for r in answerable if not r.refused]
    must_refuse = [r for r in results if r.kind in MUST_REFUSE]
    metrics: dict[str, float | None] = {}
    for k in RECALL_AT:
        metrics[f"recall@{k}"] = _mean([len(set(r.retrieved[:k]) & set(r.gold)) / len(r.gold) for r in answerable])
    metrics["mrr"] = _mean([_reciprocal_rank(r) for r in answerable])
    metrics["evidence_hit"] = _mean([float(cites_gold(r)) for r in answerable])
    # Headroom (configurations whose model drafted anything): the evidence hit of the model's drafts as written,
    # before verification and fallback, and of the best choice per question between the draft, the answer given
    # and quoting retrieval's first sentence: what any rule choosing among those three could reach at most.
    drafted = [bool(set(r.drafted) & set(r.gold)) for r in answerable]
    if any(r.drafted for r in results):
        metrics["draft_evidence_hit"] = _mean([float(hit) for hit in drafted])
        metrics["evidence_ceiling"] = _mean(
            [
                float(hit or cites_gold(r) or bool(set(r.retrieved[:1]) & set(r.gold)))
                for r, hit in zip(answerable, drafted)
            ]
        )
    metrics["citation_precision"] = _mean(
        [sum(bool(set(u) & set(r.gold)) for u in r.cited) / len(r.cited) for r in answered if r.cited]
    )
    metrics["citation_recall"] = _mean([_alce_recall(r) for r in answered])
    metrics["multi_citation_recall"] = _mean([_gold_recall(r) for r in answered if len(r.gold) > 1])
    metrics["min_cited_met"] = _mean([float(_gold_cited(r) >= r.min_cited) for r in results if r.min_cited])
    metrics["refusal_accuracy"] = _mean([float(refusal_correct(r)) for r in must_refuse])
    metrics["false_refusal"] = _mean([float(r.refused) for r in results if r.kind not in MUST_REFUSE])
    metrics["unsupported"] = _mean([r.unsupported for r in results if not r.refused])
    metrics["leaks"] = float(sum(r.leaked for r in results))
    metrics["model_unavailable"] = float(sum(r.notice is not None for r in results))
    totals = [r.timings_ms.get("total", 0.0) for r in results]
    metrics["latency_p50_ms"] = percentile(totals, 50)
    metrics["latency_p95_ms"] = percentile(totals, 95)
    metrics["ttft_p50_ms"] = percentile([r.ttft_ms for r in results if r.ttft_ms is not None], 50)
    for stage in ("retrieve", "generate", "ground"):
        metrics[f"{stage}_p50_ms"] = percentile([r.timings_ms[stage] for r in results if stage in r.timings_ms], 50)
    metrics["items"] = float(len(results))
    return metrics


def _reciprocal_rank(r: ItemResult) -> float:
    return next((1.0 / (i + 1) for i, sid in enumerate(r.retrieved) if sid in r.gold), 0.0)


def _gold_cited(r: ItemResult) -> int:
    """How many of the gold sentences the answer cites."""
    return len({sid for unit in r.cited for sid in unit} & set(r.gold))


def _gold_recall(r: ItemResult) -> float:
    """Share of the gold sentences the answer cites."""
    return _gold_cited(r) / len(r.gold)


def _alce_recall(r: ItemResult) -> float:
    """Share of answer sentences whose citations include a gold (supporting) sentence."""
    if not r.sentence_citations:
        return 0.0
    hits = 0
    for numbers in r.sentence_citations:
        units = [r.cited[n - 1] for n in numbers if 0 < n <= len(r.cited)]
        hits += any(set(u) & set(r.gold) for u in units)
    return hits / len(r.sentence_citations)


def by_kind(results: list[ItemResult]) -> dict[str, dict[str, float | None]]:
    """The metrics for each kind of question separately."""
    kinds = sorted({r.kind for r in results})
    return {kind: score([r for r in results if r.kind == kind]) for kind in kinds}
