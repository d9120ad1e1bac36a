"""Whether a claim says yes, no or "if" as its sources do where they say what it says: a claim can share every
word with its source and state the opposite ("The database stores preferences" from "…does NOT store
preferences"), or state as a fact what the source says only under a condition."""

from __future__ import annotations

import re
from collections.abc import Sequence, Set

from rag.answer.claims import opener, without_opener
from rag.text.sentences import asks
from rag.text.words import NEGATING_VERBS, STOP_WORDS, content_words, negations, stem, words

_SCOPE = 3
"""How many words before the first word a claim shares with a source a negation may stand and still bear on it:
"does not store", "never edit the"."""


def says_otherwise(
    claim: str, sources: list[str], headings: Sequence[str | None], best: str, further: Sequence[str]
) -> bool:
    """Whether the claim says otherwise than its sources where they say what it says: it negates where they do not
    (``negated_alike``, under their ``headings``), states as a fact what the ``best`` says only under a condition
    and none of the ``further`` sources states plainly (``asserted_alike``), says of a whole what they say of a
    part (``whole_alike``), or opens with a "Yes" or "No" they do not (``answered_alike``)."""
    return not (
        negated_alike(claim, sources, headings)
        and asserted_alike(claim, [best], further)
        and whole_alike(claim, sources)
        and answered_alike(claim, sources)
    )


def negated_alike(claim: str, sources: list[str], headings: Sequence[str | None] = ()) -> bool:
    """Whether the claim negates as its sources do where they say what it says: as many negations, counted odd or
    even, as the shortest stretch of each source that holds every word it shares with the claim, from the start of
    that stretch's clause or a few words before it (``_clauses``). A claim that drops a "not" ("The database stores
    user preferences" from "…does NOT store user preferences") shares every word with its source and says the
    opposite; a claim taken from a clause with no negation ("The type is only a guess" from "…only a guess, and an
    application MUST NOT trust a file based on its type") is not held to the negation of another. An opening "No,"
    answers the question and negates nothing the claim states, in the claim or in a source (a FAQ's "No.  PKWare
    has apparently decided to keep that format proprietary"). Sources negating nothing the claim says are read
    under their headings (``headings``), whose negations ("not", "no", not a negating verb: "Deprecation Note"
    is no "not") bear on all under them: "An attached archive (tar, zip…)" says nothing of wanting one, its
    heading "What we do not want" does. A heading that asks ("Why don't my variables get expanded?") states
    nothing, so negates nothing."""
    claim = without_opener(claim)  # "No, it does not…": one "not"
    content = content_words(claim)
    found = sum(_bearing(without_opener(source), content) for source in sources)
    if not found:  # each heading once, however many sources stand under it; its "not", not its nouns
        found = sum(len(negations(words(heading))) for heading in set(headings) if heading and not asks(heading))
    return _bearing(claim, content) % 2 == found % 2


def _bearing(text: str, content: Set[str]) -> int:
    """How many negations of the text bear on the ``content`` words it holds: those in the shortest stretch
    holding them all, or a few words before it or in its first clause (``_clauses``), or the word right after it
    in its last clause ("…thus requiring no additional software": what is required, it says, is nothing). Counted
    so in the claim as in its sources: a claim that copies "…whether this is the same as the manual page hierarchy
    or not." ends with a "not" that bears on none of the words before it, in either."""
    tokens, clause, compound, stems, span = _stretch(text, content)
    if span is None:
        return 0
    first, last = span
    near = {
        at
        for at in negations(tokens)
        if (first - _SCOPE <= at and not _conditional(tokens, clause, at, first) or clause[at] == clause[first])
        and (at <= last or (at == last + 1 and clause[at] == clause[last]))
    }  # fmt: skip
    # A negating verb bears on its clause, before the words it negates or after them ("the form … is deprecated").
    near |= {
        at
        for at, s in enumerate(stems)
        if s in NEGATING_VERBS and not compound[at] and (first - _SCOPE <= at or clause[at] == clause[first])
        and (at <= last or clause[at] == clause[last])
    }  # fmt: skip
    return len(near)


_CONDITIONS = frozenset({"if", "unless"})


def _conditional(tokens: list[str], clause: list[int], at: int, first: int) -> bool:
    """Whether the token at ``at`` stands in a clause before that of ``first`` that opens with a condition: a
    negation there bears on the condition alone ("If they're not long enough, use --num-callers to make them
    longer" says "make them longer" with no "not")."""
    opening = clause.index(clause[at])
    return clause[at] < clause[first] and tokens[opening].lower() in _CONDITIONS


def asserted_alike(claim: str, sources: list[str], others: Sequence[str] = ()) -> bool:
    """Whether the claim states as a fact only what its sources state as one: not what a source says only under
    a condition, in a clause opening "If…" or "Unless…" that holds every word the two share ("Yes, Python 2 is
    still supported in Bullseye" from "If Python 2 is still supported in Bullseye, selected packages may continue
    using it"), unless the claim keeps the condition. A claim that takes the clause after the condition too ("To
    get that version, run…" from "If you want that version, run…") states what the source does; so does one
    most of whose conditioned words one of its ``others`` (its further sources) holds outside any condition ("…replace
    foo with a host name that has been registered with an mDNS responder" beside "…if you want to register the
    local host name")."""
    claim = without_opener(claim)
    content = content_words(claim)
    if _conditioned(claim, content):
        return True
    for source in sources:
        held = _conditioned(source, content)
        if held and not any(2 * len(held - _plain(other, content)) < len(held) for other in others):
            return False
    return True


