"""Markdown and HTML read as structure: headings, paragraphs, list items, tables and code blocks.

Both readers write a plain, Markdown-like text (``# heading``, ``- item``, fenced code) that is kept and shown in
the source view, and the blocks it is made of. Headings are not citable: they become the section path of the
blocks under them. A code block is one citable unit. Inline HTML, images, badges and link-reference definitions
are dropped; link text is kept. A list of nothing but links (a table of contents) is navigation, as HTML's
``<nav>`` is: it is dropped too.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from html.parser import HTMLParser
from typing import Literal

from markdown_it import MarkdownIt
from markdown_it.token import Token

from rag.text.sentences import leads_in, names_subject

_WORDED = re.compile(r"[^\W_]")
"""A letter or digit: text that says something, unlike the "»", "-" or "|" set around links."""

BREAK = "\n\n"
"""What joins two blocks (and two PDF pages) in the extracted text."""
_STOPS = ".!?:;"
"""Punctuation that ends a paragraph's sentence, or leads in to what follows: no paragraph runs on after it."""

BlockKind = Literal["heading", "text", "item", "row", "code"]


@dataclass(frozen=True)
class Block:
    """One block of a structured document: ``text[start:end]`` is its content, without the markup around it."""

    kind: BlockKind
    start: int
    end: int
    section: tuple[str, ...] = ()
    """The headings above the block, outermost first (a heading's own path ends with itself)."""


def fence_for(code: str) -> str:
    """A Markdown code fence longer than any run of backticks in ``code``, so the code cannot close it."""
    return "`" * max(3, max((len(run) for run in re.findall(r"`+", code)), default=0) + 1)


class Layout:
    """Writes blocks one after another and remembers where each one's content is."""

    def __init__(self) -> None:
        self._parts: list[str] = []
        self._cursor = 0
        self._headings: list[tuple[int, str]] = []
        self._terms: list[int] = []  # per open definition list: the heading level of its terms
        self._lists: list[list[int]] = []  # per open list: [next number] when ordered, [] for bullets
        self._item_first = False
        self._list_start: tuple[int, int, int, str] | None = None  # parts, cursor, blocks, last body: at a list's open
        self._links_only = False  # every item of the open outermost list so far is only a link
        self._last_body = ""  # the content of the last block written
        self._open = False  # the last block written is a paragraph that the next may run on from (``paragraph``)
        self.blocks: list[Block] = []

    @property
    def text(self) -> str:
        return "".join(self._parts)

    @property
    def in_list(self) -> bool:
        return bool(self._lists)

    def heading(self, level: int, title: str) -> None:
        title = " ".join(title.replace("¶", " ").split())  # "¶": the permalink glyph documentation generators add
        if not title:
            return
        while self._headings and self._headings[-1][0] >= level:
            self._headings.pop()
        self._headings.append((level, title))
        self._write("heading", "#" * level + " ", title)

    def _below(self) -> int:
        """The heading level one below the section the text is in (at most 6)."""
        return min((self._headings[-1][0] if self._headings else 0) + 1, 6)

    def open_terms(self) -> None:
        """A definition list opens: its terms are headings one level below the section it is in."""
        self._terms.append(self._below())

    def term(self, title: str) -> None:
        """A term of a definition list (HTML's ``<dt>``: a user name, a glossary word, an API signature): a heading
        over its definition, as Markdown writes ``### writeStream.getColorDepth()`` over what it returns."""
        self.heading(self._terms[-1] if self._terms else self._below(), title)

    def close_terms(self) -> None:
        """A definition list closes: the text after it is under the section the list was in, not its last term."""
        level = self._terms.pop() if self._terms else 7
        while self._headings and self._headings[-1][0] >= level:
            self._headings.pop()

    def open_list(self, ordered: bool, start: int = 1) -> None:
        if not self._lists:
            self._list_start = (len(self._parts), self._cursor, len(self.blocks), self._last_body)
            last = self.blocks[-1] if self.blocks else None
            introduced = last is not None and last.kind != "heading" and leads_in(self._last_body)
            self._links_only = not introduced  # "With it you can:" and a list of links: the list is content
        self._lists.append([start] if ordered else [])
        self._open = False

    def close_list(self) -> None:
        self._open = False
        if not self._lists:
            return
        self._lists.pop()
        if not self._lists and self._list_start is not None:
            parts, cursor, blocks, last_body = self._list_start
            if self._links_only and len(self.blocks) > blocks:  # navigation: dropped, like HTML's <nav>
                del self._parts[parts:], self.blocks[blocks:]
                self._cursor, self._last_body = cursor, last_body
            self._list_start = None

    def open_item(self) -> None:
        self._item_first = True
        self._open = False

    def paragraph(self, text: str, link: bool = False, runs_on: bool = False) -> None:
        """A paragraph: the first one of a list item is the item, with its bullet or number. ``link``: the
        paragraph is nothing but a link's text (or several links'). With ``runs_on``, a paragraph opening in small
        letters after one that ends with no punctuation carries its sentence on, as a page that sets its lines as
        paragraphs writes it (libxslt's FAQ: "…which provides those flags. Use", "xslt-config --cflags", "to get
        the compilation flags and"); not one that opens with a name in small letters that a verb follows, a sentence
        of its own (bc's manual: "bc [ -hlwsqv ] [long-options] [ file ... ]", then "bc is a language…")."""
        text = " ".join(text.split())
        if not text:
            return
        if (
            runs_on
            and self._open
            and text[0].islower()
            and self._last_body[-1] not in _STOPS
            and not names_subject(text)
        ):
            self._add(" " + text)
            self._last_body += " " + text
            self.blocks[-1] = replace(self.blocks[-1], end=self._cursor)
            return
        self._links_only = self._links_only and link
        indent = "  " * (len(self._lists) - 1) if self._lists else ""
        if self._lists and self._item_first:
            counter = self._lists[-1]
            marker = f"{counter[0]}. " if counter else "- "
            if counter:
                counter[0] += 1
            self._item_first = False
            self._write("item", indent + marker, text)
        else:
            prefix = indent + ("  " if self._lists else "")
            if not prefix and (_OPENING.match(text) or _FENCE.match(text + "\n")):
                prefix = ESCAPE  # "# not a heading": read back as the paragraph it is
            self._write("text", prefix, text)

    def row(self, cells: list[str]) -> None:
        cells = [" ".join(c.split()) for c in cells]
        self._links_only = False
        if any(cells):
            self._write("row", "| ", " | ".join(cells), " |")

    def code(self, code: str) -> None:
        self._links_only = False
        body = "\n".join(line.rstrip() for line in code.replace("\r\n", "\n").split("\n")).strip("\n")
        fence = fence_for(body)
        self._write("code", f"{fence}\n", body, f"\n{fence}")

    def _write(self, kind: BlockKind, prefix: str, body: str, suffix: str = "") -> None:
        if not body.strip():
            return
        if self._parts:
            self._add(BREAK)
        self._add(prefix)
        start = self._cursor
        self._add(body)
        self._last_body = body
        self._open = kind == "text"
        section = tuple(title for _, title in self._headings)
        self.blocks.append(Block(kind, start, self._cursor, section))
        self._add(suffix)

    def _add(self, piece: str) -> None:
        self._parts.append(piece)
        self._cursor += len(piece)


