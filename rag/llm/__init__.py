"""Chat model backends, chosen by one setting string and imported lazily."""

from __future__ import annotations

from langchain_core.language_models import BaseChatModel

from rag.settings import Settings


def make_chat_model(settings: Settings) -> BaseChatModel | None:
    """Build the chat model named by ``settings.llm``: 'llamacpp' (default), 'fake', or 'none' (extractive only)."""
    name = settings.llm.strip().lower()
    if name == "none":
        return None
    if name == "llamacpp":
        from rag.llm.llamacpp import ChatLlamaCpp, smollm2_path

        path = settings.llm_model_path or str(smollm2_path())
        return ChatLlamaCpp(
            model_path=path,
            n_threads=settings.llm_threads,
            n_ctx=settings.llm_context,
            max_tokens=settings.llm_max_tokens,
        )
    if name == "fake":
        from rag.llm.fake import ScriptedChatModel

        return ScriptedChatModel(replies=["NOT IN DOCUMENT"])
    raise ValueError(f"unknown LLM backend {settings.llm!r}: set ALLIANCE_QA_LLM to 'llamacpp', 'fake' or 'none'")
