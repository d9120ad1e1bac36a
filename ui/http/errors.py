"""Errors over HTTP: each domain error mapped to its status, every error a JSON body with the request's id."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, Field

from rag.answer.gate import Busy
from rag.errors import Conflict, InvalidRequest, Malformed, NotFound, TooLarge

log = logging.getLogger(__name__)

STATUS: tuple[tuple[type[Exception], int], ...] = (
    (Malformed, 400),
    (TooLarge, 413),
    (InvalidRequest, 422),
    (NotFound, 404),
    (Conflict, 409),
)
"""The HTTP status of each domain error, the more specific first."""


class ErrorBody(BaseModel):
    """Every 4xx response: what was wrong and, for field errors, where."""

    error: str
    detail: list[dict[str, Any]] = Field(default_factory=list)
    request_id: str = ""


def describe(error: dict[str, Any]) -> str:
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


def status_of(exc: Exception) -> int:
    """The HTTP status that fits a domain error."""
    return next(status for kind, status in STATUS if isinstance(exc, kind))


def error_response(
    request: Request, status: int, message: str, detail: list[dict[str, Any]] | None = None
) -> JSONResponse:
    """A JSON error for the client, and one log line for the operator, sharing a request id."""
    request_id = getattr(request.state, "request_id", "")
    log.warning("request %s: %s %s -> %d: %s", request_id, request.method, request.url.path, status, message)
    body = ErrorBody(error=message, detail=detail or [], request_id=request_id)
    return JSONResponse(status_code=status, content=body.model_dump(), headers={"X-Request-ID": request_id})


def install_errors(app: FastAPI) -> None:
    """A request id on every response, and JSON errors for bad bodies, domain errors, a busy model and the rest."""

    @app.middleware("http")
    async def _request_id(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
        request.state.request_id = uuid.uuid4().hex[:12]
        response = await call_next(request)
        response.headers["X-Request-ID"] = request.state.request_id
        return response

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = [{k: v for k, v in e.items() if k in ("loc", "msg", "type")} for e in exc.errors()]
        malformed = any(e.get("type") == "json_invalid" for e in errors)
        message = describe(exc.errors()[0]) if errors else "invalid request"
        return error_response(request, 400 if malformed else 422, message, errors)

    for kind, _ in STATUS:

        @app.exception_handler(kind)
        async def _domain(request: Request, exc: Exception) -> JSONResponse:
            return error_response(request, status_of(exc), str(exc))

    @app.exception_handler(Busy)
    async def _busy(request: Request, exc: Busy) -> JSONResponse:
        response = error_response(request, 503, f"{exc}; retry in {exc.retry_after} s")
        response.headers["Retry-After"] = str(exc.retry_after)
        return response

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.error("request %s failed", getattr(request.state, "request_id", ""), exc_info=exc)
        return error_response(request, 500, "internal error: it has been logged with this request id; please try again")
