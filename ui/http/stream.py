"""Answers as Server-Sent Events: ``token`` events while the model writes, then the ``final`` answer."""

from __future__ import annotations

import asyncio
import json
import logging
import threading
from collections.abc import AsyncIterator
from typing import Any

from rag.answer import Pipeline
from rag.answer.gate import Busy
from rag.types import Turn

log = logging.getLogger(__name__)


def sse(event: str, data: Any) -> str:
    """One Server-Sent Event with a JSON payload."""
    return f"event: {event}\ndata: {json.dumps(data, ensure_ascii=False)}\n\n"


async def stream_answer(
    pipeline: Pipeline, question: str, history: list[Turn], top_k: int | None
) -> AsyncIterator[str]:
    """``token`` events while the model writes, then one ``final`` event (the /api/answer JSON) or ``error``."""
    loop = asyncio.get_running_loop()
    queue: asyncio.Queue[tuple[str, Any]] = asyncio.Queue()

    def put(event: str, data: Any) -> None:
        loop.call_soon_threadsafe(queue.put_nowait, (event, data))

    def work() -> None:
        try:
            answer = pipeline.answer(question, history, on_token=lambda t: put("token", {"text": t}), top_k=top_k)
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
