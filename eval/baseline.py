"""The afternoon baseline: a plain LangChain RAG chain (Chroma retriever top-k, a prompt, the same LLM).

It exists only to be measured against ``Pipeline.answer``; its citations are simply the retrieved chunks.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from langchain_core.documents import Document
from langchain_core.language_models import BaseChatModel
from langchain_core.output_parsers import StrOutputParser
from langchain_core.prompts import ChatPromptTemplate

from rag.store.chroma import CHUNK, Store
from rag.types import Answer, AnswerSentence, Citation

PROMPT = ChatPromptTemplate.from_messages(
    [
        ("system", "Answer the question using only the context. If the context does not answer it, say: I don't know."),
        ("human", "Context:\n{context}\n\nQuestion: {question}"),
    ]
)
_DONT_KNOW = ("i don't know", "i do not know")


class BaselineRAG:
    """Retriever, prompt, model, string parser: what a user would build in an afternoon."""

    def __init__(self, store: Store, chat_model: BaseChatModel, k: int = 4) -> None:
        self.retriever = store.chroma.as_retriever(search_kwargs={"k": k, "filter": {"kind": CHUNK}})
        self.chain = PROMPT | chat_model | StrOutputParser()

    def answer(self, question: str, on_token: Callable[[str], None] | None = None) -> Answer:
        """The chain's answer; every retrieved chunk is cited and the whole answer cites them all."""
        began = time.perf_counter()
        docs: list[Document] = self.retriever.invoke(question)
        retrieved = time.perf_counter()
        context = "\n\n".join(d.page_content for d in docs)
        parts = []
        for token in self.chain.stream({"context": context, "question": question}):
            if on_token and token:
                on_token(token)
            parts.append(token)
        text = "".join(parts).strip()
        done = time.perf_counter()
        refused = text.lower().startswith(_DONT_KNOW) or not text
        citations = [
            Citation(
                id=d.id or "",
                source=d.metadata["source"],
                text=d.page_content,
                start=d.metadata["start"],
                end=d.metadata["end"],
                score=0.0,
            )
            for d in docs
        ]
        numbers = list(range(1, len(citations) + 1))
        return Answer(
            answer=text,
            refused=refused,
            citations=[] if refused else citations,
            sentences=[] if refused else [AnswerSentence(text=text, citations=numbers, support=0.0)],
            timings_ms={
                "retrieve": round((retrieved - began) * 1000, 1),
                "generate": round((done - retrieved) * 1000, 1),
                "total": round((done - began) * 1000, 1),
            },
        )
