"""Which grounded claims answer the question: a claim can be true to the documents and still not be the answer.

Grounding (``grounding.py``) says which sources support each claim; these rules decide which supported claims are
shown. A claim must come from a sentence about as close to the question as the closest one; the first claim is the
direct answer and decides for the sentences after it; a draft that could only be written with names or numbers the
documents never mention is no answer from them at all.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Set
from dataclasses import replace
from functools import lru_cache

import numpy as np

from rag.answer.facts import holds, is_relation, quotes
from rag.answer.grounding import Claim
from rag.retrieval.retrieve import introduced, introducer
from rag.text.sentences import is_title, leads_in, leans_back
from rag.text.words import (
    NUMBER_WORDS,
    STOP_WORDS,
    content_stems,
    content_words,
    is_literal,
    literals,
    numbers,
    stem,
    words,
)
from rag.types import ScoredSentence, Sentence


def query_similarity(query_vectors: list[list[float]], vectors: dict[str, list[float]]) -> dict[str, np.ndarray]:
    """Cosine similarity of every sentence whose vector is known to each query."""
    ids = list(vectors)
    if not ids:
        return {}
    return dict(zip(ids, np.asarray([vectors[i] for i in ids]) @ np.asarray(query_vectors).T))


def similarity_of(per_query: dict[str, np.ndarray], hits: list[ScoredSentence]) -> dict[str, float]:
    """Cosine similarity to the question (the best over its queries) of every sentence whose vector is known;
    retrieval's own scores for its hits."""
    scores = {i: float(row.max()) for i, row in per_query.items()}
    scores.update({h.sentence.id: h.score for h in hits})
    return scores


def says_more(sentence: Sentence) -> bool:
    """Whether a sentence has a content word its section path lacks, and is no title (``states``). One that has
    none ("… and much, much more", "With LLM you can:" under *LLM*) is embedded with its path and is about as
    similar to a question as the path is."""
    return states(sentence) and bool(content_words(sentence.text) - content_words(sentence.section or ""))


def worded(sentence: Sentence) -> bool:
    """Whether a sentence holds an ordinary word, written in small letters: one of identifiers and numbers alone
    ("8*N_ALIASES AliasListEntry", "4 CARD32 N_ENTRIES", a row of a binary format's table) names fields and
    answers no question on its own."""
    return any(w.islower() and w.isalpha() and len(w) > 1 for w in words(sentence.text))


def states(sentence: Sentence) -> bool:
    """Whether a sentence states anything: it is no title run into the text ("Disclaimer of Warranty.", which is
    about as similar to "Is there a warranty?" as the answer and says the opposite of "there is a warranty").
    A list item or code is never a title."""
    return sentence.item or sentence.code or not is_title(sentence.text)


def near_question(
    per_query: dict[str, np.ndarray],
    margin: float | None,
    bar: Set[str] | None = None,
    following: Callable[[Sentence], Sentence | None] | None = None,
    preceding: Callable[[Sentence], Sentence | None] | None = None,
    lead: str | None = None,
) -> Callable[[Claim], bool]:
    """Whether a claim has a source about as similar to the question as the most similar sentence (within
    ``margin``): a sentence can be true to the document and still not answer the question. With several queries (a
    follow-up, and the follow-up after the previous question) a claim need only be close under one.
    ``per_query`` holds each sentence's similarity to each query (``query_similarity``). Only the sentences in
    ``bar`` (all when None, or when it holds none of them) set the most similar: those that ``says_more``. With
    ``following``, a source that introduces a list or code (``introduced``) is as near as what it introduces:
    "It is designed to be:" says what only its list says ("Simple: bm25s is designed to be easy to use"). With
    ``preceding``, a list item is as near as the sentence introducing its list (``introducer``): "(b) You must
    cause any modified files to carry prominent notices" is one of the "following conditions" the question asks
    for, however few words it shares with it. For the claim that is the draft's direct answer (its text ``lead``),
    a source that leans on the sentence before it (``leans_back``) is as near as that one: "What this means is
    that less can open tar files" says what the input preprocessor the sentence before it names does. The claims
    after it only elaborate, and must be near by their own sources."""
    if margin is None or not per_query:
        return lambda claim: True
    rows = [row for i, row in per_query.items() if bar is None or i in bar] or list(per_query.values())
    floor = np.max(np.stack(rows), axis=0) - margin

    def near(claim: Claim) -> bool:
        sources = [*claim.sources]
        if following is not None:
            sources += [b for s in claim.sources for b in introduced(s, following)]
        if preceding is not None:
            sources += [i for s in claim.sources if (i := introducer(s, preceding)) is not None]
            if claim.text == lead:
                sources += [b for s in claim.sources if leans_back(s.text) and (b := preceding(s)) is not None]
        return any(bool(np.any(per_query[s.id] >= floor)) for s in sources if s.id in per_query)

    return near


