"""Reading a plain text's structure: its sentences, which of them are list items, and the headings over them.

Plain text marks structure only by layout. A heading is a short line of its own, with no closing punctuation,
over the text it names: "Description" over a manual's paragraph, "<dir prefix="default">" over what that element
does, "--disable-setuid" over what that option does. A heading is no sentence; it becomes the section path of the
sentences under it, nested by indentation, as a Markdown heading does.
"""

from __future__ import annotations

import re
from typing import NamedTuple

from rag.text.sentences import asks, leads_in, split_sentences
from rag.types import SECTION_SEPARATOR

Unit = tuple[int, int, str | None, str]
"""A sentence's start and end, its section path, and its kind ("text" or "item")."""

_BULLET = re.compile(r"(?:[-*•]|\(?(?:[a-z]|[ivx]{1,4}|\d{1,2})\))\s")
"""A list marker that opens no numbered section: "- ", "* ", "• ", "(a) ", "a) ", "(iv) ", "1) ", "(1) "."""
_MARKER = re.compile(rf"{_BULLET.pattern}|\d{{1,2}}\.\s")
"""What opens a list item in plain text: a ``_BULLET``, or "1. " (after a colon; else a section's number)."""
_STARS = re.compile(r"(\*{1,4})[ \t]+(?=\S)")
"""Stars opening a heading at the start of a line, one per level, as Emacs outline and Org mode write them (GnuPG's
README: "* BUILD INSTRUCTIONS", "** Socket directory"); one star alone over a paragraph is no list item."""
_LEADER = re.compile(r"\.{5,}|(?:\. ){4,}")
_LETTER = re.compile(r"[^\W\d_]")
_NUMBER = re.compile(r"((?:\d{1,2}\.)+)\s+|(\d{1,2}(?:\.\d{1,2})+)\s+")
"""A section number opening a heading: "2.  ", "1.5.  ", "3.5.2.  ", "1.1  "."""
_HEADING_WORDS = 8
_HEADING_CHARS = 60
_CLOSING = ".,;:!"
"""Punctuation that closes no heading, nor an entry of a table of contents. A question mark closes only a FAQ's
question (``_question``)."""
_Q = re.compile(r"Q[:.]\s+")
_WRAPPED = 2
"""How many lines a numbered or marked question may run on below its first (``_question``)."""
"""What opens a FAQ's question written "Q:  What do the letters XZ mean?", over its "A:  …"."""
_OPENING = "{(["
"""A line ending with an opening bracket is code ("try {"), never a heading."""
_UNDERLINE = re.compile(r"={3,}|-{3,}")
_PARAGRAPH = re.compile(r"^[ \t]*\S.*(?:\n[ \t]*\S.*)*", re.MULTILINE)
_TITLE = ""
"""The number of a title underlined with "===": every numbered section stands under it."""
_SAYS = re.compile(r"[.!?:](?:\s|$)")
"""Punctuation that closes a sentence or leads in to what follows: a description says something in it."""
_DEBIAN_ENTRY = re.compile(r"(?P<title>[a-z0-9][a-z0-9.+-]+ \([^()\s]+\)[^;]*);\s*urgency=\w+.*")
"""The line opening an entry of a Debian changelog or NEWS file (deb-changelog(5)): "make-dfsg (4.3-3) unstable;
urgency=medium". A heading over the entry, titled without its urgency, though it opens in small letters."""
_COLUMNS = re.compile(r"\S {2,}\S")
"""Words set apart by runs of spaces: a table's columns ("1.1.0    2022-12-11    Added ARM64 filter")."""