_FENCE = re.compile(r"(`{3,})\n")
_OPENING = re.compile(r"(#{1,6} |\s*(?:- |\d+\. )|\| |\s+|\\)")
ESCAPE = "\\"
"""Written before a paragraph that starts as a heading, item, row or fence would ("# generated file, do not edit"),
as Markdown escapes one, so that reading the text back finds the paragraph."""
_MARKED: dict[str, BlockKind] = {"#": "heading", "|": "row", ESCAPE: "text", "": "text"}
"""The kind of block a mark's first character opens; any other (a bullet, a number) opens an item."""


def layout_blocks(text: str) -> list[Block]:
    """The blocks of a text that ``Layout`` wrote, read back from it (to show it with its structure); their
    sections are not known and left empty."""
    blocks: list[Block] = []
    at = 0
    while at < len(text):
        if fenced := _FENCE.match(text, at):
            fence = fenced.group(1)  # longer than any run of backticks inside, so the first one again closes it
            close = text.find(f"\n{fence}", fenced.end())
            close = len(text) if close < 0 else close
            blocks.append(Block("code", fenced.end(), close))
            end = close + 1 + len(fence)
        else:
            end = text.find(BREAK, at)
            end = len(text) if end < 0 else end
            opening = _OPENING.match(text, at, end)
            mark = opening.group() if opening else ""
            kind = _MARKED.get(mark.strip()[:1], "item")
            close = end - 2 if kind == "row" and text.endswith(" |", at, end) else end
            if at + len(mark) < close:
                blocks.append(Block(kind, at + len(mark), close))
        at = end + len(BREAK)
    return blocks


# ---- Markdown ------------------------------------------------------------------------------------------------------


