"""The Gradio chat: the layout and its wiring. Every question goes to ``Pipeline.answer`` (``handlers``), and what
it returns is drawn by the pure functions of ``render``; the styles and scripts are the files in ``static/``.

While the model writes, the growing text is shown as a draft marked as unchecked; the grounded ``Answer`` then
replaces it, so a claim no source supports never stays on screen. Beside the chat, the cited documents are shown
whole with the cited sentences highlighted. The title, description and examples are the chosen collection's own
(``collection.toml`` beside its documents).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import gradio as gr

from ingest.loaders import SUFFIXES
from rag.answer import Pipeline
from rag.errors import DomainError
from rag.library import CollectionText, Library, collection_text
from ui.chat.handlers import (
    Exchanges,
    answer_for_scripts,
    create_collection,
    delete_chosen_document,
    documents_dropdown,
    failed,
    new_chat,
    rate,
    respond,
    rewarmed,
    upload_documents,
)
from ui.chat.render import Message, escape_chat, render_dropped, render_source_view, render_sources

PRODUCT = "alliance-qa"
STATIC = Path(__file__).with_name("static")


def _static(name: str) -> str:
    return (STATIC / name).read_text(encoding="utf-8")


def heading(text: CollectionText) -> str:
    """The chat's heading: the collection's title and description, escaped."""
    return f"# {escape_chat(text.title)}\n{escape_chat(text.description)}"


def build_ui(library: Library | Pipeline) -> gr.Blocks:
    """The chat app; mount it with ``gr.mount_gradio_app(app, build_ui(library), path="/")``."""
    library = library if isinstance(library, Library) else Library.of(library)
    settings = library.settings

    def text_of(name: str | None) -> CollectionText:
        name = name or library.default
        return collection_text(name, library.folder(name))

    def submit(
        question: str, chat: list[Message] | None, exchanges: Exchanges | None, collection: str | None
    ) -> Iterator[tuple]:
        try:
            pipeline = library.pipeline(collection)
        except DomainError as exc:
            yield tuple(failed(list(chat or []), exc, question, dict(exchanges or {})))
            return
        for update in respond(pipeline, question, chat, exchanges):
            yield tuple(update)

    def like(exchanges: Exchanges | None, data: gr.LikeData) -> str:
        return rate(settings.feedback_path, exchanges, data.index, data.liked)

    def answer(question: str, collection: str = "") -> dict[str, Any]:
        """The cited answer as JSON, the same as POST /api/answer; an empty collection means the default one."""
        return answer_for_scripts(library, question, collection)

    def presented(name: str | None) -> tuple[str, Any, Any]:
        """The heading, the question box and the examples of a collection."""
        text = text_of(name)
        return (
            heading(text),
            gr.Textbox(placeholder=text.placeholder),  # what was typed stays: it may be meant for this collection
            gr.Dataset(samples=[[e] for e in text.examples], visible=bool(text.examples)),
        )

    def switch(collection: str | None) -> tuple:
        """A new chat over the chosen collection, presented in its own words, with its documents listed."""
        chat = new_chat()
        return (*chat[:5], *chat[6:], *presented(collection), documents_dropdown(library.pipeline(collection)))

    first = text_of(library.default)
    with gr.Blocks(title=PRODUCT, analytics_enabled=False) as blocks:
        # Styles and scripts ride in a gr.HTML: gr.mount_gradio_app replaces any css/js given to gr.Blocks.
        gr.HTML(f"<style>{_static('chat.css')}</style>", js_on_load=_static("cite_links.js"), padding=False)
        title = gr.Markdown(heading(first), elem_id="qa-heading")
        exchanges = gr.State({})
        chosen = gr.Dropdown(
            label="Collection", choices=library.names(), value=library.default, elem_id="qa-collection"
        )
        with gr.Row(elem_id="qa-main", equal_height=False):
            with gr.Column(scale=3, min_width=300):
                chatbot = gr.Chatbot(
                    label="Chat",
                    elem_id="qa-chat",
                    height=480,
                    placeholder="Ask a question, or pick an example below.",
                    buttons=["copy"],
                    feedback_options=("Like", "Dislike"),
                )
                with gr.Row():
                    question = gr.Textbox(
                        label="Question",
                        elem_id="qa-question",
                        placeholder=first.placeholder,
                        show_label=False,
                        lines=1,
                        max_lines=4,
                        scale=5,
                        min_width=160,
                        autofocus=True,
                    )
                    ask = gr.Button("Ask", variant="primary", scale=1, min_width=70, elem_id="qa-ask")
                    clear = gr.Button("New chat", scale=1, min_width=70, elem_id="qa-new-chat")
                feedback = gr.HTML("", elem_id="qa-feedback")
                examples = gr.Dataset(
                    components=[question],
                    samples=[[e] for e in first.examples],
                    label="Example questions",
                    elem_id="qa-examples",
                    visible=bool(first.examples),
                )
            with gr.Column(scale=2, min_width=300):
                sources = gr.HTML(render_sources(None), elem_id="qa-sources")
                with gr.Accordion("Show removed sentences", open=False, elem_id="qa-dropped"):
                    dropped = gr.HTML(render_dropped(None))
                gr.HTML("<h3>Source view</h3>")
                view = gr.HTML(
                    render_source_view(None, {}),
                    label="Source view",
                    elem_id="qa-source-view",
                    max_height=520,
                    container=True,
                    padding=True,
                    js_on_load=_static("scroll_to_cite.js"),
                )
                timings = gr.HTML("", elem_id="qa-timings")
        with gr.Accordion("Your documents", open=False, elem_id="qa-documents"):
            gr.Markdown(
                f"Add {', '.join(SUFFIXES)} files to the chosen collection (at most {settings.max_upload_files} at "
                f"a time, {settings.max_upload_bytes // (1024 * 1024)} MB each); they are kept in its uploads folder "
                "and answered from like the rest."
            )
            picker = gr.File(
                label="Documents to add", file_count="multiple", file_types=list(SUFFIXES), type="filepath",
                elem_id="qa-upload",
            )  # fmt: skip
            add = gr.Button("Add documents", variant="primary", elem_id="qa-add-documents")
            with gr.Row():
                listed = gr.Dropdown(label="Documents", choices=[], value=None, scale=4, elem_id="qa-documents-list")
                delete = gr.Button("Delete", variant="stop", scale=1, min_width=70, elem_id="qa-delete-document")
            with gr.Row():
                new_name = gr.Textbox(
                    label="New collection", placeholder="e.g. my-notes", scale=4, elem_id="qa-new-collection"
                )
                create = gr.Button("Create", scale=1, min_width=70, elem_id="qa-create-collection")
            documents_note = gr.HTML("", elem_id="qa-documents-note")

        outputs = [chatbot, sources, view, dropped, timings, question, exchanges]
        private: dict[str, Any] = {"api_visibility": "private"}
        gr.on(
            triggers=[question.submit, ask.click], fn=submit, inputs=[question, chatbot, exchanges, chosen],
            outputs=outputs, api_name="ask", concurrency_limit=1,
        )  # fmt: skip
        examples.click(lambda sample: sample[0], inputs=[examples], outputs=[question], **private)
        chatbot.like(like, inputs=[exchanges], outputs=[feedback], **private)
        clear.click(new_chat, inputs=None, outputs=[*outputs, feedback], **private)
        chatbot.clear(new_chat, inputs=None, outputs=[*outputs, feedback], **private)
        shown = [chatbot, sources, view, dropped, timings, exchanges, feedback, title, question, examples, listed]
        chosen.change(switch, inputs=[chosen], outputs=shown, **private)
        add.click(
            lambda paths, name: rewarmed(library, name, upload_documents(library.pipeline(name), paths)),
            inputs=[picker, chosen], outputs=[documents_note, listed, picker], concurrency_limit=1, **private,
        )  # fmt: skip
        delete.click(
            lambda doc, name: rewarmed(library, name, delete_chosen_document(library.pipeline(name), doc)),
            inputs=[listed, chosen], outputs=[documents_note, listed], concurrency_limit=1, **private,
        )  # fmt: skip
        create.click(
            lambda name: create_collection(library, name),
            inputs=[new_name], outputs=[documents_note, chosen, listed], concurrency_limit=1, **private,
        )  # fmt: skip
        blocks.load(
            lambda: (
                gr.Dropdown(choices=library.names(), value=library.default),
                documents_dropdown(library.pipeline()),
            ),
            inputs=None,
            outputs=[chosen, listed],
            **private,
        )
        gr.api(answer, api_name="answer")
    return blocks