def plain_units(text: str) -> list[Unit]:
    """The sentences of a plain text, those of a list marked as items, each with the headings over it.

    A list is the lines opening with a marker (``_MARKER``) after a sentence that ends with a colon ("provided
    that You meet the following conditions:", then "(a) You must give…", "(b) You must cause…"), each item running
    on to the end of its paragraph. A numbered line after no colon ("2. Grant of Copyright License.") opens a
    section, not an item. A table of contents' entry ("1.1  man-db .......  1") is no sentence, nor is a number
    alone (a page's, or an entry's), nor an entry of a table of contents without them (``_contents``). A heading
    (``_headings``) is no sentence either: it opens a section."""
    units: list[Unit] = []
    listing = False
    found = _headings(text)
    contents = _contents(text)
    path: list[_Heading] = []
    for start, end in split_sentences(text):
        if _LEADER.search(text, start, end) or not _LETTER.search(text, start, end):
            continue  # a table of contents' entry (its dots lead to a page number), or a page number: no sentence
        if any(first <= start < last for first, last in contents):
            continue
        line = text.rfind("\n", 0, start) + 1
        heading = found.get(line)
        if heading is None and path and start < path[-1].end:
            heading = path[-1]  # a sentence of a question that wraps onto the lines below it
        if heading is not None:
            if not path or path[-1] is not heading:
                path = [*_enclosing(path, heading), heading]
                listing = False
            rest = text[heading.end : end]
            start = heading.end + len(rest) - len(rest.lstrip())
            if start >= end:
                continue  # the heading, or part of it ("1." of "1.  Introduction")
            line = text.rfind("\n", 0, start) + 1  # an option's description runs on from the line under it
        section = SECTION_SEPARATOR.join(h.text for h in path) or None
        opens_line = not text[line:start].strip()
        marked = opens_line and _MARKER.match(text, start) is not None
        before = units[-1] if units else None
        if marked and before is not None and (listing or text[before[0] : before[1]].rstrip().endswith(":")):
            listing = True
        elif listing and before is not None and text.count("\n", before[1], start) >= 2:
            listing = False  # a paragraph that opens with no marker ends the list
        units.append((start, end, section, "item" if listing else "text"))
    return units


class _Heading(NamedTuple):
    indent: int
    number: str | None
    text: str
    end: int


def _enclosing(path: list[_Heading], heading: _Heading) -> list[_Heading]:
    """The headings of ``path`` that the new ``heading`` stands under: a numbered one under those numbered as its
    own number begins ("1.5." under "1.", and all under a title underlined with "==="), the rest under those less
    indented, or indented as far and numbered ("--disable-setuid" under "1.5.  Arguments to configure")."""
    if heading.number == _TITLE:
        return []
    kept = list(path)
    while kept:
        last = kept[-1]
        if heading.number is not None:
            if last.number is not None and heading.number.startswith(last.number):
                break
        elif last.indent < heading.indent or (last.indent == heading.indent and last.number is not None):
            break
        kept.pop()
    return kept


