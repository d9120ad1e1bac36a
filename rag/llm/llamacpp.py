"""A LangChain chat model over a llama.cpp engine: greedy decoding, the prompt's first message cached."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from langchain_core.callbacks import CallbackManagerForLLMRun
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, AIMessageChunk, BaseMessage
from langchain_core.outputs import ChatGeneration, ChatGenerationChunk, ChatResult
from pydantic import ConfigDict

_ROLES = {"system": "system", "human": "user", "ai": "assistant"}


def as_dicts(messages: list[BaseMessage]) -> list[dict[str, str]]:
    """LangChain messages as the role/content dicts of a chat template."""
    return [{"role": _ROLES.get(m.type, "user"), "content": m.text} for m in messages]


class ChatLlamaCpp(BaseChatModel):
    """Greedy (temperature 0) chat completion by an engine (``rag.llm.engine.LlamaEngine`` or a stand-in with its
    methods); the first message of every prompt is the cached prefix."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    engine: Any
    name_of_model: str = "llamacpp"
    max_tokens: int = 96

    @property
    def _llm_type(self) -> str:
        return "llamacpp"

    @property
    def context_tokens(self) -> int:
        """The size of the model's context window, in tokens."""
        return int(self.engine.n_ctx)

    def load(self) -> ChatLlamaCpp:
        """Load the weights now rather than on the first question; returns self."""
        self.engine.load()
        return self

    def warm(self, messages: list[BaseMessage]) -> str:
        """Compute (or load) the KV cache of the prompt's first message; returns cached, loaded or computed."""
        return self.engine.warm(as_dicts(messages))

    def choice(self, messages: list[BaseMessage], options: list[str]) -> dict[str, float]:
        """The probability of each option as the start of the reply, normalised over the options."""
        return self.engine.choice(as_dicts(messages), options)

    def status(self) -> dict[str, Any]:
        """The engine's state: a worker's (starting, ready, restarting, failed, with the reason), else ready."""
        status = getattr(self.engine, "status", None)
        return status() if status else {"state": "ready", "reason": None, "restarts": 0}

    def count_tokens(self, text: str) -> int:
        """Tokens of the text for this model."""
        return self.engine.count_tokens(text)

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        text = "".join(chunk.text for chunk in self._stream(messages, stop, run_manager, **kwargs))
        return ChatResult(generations=[ChatGeneration(message=AIMessage(content=text))])

    def _stream(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> Iterator[ChatGenerationChunk]:
        for token in self.engine.stream(as_dicts(messages), self.max_tokens):
            if run_manager:
                run_manager.on_llm_new_token(token)
            yield ChatGenerationChunk(message=AIMessageChunk(content=token))
