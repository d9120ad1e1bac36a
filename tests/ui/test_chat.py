"""The Gradio UI: pure rendering helpers, and the chat handler over a pipeline built from fakes."""

from __future__ import annotations

import html as htmllib
import json
import logging
import re
import threading
from pathlib import Path

import gradio as gr
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from ingest.markup import read_markdown
from rag.answer import InvalidQuestion, Pipeline
from rag.llm.fake import ScriptedChatModel
from rag.service import load_pipeline
from rag.settings import Settings
from rag.types import Answer, Citation, Sentence, Turn
from tests.samples import ROOT, hashed_store
from ui.chat.app import build_ui
from ui.chat.feedback import read_feedback
from ui.chat.handlers import ChatUpdate, new_chat, rate, respond, source_documents
from ui.chat.render import (
    DRAFT_MARK,
    DROPPED_LABEL,
    SUGGESTIONS_HEADING,
    history_to_turns,
    render_answer,
    render_draft,
    render_dropped,
    render_error,
    render_source_view,
    render_sources,
    render_timings,
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


def cite(n: int, document: str, text: str, support: float = 0.9, source: str = "essay.txt") -> Citation:
    """A citation of ``text`` where it is in ``document``."""
    start = document.index(text)
    return Citation(
        id=f"id-{n}", source=source, text=text, start=start, end=start + len(text), score=0.5, support=support
    )


MARK = re.compile(r'<mark id="cite-(\d+)"[^>]*>(.*?)</mark>', re.S)


def marked(view: str) -> dict[int, str]:
    """The highlighted spans of a source view: marker number -> the (unescaped) text inside its <mark>."""
    return {int(n): htmllib.unescape(text) for n, text in MARK.findall(view)}


def visible_text(view: str) -> str:
    """The document text of a source view: tags, headings and the [n] score tags removed, entities unescaped."""
    body = "".join(re.findall(r'<div class="qa-doc-text"[^>]*>(.*?)</div>', view, re.S))
    body = re.sub(r"<sup[^>]*>.*?</sup>", "", body, flags=re.S)
    return htmllib.unescape(re.sub(r"<[^>]+>", "", body))


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
        assert f'href="#cite-{n}"' in html
    assert "support 0.00" in html  # support defaults to 0 in these citations
    assert "essay.txt" in html
    assert html.index("First fact.") < html.index("Second fact.")
    assert render_answer(answer) == "First [1] second [2]"


def test_an_answer_quoting_for_a_name_the_documents_never_mention_says_so_first():
    answer = Answer(answer="Nearest. [1]", refused=False, mode="extractive", unmentioned=["South <Korea>"])
    note = (
        "The documents never mention “South &lt;Korea&gt;”: the sentences closest to the question are quoted instead."
    )
    assert render_answer(answer) == f"*{note}*\n\nNearest. [1]"


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


def test_the_default_collection_is_presented_in_its_own_words(tmp_path):
    from rag.library import collection_text

    essay = collection_text("alliance", ROOT / "data")
    assert "Why does the Japan-US alliance persist?" in essay.examples and len(essay.examples) >= 4
    assert "Japan" in essay.title and essay.placeholder
    plain = collection_text("notes", tmp_path)
    assert plain.title == "notes" and plain.examples == [] and "Japan" not in plain.description
    (tmp_path / "collection.toml").write_text('title = "Harbour notes"\nexamples = ["When does the pier open?"]\n')
    assert collection_text("notes", tmp_path).examples == ["When does the pier open?"]
    (tmp_path / "collection.toml").write_text("title = [broken")
    assert collection_text("notes", tmp_path).title == "notes"  # a broken file falls back to neutral text


def test_new_chat_clears_everything():
    chat, sources, view, dropped, timings, box, exchanges, feedback = new_chat()
    assert chat == [] and timings == "" and box == "" and exchanges == {} and feedback == ""
    assert sources == render_sources(None)
    assert view == render_source_view(None, {}) and "<mark" not in view
    assert dropped == render_dropped(None)


# --- source view, removed sentences, drafts, feedback -------------------------------------------------------------


def test_source_view_marks_exactly_the_cited_spans_in_the_whole_document():
    second = "Cyber defense and outer space are new domains of cooperation."
    answer = Answer(
        answer="x [1] y [2]",
        refused=False,
        citations=[cite(1, DOC, second, support=0.93), cite(2, DOC, FIRST, support=0.71)],
    )
    view = render_source_view(answer, {"essay.txt": DOC})
    assert marked(view) == {1: second, 2: FIRST}
    for c in answer.citations:
        assert DOC[c.start : c.end] == c.text
    assert visible_text(view) == DOC  # the whole document, nothing lost or added
    assert '<sup class="qa-cite-tag">[1] 0.93</sup>' in view and '<sup class="qa-cite-tag">[2] 0.71</sup>' in view
    assert view.index('id="cite-2"') < view.index('id="cite-1"')  # in document order
    assert "white-space: pre-wrap" in view and "<h4>essay.txt</h4>" in view


def test_source_view_escapes_html_and_keeps_paragraphs():
    document = 'Intro <b>bold</b> & more.\n\nThe <script>alert("x")</script> sentence.\nEnd.'
    evil = 'The <script>alert("x")</script> sentence.'
    view = render_source_view(
        Answer(answer="a [1]", refused=False, citations=[cite(1, document, evil)]), {"essay.txt": document}
    )
    assert "<script>" not in view and "<b>" not in view
    assert "&lt;script&gt;" in view and "&amp; more" in view
    assert marked(view) == {1: evil}
    assert visible_text(view) == document and "\n\n" in visible_text(view)


@settings(max_examples=60, deadline=None)
@given(
    document=st.text(alphabet=st.sampled_from("ab <>&\"'\n.é"), min_size=1, max_size=80),
    cuts=st.lists(st.integers(min_value=0, max_value=80), min_size=2, max_size=8, unique=True),
)
def test_source_view_marks_any_non_overlapping_spans(document, cuts):
    points = sorted({c % (len(document) + 1) for c in cuts})
    spans = [(a, b) for a, b in zip(points[::2], points[1::2]) if b > a]
    assume(spans)
    citations = [
        Citation(id=f"c{n}", source="d.txt", text=document[a:b], start=a, end=b, score=0.5, support=0.5)
        for n, (a, b) in enumerate(spans, start=1)
    ]
    view = render_source_view(Answer(answer="x", refused=False, citations=citations), {"d.txt": document})
    assert marked(view) == {n: c.text for n, c in enumerate(citations, start=1)}
    assert visible_text(view) == document


def test_source_view_for_refusal_highlights_nothing_and_missing_document_is_said():
    refusal = Answer(answer="The document doesn't cover this.", refused=True, mode="refusal")
    view = render_source_view(refusal, {"essay.txt": DOC})
    assert "<mark" not in view and "Nothing is cited" in view
    answer = Answer(answer="x [1]", refused=False, citations=[cite(1, DOC, FIRST, source="gone.txt")])
    assert "no longer available" in render_source_view(answer, {})


def test_source_view_finds_a_sentence_whose_offsets_moved():
    moved = Citation(id="c", source="essay.txt", text=FIRST, start=5, end=5 + len(FIRST), score=0.5, support=0.5)
    view = render_source_view(Answer(answer="x [1]", refused=False, citations=[moved]), {"essay.txt": DOC})
    assert marked(view) == {1: FIRST} and visible_text(view) == DOC


def test_dropped_sentences_are_listed_as_unsupported_and_escaped():
    answer = Answer(answer="x [1]", refused=False, citations=[citation(1)], dropped=["The moon <i>is</i> cheese."])
    html = render_dropped(answer)
    assert DROPPED_LABEL == "unsupported — removed" and DROPPED_LABEL in html
    assert "The moon &lt;i&gt;is&lt;/i&gt; cheese." in html and "<i>" not in html
    assert "No sentence was removed" in render_dropped(Answer(answer="x", refused=False))
    assert "No sentence was removed" in render_dropped(None)


def test_draft_is_marked_and_escaped():
    assert render_draft("") == f"*{DRAFT_MARK}*"
    draft = render_draft("Partly <b>written</b> ")
    assert draft.startswith(f"*{DRAFT_MARK}*") and draft.endswith("Partly &lt;b&gt;written&lt;/b&gt;")


def test_feedback_appends_a_jsonl_line_per_rating(tmp_path):
    path = tmp_path / "state" / "feedback.jsonl"
    answer = Answer(answer="First [1]", refused=False, citations=[citation(1)])
    exchanges = {1: {"question": "Why?", "answer": answer}}
    assert "helpful" in rate(path, exchanges, 1, True)
    assert "not helpful" in rate(path, exchanges, 1, "Dislike")
    lines = path.read_text(encoding="utf-8").splitlines()
    assert len(lines) == 2 and all(json.loads(line) for line in lines)
    records = read_feedback(path)
    assert [r["rating"] for r in records] == ["up", "down"]
    assert records[0]["question"] == "Why?" and records[0]["answer"] == "First [1]"
    assert records[0]["citations"] == ["id-1"]


def test_feedback_on_something_else_records_nothing(tmp_path):
    path = tmp_path / "feedback.jsonl"
    exchanges = {1: {"question": "Why?", "answer": Answer(answer="x", refused=False)}}
    assert "Only answers" in rate(path, exchanges, 0, True)  # the user's own message
    assert "Only answers" in rate(path, {}, 3, False)  # an error bubble: no answer behind it
    assert rate(path, exchanges, 1, None) == ""  # a rating taken back
    assert not path.exists()


# --- the chat handler over a pipeline built from fakes ------------------------------------------------------------


def make_pipeline(tmp_path: Path, reply: str | None, **overrides) -> Pipeline:
    """A real pipeline over DOC with hash embeddings and a scripted model (None: extractive only)."""
    data = tmp_path / "data"
    data.mkdir(exist_ok=True)
    (data / "essay.txt").write_text(DOC, encoding="utf-8")
    settings = Settings(state_dir=tmp_path / "state", data_dir=data, llm="fake", **overrides)
    store = hashed_store(settings)
    if reply is None:
        return Pipeline(store, None, settings)
    return load_pipeline(settings, store, ScriptedChatModel(replies=[reply]))


def final(updates) -> ChatUpdate:
    """The last update of the chat handler."""
    *_, last = updates
    return last


def assistant_texts(updates: list[ChatUpdate]) -> list[str]:
    return [m["content"] for u in updates for m in u.chat if m["role"] == "assistant"]


@pytest.fixture
def pipeline(tmp_path):
    return make_pipeline(tmp_path, FIRST, refusal_threshold=0.0)


class Gated:
    """Wraps a pipeline so that its model stops after the first token until the test has seen the draft."""

    def __init__(self, pipeline: Pipeline) -> None:
        self.pipeline = pipeline
        self.settings = pipeline.settings
        self.release = threading.Event()

    def answer(self, question, history=(), on_token=None):
        def gate(token: str) -> None:
            on_token(token)
            assert self.release.wait(timeout=30), "the test never released the model"

        return self.pipeline.answer(question, history, on_token=gate)

    def document(self, source: str) -> str:
        return self.pipeline.document(source)


def test_build_ui_returns_blocks(pipeline):
    blocks = build_ui(pipeline)
    assert isinstance(blocks, gr.Blocks)
    assert blocks.title == "alliance-qa"


def test_streamed_draft_is_shown_marked_then_replaced_by_the_grounded_answer(tmp_path):
    gated = Gated(make_pipeline(tmp_path, FIRST + " The moon is made of green cheese.", refusal_threshold=0.0))
    updates = respond(gated, "What are the alliance concerns about regional security?", [])
    asked = next(updates)
    assert [m["role"] for m in asked.chat] == ["user"] and asked.box == ""
    draft = next(updates)
    assert draft.chat[-1]["role"] == "assistant" and DRAFT_MARK in draft.chat[-1]["content"]
    assert "The" in draft.chat[-1]["content"] and "[1]" not in draft.chat[-1]["content"]
    assert "<mark" not in draft.view and draft.box == gr.skip()
    gated.release.set()
    rest = list(updates)
    assert all(DRAFT_MARK in u.chat[-1]["content"] for u in rest[:-1])
    last = rest[-1]
    assert [m["role"] for m in last.chat] == ["user", "assistant"]
    bubble = last.chat[-1]["content"]
    assert DRAFT_MARK not in bubble and FIRST in bubble and "[1]" in bubble
    assert "cheese" not in bubble  # the unsupported claim of the draft does not stay
    assert "cheese" in last.dropped and DROPPED_LABEL in last.dropped
    assert marked(last.view) == {1: FIRST} and "[1]" in last.sources and "support" in last.sources
    assert "1 unsupported model sentence removed" in last.timings
    assert last.box == gr.skip()
    assert last.exchanges[1]["question"] == "What are the alliance concerns about regional security?"
    assert last.exchanges[1]["answer"].citations[0].text == FIRST


def test_extractive_answer_streams_no_draft(tmp_path):
    pipeline = make_pipeline(tmp_path, None, refusal_threshold=0.0)
    updates = list(respond(pipeline, "Which new domains of cooperation?", []))
    assert len(updates) == 2 and not any(DRAFT_MARK in t for t in assistant_texts(updates))
    assert "[1]" in updates[-1].chat[-1]["content"] and "mode extractive" in updates[-1].timings
    assert marked(updates[-1].view)


def test_answer_appears_in_chat_with_markers_sources_and_highlights(pipeline):
    chat, sources, view, dropped, timings, box, exchanges = final(
        respond(pipeline, "What do the alliance concerns about regional security?", [])
    )
    assert [m["role"] for m in chat] == ["user", "assistant"]
    last = chat[-1]["content"]
    assert FIRST in last and "[1]" in last and DRAFT_MARK not in last
    assert "[1]" in sources and "essay.txt" in sources and "characters 0–" in sources
    assert marked(view) == {1: FIRST} and visible_text(view) == DOC
    assert "No sentence was removed" in dropped
    assert "retrieve" in timings and "total" in timings
    assert box == gr.skip() and list(exchanges) == [1]


def test_follow_up_sends_history_as_turns_and_keeps_earlier_answers_rateable(pipeline):
    calls = []
    original = pipeline.answer

    def spy(question, history=(), on_token=None):
        calls.append((question, list(history)))
        return original(question, history, on_token=on_token)

    pipeline.answer = spy
    first = final(respond(pipeline, "What about regional security?", []))
    # Gradio 6 hands the chat back with content as a list of text parts
    chat = [{"role": m["role"], "content": [{"type": "text", "text": m["content"]}]} for m in first.chat]
    second = final(respond(pipeline, "And the alliance?", chat, first.exchanges))
    assert len(second.chat) == 4 and "[1]" in second.chat[-1]["content"]
    question, history = calls[-1]
    assert question == "And the alliance?"
    assert [t.role for t in history] == ["user", "assistant"]
    assert history[0].content == "What about regional security?"
    assert sorted(second.exchanges) == [1, 3] and second.exchanges[3]["question"] == "And the alliance?"


def test_like_on_an_answer_records_feedback_in_the_pipeline_state(pipeline):
    update = final(respond(pipeline, "What about regional security?", []))
    rate(pipeline.settings.feedback_path, update.exchanges, 1, True)
    (record,) = read_feedback(pipeline.settings.feedback_path)
    assert record["rating"] == "up" and record["question"] == "What about regional security?"
    assert "[1]" in record["answer"]


def test_history_skips_an_unfinished_draft():
    chat = [
        {"role": "user", "content": "Why?"},
        {"role": "assistant", "content": render_draft("Because")},
        {"role": "user", "content": "And?"},
        {"role": "assistant", "content": "Then [1]"},
    ]
    assert history_to_turns(chat) == [Turn(role="user", content="And?"), Turn(role="assistant", content="Then [1]")]


def test_blank_question_yields_error_bubble(pipeline):
    updates = list(respond(pipeline, "   ", []))
    chat, sources, view, _, timings, box, _ = updates[-1]
    assert len(chat) == 1 and chat[-1]["role"] == "assistant"
    assert chat[-1]["content"].startswith("⚠") and "empty" in chat[-1]["content"]
    assert sources == render_sources(None) and timings == "" and "<mark" not in view
    assert box == "   "


def test_too_long_question_yields_error_and_keeps_text(tmp_path):
    pipeline = make_pipeline(tmp_path, FIRST, refusal_threshold=0.0, max_question_chars=10)
    last = final(respond(pipeline, "a question far too long", []))
    assert last.chat[-1]["content"].startswith("⚠ question is too long")
    assert last.box == "a question far too long"


def test_unexpected_failure_is_shown_and_logged(caplog):
    class Broken:
        def answer(self, question, history=(), on_token=None):
            on_token("Half a ")
            raise RuntimeError("boom")

    with caplog.at_level(logging.ERROR, logger="ui.chat.handlers"):
        updates = list(respond(Broken(), "Why?", []))
    last = updates[-1].chat[-1]["content"]
    assert last.startswith("⚠ Something went wrong") and DRAFT_MARK not in last
    assert any(r.exc_info and "boom" in str(r.exc_info[1]) for r in caplog.records)
    assert updates[-1].box == "Why?"


def test_no_update_ever_shows_a_blank_assistant_bubble(tmp_path):
    gated = Gated(make_pipeline(tmp_path, FIRST, refusal_threshold=0.0))
    gated.release.set()
    updates = list(respond(gated, "What about regional security?", []))
    assert updates and all(text.strip() for text in assistant_texts(updates))


def test_user_question_is_escaped_in_chat(pipeline):
    last = final(respond(pipeline, "<img src=x onerror=alert(1)> regional security?", []))
    assert "<img" not in last.chat[0]["content"] and "&lt;img" in last.chat[0]["content"]


def test_refusal_in_chat_lists_suggestions_not_citations_and_highlights_nothing(tmp_path):
    pipeline = make_pipeline(tmp_path, FIRST, refusal_threshold=0.99)
    updates = list(respond(pipeline, "How do I bake sourdough bread?", []))  # no sentence holds its words
    assert len(updates) == 2  # no draft: a refusal calls no model
    last = updates[-1]
    assert "doesn" in last.chat[-1]["content"] and "[1]" not in last.chat[-1]["content"]
    assert SUGGESTIONS_HEADING in last.sources and "<h3>Sources</h3>" not in last.sources
    assert "<mark" not in last.view and "Nothing is cited" in last.view


def test_source_documents_reads_each_cited_document_once(pipeline):
    answer = Answer(answer="x [1] [2]", refused=False, citations=[cite(1, DOC, FIRST), cite(2, DOC, "ASEAN")])
    assert source_documents(pipeline, answer) == {"essay.txt": DOC}
    missing = Answer(answer="x [1]", refused=False, citations=[cite(1, DOC, FIRST, source="gone.txt")])
    assert source_documents(pipeline, missing) == {}


def test_blocks_mount_into_fastapi(pipeline):
    from fastapi import FastAPI
    from fastapi.testclient import TestClient

    app = gr.mount_gradio_app(FastAPI(), build_ui(pipeline), path="/")
    with TestClient(app) as client:
        response = client.get("/")
        config = client.get("/config").json()
    assert response.status_code == 200 and "alliance-qa" in response.text
    ids = {c.get("props", {}).get("elem_id") for c in config["components"]}
    assert {"qa-chat", "qa-sources", "qa-source-view", "qa-dropped", "qa-question", "qa-new-chat"} <= ids


STRUCTURED = read_markdown(
    "# Tern\n\n## Install\n\nInstall it with &lt;cargo&gt;:\n\n"
    "```\ncargo install tern && echo '<ok>'\n```\n\n- One item.\n"
).text


def test_source_view_of_a_markdown_document_shows_headings_items_and_code_escaped():
    intro, code = "Install it with <cargo>:", "cargo install tern && echo '<ok>'"
    answer = Answer(
        answer="a [1]",
        refused=False,
        citations=[cite(1, STRUCTURED, intro, source="README.md"), cite(2, STRUCTURED, code, source="README.md")],
    )
    answer.citations[1].code = True
    view = render_source_view(answer, {"README.md": STRUCTURED})
    assert '<h4 class="qa-doc-heading">Tern</h4>' in view and '<h5 class="qa-doc-heading">Install</h5>' in view
    assert '<pre class="qa-doc-code"><code><mark id="cite-2"' in view
    assert '<p class="qa-doc-item">- One item.</p>' in view
    assert marked(view) == {1: intro, 2: code}
    assert "<cargo>" not in view and "&lt;cargo&gt;" in view and "&lt;ok&gt;" in view
    assert "```" not in view and "# Tern" not in view  # the layout's own markup is not shown


def test_a_cited_code_block_is_shown_as_code_in_the_answer_and_the_sources_panel():
    code = Citation(id="c", source="README.md", text="pip install ``x``\n</code><b>", start=0, end=1, score=0.5,
                    support=0.8, code=True, section="Tern › Install")  # fmt: skip
    answer = Answer(answer="Install it with pip: [1]", refused=False, citations=[code])
    bubble = render_answer(answer)
    assert bubble.endswith("[1]\n```\npip install ``x``\n</code><b>\n```")  # a fence shows its content literally
    panel = render_sources(answer)
    assert '<pre class="qa-code"><code>pip install ``x``\n&lt;/code&gt;&lt;b&gt;</code></pre>' in panel
    assert "§ Tern › Install" in panel


def test_a_link_written_in_a_document_is_shown_as_text_in_the_answer():
    quoted = "Read the [details](https://evil.example/x) or see ![logo](https://evil.example/i.png) [1]"
    bubble = render_answer(Answer(answer=quoted, refused=False))
    assert "](" not in bubble and "[details]\\(https://evil.example/x)" in bubble
    assert bubble.endswith("[1]")  # the answer's own markers are untouched