def off_topic_dropped(claims: list[Claim], near: Callable[[Claim], bool]) -> list[Claim]:
    """The claims, those not ``near`` the question (``near_question``) marked unsupported."""
    return [c if near(c) else replace(c, supported=False) for c in claims]


_ASKS_WHAT = re.compile(r"^\W*(?:\w+\W+){0,2}?(?:what|which|who|whom|whose|when|where|why|how)\b", re.IGNORECASE)
"""A question that asks what, who, why…, in its first words ("Under which license…?"): not one answered yes or no."""


def echoes_dropped(claims: list[Claim], question: str) -> list[Claim]:
    """The claims, those that answer a question asking what, who, why… (``_ASKS_WHAT``) with nothing but its own
    words, numbers and names marked unsupported, with no support: "The ordering of include directories in make
    4.3-3 changed." to "What changed about the ordering of include directories in make 4.3-3?" answers nothing,
    whichever sentences hold its words, and no fallback quotes those. A line leading in to what follows ("To do
    that, run:"), or drawn from one ("Tern serves several formats." from "Tern serves these formats:"), is shown
    with what that introduces, which answers. A word the claim writes more often than the question may be its
    answer: "The games high score files are owned by the group games." to "What group owns the games high score
    files?"."""
    if not _ASKS_WHAT.match(question):
        return claims
    asked = _counted(question)

    def echoes(claim: Claim) -> bool:
        if claim.text.rstrip().endswith(":") or any(leads_in(s.text) for s in claim.sources):
            return False
        return not _counted(claim.text) - asked

    return [replace(c, supported=False, support=0.0) if echoes(c) else c for c in claims]


def _counted(text: str) -> Counter[str]:
    """How often the text writes each content word (stemmed), number and literal."""
    return Counter(content_stems(text)) + Counter(numbers(text) | literals(text))


def lead_of(claims: list[Claim]) -> Claim | None:
    """The direct answer: the first claim, a line that introduces the code after it ("Activate it with:") aside."""
    return next((c for c in claims if not c.text.rstrip().endswith(":")), None)


def lead_decides(claims: list[Claim], aside: Set[int] = frozenset()) -> list[Claim]:
    """The claims, all marked unsupported when the direct answer (``lead_of``) fails: the sentences after it only
    elaborate it. Shown without it they answer nothing ("An environment takes about 100MB. This is because it
    contains a copy of the interpreter…"), and the sources they were drawn from are quoted instead. A claim whose
    place is ``aside`` (verified, but off the question) is no direct answer: the one after it is."""
    lead = lead_of([c for at, c in enumerate(claims) if at not in aside])
    if lead is None or lead.supported:
        return claims
    return [replace(c, supported=False) for c in claims]


def narrowly_missed(claims: list[Claim], near: Callable[[Claim], bool], min_support: float) -> tuple[Sentence, ...]:
    """The sources of a direct answer that failed only narrowly (support at least ``min_support``, near the
    question, a word or two not in its sources): where the draft's answer came from, which the fallback quotes.
    All of them: a claim aligned to two ran them together ("use `install -r` with the requirements file", from
    the sentence that names the file and the block that runs the command), and one alone answers half. Empty
    otherwise."""
    lead = lead_of(claims)
    if lead is None or lead.supported or lead.support < min_support or not near(lead):
        return ()
    return lead.sources


