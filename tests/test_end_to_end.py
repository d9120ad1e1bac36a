"""The real embedded SmolLM2 model, in process, over the real essay store."""

from __future__ import annotations

import pytest

from rag.answer import Pipeline
from rag.llm import make_chat_model
from tests.conftest import essay_text


@pytest.fixture(scope="module")
def real_pipeline(essay_store, essay_settings) -> Pipeline:
    return Pipeline(essay_store, make_chat_model(essay_settings), essay_settings)


def test_main_question_gets_a_cited_answer_whose_offsets_slice_the_file(real_pipeline):
    answer = real_pipeline.answer("Why does the Japan-US alliance persist?")
    essay = essay_text()
    assert not answer.refused and answer.citations
    for n, citation in enumerate(answer.citations, 1):
        assert essay[citation.start : citation.end] == citation.text
        assert f"[{n}]" in answer.answer
    for sentence in answer.sentences:  # every sentence shown is backed by at least one citation
        assert sentence.citations and sentence.text in answer.answer
    assert answer.timings_ms["generate"] > 0


def test_off_topic_question_is_refused(real_pipeline):
    answer = real_pipeline.answer("What is the population of Tokyo?")
    assert answer.refused and answer.citations == []


def test_hurdles_question_cites_the_hurdles_sentence(real_pipeline):
    answer = real_pipeline.answer("What hurdles does the alliance face?")
    assert any("pose hurdles" in c.text or "complexities" in c.text for c in answer.citations), answer
