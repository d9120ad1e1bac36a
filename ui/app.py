"""The Gradio chat: every question goes to ``Pipeline.answer``; this module only renders the ``Answer``.

The rendering helpers are small pure functions (``Answer`` in, Markdown/HTML text out) so that they can be
unit-tested without a browser. All document and user text is HTML-escaped before it is put into HTML or into
the chat's Markdown.
"""

from __future__ import annotations

import html
import logging
from collections.abc import Iterable, Mapping
from typing import Any

import gradio as gr

from rag.answer import InvalidQuestion, Pipeline
from rag.types import Answer, Turn

log = logging.getLogger(__name__)

TITLE = "alliance-qa"
DESCRIPTION = (
    "Ask questions about the essay on the Japan–US alliance. Every statement in an answer carries a marker "
    "[n] that points to the exact source sentence listed under Sources."
)
EXAMPLES = [
    "Why does the Japan-US alliance persist?",
    "What hurdles does the alliance face?",
    "Which new domains do Japan and the US cooperate in?",
    "What role does ASEAN play?",
]
ERROR_PREFIX = "⚠"
SOURCES_HEADING = "Sources"
SUGGESTIONS_HEADING = "Closest passages (not citations)"
TIMING_KEYS = ("retrieve", "generate", "ground", "total")

Message = dict[str, Any]
"""A chat message as the Gradio 6 Chatbot holds it: ``{"role": "user" | "assistant", "content": ...}``."""


def _esc(text: object) -> str:
    """Escaped for HTML element content or attributes."""
    return html.escape(str(text), quote=True)


def _esc_chat(text: object) -> str:
    """Escaped for the chat's Markdown: tags become visible text; quotes stay readable (and copyable)."""
    return html.escape(str(text), quote=False)


def render_answer(answer: Answer) -> str:
    """The chat bubble for an answer: its text with the [n] markers, escaped for the chat's Markdown."""
    return _esc_chat(answer.answer)


def render_sources(answer: Answer | None) -> str:
    """HTML for the side panel: the cited sentences, or for a refusal the suggestions, clearly not citations."""
    if answer is None:
        return f"<h3>{SOURCES_HEADING}</h3><p><em>Ask a question: the sentences an answer cites appear here.</em></p>"
    if answer.refused:
        if not answer.suggestions:
            return f"<h3>{SUGGESTIONS_HEADING}</h3><p><em>No passage of the document came close.</em></p>"
        items = "".join(
            f"<li>“{_esc(s.text)}”<br><small><code>{_esc(s.id)}</code> · {_esc(s.source)} · "
            f"characters {s.start}–{s.end}</small></li>"
            for s in answer.suggestions
        )
        return (
            f"<h3>{SUGGESTIONS_HEADING}</h3>"
            "<p><small>The document does not answer this question. These passages were the nearest matches; "
            "they are suggestions for what to ask, not sources of an answer.</small></p>"
            f"<ul>{items}</ul>"
        )
    if not answer.citations:
        return f"<h3>{SOURCES_HEADING}</h3><p><em>No source sentence was cited.</em></p>"
    items = "".join(
        f'<li value="{n}"><strong>[{n}]</strong> “{_esc(c.text)}”<br><small><code>{_esc(c.id)}</code> · '
        f"{_esc(c.source)} · characters {c.start}–{c.end} · score {c.score:.2f}</small></li>"
        for n, c in enumerate(answer.citations, start=1)
    )
    return f"<h3>{SOURCES_HEADING}</h3><ol>{items}</ol>"


def render_timings(answer: Answer | None) -> str:
    """A discreet line: time per stage in ms, the answer mode, and how many unsupported sentences were dropped."""
    if answer is None:
        return ""
    parts = [f"{key} {answer.timings_ms[key]:.0f} ms" for key in TIMING_KEYS if key in answer.timings_ms]
    parts.append(f"mode {_esc(answer.mode)}")
    if answer.dropped:
        n = len(answer.dropped)
        parts.append(f"{n} unsupported model sentence{'s' if n != 1 else ''} removed")
    return f'<p style="opacity:0.7"><small>{" · ".join(parts)}</small></p>'