_PUNCTUATION = "\"'“”‘’,;:.!?()"
_POSSESSIVE = re.compile(r"['’]s$")


def as_written(question: str, stems: Set[str]) -> list[str]:
    """The question's names that hold one of ``stems``, as it writes them: each run of capitalised words with one
    among them ("Globex Corp" from "How does Globex Corp fit in?"), without a possessive's "'s" at its end ("the
    Board's Chair", but "Globex" from "Globex's products")."""
    found: list[str] = []
    run: list[str] = []
    for token in [*question.split(), ""]:
        word = token.strip(_PUNCTUATION)
        if word[:1].isupper() and word.lower() not in STOP_WORDS:
            run.append(word)
            if token == token.rstrip(_PUNCTUATION):
                continue  # a comma or a question mark ends the name
        if any(stem(part) in stems for w in run for part in words(w)):
            found.append(_POSSESSIVE.sub("", " ".join(run)))
        run = []
    return list(dict.fromkeys(found))


_NUMBERS = NUMBER_WORDS | {stem(w) for w in NUMBER_WORDS}  # as numbers() writes them, and as names() does


@lru_cache(maxsize=4)
def _written_numbers(text: str) -> frozenset[str]:
    """The numbers a collection's ``text`` writes: read once per text (70 to 85 ms for 1.1 MB), as an answer that
    fails verification asks again with the same text."""
    return frozenset(numbers(text))


def unknown_facts(claims: list[Claim], question: str, vocabulary: Set[str], text: str) -> list[str]:
    """The words, as the draft wrote them, of the names and numbers its claims need and the collection never
    mentions (``vocabulary``: the stems of its keyword index; ``text``: its sentences). Spelled-out numbers are left
    out: "three steps" counts what a sentence lists. Misquoted code ("`...`") is too, since the command may still be
    in the documents, unless it quotes a command-line option they never show (``invented_options``), and so are
    things related as no source relates them (``is_relation``: "8 with 16", "debian for redhat"), each of which they
    may write. So are names
    the question itself gives: a draft repeating the question's "the Fed", over documents that say "the central
    bank", shows only that the question named it differently from the documents. A file name or path
    (``is_literal``) is unknown only when the documents never hold it as written."""
    asked = {stem(w) for w in words(question)} | literals(question)
    known = vocabulary | _NUMBERS | _written_numbers(text) | asked  # the vocabulary leaves out "5" of "GPT-5"
    unknown = {
        fact
        for c in claims
        for fact in c.foreign
        if fact not in known and not fact.startswith("`") and not is_relation(fact) and not _known_literal(fact, text)
    }
    written = [w for c in claims for w in words(c.text) if {w, stem(w), w.replace(",", "")} & unknown]
    written += sorted(f for f in unknown if is_literal(f))  # a literal is written as the fact itself
    options = [o for c in claims for fact in c.foreign if fact.startswith("`") for o in invented_options(fact, text)]
    return list(dict.fromkeys(written + options)) or sorted(unknown)


def _known_literal(fact: str, text: str) -> bool:
    """Whether ``fact`` is a file name, path or other literal that ``text`` holds, but for case: it is in the
    documents, only not in the sentences the claim was aligned to."""
    return is_literal(fact) and holds(text, fact)


_OPTION = re.compile(r"--?[A-Za-z][\w-]*")


def invented_options(code: str, text: str) -> list[str]:
    """The command-line options in quoted ``code`` that ``text`` never holds, unless the rest of the code is
    quoted from it. An option the documents never show ("`--hash`") names something they never mention; a real
    command with a wrong option added ("`cargo install tern --force`") is a misquote of what they do say."""
    tokens = code.strip("`").split()
    heads = [t.split("=")[0] for t in tokens]  # "--hash=sha256:…" is the option --hash
    invented = [h for h in heads if _OPTION.fullmatch(h) and not re.search(rf"(?<![\w-]){re.escape(h)}(?![\w-])", text)]
    rest = " ".join(t for t, h in zip(tokens, heads) if h not in invented)
    if not invented or (rest and quotes(text, rest)):
        return []
    return list(dict.fromkeys(invented))
