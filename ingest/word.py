"""A Word document read as blocks: its heading styles become headings, its list paragraphs list items, its
tables rows, and the rest paragraphs, written by ``Layout`` as Markdown and HTML are."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from ingest.markup import Layout

if TYPE_CHECKING:
    from docx.document import Document
    from docx.text.paragraph import Paragraph

_HEADING = re.compile(r"heading (\d)", re.I)


def read_docx(document: Document) -> Layout:
    """The blocks of a Word document. "Title" is the top heading when the document has one, and "Heading N" sits
    below it; a merged table cell is read once."""
    from docx.table import Table

    layout = Layout()
    below_title = int(any(_style(p) == "title" for p in document.paragraphs))
    for block in document.iter_inner_content():
        if isinstance(block, Table):
            layout.close_list()
            for row in block.rows:
                layout.row(list(dict.fromkeys(cell.text for cell in row.cells)))
            continue
        style = _style(block)
        if style == "title" or (heading := _HEADING.fullmatch(style)):
            layout.close_list()
            layout.heading(1 if style == "title" else int(heading.group(1)) + below_title, block.text)
        elif _listed(block, style):
            if not layout.in_list:
                layout.open_list(ordered="number" in style)
            layout.open_item()
            layout.paragraph(block.text)
        else:
            layout.close_list()
            layout.paragraph(block.text)
    layout.close_list()
    return layout


def _style(paragraph: Paragraph) -> str:
    return (paragraph.style.name or "").casefold() if paragraph.style is not None else ""


def _listed(paragraph: Paragraph, style: str) -> bool:
    """Whether a paragraph is a list item: a list style, or numbering of its own (Word's bullets)."""
    properties = paragraph._p.pPr
    return style.startswith("list") or (properties is not None and properties.numPr is not None)