def _headings(text: str) -> dict[int, _Heading]:
    """The text's headings, by the offset of their line. A heading is a line of its own (after a blank line, or at
    the start, and after no line that leads in to what follows), of a few words with a letter and no closing
    punctuation, and no bullet, over body text. A section number may open it ("2.  The manual page system"), and
    then any paragraph may follow. Else the body opens a sentence (not in small letters: "--with-device=DEVICE"
    then "to configure where…" is one sentence around a command), and is either the next line, indented further
    ("--disable-setuid", then "By default…"), or, after a blank line, a paragraph indented as far or further that
    is no heading itself (a sentence that closes with punctuation, or runs over more than one line) under a
    heading that does not open in small letters either. Under a heading that opens with a capital ("Files"), the
    body may open in small letters ("fonts.conf contains…")."""
    lines = text.split("\n")
    offsets = [0]
    for row in lines[:-1]:
        offsets.append(offsets[-1] + len(row) + 1)
    filled = [at for at, row in enumerate(lines) if row.strip()]
    found: dict[int, _Heading] = {}
    for k, at in enumerate(filled):
        row = lines[at]
        if entry := _DEBIAN_ENTRY.fullmatch(row):
            found[offsets[at]] = _Heading(0, None, _title(entry.group("title")), offsets[at] + len(row))
            continue
        if (asked := _question(lines, offsets, filled, k) or _ruled_entry(lines, offsets, filled, k)) is not None:
            found[offsets[at]] = asked
            continue
        starred = _STARS.match(row)
        heading = row[starred.end() :].strip().rstrip(":") if starred else row.strip()
        numbered = _NUMBER.match(heading)
        title = heading[numbered.end() :] if numbered else heading
        underlined = at + 1 < len(lines) and _UNDERLINE.fullmatch(lines[at + 1].strip()) is not None
        longest = 2 if underlined else 1  # an underline says "heading" more surely than shortness does
        if (
            len(title.split()) > longest * _HEADING_WORDS
            or len(title) > longest * _HEADING_CHARS
            or heading[-1] in _CLOSING + _OPENING + "?"
            or not _LETTER.search(title)
            or (_BULLET.match(heading + " ") and not starred)
            or _LEADER.search(heading)
            or _COLUMNS.search(title)
        ):
            continue
        end = offsets[at] + len(row)
        if starred:  # a line of its own, one level per star, over anything; a colon after it leads in to nothing
            if (at == 0 or not lines[at - 1].strip()) and (at + 1 == len(lines) or not lines[at + 1].strip()):
                found[offsets[at]] = _Heading(len(starred.group(1)) - 1, None, _title(heading), end)
            continue
        previous = lines[filled[k - 1]] if k else ""
        if (at > 0 and lines[at - 1].strip()) or (previous and leads_in(previous) and not _STARS.match(previous)):
            continue
        if k + 1 < len(filled) and filled[k + 1] == at + 1 and _UNDERLINE.fullmatch(lines[at + 1].strip()):
            under = lines[at + 1]  # a title underlined with "===" (over all others) or "---"
            number = _TITLE if under.strip().startswith("=") else None
            found[offsets[at]] = _Heading(_indent(row), number, _title(heading), end + 1 + len(under))
            continue
        if k + 1 >= len(filled) or _LEADER.search(lines[filled[k + 1]]):
            continue
        body = lines[filled[k + 1]]
        indent, opening = _indent(row), body.lstrip()[:1]
        if filled[k + 1] == at + 1:  # a term over its description
            if not (_indent(body) > indent and opening.isalpha() and not opening.islower()):
                continue
            if not _SAYS.search(" ".join(_described(lines, at + 1, indent))):
                continue  # a line of code over a line indented further ("Host dmzgw", then "User puffy")
        elif _indent(body) < indent:
            continue
        elif not numbered:
            runs_on = k + 2 < len(filled) and filled[k + 2] == filled[k + 1] + 1
            says = body.rstrip()[-1] in ".!?:" or runs_on
            if heading[0].islower() or (opening.islower() and not heading[0].isupper()) or not says:
                continue
        number = numbered.group(1) if numbered else None
        found[offsets[at]] = _Heading(indent, number, _title(heading), end)
    return found


def _question(lines: list[str], offsets: list[int], filled: list[int], k: int) -> _Heading | None:
    """The heading a FAQ's question makes of its line (the ``k``-th filled one), or None: a line of its own after a
    blank line, ending with "?", up to twice a heading's length, over its answer. Numbered ("4.11. How do I match
    only the first occurrence of a pattern?", with the answer on the next line or after a blank one), opening
    "Q:" ("Q:  What do the letters XZ mean?", titled without it), or else over an answer indented further after a
    blank line (procps: "Why does "ps -aux" complain about a bogus '-'?" over a tabbed paragraph). A numbered or
    marked question may wrap onto up to ``_WRAPPED`` lines below, the last ending with "?", at any length:
    Valgrind's "5.1. I tried writing a suppression but it didn't work. Can you write my" then "suppression for
    me?"."""
    at = filled[k]
    row = lines[at]
    if (at and lines[at - 1].strip()) or k + 1 == len(filled):
        return None
    numbered = _NUMBER.match(row.strip())
    marked = _Q.match(row.strip())
    last = at  # a numbered or marked question may wrap onto the lines below it, none of them opening another
    while not asks(lines[last]) and (numbered or marked) and last < at + _WRAPPED and _runs_on(lines, last + 1):
        last += 1
    question = " ".join(line.strip() for line in lines[at : last + 1])
    after = k + last - at + 1  # the answer's place among the filled lines
    if not asks(question) or after == len(filled):
        return None
    if last == at and (len(question.split()) > 2 * _HEADING_WORDS or len(question) > 2 * _HEADING_CHARS):
        return None
    answer = filled[after]
    if not (numbered or marked or (answer > at + 1 and _indent(lines[answer]) > _indent(row))):
        return None
    title = question[marked.end() :] if marked else question
    end = offsets[last] + len(lines[last])
    return _Heading(_indent(row), numbered.group(1) if numbered else None, _title(title), end)