def render_error(error: Exception) -> str:
    """The chat bubble for a question that could not be answered; never blank."""
    if isinstance(error, InvalidQuestion):
        return f"{ERROR_PREFIX} {_esc_chat(error)}"
    return (
        f"{ERROR_PREFIX} Something went wrong while answering ({_esc_chat(type(error).__name__)}). "
        "The error has been logged; please try again."
    )


def message_text(content: Any) -> str:
    """The plain text of a chat message's content, whether a string or Gradio 6's list of parts."""
    if isinstance(content, str):
        return content
    if isinstance(content, Mapping):
        return str(content.get("text", "")) if content.get("type", "text") == "text" else ""
    if isinstance(content, Iterable):
        return " ".join(t for t in (message_text(part) for part in content) if t)
    return ""


def history_to_turns(chat: Iterable[Message | gr.ChatMessage] | None) -> list[Turn]:
    """The chat as ``Turn``s with the original (unescaped) text; failed exchanges (error bubbles) are left out."""
    turns: list[Turn] = []
    for message in chat or []:
        role = message.get("role") if isinstance(message, Mapping) else message.role
        content = message.get("content") if isinstance(message, Mapping) else message.content
        if role not in ("user", "assistant"):
            continue
        text = html.unescape(message_text(content)).strip()
        if role == "assistant" and text.startswith(ERROR_PREFIX):
            if turns and turns[-1].role == "user":
                turns.pop()
            continue
        if text:
            turns.append(Turn(role=role, content=text))
    return turns


def respond(pipeline: Pipeline, question: str, chat: list[Message] | None) -> tuple[list[Message], str, str, str]:
    """Handle one question: (chat history, sources HTML, timings HTML, new textbox value).

    The textbox is cleared after an answer and keeps the question after an error, so that it can be corrected.
    """
    chat = list(chat or [])
    question = question or ""
    history = history_to_turns(chat)
    if question.strip():
        chat.append({"role": "user", "content": _esc_chat(question.strip())})
    try:
        answer = pipeline.answer(question, history)
    except InvalidQuestion as error:
        log.warning("invalid question: %s", error)
        chat.append({"role": "assistant", "content": render_error(error)})
        return chat, render_sources(None), "", question
    except Exception as error:  # the user must see a message, never a blank bubble
        log.exception("answering failed")
        chat.append({"role": "assistant", "content": render_error(error)})
        return chat, render_sources(None), "", question
    chat.append({"role": "assistant", "content": render_answer(answer)})
    return chat, render_sources(answer), render_timings(answer), ""


def new_chat() -> tuple[list[Message], str, str, str]:
    """Empty chat, empty sources, no timings, empty textbox."""
    return [], render_sources(None), "", ""


def build_ui(pipeline: Pipeline) -> gr.Blocks:
    """The chat app; mount it with ``gr.mount_gradio_app(app, build_ui(pipeline), path="/")``."""

    def submit(question: str, chat: list[Message] | None) -> tuple[list[Message], str, str, str]:
        return respond(pipeline, question, chat)

    with gr.Blocks(title=TITLE, analytics_enabled=False) as blocks:
        gr.Markdown(f"# {TITLE}\n{DESCRIPTION}")
        with gr.Row():
            with gr.Column(scale=3):
                chatbot = gr.Chatbot(
                    label="Chat",
                    height=480,
                    placeholder="Ask about the essay, or pick an example below.",
                    buttons=["copy"],
                    feedback_options=None,
                )
                with gr.Row():
                    question = gr.Textbox(
                        label="Question",
                        placeholder="Why does the Japan-US alliance persist?",
                        show_label=False,
                        lines=1,
                        max_lines=4,
                        scale=5,
                        autofocus=True,
                    )
                    ask = gr.Button("Ask", variant="primary", scale=1, min_width=80)
                    clear = gr.Button("New chat", scale=1, min_width=80)
                gr.Examples(examples=[[e] for e in EXAMPLES], inputs=[question], label="Example questions")
            with gr.Column(scale=2):
                sources = gr.HTML(render_sources(None), label=SOURCES_HEADING)
                timings = gr.HTML("")
        gr.on(
            triggers=[question.submit, ask.click],
            fn=submit,
            inputs=[question, chatbot],
            outputs=[chatbot, sources, timings, question],
            api_name="ask",
            concurrency_limit=1,
        )
        clear.click(new_chat, inputs=None, outputs=[chatbot, sources, timings, question], api_visibility="private")
    return blocks
