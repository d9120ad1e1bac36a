"""Any OpenAI-compatible chat server (llama.cpp's server, vLLM, LM Studio, ...) through ``ChatOpenAI``."""

from __future__ import annotations

from langchain_openai import ChatOpenAI
from pydantic import SecretStr

from rag.llm.errors import ReportsBackend

DUMMY_API_KEY = "not-needed"  # local servers ignore the key, but the OpenAI client insists on one


class OpenAIBackend(ReportsBackend, ChatOpenAI):
    """``ChatOpenAI`` whose failures are ``BackendError``s naming the backend and its URL."""

    backend_name: str = "openai"

    @property
    def _backend_url(self) -> str:
        return self.openai_api_base or "https://api.openai.com/v1"

    @property
    def _backend_timeout(self) -> float | None:
        t = self.request_timeout
        return float(t) if isinstance(t, int | float) else None


def openai_chat(model: str, base_url: str, api_key: SecretStr | None, max_tokens: int, timeout: float) -> OpenAIBackend:
    """Greedy chat completions from ``model`` at ``base_url``, failing fast (no retries) after ``timeout`` seconds."""
    return OpenAIBackend(
        backend_name=f"openai:{model}",
        model=model,
        base_url=base_url,
        api_key=api_key or SecretStr(DUMMY_API_KEY),
        temperature=0,
        max_tokens=max_tokens,
        timeout=timeout,
        max_retries=0,
    )
