"""The HTTP API (FastAPI) with the Gradio chat mounted at ``/``; both call ``Pipeline.answer``."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, ConfigDict, Field

from ingest.documents import (
    DeleteResult,
    DocumentInfo,
    UploadResult,
    add_documents,
    delete_document,
    list_documents,
)
from rag.answer import Pipeline, check_history, check_question
from rag.library import CollectionInfo, Library
from rag.settings import MAX_TOP_K
from rag.types import Answer, Turn
from ui.http.access import UI_LOGIN_MESSAGE, has_access, install_access, ui_auth
from ui.http.errors import ErrorBody, install_errors
from ui.http.openai import router as openai_router
from ui.http.stream import stream_answer
from ui.http.uploads import UPLOAD_BODY, read_uploads


class AnswerRequest(BaseModel):
    """Body of ``POST /api/answer``."""

    model_config = ConfigDict(extra="forbid")

    question: str = Field(description="1..2000 characters after stripping")
    history: list[Turn] = Field(default_factory=list, description="earlier turns of the chat, oldest first")
    collection: str | None = Field(None, description="the collection to answer from (default: the default one)")
    top_k: int | None = Field(
        None, ge=1, le=MAX_TOP_K, strict=True, description="sentences marked as most relevant for the model"
    )


class NewCollection(BaseModel):
    """Body of ``POST /api/collections``."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(description="3..63 characters: a-z, 0-9, '-' and '_', starting and ending with a-z or 0-9")


def model_status(library: Library) -> dict[str, Any]:
    """The language model's state for health: ``none`` (extractive by configuration), ``ready``, ``starting``,
    ``restarting``, ``failed`` or ``unavailable`` (its file failed its check), with the ``reason``; and how the prompt
    prefix of the default collection was warmed."""
    model = library.chat_model
    if model is None:
        problem = library.llm_problem
        return {"state": "unavailable" if problem else "none", "reason": problem}
    status = getattr(model, "status", None)
    found = dict(status()) if status else {"state": "ready", "reason": None}
    found["warm"] = library.warmth
    return found


def create_app(library: Library | Pipeline, ui: Any | None = None) -> FastAPI:
    """The API app over a library of collections (or one pipeline); ``ui`` is a Gradio Blocks mounted at ``/``."""
    library = library if isinstance(library, Library) else Library.of(library)
    settings = library.settings
    app = FastAPI(title="alliance-qa", summary="Cited answers from your documents", version="0.1.0")
    install_access(app, settings)  # before the request id middleware, which then wraps its 401s and 429s too
    install_errors(app)

    @app.post("/api/answer", response_model=Answer, responses={400: {"model": ErrorBody}, 422: {"model": ErrorBody}})
    def answer(request: AnswerRequest) -> Answer:
        """Answer a question from the documents, with citations to exact source sentences, or refuse."""
        return library.pipeline(request.collection).answer(request.question, request.history, top_k=request.top_k)

    @app.post(
        "/api/answer/stream",
        responses={200: {"content": {"text/event-stream": {}}}, 400: {"model": ErrorBody}, 422: {"model": ErrorBody}},
    )
    def answer_stream(request: AnswerRequest) -> StreamingResponse:
        """The same answer as Server-Sent Events: ``token`` events, then ``final`` with the /api/answer JSON."""
        # A bad request is a 4xx here, not an error event in the middle of a stream.
        pipeline = library.pipeline(request.collection)
        check_question(request.question, settings.max_question_chars)
        check_history(request.history, settings.max_history_turns, settings.max_history_chars)
        events = stream_answer(pipeline, request.question, request.history, request.top_k)
        return StreamingResponse(events, media_type="text/event-stream", headers={"Cache-Control": "no-cache"})

    app.include_router(openai_router(library))

    errors: dict[int | str, dict[str, Any]] = {code: {"model": ErrorBody} for code in (400, 404, 409, 413, 422)}

    @app.get("/api/collections", response_model=list[CollectionInfo])
    def collections() -> list[CollectionInfo]:
        """Every collection, the default first; pass one's name as ``collection`` to answer from it."""
        return [library.info(name) for name in library.names()]

    @app.post("/api/collections", status_code=201, response_model=CollectionInfo, responses=errors)
    def create_collection(request: NewCollection) -> CollectionInfo:
        """A new, empty collection; add documents with ``POST /api/documents?collection=<name>``."""
        return library.create(request.name)

    @app.get("/api/documents", response_model=list[DocumentInfo], responses=errors)
    def documents(collection: str | None = None) -> list[DocumentInfo]:
        """Every ingested document: its id (for DELETE), source name, sizes, and whether it was uploaded."""
        pipeline = library.pipeline(collection)
        return list_documents(pipeline.settings, pipeline.store)

    @app.post("/api/documents", response_model=UploadResult, responses=errors, openapi_extra=UPLOAD_BODY)
    async def upload(request: Request, collection: str | None = None) -> UploadResult:
        """Add documents (multipart field ``files``): they are saved in the uploads folder and ingested."""
        pipeline = await run_in_threadpool(library.pipeline, collection)
        files = await read_uploads(request, settings.max_upload_files, settings.max_upload_bytes)
        result = await run_in_threadpool(add_documents, pipeline.settings, pipeline.store, files)
        library.warm_in_background([pipeline.settings.collection])
        return result

    @app.delete("/api/documents/{document_id}", response_model=DeleteResult, responses=errors)
    def delete(document_id: str, collection: str | None = None) -> DeleteResult:
        """Remove a document from the store and the keyword index; an uploaded document's file is deleted too.

        A document whose file is in the corpus folder but not an upload is refused with 409: the next ingest would
        bring it back, so remove its file from the folder instead.
        """
        pipeline = library.pipeline(collection)
        result = delete_document(pipeline.settings, pipeline.store, document_id)
        library.warm_in_background([pipeline.settings.collection])
        return result

    default = library.pipeline()

    @app.get("/api/health")
    async def health(request: Request) -> dict[str, Any]:
        """200 once the models and the store are loaded (the server only listens after that).

        It needs no key, being a liveness probe; when a key is set, only callers with it see the counts. It runs on
        the event loop and asks the store nothing: the document count comes from the keyword index kept in memory
        (one first sentence per document), so health stays fast while answers run.
        """
        model = model_status(library)
        status = "ok" if model["state"] in ("ready", "none") else "degraded"
        if not has_access(request, settings):
            return {"status": status}
        return {
            "status": status,
            "documents": len(default.store.keywords().openings),
            "llm": getattr(default.chat_model, "_llm_type", "none"),
            "model": model,
        }

    if ui is not None:
        import gradio as gr

        app = gr.mount_gradio_app(app, ui, path="/", auth=ui_auth(settings), auth_message=UI_LOGIN_MESSAGE)
    return app
