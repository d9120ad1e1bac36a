"""Refusal levels derived from the collection itself, so that they hold on a corpus no one calibrated on.

Cosine similarities depend on the corpus: how close an off-topic question comes to a document about alliances is
not how close it comes to a tutorial on virtual environments. So the similarity levels are measured per
collection, against two sets of probe questions:

- off-topic probes: everyday questions about unrelated subjects (cooking, sport, astronomy, …), the same for every
  collection; what they score against the collection is what "nothing here is about this" looks like;
- on-topic probes, written from the collection's own sentences (a few of each sampled sentence's longest words,
  as a question); what they score is what "this is about the documents" looks like.

``similarity`` (below it, refuse without asking the model) is the 90th percentile of the off-topic probes' best
similarity; ``quote`` (when the model says the documents do not answer, quote the best sentences only above it)
is the highest off-topic score. Neither may exceed the 2nd percentile of the on-topic probes, so questions about
the documents' own content are never gated away, nor is a question one of whose sentences holds most of its words
(``held``), however weak its embedding. The model's own judgement (``judge_threshold``) is a
probability, not a similarity, and stays one setting.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from rag.store.chroma import Store
from rag.text.words import STOP_WORDS, content_words, words

OFF_TOPIC_PROBES = (
    "How do I bake sourdough bread at home?",
    "Who won the football world cup in 2014?",
    "What is the boiling point of water on a high mountain?",
    "How many moons does Jupiter have?",
    "What are the symptoms of the flu?",
    "How do I change a flat tyre on a bicycle?",
    "Which chess opening is best for beginners?",
    "What is the recipe for a classic margarita?",
    "How tall is the Eiffel Tower?",
    "When should I prune roses in the garden?",
    "What is the best way to learn to play the guitar?",
    "What causes the northern lights?",
    "How do I remove a red wine stain from a carpet?",
    "Who painted the Mona Lisa?",
    "How long should I boil an egg for a soft yolk?",
    "Which whales sing the longest songs?",
    "How do I knit a scarf?",
    "What is a good stretching routine after running?",
    "What are the rules of cricket?",
    "How do I train my puppy to sit?",
    "Why is the sky blue?",
    "What is the plot of Hamlet?",
    "How do I grow tomatoes on a balcony?",
    "Which planets have rings?",
    "How do I make cold brew coffee?",
    "What is the tallest mountain in Africa?",
    "How do I fix a dripping tap?",
    "What should I pack for a week of camping?",
    "How do bees make honey?",
    "What is the difference between a violin and a viola?",
)
FALLBACK_SIMILARITY, FALLBACK_QUOTE = 0.14, 0.20
"""For a collection too small to probe: the levels the default corpus's gold set calibrated (eval.calibrate)."""
HELD_SHARE = 2 / 3
"""The share of a question's content words one sentence must hold for it to be about the documents (``held``)."""
ON_TOPIC_SAMPLE = 60
"""Most sentences turned into on-topic probes (spread evenly over the collection)."""


@dataclass(frozen=True)
class RefusalLevels:
    """The similarity levels of one collection, and the probe scores they were drawn from."""

    similarity: float = FALLBACK_SIMILARITY
    quote: float = FALLBACK_QUOTE
    off_topic: tuple[float, ...] = ()
    on_topic: tuple[float, ...] = ()


def on_topic_probe(sentence: str, size: int = 4) -> str:
    """A question about a sentence built from its longest words, in their order: "What about a b c d?"."""
    tokens = [t for t in words(sentence) if t.lower() not in STOP_WORDS and len(t) > 2]
    longest = sorted(sorted(range(len(tokens)), key=lambda i: -len(tokens[i]))[:size])
    return "What about " + " ".join(tokens[i] for i in longest) + "?"


def derive_levels(store: Store) -> RefusalLevels:
    """The collection's levels; the fallback levels when it has too little text to probe."""
    sentences = [s for s in store.keywords().sentences if not s.code and len(content_words(s.text)) >= 4]
    if len(sentences) < 5:
        return RefusalLevels()
    step = max(1, len(sentences) // ON_TOPIC_SAMPLE)
    own = [on_topic_probe(s.text) for s in sentences[::step][:ON_TOPIC_SAMPLE]]
    vectors = store.embeddings.embed_documents([*OFF_TOPIC_PROBES, *own])

    def best(vector: list[float]) -> float:
        hits = store.search(vector, k=1)
        return hits[0].score if hits else 0.0

    scores = np.array([best(v) for v in vectors])
    off, on = scores[: len(OFF_TOPIC_PROBES)], scores[len(OFF_TOPIC_PROBES) :]
    ceiling = float(np.quantile(on, 0.02))
    return RefusalLevels(
        similarity=round(min(float(np.quantile(off, 0.9)), ceiling), 4),
        quote=round(min(float(off.max()), ceiling), 4),
        off_topic=tuple(round(float(x), 4) for x in off),
        on_topic=tuple(round(float(x), 4) for x in on),
    )


def held(question: str, texts: list[str]) -> bool:
    """Whether one of the texts holds at least ``HELD_SHARE`` of the question's content words, and two or more: the
    question is about the documents, however far its embedding lies from theirs. "Which operating system do the
    instructions use?" scores a cosine of 0.12, below off-topic questions, against "The following brief
    instructions… use a network configuration specific to the OpenBSD operating system", which holds its words."""
    asked = content_words(question)
    return any(
        len(shared) >= 2 and len(shared) >= HELD_SHARE * len(asked)
        for shared in (asked & content_words(text) for text in texts)
    )
