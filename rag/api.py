"""The HTTP API (FastAPI) with the Gradio chat mounted at ``/``; both call ``Pipeline.answer``."""

from __future__ import annotations

import asyncio
import json
import logging
import threading
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

from fastapi import FastAPI, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response, StreamingResponse
from pydantic import BaseModel, ConfigDict, Field
from starlette.datastructures import UploadFile
from starlette.exceptions import HTTPException as StarletteHTTPException

from rag.answer import InvalidQuestion, Pipeline, check_history, check_question
from rag.documents import (
    DeleteResult,
    DocumentError,
    DocumentInfo,
    UploadResult,
    add_documents,
    delete_document,
    list_documents,
)
from rag.gate import Busy
from rag.library import CollectionInfo, Library
from rag.openai_compat import router as openai_router
from rag.types import Answer, Turn


class AnswerRequest(BaseModel):
    """Body of ``POST /api/answer``."""

    model_config = ConfigDict(extra="forbid")

    question: str = Field(description="1..2000 characters after stripping")
    history: list[Turn] = Field(default_factory=list, description="earlier turns of the chat, oldest first")
    collection: str | None = Field(None, description="the collection to answer from (default: the default one)")
    top_k: int | None = Field(
        None, ge=1, le=20, strict=True, description="source sentences given to the model (default 4)"
    )


class NewCollection(BaseModel):
    """Body of ``POST /api/collections``."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(description="3..63 characters: a-z, 0-9, '-' and '_', starting and ending with a-z or 0-9")


log = logging.getLogger(__name__)


def sse(event: str, data: Any) -> str:
    """One Server-Sent Event with a JSON payload."""
    return f"event: {event}\ndata: {json.dumps(data, ensure_ascii=False)}\n\n"


async def stream_answer(pipeline: Pipeline, request: AnswerRequest) -> AsyncIterator[str]:
    """``token`` events while the model writes, then one ``final`` event (the /api/answer JSON) or ``error``."""
    loop = asyncio.get_running_loop()
    queue: asyncio.Queue[tuple[str, Any]] = asyncio.Queue()

    def put(event: str, data: Any) -> None:
        loop.call_soon_threadsafe(queue.put_nowait, (event, data))

    def work() -> None:
        try:
            answer = pipeline.answer(
                request.question, request.history, on_token=lambda t: put("token", {"text": t}), top_k=request.top_k
            )
            if answer.notice:  # the model failed: say so, then give the answer made without it
                put("error", {"error": answer.notice, "final_follows": True})
            put("final", answer.model_dump(mode="json"))
        except Busy as exc:
            put("error", {"error": f"{exc}; retry in {exc.retry_after} s", "retry_after": exc.retry_after})
        except Exception as exc:  # reported to the client as an error event, and logged with its traceback
            log.exception("streamed answer failed")
            put("error", {"error": f"answering failed: {type(exc).__name__}; try again or use /api/answer"})

    threading.Thread(target=work, name="answer-stream", daemon=True).start()
    while True:
        event, data = await queue.get()
        yield sse(event, data)
        if event == "final" or (event == "error" and not data.get("final_follows")):
            return


class ErrorBody(BaseModel):
    """Every 4xx response: what was wrong and, for field errors, where."""

    error: str
    detail: list[dict[str, Any]] = Field(default_factory=list)
    request_id: str = ""


def _describe(error: dict[str, Any]) -> str:
    """One user-facing sentence for a pydantic validation error."""
    where = ".".join(str(p) for p in error.get("loc", ()) if p != "body") or "body"
    kind = error.get("type", "")
    if kind == "json_invalid":
        return f"malformed JSON body: {error.get('ctx', {}).get('error', 'cannot parse it')}; send a JSON object"
    if kind == "missing":
        return f'{where} is required: send {{"question": "..."}}'
    if kind == "extra_forbidden":
        return f"{where} is not a known field: see the request schema at /docs"
    return f"{where}: {error.get('msg', 'invalid value')}"


UPLOAD_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "required": ["files"],
                    "properties": {"files": {"type": "array", "items": {"type": "string", "format": "binary"}}},
                }
            }
        },
    }
}

MULTIPART_OVERHEAD = 64 * 1024
"""Bytes a multipart request may carry beyond its files' content (part headers and boundaries)."""


