"""Candidate source sentences for a query: dense (Chroma), keyword (BM25) or both fused by reciprocal rank."""

from __future__ import annotations

from rag.store import Store
from rag.types import ScoredSentence, Sentence

RRF_K = 60  # the usual reciprocal-rank-fusion constant: damps the weight of the very first ranks


def _dot(a: list[float], b: list[float]) -> float:
    return sum(x * y for x, y in zip(a, b))


def retrieve(
    store: Store,
    queries: str | list[str],
    k: int,
    mode: str = "hybrid",
    dense_weight: float = 1.0,
    keyword_weight: float = 1.0,
) -> list[ScoredSentence]:
    """Up to ``k`` sentences ordered by fused rank over every query's rankings.

    Each sentence carries its best cosine similarity to any of the queries.
    """
    queries = [queries] if isinstance(queries, str) else queries
    rankings: list[tuple[float, list[Sentence]]] = []
    similarity: dict[str, float] = {}
    vectors = (
        store.embeddings.embed_documents(queries) if len(queries) > 1 else [store.embeddings.embed_query(queries[0])]
    )
    for query, vector in zip(queries, vectors):
        if mode in ("dense", "hybrid"):
            dense = store.search(vector, k)
            for hit in dense:
                similarity[hit.sentence.id] = max(similarity.get(hit.sentence.id, -1.0), hit.score)
            rankings.append((dense_weight, [h.sentence for h in dense]))
        if mode in ("keyword", "hybrid"):
            rankings.append((keyword_weight, [s for s, _ in store.keywords().search(query, k)]))
    fused: dict[str, float] = {}
    found: dict[str, Sentence] = {}
    for weight, ranked in rankings:
        for position, sentence in enumerate(ranked):
            fused[sentence.id] = fused.get(sentence.id, 0.0) + weight / (RRF_K + position + 1)
            found[sentence.id] = sentence
    missing = [i for i in found if i not in similarity]
    for record_id, stored in store.vectors(missing).items():
        similarity[record_id] = max(_dot(v, stored) for v in vectors)  # stored vectors are unit length
    ranked_ids = sorted(fused, key=lambda i: (-fused[i], -similarity.get(i, 0.0)))[:k]
    return [ScoredSentence(sentence=found[i], score=similarity.get(i, 0.0), rank=fused[i]) for i in ranked_ids]
