"""A PDF's pages read as blocks: running headers and footers dropped, wrapped lines joined, the outline's titles
made headings, and bulleted lines made list items.

pypdf gives each page as lines, with no marks of structure. What a reader sees as structure is recovered from
what every PDF writer leaves: a line at the top or bottom of most pages is a running header or footer (a page
number differs only in its digits); a line clearly shorter than the text's width ends a paragraph; a bookmark
(the outline) names a heading on its page; a bullet glyph opens a list item. The text is then written by
``Layout``, as Markdown and HTML are, so a PDF has sections and citable sentences that never hold a page number or
a heading glued to them.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

from ingest.markup import Layout

BULLETS = "•◦▪▫●○‣⁃∙·–"
"""Glyphs that open a list item when a line starts with one of them and a space."""
_ITEM = re.compile(rf"[{BULLETS}]\s+")
_RUNNING_EDGE = 2
"""How many lines at each end of a page may be a running header or footer."""
_TITLE_LINES = 3
"""How many lines a heading's title may wrap onto."""
_NUMBERED = re.compile(r"^(?:(?:chapter|appendix|section|part)\s+)?(?:\d+|[A-Z]|[IVXLC]+)(?:\.\d+)*[.:]?\s+", re.I)
_PAGE_NUMBER = re.compile(r"\d+|[ivxlcdm]+|page \d+( of \d+)?", re.I)
_LEADER = re.compile(r"(?:\. ?){4,}\s*[0-9ivxlcdm]+$", re.I)
_LAST_WORD = re.compile(r"\w+$")
_FIRST_WORD = re.compile(r"\w+")
_WORD = re.compile(r"\w\w")
_SHORT = 0.8
"""A line shorter than this share of the text's width ends its paragraph when it ends a sentence."""
_VERY_SHORT = 0.5
"""A line shorter than this share of the text's width ends its paragraph whatever its last word (a title block)."""


@dataclass(frozen=True)
class Heading:
    """An outline entry: its depth (1 for the top), its title, and the index of the page it points to."""

    level: int
    title: str
    page: int


@dataclass
class _Paragraph:
    """Lines gathered into one block, and where each page's part of it begins and ends in its body."""

    words: Counter[str]  # how often the document writes each word (casefolded)
    item: bool = False
    body: str = ""
    marks: list[tuple[int, int, int]] = field(default_factory=list)  # (page number, start, end) in body

    def add(self, line: str, page: int) -> None:
        if self.body.endswith("-") and line[:1].islower():
            if self._hyphenated(line):
                self.body = self.body[:-1]
        elif self.body:
            self.body += " "
        start = len(self.body)
        self.body += line
        if self.marks and self.marks[-1][0] == page:
            self.marks[-1] = (page, self.marks[-1][1], len(self.body))
        else:
            self.marks.append((page, start, len(self.body)))

    def _hyphenated(self, line: str) -> bool:
        """Whether the hyphen that ends the body only breaks a word: one the document writes whole elsewhere
        ("man-" "agement"), or whose second part it never writes as a word of its own ("manip-" "ulation"). A
        hyphen of the word itself ("glob-" "deleteall", "non-" "regular") stays."""
        before, after = _LAST_WORD.search(self.body[:-1]), _FIRST_WORD.match(line)
        if not (before and after):
            return False
        whole, rest = (before.group() + after.group()).casefold(), after.group().casefold()
        return whole in self.words or self.words[rest] < 2  # once: this very fragment


def read_pdf(
    pages: Sequence[str], outline: Sequence[Heading] = (), labels: Sequence[str] = ()
) -> tuple[Layout, list[tuple[int, int, int]]]:
    """The blocks of a PDF whose pages extracted as ``pages``, and each page's ``(number, start, end)`` span in
    the text written (pages left without text have none). ``labels``: the page numbers the pages print."""
    lines = [[" ".join(line.split()) for line in page.split("\n")] for page in pages]
    lines = _without_running_lines([[line for line in page if line] for page in lines], labels)
    width = _width([line for page in lines for line in page])
    headings = _place_headings(lines, outline)
    words = Counter(word.casefold() for page in lines for line in page for word in _FIRST_WORD.findall(line))
    layout, spans, paragraph = Layout(), {}, _Paragraph(words)

    def flush() -> None:
        nonlocal paragraph
        if not _WORD.search(paragraph.body):  # a letter alone heads an index's entries, whose page numbers went
            paragraph = _Paragraph(words)
            return
        if paragraph.item:
            layout.open_item()
        elif layout.in_list:
            layout.close_list()
        layout.paragraph(paragraph.body)
        start = layout.blocks[-1].start
        for page, begin, end in paragraph.marks:
            _extend(spans, page, start + begin, start + end)
        paragraph = _Paragraph(words)

    if _titled(lines, headings, width):
        headings[(0, 0)] = (1, lines[0][0])
    for index, page in enumerate(lines):
        number = index + 1
        for at, line in enumerate(page):
            if (index, at) in headings:
                flush()
                layout.close_list()
                level, title = headings[(index, at)]
                layout.heading(level, title)
                _extend(spans, number, layout.blocks[-1].start, layout.blocks[-1].end)
                continue
            if (index, at) in headings.covered:
                continue
            if bullet := _ITEM.match(line):
                flush()
                if not layout.in_list:
                    layout.open_list(ordered=False)
                paragraph.item = True
                line = line[bullet.end() :]
            paragraph.add(line, number)
            if _ends_paragraph(line, width):
                flush()
    flush()
    layout.close_list()
    return layout, [(page, start, end) for page, (start, end) in sorted(spans.items())]