def read_markdown(source: str) -> Layout:
    """The blocks of a Markdown document (CommonMark with tables); raw HTML blocks are read as HTML."""
    layout = Layout()
    tokens = MarkdownIt("commonmark").enable("table").parse(source)
    cells: list[str] = []
    for i, token in enumerate(tokens):
        kind = token.type
        if kind == "heading_open":
            layout.heading(int(token.tag[1]), _inline(tokens[i + 1]))
        elif kind in ("bullet_list_open", "ordered_list_open"):
            layout.open_list(kind == "ordered_list_open", int(token.attrGet("start") or 1))
        elif kind in ("bullet_list_close", "ordered_list_close"):
            layout.close_list()
        elif kind == "list_item_open":
            layout.open_item()
        elif kind == "paragraph_open":
            layout.paragraph(_inline(tokens[i + 1]), link=_only_links(tokens[i + 1]))
        elif kind in ("fence", "code_block"):
            layout.code(token.content)
        elif kind == "html_block":
            _HtmlReader(layout).read(token.content)
        elif kind == "tr_open":
            cells = []
        elif kind in ("th_open", "td_open"):
            cells.append(_inline(tokens[i + 1]))
        elif kind == "tr_close":
            layout.row(cells)
    return layout


def _inline(token: Token) -> str:
    """The readable text of an inline token: link text kept, images, inline HTML and markup dropped."""
    if token.type != "inline":
        return ""
    parts = []
    for child in token.children or []:
        if child.type in ("text", "code_inline"):
            parts.append(child.content)
        elif child.type in ("softbreak", "hardbreak"):
            parts.append(" ")
    return "".join(parts).strip()


def _only_links(token: Token) -> bool:
    """Whether an inline token's text is all inside links ("[Setup](setup.html)")."""
    depth, linked = 0, False
    for child in token.children or []:
        if child.type == "link_open":
            depth += 1
        elif child.type == "link_close":
            depth -= 1
        elif child.type in ("text", "code_inline") and child.content.strip():
            if not depth:
                if _WORDED.search(child.content):  # "» " or "| " between links is no text of its own
                    return False
                continue
            linked = True
    return linked


# ---- HTML ----------------------------------------------------------------------------------------------------------

_HEADINGS = {f"h{n}": n for n in range(1, 7)}
_BLOCK_TAGS = frozenset(
    "address article aside blockquote body caption dd details dialog div dl dt fieldset figcaption figure footer "
    "form header hr html main ol p section summary table tbody tfoot thead ul".split()
)
_LAYOUT_TAGS = frozenset({*_HEADINGS, "ul", "ol", "dl"})
"""Tags whose opening inside a table cell shows the table lays out a page rather than holding data (``_lay_out``):
headings and lists. A data table's cell may hold paragraphs (AsciiDoc writes each cell's text as one: Ninja's
manual's "<td><p><code>cleandead</code></p></td>")."""
_CREDITS = frozenset("author editor othercredit corpauthor".split())
"""Classes DocBook gives a heading element that holds a name ("<h3 class="author">Joey Hess</h3>"): a line of text,
not a section over the copyright notices after it."""
_HIDDEN_TAGS = frozenset("script style noscript template head title svg math object iframe nav".split())
_VOID = frozenset("area base br col embed hr img input link meta source track wbr".split())
_MAIN = re.compile(r"""<main[\s>]|\srole\s*=\s*["']?main\b""", re.IGNORECASE)


def read_html(page: str) -> Layout:
    """The blocks of an HTML page. When the page marks its main content (``<main>`` or ``role="main"``), only
    that is read, so navigation, sidebars and footers stay out; a page whose main part is empty is read whole."""
    if _MAIN.search(page):
        layout = _HtmlReader(Layout(), main_only=True).read(page)
        if layout.blocks:
            return layout
    return _HtmlReader(Layout()).read(page)


