"""From retrieved sentences to a cited ``Answer``: the prompt, the model's draft, grounding, and the refusals."""

from rag.answer.checks import InvalidQuestion, check_history, check_question, check_top_k
from rag.answer.pipeline import Pipeline

__all__ = ["InvalidQuestion", "Pipeline", "check_history", "check_question", "check_top_k"]
