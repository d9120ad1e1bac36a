"""Writing the ``Answer``: claims numbered by first citation, the extractive fallback, and refusals."""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Set
from dataclasses import replace

from rag.answer.facts import holds
from rag.answer.grounding import Claim, contradicting
from rag.answer.select import says_more, worded
from rag.retrieval.retrieve import cut_after, introduced
from rag.store.chroma import Store
from rag.text.sentences import asks, leads_in
from rag.types import Answer, AnswerSentence, Citation, ScoredSentence, Sentence, last_heading

LIST_GOES_ON = "… (the list goes on in the source)"
_BULLET = re.compile(r"(?:[-*•]|\d{1,2}[.)])\s")


def compose(claims: list[Claim], scores: dict[str, float], dropped: list[str], mode: str) -> Answer:
    """Number citations by first use and write ``[n]`` markers after each sentence; a list item quoted after the
    sentence that introduces it (``Claim.listed``) goes on a line of its own, as ``- item [n]``, followed by a
    line that says the list goes on when it was cut (``Claim.cut``), as does a sentence the model wrote as a list
    item ("- You must retain…"), and a sentence after the list starts a new paragraph. An item's next sentence
    stays in its bullet, whether quoted or the model's."""
    citations: list[Citation] = []
    number: dict[str, int] = {}
    parts: list[str] = []
    sentences: list[AnswerSentence] = []
    listing = False  # the last part written was a listed item
    previous: Claim | None = None
    for claim in claims:
        if not claim.supported:  # lenient mode: shown, but marked and citing nothing
            parts.append(("\n\n" if listing else " " if parts else "") + f"{claim.text} [unsupported]")
            listing, previous = False, None
            sentences.append(AnswerSentence(text=claim.text, citations=[], support=claim.support))
            continue
        marks = []
        for source, support in zip(claim.sources, claim.source_support):
            if source.id not in number:
                number[source.id] = len(citations) + 1
                citations.append(
                    Citation(
                        id=source.id,
                        source=source.source,
                        text=source.text,
                        start=source.start,
                        end=source.end,
                        score=round(scores.get(source.id, 0.0), 4),
                        support=support,
                        page=source.page,
                        section=source.section,
                        code=source.code,
                        item=source.item,
                    )
                )
            marks.append(number[source.id])
        bulleted = bool(_BULLET.match(claim.text))  # the model's own list item: on a line of its own too
        between = "\n" if bulleted else "\n- " if claim.listed else "\n\n" if listing else " "
        if claim.listed and listing and previous is not None and _same_item(previous.sources[-1], claim.sources[0]):
            between = " "  # the item's next sentence, in the same bullet
        elif len(claim.sources) == 1 and claim.sources[0].code and claim.text == claim.sources[0].text:
            between = "\n"  # a quoted code block, on lines of its own
        parts.append((between if parts else "") + claim.text + " " + "".join(f"[{n}]" for n in marks))
        if claim.cut:
            parts.append(f"\n- {LIST_GOES_ON}")
        listing = claim.listed or bulleted
        previous = claim
        sentences.append(AnswerSentence(text=claim.text, citations=marks, support=claim.support))
    return Answer(
        answer="".join(parts), refused=False, citations=citations, sentences=sentences, dropped=dropped, mode=mode
    )


def _same_item(before: Sentence, after: Sentence) -> bool:
    """Whether ``after`` is the next sentence of the list item ``before`` ends: the layout writes an item's
    sentences one space apart, and items a line apart."""
    return 0 <= after.start - before.end <= 1


def unmentioned_note(answer: Answer) -> str | None:
    """The line that says why an answer quotes the sources instead of the model's draft, when the draft needed names
    from the question that the documents never mention (``Answer.unmentioned``); None otherwise."""
    if not answer.unmentioned:
        return None
    named = ", ".join(f"“{name}”" for name in answer.unmentioned)
    return f"The documents never mention {named}: the sentences closest to the question are quoted instead."


