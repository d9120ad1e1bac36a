"""The Gradio UI: pure rendering helpers, and the chat handler over a pipeline built from fakes."""

from __future__ import annotations

import logging
from pathlib import Path

import gradio as gr
import pytest

from rag.answer import InvalidQuestion
from rag.embeddings import HashEmbeddings
from rag.llm.fake import ScriptedChatModel
from rag.service import ingest_default, load_pipeline, open_store
from rag.settings import Settings
from rag.types import Answer, Citation, Sentence, Turn
from ui.app import (
    EXAMPLES,
    SUGGESTIONS_HEADING,
    build_ui,
    history_to_turns,
    new_chat,
    render_answer,
    render_error,
    render_sources,
    render_timings,
    respond,
)

DOC = (
    "The alliance rests on shared concerns about regional security. "
    "Cyber defense and outer space are new domains of cooperation. "
    "ASEAN countries help balance the region."
)
FIRST = "The alliance rests on shared concerns about regional security."


def citation(n: int, text: str = "A sentence.", start: int = 0) -> Citation:
    return Citation(
        id=f"id-{n}", source="essay.txt", text=text, start=start, end=start + len(text), score=0.5 + n / 100
    )


def sentence(n: int, text: str = "A passage.") -> Sentence:
    return Sentence(id=f"s-{n}", source="essay.txt", text=text, start=10 * n, end=10 * n + len(text), index=n)


# --- rendering helpers -------------------------------------------------------------------------------------------


def test_cited_answer_lists_each_citation_with_marker_id_source_location_and_score():
    answer = Answer(
        answer="First [1] second [2]",
        refused=False,
        citations=[citation(1, "First fact.", 0), citation(2, "Second fact.", 40)],
        timings_ms={"retrieve": 1.0, "generate": 2.0, "ground": 3.0, "total": 6.0},
    )
    html = render_sources(answer)
    assert "Sources" in html and SUGGESTIONS_HEADING not in html
    for n, (cid, loc, score) in enumerate([("id-1", "0–11", "0.51"), ("id-2", "40–52", "0.52")], start=1):
        assert f"[{n}]" in html
        assert cid in html
        assert f"characters {loc}" in html
        assert f"score {score}" in html
    assert "essay.txt" in html
    assert html.index("First fact.") < html.index("Second fact.")
    assert render_answer(answer) == "First [1] second [2]"


def test_refusal_shows_suggestions_labelled_not_citations():
    answer = Answer(
        answer="The document doesn't cover this.",
        refused=True,
        mode="refusal",
        suggestions=[sentence(1, "Nearest passage."), sentence(2, "Next passage.")],
    )
    html = render_sources(answer)
    assert SUGGESTIONS_HEADING in html and "not citations" in html
    assert "Nearest passage." in html and "Next passage." in html
    assert "s-1" in html and "characters 10–26" in html
    assert "[1]" not in html and "<ol>" not in html and "<h3>Sources</h3>" not in html


def test_refusal_without_suggestions_is_not_blank():
    html = render_sources(Answer(answer="No.", refused=True, mode="refusal"))
    assert SUGGESTIONS_HEADING in html and "No passage" in html


def test_document_and_answer_text_are_html_escaped():
    evil = '<script>alert("x")</script> & <b>bold</b>'
    answer = Answer(
        answer=f"{evil} [1]",
        refused=False,
        citations=[Citation(id="<i>", source="<a>.txt", text=evil, start=0, end=5, score=0.9)],
    )
    html = render_sources(answer)
    assert "<script>" not in html and "<b>" not in html and "<i>" not in html and "<a>" not in html
    assert "&lt;script&gt;" in html and "&amp;" in html and "&lt;a&gt;.txt" in html
    chat = render_answer(answer)
    assert "<script>" not in chat and "&lt;script&gt;" in chat and chat.endswith("[1]")
    refusal = render_sources(Answer(answer="no", refused=True, suggestions=[sentence(1, evil)]))
    assert "<script>" not in refusal and "&lt;script&gt;" in refusal


def test_timings_line_lists_each_stage():
    answer = Answer(
        answer="x [1]",
        refused=False,
        citations=[citation(1)],
        timings_ms={"retrieve": 12.3, "generate": 456.7, "ground": 8.9, "total": 478.0},
        dropped=["unsupported"],
    )
    line = render_timings(answer)
    for part in ("retrieve 12 ms", "generate 457 ms", "ground 9 ms", "total 478 ms", "mode generated"):
        assert part in line
    assert "1 unsupported model sentence removed" in line
    assert render_timings(None) == ""


def test_errors_render_as_a_visible_message():
    assert render_error(InvalidQuestion("question is empty: say something")).startswith("⚠ question is empty")
    other = render_error(RuntimeError("<secret internals>"))
    assert other.startswith("⚠") and "RuntimeError" in other and "secret" not in other


