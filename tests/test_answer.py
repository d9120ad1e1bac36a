"""The answer chain with a scripted chat model over the real essay store."""

from __future__ import annotations

import pytest

from rag.answer import InvalidQuestion, Pipeline
from rag.types import Turn
from tests.conftest import essay_text

ESSAY = essay_text()
DOMAINS = (
    "Cybersecurity, space exploration, and AI are new domains where Japan and the US are collaborating closely, "
    "preparing for future challenges that transcend traditional military concerns."
)


def assert_exact(answer):
    for c in answer.citations:
        assert ESSAY[c.start : c.end] == c.text and c.source == "japan_us_alliance.txt"


def test_copied_sentence_with_wrong_marker_is_cited_to_its_real_source(pipeline, scripted):
    scripted.enqueue(f"{DOMAINS} [4]")
    answer = pipeline.answer("Which new domains do Japan and the US collaborate in?")
    assert not answer.refused and answer.mode == "generated"
    assert [c.text for c in answer.citations] == [DOMAINS]
    assert answer.answer.endswith("[1]") and answer.citations[0].support > 0.9
    assert_exact(answer)


def test_invented_sentence_is_dropped_and_supported_one_kept(pipeline, scripted):
    invented = "The alliance was signed by Churchill on the Moon."
    scripted.enqueue(f"{DOMAINS} [1] {invented} [2]")
    answer = pipeline.answer("Which new domains do Japan and the US collaborate in?")
    assert answer.dropped == [invented]
    assert "Churchill" not in answer.answer
    assert [s.text for s in answer.sentences] == [DOMAINS]


def test_claim_with_a_number_the_source_lacks_is_dropped(pipeline, scripted):
    scripted.enqueue(DOMAINS.replace("new domains", "12 new domains") + " [1]")
    answer = pipeline.answer("Which new domains do Japan and the US collaborate in?")
    assert answer.mode == "extractive"
    assert "12" not in answer.answer and len(answer.dropped) == 1
    assert DOMAINS in [c.text for c in answer.citations]


def test_unusable_model_output_falls_back_to_extractive_answer(pipeline, scripted):
    scripted.enqueue("Bananas are yellow and grow in bunches on tall plants.")
    answer = pipeline.answer("Which new domains do Japan and the US collaborate in?")
    assert answer.mode == "extractive" and not answer.refused
    assert answer.citations and answer.citations[0].text == DOMAINS
    assert answer.answer.startswith(DOMAINS)
    assert_exact(answer)


def test_model_saying_not_in_document_still_gets_cited_sources(pipeline, scripted):
    scripted.enqueue("NOT IN DOCUMENT")
    answer = pipeline.answer("Which new domains do Japan and the US collaborate in?")
    assert answer.mode == "extractive" and answer.citations


def test_weak_evidence_is_refused_without_calling_the_model(pipeline, scripted):
    answer = pipeline.answer("What is the population of Tokyo?")
    assert answer.refused and answer.citations == [] and answer.mode == "refusal"
    assert "doesn't cover" in answer.answer
    assert scripted.calls == []
    assert answer.suggestions  # closest passages are offered, but not as citations


def test_prompt_numbers_the_retrieved_sentences(pipeline, scripted):
    scripted.enqueue(f"{DOMAINS} [1]")
    pipeline.answer("Which new domains do Japan and the US collaborate in?")
    prompt = scripted.calls[0][-1].content
    assert "[1] " in prompt and DOMAINS in prompt and "Question: Which new domains" in prompt


def test_failing_model_still_answers_extractively(pipeline):
    class Broken(type(pipeline.chat_model)):
        def _stream(self, *args, **kwargs):
            raise ConnectionError("backend down")
            yield

    pipeline.chat_model = Broken()
    answer = pipeline.answer("Which new domains do Japan and the US collaborate in?")
    assert answer.mode == "extractive" and answer.citations[0].text == DOMAINS


@pytest.mark.parametrize("question", ["", "   \n", "x" * 2001])
def test_blank_or_huge_question_is_rejected(pipeline, question):
    with pytest.raises(InvalidQuestion):
        pipeline.answer(question)


def test_streamed_tokens_reach_the_callback(pipeline, scripted):
    scripted.enqueue(f"{DOMAINS} [1]")
    tokens: list[str] = []
    pipeline.answer("Which new domains do Japan and the US collaborate in?", on_token=tokens.append)
    assert "".join(tokens).strip() == f"{DOMAINS} [1]"


HISTORY = [Turn(role="user", content="Why does the Japan-US alliance persist?"), Turn(role="assistant", content="…")]


def test_embedded_model_follow_up_uses_the_deterministic_fallback(pipeline, scripted):
    assert pipeline.queries("What hurdles does it face?", HISTORY) == [
        "What hurdles does it face?",
        "Why does the Japan-US alliance persist? What hurdles does it face?",
    ]
    assert scripted.calls == []


def test_capable_backend_rewrites_the_follow_up(essay_store, essay_settings, scripted):
    rewritten = "What hurdles does the Japan-US alliance face?"
    scripted.enqueue(rewritten, rewritten, "NOT IN DOCUMENT")
    remote = Pipeline(essay_store, scripted, essay_settings.model_copy(update={"llm": "openai:some-model"}))
    assert remote.queries("What hurdles does it face?", HISTORY) == [
        "What hurdles does it face?",
        "What hurdles does the Japan-US alliance face?",
    ]
    assert "Last question: What hurdles does it face?" in scripted.calls[0][-1].content
    answer = remote.answer("What hurdles does it face?", HISTORY)
    assert any("pose hurdles" in c.text for c in answer.citations)


PAST = (
    "Historically, the Japan-US alliance has evolved from its post-World War II origin into a robust pillar of East "
    "Asian security."
)


def test_a_true_sentence_that_does_not_answer_the_question_is_dropped(pipeline, scripted):
    # Both sentences are in the essay and among the sources given to the model; only the first answers the question.
    scripted.enqueue(f"{DOMAINS} [1] {PAST} [2]")
    answer = pipeline.answer("Which new domains do Japan and the US collaborate in?")
    assert answer.mode == "generated" and [s.text for s in answer.sentences] == [DOMAINS]
    assert answer.dropped == [PAST]


def test_without_a_relevance_margin_a_true_but_off_question_sentence_is_kept(pipeline, scripted):
    scripted.enqueue(f"{DOMAINS} [1] {PAST} [2]")
    pipeline.settings = pipeline.settings.model_copy(update={"relevance_margin": None})
    answer = pipeline.answer("Which new domains do Japan and the US collaborate in?")
    assert [s.text for s in answer.sentences] == [DOMAINS, PAST] and answer.dropped == []