def _ends_paragraph(line: str, width: int) -> bool:
    """Whether a line ends its paragraph: a wrapped line reaches nearly the text's width, a last one falls short.
    Widths are counted in characters, which capitals make wider, so only a line well short also ends there
    without closing a sentence."""
    return len(line) < (_SHORT if _closes(line) else _VERY_SHORT) * width


def _closes(line: str) -> bool:
    return line.rstrip("\"'”’)]").endswith((".", "!", "?", ":"))


def _titled(pages: list[list[str]], headings: _Placed, width: int) -> bool:
    """Whether the document opens with a title: a first line well short of the text's width that ends no
    sentence, with text after it, where no bookmark already puts a heading. As a heading it names the front
    matter's section instead of being a "sentence" that matches every question about the document's subject and
    answers none."""
    first = pages[0] if pages else []
    return (
        len(first) > 1
        and (0, 0) not in headings
        and len(first[0]) < _VERY_SHORT * width
        and not _closes(first[0])
        and not first[0].endswith((",", ";"))
        and not _ITEM.match(first[0])
    )


def _extend(spans: dict[int, tuple[int, int]], page: int, start: int, end: int) -> None:
    first, _ = spans.get(page, (start, end))
    spans[page] = (min(first, start), end)


def _width(lines: list[str]) -> int:
    """The text's line width in characters: most lines of a paragraph reach it, so take a high percentile."""
    lengths = sorted(len(line) for line in lines)
    return lengths[int(len(lengths) * 0.9)] if lengths else 0


def _shape(line: str) -> str:
    """A line with its digits folded together, so page 3's footer "Page 3 of 9" is page 4's "Page 4 of 9"."""
    return re.sub(r"\d+", "#", line.casefold())


def _without_running_lines(pages: list[list[str]], labels: Sequence[str]) -> list[list[str]]:
    """The pages without their running headers and footers, and without table-of-contents entries.

    A running line is one that repeats, digits aside, at the top or bottom of most pages, or one at either end
    of a page that ends with the page's printed number (``labels``: "Chapter 2: Setup 14"), or is a page number
    alone. The first line of the first page stays: it is usually the title a running header repeats. A line
    whose dots lead to a page number is a table of contents' entry, and so is a line before one that ends no
    sentence: the table's title ("Table of Contents"), or an entry's first line where its title wraps."""
    edges = Counter(
        shape for page in pages for shape in {_shape(line) for line in page[:_RUNNING_EDGE] + page[-_RUNNING_EDGE:]}
    )
    enough = max(2, (sum(1 for page in pages if page) + 1) // 2)
    running = {shape for shape, count in edges.items() if count >= enough}
    kept = []
    for index, page in enumerate(pages):
        label = labels[index] if index < len(labels) else str(index + 1)
        ends = {*range(min(_RUNNING_EDGE, len(page))), *range(max(0, len(page) - _RUNNING_EDGE), len(page))}
        drop = {
            at
            for at in ends
            if not (index == 0 and at == 0)
            and (
                _shape(page[at]) in running
                or _PAGE_NUMBER.fullmatch(page[at])
                or at in (0, len(page) - 1)
                and page[at].rsplit(" ", 1)[-1] == label
            )
        }
        contents = {at for at, line in enumerate(page) if _LEADER.search(line)}
        contents |= {at - 1 for at in contents if at and not _closes(page[at - 1])}  # its title, a wrapped entry
        kept.append([line for at, line in enumerate(page) if at not in drop | contents])
    return kept


class _Placed(dict[tuple[int, int], tuple[int, str]]):
    """Where each outline title was found: (page index, first line) → (level, title); ``covered`` holds the
    further lines a title wrapped onto."""

    def __init__(self) -> None:
        super().__init__()
        self.covered: set[tuple[int, int]] = set()


def _place_headings(pages: list[list[str]], outline: Sequence[Heading]) -> _Placed:
    """Each outline title matched, in order, to the lines that show it on its page, with or without the section
    number the page or the bookmark puts before it; the heading is titled as the page shows it. A title not found
    as whole lines there (a bookmark with a title of its own) is left out."""
    placed = _Placed()
    after: dict[int, int] = {}  # page index → the first line a later title may be on
    for heading in outline:
        if not 0 <= heading.page < len(pages):
            continue
        lines = pages[heading.page]
        found = next(
            (
                (at, end)
                for at in range(after.get(heading.page, 0), len(lines))
                for end in range(at + 1, min(at + _TITLE_LINES, len(lines)) + 1)
                if _shows(" ".join(lines[at:end]), heading.title)
            ),
            None,
        )
        if found:
            at, end = found
            placed[(heading.page, at)] = (heading.level, " ".join(lines[at:end]))
            placed.covered.update((heading.page, line) for line in range(at + 1, end))
            after[heading.page] = end
    return placed


def _shows(line: str, title: str) -> bool:
    """Whether ``line`` is ``title``, spaces, punctuation, case and section numbers aside."""
    return _squeeze(line) == _squeeze(title) != "" or _bare(line) == _bare(title) != ""


def _bare(title: str) -> str:
    """A title squeezed, without the number before it ("2.1", "A.3", "Chapter 4:", "Appendix B")."""
    return _squeeze(_NUMBERED.sub("", title, count=1))


def _squeeze(text: str) -> str:
    """Text without its spaces and punctuation, case-folded: extractors drop or add the spaces between a number
    and a title, and a bookmark may spell a title with fewer hyphens than the page."""
    return re.sub(r"\W", "", text.casefold())