def test_history_to_turns_reads_gradio6_messages_and_skips_failed_exchanges():
    chat = [
        {"role": "user", "content": [{"type": "text", "text": "Why &amp; how?"}]},
        {"role": "assistant", "content": [{"type": "text", "text": "Because [1]"}], "metadata": None},
        {"role": "user", "content": "x" * 10},
        {"role": "assistant", "content": "⚠ question is too long: ..."},
        {"role": "user", "content": "And then?"},
        {"role": "assistant", "content": "Then [1]"},
    ]
    assert history_to_turns(chat) == [
        Turn(role="user", content="Why & how?"),
        Turn(role="assistant", content="Because [1]"),
        Turn(role="user", content="And then?"),
        Turn(role="assistant", content="Then [1]"),
    ]
    assert history_to_turns(None) == []
    assert history_to_turns([gr.ChatMessage(role="user", content="hi")]) == [Turn(role="user", content="hi")]


def test_examples_include_the_headline_question():
    assert "Why does the Japan-US alliance persist?" in EXAMPLES and len(EXAMPLES) >= 4


def test_new_chat_clears_chat_sources_and_timings():
    chat, sources, timings, box = new_chat()
    assert chat == [] and timings == "" and box == ""
    assert sources == render_sources(None)


# --- the chat handler over a pipeline built from fakes ------------------------------------------------------------


def make_pipeline(tmp_path: Path, reply: str, **overrides):
    data = tmp_path / "data"
    data.mkdir(exist_ok=True)
    (data / "essay.txt").write_text(DOC, encoding="utf-8")
    settings = Settings(state_dir=tmp_path / "state", data_dir=data, llm="fake", **overrides)
    store = open_store(settings, HashEmbeddings())
    ingest_default(settings, store, progress=False)
    return load_pipeline(settings, store, ScriptedChatModel(replies=[reply]))


@pytest.fixture
def pipeline(tmp_path):
    return make_pipeline(tmp_path, FIRST, refusal_threshold=0.0)


def test_build_ui_returns_blocks(pipeline):
    blocks = build_ui(pipeline)
    assert isinstance(blocks, gr.Blocks)
    assert blocks.title == "alliance-qa"


def test_answer_appears_in_chat_with_markers_and_sources(pipeline):
    chat, sources, timings, box = respond(pipeline, "What do the alliance concerns about regional security?", [])
    assert [m["role"] for m in chat] == ["user", "assistant"]
    last = chat[-1]["content"]
    assert FIRST in last and "[1]" in last
    assert "[1]" in sources and "essay.txt" in sources and "characters 0–" in sources
    assert "retrieve" in timings and "total" in timings
    assert box == ""


def test_follow_up_sends_history_as_turns(pipeline):
    calls = []
    original = pipeline.answer

    def spy(question, history=(), on_token=None):
        calls.append((question, list(history)))
        return original(question, history)

    pipeline.answer = spy
    chat, *_ = respond(pipeline, "What about regional security?", [])
    # Gradio 6 hands the chat back with content as a list of text parts
    chat = [{"role": m["role"], "content": [{"type": "text", "text": m["content"]}]} for m in chat]
    chat, *_ = respond(pipeline, "And the alliance?", chat)
    assert len(chat) == 4 and "[1]" in chat[-1]["content"]
    question, history = calls[-1]
    assert question == "And the alliance?"
    assert [t.role for t in history] == ["user", "assistant"]
    assert history[0].content == "What about regional security?"


def test_blank_question_yields_error_bubble(pipeline):
    chat, sources, timings, _ = respond(pipeline, "   ", [])
    assert len(chat) == 1 and chat[-1]["role"] == "assistant"
    assert chat[-1]["content"].startswith("⚠") and "empty" in chat[-1]["content"]
    assert sources == render_sources(None) and timings == ""


def test_too_long_question_yields_error_and_keeps_text(tmp_path):
    pipeline = make_pipeline(tmp_path, FIRST, refusal_threshold=0.0, max_question_chars=10)
    chat, _, _, box = respond(pipeline, "a question far too long", [])
    assert chat[-1]["content"].startswith("⚠ question is too long")
    assert box == "a question far too long"


def test_unexpected_failure_is_shown_and_logged(caplog):
    class Broken:
        def answer(self, question, history=(), on_token=None):
            raise RuntimeError("boom")

    with caplog.at_level(logging.ERROR, logger="ui.app"):
        chat, *_ = respond(Broken(), "Why?", [])
    assert chat[-1]["content"].startswith("⚠ Something went wrong")
    assert any(r.exc_info and "boom" in str(r.exc_info[1]) for r in caplog.records)


def test_user_question_is_escaped_in_chat(pipeline):
    chat, *_ = respond(pipeline, "<img src=x onerror=alert(1)> regional security?", [])
    assert "<img" not in chat[0]["content"] and "&lt;img" in chat[0]["content"]


def test_refusal_in_chat_lists_suggestions_not_citations(tmp_path):
    pipeline = make_pipeline(tmp_path, FIRST, refusal_threshold=0.99)
    chat, sources, _, _ = respond(pipeline, "What about regional security and space?", [])
    assert "doesn" in chat[-1]["content"] and "[1]" not in chat[-1]["content"]
    assert SUGGESTIONS_HEADING in sources and "<h3>Sources</h3>" not in sources


def test_blocks_mount_into_fastapi(pipeline):
    from fastapi import FastAPI
    from fastapi.testclient import TestClient

    app = gr.mount_gradio_app(FastAPI(), build_ui(pipeline), path="/")
    with TestClient(app) as client:
        response = client.get("/")
    assert response.status_code == 200 and "alliance-qa" in response.text
