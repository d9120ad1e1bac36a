"""The Gradio chat: every question goes to ``Pipeline.answer``; this module only renders the ``Answer``.

The chat handler ``respond`` is a generator: while the model writes, the growing text is shown as a draft that is
visibly marked as unchecked; when the grounded ``Answer`` arrives the draft is replaced by it, so a claim no
source supports never stays on screen. Beside the chat, the cited documents are shown whole with the cited
sentences highlighted.

The rendering helpers are small pure functions (``Answer`` in, Markdown/HTML text out) so that they can be
unit-tested without a browser. All document and user text is HTML-escaped before it is put into HTML or into
the chat's Markdown.
"""

from __future__ import annotations

import html
import logging
import queue
import threading
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any, NamedTuple

import gradio as gr

from ingest.loaders import SUFFIXES
from rag.answer import InvalidQuestion, Pipeline
from rag.documents import DocumentError, DocumentInfo, add_documents, delete_document, list_documents, read_upload
from rag.feedback import record_feedback
from rag.gate import Busy
from rag.library import Library
from rag.types import Answer, Citation, Turn

log = logging.getLogger(__name__)

TITLE = "alliance-qa"
DESCRIPTION = (
    "Ask questions about the essay on the Japan–US alliance. Every statement in an answer carries a marker "
    "[n] that points to the exact source sentence, highlighted in the document beside the chat."
)
EXAMPLES = [
    "Why does the Japan-US alliance persist?",
    "What hurdles does the alliance face?",
    "Which new domains do Japan and the US cooperate in?",
    "What role does ASEAN play?",
]
ERROR_PREFIX = "⚠"
DRAFT_MARK = "✎ draft (checking sources…)"
SOURCES_HEADING = "Sources"
SUGGESTIONS_HEADING = "Closest passages (not citations)"
DROPPED_LABEL = "unsupported — removed"
TIMING_KEYS = ("retrieve", "generate", "ground", "total")

Message = dict[str, Any]
"""A chat message as the Gradio 6 Chatbot holds it: ``{"role": "user" | "assistant", "content": ...}``."""

Exchanges = dict[int, dict[str, Any]]
"""Answered questions by the index of their answer's message in the chat: ``{"question": str, "answer": Answer}``."""

# Styles and the click handler ship inside a gr.HTML: gr.mount_gradio_app (used by rag.api) replaces any css/js
# given to gr.Blocks, so they cannot go there.
STYLE = """
<style>
#qa-source-view .qa-doc-text { white-space: pre-wrap; line-height: 1.6; }
#qa-source-view h4 { margin: 0.2em 0 0.4em; }
mark.qa-cite { background: #fff1a8; color: #1a1a1a; border-radius: 3px; padding: 0 1px;
  scroll-margin: 80px; transition: background 0.3s, box-shadow 0.3s; }
mark.qa-cite:target, mark.qa-cite.qa-active { background: #ffcf40; box-shadow: 0 0 0 3px #ff9800; }
sup.qa-cite-tag { font-size: 0.72em; font-weight: 600; color: #8a5a00; margin-left: 2px; white-space: nowrap; }
a.qa-cite-link { font-weight: 600; text-decoration: none; cursor: pointer; }
a.qa-cite-link:hover { text-decoration: underline; }
.qa-dropped li { margin-bottom: 0.4em; }
.qa-dropped .qa-removed { color: #b3261e; font-size: 0.85em; white-space: nowrap; }
.qa-muted { opacity: 0.7; font-size: 0.85em; }
#qa-main { flex-wrap: wrap; }
@media (max-width: 700px) {
  #qa-main > .column { min-width: 100% !important; }
}
</style>
"""