_ENTRY_LINES = 4
"""Most lines of the bullet paragraph that titles an entry between rules (``_ruled_entry``)."""
_ENTRY_BULLET = re.compile(r"[-*•]\s")


def _ruled_entry(lines: list[str], offsets: list[int], filled: list[int], k: int) -> _Heading | None:
    """The heading a question makes of its paragraph (from the ``k``-th filled line) in a file of entries set
    apart by rules, or None: one bullet's paragraph of at most ``_ENTRY_LINES`` lines that asks, its lines after
    the first indented under its text, right after a rule ("-----" or a title's "=====") and a blank line, over a
    paragraph at the bullet's own indent with no marker, its answer. groff's PROBLEMS: "* There are many empty
    `Makefile.dep' files.  Is this a bug?", then "No.  Real dependency files are created with a `make depend'
    call." A problem stated rather than asked ("* Groff seems to generate level 3 Postscript, but my printer is
    only a level 1 or 2 PostScript printer.") stays a sentence: as a heading its words, the reader's mistaken
    belief, would support what the answer under it denies."""
    at = filled[k]
    row = lines[at]
    bullet = _ENTRY_BULLET.match(row.strip())
    if not bullet or not k or lines[at - 1].strip() or not _UNDERLINE.fullmatch(lines[filled[k - 1]].strip()):
        return None  # a rule, then a blank line, then the bullet
    last = at
    while last + 1 < len(lines) and lines[last + 1].strip():
        last += 1
    after = k + last - at + 1  # the answer's place among the filled lines
    if last - at >= _ENTRY_LINES or after == len(filled):
        return None
    if any(_indent(lines[i]) <= _indent(row) for i in range(at + 1, last + 1)):
        return None  # a second line at the bullet's indent: a list, not one entry's title
    answer = lines[filled[after]]
    if _indent(answer) != _indent(row) or _MARKER.match(answer.strip()) or _UNDERLINE.fullmatch(answer.strip()):
        return None
    title = " ".join(line.strip() for line in lines[at : last + 1])[bullet.end() :]
    if not asks(title):
        return None  # a problem stated, not asked ("Groff seems to generate level 3 Postscript, but…"): a sentence
    return _Heading(_indent(row), None, _title(title), offsets[last] + len(lines[last]))


def _runs_on(lines: list[str], at: int) -> bool:
    """Whether line ``at`` may carry on a question from the line above: it holds words, and opens no numbered or
    marked line of its own (a table of contents' "1.0  General Concepts" then "1.1  Lsof -- what is it?")."""
    row = lines[at].strip() if at < len(lines) else ""
    return bool(row) and not _NUMBER.match(row) and not _Q.match(row)


def _described(lines: list[str], at: int, indent: int) -> list[str]:
    """The lines from ``at`` on that are indented further than ``indent``: a term's description."""
    found = []
    for row in lines[at:]:
        if not row.strip() or _indent(row) <= indent:
            break
        found.append(row.strip())
    return found


def _title(heading: str) -> str:
    """A heading as its section path writes it: one space between words, without the pilcrow a page saved as text
    keeps from its headings' permalinks ("Abstract¶")."""
    return " ".join(heading.rstrip("¶").split())


def _contents(text: str) -> list[tuple[int, int]]:
    """The spans of the text's tables of contents without dot leaders: paragraphs of three lines or more, each a
    section number and a title ("2.1.1.  Stream Header"). The headings they list follow as headings; the
    entries are no sentences."""
    spans = []
    for found in _PARAGRAPH.finditer(text):
        rows = found.group(0).split("\n")
        if len(rows) >= 3 and all(_NUMBER.match(r.strip() + " ") and r.strip()[-1] not in _CLOSING for r in rows):
            spans.append(found.span())
    return spans


def _indent(row: str) -> int:
    return len(row) - len(row.lstrip())
