"""Rendering the chat as pure functions: an ``Answer`` (or a draft, an error) in, Markdown or HTML text out.

All document and user text is HTML-escaped before it goes into HTML or into the chat's Markdown.
"""

from __future__ import annotations

import html
from collections.abc import Iterable, Mapping
from typing import Any

import gradio as gr

from ingest.loaders import structured
from ingest.markup import fence_for, layout_blocks
from rag.answer import InvalidQuestion
from rag.answer.compose import unmentioned_note
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
    """Escaped for the chat's Markdown: tags become visible text, and a link or image a document wrote
    (``[details](https://…)``, ``![x](…)``) stays text, so no hidden address can be clicked: only "](" is escaped,
    so that [n] markers, quotes and everything else stay readable and copyable as they are."""
    return html.escape(str(text), quote=False).replace("](", "]\\(")


def render_answer(answer: Answer) -> str:
    """The chat bubble for an answer: its text with the [n] markers, escaped for the chat's Markdown; the code
    blocks it cites, as code; and the notices when the answer is not what it would normally be (names the documents
    never mention, no model)."""
    parts = [escape_chat(answer.answer)]
    if note := unmentioned_note(answer):
        parts.insert(0, f"*{escape_chat(note)}*")
    parts += [f"[{n}]\n{code_fence(c.text)}" for n, c in enumerate(answer.citations, start=1) if c.code]
    if answer.notice:
        parts.append(f"*{escape_chat(answer.notice)}*")
    return "\n\n".join(parts)


def code_fence(code: str) -> str:
    """A Markdown code block showing ``code`` literally: its fence is longer than any run of backticks in it."""
    fence = fence_for(code)
    return f"{fence}\n{code}\n{fence}"


def _quote(text: str, code: bool) -> str:
    """A cited sentence in quotes, or a cited code block as code, escaped."""
    return f'<pre class="qa-code"><code>{escape_html(text)}</code></pre>' if code else f"“{escape_html(text)}”"


def _where(source: str, page: int | None, section: str | None) -> str:
    """``source · page n · § section``: where a sentence is, as far as it is known."""
    return escape_html(source) + _page(page) + (f" · § {escape_html(section)}" if section else "")


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
            f"<li>{_quote(s.text, s.code)}<br><small><code>{escape_html(s.id)}</code> · "
            f"{_where(s.source, s.page, s.section)} · characters {s.start}–{s.end}</small></li>"
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
        f'<li value="{n}">{_cite_link(n)} {_quote(c.text, c.code)}<br><small><code>{escape_html(c.id)}</code> · '
        f"{_where(c.source, c.page, c.section)} · characters {c.start}–{c.end} · score {c.score:.2f} · "
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


Span = tuple[tuple[int, int], int, Citation]


def _marked(document: str, spans: list[Span], begin: int, finish: int) -> str:
    """``document[begin:finish]`` escaped, with the cited sentences inside it in ``<mark id="cite-n">``."""
    parts: list[str] = []
    cursor = begin
    for (start, end), n, c in spans:
        if start < begin or end > finish:
            continue
        start = max(start, cursor)  # sentences do not overlap; if they ever do, the earlier one keeps the text
        end = max(end, start)
        parts.append(escape_html(document[cursor:start]))
        parts.append(
            f'<mark id="cite-{n}" class="qa-cite" data-cite="{n}" title="[{n}] support {c.support:.2f}">'
            f"{escape_html(document[start:end])}</mark>"
            f'<sup class="qa-cite-tag">[{n}] {c.support:.2f}</sup>'
        )
        cursor = end
    parts.append(escape_html(document[cursor:finish]))
    return "".join(parts)


def _structured(document: str, spans: list[Span]) -> str:
    """A Markdown or HTML document's text as headings, paragraphs, list items, table rows and code."""
    parts = []
    for block in layout_blocks(document):
        body = _marked(document, spans, block.start, block.end)
        if block.kind == "heading":
            level = min(len(document[: block.start].rsplit("\n", 1)[-1].strip()) + 3, 6)  # "## " → h5
            parts.append(f'<h{level} class="qa-doc-heading">{body}</h{level}>')
        elif block.kind == "code":
            parts.append(f'<pre class="qa-doc-code"><code>{body}</code></pre>')
        elif block.kind == "item":
            marker = document[: block.start].rsplit("\n", 1)[-1]
            parts.append(f'<p class="qa-doc-item">{escape_html(marker)}{body}</p>')
        elif block.kind == "row":
            parts.append(f'<p class="qa-doc-row">{body}</p>')
        else:
            parts.append(f"<p>{body}</p>")
    return "".join(parts)


def render_document(source: str, document: str, marks: Iterable[tuple[int, Citation]]) -> str:
    """One whole document, escaped, with each cited sentence in ``<mark id="cite-n">``: a Markdown or HTML
    document with its headings, list items and code blocks; any other with its line breaks kept."""
    spans = sorted(
        ((span, n, c) for n, c in marks if (span := _locate(document, c)) is not None), key=lambda item: item[0]
    )
    if structured(source):
        body = f'<div class="qa-doc-text">{_structured(document, spans)}</div>'
    else:
        body = (
            f'<div class="qa-doc-text" style="white-space: pre-wrap">{_marked(document, spans, 0, len(document))}</div>'
        )
    return f'<section class="qa-doc"><h4>{escape_html(source)}</h4>{body}</section>'


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