CITE_JS = """
if (!window.__qaCiteNav) {
  window.__qaCiteNav = true;
  const focusCite = (n) => {
    const mark = document.getElementById('cite-' + n);
    if (!mark) return false;
    document.querySelectorAll('mark.qa-active').forEach((m) => m.classList.remove('qa-active'));
    mark.classList.add('qa-active');
    mark.scrollIntoView({behavior: 'smooth', block: 'center'});
    return true;
  };
  // Citation links in the sources list (and in the latest answer): scroll to the sentence and emphasise it.
  document.addEventListener('click', (event) => {
    const link = event.target.closest ? event.target.closest('a.qa-cite-link') : null;
    if (!link) return;
    event.preventDefault();
    event.stopPropagation();
    focusCite(link.dataset.cite);
  }, true);
  // The [n] markers of the latest answer become links; older answers cite sentences no longer shown.
  const linkMarkers = () => {
    const chat = document.getElementById('qa-chat');
    if (!chat) return;
    const bots = chat.querySelectorAll('.message.bot .prose, .bot .message-content .prose');
    bots.forEach((bubble, i) => {
      const latest = i === bots.length - 1 && !bubble.textContent.includes('✎ draft');
      if (!latest) {
        bubble.querySelectorAll('a.qa-cite-link').forEach((a) => a.replaceWith(a.textContent));
        return;
      }
      const walker = document.createTreeWalker(bubble, NodeFilter.SHOW_TEXT);
      const nodes = [];
      while (walker.nextNode()) {
        const node = walker.currentNode;
        if (/\\[\\d+\\]/.test(node.nodeValue) && !node.parentElement.closest('a, code, pre')) nodes.push(node);
      }
      nodes.forEach((node) => {
        const frag = document.createDocumentFragment();
        let last = 0;
        node.nodeValue.replace(/\\[(\\d+)\\]/g, (match, n, at) => {
          frag.append(node.nodeValue.slice(last, at));
          const a = document.createElement('a');
          a.className = 'qa-cite-link';
          a.href = '#cite-' + n;
          a.dataset.cite = n;
          a.textContent = match;
          frag.append(a);
          last = at + match.length;
        });
        frag.append(node.nodeValue.slice(last));
        node.replaceWith(frag);
      });
    });
  };
  let pending = false;
  new MutationObserver(() => {
    if (pending) return;
    pending = true;
    requestAnimationFrame(() => { pending = false; linkMarkers(); });
  }).observe(document.body, {childList: true, subtree: true, characterData: true});
}
"""

SCROLL_TO_FIRST_CITE_JS = """
// A new answer's document is shown scrolled (inside its own box only) to the first cited sentence.
watch('value', () => {
  const mark = element.querySelector('#cite-1') || element.querySelector('mark.qa-cite');
  if (!mark) return;
  let box = mark.parentElement;
  while (box && box !== document.body && box.scrollHeight <= box.clientHeight + 1) box = box.parentElement;
  if (!box || box === document.body) return;
  const offset = mark.getBoundingClientRect().top - box.getBoundingClientRect().top;
  box.scrollTop += offset - box.clientHeight / 3;
});
"""


def _esc(text: object) -> str:
    """Escaped for HTML element content or attributes."""
    return html.escape(str(text), quote=True)


def _esc_chat(text: object) -> str:
    """Escaped for the chat's Markdown: tags become visible text; quotes stay readable (and copyable)."""
    return html.escape(str(text), quote=False)


def render_answer(answer: Answer) -> str:
    """The chat bubble for an answer: its text with the [n] markers, escaped for the chat's Markdown, and below it
    the notice when the answer is not what it would normally be (the model unavailable)."""
    text = _esc_chat(answer.answer)
    return f"{text}\n\n*{_esc_chat(answer.notice)}*" if answer.notice else text


