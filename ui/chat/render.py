"""Rendering the chat as pure functions: an ``Answer`` (or a draft, an error) in, Markdown or HTML text out.

All document and user text is HTML-escaped before it goes into HTML or into the chat's Markdown.
"""

from __future__ import annotations

import html
from collections.abc import Iterable, Mapping
from typing import Any

import gradio as gr

from rag.answer import InvalidQuestion
from rag.answer.gate import Busy
from rag.types import Answer, Citation, Turn

ERROR_PREFIX = "⚠"
DRAFT_MARK = "✎ draft (checking sources…)"
SOURCES_HEADING = "Sources"
SUGGESTIONS_HEADING = "Closest passages (not citations)"
DROPPED_LABEL = "unsupported — removed"
TIMING_KEYS = ("retrieve", "generate", "ground", "total")
Message = dict[str, Any]
"""A chat message as the Gradio 6 Chatbot holds it: ``{"role": "user" | "assistant", "content": ...}``."""


def escape_html(text: object) -> str:
    """Escaped for HTML element content or attributes."""
    return html.escape(str(text), quote=True)


def escape_chat(text: object) -> str:
    """Escaped for the chat's Markdown: tags become visible text; quotes stay readable (and copyable)."""
    return html.escape(str(text), quote=False)


def render_answer(answer: Answer) -> str:
    """The chat bubble for an answer: its text with the [n] markers, escaped for the chat's Markdown, and below it
    the notice when the answer is not what it would normally be (the model unavailable)."""
    text = escape_chat(answer.answer)
    return f"{text}\n\n*{escape_chat(answer.notice)}*" if answer.notice else text


def render_draft(text: str) -> str:
    """The chat bubble while the model writes: visibly marked as not yet checked against the sources."""
    body = escape_chat(text.strip())
    return f"*{DRAFT_MARK}*\n\n{body}" if body else f"*{DRAFT_MARK}*"


def _cite_link(n: int) -> str:
    return f'<a class="qa-cite-link" href="#cite-{n}" data-cite="{n}">[{n}]</a>'


def render_sources(answer: Answer | None) -> str:
    """HTML for the side panel: the cited sentences, or for a refusal the suggestions, clearly not citations."""
    if answer is None:
        return f"<h3>{SOURCES_HEADING}</h3><p><em>Ask a question: the sentences an answer cites appear here.</em></p>"
    if answer.refused:
        if not answer.suggestions:
            return f"<h3>{SUGGESTIONS_HEADING}</h3><p><em>No passage of the document came close.</em></p>"
        items = "".join(
            f"<li>“{escape_html(s.text)}”<br><small><code>{escape_html(s.id)}</code> · "
            f"{escape_html(s.source)}{_page(s.page)} · characters {s.start}–{s.end}</small></li>"
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
        f'<li value="{n}">{_cite_link(n)} “{escape_html(c.text)}”<br><small><code>{escape_html(c.id)}</code> · '
        f"{escape_html(c.source)}{_page(c.page)} · characters {c.start}–{c.end} · score {c.score:.2f} · "
        f"support {c.support:.2f}</small></li>"
        for n, c in enumerate(answer.citations, start=1)
    )
    return (
        f'<h3>{SOURCES_HEADING}</h3><p class="qa-muted">Click a marker to see its sentence in the document.</p>'
        f'<ol class="qa-sources">{items}</ol>'
    )


def _page(page: int | None) -> str:
    """`` · page n`` for a sentence of a PDF, nothing otherwise."""
    return f" · page {page}" if page is not None else ""


def render_pending_sources() -> str:
    """The side panel while an answer is being written and checked."""
    return f"<h3>{SOURCES_HEADING}</h3><p><em>Checking the draft against the sources…</em></p>"


def _locate(document: str, citation: Citation) -> tuple[int, int] | None:
    """Where the cited sentence is in the document: its offsets, or (if the text moved) where its text is."""
    if (
        0 <= citation.start <= citation.end <= len(document)
        and document[citation.start : citation.end] == citation.text
    ):
        return citation.start, citation.end
    at = document.find(citation.text) if citation.text else -1
    return (at, at + len(citation.text)) if at >= 0 else None


