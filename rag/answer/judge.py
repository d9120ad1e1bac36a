"""The model's yes/no judgements of its own draft, which decide refusals the evidence alone cannot.

1. Does the document state the answer to the question? Asked after every reply. Below ``judge_threshold`` a draft
   is refused. With the retrieved prompt (a collection too large for the document prompt) it is asked of the
   retrieved sentences instead, against ``retrieved_judge_threshold``. After a reply saying the documents do not
   answer, over evidence too strong to believe it alone, the reply is believed below ``decline_judge_threshold``
   (far lower: yes/no questions the documents answer are declined too, and judged low); else the best sentences are
   quoted.
2. Does the draft give what the question asks for? Asked only when ``draft_judge_threshold`` is set (it is not by
   default) and the first is unsure (below ``judge_confident``): a draft that circles the subject ("Different
   applications can then use different environments" for "Can I move an environment?") is true to the document
   and still no answer. The mean of the two must reach ``draft_judge_threshold``.

Both are read as the probability of YES in one decoding step, after a prompt whose start the model has cached: the
collection's prefix, or with the retrieved prompt the answer's own prompt.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import BaseMessage

from rag.answer.prompt import NO, YES
from rag.settings import Settings


class Judges(NamedTuple):
    """The messages of the two judgements, the second built from the draft (None: not asked), and the threshold
    of the first."""

    answerable: list[BaseMessage]
    on_point: Callable[[str], list[BaseMessage]] | None
    threshold: float | None


class Judgement(NamedTuple):
    """The probabilities of YES to the two judgements (None when not asked), and the threshold the first must
    reach (None: it never refuses)."""

    answerable: float | None = None
    on_point: float | None = None
    threshold: float | None = None

    def refusal(self, settings: Settings) -> str | None:
        """Why the question is refused on these judgements, or None."""
        first, threshold = self.answerable, self.threshold
        if first is not None and threshold is not None and first < threshold:
            return f"the model judged that they do not state the answer (confidence {first:.2f})"
        if first is not None and self.on_point is not None and settings.draft_judge_threshold is not None:
            mean = (first + self.on_point) / 2  # one judgement alone sways less than both together
            if mean < settings.draft_judge_threshold:
                return f"the model judged that its answer would not give what was asked (confidence {mean:.2f})"
        return None

    def confirms_decline(self, settings: Settings) -> str | None:
        """Why a reply saying the documents do not answer is believed on this judgement, when the evidence alone
        would not believe it (see ``decline_judge_threshold``); None: the best sentences are quoted instead."""
        first, threshold = self.answerable, settings.decline_judge_threshold
        if first is not None and threshold is not None and first < threshold:
            return f"the model found no answer to it in the documents, and judged so (confidence {first:.2f})"
        return None


def judge(model: BaseChatModel, judges: Judges, draft: str, settings: Settings) -> Judgement:
    """Ask the judgements of a draft (empty: the reply declined): the second only when there is a draft and the
    first is unsure and would not refuse alone."""
    answerable = round(model.choice(judges.answerable, [YES, NO])[YES], 4)
    unsure = (judges.threshold or 0.0) <= answerable < settings.judge_confident
    if judges.on_point is None or not unsure or not draft:  # a declining reply has no draft to judge
        return Judgement(answerable, threshold=judges.threshold)
    on_point = model.choice(judges.on_point(draft), [YES, NO])[YES]
    return Judgement(answerable, round(on_point, 4), judges.threshold)
