"""Markdown, HTML and plain text read as structure: what is kept, what is dropped, and what becomes a citable unit."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ingest.chunks import CODE_PART, sentences_of
from ingest.loaders import load
from ingest.markup import layout_blocks, read_html, read_markdown
from ingest.sync import ingest
from rag.store.chroma import Store, open_chroma
from rag.store.embeddings import HashEmbeddings

README = """<p align="center"><img src="logo.png" alt="Tern logo"></p>

[![Build](https://ci.example/badge.svg)](https://ci.example) ![Coverage](https://cov.example/c.svg)

# Tern

Tern is a **small** HTTP server for [static sites][docs]. It is written in Rust.

**Documentation**: [https://tern.example/docs](https://tern.example/docs)

## Install

Install Tern with cargo:

```sh
cargo install tern
```

## Servers

### Alternative servers

- Granian, written in Rust.
- Hypercorn, which supports HTTP/2.
  It also supports HTTP/3.

| option | default |
| --- | --- |
| port | 8000 |

[docs]: https://tern.example/docs "Docs"
"""


def test_markdown_keeps_link_text_and_drops_images_badges_html_and_reference_definitions():
    text = read_markdown(README).text
    assert "Tern is a small HTTP server for static sites." in text
    assert "Documentation: https://tern.example/docs" in text
    for dropped in ("<p", "<img", "logo.png", "Tern logo", "badge.svg", "Build", "Coverage", "[docs]:", '"Docs"'):
        assert dropped not in text


def test_markdown_headings_become_section_paths_not_sentences():
    loaded = read_markdown(README)
    sentences = sentences_of("README.md", loaded.text, "sha", blocks=loaded.blocks)
    by_text = {s.text: s for s in sentences}
    assert "Tern" not in by_text and "Install" not in by_text and "Alternative servers" not in by_text
    assert by_text["Granian, written in Rust."].section == "Tern › Servers › Alternative servers"
    assert by_text["It is written in Rust."].section == "Tern"
    assert by_text["| option | default |"[2:-2]].section == "Tern › Servers › Alternative servers"


def test_a_code_block_is_one_unit_shown_verbatim():
    loaded = read_markdown(README)
    sentences = sentences_of("README.md", loaded.text, "sha", blocks=loaded.blocks)
    code = [s for s in sentences if s.code]
    assert [(s.text, s.section) for s in code] == [("cargo install tern", "Tern › Install")]
    intro = next(s for s in sentences if s.text == "Install Tern with cargo:")
    assert intro.index + 1 == code[0].index and not intro.code
    assert "```\ncargo install tern\n```" in loaded.text


def test_a_long_code_block_is_cut_at_blank_lines_into_units_a_search_can_reach():
    # libffi's README keeps its whole changelog, 7,300 characters, in one indented block.
    entries = [
        f"    {n}.0 Jan-1-20{n:02d}\n" + "".join(f"        Fix port {n}-{i}.\n" for i in range(12)) for n in range(9)
    ]
    loaded = read_markdown("# News\n\nThe history:\n\n" + "\n".join(entries) + "\nThe end.\n")
    sentences = sentences_of("README.md", loaded.text, "sha", blocks=loaded.blocks)
    code = [s for s in sentences if s.code]
    assert len(code) > 1 and all(len(s.text) <= CODE_PART for s in code)
    assert all(loaded.text[s.start : s.end] == s.text for s in code)
    assert code[0].text.startswith("0.0 Jan-1-2000") and code[-1].text.rstrip().endswith("Fix port 8-11.")
    assert "".join(s.text for s in code).count("Fix port") == 9 * 12  # nothing lost between the units
    assert [s.text for s in sentences if not s.code] == ["The history:", "The end."]


def test_a_code_block_holding_a_fence_is_fenced_longer_and_read_back_whole():
    source = "Example:\n\n~~~\n```python\nprint(1)\n```\n~~~\n\nAfter."
    layout = read_markdown(source)
    assert "````\n```python\nprint(1)\n```\n````" in layout.text
    assert [(b.kind, layout.text[b.start : b.end]) for b in layout_blocks(layout.text)] == [
        ("text", "Example:"),
        ("code", "```python\nprint(1)\n```"),
        ("text", "After."),
    ]


def test_list_items_keep_their_continuation_lines_and_markers():
    text = read_markdown(README).text
    assert "- Granian, written in Rust.\n\n- Hypercorn, which supports HTTP/2. It also supports HTTP/3." in text
    assert read_markdown("1. one\n2. two\n").text == "1. one\n\n2. two"


def test_a_list_of_nothing_but_links_is_navigation_and_dropped():
    toc = "# Guide\n\n## Contents\n\n- [Setup](setup.html)\n  - [Install](setup.html#i)\n- [`llm chat`](chat.html)\n\n"
    layout = read_markdown(toc + "## Usage\n\nRun it.\n")
    assert layout.text == "# Guide\n\n## Contents\n\n## Usage\n\nRun it."
    assert [(b.kind, layout.text[b.start : b.end]) for b in layout.blocks][-1] == ("text", "Run it.")
    page = "<h2>Contents</h2><ul><li><a href='s.html'>Setup</a><ul><li><a href='i'>Install</a></li></ul></li></ul>"
    assert read_html(page + "<p>Run it.</p>").text == "## Contents\n\nRun it."
    # A glyph set before each link is no text of its own (Underscore's sidebar: "&raquo; <a>GitHub</a>").
    glyphs = "<ul><li>&raquo; <a href='gh'>GitHub</a></li><li>- <a href='#each'>each</a></li></ul><p>Run it.</p>"
    assert read_html(glyphs).text == "Run it."
    assert read_markdown("- » [GitHub](gh)\n- | [Twitter](tw)\n\nRun it.\n").text == "Run it."
    worded = read_html("<ul><li>See <a href='gh'>GitHub</a></li></ul>")
    assert worded.text == "- See GitHub"


def test_a_list_with_its_own_words_or_a_lead_in_is_content_even_when_it_links():
    introduced = read_markdown("With it you can:\n\n- [Run prompts](run.html)\n- [Store logs](logs.html)\n")
    assert introduced.text == "With it you can:\n\n- Run prompts\n\n- Store logs"
    following = read_markdown("Notices go out via the following methods.\n\n* <https://lists.example.org/sec>\n")
    assert following.text == "Notices go out via the following methods.\n\n- https://lists.example.org/sec"
    plain = read_markdown("Notices go out by mail.\n\n* <https://lists.example.org/sec>\n")
    assert plain.text == "Notices go out by mail."  # no lead-in: a list of links alone is navigation
    mixed = read_markdown("## News\n\n- 4th April: [the announcement](a.html)\n- [Setup](setup.html)\n")
    assert mixed.text == "## News\n\n- 4th April: the announcement\n\n- Setup"
    html = read_html("<h2>News</h2><ul><li>4th April: <a href='a.html'>the announcement</a></li></ul>")
    assert html.text == "## News\n\n- 4th April: the announcement"


def test_a_docbook_author_heading_is_a_line_of_text_not_a_section():
    # Over base-passwd's DocBook page, the copyright notices were sentences under a section named "David Mandelberg".
    page = (
        '<h1 class="title">Port Survey</h1><h3 class="AUTHOR">Ann Lee</h3><h3 class="author">Bo Park</h3>'
        "<p>Copyright 2001 Ann Lee</p><h2>Piers</h2><p>Cranes run on Sundays.</p>"
    )
    layout = read_html(page)
    assert (
        layout.text
        == "# Port Survey\n\nAnn Lee\n\nBo Park\n\nCopyright 2001 Ann Lee\n\n## Piers\n\nCranes run on Sundays."
    )
    assert [b.section for b in layout.blocks if b.kind == "text"] == [("Port Survey",)] * 3 + [("Port Survey", "Piers")]


def test_html_reads_only_the_main_part_when_the_page_marks_it():
    page = (
        "<html><body><div class='related' role='navigation'>Previous | Next</div>"
        "<div class='body' role='main'><h1>Guide¶</h1><h2>Setup<a class='headerlink' href='#s'>¶</a></h2>"
        "<p>Run the <code>setup</code> script first.</p><div class='highlight'><pre><span>$ ./setup</span>\n"
        "<span>$ ./run --port 80</span>\n</pre></div></div>"
        "<div class='sphinxsidebar'>Quick search</div><footer>© Someone</footer></body></html>"
    )
    layout = read_html(page)
    assert layout.text == "# Guide\n\n## Setup\n\nRun the setup script first.\n\n```\n$ ./setup\n$ ./run --port 80\n```"
    code = layout.blocks[-1]
    assert code.kind == "code" and code.section == ("Guide", "Setup")


def test_html_without_a_main_part_is_read_whole_and_a_page_with_an_empty_one_too():
    assert read_html("<p>Alpha.</p><nav>Menu</nav><p>Beta.</p>").text == "Alpha.\n\nBeta."
    assert read_html("<main></main><p>Outside.</p>").text == "Outside."


def test_a_table_laying_out_a_page_is_read_as_its_blocks_and_a_data_table_as_rows():
    # libxslt's FAQ sits in one cell of a layout table: its answers were read as one cell's text, run together
    # across list items ("…to the LIBS options passing parameters on the xsltproc command line doesn't work…").
    page = (
        "<table><tr><td>Menu</td><td><h2>FAQ</h2><ol><li><em>Troubles linking</em><p>Use xslt-config.</p>"
        "<p>Add -lexslt to the LIBS options</p></li><li><em>Params don't work</em><p>Escape them.</p></li></ol>"
        "</td></tr></table><table><tr><th>Option</th><th>Effect</th></tr><tr><td>-n</td><td>No names</td></tr></table>"
    )
    assert read_html(page).text == (
        "Menu\n\n## FAQ\n\n1. Troubles linking\n\n  Use xslt-config.\n\n  Add -lexslt to the LIBS options\n\n"
        "2. Params don't work\n\n  Escape them.\n\n| Option | Effect |\n\n| -n | No names |"
    )
    # Ninja's manual, written in AsciiDoc, sets each data cell's text in a paragraph: still a row.
    assert read_html("<table><tr><td><p>cleandead</p></td><td><p>remove files</p></td></tr></table>").text == (
        "| cleandead | remove files |"
    )


def test_an_html_paragraph_opening_in_small_letters_runs_on_from_one_with_no_closing_punctuation():
    # libxslt's FAQ sets its lines as paragraphs: "Use", "xslt-config --cflags", "to get the compilation flags".
    page = (
        "<p>A script provides the flags. Use</p><p><code>xslt-config --cflags</code></p><p>to get them.</p>"
        "<p>then a new sentence, after a full stop.</p><p>Usage</p><p>runs on</p><ul><li>x</li></ul><p>after a list</p>"
    )
    assert read_html(page).text == (
        "A script provides the flags. Use xslt-config --cflags to get them.\n\nthen a new sentence, after a full stop."
        "\n\nUsage runs on\n\n- x\n\nafter a list"
    )
    assert read_markdown("Use\n\nto get them.\n").text == "Use\n\nto get them."  # Markdown means its paragraphs
    # bc's manual: a synopsis, then a sentence about bc of its own.
    synopsis = "<p><code>bc</code> [ -hlwsqv ] [ file ... ]</p><p><code>bc</code> is a language.</p>"
    assert read_html(synopsis).text == "bc [ -hlwsqv ] [ file ... ]\n\nbc is a language."


def test_a_definition_lists_terms_are_the_headings_of_their_definitions_until_the_list_closes():
    layout = read_html(
        "<h2>Users</h2><dl><dt>daemon</dt><dd><p>Some daemons run as it.</p></dd>"
        "<dt><code>nobody</code></dt><dd>No files should be owned by it.<dl><dt>nogroup</dt><dd>Its group.</dd>"
        "</dl>Rarely used.</dd></dl><p>Each user has a group.</p>"
    )
    sentences = {s.text: s.section for s in sentences_of("u.html", layout.text, "sha", blocks=layout.blocks)}
    assert sentences == {
        "Some daemons run as it.": "Users › daemon",
        "No files should be owned by it.": "Users › nobody",
        "Its group.": "Users › nobody › nogroup",
        "Rarely used.": "Users › nobody",
        "Each user has a group.": "Users",
    }
    assert [(b.kind, b.start, b.end) for b in layout_blocks(layout.text)] == [
        (b.kind, b.start, b.end) for b in layout.blocks
    ]


def test_structured_files_reingest_idempotently_with_exact_offsets(tmp_path: Path):
    folder = tmp_path / "corpus"
    folder.mkdir()
    (folder / "README.md").write_text(README, encoding="utf-8")
    store = Store(open_chroma(tmp_path / "chroma", "markup", HashEmbeddings()), tmp_path / "kw.json")
    first = ingest([folder], store, tmp_path / "texts", progress=False)
    again = ingest([folder], store, tmp_path / "texts", progress=False)
    assert first.added > 0 and again.added == 0 and again.removed == 0
    text = load(folder / "README.md").text
    stored = store.sentences("README.md")
    assert stored and all(text[s.start : s.end] == s.text for s in stored)
    assert any(s.code and s.text == "cargo install tern" for s in stored)
    assert {s.section for s in stored} >= {"Tern", "Tern › Install"}


@settings(max_examples=60, deadline=None)
@given(st.lists(st.sampled_from([*"ab #-*`>|\n[]()!<>/", "```", "\n\n", "1. ", "<p>"]), max_size=80).map("".join))
def test_any_markdown_gives_blocks_that_slice_the_text_exactly(source: str):
    layout = read_markdown(source)
    text = layout.text
    for block in layout.blocks:
        assert 0 <= block.start < block.end <= len(text) and text[block.start : block.end].strip()
    for sentence in sentences_of("x.md", text, "sha", blocks=layout.blocks):
        assert text[sentence.start : sentence.end] == sentence.text
    for block in layout_blocks(text):  # read back for the source view: within the text, never empty
        assert 0 <= block.start < block.end <= len(text)


def test_a_layout_is_read_back_into_the_blocks_it_was_written_from():
    page = (Path(__file__).parents[2] / "eval/corpora/python-venv/corpus/venv.html").read_text(encoding="utf-8")
    for layout in (read_markdown(README), read_html(page)):
        assert [(b.kind, b.start, b.end) for b in layout_blocks(layout.text)] == [
            (b.kind, b.start, b.end) for b in layout.blocks
        ]


def test_a_paragraph_that_starts_like_a_heading_item_row_or_fence_is_read_back_as_a_paragraph():
    layout = read_html(
        "<h1>Generated</h1><p># This file was generated. Do not edit!</p><p>- 5 degrees at night.</p>"
        "<p>1. is the loneliest number.</p><p>| is a pipe.</p><p>```</p><p>\\n ends a line.</p><ul><li>x</li></ul>"
    )
    assert [(b.kind, b.start, b.end) for b in layout_blocks(layout.text)] == [
        (b.kind, b.start, b.end) for b in layout.blocks
    ]
    assert layout.text.split("\n\n")[1] == "\\# This file was generated. Do not edit!"


def test_a_plain_text_list_after_a_colon_is_read_as_items_and_a_numbered_section_is_not():
    text = (
        "1. Redistribution.\n\n   You may redistribute it provided that You meet the following conditions:\n\n"
        "      (a) You must give recipients a copy of this License; and\n\n"
        "      (b) You must keep the notices. Keep them\n          readable.\n\n"
        "      - and mark changed files.\n\n"
        "   You may add Your own notices.\n\n2. Warranty. There is none:\n\nIt is given as is.\n"
    )
    items = [s.text for s in sentences_of("LICENSE.txt", text, "sha") if s.item]
    assert items == [
        "(a) You must give recipients a copy of this License; and",
        "(b) You must keep the notices.",
        "Keep them\n          readable.",
        "- and mark changed files.",
    ]
    bullets = "It is made up of programs:\n  • man    - an interface to the manuals\n  • whatis - search the names\n"
    assert [s.text for s in sentences_of("manual.txt", bullets, "sha") if s.item] == [
        "• man    - an interface to the manuals", "• whatis - search the names"
    ]  # fmt: skip


def test_plain_text_headings_are_no_sentences_but_the_section_path_of_those_under_them():
    # The layout of a manual saved as text (fontconfig's, man-db's): headings on lines of their own, numbered and
    # nested, and options over their indented descriptions; a page saved from Sphinx keeps its permalinks' "¶".
    text = (
        "Description¶\n\n   Fontconfig is a library for fonts.\n\n"
        "Files\n\n   fonts.conf contains the configuration\n   of the library. It is in XML.\n\n"
        "1.  Introduction\n\n1.1.  man-db\n\nman-db is a pager suite.\n\n"
        "1.5.  Arguments to configure\n\nThese options are known.\n\n"
        "--disable-setuid\n     By default, man is setuid. Use this option to drop it.\n\n"
        "2.  Sections\n\nThe manual is split into sections.\n"
    )
    sections = {s.text: s.section for s in sentences_of("manual.txt", text, "sha")}
    assert sections == {
        "Fontconfig is a library for fonts.": "Description",
        "fonts.conf contains the configuration\n   of the library.": "Files",
        "It is in XML.": "Files",
        "man-db is a pager suite.": "1. Introduction › 1.1. man-db",
        "These options are known.": "1. Introduction › 1.5. Arguments to configure",
        "By default, man is setuid.": "1. Introduction › 1.5. Arguments to configure › --disable-setuid",
        "Use this option to drop it.": "1. Introduction › 1.5. Arguments to configure › --disable-setuid",
        "The manual is split into sections.": "2. Sections",
    }


def test_an_underlined_title_is_a_heading_and_a_contents_list_without_leaders_gives_no_sentences():
    # The layout of xz's file format specification: an underlined title, a table of contents of numbered titles
    # with no dots leading to page numbers, a history table whose rows open with a version number.
    text = (
        "The .xz File Format\n===================\n\n"
        "        0. Preface\n           0.1. Notices\n        1. Conventions\n\n"
        "0. Preface\n\n        This document describes the format.\n\n"
        "0.1. Notices\n\n        1.0.4       2009-08-27      Language improvements\n"
        "                                    in Sections 1.2 and 2.\n\n"
        "1. Conventions\n\n        The words MUST and SHOULD are used.\n"
    )
    sections = {" ".join(s.text.split()): s.section for s in sentences_of("xz-file-format.txt", text, "sha")}
    title = "The .xz File Format"
    assert sections == {
        "This document describes the format.": f"{title} › 0. Preface",
        "1.0.4 2009-08-27 Language improvements in Sections 1.2 and 2.": f"{title} › 0. Preface › 0.1. Notices",
        "The words MUST and SHOULD are used.": f"{title} › 1. Conventions",
    }


def test_an_underlined_heading_may_run_longer_and_a_line_opening_a_block_of_code_is_no_heading():
    # GCC's README.Bugs: a nine-word title over "---", and "try {" over the indented lines of its block.
    title = 'g++: "undefined reference" to static const array in class'
    text = (
        f"{title}\n{'-' * len(title)}\n\nThe code compiles under 2.7.2.\n\n"
        "    int main(void)\n    {\n\n        try {\n            Sort(list);\n        } catch (A) {}\n    }\n"
    )
    sections = {s.text.strip(): s.section for s in sentences_of("README.Bugs", text, "sha")}
    assert sections["The code compiles under 2.7.2."] == title
    assert all(section == title for section in sections.values())  # not under "try {"


def test_starred_outline_headings_nest_by_their_stars():
    # GnuPG's README, in Emacs outline form: "* " is a heading there, not a list item, and a colon ends a heading.
    text = (
        "* BUILD INSTRUCTIONS\n\n  GnuPG depends on npth.\n\n"
        "** Specific build problems on some machines:\n\n"
        "*** Apple OSX 10.x using XCode\n\n  Run configure with the header's path.\n\n"
        "* RECOMMENDATIONS\n\n** Socket directory\n\n  Create per-user directories.\n\n"
        "Install these:\n\n* npth\n* libgcrypt\n"
    )
    sections = {s.text.strip(): s.section for s in sentences_of("README", text, "sha")}
    assert sections == {
        "GnuPG depends on npth.": "BUILD INSTRUCTIONS",
        "Run configure with the header's path.": (
            "BUILD INSTRUCTIONS › Specific build problems on some machines › Apple OSX 10.x using XCode"
        ),
        "Create per-user directories.": "RECOMMENDATIONS › Socket directory",
        "Install these:": "RECOMMENDATIONS › Socket directory",
        "* npth": "RECOMMENDATIONS › Socket directory",  # a list item: no blank line around it
        "* libgcrypt": "RECOMMENDATIONS › Socket directory",
    }


def test_a_faqs_questions_are_headings_over_their_answers():
    # The sed FAQ numbers its questions, valgrind's with the answer on the next line; xz's opens them "Q:"; procps's
    # indents the answer under the question. Each answer stands under its question, which is no sentence to quote.
    question = "4.11. Why don't my variables like $var get expanded in my sed script?"
    sed = f"4. EXAMPLES\n\n{question}\n\n   Because your sed script uses single quotes.\n"
    valgrind = '1.1. How do you pronounce "Valgrind"?\nThe "Val" as in the word "value".\n'
    xz = "XZ Utils FAQ\n============\n\nQ:  What do the letters XZ mean?\n\nA:  Nothing.\n"
    procps = "Why does ps complain about a bogus '-'?\n\n\tThe command asks for a user named x.\n"
    read = {
        name: {s.text.strip(): s.section for s in sentences_of(name, text, "sha")}
        for name, text in (("sedfaq.txt", sed), ("FAQ.txt", valgrind), ("faq.txt", xz), ("procps.txt", procps))
    }
    assert read == {
        "sedfaq.txt": {"Because your sed script uses single quotes.": f"4. EXAMPLES › {question}"},
        "FAQ.txt": {'The "Val" as in the word "value".': '1.1. How do you pronounce "Valgrind"?'},
        "faq.txt": {"A:  Nothing.": "XZ Utils FAQ › What do the letters XZ mean?"},
        "procps.txt": {"The command asks for a user named x.": "Why does ps complain about a bogus '-'?"},
    }
    # A question in the text, with no answer indented under it, is a sentence.
    text = "Is this the most frequently asked question?\n\nIt probably is.\n"
    assert [s.section for s in sentences_of("notes.txt", text, "sha")] == [None, None]


def test_a_numbered_or_marked_question_may_wrap_onto_the_lines_below_it():
    # Valgrind's FAQ wraps its questions at 72 columns; base-files' opens them "Q." and answers "A.".
    valgrind = (
        "5.1. I tried writing a suppression but it didn't work. Can you write my \nsuppression for me? \n\n"
        "Yes! Use the --gen-suppressions=yes feature.\n\n"
        "5.2. Memcheck's errors are hard to track down, because they are\nreported late.\n\nTry this.\n"
    )
    base = "Q. There is a new point release.\nThe file now says 10.x.\nIs this ok?\n\nA. Yes. Leave it.\n"
    contents = "1.0\tGeneral\n1.1\tLsof -- what is it?\n1.2\tWhy can't I get the sum(1) result\n\treported?\n\n"
    contents += "1.1\tLsof -- what is it?\n\n\tIt lists.\n"
    read = {
        name: {" ".join(s.text.split()): s.section for s in sentences_of(name, text, "sha")}
        for name, text in (("FAQ.txt", valgrind), ("base-files.txt", base), ("00FAQ", contents))
    }
    asked = "5.1. I tried writing a suppression but it didn't work. Can you write my suppression for me?"
    assert read == {
        "FAQ.txt": {
            "Yes! Use the --gen-suppressions=yes feature.": asked,
            # a statement that wraps is no heading: it asks nothing
            "Memcheck's errors are hard to track down, because they are reported late.": asked,
            "Try this.": asked,
        },
        "base-files.txt": {"A. Yes. Leave it.": "There is a new point release. The file now says 10.x. Is this ok?"},
        # lsof's table of contents: the entry under "1.0" is another entry, not the rest of a question
        "00FAQ": {
            "1.0 General 1.1 Lsof -- what is it?": None,
            "1.2 Why can't I get the sum(1) result reported?": None,
            "It lists.": "1.1 Lsof -- what is it?",
        },
    }


def test_a_bullets_question_between_rules_titles_the_answer_under_it():
    # groff's PROBLEMS: each entry is a problem or question in a bullet's paragraph, wrapped under its text, after
    # a rule, and its answer after a blank line at the bullet's indent.
    rule = "-" * 70
    problems = (
        f"Generic Problems\n================\n\n* gpic doesn't accept the syntax `chop N M' for chopping both ends of\n"
        f"  a line.\n\nThe correct syntax is `chop N chop M'.\n\n{rule}\n\n"
        "* There are many empty `Makefile.dep' files.  Is this a bug?\n\nNo.  They are made by `make depend'.\n"
    )
    listed = f"Notes\n\n{rule}\n\n* one item\n* another item\n\nA paragraph.\n"  # a list after a rule
    loose = "Notes\n\nSome text here.\n\n* a bullet on its own that\n  wraps.\n\nA paragraph.\n"  # after no rule
    read = {
        name: {" ".join(s.text.split()): s.section for s in sentences_of(name, text, "sha")}
        for name, text in (("PROBLEMS", problems), ("listed.txt", listed), ("loose.txt", loose))
    }
    empty = "Generic Problems › There are many empty `Makefile.dep' files. Is this a bug?"
    assert read["PROBLEMS"] == {
        # a problem stated, not asked, is a sentence: as a heading its words would support a "Yes," to it
        "* gpic doesn't accept the syntax `chop N M' for chopping both ends of a line.": "Generic Problems",
        "The correct syntax is `chop N chop M'.": "Generic Problems",
        "No. They are made by `make depend'.": empty,
    }
    assert "* one item" in read["listed.txt"] and "* a bullet on its own that wraps." in read["loose.txt"]


def test_each_entry_of_a_debian_changelog_stands_under_its_package_and_version():
    # make's NEWS.Debian: "What changed in 4.3-3?" is asked of the entry that line opens, though it opens in small
    # letters and holds a semicolon.
    text = (
        "make-dfsg (4.3-3) unstable; urgency=medium\n\n  * Fix ordering of include dirs\n"
        "    So now /usr/local/include comes first.\n\n"
        " -- Manoj Srivastava <srivasta@debian.org>  Fri, 05 Jun 2020 18:59:32 -0700\n\n"
        "make-dfsg (4.3-1) unstable; urgency=medium\n\n  * Number signs no longer introduce comments.\n"
    )
    sections = {" ".join(s.text.split()): s.section for s in sentences_of("NEWS.Debian.txt", text, "sha")}
    assert sections == {
        "* Fix ordering of include dirs So now /usr/local/include comes first.": "make-dfsg (4.3-3) unstable",
        "-- Manoj Srivastava <srivasta@debian.org> Fri, 05 Jun 2020 18:59:32 -0700": "make-dfsg (4.3-3) unstable",
        "* Number signs no longer introduce comments.": "make-dfsg (4.3-1) unstable",
    }


def test_a_line_of_code_over_a_line_indented_further_is_no_term_over_its_description():
    # OpenSSH's README.tun: an ssh_config block, each "Host" over its indented options. A term's description says
    # something; "User puffy" does not, so the block stays one unit under the guide's title.
    text = (
        "OpenSSH VPNs\n------------\n\nThis client configuration connects over two hops.\n\n"
        "\tHost dmzgw\n\t        User puffy\n\t        ProxyCommand ssh gw nc dmzgw 22\n\n"
        "Then connect with ssh.\n"
    )
    sections = {s.text.strip(): s.section for s in sentences_of("README.tun", text, "sha")}
    assert "Host dmzgw\n\t        User puffy\n\t        ProxyCommand ssh gw nc dmzgw 22" in sections
    assert set(sections.values()) == {"OpenSSH VPNs"}


@pytest.mark.parametrize(
    "text",
    [
        "To enable it, give the option\n\n--with-device=DEVICE\n\nto configure, where DEVICE is the output.\n",
        "Install it with:\n\n    pip install fontconfig\n\nThen run it once.\n",
        "It is fast.\n\nSmall index\n\nLow memory\n",
        "The commands are run.\n\ncan be added to the login file\n\nN.B. The path must be set first.\n",
        "Lines like\n     ____________\n     |man_foobar|\n\ndisplay the page.\n",
    ],
)
def test_a_short_line_within_a_sentence_or_a_run_of_short_lines_is_no_heading(text):
    assert all(s.section is None for s in sentences_of("notes.txt", text, "sha"))


def test_a_plain_text_table_of_contents_gives_no_sentences():
    text = "Contents\n\n1.  Introduction ..........  1\n    1.1  man-db .......... 1\n\nman-db is a pager suite.\n"
    assert [s.text for s in sentences_of("manual.txt", text, "sha")] == ["Contents", "man-db is a pager suite."]