def with_introduced(claims: list[Claim], following: Callable[[Sentence], Sentence | None]) -> list[Claim]:
    """Each cited sentence that introduces a code block ("Install it with pip:") or a list brings it along, with
    the same support: the command, or the list, is what the reader came for. The code block is cited by the same
    claim; each list item the answer does not cite yet is quoted as a claim of its own (an item's sentences are
    written without a break between them; items are separated by one). The claims right after it that cite only
    items of its list are items too: the list is written in the document's order, the model's items and the
    quoted ones together."""
    cited = {s.id for c in claims for s in c.sources}
    quoting = {c.sources[0].id for c in claims if len(c.sources) == 1 and c.text == c.sources[0].text}  # shown as is
    shown = []
    rest = list(claims)
    while rest:
        claim = rest.pop(0)
        sources, support, items = list(claim.sources), list(claim.source_support), []
        cut = False  # a list brought here goes on past the items brought
        members: set[str] = set()
        for source, value in zip(claim.sources, claim.source_support):
            brings = introduced(source, following)
            cut = cut or bool(brings and cut_after(brings[-1], following))
            for brought in brings:
                if brought.code:
                    if brought not in sources and brought.id not in quoting:
                        sources.append(brought)
                        support.append(value)
                    continue
                members.add(brought.id)
                if brought.id not in cited:
                    cited.add(brought.id)
                    if items and _same_item(items[-1][0][-1], brought):
                        items[-1][0].append(brought)
                    else:
                        items.append(([brought], value))
        listed = [
            Claim(" ".join(quoted(s) for s in item), tuple(item), value, (value,) * len(item), listed=True)
            for item, value in items
        ]
        while members and rest and rest[0].supported and {s.id for s in rest[0].sources} <= members:
            listed.append(replace(rest.pop(0), listed=True))
        listed.sort(key=lambda c: c.sources[0].start)
        if listed and cut:
            listed[-1] = replace(listed[-1], cut=True)
        shown += [replace(claim, sources=tuple(sources), source_support=tuple(support)), *listed]
    return shown


def with_code_introduced(claims: list[Claim], preceding: Callable[[Sentence], Sentence | None]) -> list[Claim]:
    """An answer that is code alone comes after the sentence that introduces its first block in the document,
    quoted with the same support: what the document says the code does, where the model's own lead-in did not
    hold. Over zstd's CONTRIBUTING.md, "How do I run a quick local test?" was answered "`make staticAnalyze`"
    alone, its draft's "To run a quick local test, you can follow these steps:" dropped; the document introduces
    it "…you can ensure that our static analysis tests pass on your local development machine by running:"."""
    if not claims or not all(c.sources and c.sources[0].code for c in claims):
        return claims
    intro = _leading_into(claims[0].sources[0], preceding)
    if intro is None or any(intro in c.sources for c in claims):
        return claims
    support = claims[0].support
    return [Claim(quoted(intro), (intro,), support, (support,)), *claims]


def _leading_into(code: Sentence, preceding: Callable[[Sentence], Sentence | None] | None) -> Sentence | None:
    """The sentence of prose right before the code that leads in to it ("…which can be run via:"), if one does."""
    before = preceding(code) if preceding is not None else None
    return before if before is not None and not before.code and leads_in(before.text) else None


