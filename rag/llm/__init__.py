"""Chat model backends, chosen by one setting string and imported lazily."""

from __future__ import annotations

from langchain_core.language_models import BaseChatModel

from rag.llm.errors import BackendError
from rag.settings import Settings

__all__ = ["BACKENDS", "BackendError", "make_chat_model"]

BACKENDS = "'llamacpp', 'openai:<model>', 'ollama:<model>', 'none' or 'fake'"


def make_chat_model(settings: Settings) -> BaseChatModel | None:
    """Build the chat model named by ``settings.llm``.

    - ``llamacpp`` (default): the GGUF at ``llm_model_path`` (default: the embedded SmolLM2), run in process;
    - ``openai:<model>``: any OpenAI-compatible server at ``llm_base_url``;
    - ``ollama:<model>``: an Ollama server at ``llm_base_url`` if that was set, else http://127.0.0.1:11434;
    - ``none``: no model, answers are extractive; ``fake``: a scripted model for tests.
    """
    name = settings.llm.strip()
    kind, colon, model = name.partition(":")
    kind, model = kind.strip().lower(), model.strip()
    if kind in ("openai", "ollama") and not model:
        raise ValueError(f"LLM backend {settings.llm!r} names no model: set ALLIANCE_QA_LLM to one of {BACKENDS}")
    if colon and kind not in ("openai", "ollama"):
        kind = name  # only openai and ollama take a model: anything else with a colon is unknown
    if kind == "none":
        return None
    if kind == "llamacpp":
        from rag.llm.llamacpp import ChatLlamaCpp, smollm2_path

        path = settings.llm_model_path or str(smollm2_path())
        return ChatLlamaCpp(
            model_path=path,
            n_threads=settings.llm_threads,
            n_ctx=settings.llm_context,
            max_tokens=settings.llm_max_tokens,
        )
    if kind == "openai":
        try:
            from rag.llm.openai_backend import openai_chat
        except ImportError as exc:
            raise ImportError(
                f"LLM backend {settings.llm!r} needs 'langchain-openai': pip install langchain-openai"
            ) from exc
        return openai_chat(
            model, settings.llm_base_url, settings.llm_api_key, settings.llm_max_tokens, settings.llm_timeout
        )
    if kind == "ollama":
        try:
            from rag.llm.ollama_backend import ollama_chat
        except ImportError as exc:
            raise ImportError(
                f"LLM backend {settings.llm!r} needs 'langchain-ollama': pip install langchain-ollama"
            ) from exc
        base_url = settings.llm_base_url if "llm_base_url" in settings.model_fields_set else None
        return ollama_chat(model, base_url, settings.llm_max_tokens, settings.llm_timeout)
    if kind == "fake":
        from rag.llm.fake import ScriptedChatModel

        return ScriptedChatModel(replies=["NOT IN DOCUMENT"])
    raise ValueError(f"unknown LLM backend {settings.llm!r}: set ALLIANCE_QA_LLM to {BACKENDS}")
