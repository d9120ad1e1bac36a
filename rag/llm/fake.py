"""A scripted chat model for deterministic tests and for running the UI with no model."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from langchain_core.callbacks import CallbackManagerForLLMRun
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, AIMessageChunk, BaseMessage
from langchain_core.outputs import ChatGeneration, ChatGenerationChunk, ChatResult
from pydantic import Field


class ScriptedChatModel(BaseChatModel):
    """Replies with queued texts in order (the last one repeats) and records every prompt it was sent."""

    replies: list[str] = Field(default_factory=list)
    calls: list[list[BaseMessage]] = Field(default_factory=list)
    judgements: list[float] = Field(default_factory=list, description="queued answers to choice(): P(first option)")
    judged: list[list[BaseMessage]] = Field(default_factory=list)

    @property
    def _llm_type(self) -> str:
        return "scripted"

    def enqueue(self, *replies: str) -> ScriptedChatModel:
        """Queue replies for the next calls; returns self."""
        self.replies.extend(replies)
        return self

    def judge(self, *probabilities: float) -> ScriptedChatModel:
        """Queue the probabilities of the first option for the next ``choice`` calls (1.0 when none is queued)."""
        self.judgements.extend(probabilities)
        return self

    def choice(self, messages: list[BaseMessage], options: list[str]) -> dict[str, float]:
        """A scripted yes/no judgement: the queued probability for the first option, the rest for the second."""
        self.judged.append(list(messages))
        first = self.judgements.pop(0) if self.judgements else 1.0
        return {options[0]: first, options[1]: 1.0 - first}

    def _next_reply(self, messages: list[BaseMessage]) -> str:
        self.calls.append(list(messages))
        if not self.replies:
            raise RuntimeError("ScriptedChatModel has no reply queued: call enqueue() first")
        return self.replies.pop(0) if len(self.replies) > 1 else self.replies[0]

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        return ChatResult(generations=[ChatGeneration(message=AIMessage(content=self._next_reply(messages)))])

    def _stream(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> Iterator[ChatGenerationChunk]:
        for word in self._next_reply(messages).split(" "):
            token = word + " "
            if run_manager:
                run_manager.on_llm_new_token(token)
            yield ChatGenerationChunk(message=AIMessageChunk(content=token))