async def _read_uploads(request: Request, max_files: int, max_bytes: int) -> list[tuple[str, bytes]]:
    """The ``(file name, content)`` pairs of a multipart upload; each content holds at most ``max_bytes + 1`` bytes,
    enough for ``add_documents`` to tell that a file is too large."""
    if not request.headers.get("content-type", "").startswith("multipart/form-data"):
        raise DocumentError("send the documents as multipart/form-data in the field 'files' (curl -F files=@a.pdf)")
    length = request.headers.get("content-length", "")
    if length.isdigit() and int(length) > max_files * (max_bytes + MULTIPART_OVERHEAD):
        raise DocumentError(
            f"the upload is {length} bytes: at most {max_files} files of {max_bytes} bytes each are accepted",
            status=413,
        )
    try:
        form = await request.form(max_files=max_files + 1, max_fields=100)
    except StarletteHTTPException as exc:
        if "Too many files" in str(exc.detail):
            raise DocumentError(f"too many files: at most {max_files} per upload", status=413) from exc
        raise DocumentError(f"malformed multipart body: {exc.detail}", status=400) from exc
    try:
        parts = form.getlist("files")
        if not parts and any(isinstance(v, UploadFile) for _, v in form.multi_items()):
            raise DocumentError("send the documents in the multipart field named 'files'")
        if any(not isinstance(p, UploadFile) for p in parts):
            raise DocumentError("the field 'files' must hold files, not text")
        if len(parts) > max_files:
            raise DocumentError(f"too many files: {len(parts)}, at most {max_files} per upload", status=413)
        return [(p.filename or "", await p.read(max_bytes + 1)) for p in parts if isinstance(p, UploadFile)]
    finally:
        await form.close()


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
    from rag.access import UI_LOGIN_MESSAGE, has_access, install_access, ui_auth  # it imports ErrorBody from here

    install_access(app, settings)  # before _request_id, which then wraps its 401s and 429s too

    @app.middleware("http")
    async def _request_id(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
        request.state.request_id = uuid.uuid4().hex[:12]
        response = await call_next(request)
        response.headers["X-Request-ID"] = request.state.request_id
        return response

    def error(request: Request, status: int, message: str, detail: list[dict[str, Any]] | None = None) -> JSONResponse:
        """A JSON error for the client, and one log line for the operator, sharing a request id."""
        request_id = getattr(request.state, "request_id", "")
        log.warning("request %s: %s %s -> %d: %s", request_id, request.method, request.url.path, status, message)
        body = ErrorBody(error=message, detail=detail or [], request_id=request_id)
        return JSONResponse(status_code=status, content=body.model_dump(), headers={"X-Request-ID": request_id})

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = [{k: v for k, v in e.items() if k in ("loc", "msg", "type")} for e in exc.errors()]
        malformed = any(e.get("type") == "json_invalid" for e in errors)
        message = _describe(exc.errors()[0]) if errors else "invalid request"
        return error(request, 400 if malformed else 422, message, errors)

    @app.exception_handler(InvalidQuestion)
    async def _bad_question(request: Request, exc: InvalidQuestion) -> JSONResponse:
        return error(request, 422, str(exc))

    @app.exception_handler(DocumentError)
    async def _document_error(request: Request, exc: DocumentError) -> JSONResponse:
        return error(request, exc.status, str(exc))

    @app.exception_handler(Busy)
    async def _busy(request: Request, exc: Busy) -> JSONResponse:
        response = error(request, 503, f"{exc}; retry in {exc.retry_after} s")
        response.headers["Retry-After"] = str(exc.retry_after)
        return response

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.error("request %s failed", getattr(request.state, "request_id", ""), exc_info=exc)
        return error(request, 500, "internal error: it has been logged with this request id; please try again")

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
        return StreamingResponse(
            stream_answer(pipeline, request), media_type="text/event-stream", headers={"Cache-Control": "no-cache"}
        )

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
        files = await _read_uploads(request, settings.max_upload_files, settings.max_upload_bytes)
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