def _conditioned(text: str, content: Set[str]) -> set[str]:
    """The ``content`` words the text holds only under a condition (``_CONDITIONS``), when the shortest stretch
    holding all it holds lies within one clause that opens with one (all of them), or when most of them stand only
    after a condition in their clause: "you have to run a responder daemon separately from nss-mdns if you want to
    register the local host name" holds "register", "local", "host" and "name" only under its "if". Empty when it
    states them as a fact."""
    tokens, clause, _, stems, span = _stretch(text, content)
    if span is None:
        return set()
    first, last = span
    opening = clause.index(clause[first])
    if clause[first] == clause[last] and any(t.lower() in _CONDITIONS for t in tokens[opening : first + 1]):
        return content & set(stems[first : last + 1])
    under, free = _under_condition(tokens, clause, stems, content)
    only = under - free
    return only if 2 * len(only) > len(under | free) else set()


def _plain(text: str, content: Set[str]) -> set[str]:
    """The ``content`` words the text holds outside any condition."""
    tokens, clause, _, stems = _stemmed(text)
    return _under_condition(tokens, clause, stems, content)[1]


def _under_condition(
    tokens: list[str], clause: list[int], stems: list[str], content: Set[str]
) -> tuple[set[str], set[str]]:
    """The ``content`` words that stand after a condition in their clause, and those that stand elsewhere."""
    under: set[str] = set()
    free: set[str] = set()
    conditional = False
    for at, value in enumerate(stems):
        conditional = (conditional and clause[at] == clause[at - 1]) or tokens[at].lower() in _CONDITIONS
        if value in content:
            (under if conditional else free).add(value)
    return under, free


_PARTS = frozenset({"one", "some", "part", "few", "many", "most", "several"})
"""Words that take a part of what "of" after them names: "wrote one of the earliest versions of sed"."""


def whole_alike(claim: str, sources: list[str]) -> bool:
    """Whether the claim says of a whole only what its sources say of it: a source whose shortest stretch holding
    the words it shares with the claim takes a part of something in the clause that stretch ends in ("Eric Raymond
    wrote one of the earliest versions of sed") says nothing of the whole, and "Eric Raymond wrote sed" drops the
    part. A part set off in a clause of its own ("Eric, one of the maintainers, wrote sed") is said of something
    else. A claim that takes a part itself is held to nothing here."""
    content = content_words(without_opener(claim))
    return _partial(claim, content) or not any(_partial(source, content) for source in sources)


def _partial(text: str, content: Set[str]) -> bool:
    """Whether the shortest stretch of the text holding the ``content`` words it holds takes a part (``_PARTS``
    before "of") in the clause it ends in."""
    tokens, clause, _, _, span = _stretch(text, content)
    if span is None:
        return False
    first, last = span
    return any(
        tokens[at].lower() in _PARTS and tokens[at + 1].lower() == "of" and clause[at] == clause[last]
        for at in range(first, last)
    )


def answered_alike(claim: str, sources: list[str]) -> bool:
    """Whether the claim opens with the "Yes" or "No" its sources open with, where one does: a FAQ answers its
    question so ("Yes. zlib doesn't handle dates." to "Is zlib Y2K-compliant?"), and "No, zlib doesn't handle
    dates." says the opposite with every word of it."""
    said = {opener(source) for source in sources} - {None}
    return not said or opener(claim) in said | {None}


_CLAUSE_BREAK = re.compile(r"[,:](?!\d)|[;()]|\s[-–—]\s|[–—]|\bbut\b", re.IGNORECASE)
"""What ends a clause: a comma or colon (not inside a number), a semicolon, a bracket, a dash, a "but" ("If you're
not using the latest git version but instead building a released tarball…": the "not" is no word on the tarball)."""


def _stretch(
    text: str, content: Set[str]
) -> tuple[list[str], list[int], list[bool], list[str], tuple[int, int] | None]:
    """The text read by ``_stemmed``, and the shortest stretch of its stems holding every one of the ``content``
    words the text holds (None for none)."""
    tokens, clause, compound, stems = _stemmed(text)
    return tokens, clause, compound, stems, _shortest_span(stems, content & set(stems))


def _stemmed(text: str) -> tuple[list[str], list[int], list[bool], list[str]]:
    """The text's tokens, their clauses and compound flags (``_clauses``), and their stems (stop words blank)."""
    tokens, clause, compound = _clauses(text)
    return tokens, clause, compound, [stem(t) if t.lower() not in STOP_WORDS else "" for t in tokens]


def _clauses(text: str) -> tuple[list[str], list[int], list[bool]]:
    """The text's word tokens (hyphenated words split), the clause each is in, and whether it was part of a
    hyphenated word. A negation bears on the words after it in its clause however far they are ("There is no
    dependency on Java or PyTorch"), and on the words of another clause only within ``_SCOPE``."""
    tokens: list[str] = []
    clause: list[int] = []
    compound: list[bool] = []
    for n, part in enumerate(_CLAUSE_BREAK.split(text)):
        for chunk in part.split():
            found = words(chunk.replace("-", " "))
            tokens += found
            clause += [n] * len(found)
            compound += ["-" in chunk] * len(found)
    return tokens, clause, compound


def _shortest_span(stems: list[str], wanted: Set[str]) -> tuple[int, int] | None:
    """The first and last position of the shortest run of ``stems`` holding every one of ``wanted``."""
    best = None
    for first, value in enumerate(stems):
        if value not in wanted:
            continue
        seen: set[str] = set()
        for last in range(first, len(stems)):
            if stems[last] in wanted:
                seen.add(stems[last])
            if len(seen) == len(wanted):
                if best is None or last - first < best[1] - best[0]:
                    best = (first, last)
                break
    return best
