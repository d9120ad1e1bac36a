"""The one answer pipeline: question (and history) in, grounded and cited ``Answer`` out."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from functools import partial

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import BaseMessage, SystemMessage

from rag.answer.checks import check_history, check_question, check_top_k
from rag.answer.claims import answers_no, answers_yes, settled_opener
from rag.answer.compose import compose, extractive_claims, refusal, with_code_introduced, with_introduced
from rag.answer.gate import Busy, GenerationGate
from rag.answer.grounding import contradicted_yes, ground, said_around, verified_no
from rag.answer.judge import Judgement, Judges, judge
from rag.answer.levels import RefusalLevels, derive_levels, held
from rag.answer.prompt import (
    Reply,
    document_messages,
    document_prefix,
    draft_judge_messages,
    judge_messages,
    read_reply,
    retrieved_judge_messages,
    retrieved_messages,
    rewrite_messages,
)
from rag.answer.select import (
    as_written,
    echoes_dropped,
    lead_decides,
    lead_of,
    narrowly_missed,
    near_question,
    off_topic_dropped,
    query_similarity,
    says_more,
    similarity_of,
    states,
    unknown_facts,
)
from rag.retrieval.retrieve import diversify, embed_queries, retrieval_query, retrieve, with_context
from rag.settings import Settings
from rag.store.chroma import Store
from rag.store.texts import kept_text
from rag.text.words import identifiers, named_literals, names, numbers, stem, words
from rag.types import Answer, ScoredSentence, Sentence, Turn

log = logging.getLogger(__name__)


PROMPT_TURNS = 4  # the latest turns of a conversation given to the model; retrieval carries the subject further
PROMPT_TURN_CHARS = 1000
RESERVED_TOKENS = 1024  # room kept in the context window for the question, the turns and the hint
CHARS_PER_TOKEN = 3.5  # to estimate a prompt's size for a model that cannot count its tokens


@dataclass(frozen=True)
class Collection:
    """What the document prompt needs of a collection's text; rebuilt when the keyword index changes."""

    fingerprint: str
    sentences: list[Sentence]
    prefix: SystemMessage
    fits: bool


