"""A PDF's pages read as blocks: running lines dropped, wrapped lines joined, outline titles as headings."""

from __future__ import annotations

import io

import pypdf
from hypothesis import given, settings
from hypothesis import strategies as st

from ingest.chunks import file_sha, sentences_of
from ingest.loaders import load
from ingest.markup import layout_blocks
from ingest.pdf import Heading, read_pdf
from tests.samples import make_pdf

WIDE = "Harbour cranes lift containers from the ships that dock at the northern pier every"
"""A line as wide as the text: the paragraph it is in goes on after it."""


def page(*lines: str) -> str:
    return "\n".join(lines)


def test_running_headers_footers_and_page_numbers_are_dropped_but_the_title_on_page_one_stays_as_a_heading():
    pages = [
        page("Port Survey", WIDE, "morning.", "Page 1 of 3"),
        page("Port Survey", "The south pier takes bulk grain.", "Page 2 of 3"),
        page("Chapter 2: Piers 3", "The east pier is closed for repairs.", "iii"),
    ]
    layout, _ = read_pdf(pages, labels=["1", "2", "3"])
    assert layout.text == (
        f"# Port Survey\n\n{WIDE} morning.\n\nThe south pier takes bulk grain.\n\nThe east pier is closed for repairs."
    )


def test_a_first_line_that_ends_a_sentence_or_fills_the_width_is_no_title():
    for lines in (("Cranes run on Sundays.", "Ferries sail daily.", WIDE), (WIDE, "morning.", "Ferries sail daily.")):
        layout, _ = read_pdf([page(*lines)])
        assert "heading" not in [b.kind for b in layout.blocks] and not layout.text.startswith("#")
    layout, _ = read_pdf([page("Port Survey", WIDE, "morning.")])
    assert [b.kind for b in layout.blocks] == ["heading", "text"]


def test_outline_titles_become_headings_as_the_page_shows_them_and_name_the_section_of_what_follows():
    pages = [
        page("1. Piers", "1.1. The north", "pier", WIDE, "morning.", "Cranes run on Sundays."),
        page("1.2. Non-regular sailings", "Ferries sail when the sea allows."),
    ]
    outline = [Heading(1, "1. Piers", 0), Heading(2, "The north pier", 0), Heading(2, "1.2. Nonregular sailings", 1)]
    layout, _ = read_pdf(pages, outline)
    text = layout.text
    assert text == (
        f"# 1. Piers\n\n## 1.1. The north pier\n\n{WIDE} morning.\n\nCranes run on Sundays.\n\n"
        "## 1.2. Non-regular sailings\n\nFerries sail when the sea allows."
    )
    sentences = sentences_of("port.pdf", text, file_sha(text), blocks=layout.blocks)
    assert [(s.text, s.section) for s in sentences] == [
        (f"{WIDE} morning.", "1. Piers › 1.1. The north pier"),
        ("Cranes run on Sundays.", "1. Piers › 1.1. The north pier"),
        ("Ferries sail when the sea allows.", "1. Piers › 1.2. Non-regular sailings"),
    ]


def test_a_bookmark_whose_title_the_page_does_not_show_adds_no_heading():
    layout, _ = read_pdf([page("Cranes run on Sundays.")], [Heading(1, "Weekend schedule", 0)])
    assert layout.text == "Cranes run on Sundays." and [b.kind for b in layout.blocks] == ["text"]


def test_a_line_break_hyphen_is_removed_from_a_word_written_whole_or_whose_second_part_is_no_word_of_its_own():
    lines = [f"{WIDE} con-", f"tainer ship and {WIDE} glob-", f"deleteall rule and {WIDE} manip-", "ulation."]
    pages = [page(*lines, "Each container is weighed.", "Each deleteall rule is read.")]
    layout, _ = read_pdf(pages)
    assert layout.text.startswith(
        f"{WIDE} container ship and {WIDE} glob-deleteall rule and {WIDE} manipulation.\n\n"
    )  # "deleteall" is a word of its own elsewhere; "ulation" is not


