"""The typed data that passes between stages: sentences in, ``Answer`` out."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

SECTION_SEPARATOR = " › "
"""Between the headings of a section path: "Alternative servers › Granian"."""


def last_heading(path: str) -> str:
    """The heading a section path ends with, the one right above its sentences: "Granian" of
    "Alternative servers › Granian"."""
    return path.rpartition(SECTION_SEPARATOR)[2]


class Sentence(BaseModel):
    """One source sentence: ``text == <extracted text of source>[start:end]``."""

    id: str
    source: str
    text: str
    start: int
    end: int
    index: int = Field(description="position of the sentence within its source, from 0")
    page: int | None = Field(None, description="PDF page (from 1) the sentence starts on; None for other files")
    section: str | None = Field(None, description="the headings above it in a Markdown or HTML file, 'A › B'")
    code: bool = Field(False, description="a whole code block, cited and shown as one unit")
    item: bool = Field(False, description="a sentence of a list item")


class ScoredSentence(BaseModel):
    """A retrieved sentence: ``score`` is its cosine similarity to the query, ``rank`` its fused ranking score,
    ``leads`` whether one of the rankings fused (dense or keyword, for any query) ranked it first."""

    sentence: Sentence
    score: float
    rank: float = 0.0
    leads: bool = False


class Citation(BaseModel):
    """A source sentence that supports the answer; marker ``[n]`` in the answer is ``citations[n-1]``."""

    id: str
    source: str
    text: str
    start: int
    end: int
    score: float = Field(description="retrieval similarity of the sentence to the question")
    support: float = Field(0.0, description="how well the sentence supports the answer text that cites it, 0..1")
    page: int | None = Field(None, description="PDF page (from 1) the sentence starts on; None for other files")
    section: str | None = Field(None, description="the headings above it in a Markdown or HTML file, 'A › B'")
    code: bool = Field(False, description="a whole code block, shown as code")
    item: bool = Field(False, description="a sentence of a list item")


class AnswerSentence(BaseModel):
    """One sentence of the answer with the citation numbers that back it."""

    text: str
    citations: list[int]
    support: float


class Turn(BaseModel):
    """One earlier message of the chat."""

    role: Literal["user", "assistant"]
    content: str


class Answer(BaseModel):
    """What every surface (API, UI, CLI, eval) receives for a question."""

    answer: str
    refused: bool
    citations: list[Citation] = Field(default_factory=list)
    timings_ms: dict[str, float] = Field(default_factory=dict)
    sentences: list[AnswerSentence] = Field(default_factory=list, description="the answer, sentence by sentence")
    dropped: list[str] = Field(default_factory=list, description="model sentences removed because no source backs them")
    drafted: list[str] = Field(
        default_factory=list,
        description="ids of the sentences the model's own sentences were aligned to, verified or not: where its draft "
        "pointed, for evaluation",
    )
    mode: Literal["generated", "extractive", "refusal"] = "generated"
    suggestions: list[Sentence] = Field(
        default_factory=list, description="closest passages offered with a refusal; never citations"
    )
    answerable: float | None = Field(
        None, description="the model's probability that the documents state the answer (when it was asked)"
    )
    on_point: float | None = Field(
        None,
        description="the model's probability that its draft gives what the question asks for (asked when its "
        "first judgement, ``answerable``, was unsure)",
    )
    declined: bool = Field(False, description="the model replied that the documents do not answer the question")
    notice: str | None = Field(None, description="why the answer is not what it would normally be, e.g. no model")
    unmentioned: list[str] = Field(
        default_factory=list,
        description="names the question uses that the documents never mention, as it writes them, when the model's "
        "answer needed them and so could not be shown: the answer quotes the closest sentences instead",
    )
