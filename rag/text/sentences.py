"""Sentence splitting with exact character offsets: ``text[start:end]`` is always the sentence."""

from __future__ import annotations

import re
from typing import NamedTuple


class Span(NamedTuple):
    """A sentence's place in its text, as half-open character offsets."""

    start: int
    end: int


# A run of terminal punctuation, then any closing quotes or brackets.
_TERMINATOR = re.compile(r"[.!?…]+[\"'”’)\]]*")
# Blank lines always end a sentence; so does the start of a Markdown block (heading, list item, quote), and a
# plain-text line opening with "•".
_BLOCK_BREAK = re.compile(r"\n[ \t]*\n\s*|\n(?=[ \t]*(?:#{1,6}\s|[-*+•]\s|>\s|\d+[.)]\s))")
_HEADING_LINE = re.compile(r"^[ \t]*#{1,6}\s[^\n]*$", re.MULTILINE)

# Lower-cased, without the final period. A period after these does not end a sentence.
_ABBREVIATIONS = frozenset(
    "e.g i.e cf vs viz al approx ca mr mrs ms dr prof st jr sr inc ltd co corp no nos fig figs vol ed eds "
    "gen col lt sgt capt rep sen gov pres dept est jan feb mar apr jun jul aug sep sept oct nov dec".split()
)
# After a dotted acronym such as "U.S." a sentence ends only if one of these words follows.
_SENTENCE_STARTERS = frozenset(
    "The This That These Those It Its He She They We I You In On At As But However Yet And So A An If "
    "When While Although Since Because Both Each".split()
)
_ACRONYM = re.compile(r"(?:[A-Za-z]\.){2,}$")
_INITIAL = re.compile(r"(?:^|[\s(])[A-Z]\.$")
# A bracketed aside that is all that is left of its block, with any closing quotes, and no sentence of its own.
_ASIDE = re.compile(r"[\[(][^\[\]()\n.!?…]*[\])][\"'”’]*\s*")


# A name in small letters (not a pronoun: "…is deprecated now. it will not be read…" is one sentence of
# fontconfig's guide, as documents are split), then a verb that makes it the subject of a new sentence:
# "…on Linux. libiconv is…".
_LOWER_SUBJECT = re.compile(
    r"(?!(?:it|this|that|these|those|they|there|he|she|we|you|i)\s)[a-z][\w.+-]*\s+"
    r"(?:is|are|was|were|has|have|can|cannot|can't|does|doesn't|do|don't|isn't|aren't|will|won't|"
    r"would|should|must|may|might|provides|supports|requires|needs|uses)\b"
)


_BARE_ANSWER = re.compile(r"(?:A[:.]\s+)?(?:yes|no)(?:,? (?:sorry|and (?:yes|no)))?[.!]", re.IGNORECASE)
"""A sentence that only answers yes or no: "Yes.", "No, sorry.", "Yes and yes.", a FAQ's "A:  No." or "A. Yes."."""


def split_sentences(text: str, lower_starts: bool = False) -> list[Span]:
    """Return the sentences of ``text`` in order; the text between two spans is only whitespace, and the brackets of a
    parenthesis around several sentences.

    A sentence opens with a capital, a digit or a symbol; with ``lower_starts``, also with a name in small letters that
    a verb follows ("libiconv is…"), as a model writes one. Documents are read without: their sentence ids, and the
    sentences that gold sets cite, come from this splitter ("…is called venv. venv will usually install…" is one
    sentence of Python's tutorial there). Only after two spaces, the mark of typewriter-style text, does such a name
    open a document's sentence: man-db's FAQ writes "…from the translators.  man-db uses gettext…". A bare answer
    ("Yes.", "No, sorry.") opens the sentence after it: a FAQ's "Yes.  However any library routines that zlib uses must
    also be thread-safe." says what the "Yes." alone does not."""
    spans: list[Span] = []
    for block_start, block_end in _blocks(text):
        seg_start = block_start
        for match in _TERMINATOR.finditer(text, block_start, block_end):
            bare = _BARE_ANSWER.fullmatch(text[seg_start : match.end()].strip()) is not None
            if _ends_sentence(text, match, block_end, lower_starts) and not bare:
                _emit(text, seg_start, match.end(), spans)
                seg_start = match.end()
        _emit(text, seg_start, block_end, spans)
    return spans


def _blocks(text: str) -> list[tuple[int, int]]:
    """Cut the text at hard breaks: blank lines, Markdown block starts, and after heading lines."""
    cuts = {0, len(text)}
    for match in _BLOCK_BREAK.finditer(text):
        cuts.update((match.start(), match.end()))
    for match in _HEADING_LINE.finditer(text):
        cuts.update((match.start(), match.end()))
    points = sorted(cuts)
    return list(zip(points, points[1:]))


_CLOSING = {"(": ")", "[": "]"}
_OPENING = {v: k for k, v in _CLOSING.items()}