def render_document(source: str, document: str, marks: Iterable[tuple[int, Citation]]) -> str:
    """One whole document, escaped, paragraphs kept, with each cited sentence in ``<mark id="cite-n">``."""
    spans = sorted(
        ((span, n, c) for n, c in marks if (span := _locate(document, c)) is not None), key=lambda item: item[0]
    )
    parts: list[str] = []
    cursor = 0
    for (start, end), n, c in spans:
        start = max(start, cursor)  # sentences do not overlap; if they ever do, the earlier one keeps the text
        end = max(end, start)
        parts.append(escape_html(document[cursor:start]))
        parts.append(
            f'<mark id="cite-{n}" class="qa-cite" data-cite="{n}" title="[{n}] support {c.support:.2f}">'
            f"{escape_html(document[start:end])}</mark>"
            f'<sup class="qa-cite-tag">[{n}] {c.support:.2f}</sup>'
        )
        cursor = end
    parts.append(escape_html(document[cursor:]))
    return (
        f'<section class="qa-doc"><h4>{escape_html(source)}</h4>'
        f'<div class="qa-doc-text" style="white-space: pre-wrap">{"".join(parts)}</div></section>'
    )


def render_source_view(answer: Answer | None, documents: Mapping[str, str]) -> str:
    """HTML for the source view: every cited document whole, its cited sentences highlighted and numbered.

    ``documents`` maps a source name to its full text (``Pipeline.document``); citation offsets index into it.
    """
    if answer is None:
        return '<p class="qa-muted">The document appears here with the cited sentences highlighted.</p>'
    if answer.refused:
        return '<p class="qa-muted">Nothing is cited: the document does not answer this question.</p>'
    if not answer.citations:
        return '<p class="qa-muted">No source sentence was cited.</p>'
    by_source: dict[str, list[tuple[int, Citation]]] = {}
    for n, c in enumerate(answer.citations, start=1):
        by_source.setdefault(c.source, []).append((n, c))
    sections = []
    for source, marks in by_source.items():
        if source in documents:
            sections.append(render_document(source, documents[source], marks))
        else:
            sections.append(
                f'<h4>{escape_html(source)}</h4><p class="qa-muted">This document is no longer available.</p>'
            )
    return "".join(sections)


def render_dropped(answer: Answer | None) -> str:
    """HTML for the "removed sentences" toggle: model sentences that no source supports, marked as removed."""
    if answer is None or not answer.dropped:
        return '<p class="qa-muted">No sentence was removed from this answer.</p>'
    items = "".join(
        f'<li>“{escape_html(text)}” <span class="qa-removed">{DROPPED_LABEL}</span></li>' for text in answer.dropped
    )
    return (
        '<p class="qa-muted">The model also wrote these sentences; no source sentence supports them, so they are '
        f'not part of the answer.</p><ul class="qa-dropped">{items}</ul>'
    )


def render_timings(answer: Answer | None) -> str:
    """A discreet line: time per stage in ms, the answer mode, and how many unsupported sentences were dropped."""
    if answer is None:
        return ""
    parts = [f"{key} {answer.timings_ms[key]:.0f} ms" for key in TIMING_KEYS if key in answer.timings_ms]
    parts.append(f"mode {escape_html(answer.mode)}")
    if answer.dropped:
        n = len(answer.dropped)
        parts.append(f"{n} unsupported model sentence{'s' if n != 1 else ''} removed")
    return f'<p style="opacity:0.7"><small>{" · ".join(parts)}</small></p>'


def render_error(error: Exception) -> str:
    """The chat bubble for a question that could not be answered; never blank."""
    if isinstance(error, InvalidQuestion | Busy):
        return f"{ERROR_PREFIX} {escape_chat(error)}"
    return (
        f"{ERROR_PREFIX} Something went wrong while answering ({escape_chat(type(error).__name__)}). "
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
    """The chat as ``Turn``s with the original (unescaped) text; failed or unfinished exchanges are left out."""
    turns: list[Turn] = []
    for message in chat or []:
        role = message.get("role") if isinstance(message, Mapping) else message.role
        content = message.get("content") if isinstance(message, Mapping) else message.content
        if role not in ("user", "assistant"):
            continue
        text = html.unescape(message_text(content)).strip()
        if role == "assistant" and (text.startswith(ERROR_PREFIX) or DRAFT_MARK in text):
            if turns and turns[-1].role == "user":
                turns.pop()
            continue
        if text:
            turns.append(Turn(role=role, content=text))
    return turns


def render_note(text: str, error: bool = False) -> str:
    """A short status line under the documents panel, marked when it reports an error."""
    return f'<p class="qa-muted">{ERROR_PREFIX + " " if error else ""}{escape_html(text)}</p>'