class Pipeline:
    """Holds the store and the chat model; ``answer`` is the function every surface calls.

    With no chat model the pipeline is extractive-only: answers are the best source sentences themselves, and
    ``llm_problem`` says why when a model was configured but could not be loaded.
    """

    def __init__(
        self,
        store: Store,
        chat_model: BaseChatModel | None,
        settings: Settings,
        gate: GenerationGate | None = None,
        llm_problem: str | None = None,
    ) -> None:
        self.store = store
        self.chat_model = chat_model
        self.settings = settings
        self.llm_problem = llm_problem
        # Pipelines of several collections share one model, so they must share its queue too.
        self.gate = gate or GenerationGate(settings.generation_queue, settings.generation_timeout)
        self._collection: Collection | None = None
        self._collection_lock = threading.Lock()
        self._levels: tuple[str, RefusalLevels] | None = None

    def answer(
        self,
        question: str,
        history: Sequence[Turn] = (),
        on_token: Callable[[str], None] | None = None,
        top_k: int | None = None,
    ) -> Answer:
        """Retrieve, refuse or generate, then ground: every statement shown is cited to a source sentence.

        ``top_k`` overrides the number of sentences retrieval marks as most relevant for the model (1..20).
        """
        began = time.perf_counter()
        question = check_question(question, self.settings.max_question_chars)
        check_history(history, self.settings.max_history_turns, self.settings.max_history_chars)
        top_k = check_top_k(self.settings.top_k if top_k is None else top_k)
        if self.chat_model is not None:
            self.gate.check()
        timings: dict[str, float] = {}

        queries = self.queries(question, history)
        query_vectors = embed_queries(self.store.embeddings, queries)
        hits = self.retrieve(queries, at_least=top_k, vectors=query_vectors)
        timings["retrieve"] = _ms(began)
        levels = self.levels()
        close = bool(hits) and max(h.score for h in hits) >= levels.similarity
        if not close and not held(question, [h.sentence.text for h in hits]):
            return refusal("nothing in the documents is close to this question", hits, self.store, timings, began)

        vectors = self.store.vectors(h.sentence.id for h in hits)
        chosen = diversify(hits, vectors, top_k, self.settings.mmr_lambda)
        messages, candidates, judges = self._prompt(question, history, chosen)
        step = time.perf_counter()
        reply, judged, failure = self._generate(messages, judges, on_token)
        timings["generate"] = _ms(step)
        draft, declined, answerable = reply.text, reply.declined, judged.answerable

        def refuse(reason: str, drafted: Sequence[str] = ()) -> Answer:
            refused = refusal(
                reason, hits, self.store, timings, began, answerable, declined=declined, on_point=judged.on_point
            )
            refused.drafted = list(drafted)
            return refused

        if declined:  # believed when the evidence is weak, or the judgement agrees; else the best sentences are quoted
            if max(h.score for h in hits) < levels.quote:
                return refuse("the model found no answer to it in the documents")
            if confirmed := judged.confirms_decline(self.settings):
                return refuse(confirmed)
            draft = ""
        settled = settled_opener(draft, question, [s.text for s in candidates])
        judged_out = None if declined else judged.refusal(self.settings)
        if judged_out and not answers_no(settled) and not answers_yes(settled):
            return refuse(judged_out)  # only a verified "No," or a "Yes," a source contradicts, answers despite it

        step = time.perf_counter()
        vectors.update(self.store.vectors(s.id for s in candidates if s.id not in vectors))
        per_query = query_similarity(query_vectors, vectors)
        similarity = similarity_of(per_query, hits)
        index = self.store.keywords()
        vocabulary = index.vocabulary
        named = {stem(w) for w in words(question) if w[:1].isupper()} | identifiers(question)
        given = (named & vocabulary) | numbers(question)
        claims = ground(
            settled,
            [s for s in candidates if states(s)],
            self.store.embeddings,
            vectors,
            self.settings.support_threshold,
            self.settings.support_coverage,
            given=given,
            unmentioned=names(question) - vocabulary,
            min_similarity=self.settings.support_similarity,
            asked=(asked := named_literals(question)),
            around=said_around(index.neighbours, index.subjects),
        )
        claims = echoes_dropped(claims, question)
        drafted = list(dict.fromkeys(s.id for c in claims for s in c.sources))
        bar = {i for i in per_query if i in index.by_id and says_more(index.by_id[i])}
        lead = lead_of(claims)
        near = near_question(
            per_query, self.settings.relevance_margin, bar, index.following, index.preceding, lead and lead.text
        )
        aside = {at for at, c in enumerate(claims) if c.supported and not near(c)}  # true, but off the question
        claims = lead_decides(off_topic_dropped(claims, near), aside)
        denied = contradicted_yes(settled, claims, question)
        if judged_out and not verified_no(settled, claims, question) and not denied:
            return refuse(judged_out)
        if denied:
            claims = [replace(c, supported=False) for c in claims]  # what the source says is quoted instead
        answered = narrowly_missed(claims, near, self.settings.support_threshold)
        dropped = [c.text for c in claims if not c.supported]
        checked = claims
        if not any(c.supported for c in claims):
            # The model could only answer with facts the documents never state: they do not answer the question.
            if unknown := unknown_facts(claims, question, vocabulary, index.text):
                return refuse(f"an answer would need what they never mention: {', '.join(unknown)}", drafted)
        if self.settings.grounding == "strict":
            claims = [c for c in claims if c.supported]
        mode = "generated"
        if not any(c.supported for c in claims):
            relevant = {h.sentence.id for h in chosen}
            # A claim was drawn from its best source only when it aligns to it at half the support it needs to be shown.
            min_drawn = self.settings.support_threshold / 2
            claims = extractive_claims(
                checked, hits, relevant, answered, min_support=min_drawn, asked=asked, preceding=index.preceding
            )
            mode = "extractive"
        timings["ground"] = _ms(step)
        claims = with_code_introduced(with_introduced(claims, index.following), index.preceding)
        answer = compose(claims, similarity, dropped, mode)
        answer.answerable, answer.on_point, answer.declined = answerable, judged.on_point, declined
        answer.drafted = drafted
        if mode == "extractive" and (lead := lead_of(checked)) is not None:  # say why the draft could not be shown
            answer.unmentioned = as_written(question, lead.unmentioned)
        problem = failure or (self.llm_problem if self.chat_model is None else None)
        if problem:
            answer.notice = f"the language model is unavailable ({problem}): this answer quotes the sources"
        timings["total"] = _ms(began)
        answer.timings_ms = timings
        return answer

    def document(self, source: str) -> str:
        """The full extracted text of an ingested source, exactly as citation offsets refer to it."""
        sha = self.store.files().get(source)
        if sha is None:
            raise KeyError(f"no ingested document named {source!r}")
        return kept_text(self.settings.texts_dir, sha)

    def collection(self) -> Collection:
        """The collection's sentences and document prompt prefix, cached until the keyword index changes."""
        index = self.store.keywords()
        with self._collection_lock:
            cached = self._collection
            if cached is not None and cached.fingerprint == index.fingerprint:
                return cached
            prefix = document_prefix(index.sentences)
            self._collection = Collection(index.fingerprint, index.sentences, prefix, self._fits(prefix.text))
            return self._collection

    def levels(self) -> RefusalLevels:
        """The similarity levels for refusing: the settings' where set, else derived from this collection (cached
        until the keyword index changes)."""
        fingerprint = self.store.keywords().fingerprint
        with self._collection_lock:
            if self._levels is None or self._levels[0] != fingerprint:
                self._levels = (fingerprint, derive_levels(self.store))
            derived = self._levels[1]
        similarity, quote = self.settings.refusal_threshold, self.settings.quote_threshold
        return replace(
            derived,
            similarity=derived.similarity if similarity is None else similarity,
            quote=derived.quote if quote is None else quote,
        )

    def _fits(self, prefix: str) -> bool:
        """Whether a prompt starting with ``prefix`` leaves room in the context window for a question and answer."""
        model = self.chat_model
        size = int(len(prefix) / CHARS_PER_TOKEN)
        counter = getattr(model, "count_tokens", None)
        if counter is not None:
            try:
                size = counter(prefix)
            except Exception as exc:  # the estimate above serves; the model's own failure shows when it answers
                log.warning("counting the prompt's tokens failed (%s); estimating from its length", exc)
        window = getattr(model, "context_tokens", self.settings.llm_context)
        return size + RESERVED_TOKENS + self.settings.llm_max_tokens <= window

    def uses_document_prompt(self) -> bool:
        """Whether questions are asked over the whole collection rather than over the retrieved sentences."""
        mode = self.settings.prompt
        if mode == "retrieved" or self.chat_model is None:
            return False
        collection = self.collection()
        return bool(collection.sentences) and (mode == "document" or collection.fits)

    def warm(self) -> str | None:
        """Compute or load the KV cache of the document prompt's fixed prefix, so the first question is fast.

        Returns how (``cached``, ``loaded`` or ``computed``), or None when there is nothing to warm.
        """
        self.levels()
        warm = getattr(self.chat_model, "warm", None)
        if warm is None or not self.uses_document_prompt():
            return None
        with self.gate.slot():
            return warm([self.collection().prefix])

    def _prompt(
        self, question: str, history: Sequence[Turn], chosen: list[ScoredSentence]
    ) -> tuple[list[BaseMessage], list[Sentence], Judges | None]:
        """The messages for the model, the sentences its answer is grounded against, and the messages judging its
        draft (None when it is not judged)."""
        turns = [t.model_copy(update={"content": t.content[:PROMPT_TURN_CHARS]}) for t in history[-PROMPT_TURNS:]]
        if self.uses_document_prompt():
            collection = self.collection()
            number = {s.id: n for n, s in enumerate(collection.sentences, 1)}
            relevant = [number[h.sentence.id] for h in chosen if h.sentence.id in number]
            messages = document_messages(collection.prefix, question, relevant, turns)
            judges = None
            if self._judges(threshold := self.settings.judge_threshold):
                on_point = None
                if self.settings.draft_judge_threshold is not None:
                    on_point = partial(draft_judge_messages, collection.prefix, question, history=turns)
                judges = Judges(judge_messages(collection.prefix, question, turns), on_point, threshold)
            return messages, collection.sentences, judges
        sources = with_context(chosen, self.store.keywords(), self.settings.context_window)
        judges = None
        if self._judges(threshold := self.settings.retrieved_judge_threshold):
            judges = Judges(retrieved_judge_messages(question, sources, turns), None, threshold)
        return retrieved_messages(question, sources, turns), sources, judges

    def _judges(self, threshold: float | None) -> bool:
        """Whether drafts are judged: a threshold is set and the model can read a yes/no choice."""
        return threshold is not None and hasattr(self.chat_model, "choice")

    @property
    def rewrites_followups(self) -> bool:
        """Whether follow-ups are rewritten by the model: by default only for remote backends, which do it well."""
        if self.chat_model is None:
            return False
        if self.settings.rewrite_followups is not None:
            return self.settings.rewrite_followups
        return self.settings.llm.split(":")[0] in ("openai", "ollama")

    def queries(self, question: str, history: Sequence[Turn]) -> list[str]:
        """Retrieval queries for the question: with history, a model-written standalone question when the backend
        can write one, else the deterministic fallback that carries the previous turn's subject."""
        if not history or not self.rewrites_followups:
            return retrieval_query(question, history)
        messages = rewrite_messages(question, [(t.role, t.content) for t in history])
        try:
            rewritten = " ".join(str(self.chat_model.invoke(messages).text).split())[: self.settings.max_question_chars]
        except Exception:  # the fallback below still carries the subject
            log.exception("rewriting the follow-up failed; using the deterministic fallback")
            rewritten = ""
        return [question, rewritten] if rewritten else retrieval_query(question, history)

    def retrieve(
        self, query: str | list[str], at_least: int = 0, vectors: list[list[float]] | None = None
    ) -> list[ScoredSentence]:
        """Candidate source sentences for the query (or several, fused), best first; at least ``at_least`` of them
        when the store holds that many."""
        s = self.settings
        k = max(s.candidates, at_least)
        return retrieve(self.store, query, k, s.retrieval, s.dense_weight, s.keyword_weight, vectors=vectors)

    def _generate(
        self,
        messages: list[BaseMessage],
        judges: Judges | None,
        on_token: Callable[[str], None] | None,
    ) -> tuple[Reply, Judgement, str | None]:
        """The model's reply; its judgements of the reply, when ``judges`` are given (the second only when the first
        is below ``judge_confident`` and there is a draft); and why the model failed, if it did. A failed model
        leaves the draft empty, so that the extractive answer is used instead."""
        if self.chat_model is None:
            return Reply("", False), Judgement(), None
        parts: list[str] = []
        judged = Judgement()
        try:
            with self.gate.slot():
                for chunk in self.chat_model.stream(messages):
                    token = chunk.text
                    parts.append(token)
                    if on_token and token:
                        on_token(token)
                reply = read_reply("".join(parts))
                if judges is not None and (reply.text or reply.declined):
                    judged = judge(self.chat_model, judges, reply.text, self.settings)
        except Busy:
            raise
        except Exception as exc:  # a backend failure must still leave the user an answer
            log.warning("chat model %s failed, answering extractively: %s", type(self.chat_model).__name__, exc)
            return Reply("", False), Judgement(), str(exc) or type(exc).__name__
        return reply, judged, None


def _ms(since: float) -> float:
    return round((time.perf_counter() - since) * 1000, 1)
