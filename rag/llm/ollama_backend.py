"""An Ollama server through ``ChatOllama``."""

from __future__ import annotations

from langchain_ollama import ChatOllama

from rag.llm.errors import ReportsBackend
from rag.settings import OLLAMA_URL


class OllamaBackend(ReportsBackend, ChatOllama):
    """``ChatOllama`` whose failures are ``BackendError``s naming the backend and its URL."""

    backend_name: str = "ollama"

    @property
    def _backend_url(self) -> str:
        return self.base_url or OLLAMA_URL

    @property
    def _backend_timeout(self) -> float | None:
        t = (self.client_kwargs or {}).get("timeout")
        return float(t) if isinstance(t, int | float) else None


def ollama_chat(model: str, base_url: str | None, max_tokens: int, timeout: float) -> OllamaBackend:
    """Greedy chat from ``model`` at ``base_url`` (default: a local Ollama), giving up after ``timeout`` seconds."""
    return OllamaBackend(
        backend_name=f"ollama:{model}",
        model=model,
        base_url=base_url or OLLAMA_URL,
        temperature=0,
        num_predict=max_tokens,
        client_kwargs={"timeout": timeout},
    )
