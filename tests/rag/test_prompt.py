"""The prompts: the fixed part first, sentences numbered, earlier answers' markers dropped, replies read."""

from __future__ import annotations

from rag.answer.prompt import (
    NOT_IN_DOCUMENT,
    document_messages,
    document_prefix,
    draft_judge_messages,
    judge_messages,
    numbered,
    read_reply,
    retrieved_messages,
)
from rag.types import Sentence, Turn


def sentence(source: str, index: int, text: str) -> Sentence:
    return Sentence(id=f"{source}-{index}", source=source, text=text, start=0, end=len(text), index=index)


ONE = [sentence("a.txt", 0, "Alpha is first."), sentence("a.txt", 1, "Beta  follows\nit.")]
TWO = [*ONE, sentence("b.md", 0, "Gamma is elsewhere.")]


def test_one_source_is_a_plain_numbered_list_with_its_whitespace_collapsed():
    assert numbered(ONE) == "[1] Alpha is first.\n[2] Beta follows it."


def test_several_sources_are_headed_and_numbered_through():
    assert (
        numbered(TWO)
        == "Document: a.txt\n[1] Alpha is first.\n[2] Beta follows it.\nDocument: b.md\n[3] Gamma is elsewhere."
    )


def test_the_question_comes_after_the_fixed_prefix_with_the_marked_numbers():
    prefix = document_prefix(ONE)
    history = [Turn(role="user", content="What is first?"), Turn(role="assistant", content="Alpha is first. [1]")]
    messages = document_messages(prefix, "And then?", [2, 1], history)
    assert messages[0] is prefix and prefix.content.endswith("Document:\n[1] Alpha is first.\n[2] Beta follows it.")
    assert [m.type for m in messages] == ["system", "human", "ai", "human"]
    assert messages[2].content == "Alpha is first."  # the old answer's numbers are not the document's
    assert messages[-1].content == "Sentences most relevant to the question: [2], [1]\nQuestion: And then?"


def test_the_judgement_shares_the_prefix():
    prefix = document_prefix(ONE)
    messages = judge_messages(prefix, "Is beta last?")
    assert messages[0] is prefix and "Reply YES or NO" in messages[-1].content


def test_the_draft_is_judged_after_the_prefix_without_its_markers():
    prefix = document_prefix(ONE)
    messages = draft_judge_messages(prefix, "Is beta last?", "Beta follows alpha. [2][1]")
    assert messages[0] is prefix and messages[-1].content.startswith(
        "Question: Is beta last?\nProposed answer: Beta follows alpha.\nDoes the proposed answer give"
    )


def test_the_retrieved_prompt_carries_the_sentences_with_the_question():
    messages = retrieved_messages("What follows?", ONE)
    assert messages[-1].content == "Sentences:\n[1] Alpha is first.\n[2] Beta follows it.\n\nQuestion: What follows?"


def test_replies_are_read_with_or_without_a_label():
    assert read_reply("  Answer: Beta follows it. [2]") == ("Beta follows it. [2]", False)
    assert read_reply(f"{NOT_IN_DOCUMENT}.") == ("", True)
    assert read_reply(f"Answer: {NOT_IN_DOCUMENT}") == ("", True)
    assert read_reply("The document is NOT IN DOCUMENT form.") == ("The document is NOT IN DOCUMENT form.", False)
