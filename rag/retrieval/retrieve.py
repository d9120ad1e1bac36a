"""Candidate source sentences for a query: dense (Chroma), keyword (BM25) or both fused by reciprocal rank."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence, Set

import numpy as np
from langchain_core.embeddings import Embeddings

from rag.store.chroma import Store
from rag.store.keyword import KeywordIndex
from rag.text.sentences import leads_in, leans_back
from rag.text.words import content_words, words
from rag.types import ScoredSentence, Sentence, Turn, last_heading

RRF_K = 60  # the usual reciprocal-rank-fusion constant: damps the weight of the very first ranks
LISTED = 20  # the most list items a sentence that introduces a list brings along


def known_share(question: str, vocabulary: Set[str]) -> float:
    """The share of the question's content words that the collection's keyword index holds (1 when it has none).

    BM25 ranks by those words alone: a question put in other words than the documents' ("How can pip isolate
    libraries?" over a page that speaks of virtual environments and dependencies) is ranked by the one or two
    generic words it shares with them, and that ranking should count for as little as it knows."""
    words = content_words(question)
    return len(words & vocabulary) / len(words) if words else 1.0


def embed_queries(embeddings: Embeddings, queries: list[str]) -> list[list[float]]:
    """One unit vector per query."""
    return embeddings.embed_documents(queries) if len(queries) > 1 else [embeddings.embed_query(queries[0])]


def retrieve(
    store: Store,
    queries: str | list[str],
    k: int,
    mode: str = "hybrid",
    dense_weight: float = 1.0,
    keyword_weight: float = 1.0,
    vectors: list[list[float]] | None = None,
) -> list[ScoredSentence]:
    """Up to ``k`` sentences ordered by fused rank over every query's rankings, each ranking's first among them
    (``with_each_first``), and so the best-ranked sentence that defines what the first query asks about
    (``definition_of``); first of all, the sentence opening the section whose heading asks it (``asked_answer``).

    Each sentence carries its best cosine similarity to any of the queries (whose ``vectors`` may be given). The
    keyword rankings' weight is scaled by the share of the first query's words the collection knows
    (``known_share``).
    """
    queries = [queries] if isinstance(queries, str) else queries
    if mode == "hybrid":
        keyword_weight *= known_share(queries[0], store.keywords().vocabulary)
    rankings: list[tuple[float, list[Sentence]]] = []
    similarity: dict[str, float] = {}
    vectors = vectors or embed_queries(store.embeddings, queries)
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
    if (opening := asked_answer(queries[0], store.keywords())) is not None:
        found.setdefault(opening.id, opening)
        fused.setdefault(opening.id, 0.0)
    missing = store.vectors(i for i in found if i not in similarity)
    if missing:  # stored vectors are unit length, so the dot product is the cosine
        best = (np.asarray(list(missing.values())) @ np.asarray(vectors).T).max(axis=1)
        similarity.update(zip(missing, best.tolist()))
    ranked_ids = sorted(fused, key=lambda i: (-fused[i], -similarity.get(i, 0.0)))
    firsts = [ranked[0].id for _, ranked in rankings if ranked]
    if (definition := definition_of(queries[0])) is not None:
        firsts += [i for i in ranked_ids if definition.match(found[i].text.strip())][:1]
    ranked_ids = with_each_first(ranked_ids, firsts, k)
    if opening is not None:  # the document asks the question itself: its answer leads
        firsts.append(opening.id)
        ranked_ids = [opening.id, *(i for i in ranked_ids if i != opening.id)][:k]
    return [
        ScoredSentence(sentence=found[i], score=similarity.get(i, 0.0), rank=fused[i], leads=i in firsts)
        for i in ranked_ids
    ]


_WHAT_IS = re.compile(
    r"(?:what|who)(?:\s+(?:is|are|was|were)|['’]s)\s+(?:an?\s+|the\s+)?(?P<subject>[^?]+?)\s*\??", re.I
)


def definition_of(question: str) -> re.Pattern[str] | None:
    """What opens a sentence that defines what a "What is X?" question asks about: X and "is" or "are" ("Expat is a
    library, written in C, for parsing XML documents." for "What is Expat?"); None for any other question.
    Embeddings rank every sentence that names X about as close (0.53 and 0.52 there), and diversity then keeps the
    definition out as too like the one ranked first."""
    asked = _WHAT_IS.fullmatch(question.strip())
    if asked is None:
        return None
    return re.compile(rf"(?:the\s+)?{re.escape(asked['subject'])}\s+(?:is|are|was|were)\s", re.IGNORECASE)


def defines(text: str, question: str) -> bool:
    """Whether the text defines what the question asks about (``definition_of``)."""
    definition = definition_of(question)
    return definition is not None and definition.match(text.strip()) is not None


def asked_answer(question: str, index: KeywordIndex) -> Sentence | None:
    """The first sentence under a heading that asks the question (``asks_as``), as a FAQ's "5.1. Why don't my
    variables like $var get expanded in my sed script?" asks "Why don't my variables get expanded in my sed
    script?". Every sentence under that heading is embedded and indexed with it, and so ranks about as high
    ("Thus," above the answer); the answer opens the section."""
    return next((first for section, first in index.asked.items() if asks_as(question, last_heading(section))), None)


def asks_as(question: str, heading: str) -> bool:
    """Whether the heading asks the question: it holds the question's first word ("why", "how", "does"…) and every
    content word of it. "How do I build a "dynamic" ENGINE?" holds the words of "What does the dynamic ENGINE
    do?" and asks another question; "Do XZ Utils support the .7z format?" holds all but one word of "Do XZ Utils
    support encryption?", the one it asks about."""
    first = next((w.lower() for w in words(question) if w[:1].isalpha()), None)
    asked = content_words(question)  # "What is it?" asks nothing a heading could hold
    return bool(asked) and first in {w.lower() for w in words(heading)} and asked <= content_words(heading)


def with_each_first(ranked_ids: list[str], firsts: list[str], k: int) -> list[str]:
    """The first ``k`` of the fused ``ranked_ids``, each ranking's first among them: fused by weight, one ranking's
    whole list can outrank another's best sentence (with the keyword weight at 3, a sentence BM25 ranks 12th beats
    the one the embeddings rank first), and that sentence is often the answer to a question that paraphrases the
    document. Those fusion left out take the last places, in fused order."""
    top, firsts_left_out = ranked_ids[:k], set(firsts) - set(ranked_ids[:k])
    if not firsts_left_out:
        return top
    missing = [i for i in ranked_ids if i in firsts_left_out][:k]
    return top[: k - len(missing)] + missing


def diversify(hits: list[ScoredSentence], vectors: dict[str, list[float]], k: int, lam: float) -> list[ScoredSentence]:
    """The ``k`` hits marked for the model: the first, and each ranking's first (``ScoredSentence.leads``), then by
    maximal marginal relevance, trading relevance (cosine) against likeness to those picked. Relevance by cosine
    alone drops the sentence BM25 ranked first for holding the question's own words, when its embedding is less like
    the question's than others' ("check whether Cargo is installed by entering…" for "How do I check whether Cargo
    is installed?")."""
    if not hits or any(h.sentence.id not in vectors for h in hits):
        return hits[:k]  # without every vector, keep retrieval's order
    matrix = np.asarray([vectors[h.sentence.id] for h in hits])
    likeness = matrix @ matrix.T
    relevance = np.asarray([h.score for h in hits])
    chosen = [0, *(n for n, h in enumerate(hits) if h.leads and n)][:k]
    closest = likeness[chosen].max(axis=0)  # each hit's greatest likeness to any chosen one
    while len(chosen) < min(k, len(hits)):
        value = lam * relevance - (1 - lam) * closest
        value[chosen] = -np.inf
        best = int(np.argmax(value))
        chosen.append(best)
        closest = np.maximum(closest, likeness[best])
    return [hits[i] for i in chosen]


def introduced(sentence: Sentence, following: Callable[[Sentence], Sentence | None]) -> list[Sentence]:
    """What a sentence that leads in (``leads_in``) introduces: the code block after it ("Install it with pip:"),
    or the sentences of the list after it ("Here is the list of types the parser can manage:"), up to ``LISTED``.
    Quoted without them, it answers nothing."""
    if sentence.code or not leads_in(sentence.text):
        return []
    after = following(sentence)
    if after is None or after.code:
        return [after] if after is not None else []
    listed: list[Sentence] = []
    while after is not None and after.item and len(listed) < LISTED:
        listed.append(after)
        after = following(after)
    return listed


def introducer(item: Sentence, preceding: Callable[[Sentence], Sentence | None]) -> Sentence | None:
    """The sentence that introduces the list an item is in ("provided that You meet the following conditions:"),
    when one does: the first before it that is no item, if it leads in (``leads_in``)."""
    before = preceding(item) if item.item else None
    while before is not None and before.item:
        before = preceding(before)
    return before if before is not None and leads_in(before.text) else None


def cut_after(sentence: Sentence, following: Callable[[Sentence], Sentence | None]) -> bool:
    """Whether a list goes on after this item of it: the sentence after it is an item too."""
    after = following(sentence)
    return sentence.item and after is not None and after.item


def with_context(hits: list[ScoredSentence], index: KeywordIndex, window: int = 0) -> list[Sentence]:
    """The chosen sentences, each preceded by the sentence before it when it leans back on it; with ``window``,
    each comes with up to that many sentences either side, in document order. A sentence that introduces a code
    block or a list brings it along."""
    out: list[Sentence] = []
    for hit in hits:
        sentence = hit.sentence
        if window:
            nearby = index.neighbours(sentence, window)
        else:
            before = [n for n in index.neighbours(sentence, 1) if n.index == sentence.index - 1]
            leans = leans_back(sentence.text) and not {b.id for b in before} & {h.sentence.id for h in hits}
            nearby = [*(before if leans else []), sentence]
        nearby += [n for n in introduced(sentence, index.following) if n not in nearby]
        out += [n for n in nearby if n.id not in {s.id for s in out}]
    return out


def retrieval_query(question: str, history: Sequence[Turn]) -> list[str]:
    """The retrieval queries: the question, and for a follow-up also the question after the previous user turn.

    Rankings of both are fused, so the follow-up's own words lead and the earlier subject breaks ties.
    """
    previous = [t.content for t in history if t.role == "user" and t.content.strip()]
    return [question, f"{previous[-1]} {question}"] if previous else [question]