def render_draft(text: str) -> str:
    """The chat bubble while the model writes: visibly marked as not yet checked against the sources."""
    body = _esc_chat(text.strip())
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
            f"<li>“{_esc(s.text)}”<br><small><code>{_esc(s.id)}</code> · {_esc(s.source)}{_page(s.page)} · "
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
        f'<li value="{n}">{_cite_link(n)} “{_esc(c.text)}”<br><small><code>{_esc(c.id)}</code> · '
        f"{_esc(c.source)}{_page(c.page)} · characters {c.start}–{c.end} · score {c.score:.2f} · "
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
        parts.append(_esc(document[cursor:start]))
        parts.append(
            f'<mark id="cite-{n}" class="qa-cite" data-cite="{n}" title="[{n}] support {c.support:.2f}">'
            f"{_esc(document[start:end])}</mark>"
            f'<sup class="qa-cite-tag">[{n}] {c.support:.2f}</sup>'
        )
        cursor = end
    parts.append(_esc(document[cursor:]))
    return (
        f'<section class="qa-doc"><h4>{_esc(source)}</h4>'
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
            sections.append(f'<h4>{_esc(source)}</h4><p class="qa-muted">This document is no longer available.</p>')
    return "".join(sections)


def render_dropped(answer: Answer | None) -> str:
    """HTML for the "removed sentences" toggle: model sentences that no source supports, marked as removed."""
    if answer is None or not answer.dropped:
        return '<p class="qa-muted">No sentence was removed from this answer.</p>'
    items = "".join(
        f'<li>“{_esc(text)}” <span class="qa-removed">{DROPPED_LABEL}</span></li>' for text in answer.dropped
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
    parts.append(f"mode {_esc(answer.mode)}")
    if answer.dropped:
        n = len(answer.dropped)
        parts.append(f"{n} unsupported model sentence{'s' if n != 1 else ''} removed")
    return f'<p style="opacity:0.7"><small>{" · ".join(parts)}</small></p>'


def render_error(error: Exception) -> str:
    """The chat bubble for a question that could not be answered; never blank."""
    if isinstance(error, InvalidQuestion | Busy):
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


def source_documents(pipeline: Pipeline, answer: Answer) -> dict[str, str]:
    """The full text of every document the answer cites (a document that cannot be read is left out)."""
    documents: dict[str, str] = {}
    for source in dict.fromkeys(c.source for c in answer.citations):
        try:
            documents[source] = pipeline.document(source)
        except Exception:  # the answer is still shown; the view says the document is unavailable
            log.exception("cannot read document %r for the source view", source)
    return documents


class ChatUpdate(NamedTuple):
    """One update of the chat handler, in the order of ``build_ui``'s outputs."""

    chat: list[Message]
    sources: str
    view: str
    dropped: str
    timings: str
    box: Any
    """The textbox: cleared when the question is taken, the question again after an error, else ``gr.skip()``."""
    exchanges: Exchanges


def respond(
    pipeline: Pipeline, question: str, chat: list[Message] | None, exchanges: Exchanges | None = None
) -> Iterator[ChatUpdate]:
    """Handle one question, yielding updates: the question, the growing draft (if the model streams), the final.

    ``Pipeline.answer`` runs in a worker thread; its tokens arrive through a queue. The last update always holds
    the grounded answer (or an error message), never the unchecked draft.
    """
    chat = list(chat or [])
    exchanges = dict(exchanges or {})
    question = question or ""
    history = history_to_turns(chat)
    if question.strip():
        chat.append({"role": "user", "content": _esc_chat(question.strip())})
    yield ChatUpdate(chat, render_pending_sources(), "", "", "", "", exchanges)

    events: queue.Queue[tuple[str, Any]] = queue.Queue()

    def work() -> None:
        try:
            answer = pipeline.answer(question, history, on_token=lambda token: events.put(("token", token)))
            events.put(("final", answer))
        except Exception as error:  # handed to the UI thread, which shows and logs it
            events.put(("error", error))

    threading.Thread(target=work, name="ui-answer", daemon=True).start()
    draft: list[str] = []
    while True:
        kind, data = events.get()
        if kind == "token":
            draft.append(data)
            if events.empty():  # tokens that arrived together are shown in one update
                yield ChatUpdate([*chat, _assistant(render_draft("".join(draft)))], *_pending(exchanges))
            continue
        if kind == "error":
            yield _failed(chat, data, question, exchanges)
            return
        answer: Answer = data
        chat.append(_assistant(render_answer(answer)))
        exchanges[len(chat) - 1] = {"question": question.strip(), "answer": answer}
        yield ChatUpdate(
            chat,
            render_sources(answer),
            render_source_view(answer, source_documents(pipeline, answer)),
            render_dropped(answer),
            render_timings(answer),
            gr.skip(),
            exchanges,
        )
        return


def _assistant(content: str) -> Message:
    return {"role": "assistant", "content": content}


def _pending(exchanges: Exchanges) -> tuple[str, str, str, str, Any, Exchanges]:
    return render_pending_sources(), "", "", "", gr.skip(), exchanges


def _failed(chat: list[Message], error: Exception, question: str, exchanges: Exchanges) -> ChatUpdate:
    """The update for a question that could not be answered: a visible message; the textbox keeps the question."""
    if isinstance(error, InvalidQuestion | Busy):
        log.warning("not answered: %s", error)
    else:
        log.error("answering failed", exc_info=error)
    chat = [*chat, _assistant(render_error(error))]
    return ChatUpdate(
        chat, render_sources(None), render_source_view(None, {}), render_dropped(None), "", question, exchanges
    )


def rate(path: Path, exchanges: Exchanges | None, index: Any, liked: Any) -> str:
    """Record a thumbs up/down on the answer at chat position ``index``; returns a short note for the user."""
    if isinstance(index, list | tuple):
        index = index[0] if index else None
    exchange = (exchanges or {}).get(index) if isinstance(index, int) else None
    if exchange is None:
        return '<p class="qa-muted">Only answers can be rated.</p>'
    if liked is True or liked == "Like":
        rating = "up"
    elif liked is False or liked == "Dislike":
        rating = "down"
    else:  # a rating taken back: nothing to record
        return ""
    record_feedback(path, exchange["question"], exchange["answer"], rating)
    verdict = "helpful" if rating == "up" else "not helpful"
    return f'<p class="qa-muted">Thanks: recorded that this answer was {verdict}.</p>'


def new_chat() -> tuple[list[Message], str, str, str, str, str, Exchanges, str]:
    """Empty chat, sources, source view, removed sentences and timings; empty textbox; no answers to rate."""
    return [], render_sources(None), render_source_view(None, {}), render_dropped(None), "", "", {}, ""


# --- your own documents: the same functions as /api/documents ---------------------------------------------------


def document_choices(documents: Iterable[DocumentInfo]) -> list[tuple[str, str]]:
    """Dropdown entries ``(label, document id)`` for the documents list."""
    return [(f"{d.source} · {d.sentences} sentences{' · uploaded' if d.uploaded else ''}", d.id) for d in documents]


def _documents_dropdown(pipeline: Pipeline) -> Any:
    return gr.Dropdown(choices=document_choices(list_documents(pipeline.settings, pipeline.store)), value=None)


def _note(text: str, error: bool = False) -> str:
    return f'<p class="qa-muted">{ERROR_PREFIX + " " if error else ""}{_esc(text)}</p>'


def upload_documents(pipeline: Pipeline, paths: Iterable[Any] | None) -> tuple[str, Any, Any]:
    """ "Add documents": save and ingest the chosen files with ``add_documents`` (as ``POST /api/documents``).

    Returns the status note, the refreshed documents dropdown, and the file picker (cleared after a success).
    """
    chosen = [Path(p if isinstance(p, str | Path) else getattr(p, "name", "")) for p in paths or []]
    if not chosen:
        return _note("Choose one or more files first.", error=True), gr.skip(), gr.skip()
    try:
        files = [(p.name, read_upload(p, pipeline.settings.max_upload_bytes)) for p in chosen]
        result = add_documents(pipeline.settings, pipeline.store, files)
    except DocumentError as exc:
        return _note(str(exc), error=True), gr.skip(), gr.skip()
    except Exception as exc:  # shown to the user and logged, like a failed answer
        log.exception("adding documents failed")
        return (
            _note(f"Adding the documents failed ({type(exc).__name__}); it has been logged.", True),
            gr.skip(),
            gr.skip(),
        )
    parts = [f"Added {', '.join(result.saved)}."]
    parts += [f"Not added: {r.name}: {r.reason}." for r in result.rejected]
    parts += [f"Skipped {s.name}: {s.reason}." for s in result.ingest.skipped]
    parts.append(result.ingest.summary)
    note = "".join(_note(part, error=part.startswith(("Not added", "Skipped"))) for part in parts)
    return note, _documents_dropdown(pipeline), None


def delete_chosen_document(pipeline: Pipeline, document_id: str | None) -> tuple[str, Any]:
    """ "Delete": remove the chosen document with ``delete_document`` (as ``DELETE /api/documents/{id}``)."""
    if not document_id:
        return _note("Choose a document to delete first.", error=True), gr.skip()
    try:
        result = delete_document(pipeline.settings, pipeline.store, document_id)
    except DocumentError as exc:
        return _note(str(exc), error=True), _documents_dropdown(pipeline)
    file_note = " and its uploaded file" if result.file_deleted else ""
    return _note(f"Deleted {result.deleted.source}{file_note}."), _documents_dropdown(pipeline)


def rewarmed(library: Library, name: str | None, result: Any) -> Any:
    """``result``, after starting to warm the collection's new prompt prefix in the background."""
    library.warm_in_background([name or library.default])
    return result


def create_collection(library: Library, name: str | None) -> tuple[str, Any, Any]:
    """ "Create": a new, empty collection, then chosen; returns the note, the collections and documents dropdowns."""
    name = (name or "").strip()
    try:
        library.create(name)
    except DocumentError as exc:
        return _note(str(exc), error=True), gr.skip(), gr.skip()
    note = _note(f"Created the collection {name}; add documents to it below.")
    return note, gr.Dropdown(choices=library.names(), value=name), _documents_dropdown(library.pipeline(name))


def answer_for_scripts(library: Library, question: str, collection: str | None = None) -> dict[str, Any]:
    """The ``/answer`` endpoint for ``gradio_client``: the same JSON as ``POST /api/answer``."""
    try:
        return library.pipeline(collection or None).answer(question).model_dump(mode="json")
    except (InvalidQuestion, DocumentError, Busy) as exc:
        raise gr.Error(str(exc)) from exc


def build_ui(library: Library | Pipeline) -> gr.Blocks:
    """The chat app; mount it with ``gr.mount_gradio_app(app, build_ui(library), path="/")``."""
    library = library if isinstance(library, Library) else Library.of(library)
    settings = library.settings

    def submit(
        question: str, chat: list[Message] | None, exchanges: Exchanges | None, collection: str | None
    ) -> Iterator[tuple]:
        try:
            pipeline = library.pipeline(collection)
        except DocumentError as exc:
            yield tuple(_failed(list(chat or []), exc, question, dict(exchanges or {})))
            return
        for update in respond(pipeline, question, chat, exchanges):
            yield tuple(update)

    def like(exchanges: Exchanges | None, data: gr.LikeData) -> str:
        return rate(settings.feedback_path, exchanges, data.index, data.liked)

    def answer(question: str, collection: str = "") -> dict[str, Any]:
        """The cited answer as JSON, the same as POST /api/answer; an empty collection means the default one."""
        return answer_for_scripts(library, question, collection)

    def switch(collection: str | None) -> tuple:
        """A new chat over the chosen collection, with its documents listed."""
        return (*new_chat(), _documents_dropdown(library.pipeline(collection)))

    with gr.Blocks(title=TITLE, analytics_enabled=False) as blocks:
        gr.HTML(STYLE, js_on_load=CITE_JS, elem_id="qa-assets", padding=False)
        gr.Markdown(f"# {TITLE}\n{DESCRIPTION}")
        exchanges = gr.State({})
        chosen = gr.Dropdown(
            label="Collection",
            choices=library.names(),
            value=library.default,
            elem_id="qa-collection",
            interactive=True,
        )
        with gr.Row(elem_id="qa-main", equal_height=False):
            with gr.Column(scale=3, min_width=300):
                chatbot = gr.Chatbot(
                    label="Chat",
                    elem_id="qa-chat",
                    height=480,
                    placeholder="Ask about the essay, or pick an example below.",
                    buttons=["copy"],
                    feedback_options=("Like", "Dislike"),
                )
                with gr.Row():
                    question = gr.Textbox(
                        label="Question",
                        elem_id="qa-question",
                        placeholder="Why does the Japan-US alliance persist?",
                        show_label=False,
                        lines=1,
                        max_lines=4,
                        scale=5,
                        min_width=160,
                        autofocus=True,
                    )
                    ask = gr.Button("Ask", variant="primary", scale=1, min_width=70, elem_id="qa-ask")
                    clear = gr.Button("New chat", scale=1, min_width=70, elem_id="qa-new-chat")
                feedback = gr.HTML("", elem_id="qa-feedback", js_on_load=None)
                gr.Examples(examples=[[e] for e in EXAMPLES], inputs=[question], label="Example questions")
            with gr.Column(scale=2, min_width=300):
                sources = gr.HTML(render_sources(None), elem_id="qa-sources", js_on_load=None)
                with gr.Accordion("Show removed sentences", open=False, elem_id="qa-dropped"):
                    dropped = gr.HTML(render_dropped(None), js_on_load=None)
                gr.HTML("<h3>Source view</h3>", js_on_load=None)
                view = gr.HTML(
                    render_source_view(None, {}),
                    label="Source view",
                    elem_id="qa-source-view",
                    max_height=520,
                    container=True,
                    padding=True,
                    js_on_load=SCROLL_TO_FIRST_CITE_JS,
                )
                timings = gr.HTML("", elem_id="qa-timings", js_on_load=None)
        with gr.Accordion("Your documents", open=False, elem_id="qa-documents"):
            gr.Markdown(
                f"Add {', '.join(SUFFIXES)} files to the chosen collection (at most {settings.max_upload_files} at "
                f"a time, {settings.max_upload_bytes // (1024 * 1024)} MB each); they are saved in its uploads "
                "folder and answered from like the rest."
            )
            picker = gr.File(
                label="Documents to add",
                file_count="multiple",
                file_types=list(SUFFIXES),
                type="filepath",
                elem_id="qa-upload",
            )
            add = gr.Button("Add documents", variant="primary", elem_id="qa-add-documents")
            with gr.Row():
                listed = gr.Dropdown(
                    label="Documents", choices=[], value=None, scale=4, elem_id="qa-documents-list", interactive=True
                )
                delete = gr.Button("Delete", variant="stop", scale=1, min_width=70, elem_id="qa-delete-document")
            with gr.Row():
                new_name = gr.Textbox(
                    label="New collection", placeholder="e.g. my-notes", scale=4, elem_id="qa-new-collection"
                )
                create = gr.Button("Create", scale=1, min_width=70, elem_id="qa-create-collection")
            documents_note = gr.HTML("", elem_id="qa-documents-note", js_on_load=None)
        outputs = [chatbot, sources, view, dropped, timings, question, exchanges]
        gr.on(
            triggers=[question.submit, ask.click],
            fn=submit,
            inputs=[question, chatbot, exchanges, chosen],
            outputs=outputs,
            api_name="ask",
            concurrency_limit=1,
        )
        chatbot.like(like, inputs=[exchanges], outputs=[feedback], api_visibility="private")
        clear.click(new_chat, inputs=None, outputs=[*outputs, feedback], api_visibility="private")
        chatbot.clear(new_chat, inputs=None, outputs=[*outputs, feedback], api_visibility="private")
        chosen.change(switch, inputs=[chosen], outputs=[*outputs, feedback, listed], api_visibility="private")
        add.click(
            lambda paths, name: rewarmed(library, name, upload_documents(library.pipeline(name), paths)),
            inputs=[picker, chosen],
            outputs=[documents_note, listed, picker],
            api_visibility="private",
            concurrency_limit=1,
        )
        delete.click(
            lambda document_id, name: rewarmed(
                library, name, delete_chosen_document(library.pipeline(name), document_id)
            ),
            inputs=[listed, chosen],
            outputs=[documents_note, listed],
            api_visibility="private",
            concurrency_limit=1,
        )
        create.click(
            lambda name: create_collection(library, name),
            inputs=[new_name],
            outputs=[documents_note, chosen, listed],
            api_visibility="private",
            concurrency_limit=1,
        )
        blocks.load(
            lambda: (
                gr.Dropdown(choices=library.names(), value=library.default),
                _documents_dropdown(library.pipeline()),
            ),
            inputs=None,
            outputs=[chosen, listed],
            api_visibility="private",
        )
        gr.api(answer, api_name="answer")
    return blocks