def extractive_claims(
    drafted: list[Claim],
    hits: list[ScoredSentence],
    relevant: set[str],
    answered: tuple[Sentence, ...] = (),
    most: int = 2,
    min_support: float = 0.0,
    asked: Set[str] = frozenset(),
    preceding: Callable[[Sentence], Sentence | None] | None = None,
) -> list[Claim]:
    """Source sentences themselves, quoted: the code blocks the model's unverified sentences copied exactly, each
    after the sentence that introduces it where one does (``preceding``: "There is an extensive integration test
    suite available which can be run via:", then "$ ./test/integration/run-tests"); else
    the sentences its first sentence ``answered`` from (all it was aligned to: one, or two it ran together, in the
    order they are written), when that one failed only narrowly, and those they were drawn from (each one's best
    aligned source, when it aligns at ``min_support`` or better) where retrieval ranked them among the ``relevant``
    sentences too, in the draft's order; else the best-ranked retrieved sentence that says more than its heading
    (``says_more``: "With LLM you can:" under *LLM* ranks first for "What is LLM?" and answers nothing), holds
    an ordinary word (``worded``: not a table row of field names) and asks nothing (a FAQ's "Is this ok?").
    A draft that failed verification is weak evidence on its own: a loose paraphrase aligns best to any short
    sentence that shares its subject. Code copied exactly is not loose: it names its block. When some retrieved
    sentence holds the identifiers the question asks about (``asked``), only such sentences are drawn and best:
    a draft that said of "python-is-python3" what a sentence says of "the python3 package" was drawn from that
    sentence, which answers another question."""
    copied = {s.id: s for c in drafted for s in c.copied}
    scoped = bool(asked) and any(_names(h.sentence, asked) for h in hits)  # else no sentence could be quoted
    ranked = [h.sentence for h in hits if not scoped or _names(h.sentence, asked)]
    best = next((s for s in ranked if says_more(s) and worded(s) and not asks(s.text)), ranked[0])
    drawn = {
        source.id: source
        for c in drafted
        if c.sources
        for source, support in [_drawn_from(c)]
        if source.id in relevant and support >= min_support and (not scoped or _names(source, asked))
    }
    if copied:
        sources = []
        for code in copied.values():
            if (before := _leading_into(code, preceding)) is not None and before not in sources:
                sources.append(before)
            sources.append(code)
    elif answered:  # with the drawn sentences, else with retrieval's best: two signals, not one
        known = {s.id for s in answered}
        answered = tuple(sorted(answered, key=lambda s: (s.source, s.index)))  # read as they were written
        sources = [*answered, *(s for s in (list(drawn.values()) or [best]) if s.id not in known)]
    else:
        sources = list(drawn.values()) or [best]
    sources = [s for s in sources if not asks(s.text)][:most] or [best]  # a question quoted answers nothing
    return [Claim(text=quoted(s), sources=(s,), support=1.0, source_support=(1.0,)) for s in sources]


def _drawn_from(claim: Claim) -> tuple[Sentence, float]:
    """The source a failed claim was drawn from, with its support: the one that negates where the claim does not,
    when one of its sources does (the document's own word on what the draft got backwards: "Out of the box, Ninja
    has no rules for e.g. compiling C code" for "Yes, Ninja has built-in rules for compiling C code"); else the
    one it was aligned to."""
    at = contradicting(claim) or 0
    return claim.sources[at], claim.source_support[at]


def _names(sentence: Sentence, identifiers: Set[str]) -> bool:
    """Whether the sentence writes each of the identifiers (``holds``)."""
    return all(holds(sentence.text, i) for i in identifiers)


def quoted(sentence: Sentence) -> str:
    """A source sentence as an answer quotes it: code as written, prose on one line. A plain-text file wraps its
    lines and indents them ("You are solely responsible for determining the\n      appropriateness…"), which
    an answer would show as ragged breaks; the citation keeps the exact text."""
    return sentence.text if sentence.code else " ".join(sentence.text.split())


def _covers(store: Store, documents: int = 3, sections: int = 6) -> list[str]:
    """What the documents are about: a structured document's section titles, or any other's first sentence."""
    index = store.keywords()
    lines = []
    for opening in index.openings[:documents]:
        titles = [last_heading(path) for path in index.sections.get(opening.source, [])]
        if titles:
            more = ", …" if len(titles) > sections else ""
            lines.append(f"{opening.source}: sections " + ", ".join(f"“{t}”" for t in titles[:sections]) + more + ".")
        else:
            lines.append(f"{opening.source}: “{quoted(opening)}”")
    return lines


def refusal(
    reason: str,
    hits: list[ScoredSentence],
    store: Store,
    timings: dict[str, float],
    began: float,
    answerable: float | None = None,
    declined: bool = False,
    on_point: float | None = None,
) -> Answer:
    """Says the documents don't cover the question, why, and what they do cover; the closest passages are offered
    as suggestions, never as citations."""
    covers = " ".join(_covers(store)) or "no documents have been ingested yet."
    text = f"The document doesn't cover this: {reason}. What it does cover: {covers}"
    timings["total"] = round((time.perf_counter() - began) * 1000, 1)
    suggestions = [h.sentence for h in hits[:3]]
    return Answer(
        answer=text,
        refused=True,
        mode="refusal",
        suggestions=suggestions,
        timings_ms=timings,
        answerable=answerable,
        declined=declined,
        on_point=on_point,
    )
