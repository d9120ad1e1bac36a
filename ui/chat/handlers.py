"""What the chat's buttons do: ask (streaming the draft, then the grounded answer), rate, manage documents and
collections. Every question goes to ``Pipeline.answer``; these handlers only call it and render what it returns."""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any, NamedTuple

import gradio as gr

from ingest.documents import DocumentInfo, add_documents, delete_document, list_documents, read_upload
from rag.answer import InvalidQuestion, Pipeline
from rag.answer.gate import Busy
from rag.errors import DomainError
from rag.library import Library
from rag.types import Answer
from ui.chat.feedback import record_feedback
from ui.chat.render import (
    Message,
    escape_chat,
    history_to_turns,
    render_answer,
    render_draft,
    render_dropped,
    render_error,
    render_note,
    render_pending_sources,
    render_source_view,
    render_sources,
    render_timings,
)

log = logging.getLogger(__name__)

Exchanges = dict[int, dict[str, Any]]
"""Answered questions by the index of their answer's message in the chat: ``{"question": str, "answer": Answer}``."""


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
        chat.append({"role": "user", "content": escape_chat(question.strip())})
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
            yield failed(chat, data, question, exchanges)
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


def failed(chat: list[Message], error: Exception, question: str, exchanges: Exchanges) -> ChatUpdate:
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


def document_choices(documents: Iterable[DocumentInfo]) -> list[tuple[str, str]]:
    """Dropdown entries ``(label, document id)`` for the documents list."""
    return [(f"{d.source} · {d.sentences} sentences{' · uploaded' if d.uploaded else ''}", d.id) for d in documents]


def documents_dropdown(pipeline: Pipeline) -> Any:
    return gr.Dropdown(choices=document_choices(list_documents(pipeline.settings, pipeline.store)), value=None)


def upload_documents(pipeline: Pipeline, paths: Iterable[Any] | None) -> tuple[str, Any, Any]:
    """ "Add documents": save and ingest the chosen files with ``add_documents`` (as ``POST /api/documents``).

    Returns the status note, the refreshed documents dropdown, and the file picker (cleared after a success).
    """
    chosen = [Path(p if isinstance(p, str | Path) else getattr(p, "name", "")) for p in paths or []]
    if not chosen:
        return render_note("Choose one or more files first.", error=True), gr.skip(), gr.skip()
    try:
        files = [(p.name, read_upload(p, pipeline.settings.max_upload_bytes)) for p in chosen]
        result = add_documents(pipeline.settings, pipeline.store, files)
    except DomainError as exc:
        return render_note(str(exc), error=True), gr.skip(), gr.skip()
    except Exception as exc:  # shown to the user and logged, like a failed answer
        log.exception("adding documents failed")
        return (
            render_note(f"Adding the documents failed ({type(exc).__name__}); it has been logged.", True),
            gr.skip(),
            gr.skip(),
        )
    parts = [f"Added {', '.join(result.saved)}."]
    parts += [f"Not added: {r.name}: {r.reason}." for r in result.rejected]
    parts += [f"Skipped {s.name}: {s.reason}." for s in result.ingest.skipped]
    parts.append(result.ingest.summary)
    note = "".join(render_note(part, error=part.startswith(("Not added", "Skipped"))) for part in parts)
    return note, documents_dropdown(pipeline), None


def delete_chosen_document(pipeline: Pipeline, document_id: str | None) -> tuple[str, Any]:
    """ "Delete": remove the chosen document with ``delete_document`` (as ``DELETE /api/documents/{id}``)."""
    if not document_id:
        return render_note("Choose a document to delete first.", error=True), gr.skip()
    try:
        result = delete_document(pipeline.settings, pipeline.store, document_id)
    except DomainError as exc:
        return render_note(str(exc), error=True), documents_dropdown(pipeline)
    file_note = " and its uploaded file" if result.file_deleted else ""
    return render_note(f"Deleted {result.deleted.source}{file_note}."), documents_dropdown(pipeline)


def rewarmed(library: Library, name: str | None, result: Any) -> Any:
    """``result``, after starting to warm the collection's new prompt prefix in the background."""
    library.warm_in_background([name or library.default])
    return result


def create_collection(library: Library, name: str | None) -> tuple[str, Any, Any]:
    """ "Create": a new, empty collection, then chosen; returns the note, the collections and documents dropdowns."""
    name = (name or "").strip()
    try:
        library.create(name)
    except DomainError as exc:
        return render_note(str(exc), error=True), gr.skip(), gr.skip()
    note = render_note(f"Created the collection {name}; add documents to it below.")
    return note, gr.Dropdown(choices=library.names(), value=name), documents_dropdown(library.pipeline(name))


def answer_for_scripts(library: Library, question: str, collection: str | None = None) -> dict[str, Any]:
    """The ``/answer`` endpoint for ``gradio_client``: the same JSON as ``POST /api/answer``."""
    try:
        return library.pipeline(collection or None).answer(question).model_dump(mode="json")
    except (*DomainError, Busy) as exc:
        raise gr.Error(str(exc)) from exc