class _HtmlReader(HTMLParser):
    """Collects what a browser would show, block by block, into a ``Layout``."""

    def __init__(self, layout: Layout, main_only: bool = False) -> None:
        super().__init__(convert_charrefs=True)
        self.layout = layout
        self._main_only = main_only
        self._main_depth = 0  # tags open inside the main element; 0 when outside it
        self._hidden: list[str] = []
        self._text: list[str] = []
        self._heading = 0
        self._term = False
        self._pre = 0
        self._cells: list[str] | None = None
        self._links = 0  # <a href> elements open
        self._linked = self._unlinked = False  # text seen inside / outside links since the last block

    def read(self, page: str) -> Layout:
        self.feed(page)
        self.close()
        return self.layout

    @property
    def _visible(self) -> bool:
        return not self._hidden and (not self._main_only or self._main_depth > 0)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if self._main_only and tag not in _VOID:
            if self._main_depth:
                self._main_depth += 1
            elif tag == "main" or dict(attrs).get("role") == "main":
                self._main_depth = 1
        if tag == "body":
            self._hidden.clear()  # a <head> left open ends where the body starts
        if tag in _HIDDEN_TAGS:
            self._hidden.append(tag)
            return
        if not self._visible:
            return
        if self._cells is not None and tag in _LAYOUT_TAGS:
            self._lay_out()
        if tag == "br":
            self._text.append("\n" if self._pre else " ")
        elif tag == "a" and dict(attrs).get("href"):
            self._links += 1
        elif tag in _HEADINGS:
            self._flush()
            if not _CREDITS & set((dict(attrs).get("class") or "").lower().split()):
                self._heading = _HEADINGS[tag]
        elif tag == "dl":
            self._flush()
            self.layout.open_terms()
        elif tag == "dt":
            self._flush()
            self._term = True
        elif tag == "pre":
            self._flush()
            self._pre += 1
        elif tag in ("ul", "ol"):
            self._flush()
            self.layout.open_list(tag == "ol", int(dict(attrs).get("start") or 1))
        elif tag == "li":
            self._flush()
            self.layout.open_item()
        elif tag == "tr":
            self._flush()
            self._cells = []
        elif tag in ("td", "th"):
            self._cell()
        elif tag in _BLOCK_TAGS:
            self._flush()

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "br" and self._visible:
            self._text.append("\n" if self._pre else " ")

    def handle_endtag(self, tag: str) -> None:
        if tag in _HIDDEN_TAGS:
            if tag in self._hidden:
                while self._hidden and self._hidden.pop() != tag:
                    pass
        elif self._visible:
            if tag in _HEADINGS and self._heading:
                self.layout.heading(self._heading, self._take()[0])
                self._heading = 0
            elif tag == "dt" and self._term:
                self._term = False
                self.layout.term(self._take()[0])
            elif tag == "dl":
                self._flush()
                self._term = False
                self.layout.close_terms()
            elif tag == "a" and self._links:
                self._links -= 1
            elif tag == "pre" and self._pre:
                self._pre -= 1
                if not self._pre:
                    self.layout.code(self._take()[0])
            elif tag in ("ul", "ol"):
                self._flush()
                self.layout.close_list()
            elif tag in ("td", "th"):
                self._cell()
            elif tag == "tr" and self._cells is not None:
                self._cell()
                self.layout.row(self._cells)
                self._cells = None
            elif tag in _BLOCK_TAGS or tag == "li":
                self._flush()
        if self._main_only and self._main_depth and tag not in _VOID:
            self._main_depth -= 1

    def handle_data(self, data: str) -> None:
        if self._visible:
            self._text.append(data)
            if data.strip() and self._links:
                self._linked = True
            elif _WORDED.search(data):  # "» " or "- " before a link is a bullet, not text of its own
                self._unlinked = True

    def _lay_out(self) -> None:
        """Read the row open as layout, not data: a cell holding a heading or a list places a page's parts side by
        side, as pages laid out with tables do (libxslt's FAQ: its questions and answers, a list, in one cell).
        The cells read so far, and the text of this one, become paragraphs."""
        cells, self._cells = self._cells or [], None
        for text in cells:
            self.layout.paragraph(text)
        self._flush()

    def _cell(self) -> None:
        text, _ = self._take()
        if self._cells is not None and text:
            self._cells.append(text)

    def _flush(self) -> None:
        """Write the text collected since the last block boundary as a paragraph or list item."""
        if self._pre or self._heading or self._term or self._cells is not None:
            return
        text, link = self._take()
        self.layout.paragraph(text, link, runs_on=True)

    def _take(self) -> tuple[str, bool]:
        """The text collected since the last block boundary, and whether it is all link text; then forget it."""
        text, link = "".join(self._text), self._linked and not self._unlinked
        self._text, self._linked, self._unlinked = [], False, False
        return text, link

    def close(self) -> None:
        super().close()
        self._hidden.clear()
        self._pre = self._heading = 0
        self._term = False
        self._cells = None
        self._flush()

    def parse_marked_section(self, i: int, report: int = 1) -> int:
        try:
            return super().parse_marked_section(i, report)
        except AssertionError:  # the stdlib asserts on an odd ``<![name[``; a browser skips it up to the next ">"
            end = self.rawdata.find(">", i)
            return -1 if end < 0 else end + 1