def _emit(text: str, start: int, end: int, spans: list[Span]) -> None:
    """Append the whitespace-trimmed span, if anything is left of it. A bracket the span opens and never closes,
    or closes and never opened, is left out: it belongs to a parenthesis around several sentences."""
    start, end = _trimmed(text, start, end)
    if start < end and text[start] in _CLOSING and _CLOSING[text[start]] not in text[start:end]:
        start, end = _trimmed(text, start + 1, end)
    if start < end and text[end - 1] in _OPENING and _OPENING[text[end - 1]] not in text[start:end]:
        start, end = _trimmed(text, start, end - 1)
    if start < end:
        spans.append(Span(start, end))


def _trimmed(text: str, start: int, end: int) -> tuple[int, int]:
    """The span without whitespace at either end."""
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end


def _ends_sentence(text: str, match: re.Match[str], block_end: int, lower_starts: bool = False) -> bool:
    """Whether the punctuation at ``match`` closes a sentence, judged by what comes before and after it."""
    after = match.end()
    if after >= block_end:
        return True
    if not text[after].isspace():  # "3.5", "U.S.-based", "e.g.,"
        return False
    nxt = after
    while nxt < block_end and text[nxt].isspace():
        nxt += 1
    if nxt >= block_end:
        return True
    following = text[nxt]
    spaced = text.startswith("  ", after)  # typewriter style: two spaces after a sentence, one inside it
    if (
        following.islower() and not ((lower_starts or spaced) and _LOWER_SUBJECT.match(text, nxt, block_end))
    ) or following in ",;:":
        return False
    if _ASIDE.fullmatch(text, nxt, block_end):  # "…predictions. [for Ludwig]": a closing aside, not a sentence
        return False
    if not any(c.isalnum() for c in text[nxt:block_end]):  # "…the FastAPI of CLIs. ⌨️ 🚀": symbols, not a sentence
        return False
    if match.group() != ".":
        return True
    word = text[max(0, match.start() - 40) : match.end()].split()[-1] if match.start() else "."
    stem = word[:-1].lstrip("(\"'“‘[").lower()
    if stem in _ABBREVIATIONS:
        return False
    if _INITIAL.search(text[max(0, match.start() - 2) : match.end()]):
        return False
    if _ACRONYM.search(word):
        next_word = re.match(r"[^\s,;:]+", text[nxt:block_end])
        return bool(next_word) and next_word.group().strip("\"'“‘") in _SENTENCE_STARTERS
    return True


_TITLE_WORDS = re.compile(r"[^\W\d_]+(?:['’-][^\W\d_]+)*(?:\s+[^\W\d_]+(?:['’-][^\W\d_]+)*){0,5}")
_LOWER_TITLE_WORDS = frozenset("a an and as at by for from in into of on or the to with".split())


def is_title(text: str) -> bool:
    """Whether a sentence is a title run into the text rather than a statement: up to six words, nothing but
    letters, either every word capitalised and a closing period ("Disclaimer of Warranty.", "Trademarks."), as a
    numbered plain-text section opens, or every word in capitals ("VERBATIM COPYING"). It states nothing, so it
    supports no claim and answers no question; a name on a line of its own ("Simon Josefsson") is no title."""
    body = text.strip()
    if body.endswith("."):
        body = body[:-1]
        shape = all(w[:1].isupper() or w in _LOWER_TITLE_WORDS for w in body.split())
    else:
        shape = body.isupper() and len(body) > 3
    return bool(_TITLE_WORDS.fullmatch(body)) and shape and any(len(w) > 3 for w in body.split())


_FOLLOWING = re.compile(r"\b(?:the following|as follows)\b", re.IGNORECASE)


_LEANS_BACK = re.compile(
    r"^(?:this|that|these|those|it|its|they|their|such|both|however|yet|thus|hence|what (?:this|that) means)\b", re.I
)


def leans_back(text: str) -> bool:
    """Whether a sentence opens leaning on the one before it: "This has heightened the stakes…", "What this means
    is that less can open tar files…"."""
    return _LEANS_BACK.match(text) is not None


def names_subject(text: str) -> bool:
    """Whether the text opens with a name in small letters that a verb follows, as a sentence about it does:
    "bc is a language…", "libiconv is…"."""
    return _LOWER_SUBJECT.match(text) is not None


def asks(text: str) -> bool:
    """Whether a text (a heading) asks a question: a FAQ's "5.1. Why don't my variables get expanded?"."""
    return text.rstrip().endswith("?")


def leads_in(text: str) -> bool:
    """Whether a sentence reads as introducing what comes after it (a list, a code block): it ends with a colon,
    or it speaks of "the following" ("Security notifications will be distributed via the following methods.")."""
    return text.rstrip().endswith(":") or _FOLLOWING.search(text) is not None