def test_bulleted_lines_become_list_items_and_a_wrapped_item_stays_whole():
    pages = [page("The pier offers:", f"• {WIDE}", "morning.", "• Fresh water.", "Fees are due monthly.")]
    layout, _ = read_pdf(pages)
    assert layout.text == f"The pier offers:\n\n- {WIDE} morning.\n\n- Fresh water.\n\nFees are due monthly."
    assert [b.kind for b in layout.blocks] == ["text", "item", "item", "text"]


def test_table_of_contents_entries_its_title_and_the_letters_heading_an_index_are_dropped():
    pages = [
        page("Table of Contents", "1 Piers . . . . . . . . 3", "2 Ferries and the harbour's", "tugs . . . . . 7"),
        page(WIDE, "morning.", "A", "Cranes, 3"),
    ]
    layout, _ = read_pdf(pages)
    assert layout.text == f"{WIDE} morning.\n\nCranes, 3"


def test_a_line_that_ends_a_sentence_before_a_dotted_line_stays():
    layout, _ = read_pdf([page(WIDE, "morning.", "Fees . . . . . 3", "Ferries sail daily.")])
    assert layout.text == f"{WIDE} morning.\n\nFerries sail daily."


def test_each_page_span_slices_what_that_page_contributed():
    pages = [page(WIDE), page("morning.", "Cranes run on Sundays."), page("", ""), page("Ferries sail daily.")]
    layout, spans = read_pdf(pages)
    assert [(number, layout.text[start:end]) for number, start, end in spans] == [
        (1, WIDE),
        (2, "morning.\n\nCranes run on Sundays."),
        (4, "Ferries sail daily."),
    ]


def test_a_real_pdf_with_bookmarks_loads_with_headings_pages_and_sections(tmp_path):
    data = make_pdf([["1 Piers", "Cranes run on Sundays."], ["2 Ferries", "Ferries sail when the sea allows."]])
    writer = pypdf.PdfWriter(clone_from=pypdf.PdfReader(io.BytesIO(data)))
    writer.add_outline_item("Piers", 0)
    writer.add_outline_item("Ferries", 1)
    buffer = io.BytesIO()
    writer.write(buffer)
    (tmp_path / "port.pdf").write_bytes(buffer.getvalue())
    loaded = load(tmp_path / "port.pdf")
    assert loaded.text == "# 1 Piers\n\nCranes run on Sundays.\n\n# 2 Ferries\n\nFerries sail when the sea allows."
    sentences = sentences_of("port.pdf", loaded.text, file_sha(loaded.text), loaded.pages, loaded.blocks)
    assert [(s.text, s.page, s.section) for s in sentences] == [
        ("Cranes run on Sundays.", 1, "1 Piers"),
        ("Ferries sail when the sea allows.", 2, "2 Ferries"),
    ]


LINE = st.lists(st.sampled_from(["Pier", "pier.", "con-", "tainer", "•", "1", "Page 2", ". . . . . 4", "  ", ":"]))


@settings(max_examples=200, deadline=None)
@given(st.lists(st.lists(LINE.map(" ".join), max_size=8).map("\n".join), max_size=5))
def test_any_pages_give_blocks_and_page_spans_that_slice_the_text_in_order(pages):
    outline = [Heading(1, "Pier", 0), Heading(2, "1 Pier", 1)]
    layout, spans = read_pdf(pages, outline, labels=["1", "2"])
    text = layout.text
    for block in layout.blocks:
        assert 0 <= block.start < block.end <= len(text) and text[block.start : block.end].strip()
    assert [number for number, _, _ in spans] == sorted({number for number, _, _ in spans})
    for _, start, end in spans:
        assert 0 <= start < end <= len(text)
    assert [(b.kind, b.start, b.end) for b in layout_blocks(text)] == [(b.kind, b.start, b.end) for b in layout.blocks]
