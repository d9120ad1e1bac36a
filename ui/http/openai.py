"""``/v1/chat/completions`` and ``/v1/models``: the grounded answer for any OpenAI-compatible client.

The message text carries the answer with its ``[n]`` markers and a numbered source list; the structured
``Answer`` travels in the extra ``alliance_qa`` field. Streaming sends the final grounded text only, never the
unchecked draft.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterator
from typing import Any, Literal

from fastapi import APIRouter
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, ConfigDict, Field

from rag.answer import InvalidQuestion
from rag.answer.compose import unmentioned_note
from rag.errors import NotFound
from rag.library import Library
from rag.types import Answer, Turn

MODEL_ID = "alliance-qa"
"""The model id of the default collection; ``alliance-qa/<collection>`` answers from another collection."""


class ChatMessage(BaseModel):
    """One OpenAI chat message; only text content is used."""

    model_config = ConfigDict(extra="allow")

    role: Literal["system", "user", "assistant", "developer", "tool"]
    content: str | list[dict[str, Any]] | None = None

    def text(self) -> str:
        """The message's text, whether a string or a list of text parts."""
        if isinstance(self.content, list):
            return " ".join(str(p.get("text", "")) for p in self.content if p.get("type") == "text")
        return self.content or ""


class ChatCompletionRequest(BaseModel):
    """The fields of an OpenAI chat completion request that matter here; others are accepted and ignored."""

    model_config = ConfigDict(extra="allow")

    model: str = MODEL_ID
    messages: list[ChatMessage] = Field(min_length=1)
    stream: bool = False


def to_question(messages: list[ChatMessage]) -> tuple[str, list[Turn]]:
    """The last user message is the question; earlier user and assistant messages are the history.

    System messages are not obeyed: the documents and the question are data, and the system prompt is fixed.
    """
    users = [i for i, m in enumerate(messages) if m.role == "user"]
    if not users:
        raise InvalidQuestion("messages has no user message: send the question as the last user message")
    last = users[-1]
    history = [Turn(role=m.role, content=m.text()) for m in messages[:last] if m.role in ("user", "assistant")]
    return messages[last].text(), history


def message_text(answer: Answer) -> str:
    """The answer with its markers (after the line saying which of the question's names the documents never
    mention, when that is why it quotes them), then the numbered sources it cites."""
    note = unmentioned_note(answer)
    text = f"{note}\n\n{answer.answer}" if note else answer.answer
    if not answer.citations:
        return text
    sources = "\n".join(
        f"[{n}] {c.source}:{c.start}-{c.end}{f' (page {c.page})' if c.page is not None else ''} “{c.text}”"
        for n, c in enumerate(answer.citations, start=1)
    )
    return f"{text}\n\nSources:\n{sources}"


def _envelope(kind: str, model: str) -> dict[str, Any]:
    return {"id": f"chatcmpl-{uuid.uuid4().hex[:24]}", "object": kind, "created": int(time.time()), "model": model}


def _chunks(answer: Answer, model: str) -> Iterator[str]:
    base = _envelope("chat.completion.chunk", model)
    words = message_text(answer).split(" ")
    for i, word in enumerate(words):
        delta = {"role": "assistant", "content": word} if i == 0 else {"content": " " + word}
        yield f"data: {json.dumps({**base, 'choices': [{'index': 0, 'delta': delta, 'finish_reason': None}]})}\n\n"
    last = {**base, "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}], "alliance_qa": answer.model_dump()}
    yield f"data: {json.dumps(last, ensure_ascii=False)}\n\n"
    yield "data: [DONE]\n\n"


def collection_of(model: str, library: Library) -> str:
    """The collection a model id names: ``alliance-qa`` is the default one, ``alliance-qa/<name>`` another."""
    if model == MODEL_ID:
        return library.default
    prefix = f"{MODEL_ID}/"
    if model.startswith(prefix):
        return model[len(prefix) :]
    raise NotFound(f"no model named {model!r}: GET /v1/models lists them")


def model_ids(library: Library) -> list[str]:
    """One model per collection."""
    return [MODEL_ID if name == library.default else f"{MODEL_ID}/{name}" for name in library.names()]


def router(library: Library) -> APIRouter:
    """The OpenAI-compatible routes over ``Pipeline.answer``; each collection is offered as a model."""
    api = APIRouter(prefix="/v1", tags=["openai-compatible"])

    @api.get("/models")
    def models() -> dict[str, Any]:
        """One model per collection: ``alliance-qa`` answers from the default collection."""
        data = [{"id": m, "object": "model", "created": 0, "owned_by": MODEL_ID} for m in model_ids(library)]
        return {"object": "list", "data": data}

    @api.post("/chat/completions", response_model=None)
    def chat_completions(request: ChatCompletionRequest) -> dict[str, Any] | StreamingResponse:
        """A grounded, cited answer to the last user message, as an OpenAI chat completion."""
        pipeline = library.pipeline(collection_of(request.model, library))
        question, history = to_question(request.messages)
        answer = pipeline.answer(question, history)
        if request.stream:
            return StreamingResponse(_chunks(answer, request.model), media_type="text/event-stream")
        choice = {
            "index": 0,
            "message": {"role": "assistant", "content": message_text(answer)},
            "finish_reason": "stop",
        }
        # No "usage": an answer is several model calls (draft, judgement) or none (extractive, refusal), and zeros
        # would mislead cost trackers; OpenAI's clients and LangChain accept its absence.
        return {**_envelope("chat.completion", request.model), "choices": [choice], "alliance_qa": answer.model_dump()}

    return api
