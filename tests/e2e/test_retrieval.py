"""Dense retrieval on the essay with the real embedding model."""

import numpy as np
import pytest

from rag.answer import Pipeline
from rag.answer.levels import derive_levels

CASES = [
    ("Which new areas do Japan and the US work on together?", "Cybersecurity, space exploration, and AI"),
    ("What hurdles does the alliance face?", "Domestic pressures, economic dependencies"),
    ("Where did the alliance come from historically?", "Historically, the Japan-US alliance has evolved"),
    ("Why do they need partnerships with ASEAN countries?", "Both Japan and the US recognize that maintaining"),
]


@pytest.mark.parametrize("question,expected", CASES)
def test_question_retrieves_the_sentence_that_answers_it(real_essay_store, essay_settings, question, expected):
    hits = Pipeline(real_essay_store, None, essay_settings).retrieve(question)
    assert any(h.sentence.text.startswith(expected) for h in hits[:3]), [h.sentence.text[:40] for h in hits[:3]]
    assert hits == sorted(hits, key=lambda h: h.rank, reverse=True)


def test_each_rankings_first_is_flagged_as_leading(real_essay_store, essay_settings):
    question = "Which new areas do Japan and the US work on together?"
    hits = Pipeline(real_essay_store, None, essay_settings).retrieve(question)
    dense = real_essay_store.search(real_essay_store.embeddings.embed_query(question), 1)[0].sentence
    keyword = real_essay_store.keywords().search(question, 1)[0][0]
    assert {h.sentence.id for h in hits if h.leads} == {dense.id, keyword.id}


def test_derived_levels_refuse_off_topic_probes_and_pass_the_essays_own_questions(real_essay_store):
    """With the real embeddings the two probe sets separate: the level lies between them."""
    levels = derive_levels(real_essay_store)
    off, on = np.array(levels.off_topic), np.array(levels.on_topic)
    assert (off < levels.similarity).mean() >= 0.85 and (on >= levels.quote).mean() >= 0.98
    assert 0.05 < levels.similarity <= levels.quote < 0.3
